package pipeline

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/dsp/synth"
	"github.com/rfwarden/rfwarden/sensor"
)

// TestSeedRefFloors: SeedRefFloors keeps the usable references, names
// each one it skips, and does nothing with the reference off; RefFloors
// returns them ordered by centre, rate and gain, as copies.
func TestSeedRefFloors(t *testing.T) {
	floor := func(n int, v float64) []float64 {
		f := make([]float64, n)
		for i := range f {
			f[i] = v
		}
		return f
	}
	refs := []RefFloor{
		{CenterHz: 2350e6, SampleRateHz: 10e6, GainDB: 30, FloorDBFS: floor(1024, -90)},
		{CenterHz: 905e6, SampleRateHz: 10e6, GainDB: 40, FloorDBFS: floor(1024, -80)},
		{CenterHz: 905e6, SampleRateHz: 10e6, GainDB: 30, FloorDBFS: floor(1024, -85)},
		{CenterHz: 905e6, SampleRateHz: 10e6, GainDB: 30, FloorDBFS: floor(1024, -85)}, // repeated
		{CenterHz: 905e6, SampleRateHz: 0, GainDB: 30, FloorDBFS: floor(1024, -85)},
		{CenterHz: math.NaN(), SampleRateHz: 10e6, GainDB: 30, FloorDBFS: floor(1024, -85)},
		{CenterHz: 905e6, SampleRateHz: 10e6, GainDB: math.Inf(1), FloorDBFS: floor(1024, -85)},
		{CenterHz: 905e6, SampleRateHz: 10e6, GainDB: 20, FloorDBFS: floor(8, -85)},
		{CenterHz: 905e6, SampleRateHz: 10e6, GainDB: 20, FloorDBFS: append(floor(1023, -85), math.NaN())},
		{CenterHz: 905e6, SampleRateHz: 10e6, GainDB: 20, FloorDBFS: append(floor(1023, -85), -500)},
	}
	p := New(Config{RefFloorOverDB: 6})
	err := p.SeedRefFloors(refs)
	for _, want := range []string{"reference floor 3: 905000000 Hz at 10000000 sps and 30 dB: already has one",
		"reference floor 4: sample rate 0 Hz", "reference floor 5: centre NaN Hz", "reference floor 6: gain +Inf dB",
		"reference floor 7: 8 bins, want 16 to 65536", "reference floor 8: bin 1023 is NaN dBFS", "reference floor 9: bin 1023 is -500 dBFS"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("SeedRefFloors error %v, want it to name %q", err, want)
		}
	}
	got := p.RefFloors()
	if len(got) != 3 {
		t.Fatalf("RefFloors: %d, want 3", len(got))
	}
	for i, want := range [][3]float64{{905e6, 10e6, 30}, {905e6, 10e6, 40}, {2350e6, 10e6, 30}} {
		if g := got[i]; g.CenterHz != want[0] || g.SampleRateHz != want[1] || g.GainDB != want[2] {
			t.Errorf("RefFloors[%d]: %v Hz, %v sps, %v dB; want %v", i, g.CenterHz, g.SampleRateHz, g.GainDB, want)
		}
	}
	got[0].FloorDBFS[0] = 0
	if p.RefFloors()[0].FloorDBFS[0] != -85 {
		t.Error("RefFloors returned the pipeline's own slice, not a copy")
	}
	off := New(Config{})
	if err := off.SeedRefFloors(refs[:1]); err != nil || len(off.RefFloors()) != 0 {
		t.Errorf("reference off: SeedRefFloors %v, %d kept; want nil, 0", err, len(off.RefFloors()))
	}
}

// TestRefFloorSeedsResampled: a reference of another length than the
// detector's NFFT (a sensor whose detector changed) is resampled, seeds
// the tuning's detector (its floor from the first block is the
// reference, not the noise 20 dB over it) and is kept at the new length.
func TestRefFloorSeedsResampled(t *testing.T) {
	const fs = 10e6
	ref := make([]float64, 512)
	for i := range ref {
		ref[i] = -100
	}
	p := New(Config{RefFloorOverDB: 6})
	if err := p.SeedRefFloors([]RefFloor{{CenterHz: 2350e6, SampleRateHz: fs, GainDB: 20, FloorDBFS: ref}}); err != nil {
		t.Fatal(err)
	}
	x := make([]complex64, 4096)
	synth.Noise(x, rand.New(rand.NewPCG(1, 2)), synth.DefaultNoisePower)
	if _, err := p.Process(sensor.Block{Samples: x, CenterHz: 2350e6, SampleRateHz: fs, GainDB: 20, Time: time.Unix(1e9, 0)}, nil); err != nil {
		t.Fatal(err)
	}
	nfft := len(p.NoiseFloorBinsDBFS(nil))
	if nfft == 0 || nfft == len(ref) {
		t.Fatalf("floor of %d bins, want the detector's NFFT, not %d", nfft, len(ref))
	}
	// 512 bins of -100 dBFS are NFFT bins of -100 + 10·log10(512/NFFT)
	want := -100 + 10*math.Log10(float64(len(ref))/float64(nfft))
	if m := p.NoiseFloorDBFS(); math.Abs(m-want) > 0.5 {
		t.Errorf("median floor %.2f dBFS, want the seed's %.2f (resampled to %d bins)", m, want, nfft)
	}
	if r := p.RefFloors(); len(r) != 1 || len(r[0].FloorDBFS) != nfft {
		t.Errorf("reference kept at %d bins, want %d", len(r[0].FloorDBFS), nfft)
	}
}

// BenchmarkProcessRefFloor: what keeping the reference floor costs
// Process per 65536-sample block of a 20 Msps stream (noise, no
// classifier), in CPU time of the one locked thread: two pipelines, with
// and without RefFloorOverDB, take each block in turn. core-ns/sample is
// Process without it, ref-ns/sample what it adds, ref/core their ratio.
func BenchmarkProcessRefFloor(b *testing.B) {
	const fs, n = 20e6, 65536
	x := make([]complex64, 32*n)
	synth.Noise(x, rand.New(rand.NewPCG(1, 2)), synth.DefaultNoisePower)
	benchAddedCost(b, x, n, fs, 20, New(Config{RefFloorOverDB: 6}), New(Config{}), "ref")
}

// TestRefFloorGainChange: a tuning's first reference is learnt at the
// first Block after which its Detector has a floor; after a change of
// gain on the same Detector (the band 10 dB louder at 10 dB more gain),
// the new gain's reference is learnt only once the Detector's floor has a
// history at that gain: the band as it is there (median within 2 dB),
// not the old gain's floor 10 dB under it, which a reference would keep
// for hours since it only rises at 1 dB an hour.
func TestRefFloorGainChange(t *testing.T) {
	const fs, n = 10e6, 65536
	p := New(Config{RefFloorOverDB: 6})
	rng := rand.New(rand.NewPCG(3, 4))
	var first int64
	feed := func(blocks int, gainDB, pow float64) {
		for range blocks {
			x := make([]complex64, n)
			synth.Noise(x, rng, pow)
			if _, err := p.Process(sensor.Block{Samples: x, CenterHz: 2350e6, SampleRateHz: fs, FirstSample: first, GainDB: gainDB}, nil); err != nil {
				t.Fatal(err)
			}
			first += n
		}
	}
	median := func(f []float64) float64 { s := slices.Sorted(slices.Values(f)); return s[len(s)/2] }
	feed(1, 20, 1e-6)
	refs := p.RefFloors()
	if len(refs) != 1 {
		t.Fatalf("after the first Block: %d references, want 1 (learnt as soon as the Detector has a floor)", len(refs))
	}
	c := p.det.Config()
	history := c.FloorBlocks * c.FloorBlockFrames * c.NFFT
	feed(history/n+4, 20, 1e-6)
	quiet := median(p.RefFloors()[0].FloorDBFS)
	feed(2*history/n+8, 30, 1e-5)
	refs = p.RefFloors()
	if len(refs) != 2 || refs[0].GainDB != 20 || refs[1].GainDB != 30 {
		t.Fatalf("references %+v, want gains 20 and 30", refs)
	}
	if got := median(refs[1].FloorDBFS); math.Abs(got-(quiet+10)) > 2 {
		t.Errorf("reference at 30 dB: median %.1f dBFS, want the band at that gain, %.1f (the 20 dB one is %.1f)", got, quiet+10, quiet)
	}
}
