package agent

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rfwarden/rfwarden/sensor/config"
)

// gainSynth is a synthSource whose gain the AGC may set.
type gainSynth struct {
	*synthSource
	fakeGain
}

// TestLabelledCountersExistAtStart: rfwarden_revisit_missed_total{band}
// and rfwarden_agc_changes_total{band,direction} appeared at their first
// count, so an increase() rule missed that count. Given two bands, with
// the AGC on and off, expect each configured band's series at 0 from New.
func TestLabelledCountersExistAtStart(t *testing.T) {
	for _, agc := range []bool{false, true} {
		cfg := testConfig(t)
		cfg.Bands = append(cfg.Bands, config.Band{Name: "lte1800", LowHz: 1710e6, HighHz: 1785e6, Dwell: 10 * time.Millisecond,
			Kind: config.KindSweep, MaxRevisit: 2 * time.Second})
		cfg.AGC.Enabled = agc
		reg := prometheus.NewRegistry()
		if _, err := New(cfg, Deps{Source: &gainSynth{synthSource: newSynth(nil, 0)}, Pipeline: &everyPipeline{every: 2}, Registry: reg}); err != nil {
			t.Fatal(err)
		}
		want := `# HELP rfwarden_revisit_missed_total Revisits of a band's tuning later than its max_revisit, per band.
# TYPE rfwarden_revisit_missed_total counter
rfwarden_revisit_missed_total{band="gsm900"} 0
rfwarden_revisit_missed_total{band="lte1800"} 0
`
		names := []string{"rfwarden_revisit_missed_total"}
		if agc {
			want += `# HELP rfwarden_agc_changes_total Gain steps made by the AGC, by band and direction (down, up).
# TYPE rfwarden_agc_changes_total counter
rfwarden_agc_changes_total{band="gsm900",direction="down"} 0
rfwarden_agc_changes_total{band="gsm900",direction="up"} 0
rfwarden_agc_changes_total{band="lte1800",direction="down"} 0
rfwarden_agc_changes_total{band="lte1800",direction="up"} 0
`
			names = append(names, "rfwarden_agc_changes_total")
		}
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
			t.Errorf("agc %v: %v", agc, err)
		}
	}
}
