package dsp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestRefFloorUpdate: the reference falls at once to a lower floor, rises
// at most RiseDBPerHour·dt towards a higher one, and not at all in a busy
// bin; nil ref starts at the floor.
func TestRefFloorUpdate(t *testing.T) {
	r, err := NewRefFloor(2) // 2 dB per hour
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		ref   []float64
		floor []float64
		busy  []bool
		dt    time.Duration
		want  []float64
	}{
		{"nil ref: the floor", nil, []float64{-80, -70}, nil, time.Hour, []float64{-80, -70}},
		{"falls at once", []float64{-80, -80}, []float64{-85, -80.5}, nil, time.Second, []float64{-85, -80.5}},
		{"falls at once when busy", []float64{-80}, []float64{-90}, []bool{true}, time.Second, []float64{-90}},
		{"rises 2 dB in an hour", []float64{-80}, []float64{-70}, nil, time.Hour, []float64{-78}},
		{"rises 1 dB in 30 min", []float64{-80}, []float64{-70}, nil, 30 * time.Minute, []float64{-79}},
		{"rises no further than the floor", []float64{-80}, []float64{-79.5}, nil, time.Hour, []float64{-79.5}},
		{"busy: kept", []float64{-80, -80}, []float64{-70, -70}, []bool{true, false}, time.Hour, []float64{-80, -78}},
		{"negative dt: kept", []float64{-80}, []float64{-70}, nil, -time.Hour, []float64{-80}},
		{"NaN ref: the floor", []float64{math.NaN()}, []float64{-70}, nil, time.Second, []float64{-70}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := r.Update(nil, tc.ref, tc.floor, tc.busy, tc.dt)
			for i := range tc.want {
				if math.Abs(got[i]-tc.want[i]) > 1e-9 {
					t.Errorf("bin %d: got %v dBFS, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
	// in place
	ref := []float64{-80, -80}
	if got := r.Update(ref, ref, []float64{-90, -60}, nil, time.Hour); &got[0] != &ref[0] || ref[0] != -90 || ref[1] != -78 {
		t.Errorf("in place: got %v, want [-90 -78] in ref", ref)
	}
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1)} {
		if _, err := NewRefFloor(bad); err == nil {
			t.Errorf("NewRefFloor(%v): no error", bad)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Update with a 1-bin ref for a 2-bin floor did not panic")
		}
	}()
	r.Update(nil, []float64{-80}, []float64{-80, -80}, nil, time.Second)
}

// carrierIQ returns noise of power noisePow with a gap-free noise-like
// carrier over [loHz, hiHz] of a band of fsHz, snrDB over the noise in its
// own bandwidth, on from the first sample.
func carrierIQ(seed uint64, n int, fsHz, noisePow, loHz, hiHz, snrDB float64) []complex64 {
	rng := rand.New(rand.NewPCG(seed, 8))
	x := noiseIQ(rng, n, noisePow)
	if snrDB < -100 {
		return x
	}
	sig := noiseIQ(rng, n, 1)
	f := NewFFT(n)
	spec := f.Coefficients(nil, sig)
	for k := range spec {
		if off := float64((k+n/2)%n-n/2) * fsHz / float64(n); off < loHz || off > hiHz {
			spec[k] = 0
		}
	}
	sig = f.Sequence(nil, spec)
	var p float64
	for _, v := range sig {
		p += float64(real(v)*real(v) + imag(v)*imag(v))
	}
	g := math.Sqrt(noisePow * (hiHz - loHz) / fsHz * math.Pow(10, snrDB/10) / (p / float64(n)))
	for i, v := range sig {
		x[i] += v * complex(float32(g), 0)
	}
	return x
}

// lateOnShare is the share of the 8192-sample windows (0.8 ms at 10 Msps)
// of the second half of n samples in which a burst of an emission of ems
// that reaches into [loHz, hiHz] is on.
func lateOnShare(ems []Emission, n int, loHz, hiHz float64) float64 {
	const win = 8192
	on := make([]bool, n/win)
	for _, e := range ems {
		if e.FreqHighHz < loHz || e.FreqLowHz > hiHz {
			continue
		}
		for _, b := range e.Bursts {
			for w := b.StartSample / win; w < int64(len(on)) && w*win < b.StartSample+b.SampleCount; w++ {
				on[w] = true
			}
		}
	}
	var cnt int
	for _, v := range on[len(on)/2:] {
		if v {
			cnt++
		}
	}
	return float64(cnt) / float64(len(on)-len(on)/2)
}

// TestSetFloorReferenceDBFS: a gap-free carrier on from the first sample
// at 10 dB in its 1.5 MHz of a 10 Msps band is learnt into the floor up
// to FloorCapDB (10 dB) and lost; with the reference floor of the quiet
// band (the floor a detector learnt from noise alone) and a bound 6 dB
// over it, it stays detected in nearly every 0.8 ms of the second half of
// 52 ms (4 floor histories). The same quiet band 10 dB louder everywhere
// (a gain change the reference has not seen) raises no false alarm: the
// bound moves with the band's 10th percentile. Noise alone with the
// reference: no emission.
func TestSetFloorReferenceDBFS(t *testing.T) {
	const (
		fs       = 10e6
		n        = 1 << 19
		noisePow = 1e-6
		lo, hi   = 1e6, 2.5e6
	)
	cfg := DetectorConfig{SampleRateHz: fs}
	quiet, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	quiet.Process(carrierIQ(9, 1<<18, fs, noisePow, 0, 0, -200), 0, nil)
	ref := quiet.FloorDBFS(nil)
	if ref == nil {
		t.Fatal("no floor from noise")
	}
	for _, tc := range []struct {
		name         string
		snrDB, gain  float64 // carrier SNR (< -100: none), band gain in dB
		ref          bool
		minOn, maxOn float64 // fraction of the second half's 0.8 ms windows with an emission over the carrier
		maxAny       int     // emissions anywhere, at most (-1: any)
	}{
		{"carrier 10 dB, no reference", 10, 0, false, 0, 0.1, -1},
		{"carrier 10 dB, reference", 10, 0, true, 0.9, 1, -1},
		{"carrier 10 dB 10 dB louder band, reference", 10, 10, true, 0.9, 1, -1},
		{"noise, reference", -200, 0, true, 0, 0, 3},
		{"noise 10 dB louder, reference", -200, 10, true, 0, 0, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDetector(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if tc.ref {
				if err := d.SetFloorReferenceDBFS(ref, 6); err != nil {
					t.Fatal(err)
				}
			}
			x := carrierIQ(5, n, fs, noisePow*math.Pow(10, tc.gain/10), lo, hi, tc.snrDB)
			var ems []Emission
			for i := 0; i < n; i += 8192 {
				ems = d.Process(x[i:i+8192], int64(i), ems)
			}
			ems = d.Flush(ems)
			frac := lateOnShare(ems, n, lo, hi)
			t.Logf("carrier on in %.3f of the second half's 0.8 ms windows; %d emissions", frac, len(ems))
			if frac < tc.minOn || frac > tc.maxOn {
				t.Errorf("on in %.3f of the second half's 0.8 ms windows, want %.2f..%.2f", frac, tc.minOn, tc.maxOn)
			}
			if tc.maxAny >= 0 && len(ems) > tc.maxAny {
				t.Errorf("%d emissions on noise, want at most %d", len(ems), tc.maxAny)
			}
		})
	}
	d, _ := NewDetector(cfg)
	nfft := d.Config().NFFT
	for _, tc := range []struct {
		ref  []float64
		over float64
	}{
		{make([]float64, nfft-1), 6},
		{append(make([]float64, nfft-1), math.Inf(-1)), 6},
		{make([]float64, nfft), -1},
		{make([]float64, nfft), math.NaN()},
	} {
		if err := d.SetFloorReferenceDBFS(tc.ref, tc.over); err == nil {
			t.Errorf("SetFloorReferenceDBFS(%d values, over %v): no error", len(tc.ref), tc.over)
		}
	}
}

// TestFloorBusy: bins under an open emission are busy, the others not.
func TestFloorBusy(t *testing.T) {
	const fs, n = 10e6, 1 << 17
	d, err := NewDetector(DetectorConfig{SampleRateHz: fs})
	if err != nil {
		t.Fatal(err)
	}
	x := carrierIQ(3, n, fs, 1e-6, 0, 0, -200)
	d.Process(x, 0, nil)
	nfft := d.Config().NFFT
	if b := d.FloorBusy(nil); len(b) != nfft {
		t.Fatalf("FloorBusy: %d values, want %d", len(b), nfft)
	}
	y := carrierIQ(4, n, fs, 1e-6, 1e6, 2e6, 20)
	d.Process(y[:n/2], n, nil) // the carrier is open at the end
	busy := d.FloorBusy(nil)
	bin := func(hz float64) int { return nfft/2 + int(hz/fs*float64(nfft)) }
	if !busy[bin(1.5e6)] {
		t.Errorf("bin at +1.5 MHz (under the carrier) not busy")
	}
	if busy[bin(-2.5e6)] {
		t.Errorf("bin at -2.5 MHz (noise) busy")
	}
}

func BenchmarkRefFloorUpdate(b *testing.B) {
	for _, n := range []int{256, 1024, 4096} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r, _ := NewRefFloor(1)
			rng := rand.New(rand.NewPCG(1, 2))
			ref, floor, busy := make([]float64, n), make([]float64, n), make([]bool, n)
			for i := range floor {
				ref[i], floor[i], busy[i] = -80, -80+2*rng.NormFloat64(), i%7 == 0
			}
			b.ReportAllocs()
			b.SetBytes(int64(8 * n))
			for b.Loop() {
				r.Update(ref, ref, floor, busy, 10*time.Millisecond)
			}
		})
	}
}

func ExampleRefFloor() {
	r, _ := NewRefFloor(1) // 1 dB per hour
	ref := []float64{-90, -90, -90}
	// half an hour: a quiet bin, one where the floor fell, one under a detected carrier
	ref = r.Update(ref, ref, []float64{-80, -95, -70}, []bool{false, false, true}, 30*time.Minute)
	fmt.Println(ref)
	// Output: [-89.5 -95 -90]
}

// TestFloorReferenceShiftFresh: the band's shift over the reference
// (SetFloorReferenceDBFS's bound moves with it) is kept for a few floor
// updates between measures (refShiftEvery), but measured anew whenever
// the floor may rise band-wide: the first floor after Reset, and the
// update at which the history's oldest group rolls out. The reference is
// set again a few blocks before the band rises (as the pipeline moves it),
// so the measures do not fall on the rollovers by chance. Noise 20 dB
// louder than the reference knew, after a Reset or from the middle of the
// stream, with a bound 10 dB over the reference: the floor's median goes
// from the quiet band's (at most some 3 dB over it as the quiet blocks
// roll out of the history) straight to the loud band's, never stopping
// at the bound a shift measured on the quiet band would set (some 8 dB
// over it).
func TestFloorReferenceShiftFresh(t *testing.T) {
	const (
		fs       = 10e6
		noisePow = 1e-6
		riseDB   = 20
		overDB   = 10
	)
	cfg := DetectorConfig{SampleRateHz: fs}
	quiet, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	quiet.Process(carrierIQ(9, 1<<18, fs, noisePow, 0, 0, -200), 0, nil)
	ref := quiet.FloorDBFS(nil)
	quietDB := quiet.NoiseFloorDBFS()
	loudDB := quietDB + riseDB
	block := quiet.Config().NFFT * quiet.Config().FloorBlockFrames
	history := block * quiet.Config().FloorBlocks
	for _, tc := range []struct {
		name  string
		reset bool
		loudN int // samples of the loud band
	}{
		{"louder after Reset", true, history},
		{"louder from the middle of the stream", false, 3 * history},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDetector(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.SetFloorReferenceDBFS(ref, overDB); err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(7, 7))
			var first int64
			feed := func(n int, pow float64, check func(db float64)) {
				for k := 0; k < n; k += block {
					d.Process(noiseIQ(rng, block, pow), first, nil)
					first += int64(block)
					if db := d.NoiseFloorDBFS(); check != nil && !math.IsNaN(db) {
						check(db)
					}
				}
			}
			feed(history+3*block, noisePow, nil)
			if err := d.SetFloorReferenceDBFS(ref, overDB); err != nil {
				t.Fatal(err)
			}
			feed(3*block, noisePow, nil)
			if d.refAge == 0 {
				t.Fatalf("the shift was just measured (refAge 0): the case cannot tell a stale one")
			}
			if tc.reset {
				d.Reset()
			}
			bad, last := 0, math.NaN()
			feed(tc.loudN, noisePow*math.Pow(10, riseDB/10.0), func(db float64) {
				if db > quietDB+6 && db < loudDB-3 {
					if bad == 0 {
						t.Errorf("floor median %.1f dBFS at sample %d: neither the quiet band's %.1f nor the loud band's %.1f", db, first, quietDB, loudDB)
					}
					bad++
				}
				last = db
			})
			if bad > 0 {
				t.Errorf("%d floor updates between the quiet and the loud band", bad)
			}
			if math.Abs(last-loudDB) > 3 {
				t.Errorf("floor median %.1f dBFS at the end, want the loud band's %.1f", last, loudDB)
			}
		})
	}
}
