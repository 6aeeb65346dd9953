package sim

import (
	"context"
	"math"
	"testing"
	"time"
)

// TestSetGainDBScalesAndClips: a handset 3 m from s7 clips the 8-bit ADC
// at the automatic gain; SetGainDB applies a HackRF gain split from the
// next block, the signal scales with it, and at a low gain nothing clips.
// Tune goes back to the automatic gain.
func TestSetGainDBScalesAndClips(t *testing.T) {
	w := StandardWing(1)
	call, ok := w.FirstSession("phone-gsm-1", 5*time.Second, 4*time.Hour)
	if !ok {
		t.Fatal("phone-gsm-1 makes no call of 5 s in the first 4 hours")
	}
	from := call.Start.Add(time.Second)
	src, err := w.NewSource("s7", SourceOptions{CenterHz: 902e6, SampleRateHz: 2e6, Start: from})
	if err != nil {
		t.Fatal(err)
	}
	auto := AutoGainDB(2e6)
	measure := func() (gainDB, powerDB, clipFrac float64) {
		t.Helper()
		b, err := src.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var s float64
		clipped := 0
		for _, v := range b.Samples {
			re, im := real(v), imag(v)
			s += float64(re*re + im*im)
			if math.Abs(float64(re)) >= 127.0/128 || math.Abs(float64(im)) >= 127.0/128 {
				clipped++
			}
		}
		return b.GainDB, 10 * math.Log10(s/float64(len(b.Samples))), float64(clipped) / float64(len(b.Samples))
	}
	if g, _, clip := measure(); g != auto || clip < 0.001 {
		t.Fatalf("at the automatic gain %v dB: gain %v, clipped %.4f; want clipping", auto, g, clip)
	}
	if err := src.SetGainDB(31); err != nil {
		t.Fatal(err)
	}
	g30, p30, clip30 := measure()
	if g30 != 30 || src.GainDB() != 30 {
		t.Errorf("SetGainDB(31): block gain %v, GainDB() %v; want 30 (LNA 24 + VGA 6)", g30, src.GainDB())
	}
	if clip30 != 0 {
		t.Errorf("at 30 dB %.4f of samples clip, want none", clip30)
	}
	if err := src.SetGainDB(20); err != nil {
		t.Fatal(err)
	}
	g20, p20, _ := measure()
	// 10 dB less gain is 10 dB less power; the handset dominates the block.
	if g20 != 20 || math.Abs((p30-p20)-10) > 1 {
		t.Errorf("30 -> 20 dB: block gain %v, power fell %.2f dB; want 20 dB and 10 ± 1 dB", g20, p30-p20)
	}
	if err := src.SetGainDB(math.NaN()); err == nil {
		t.Error("SetGainDB(NaN) accepted")
	}
	if err := src.Tune(902e6, 2e6); err != nil {
		t.Fatal(err)
	}
	if g, _, _ := measure(); g != auto {
		t.Errorf("after Tune: gain %v, want the automatic %v", g, auto)
	}
}

// TestGainTable: a node config's gain table sets the gain of each tuning,
// split as a HackRF splits it, as hackrfsrc does; a tuning no row covers
// keeps SourceOptions.GainDB, or the automatic gain. (The sim ran every
// tuning at the automatic gain whatever the table said.)
func TestGainTable(t *testing.T) {
	table := func(centerHz float64) (float64, bool) {
		switch {
		case centerHz >= 1e9 && centerHz < 7.25e9:
			return 46, true
		case centerHz >= 400e6 && centerHz < 500e6:
			return 33, true // LNA 32 + VGA 0: the split rounds down to 32
		}
		return 0, false
	}
	tests := []struct {
		name     string
		centerHz float64
		fixedDB  float64 // SourceOptions.GainDB
		want     float64
	}{
		{"row above 1 GHz", 2437e6, 0, 46},
		{"row split as a HackRF", 450e6, 0, 32},
		{"no row: automatic", 902e6, 0, AutoGainDB(2e6)},
		{"no row: the fixed gain", 902e6, 20, 20},
		{"row over the fixed gain", 1800e6, 20, 46},
	}
	w := StandardWing(1)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := w.NewSource("s1", SourceOptions{CenterHz: 2437e6, SampleRateHz: 2e6, BlockSamples: 1000,
				GainDB: tt.fixedDB, GainTable: table})
			if err != nil {
				t.Fatal(err)
			}
			if err := src.Tune(tt.centerHz, 2e6); err != nil {
				t.Fatal(err)
			}
			b, err := src.Next(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if b.GainDB != tt.want || src.GainDB() != tt.want {
				t.Errorf("at %v Hz: block gain %v, GainDB() %v; want %v", tt.centerHz, b.GainDB, src.GainDB(), tt.want)
			}
		})
	}
}
