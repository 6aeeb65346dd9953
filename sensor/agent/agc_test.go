package agent

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/config"
)

// fakeGain records the gains asked for; it applies them exactly unless
// quantise rounds them down to even dB, as a HackRF's VGA does.
type fakeGain struct {
	asked    []float64
	quantise bool
	fail     error
}

func (f *fakeGain) SetGainDB(g float64) error {
	if f.fail != nil {
		return f.fail
	}
	f.asked = append(f.asked, g)
	return nil
}

func (f *fakeGain) applied(ref float64) float64 {
	if len(f.asked) == 0 {
		return ref
	}
	g := f.asked[len(f.asked)-1]
	if f.quantise {
		g = math.Floor(g/2) * 2
	}
	return g
}

func TestAGCRules(t *testing.T) {
	cfg := config.Default().AGC // clip > 0.05 % in 2 of 8 blocks: -8 dB; 100 blocks below -20 dBFS: +2 dB
	cfg.LowBlocks = 3
	cfg.MinGainDB = 20
	const (
		C = iota // clipping block
		N        // normal block: peak -6 dBFS
		L        // low block: peak -30 dBFS
	)
	stats := map[int]BlockStats{C: {ClipFraction: 0.01, PeakDBFS: 0}, N: {PeakDBFS: -6}, L: {PeakDBFS: -30}}
	for _, tc := range []struct {
		name     string
		refDB    float64
		quantise bool
		blocks   []int
		want     []float64 // gains asked for, in order
	}{
		{"steady", 40, false, []int{N, N, N, N, N, N}, nil},
		{"one clipping block is not enough", 40, false, []int{C, N, N, N, N, N, N, N, N, C}, nil},
		{"persistent clipping steps down", 40, false, []int{C, C, C, C}, []float64{32, 24}},
		{"bursty clipping steps down", 40, false, []int{C, N, N, C}, []float64{32}},
		{"floor at min gain", 30, false, []int{C, C, C, C, C, C}, []float64{22, 20}},
		{"low steps up to the ceiling", 40, false, []int{C, C, L, L, L, L, L, L, L, L, L}, []float64{32, 34, 36, 38}},
		{"never above the gain table's", 40, false, []int{L, L, L, L, L, L}, nil},
		{"hysteresis: normal blocks hold the gain", 40, false, []int{C, C, N, N, N, N, N, N, N, N}, []float64{32}},
		{"quantised source", 41, true, []int{C, C, C, C}, []float64{33, 25}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeGain{quantise: tc.quantise}
			g := NewAGC(cfg, f)
			for i, k := range tc.blocks {
				b := sensor.Block{CenterHz: 900e6, SampleRateHz: 2e6, GainDB: f.applied(tc.refDB)}
				if _, err := g.Observe(b, "b", stats[k]); err != nil {
					t.Fatalf("block %d: %v", i, err)
				}
			}
			if len(f.asked) != len(tc.want) {
				t.Fatalf("asked for %v, want %v", f.asked, tc.want)
			}
			for i := range tc.want {
				if f.asked[i] != tc.want[i] {
					t.Fatalf("asked for %v, want %v", f.asked, tc.want)
				}
			}
			if g.Changes() != int64(len(tc.want)) {
				t.Errorf("Changes() = %d, want %d", g.Changes(), len(tc.want))
			}
		})
	}
}

// TestAGCWaitsForTheNewGain: blocks still at the old gain (captured before
// the change) do not count, so one clipping episode is one step.
func TestAGCWaitsForTheNewGain(t *testing.T) {
	f := &fakeGain{}
	g := NewAGC(config.Default().AGC, f)
	clip := BlockStats{ClipFraction: 0.5}
	old := sensor.Block{CenterHz: 900e6, SampleRateHz: 2e6, GainDB: 40}
	for range 2 {
		g.Observe(old, "b", clip)
	}
	for range 4 { // late blocks at 40 dB while 32 dB was asked for
		g.Observe(old, "b", clip)
	}
	if len(f.asked) != 1 || f.asked[0] != 32 {
		t.Fatalf("asked %v, want one step to 32", f.asked)
	}
	for range 5 { // a source that never applies it: after a window its gain is taken
		g.Observe(old, "b", clip)
	}
	if len(f.asked) != 2 || f.asked[1] != 32 {
		t.Errorf("asked %v, want a second step from the gain the source kept (40 -> 32)", f.asked)
	}
}

func TestAGCRetunedAndPerTuning(t *testing.T) {
	f := &fakeGain{}
	g := NewAGC(config.Default().AGC, f)
	clip := BlockStats{ClipFraction: 0.5}
	a := sensor.Block{CenterHz: 900e6, SampleRateHz: 2e6, GainDB: 40}
	b := sensor.Block{CenterHz: 1800e6, SampleRateHz: 2e6, GainDB: 46}
	g.Observe(a, "gsm", clip)
	g.Observe(b, "dcs", clip) // another tuning: its own history
	g.Observe(a, "gsm", clip)
	if len(f.asked) != 1 || f.asked[0] != 32 {
		t.Fatalf("asked %v, want 32 for the 900 MHz tuning only", f.asked)
	}
	if err := g.Retuned(1800e6, 2e6); err != nil || len(f.asked) != 1 {
		t.Errorf("retune to an untouched tuning asked %v (%v)", f.asked, err)
	}
	if err := g.Retuned(900e6, 2e6); err != nil || len(f.asked) != 2 || f.asked[1] != 32 {
		t.Errorf("retune to 900 MHz asked %v (%v), want 32 again", f.asked, err)
	}
	a.GainDB = 32
	g.Observe(a, "gsm", BlockStats{PeakDBFS: -6})
	if got := g.Gains(); got["gsm"] != 32 || got["dcs"] != 46 {
		t.Errorf("Gains() = %v", got)
	}
	f.fail = errors.New("usb gone")
	if err := g.Retuned(900e6, 2e6); !errors.Is(err, f.fail) {
		t.Errorf("Retuned with a failing source: %v", err)
	}
}

// TestAGCNormalise: a block taken 8 dB below the tuning's reference gain is
// scaled up by 8 dB and labelled with the reference gain, so dBFS - GainDB
// (the calibrated power) is the same at either gain.
func TestAGCNormalise(t *testing.T) {
	g := NewAGC(config.Default().AGC, &fakeGain{})
	ref := sensor.Block{Samples: []complex64{complex(0.1, -0.2)}, CenterHz: 900e6, SampleRateHz: 2e6, GainDB: 40}
	g.Observe(ref, "b", BlockStats{})
	if got := g.Normalise(ref); &got.Samples[0] != &ref.Samples[0] || got.GainDB != 40 {
		t.Errorf("a block at the reference gain was copied or relabelled: %+v", got)
	}
	low := ref
	low.Samples = []complex64{complex(0.1, -0.2)}
	low.GainDB = 32
	got := g.Normalise(low)
	wantScale := math.Pow(10, 8.0/20)
	if got.GainDB != 40 || math.Abs(float64(real(got.Samples[0]))-0.1*wantScale) > 1e-6 ||
		math.Abs(float64(imag(got.Samples[0]))+0.2*wantScale) > 1e-6 {
		t.Errorf("normalised %v at %v dB, want %v at 40 dB", got.Samples[0], got.GainDB, complex(0.1*wantScale, -0.2*wantScale))
	}
	if low.Samples[0] != complex(0.1, -0.2) {
		t.Error("Normalise changed the source's samples")
	}
}

// TestAGCCuring: clipping is the AGC's to cure while it may take gain away
// and the source follows it; at the lowest gain, or with a source that
// keeps its gain, clipping is an overload.
func TestAGCCuring(t *testing.T) {
	cfg := config.Default().AGC
	cfg.MinGainDB = 24
	clip := BlockStats{ClipFraction: 0.5}
	t.Run("steps down to the lowest gain", func(t *testing.T) {
		g := NewAGC(cfg, &fakeGain{})
		b := sensor.Block{CenterHz: 900e6, SampleRateHz: 2e6, GainDB: 40}
		var curing []bool
		for range 8 {
			curing = append(curing, g.Curing(b))
			g.Observe(b, "b", clip)
			b.GainDB = g.tun[agcKey{900e6, 2e6}].wantDB // the source applies it at once
		}
		// 40 and 32 dB may still go lower; 24 dB is the lowest.
		want := []bool{true, true, true, true, false, false, false, false}
		if !slices.Equal(curing, want) {
			t.Errorf("curing %v, want %v", curing, want)
		}
	})
	t.Run("a new tuning at the lowest gain", func(t *testing.T) {
		g := NewAGC(cfg, &fakeGain{})
		if g.Curing(sensor.Block{CenterHz: 900e6, SampleRateHz: 2e6, GainDB: 24}) {
			t.Error("curing at the lowest gain")
		}
	})
	t.Run("a source that keeps its gain", func(t *testing.T) {
		g := NewAGC(cfg, &fakeGain{})
		b := sensor.Block{CenterHz: 900e6, SampleRateHz: 2e6, GainDB: 40}
		for range 2 + agcWindow {
			g.Observe(b, "b", clip)
		}
		if g.Curing(b) {
			t.Errorf("curing after a window at 40 dB while 32 dB was asked for")
		}
		b.GainDB = 32 // it follows after all
		g.Observe(b, "b", BlockStats{})
		if !g.Curing(b) {
			t.Errorf("not curing once the source changed its gain")
		}
	})
}
