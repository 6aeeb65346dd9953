package dashboard

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmfschema"
)

// testCapture is one capture of a recording writeCaptures writes: n
// samples of noise (-40 dBFS) at centerHz, at offset at from the start,
// with a -10 dBFS tone toneOffHz from the centre over samples [on, off),
// and, when combSNRDB is not 0, a wide carrier (a comb of tones 5 kHz
// apart over ±220 kHz) combSNRDB over the noise there throughout.
type testCapture struct {
	centerHz  float64
	at        time.Duration
	n         int
	on, off   int
	toneOffHz float64
	combSNRDB float64
}

var testT0 = time.Date(2026, 1, 15, 21, 5, 0, 0, time.UTC)

// writeCaptures writes NAME.sigmf-meta/-data into dir at 1 Msps, with the
// annotations anns, and returns the metadata's path.
func writeCaptures(t testing.TB, dir, name string, caps []testCapture, anns ...sigmf.Annotation) string {
	t.Helper()
	const fs = 1e6
	w, err := sigmf.NewWriter(filepath.Join(dir, name), "cf32_le", fs, caps[0].centerHz, testT0)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, uint64(len(caps))))
	const noise = 0.01 / math.Sqrt2
	for i, c := range caps {
		if i > 0 {
			w.Retune(c.centerHz, testT0.Add(c.at))
		}
		x := make([]complex64, c.n)
		for k := range x {
			x[k] = complex(float32(rng.NormFloat64()*noise), float32(rng.NormFloat64()*noise))
			if k >= c.on && k < c.off {
				ph := 2 * math.Pi * c.toneOffHz / fs * float64(k)
				x[k] += complex(float32(0.3*math.Cos(ph)), float32(0.3*math.Sin(ph)))
			}
		}
		if c.combSNRDB != 0 {
			addComb(rng, x, fs, c.combSNRDB)
		}
		if err := w.Write(x); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range anns {
		w.Annotate(a)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name+sigmf.MetaExt)
}

// TestReplayMultiCapture checks a scanning sensor's recording (demo
// --record): two captures of one tuning seconds apart are not joined into
// one emission; times are the captures' own (seconds from the first
// capture, as rfwarden scan gives them, and the wall time); the
// spectrogram is drawn for one tuning, chosen by CenterHz, and places
// only that tuning's detections; a start can be chosen, and what was not
// analysed is said.
func TestReplayMultiCapture(t *testing.T) {
	dir := t.TempDir()
	const a, b = 915e6, 2440e6
	meta := writeCaptures(t, dir, "heard", []testCapture{
		{a, 0, 100_000, 20_000, 100_000, 300e3, 0},         // on until the capture's end...
		{a, 3 * time.Second, 100_000, 0, 60_000, 300e3, 0}, // ...and from the next one's start, 3 s later
		{b, 3*time.Second + 100*time.Millisecond, 100_000, 20_000, 60_000, -200e3, 0},
	})
	r := newTestReplayer(t, dir)
	res, err := r.Replay(context.Background(), meta, ReplayOptions{MaxRows: 100, MaxCols: 128})
	if err != nil {
		t.Fatal(err)
	}
	tones := func(res ReplayResult, hz float64) (out []ReplayDetection) {
		for _, d := range res.Detections {
			if d.FreqLowHz <= hz && d.FreqHighHz >= hz {
				out = append(out, d)
			}
		}
		return out
	}
	at := tones(res, a+300e3)
	if len(at) != 2 {
		t.Fatalf("%d detections of the tone at %.1f MHz, want 2 (one per capture, 3 s apart): %+v", len(at), (a+300e3)/1e6, at)
	}
	for i, want := range []float64{0.02, 3.0} {
		d := at[i]
		if math.Abs(d.StartS-want) > 2e-3 || d.EndS-d.StartS > 0.085 {
			t.Errorf("tone %d over [%.4f, %.4f] s, want from %.2f s (its capture's time) and at most 80 ms long", i, d.StartS, d.EndS, want)
		}
		if wantT := testT0.Add(time.Duration(want * float64(time.Second))); d.Time.Sub(wantT).Abs() > 2*time.Millisecond {
			t.Errorf("tone %d at %v, want %v", i, d.Time, wantT)
		}
		if !d.OnSpectrogram || d.TuneCenterHz != a {
			t.Errorf("tone %d: tuning %.1f MHz, on the spectrogram %v; want %.1f MHz and on it", i, d.TuneCenterHz/1e6, d.OnSpectrogram, a/1e6)
		}
	}
	// the spectrogram holds tuning a's 200,000 samples: the second tone's
	// capture is its lower half
	if y := at[1].SpecY0; math.Abs(y-0.5) > 0.01 {
		t.Errorf("second tone at y %.3f of the spectrogram, want 0.5 (its capture's first sample)", y)
	}
	sg := res.Spectrogram
	if sg.CenterHz != a || sg.FreqLowHz != a-0.5e6 || sg.FreqHighHz != a+0.5e6 || math.Abs(sg.DurationS-0.2) > 1e-9 {
		t.Errorf("spectrogram of %.1f MHz over [%.1f, %.1f] MHz, %.3f s; want tuning a's band and its 0.2 s", sg.CenterHz/1e6, sg.FreqLowHz/1e6, sg.FreqHighHz/1e6, sg.DurationS)
	}
	if n := len(sg.RowStartS); n != len(sg.RowsDB) || sg.RowStartS[0] != 0 || math.Abs(sg.RowStartS[n-1]-3.098) > 0.003 {
		t.Errorf("row start times %v…, want one per row from 0 to about 3.098 s", sg.RowStartS[:min(3, n)])
	}
	if len(res.Tunings) != 2 || res.Tunings[0].CenterHz != a || res.Tunings[0].Captures != 2 || res.Tunings[1].CenterHz != b {
		t.Errorf("tunings %+v, want %.0f (2 captures) then %.0f", res.Tunings, a, b)
	}
	if bt := tones(res, b-200e3); len(bt) != 1 || bt[0].OnSpectrogram || math.Abs(bt[0].StartS-3.12) > 2e-3 {
		t.Errorf("tone at tuning b: %+v; want one at 3.12 s, not on tuning a's spectrogram", bt)
	}

	// the other tuning's spectrogram
	res, err = r.Replay(context.Background(), meta, ReplayOptions{CenterHz: b})
	if err != nil {
		t.Fatal(err)
	}
	if sg := res.Spectrogram; sg.CenterHz != b || sg.FreqLowHz != b-0.5e6 {
		t.Errorf("center_hz %.0f: spectrogram of %.0f from %.0f Hz", b, sg.CenterHz, sg.FreqLowHz)
	}
	if bt := tones(res, b-200e3); len(bt) != 1 || !bt[0].OnSpectrogram {
		t.Errorf("center_hz %.0f: tone %+v, want it on the spectrogram", b, bt)
	}
	if _, err := r.Replay(context.Background(), meta, ReplayOptions{CenterHz: 100e6}); !errors.Is(err, ErrReplayInput) || !strings.Contains(err.Error(), "center_hz") {
		t.Errorf("a tuning not in the recording: %v, want ErrReplayInput naming center_hz", err)
	}

	// from 2 s on (a gap: the analysis starts with the second capture),
	// 0.15 s of it: the rest is not analysed, and the notes say so
	res, err = r.Replay(context.Background(), meta, ReplayOptions{StartS: 2, MaxSeconds: 0.15})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.AnalysedFromS-3) > 1e-6 || !res.Truncated || len(tones(res, a+300e3)) != 1 {
		t.Errorf("start 2 s: analysed from %.3f s, truncated %v, %d tones at a; want from 3 s (the next capture), truncated, 1",
			res.AnalysedFromS, res.Truncated, len(tones(res, a+300e3)))
	}
	if !hasNote(res, "analysed") {
		t.Errorf("notes %q: want one saying what was analysed", res.Notes)
	}
}

// addComb adds to x (noise of 1e-4) a comb of random-phase tones 5 kHz
// apart over ±220 kHz, snrDB over the noise in that band: a wide carrier
// whose floor, learnt from itself, hides it.
func addComb(rng *rand.Rand, x []complex64, fs, snrDB float64) {
	const lo, hi = -220e3, 220e3
	k := int((hi - lo) / 5e3)
	amp := math.Sqrt(1e-4 * (hi - lo) / fs * math.Pow(10, snrDB/10) / float64(k))
	for j := range k {
		f, ph := lo+(float64(j)+0.5)*5e3, rng.Float64()*2*math.Pi
		for i := range x {
			s, c := math.Sincos(2*math.Pi*f*float64(i)/fs + ph)
			x[i] += complex(float32(amp*c), float32(amp*s))
		}
	}
}

// TestReplayStartLearnsEarlierFloor checks that a replay started part-way
// through a scanning sensor's recording learns each tuning's noise floor
// from that tuning's dwell before the start, as the sensor had, so a
// carrier already on when the first analysed dwell begins is found; the
// notes say so.
func TestReplayStartLearnsEarlierFloor(t *testing.T) {
	dir := t.TempDir()
	meta := writeCaptures(t, dir, "dwells", []testCapture{
		{centerHz: 847e6, n: 100_000},                                    // noise: the floor
		{centerHz: 847e6, at: 3 * time.Second, n: 100_000, combSNRDB: 8}, // the carrier on throughout
	})
	r := newTestReplayer(t, dir)
	res, err := r.Replay(context.Background(), meta, ReplayOptions{StartS: 2})
	if err != nil {
		t.Fatal(err)
	}
	wide := 0
	for _, d := range res.Detections {
		if d.FreqHighHz-d.FreqLowHz > 220e3 && d.StartS < 3.001 {
			wide++
		}
	}
	if wide == 0 || math.Abs(res.AnalysedFromS-3) > 1e-6 {
		t.Errorf("from 2 s: analysed from %.3f s, %d detections of the carrier from 3 s (%+v); want it found", res.AnalysedFromS, wide, res.Detections)
	}
	if !hasNote(res, "learnt from") {
		t.Errorf("notes %q: want one saying the floors were learnt from the dwells before the start", res.Notes)
	}
}

func hasNote(res ReplayResult, s string) bool {
	for _, n := range res.Notes {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// TestReplaySensorVerdict checks that an evidence snippet's own detection
// (core:generator "rfwarden sensor") is shown beside the replay's result,
// and that a replay that finds nothing there, or something else, says it
// did not confirm the sensor's label.
func TestReplaySensorVerdict(t *testing.T) {
	dir := t.TempDir()
	burst := []testCapture{{915e6, 0, 200_000, 50_000, 150_000, 300e3, 0}}
	r := newTestReplayer(t, dir)
	plain, err := r.Replay(context.Background(), writeCaptures(t, dir, "plain", burst), ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var found *ReplayDetection
	for i, d := range plain.Detections {
		if d.FreqLowHz <= 915.3e6 && d.FreqHighHz >= 915.3e6 {
			found = &plain.Detections[i]
		}
	}
	if found == nil {
		t.Fatalf("no detection of the burst: %+v", plain.Detections)
	}
	if len(plain.SensorLabels) != 0 || hasNote(plain, "sensor") {
		t.Errorf("a recording with no sensor annotation: sensor labels %+v, notes %q; want none", plain.SensorLabels, plain.Notes)
	}
	sensorAnn := func(from, n int64, label string, class string) sigmf.Annotation {
		a := sigmf.Annotation{SampleStart: from, SampleCount: n, HasFreq: true, FreqLowerHz: 915.25e6, FreqUpperHz: 915.35e6,
			Label: label, Comment: "s6-0a1b2c3d4e5f-1-1", Generator: "rfwarden sensor"}
		if class != "" {
			a.Extra = map[string]any{"rfw:class": class, "rfw:link": "uplink"}
		}
		return a
	}
	for _, tc := range []struct {
		name      string
		ann       sigmf.Annotation
		confirmed bool
		note      string  // in the label's note and the result's notes
		minSNR    float64 // ReplayOptions.ThresholdDB
	}{
		{"the class the replay finds", sensorAnn(50_000, 100_000, "whatever the sensor called it", found.Class), true, "", 0},
		{"an old snippet's label, no class", sensorAnn(50_000, 100_000, found.Label, ""), true, "", 0},
		{"another class", sensorAnn(50_000, 100_000, "DJI DroneID (5.8 GHz)", "droneid"), false, "found " + found.Label, 0},
		{"where the replay finds nothing", sensorAnn(0, 40_000, "LTE/NR uplink", "lte"), false, "found nothing", 0},
		// The page's Min SNR hides what the replay found, not the
		// verdict: 6 of 50 demo clips, found at 3.7-5.8 dB, read "found
		// nothing there" at the default 6 dB.
		{"found below the Min SNR shown", sensorAnn(50_000, 100_000, "the sensor's label", found.Class), true, "below the Min SNR", found.SNRDB + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := strings.ReplaceAll(tc.name, " ", "_")
			name = strings.ReplaceAll(name, ",", "")
			name = strings.ReplaceAll(name, "'", "")
			res, err := r.Replay(context.Background(), writeCaptures(t, dir, name, burst, tc.ann), ReplayOptions{ThresholdDB: tc.minSNR})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.SensorLabels) != 1 {
				t.Fatalf("sensor labels %+v, want the snippet's one", res.SensorLabels)
			}
			sl := res.SensorLabels[0]
			if sl.Label != tc.ann.Label || sl.DetectionID != tc.ann.Comment || sl.Confirmed != tc.confirmed {
				t.Errorf("sensor label %+v: want %q of %s, confirmed %v", sl, tc.ann.Label, tc.ann.Comment, tc.confirmed)
			}
			if tc.confirmed {
				if hasNote(res, "did not confirm") || (tc.note == "") != (sl.Note == "") || !strings.Contains(sl.Note, tc.note) {
					t.Errorf("confirmed, note %q, notes %q; want the note to hold %q", sl.Note, res.Notes, tc.note)
				}
				return
			}
			if !strings.Contains(sl.Note, "did not confirm the sensor's label") || !strings.Contains(sl.Note, tc.note) || !hasNote(res, tc.note) {
				t.Errorf("note %q, notes %q: want them to say the replay did not confirm the sensor's label and %q", sl.Note, res.Notes, tc.note)
			}
		})
	}
	// nothing at all: said, not just "0 detections"
	quiet, err := r.Replay(context.Background(), writeCaptures(t, dir, "quiet", []testCapture{{915e6, 0, 100_000, 0, 0, 0, 0}}), ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(quiet.Detections) != 0 || !hasNote(quiet, "no detections") {
		t.Errorf("noise only: %d detections, notes %q; want none and a note saying so", len(quiet.Detections), quiet.Notes)
	}
}

// TestReplayAnnotatedReplacesEarlierRuns checks the annotated SigMF of a
// replay of a recording an earlier rfwarden run annotated (scan
// --annotate, or this download): its detections replace the earlier
// run's instead of adding to them, as scan --annotate does; ground truth
// and the sensor's own annotation stay, told apart by core:generator. The
// download is named NAME.replay.sigmf-meta, so it does not overwrite the
// recording's own NAME.sigmf-meta beside which it is saved, and finds the
// samples there by core:dataset.
func TestReplayAnnotatedReplacesEarlierRuns(t *testing.T) {
	dir := t.TempDir()
	truth := sigmf.Annotation{SampleStart: 50_000, SampleCount: 100_000, Label: "truth-tone"}
	sensor := sigmf.Annotation{SampleStart: 50_000, SampleCount: 100_000, Label: "gsm uplink", Generator: "rfwarden sensor"}
	meta := writeCaptures(t, dir, "clip", []testCapture{{915e6, 0, 200_000, 50_000, 150_000, 300e3, 0}}, truth, sensor)
	r := newTestReplayer(t, dir)
	first, err := r.Replay(context.Background(), meta, ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(first.AnnotatedMeta) != "clip.replay.sigmf-meta" {
		t.Errorf("annotated metadata named %q, want clip.replay.sigmf-meta", filepath.Base(first.AnnotatedMeta))
	}
	m, err := sigmf.ReadMeta(first.AnnotatedMeta)
	if err != nil {
		t.Fatal(err)
	}
	if ds := m.Global.Extra["core:dataset"]; ds != "clip.sigmf-data" {
		t.Errorf("core:dataset %v, want clip.sigmf-data (the samples beside which it is saved)", ds)
	}
	// the annotated metadata becomes the recording, as an analyst uploads
	// a scan --annotate result
	delete(m.Global.Extra, "core:dataset")
	if err := sigmf.WriteMeta(meta, m); err != nil {
		t.Fatal(err)
	}
	again, err := r.Replay(context.Background(), meta, ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m2, err := sigmf.ReadMeta(again.AnnotatedMeta)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, a := range m2.Annotations {
		count[a.Generator]++
	}
	if count[pipeline.Generator] != len(again.Detections) || count["rfwarden sensor"] != 1 || count[""] != 1 {
		t.Errorf("annotations by generator %v, want %d rfwarden (this run's), 1 rfwarden sensor, 1 ground truth", count, len(again.Detections))
	}
	if err := sigmfschema.CheckFile(again.AnnotatedMeta); err != nil {
		t.Errorf("annotated meta fails the SigMF schema: %v", err)
	}
	// saved beside the clip, it opens with the clip's samples
	beside := filepath.Join(dir, filepath.Base(again.AnnotatedMeta))
	b, _ := os.ReadFile(again.AnnotatedMeta)
	if err := os.WriteFile(beside, b, 0o644); err != nil {
		t.Fatal(err)
	}
	rec, err := sigmf.Open(beside)
	if err != nil {
		t.Fatalf("the download saved beside the clip does not open: %v", err)
	}
	rec.Close()
}

// TestReplaySeedsSnippetFloor checks that the dashboard's replay of an
// evidence snippet that starts with its emission on judges it against the
// noise floor the sensor saved with it, and says so; without one the
// replay learns the emission as floor and finds nothing of it, and the
// notes say why. The clip is in a downlink band (B20 DL): in an FDD
// uplink band the pipeline caps the floor at 4 dB (UplinkFloorCapDB), and
// an 8 dB carrier there is found without the saved floor too.
func TestReplaySeedsSnippetFloor(t *testing.T) {
	dir := t.TempDir()
	const fs, fc = 1e6, 806e6
	rng := rand.New(rand.NewPCG(8, 8))
	noise := func(n int) []complex64 {
		x := make([]complex64, n)
		for i := range x {
			x[i] = complex(float32(rng.NormFloat64()*0.01/math.Sqrt2), float32(rng.NormFloat64()*0.01/math.Sqrt2))
		}
		return x
	}
	sensorP := pipeline.New(pipeline.Config{})
	if _, err := sensorP.Process(sensorBlock(noise(1<<16), fc, fs), nil); err != nil {
		t.Fatal(err)
	}
	floor := sensorP.NoiseFloorBinsDBFS(nil)
	// 65536 samples with a comb of tones over ±220 kHz, 8 dB over the noise there
	clip := noise(1 << 16)
	const lo, hi = -220e3, 220e3
	k := int((hi - lo) / 5e3)
	amp := math.Sqrt(1e-4 * (hi - lo) / fs * math.Pow(10, 0.8) / float64(k))
	for j := range k {
		f, ph := lo+(float64(j)+0.5)*5e3, rng.Float64()*2*math.Pi
		for i := range clip {
			s, c := math.Sincos(2*math.Pi*f*float64(i)/fs + ph)
			clip[i] += complex(float32(amp*c), float32(amp*s))
		}
	}
	r := newTestReplayer(t, dir)
	for _, seeded := range []bool{false, true} {
		name := "snippet-unseeded"
		if seeded {
			name = "snippet-seeded"
		}
		w, err := sigmf.NewWriter(filepath.Join(dir, name), "cf32_le", fs, fc, testT0)
		if err != nil {
			t.Fatal(err)
		}
		if seeded {
			w.SetCaptureExtra(pipeline.NoiseFloorKey, floor)
		}
		w.Write(clip)
		w.Annotate(sigmf.Annotation{SampleStart: 0, SampleCount: 1 << 16, HasFreq: true, FreqLowerHz: fc + lo, FreqUpperHz: fc + hi,
			Label: "LTE downlink (LTE B20 DL, 15 kHz SCS)", Generator: "rfwarden sensor"})
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		res, err := r.Replay(context.Background(), filepath.Join(dir, name+sigmf.MetaExt), ReplayOptions{})
		if err != nil {
			t.Fatal(err)
		}
		wide := 0
		for _, d := range res.Detections {
			if d.FreqHighHz-d.FreqLowHz > 0.5*(hi-lo) && d.SampleStart < 1024 {
				wide++
			}
		}
		if (wide > 0) != seeded {
			t.Errorf("floor saved %v: %d detections of the carrier from the clip's start, want some: %v", seeded, wide, seeded)
		}
		if seeded && !hasNote(res, "noise floor the sensor") {
			t.Errorf("seeded: notes %q, want one saying the floor came from the sensor", res.Notes)
		}
		if !seeded && !hasNote(res, "starts with") {
			t.Errorf("unseeded: notes %q, want one saying the clip starts with its emission on and carries no floor", res.Notes)
		}
	}
}

func sensorBlock(x []complex64, centerHz, rateHz float64) sensor.Block {
	return sensor.Block{Samples: x, CenterHz: centerHz, SampleRateHz: rateHz}
}

// TestReplayVerdictWeakBeforeStrong is the regression test of 555e3f7: a
// weak detection before a strong one, the sensor's label on the weak one,
// and a Min SNR between them. The verdicts read the results after the Min
// SNR filter had reused their array in place, so the weak detection, below
// the filter and before a kept one, was overwritten by the strong one and
// the sensor's label read "found nothing there".
func TestReplayVerdictWeakBeforeStrong(t *testing.T) {
	dir := t.TempDir()
	const fs, n = 1e6, 200_000
	type tone struct {
		on, off    int
		offHz, amp float64
	}
	tones := []tone{{20_000, 80_000, 300e3, 0.004}, {100_000, 180_000, -300e3, 0.3}} // weak, then strong
	write := func(name string, anns ...sigmf.Annotation) string {
		w, err := sigmf.NewWriter(filepath.Join(dir, name), "cf32_le", fs, 915e6, testT0)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(7, 9))
		const noise = 0.01 / math.Sqrt2
		x := make([]complex64, n)
		for k := range x {
			x[k] = complex(float32(rng.NormFloat64()*noise), float32(rng.NormFloat64()*noise))
			for _, tn := range tones {
				if k >= tn.on && k < tn.off {
					ph := 2 * math.Pi * tn.offHz / fs * float64(k)
					x[k] += complex(float32(tn.amp*math.Cos(ph)), float32(tn.amp*math.Sin(ph)))
				}
			}
		}
		if err := w.Write(x); err != nil {
			t.Fatal(err)
		}
		for _, a := range anns {
			w.Annotate(a)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(dir, name+sigmf.MetaExt)
	}
	r := newTestReplayer(t, dir)
	plain, err := r.Replay(context.Background(), write("plain"), ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var weak, strong *ReplayDetection
	for i, d := range plain.Detections {
		if d.FreqLowHz <= 915.3e6 && d.FreqHighHz >= 915.3e6 {
			weak = &plain.Detections[i]
		}
		if d.FreqLowHz <= 914.7e6 && d.FreqHighHz >= 914.7e6 {
			strong = &plain.Detections[i]
		}
	}
	if weak == nil || strong == nil || weak.SNRDB+3 > strong.SNRDB || weak.SampleStart >= strong.SampleStart {
		t.Fatalf("setup: want a weak detection before a strong one, got weak %+v strong %+v", weak, strong)
	}
	minSNR := (weak.SNRDB + strong.SNRDB) / 2
	ann := sigmf.Annotation{SampleStart: 20_000, SampleCount: 60_000, HasFreq: true, FreqLowerHz: 915.25e6, FreqUpperHz: 915.35e6,
		Label: "the sensor's label", Comment: "s6-x-1", Generator: "rfwarden sensor", Extra: map[string]any{"rfw:class": weak.Class}}
	for _, tc := range []struct {
		name   string
		minSNR float64
		note   string // in the label's note; "" none
	}{
		{"no Min SNR", 0, ""},
		{"Min SNR between them", minSNR, "below the Min SNR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := r.Replay(context.Background(), write(strings.ReplaceAll(tc.name, " ", "_"), ann), ReplayOptions{ThresholdDB: tc.minSNR})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.SensorLabels) != 1 || !res.SensorLabels[0].Confirmed {
				t.Fatalf("sensor labels %+v, notes %q: want the label confirmed by the weak detection", res.SensorLabels, res.Notes)
			}
			if sl := res.SensorLabels[0]; (tc.note == "") != (sl.Note == "") || !strings.Contains(sl.Note, tc.note) {
				t.Errorf("note %q, want it to hold %q", sl.Note, tc.note)
			}
		})
	}
}
