package agent

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/dsp/synth"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// TestStrongEmissionSnippetKeepsItsBand: a strong emission's snippet keeps
// and annotates its emission's band, not its detected bins. In the demo
// (--speed 4, seed 1) sensor s7 hears the illicit GSM handset at SNR
// 45–51 dB; its detected bins hold the window's leakage (900.24–904.46 MHz
// for a 305 kHz GSM uplink at 45 dB), and until 2026-12-05 every snippet
// it saved kept the whole 10 MHz capture, was annotated 897.1–906.8 MHz
// (one edge outside the capture), said its emission "reaches the
// capture's edge", and replayed as "RC control link, FHSS hop (ISM 915)".
// Now the snippet keeps the occupied band with a guard (1.43 Msps here),
// its annotation holds the emission within a few times its width, inside
// the capture and the snippet's band, and its replay finds the emission
// with the sensor's class, for the demo's 10 ms snippets and the default
// 50 ms. A 20 dB one, whose bins are its band, is kept as before.
func TestStrongEmissionSnippetKeepsItsBand(t *testing.T) {
	for _, tc := range []struct {
		name  string
		snrDB float64
		dur   time.Duration
	}{
		{"20 dB, 10 ms snippet (demo)", 20, 10 * time.Millisecond},
		{"45 dB, 10 ms snippet (demo)", 45, 10 * time.Millisecond},
		{"45 dB, 50 ms snippet (default)", 45, 50 * time.Millisecond},
		{"51 dB, 10 ms snippet (demo)", 51, 10 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bc := bandCase{name: tc.name, tuneHz: 902e6, rateHz: 10e6, gen: synth.GSM,
				p: synth.Params{OffsetHz: 0.4e6, SNRDB: tc.snrDB}, wantClass: event.ClassGSM}
			n := int(60e-3 * bc.rateHz)
			x := make([]complex64, n)
			synth.Noise(x, rand.New(rand.NewPCG(3, 7)), synth.DefaultNoisePower)
			bc.p.SampleRateHz, bc.p.Seed = bc.rateHz, 4
			bc.gen(x, bc.p)
			dir := t.TempDir()
			s := &snippets{dir: dir, sensor: "s1", site: "site1", maxCount: 10, maxBytes: 1 << 30, dur: tc.dur}
			r, name := runCapture(t, bc, x, s)
			if name == "" {
				t.Fatal("snippet not saved")
			}
			metaPath := filepath.Join(dir, name+sigmf.MetaExt)
			m := readSnippetMeta(t, metaPath)
			g, c, a := m.Global, m.Captures[0], m.Annotations[0]
			t.Logf("sensor: %s, %.3f MHz, %.0f kHz (bins %.3f-%.3f MHz); snippet %.3f Msps, annotation %.3f-%.3f MHz",
				r.Label.Text, r.CenterHz/1e6, r.BandwidthHz/1e3, r.FreqLowHz/1e6, r.FreqHighHz/1e6,
				g.SampleRateHz/1e6, a.FreqLowerHz/1e6, a.FreqUpperHz/1e6)
			if w := a.FreqUpperHz - a.FreqLowerHz; !a.HasFreq || w > 4*math.Max(r.BandwidthHz, 200e3) {
				t.Errorf("snippet annotation %.0f kHz wide (has edges: %v) for a %.0f kHz emission", w/1e3, a.HasFreq, r.BandwidthHz/1e3)
			}
			if a.FreqLowerHz > r.CenterHz || a.FreqUpperHz < r.CenterHz {
				t.Errorf("annotation %.4f-%.4f MHz does not hold the emission's centre %.4f MHz", a.FreqLowerHz/1e6, a.FreqUpperHz/1e6, r.CenterHz/1e6)
			}
			if lo, hi := bc.tuneHz-bc.rateHz/2, bc.tuneHz+bc.rateHz/2; a.FreqLowerHz < lo || a.FreqUpperHz > hi {
				t.Errorf("annotation %.4f-%.4f MHz outside the capture %.4f-%.4f MHz", a.FreqLowerHz/1e6, a.FreqUpperHz/1e6, lo/1e6, hi/1e6)
			}
			if lo, hi := c.FrequencyHz-g.SampleRateHz/2, c.FrequencyHz+g.SampleRateHz/2; a.FreqLowerHz < lo || a.FreqUpperHz > hi {
				t.Errorf("annotation %.4f-%.4f MHz outside the snippet's band %.4f-%.4f MHz", a.FreqLowerHz/1e6, a.FreqUpperHz/1e6, lo/1e6, hi/1e6)
			}
			if g.SampleRateHz >= bc.rateHz || strings.Contains(g.Description, "whole") {
				t.Errorf("snippet at %.3f Msps of a %.3f Msps capture, want its emission's band only; description %q",
					g.SampleRateHz/1e6, bc.rateHz/1e6, g.Description)
			}
			res := replaySnippet(t, metaPath)
			found := false
			for _, q := range res {
				if q.Em.StartSample < a.SampleStart+a.SampleCount && q.Em.EndSample() > a.SampleStart &&
					math.Abs(q.CenterHz-r.CenterHz) < 200e3 {
					found = true
					if q.Label.Class != r.Label.Class {
						t.Errorf("replay labels the evidence %q, the sensor %q", q.Label.Text, r.Label.Text)
					}
				}
			}
			if !found {
				t.Errorf("replay found no emission at %.3f MHz (%d detections)", r.CenterHz/1e6, len(res))
			}
		})
	}
}

// TestEmissionBand: the band a snippet keeps and annotates is the
// emission's occupied (99%) band widened by a quarter of its width each
// side, within its detected bins: a strong emission's leakage-wide bins
// give way to its occupied band, a weak one keeps its bins; without an
// occupied band the detected bins, else BandwidthHz around CenterHz. A
// strong GSM uplink at 10 Msps (bins 4.2 MHz, 305 kHz occupied) is kept at
// 10/7 Msps around its band, not whole.
func TestEmissionBand(t *testing.T) {
	const fs, tune = 10e6, 902e6
	for _, tc := range []struct {
		name                   string
		detLo, detHi           float64 // detected bins, Hz from tune (0, 0: none)
		occLo, occHi, centerHz float64 // occupied band and centroid, Hz from tune (0, 0: none)
		bwHz                   float64
		wantLo, wantHi         float64
		wantOK                 bool
		wantFactor             int
	}{
		{"strong: leakage-wide bins", -1.758e6, 2.461e6, 0.25e6, 0.555e6, 0.402e6, 305e3, 0.17375e6, 0.63125e6, true, 7},
		{"weak: its bins", 0.273e6, 0.586e6, 0.3e6, 0.55e6, 0.43e6, 250e3, 0.273e6, 0.586e6, true, 10},
		{"occupied band only", 0, 0, 0.3e6, 0.5e6, 0.4e6, 200e3, 0.25e6, 0.55e6, true, 11},
		{"bins only", 0.273e6, 0.586e6, 0, 0, 0.43e6, 0, 0.273e6, 0.586e6, true, 10},
		{"centre and bandwidth only", 0, 0, 0, 0, 2e6, 200e3, 1.9e6, 2.1e6, true, 16},
		{"nothing", 0, 0, 0, 0, 1e6, 0, 0, 0, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &pipeline.Result{CenterHz: tune + tc.centerHz, BandwidthHz: tc.bwHz}
			if tc.detHi > tc.detLo {
				r.FreqLowHz, r.FreqHighHz = tune+tc.detLo, tune+tc.detHi
			}
			// the detection's DC 100 kHz from the snippet's tuning: the
			// occupied band is placed by CenterHz, not by tune
			const dcHz = 100e3
			r.Em.CenterOffsetHz = tc.centerHz - dcHz
			if tc.occHi > tc.occLo {
				r.Em.OccupiedLowHz, r.Em.OccupiedHighHz = tc.occLo-dcHz, tc.occHi-dcHz
			}
			lo, hi, ok := emissionBand(tune, r)
			if ok != tc.wantOK || math.Abs(lo-tc.wantLo) > 1 || math.Abs(hi-tc.wantHi) > 1 {
				t.Fatalf("band %.0f..%.0f Hz (ok %v), want %.0f..%.0f (%v)", lo, hi, ok, tc.wantLo, tc.wantHi, tc.wantOK)
			}
			b := planSnippetBand(fs, tune, r)
			if b.factor != tc.wantFactor {
				t.Errorf("kept at 1/%d of the capture's rate (%s), want 1/%d", b.factor, b.why, tc.wantFactor)
			}
			if ok && (math.Abs(b.loHz-(tune+lo)) > 1 || math.Abs(b.hiHz-(tune+hi)) > 1) {
				t.Errorf("annotation %.0f..%.0f Hz, want the emission's band %.0f..%.0f", b.loHz, b.hiHz, tune+lo, tune+hi)
			}
		})
	}
}
