package eval

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestProportionsCarryWilsonInterval: the noise rate has a 95% bound, but
// precision, recall, Pd and the Pd-vs-SNR points have none. The real-iq
// corpus prints LTE recall 1.000 from 3 targets and NR 0.750 from 4; the
// default generated run Pd points from 2 cases per class and SNR. A report
// to a customer needs the interval (Wilson or Clopper-Pearson) beside
// such a figure; the JSON carries none.
func TestProportionsCarryWilsonInterval(t *testing.T) {
	tl := NewTally()
	tl.Add("f", Matched{Targets: []TruthOutcome{outcome("lte", "", 6, "lte", "")},
		Dets: []DetOutcome{det("lte", RoleHit, "lte")}}, 1e6)
	rep := tl.Report()
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Classes []map[string]any `json:"classes"`
		PdVsSNR []struct {
			Points []map[string]any `json:"points"`
		} `json:"pd_vs_snr"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	hasBound := func(m map[string]any) bool {
		for k := range m {
			if strings.Contains(k, "95") || strings.Contains(k, "lower") || strings.Contains(k, "interval") {
				return true
			}
		}
		return false
	}
	for _, c := range doc.Classes {
		if c["class"] == "lte" && !hasBound(c) {
			t.Errorf("lte: recall %v from 1 target, with no confidence interval in the JSON (keys %v)", c["recall"], keys(c))
		}
	}
	for _, p := range doc.PdVsSNR {
		for _, q := range p.Points {
			if !hasBound(q) {
				t.Errorf("Pd point %v from %v truths, with no confidence interval", q["pd"], q["truths"])
			}
		}
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestWilson: the 95% Wilson score interval against published values
// (Newcombe 1998, Table I; Brown, Cai and DasGupta 2001): it stays
// inside [0, 1] and is not empty at 0 of n or n of n.
func TestWilson(t *testing.T) {
	tests := []struct {
		k, n   int
		lo, hi float64
	}{
		{0, 10, 0, 0.2775},
		{1, 2, 0.0945, 0.9055},
		{3, 3, 0.4385, 1},
		{0, 3, 0, 0.5615},
		{81, 263, 0.2553, 0.3662},
	}
	for _, tt := range tests {
		iv := Wilson(tt.k, tt.n)
		if iv == nil || math.Abs(iv[0]-tt.lo) > 5e-5 || math.Abs(iv[1]-tt.hi) > 5e-5 {
			t.Errorf("Wilson(%d, %d) = %v, want [%.4f, %.4f]", tt.k, tt.n, iv, tt.lo, tt.hi)
		}
	}
	if iv := Wilson(0, 0); iv != nil {
		t.Errorf("Wilson(0, 0) = %v, want nil (no proportion)", iv)
	}
}
