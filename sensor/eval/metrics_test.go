package eval

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"
)

// outcome builds a TruthOutcome by hand.
func outcome(class, link string, snr float64, pred, predLink string) TruthOutcome {
	o := TruthOutcome{Truth: Truth{Class: class, Link: link, Kind: KindTarget, SNRDB: snr}, Pred: pred, PredLink: predLink, Det: -1}
	if pred != ClassMissed {
		o.Detected, o.Det = true, 0
	}
	return o
}

func det(class string, role Role, truth string) DetOutcome {
	return DetOutcome{Det: Detection{Class: class}, Role: role, Truth: truth}
}

func ptr(v float64) *float64 { return &v }

func near(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return math.Abs(*a-*b) < 1e-9
}

func TestTallyHandBuilt(t *testing.T) {
	const rate = 1e6
	tl := NewTally()
	// Recording 1: four LTE targets (3 named LTE, one missed), two GSM
	// targets (one named GSM, one unknown); detections: 3 LTE hits, one
	// LTE called on a GSM target, one GSM hit, a named and an unnamed noise alarm.
	tl.Add("one", Matched{
		Targets: []TruthOutcome{
			outcome("lte", "uplink", 6, "lte", "uplink"),
			outcome("lte", "uplink", 6, "lte", "downlink"),
			outcome("lte", "tdd", 12, "lte", "downlink"),
			outcome("lte", "uplink", 12, ClassMissed, ""),
			outcome("gsm", "downlink", math.NaN(), "gsm", "downlink"),
			outcome("gsm", "downlink", math.NaN(), "unknown", ""),
		},
		Dets: []DetOutcome{
			det("lte", RoleHit, "lte"), det("lte", RoleHit, "lte"), det("lte", RoleHit, "lte"),
			det("lte", RoleHit, "gsm"), det("gsm", RoleHit, "gsm"),
			det("gsm", RoleNoise, ""), det("unknown", RoleNoise, ""),
		},
		NoiseSample: 1_800_000, // 1.8 s
	}, rate)
	// Recording 2: no targets; a named detection on open spectrum and a
	// named one on a spur; 1.8 s of noise without alarms.
	tl.Add("two", Matched{
		Dets:        []DetOutcome{det("droneid", RoleUnannotated, ""), det("wifi", RoleOther, "")},
		NoiseSample: 1_800_000,
	}, rate)
	r := tl.Report()

	if r.Runs != 2 || len(r.Files) != 2 || r.Files[0].Name != "one" || r.Files[0].Missed == nil || r.Files[0].Detected != 5 || r.Files[0].Correct != 4 {
		t.Errorf("runs %d files %+v", r.Runs, r.Files)
	}
	if w := r.Files[0].WrongNames; len(w) != 2 || !strings.Contains(w[0], "on target gsm") || !strings.Contains(w[1], "on noise") {
		t.Errorf("false positives listed %q, want the LTE on the GSM target and the GSM in noise", w)
	}
	want := map[string]ClassStats{
		// LTE: 4 truths, 3 detected, 3 named right; TP 3, FP 1 (on the GSM target);
		// links scored on the 2 uplink-truth correct ones, 1 right.
		"lte": {Truths: 4, Detected: 3, Correct: 3, TP: 3, FP: 1, LinkScored: 2, LinkOK: 1,
			Precision: ptr(0.75), Recall: ptr(0.75), Pd: ptr(0.75), F1: ptr(0.75), LinkAcc: ptr(0.5)},
		// GSM: 2 truths, both detected, 1 named right; TP 1, FP 1 (the noise alarm).
		"gsm": {Truths: 2, Detected: 2, Correct: 1, TP: 1, FP: 1, LinkScored: 1, LinkOK: 1,
			Precision: ptr(0.5), Recall: ptr(0.5), Pd: ptr(1), F1: ptr(0.5), LinkAcc: ptr(1)},
		// predicted but never true: precision 0, no recall
		"droneid": {FP: 1, Precision: ptr(0)},
		"wifi":    {FP: 1, Precision: ptr(0)},
	}
	if len(r.Classes) != len(want) {
		t.Errorf("%d classes reported, want %d: %+v", len(r.Classes), len(want), r.Classes)
	}
	for _, c := range r.Classes {
		w, ok := want[c.Class]
		if !ok {
			t.Errorf("unexpected class %q", c.Class)
			continue
		}
		if c.Truths != w.Truths || c.Detected != w.Detected || c.Correct != w.Correct || c.TP != w.TP || c.FP != w.FP ||
			c.LinkScored != w.LinkScored || c.LinkOK != w.LinkOK || !near(c.Precision, w.Precision) || !near(c.Recall, w.Recall) ||
			!near(c.Pd, w.Pd) || !near(c.F1, w.F1) || !near(c.LinkAcc, w.LinkAcc) {
			t.Errorf("%s: got %+v\nwant %+v", c.Class, c, w)
		}
	}

	cell := func(row, col string) int {
		for i, rw := range r.Confusion.Rows {
			if rw != row {
				continue
			}
			for j, c := range r.Confusion.Cols {
				if c == col {
					return r.Confusion.Counts[i][j]
				}
			}
		}
		return -1
	}
	conf := []struct {
		row, col string
		want     int
	}{
		{"lte", "lte", 3}, {"lte", ClassMissed, 1}, {"lte", "gsm", 0},
		{"gsm", "gsm", 1}, {"gsm", "unknown", 1},
		{ClassNone, "gsm", 1}, {ClassNone, "unknown", 1}, {ClassNone, "droneid", 1}, {ClassNone, "wifi", 1},
		{"nr", "nr", -1}, // no NR truth: no row
	}
	for _, c := range conf {
		if got := cell(c.row, c.col); got != c.want {
			t.Errorf("confusion[%s][%s] = %d, want %d", c.row, c.col, got, c.want)
		}
	}

	// 3.6 s of noise = 1/1000 h; 2 alarms, 1 named.
	n := r.Noise
	if math.Abs(n.Seconds-3.6) > 1e-9 || n.Alarms != 2 || n.ClassedAlarms != 1 ||
		!near(n.AlarmsPerHour, ptr(2000)) || !near(n.ClassedPerHour, ptr(1000)) {
		t.Errorf("noise %+v (per hour %v %v)", n, *n.AlarmsPerHour, *n.ClassedPerHour)
	}
	if u := *n.Upper95PerHour; math.Abs(u-4743.9) > 1 {
		t.Errorf("95%% upper bound %.1f /h, want 4743.9 (Poisson, 1 event in 1/1000 h)", u)
	}
	if u := n.AlarmsUpper95PerHour; u == nil || math.Abs(*u-6295.8) > 1 {
		t.Errorf("95%% upper bound of all alarms %v /h, want 6295.8 (Poisson, 2 events in 1/1000 h)", u)
	}

	// Pd vs SNR: only LTE has finite SNRs; 6 dB: 2/2 detected, 2 right; 12 dB: 1/2, 1 right.
	if len(r.PdVsSNR) != 1 || r.PdVsSNR[0].Class != "lte" || len(r.PdVsSNR[0].Points) != 2 {
		t.Fatalf("pd vs snr %+v", r.PdVsSNR)
	}
	p := r.PdVsSNR[0].Points
	if p[0].SNRDB != 6 || p[0].Pd != 1 || p[0].Pc != 1 || p[1].SNRDB != 12 || p[1].Pd != 0.5 || p[1].Pc != 0.5 || p[1].Truths != 2 {
		t.Errorf("points %+v", p)
	}
}

func TestTallyEmpty(t *testing.T) {
	r := NewTally().Report()
	if r.Runs != 0 || len(r.Classes) != 0 || len(r.Confusion.Rows) != 0 || r.Noise.AlarmsPerHour != nil || r.Noise.Upper95PerHour != nil {
		t.Errorf("empty report %+v", r)
	}
}

// TestPoissonUpper95 checks the one-sided 95% limits of Garwood (1936),
// half the 0.95 chi-square quantiles with 2(k+1) degrees of freedom from
// standard tables (2: 5.991, 4: 9.488, 6: 12.592, 12: 21.026, 22: 33.924).
func TestPoissonUpper95(t *testing.T) {
	const tol = 0.01
	for k, want := range map[int]float64{0: 2.996, 1: 4.744, 2: 6.296, 5: 10.513, 10: 16.962} {
		if got := poissonUpper95(k); math.Abs(got-want) > tol {
			t.Errorf("poissonUpper95(%d) = %.4f, want %.3f", k, got, want)
		}
	}
	if got := poissonUpper95(2000); got < 2000 || got > 2000+1.645*math.Sqrt(2000)+3 {
		t.Errorf("poissonUpper95(2000) = %.1f, want about 2074", got)
	}
}

// TestTallyConfusionRowPerTruth: every truth class seen gets a row of the
// confusion matrix, and every class seen a column. Truth labelled
// "cellular" (LTE or NR) had a line in the class table but no row: the
// rows covered the ten event classes only.
func TestTallyConfusionRowPerTruth(t *testing.T) {
	tl := NewTally()
	tl.Add("bundle", Matched{
		Targets: []TruthOutcome{
			outcome(ClassCellular, "uplink", math.NaN(), ClassCellular, "uplink"),
			outcome(ClassCellular, "uplink", math.NaN(), "lte", "uplink"),
			outcome(ClassCellular, "", math.NaN(), ClassMissed, ""),
			outcome(ClassCellular, "", math.NaN(), ClassMissed, ""),
			outcome("lte", "downlink", math.NaN(), "lte", "downlink"),
			outcome("satphone", "", math.NaN(), "satphone", ""), // a class this package does not know
		},
		Dets: []DetOutcome{det(ClassCellular, RoleHit, ClassCellular), det("lte", RoleHit, ClassCellular), det("lte", RoleHit, "lte"),
			det("satphone", RoleHit, "satphone"), det("unknown", RoleUnannotated, "")},
	}, 1e6)
	r := tl.Report()
	wantRows := []string{"lte", ClassCellular, "satphone", ClassNone}
	if !slices.Equal(r.Confusion.Rows, wantRows) {
		t.Fatalf("rows %v, want %v", r.Confusion.Rows, wantRows)
	}
	col := func(c string) int { return slices.Index(r.Confusion.Cols, c) }
	for _, c := range []string{ClassCellular, "satphone", "unknown", ClassMissed} {
		if col(c) < 0 {
			t.Fatalf("no column %q in %v", c, r.Confusion.Cols)
		}
	}
	if r.Confusion.Cols[len(r.Confusion.Cols)-1] != ClassMissed {
		t.Errorf("columns %v: want %s last", r.Confusion.Cols, ClassMissed)
	}
	cell := []struct {
		row  int
		col  string
		want int
	}{
		{1, ClassCellular, 1}, {1, "lte", 1}, {1, ClassMissed, 2},
		{0, "lte", 1}, {2, "satphone", 1}, {3, "unknown", 1},
	}
	for _, c := range cell {
		if got := r.Confusion.Counts[c.row][col(c.col)]; got != c.want {
			t.Errorf("confusion[%s][%s] = %d, want %d", r.Confusion.Rows[c.row], c.col, got, c.want)
		}
	}
	// The class table and the matrix agree: a row sums to the class's truths.
	for i, row := range r.Confusion.Rows[:3] {
		sum := 0
		for _, n := range r.Confusion.Counts[i] {
			sum += n
		}
		for _, c := range r.Classes {
			if c.Class == row && c.Truths != sum {
				t.Errorf("row %s sums to %d, class table counts %d truths", row, sum, c.Truths)
			}
		}
	}
	var b bytes.Buffer
	if err := WriteText(&b, "bundle", r); err != nil {
		t.Fatal(err)
	}
	rowed := false
	for _, line := range strings.Split(b.String(), "\n") {
		f := strings.Fields(line)
		rowed = rowed || len(f) == len(r.Confusion.Cols)+1 && f[0] == ClassCellular
	}
	if !rowed {
		t.Errorf("text matrix has no cellular row:\n%s", b.String())
	}
}
