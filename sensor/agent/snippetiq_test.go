package agent

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/dsp/synth"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// imageRejectionDB returns how far the power of x in [loHz, hiHz] lies
// over that in the mirror band [−hiHz, −loHz], dB (Welch, 1024 bins).
func imageRejectionDB(x []complex64, fs, loHz, hiHz float64) float64 {
	const n = 1024
	w := dsp.NewWelch(n, dsp.WindowHann, 0.5)
	w.Write(x)
	psd := w.PSD(nil)
	var sig, img float64
	for k := 1; k < n/2; k++ {
		f := float64(k) * fs / n
		if f >= loHz && f <= hiHz {
			sig += float64(psd[k])
			img += float64(psd[n-k])
		}
	}
	return 10 * math.Log10(sig/img)
}

// readSnippetIQ returns the samples of the snippet name in dir and its
// sample rate.
func readSnippetIQ(t *testing.T, dir, name string) ([]complex64, float64) {
	t.Helper()
	rec, err := sigmf.Open(filepath.Join(dir, name+sigmf.MetaExt))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	x := make([]complex64, rec.NumSamples())
	if n, err := rec.Read(x); err != nil || n != len(x) {
		t.Fatalf("read snippet: %d of %d, %v", n, len(x), err)
	}
	return x, rec.Meta().Global.SampleRateHz
}

// TestSnippetFallbackIQCorrected: an evidence snippet is cut from the
// pipeline's ring, which holds the samples with the receiver's IQ
// imbalance undone; when the ring no longer holds the emission's span (a
// time gap ended it and the ring started again), the snippet was cut
// from the Block as received, image and all. A UMTS carrier at +2.5 MHz,
// 50 dB over the noise in its 5 MHz, with 2 dB and 5° of imbalance (image
// 18.2 dB under it), in 65536-sample blocks at 10 Msps: the emission the
// time gap flushes takes the fallback, the one flushed at the end the
// ring; both snippets must keep the whole capture and read the same image
// rejection, within 3 dB (the estimates of the two stretches scatter by
// that), over 35 dB (the Block reads 18.2; the fallback read that before).
func TestSnippetFallbackIQCorrected(t *testing.T) {
	const (
		fs, tune = 10e6, 2140e6
		block    = 65536
		blocks   = 8 // per stretch
	)
	x := make([]complex64, 2*blocks*block)
	synth.Noise(x, rand.New(rand.NewPCG(3, 4)), synth.DefaultNoisePower)
	synth.UMTS(x, synth.Params{SampleRateHz: fs, OffsetHz: 2.5e6, SNRDB: 50, Seed: 5})
	synth.Apply(x, synth.Artefacts{IQGainImbalanceDB: 2, IQPhaseDeg: 5}, nil)
	rawDB := imageRejectionDB(x, fs, 0.5e6, 4.5e6)

	dir := t.TempDir()
	s := &snippets{dir: dir, sensor: "s1", site: "site1", maxCount: 10, maxBytes: 1 << 30, dur: 20 * time.Millisecond}
	p := pipeline.New(pipeline.Config{})
	var names []string
	var paths []string
	for i := range 2 * blocks {
		first := i * block
		at := simStart.Add(time.Duration(float64(first) / fs * float64(time.Second)))
		if i >= blocks {
			at = at.Add(time.Second) // the second stretch: a capture one second later
		}
		b := sensor.Block{Samples: x[first : first+block], CenterHz: tune, SampleRateHz: fs,
			FirstSample: int64(first), Time: at, GainDB: 30, Device: "hackrf"}
		res, err := p.Process(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		if i == 2*blocks-1 {
			res = p.Flush(res)
		}
		for j := range res {
			r := &res[j]
			if r.BandwidthHz < 3e6 {
				continue // not the carrier
			}
			maxN := int64(s.dur.Seconds() * fs)
			from := r.Em.StartSample - maxN/4
			inRing, _ := p.IQ(nil, from, from+maxN)
			path := "ring"
			if len(inRing) == 0 {
				path = "fallback"
			}
			name, err := s.save(b, r, DetectionID("s1", testBoot, r.Em.StartSample, int64(len(names))), p)
			if err != nil || name == "" {
				t.Fatalf("snippet of %s path not saved: %q, %v", path, name, err)
			}
			names, paths = append(names, name), append(paths, path)
		}
	}
	if len(names) != 2 || paths[0] != "fallback" || paths[1] != "ring" {
		t.Fatalf("snippets cut by %v, want one from the Block (fallback) then one from the ring", paths)
	}
	var got [2]float64
	for i, name := range names {
		y, rate := readSnippetIQ(t, dir, name)
		if rate != fs {
			t.Fatalf("%s snippet at %v sps, want the whole capture's %v", paths[i], rate, fs)
		}
		got[i] = imageRejectionDB(y, fs, 0.5e6, 4.5e6)
	}
	t.Logf("image rejection: as received %.1f dB, fallback snippet %.1f dB, ring snippet %.1f dB", rawDB, got[0], got[1])
	if rawDB > 20 {
		t.Fatalf("the Block reads %.1f dB of image rejection: the imbalance was not applied", rawDB)
	}
	for i, db := range got {
		if db < 35 {
			t.Errorf("%s snippet: image %.1f dB under the carrier, want over 35 dB (corrected)", paths[i], db)
		}
	}
	if math.Abs(got[0]-got[1]) > 3 {
		t.Errorf("fallback snippet's image rejection %.1f dB, ring's %.1f dB: want the same within 3 dB", got[0], got[1])
	}
}
