package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/dsp/classify"
	"github.com/rfwarden/rfwarden/dsp/synth"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/replay"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmfschema"
)

// bandCase is one capture of TestSnippetKeepsItsEmissionsBand: a
// triggering emission (gen at offsetHz from tuneHz) and, elsewhere in the
// capture, another person's transmission (other at otherHz) that the
// snippet must not keep.
type bandCase struct {
	name            string
	tuneHz, rateHz  float64
	gen             synth.Generator
	p               synth.Params
	other           synth.Generator // nil: none
	otherHz         float64         // offset from tuneHz
	wantClass       string
	anyHop          bool    // a hopper: any detection of wantClass will do, wherever it hops
	wantRateBelowHz float64 // the snippet's rate is at most this (the capture's: kept whole)
}

// bandCases are the classes the demo's simulator produces snippets of
// (GSM, LTE and NR uplinks, drone video and DroneID, RC hops), at the
// demo's 10 Msps (an LTE uplink the classifiers do not tell from NR is
// "cellular", as in the demo), and a staff radio (narrow; not alertable, so the sensor
// saves none, but the narrow path is exercised).
func bandCases() []bandCase {
	const fs = 10e6
	return []bandCase{
		{name: "gsm uplink", tuneHz: 902e6, rateHz: fs, gen: synth.GSM, p: synth.Params{OffsetHz: 0.4e6, SNRDB: 20},
			other: synth.GSM, otherHz: -3e6, wantClass: event.ClassGSM, wantRateBelowHz: 1.1e6},
		{name: "lte uplink 1.4 MHz at 20 Msps", tuneHz: 847e6, rateHz: 2 * fs, gen: synth.LTE, p: synth.Params{OffsetHz: -2e6, SNRDB: 20, BandwidthHz: 1.4e6},
			other: synth.GSM, otherHz: 3.5e6, wantClass: classify.ClassCellular, wantRateBelowHz: 6.7e6},
		{name: "lte uplink 5 MHz", tuneHz: 847e6, rateHz: fs, gen: synth.LTE, p: synth.Params{SNRDB: 20, BandwidthHz: 5e6},
			wantClass: classify.ClassCellular, wantRateBelowHz: fs},
		{name: "lte uplink 5 MHz at 20 Msps", tuneHz: 847e6, rateHz: 2 * fs, gen: synth.LTE, p: synth.Params{OffsetHz: 1e6, SNRDB: 20, BandwidthHz: 5e6},
			other: synth.GSM, otherHz: -7e6, wantClass: classify.ClassCellular, wantRateBelowHz: fs},
		{name: "nr uplink 5 MHz at 20 Msps", tuneHz: 3550e6, rateHz: 2 * fs, gen: synth.NR, p: synth.Params{OffsetHz: -2e6, SNRDB: 20, BandwidthHz: 5e6},
			wantClass: event.ClassNR, wantRateBelowHz: fs},
		{name: "gsm uplink, weak", tuneHz: 902e6, rateHz: fs, gen: synth.GSM, p: synth.Params{OffsetHz: -1.6e6, SNRDB: 8},
			wantClass: event.ClassGSM, wantRateBelowHz: 1.1e6},
		{name: "nr uplink", tuneHz: 3550e6, rateHz: fs, gen: synth.NR, p: synth.Params{SNRDB: 20, BandwidthHz: 20e6},
			wantClass: event.ClassNR, wantRateBelowHz: fs},
		{name: "droneid", tuneHz: 2429.5e6, rateHz: fs, gen: synth.DroneID, p: synth.Params{SNRDB: 20},
			wantClass: event.ClassDroneID, wantRateBelowHz: fs},
		{name: "drone video", tuneHz: 5760e6, rateHz: fs, gen: synth.DroneVideo, p: synth.Params{SNRDB: 20, BandwidthHz: 10e6},
			wantClass: event.ClassDroneVideo, wantRateBelowHz: fs},
		{name: "rc hop", tuneHz: 2440e6, rateHz: fs, gen: synth.RCFHSS, p: synth.Params{SNRDB: 20, HopSpanHz: 6e6},
			wantClass: event.ClassRCFHSS, anyHop: true, wantRateBelowHz: 2.6e6},
		{name: "staff radio", tuneHz: 390e6, rateHz: fs, gen: synth.Narrowband, p: synth.Params{OffsetHz: 1.2e6, SNRDB: 25},
			other: synth.Narrowband, otherHz: 2.5e6, wantRateBelowHz: 1.3e6},
	}
}

// runCapture runs x (at tc's tuning) through a pipeline with the default
// classifier in 65536-sample blocks and saves, into s, the snippet of the
// first detection of the wanted class whose band holds tc's emission; it
// returns the detection and the snippet's name ("" when none).
func runCapture(t *testing.T, tc bandCase, x []complex64, s *snippets) (pipeline.Result, string) {
	t.Helper()
	p := pipeline.New(pipeline.Config{Classifier: pipeline.DefaultClassifier()})
	const block = 65536
	var seen []string
	for first := 0; first < len(x); first += block {
		b := sensor.Block{Samples: x[first:min(first+block, len(x))], CenterHz: tc.tuneHz, SampleRateHz: tc.rateHz,
			FirstSample: int64(first), Time: simStart.Add(time.Duration(float64(first) / tc.rateHz * float64(time.Second))),
			GainDB: 30, Device: "sim"}
		res, err := p.Process(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		if first+block >= len(x) {
			res = p.Flush(res)
		}
		for _, r := range res {
			seen = append(seen, fmt.Sprintf("%s %.3f-%.3f MHz", r.Label.Class, r.FreqLowHz/1e6, r.FreqHighHz/1e6))
			em := tc.tuneHz + tc.p.OffsetHz
			if r.Label.Class != tc.wantClass || !tc.anyHop && (em < r.FreqLowHz-50e3 || em > r.FreqHighHz+50e3) {
				continue
			}
			name, err := s.save(b, &r, DetectionID("s1", testBoot, r.Em.StartSample, 1), p)
			if err != nil {
				t.Fatal(err)
			}
			return r, name
		}
	}
	t.Fatalf("no %q detection at %.3f MHz; saw %v", tc.wantClass, (tc.tuneHz+tc.p.OffsetHz)/1e6, seen)
	return pipeline.Result{}, ""
}

// replaySnippet runs the snippet at metaPath through a fresh pipeline with
// the default classifier, seeded with the floor it carries, as the
// dashboard's replay and `rfwarden scan` do.
func replaySnippet(t *testing.T, metaPath string) []pipeline.Result {
	t.Helper()
	rec, err := sigmf.Open(metaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	p := pipeline.New(pipeline.Config{Classifier: pipeline.DefaultClassifier()})
	if _, err := p.SeedFloors(rec.Meta()); err != nil {
		t.Fatalf("SeedFloors: %v", err)
	}
	src := replay.New(rec, replay.Options{})
	var res []pipeline.Result
	for {
		b, err := src.Next(context.Background())
		if err != nil {
			break
		}
		if res, err = p.Process(b, res); err != nil {
			t.Fatal(err)
		}
	}
	return p.Flush(res)
}

// TestSnippetKeepsItsEmissionsBand: a snippet keeps its emission's band
// (with a guard of noise beside it), not the whole tuning: a 312.5 kHz
// GSM uplink in a 10 Msps capture is kept at 1 Msps, and another phone
// 3 MHz away is not in it. Replayed through the pipeline (seeded with the
// floor it carries), the snippet still yields its emission with the same
// class, for every class the demo saves snippets of; one whose emission
// fills the capture keeps the whole capture and says why. The metadata
// passes the SigMF schema and names the capture it was cut from.
func TestSnippetKeepsItsEmissionsBand(t *testing.T) {
	for i, tc := range bandCases() {
		t.Run(tc.name, func(t *testing.T) {
			n := int(60e-3 * tc.rateHz)
			x := make([]complex64, n)
			synth.Noise(x, rand.New(rand.NewPCG(uint64(i), 7)), synth.DefaultNoisePower)
			tc.p.SampleRateHz, tc.p.Seed = tc.rateHz, uint64(i+1)
			tc.gen(x, tc.p)
			if tc.other != nil {
				tc.other(x, synth.Params{SampleRateHz: tc.rateHz, OffsetHz: tc.otherHz, SNRDB: 25, Seed: 99})
			}
			if tc.wantClass == "" {
				// the staff radio: whatever the classifier calls it
				tc.wantClass = classOf(t, tc, x)
			}
			dir := t.TempDir()
			s := &snippets{dir: dir, sensor: "s1", site: "site1", maxCount: 10, maxBytes: 1 << 30, dur: 50 * time.Millisecond}
			r, name := runCapture(t, tc, x, s)
			if name == "" {
				t.Fatal("snippet not saved")
			}
			metaPath := filepath.Join(dir, name+sigmf.MetaExt)
			m := readSnippetMeta(t, metaPath)
			fi, err := os.Stat(filepath.Join(dir, name+sigmf.DataExt))
			if err != nil {
				t.Fatal(err)
			}
			g, c := m.Global, m.Captures[0]
			t.Logf("%s %.3f-%.3f MHz (%.0f kHz): snippet %.3f Msps at %.4f MHz, %d bytes (the whole capture: %d)",
				r.Label.Text, r.FreqLowHz/1e6, r.FreqHighHz/1e6, (r.FreqHighHz-r.FreqLowHz)/1e3,
				g.SampleRateHz/1e6, c.FrequencyHz/1e6, fi.Size(), int64(50e-3*tc.rateHz)*8)
			if g.SampleRateHz > tc.wantRateBelowHz {
				t.Errorf("snippet at %.3f Msps of a %.3f Msps capture, want ≤ %.3f (its emission's band and a guard)",
					g.SampleRateHz/1e6, tc.rateHz/1e6, tc.wantRateBelowHz/1e6)
			}
			rate, okR := jsonFloat(g.Extra[CaptureRateKey])
			center, okC := jsonFloat(g.Extra[CaptureCenterKey])
			if !okR || !okC || rate != tc.rateHz || center != tc.tuneHz {
				t.Errorf("%s, %s: %v, %v; want the capture's %v, %v", CaptureRateKey, CaptureCenterKey, g.Extra[CaptureRateKey], g.Extra[CaptureCenterKey], tc.rateHz, tc.tuneHz)
			}
			_, filtered := g.Extra[BandFilterKey]
			if kept := g.SampleRateHz < tc.rateHz; filtered != kept {
				t.Errorf("%s present %v, want %v (band-limited: %v)", BandFilterKey, filtered, kept, kept)
			}
			a := m.Annotations[0]
			lo, hi := c.FrequencyHz-g.SampleRateHz/2, c.FrequencyHz+g.SampleRateHz/2
			if filtered && !(a.FreqLowerHz >= lo && a.FreqUpperHz <= hi) {
				t.Errorf("annotation %.4f-%.4f MHz outside the snippet's band %.4f-%.4f MHz", a.FreqLowerHz/1e6, a.FreqUpperHz/1e6, lo/1e6, hi/1e6)
			}
			if tc.other != nil {
				if f := tc.tuneHz + tc.otherHz; f > lo && f < hi {
					t.Errorf("the other transmitter at %.3f MHz is inside the snippet's band %.3f-%.3f MHz", f/1e6, lo/1e6, hi/1e6)
				}
			}
			res := replaySnippet(t, metaPath)
			var match *pipeline.Result
			for k, q := range res {
				if q.Em.StartSample < a.SampleStart+a.SampleCount && q.Em.EndSample() > a.SampleStart &&
					q.CenterHz > a.FreqLowerHz && q.CenterHz < a.FreqUpperHz {
					if match == nil || q.Em.SampleCount > match.Em.SampleCount {
						match = &res[k]
					}
				}
			}
			if match == nil {
				t.Fatalf("replay of the snippet: %d detections, none of the annotated emission (%v)", len(res), res)
			}
			if match.Label.Class != r.Label.Class {
				t.Errorf("replay labels the emission %q, the sensor %q", match.Label.Text, r.Label.Text)
			}
			if tc.other != nil {
				for _, q := range res {
					if math.Abs(q.CenterHz-(tc.tuneHz+tc.otherHz)) < 200e3 {
						t.Errorf("replay finds the other transmitter: %s at %.3f MHz", q.Label.Text, q.CenterHz/1e6)
					}
				}
			}
		})
	}
}

// classOf is the class the default classifier gives the first detection
// of tc's emission in x.
func classOf(t *testing.T, tc bandCase, x []complex64) string {
	p := pipeline.New(pipeline.Config{Classifier: pipeline.DefaultClassifier()})
	res, err := p.Process(sensor.Block{Samples: x, CenterHz: tc.tuneHz, SampleRateHz: tc.rateHz}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Flush(res) {
		if em := tc.tuneHz + tc.p.OffsetHz; em >= r.FreqLowHz-10e3 && em <= r.FreqHighHz+10e3 {
			return r.Label.Class
		}
	}
	t.Fatalf("no detection of the emission at %.4f MHz", (tc.tuneHz+tc.p.OffsetHz)/1e6)
	return ""
}

// jsonFloat is v, a JSON number as sigmf.ReadMeta reads it, as a float64.
func jsonFloat(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

// TestPlanSnippetBand: the band a snippet keeps of its capture, for
// emissions of each kind and place: a guard of the emission's width on
// each side (or 500 kHz in all) at an integer decimation, centred on the
// emission (a narrow one 1/32 of the kept rate above DC, clear of the
// detector's DC notch), slid inside the capture near its edge; the whole
// capture for one at the capture's edge (a replay must see it cut there
// too), one too wide for a guard, or one with no band.
func TestPlanSnippetBand(t *testing.T) {
	const fs, tune = 10e6, 900e6
	for _, tc := range []struct {
		name             string
		loHz, hiHz, bwHz float64 // offsets from tune; bwHz with lo = hi = centre
		wantFactor       int
		wantShiftHz      float64
		wantWhy          string
	}{
		{"gsm 312.5 kHz", 273.4e3, 585.9e3, 0, 10, 429.65e3, ""},
		{"narrow 16 kHz", 1.192e6, 1.208e6, 0, 20, 1.192e6 - 500e3/32, ""},
		{"narrow, one 78 kHz bin", 1.133e6, 1.211e6, 0, 20, 1.133e6 - 500e3/32, ""},
		{"1 MHz near the edge: slid inside", 3.4e6, 4.4e6, 0, 3, 5e6 - fs/3/2, ""},
		{"centre and bandwidth only", 2e6, 2e6, 200e3, 16, 2e6, ""},
		{"at the capture's edge", 4.6e6, 4.9e6, 0, 1, 0, "edge"},
		{"wider than half the capture", -2.5e6, 2.5e6, 0, 1, 0, "more than half"},
		{"wider than the capture", -5e6, 5e6, 0, 1, 0, "edge"},
		{"no band", 0, 0, 0, 1, 0, "no band"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &pipeline.Result{FreqLowHz: tune + tc.loHz, FreqHighHz: tune + tc.hiHz, BandwidthHz: tc.bwHz, CenterHz: tune + tc.loHz}
			if tc.loHz == tc.hiHz {
				r.FreqLowHz, r.FreqHighHz = 0, 0
			}
			b := planSnippetBand(fs, tune, r)
			if b.factor != tc.wantFactor || math.Abs(b.shiftHz-tc.wantShiftHz) > 1 || !strings.Contains(b.why, tc.wantWhy) {
				t.Fatalf("factor %d, shift %.0f Hz, why %q; want %d, %.0f, %q", b.factor, b.shiftHz, b.why, tc.wantFactor, tc.wantShiftHz, tc.wantWhy)
			}
			if b.rateHz*float64(b.factor) != fs || b.centerHz != tune+b.shiftHz {
				t.Errorf("rate %.0f × %d, centre %.0f: want the capture's %.0f and its centre + shift", b.rateHz, b.factor, b.centerHz, fs)
			}
			if b.factor == 1 {
				return
			}
			lo, hi := tc.loHz, tc.hiHz
			if lo == hi {
				lo, hi = lo-tc.bwHz/2, hi+tc.bwHz/2
			}
			// the emission within the flat passband less a margin; the kept
			// band inside the capture; DC of the snippet outside a narrow one
			if lo < b.shiftHz-snippetEdgeFrac*b.rateHz || hi > b.shiftHz+snippetEdgeFrac*b.rateHz {
				t.Errorf("emission %.0f..%.0f Hz outside ±%.0f Hz of the kept centre %.0f", lo, hi, snippetEdgeFrac*b.rateHz, b.shiftHz)
			}
			if b.shiftHz-b.rateHz/2 < -fs/2 || b.shiftHz+b.rateHz/2 > fs/2 {
				t.Errorf("kept band %.0f ± %.0f Hz sticks out of the capture", b.shiftHz, b.rateHz/2)
			}
			if 3*(hi-lo) < snippetMinKeepHz && lo-b.shiftHz < b.rateHz/32-1 {
				t.Errorf("narrow emission %.0f..%.0f Hz within %.0f Hz of the snippet's DC (%.0f)", lo, hi, b.rateHz/32, b.shiftHz)
			}
		})
	}
}

// TestSnippetBandFloor: the detector's floor is carried over the kept band
// only, at its own bin width: white noise at -60 dBFS per 78.125 kHz bin
// (128 bins at 10 Msps) is -60 + 10·log10(62.5/78.125) = -60.97 dBFS per
// 62.5 kHz bin of a 1 MHz band; a spur in one source bin stays at its
// frequency with its power.
func TestSnippetBandFloor(t *testing.T) {
	src := make([]float64, 128)
	for i := range src {
		src[i] = -60
	}
	spur := 64 + 5 // 390.625 kHz above DC
	src[spur] = -30
	b := snippetBand{factor: 10, rateHz: 1e6, shiftHz: 429.65e3, capRateHz: 10e6, capCenterHz: 900e6}
	out := b.floor(src)
	if len(out) != 16 {
		t.Fatalf("%d bins, want 16 (62.5 kHz, as fine as the source's 78.125 kHz)", len(out))
	}
	outHz := b.rateHz / 16
	var tot float64
	peak := 0
	for j, v := range out {
		f := b.shiftHz - b.rateHz/2 + (float64(j)+0.5)*outHz
		if math.Abs(f-390.625e3) > 78.125e3 && math.Abs(v-(-60.97)) > 0.01 {
			t.Errorf("bin %d (%.0f Hz): %.3f dBFS, want -60.97", j, f, v)
		}
		if v > out[peak] {
			peak = j
		}
		tot += math.Pow(10, v/10)
	}
	if f := b.shiftHz - b.rateHz/2 + (float64(peak)+0.5)*outHz; math.Abs(f-390.625e3) > 78.125e3/2+outHz/2 {
		t.Errorf("spur's bin at %.0f Hz, want within a bin of 390625", f)
	}
	// the band holds 1 MHz of -60 dBFS/78.125 kHz noise and the spur's excess
	want := 1e6/78.125e3*1e-6 + (1e-3 - 1e-6)
	if math.Abs(10*math.Log10(tot/want)) > 0.01 {
		t.Errorf("total power %.4g, want %.4g (the source's over the band)", tot, want)
	}
	if whole := (snippetBand{factor: 1}).floor(src); &whole[0] != &src[0] {
		t.Error("the whole capture's floor is not the detector's own")
	}
}

// readSnippetMeta reads a snippet's SigMF metadata, reporting (not
// stopping at) a failure of the official SigMF schema.
func readSnippetMeta(t *testing.T, metaPath string) sigmf.Meta {
	t.Helper()
	if err := sigmfschema.CheckFile(metaPath); err != nil {
		t.Errorf("snippet metadata fails the SigMF schema: %v", err)
	}
	m, err := sigmf.ReadMeta(metaPath)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
