package sim

import (
	"bytes"
	"context"
	"math"
	"math/cmplx"
	"os"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/dsp/fourier"

	// Test-only: proves SiteYAML loads as fusion's site model. The package
	// itself never imports fusion.
	"github.com/rfwarden/rfwarden/fusion/site"
)

func TestGroundTruthMatchesSchedule(t *testing.T) {
	w := StandardWing(1)
	from := w.Start
	to := from.Add(3 * time.Hour)
	truth := w.GroundTruth(from, to)
	if len(truth) == 0 {
		t.Fatal("no ground truth in three hours")
	}
	perEmitter := map[string][]TruthEvent{}
	for _, te := range truth {
		perEmitter[te.EmitterID] = append(perEmitter[te.EmitterID], te)
		if te.Start.Before(from) || te.End.After(to) || !te.Start.Before(te.End) {
			t.Errorf("%s: bad interval %v..%v", te.EmitterID, te.Start, te.End)
		}
		if te.Room == "" {
			t.Errorf("%s: no room", te.EmitterID)
		}
		mid := te.Start.Add(te.End.Sub(te.Start) / 2)
		if !activeAt(w, te.EmitterID, mid) {
			t.Errorf("%s: truth says on at %v, Active disagrees", te.EmitterID, mid)
		}
		if activeAt(w, te.EmitterID, te.End.Add(time.Millisecond)) && te.End.Before(to) && te.Kind != KindAccessPoint {
			// Sessions never touch, so just after the end it is off.
			t.Errorf("%s: still on just after its session ends at %v", te.EmitterID, te.End)
		}
	}
	for _, id := range []string{"phone-lte-1", "phone-gsm-1", "ap-office", "drone-id", "drone-rc", "radio-1"} {
		if len(perEmitter[id]) == 0 {
			t.Errorf("%s: never on in three night hours", id)
		}
	}
	if got := len(perEmitter["tablet-1"]); got != 0 {
		t.Errorf("tablet-1 on %d times between 21:00 and 00:00, want 0 (daytime only)", got)
	}
	// The drone's parts share sessions.
	a, b := perEmitter["drone-id"], perEmitter["drone-rc"]
	if len(a) != len(b) || len(a) > 0 && !a[0].Start.Equal(b[0].Start) {
		t.Errorf("drone-id sessions %v differ from drone-rc %v", a, b)
	}
	// Daytime: tablets on, at 12:00 UTC the next day.
	noon := time.Date(2026, 1, 16, 12, 0, 0, 0, time.UTC)
	if !activeAt(w, "tablet-1", noon) || activeAt(w, "tablet-1", noon.Add(9*time.Hour)) {
		t.Error("tablet-1 should be on at 12:00 and off at 21:00")
	}
	// Phones are mostly on at night.
	night := len(StandardWing(1).GroundTruth(from, from.Add(8*time.Hour)))
	day := len(StandardWing(1).GroundTruth(noon.Add(-4*time.Hour), noon.Add(4*time.Hour)))
	nightPh, dayPh := countKind(w.GroundTruth(from, from.Add(8*time.Hour)), KindPhone), countKind(w.GroundTruth(noon.Add(-4*time.Hour), noon.Add(4*time.Hour)), KindPhone)
	if nightPh <= dayPh {
		t.Errorf("phone sessions: night %d, day %d; want more at night (all %d/%d)", nightPh, dayPh, night, day)
	}
}

func countKind(tr []TruthEvent, kind string) int {
	n := 0
	for _, te := range tr {
		if te.Kind == kind {
			n++
		}
	}
	return n
}

func activeAt(w *Wing, id string, t time.Time) bool {
	for _, a := range w.Active(t) {
		if a.EmitterID == id {
			return true
		}
	}
	return false
}

func TestDroneApproaches(t *testing.T) {
	w := StandardWing(1)
	var te TruthEvent
	for _, x := range w.GroundTruth(w.Start, w.Start.Add(time.Hour)) {
		if x.EmitterID == "drone-video" {
			te = x
			break
		}
	}
	if te.EmitterID == "" {
		t.Fatal("no drone in the first hour")
	}
	rooms := []string{}
	for _, dt := range []time.Duration{time.Second, 2 * time.Minute} {
		for _, a := range w.Active(te.Start.Add(dt)) {
			if a.EmitterID == "drone-video" {
				rooms = append(rooms, a.Room)
			}
		}
	}
	if len(rooms) != 2 || rooms[0] != "OUTSIDE" || rooms[1] != "PERIM" {
		t.Errorf("drone rooms at +1 s and +2 min: got %v, want [OUTSIDE PERIM]", rooms)
	}
}

func TestPathLoss(t *testing.T) {
	w := StandardWing(1)
	s1, _ := w.sensor("s1") // L1 corridor, on its north wall at (8, 7.8)
	tests := []struct {
		name   string
		floor  string
		a, b   Point // b is further or behind more walls than a
		diffDB float64
	}{
		{"distance along corridor", "L1", Point{10, 7.8}, Point{18, 7.8}, 30 * math.Log10(math.Hypot(10, 1.5)/math.Hypot(2, 1.5))},
		{"cell wall", "L1", Point{10.5, 7.8}, Point{6.5, 9.8}, 10}, // same distance (2.5 m), into cell N02 through the corridor wall
		{"floor", "L2", Point{10, 6}, Point{10, 6}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			la := w.PathLossDB(900e6, "L1", tc.a, 1, s1)
			lb := w.PathLossDB(900e6, tc.floor, tc.b, 1, s1)
			want := tc.diffDB
			if tc.floor != "L1" {
				la = w.PathLossDB(900e6, "L1", Point{10, 9.5}, 4.5, s1) // same 3-D spot, on L1, through no floor
				lb = w.PathLossDB(900e6, "L2", Point{10, 9.5}, 1, s1)
				want = FloorLossDB
			}
			if got := lb - la; math.Abs(got-want) > 1e-6 {
				t.Errorf("extra loss %.3f dB, want %.3f", got, want)
			}
		})
	}
	// Received power falls with distance: a phone near s1 beats the same at s2.
	near, far := w.ReceivedPowerDBm("phone-lte-1", "s1"), w.ReceivedPowerDBm("phone-lte-1", "s2")
	if near-w.ShadowDB("phone-lte-1", "s1") <= far-w.ShadowDB("phone-lte-1", "s2") {
		t.Errorf("phone-lte-1 at s1 %.1f dBm, at s2 %.1f dBm: want nearer louder", near, far)
	}
	if !math.IsNaN(w.ReceivedPowerDBm("nope", "s1")) {
		t.Error("unknown emitter: want NaN")
	}
}

func TestDetectionsDeterministicAndValid(t *testing.T) {
	w := StandardWing(3)
	from := w.Start
	to := from.Add(20 * time.Minute)
	a := w.Detections(from, to)
	b := StandardWing(3).Detections(from, to)
	c := StandardWing(4).Detections(from, to)
	if len(a) == 0 {
		t.Fatal("no detections in 20 minutes")
	}
	if len(a) != len(b) {
		t.Fatalf("same seed: %d vs %d detections", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("detection %d differs for the same seed", i)
		}
		if err := a[i].Validate(); err != nil {
			t.Fatalf("detection %d invalid: %v", i, err)
		}
	}
	if len(c) == len(a) && c[0] == a[0] {
		t.Error("different seed gave the same detections")
	}
	// Reported power scatters about the model level by MeasurementSigmaDB.
	var sum, sum2 float64
	for _, d := range a {
		e := w.emit[w.emitterIndex(d.ID[len("sim-"+d.Sensor+"-"):len(d.ID)-len("-")-19])]
		if e.ApproachFrom != nil {
			continue
		}
		s, _ := w.sensor(d.Sensor)
		r := d.PowerDBm - w.rxDBm(e, e.Pos, s)
		sum += r
		sum2 += r * r
	}
	n := float64(len(a))
	if mean, sd := sum/n, math.Sqrt(sum2/n-(sum/n)*(sum/n)); math.Abs(mean) > 0.2 || math.Abs(sd-MeasurementSigmaDB) > 0.2 {
		t.Errorf("measurement error mean %.2f sd %.2f dB, want 0 and %.1f", mean, sd, MeasurementSigmaDB)
	}
}

// psd averages |FFT|^2 / nfft^2 over blocks (power per bin, FFT order).
func psd(t *testing.T, src *Source, blocks, nfft int) []float64 {
	t.Helper()
	fft := fourier.NewCmplxFFT(nfft)
	out := make([]float64, nfft)
	in := make([]complex128, nfft)
	co := make([]complex128, nfft)
	segs := 0
	for range blocks {
		b, err := src.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for s := 0; s+nfft <= len(b.Samples); s += nfft {
			for i := range in {
				w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(nfft))
				in[i] = complex128(b.Samples[s+i]) * complex(w/math.Sqrt(0.375), 0)
			}
			fft.Coefficients(co, in)
			for i, v := range co {
				out[i] += (real(v)*real(v) + imag(v)*imag(v)) / float64(nfft*nfft)
			}
			segs++
		}
	}
	for i := range out {
		out[i] /= float64(segs)
	}
	return out
}

func bandPower(p []float64, fs, lo, hi float64) float64 {
	n := len(p)
	var s float64
	for i, v := range p {
		k := i
		if k >= n/2 {
			k -= n
		}
		if f := float64(k) * fs / float64(n); f >= lo && f <= hi {
			s += v
		}
	}
	return s
}

// lteSession returns the first phone-lte-1 session of w longer than 2 s in
// its first three hours.
func lteSession(t *testing.T, w *Wing) TruthEvent {
	t.Helper()
	for _, x := range w.GroundTruth(w.Start, w.Start.Add(3*time.Hour)) {
		if x.EmitterID == "phone-lte-1" && x.End.Sub(x.Start) > 2*time.Second {
			return x
		}
	}
	t.Fatal("no phone-lte-1 session")
	return TruthEvent{}
}

func TestSourceEnergyAtOffsetAndCalibration(t *testing.T) {
	w := StandardWing(1)
	te := lteSession(t, w)
	const fs = 10e6
	src, err := w.NewSource("s1", SourceOptions{CenterHz: te.CenterHz + 2e6, SampleRateHz: fs, GainDB: 40, Start: te.Start.Add(time.Second), NoArtefacts: true})
	if err != nil {
		t.Fatal(err)
	}
	p := psd(t, src, 8, 1024)
	// The noise floor, from the same sensor tuned where nothing transmits.
	quiet, err := w.NewSource("s1", SourceOptions{CenterHz: 600e6, SampleRateHz: fs, GainDB: 40, Start: te.Start.Add(time.Second), NoArtefacts: true})
	if err != nil {
		t.Fatal(err)
	}
	noisePerHz := bandPower(psd(t, quiet, 8, 1024), fs, -4.5e6, 4.5e6) / 9e6
	// The 4.5 MHz LTE uplink sits at -2 MHz: -4.25..+0.25 MHz. Above +1 MHz
	// only its adjacent-channel leakage (unfiltered OFDM, like a handset's
	// ~30 dB ACLR) and noise remain.
	inDens := bandPower(p, fs, -4e6, 0) / 4e6
	outDens := bandPower(p, fs, 1e6, 4.5e6) / 3.5e6
	t.Logf("ACLR-like ratio %.1f dB", 10*math.Log10(inDens/outDens))
	if r := 10 * math.Log10(inDens/outDens); r < 25 {
		t.Errorf("in-band density only %.1f dB above the density at +1..+4.5 MHz, want ≥ 25", r)
	}
	in := bandPower(p, fs, -4.25e6, 0.25e6)
	sig := in - noisePerHz*4.5e6
	gotDBm := 10*math.Log10(sig) + FullScaleDBm(40)
	want := w.ReceivedPowerDBm("phone-lte-1", "s1")
	if math.Abs(gotDBm-want) > 1 {
		t.Errorf("in-band power %.2f dBm, want %.2f ± 1 (the level the sim used)", gotDBm, want)
	}
	// The block's truth names the emitter at the right RF edges.
	tr := src.Truth()
	if len(tr) != 1 || tr[0].EmitterID != "phone-lte-1" || math.Abs(tr[0].FreqLowHz-(te.CenterHz-2.25e6)) > 1 ||
		tr[0].SampleCount != int64(len(src.buf)) {
		t.Errorf("block truth %+v, want phone-lte-1 over the whole block from %.0f Hz", tr, te.CenterHz-2.25e6)
	}
	if in < 10*noisePerHz*4.5e6 {
		t.Errorf("in-band power %g not well above noise %g", in, noisePerHz*4.5e6)
	}
	// The noise floor is the thermal level.
	if nf := 10*math.Log10(noisePerHz*1e6) + FullScaleDBm(40); math.Abs(nf-NoiseDBmPerMHz) > 0.5 {
		t.Errorf("noise floor %.2f dBm/MHz, want %.1f", nf, NoiseDBmPerMHz)
	}
}

func meanPowerDB(t *testing.T, src *Source) float64 {
	t.Helper()
	b, err := src.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var s float64
	for _, v := range b.Samples {
		s += float64(real(v)*real(v) + imag(v)*imag(v))
	}
	return 10 * math.Log10(s/float64(len(b.Samples)))
}

func TestTamperAndTune(t *testing.T) {
	w := StandardWing(1)
	src, err := w.NewSource("s2", SourceOptions{CenterHz: 600e6})
	if err != nil {
		t.Fatal(err)
	}
	base := meanPowerDB(t, src)
	src.CutAntenna(true)
	cut := meanPowerDB(t, src)
	src.CutAntenna(false)
	src.Jam(true)
	jam := meanPowerDB(t, src)
	if base-cut < 7 || jam-base < 25 {
		t.Errorf("mean power: normal %.1f, cut %.1f, jammed %.1f dBFS; want cut ≥7 dB lower, jam ≥25 dB higher", base, cut, jam)
	}
	if err := src.Tune(100, 10e6); err == nil {
		t.Error("tune to 100 Hz: want error")
	}
	if err := src.Tune(900e6, 2e6); err != nil {
		t.Fatal(err)
	}
	before := src.Time()
	b, _ := src.Next(context.Background())
	if !b.Retuned || b.CenterHz != 900e6 || b.SampleRateHz != 2e6 || !b.Time.Equal(before) || b.Device != "sim" || b.GainDB != 50 {
		t.Errorf("block after tune: %+v", b)
	}
	b2, _ := src.Next(context.Background())
	if b2.Retuned || b2.FirstSample != b.FirstSample+int64(len(b.Samples)) || b2.Time.Sub(b.Time) != b.Duration() {
		t.Errorf("second block: retuned %v first %d time %v", b2.Retuned, b2.FirstSample, b2.Time.Sub(b.Time))
	}
	if _, err := w.NewSource("nope", SourceOptions{}); err == nil {
		t.Error("unknown sensor: want error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Next(ctx); err == nil {
		t.Error("cancelled context: want error")
	}
}

func TestSourceDeterministic(t *testing.T) {
	mk := func() []complex64 {
		src, err := StandardWing(5).NewSource("s5", SourceOptions{CenterHz: 2429.5e6, SampleRateHz: 20e6})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := src.Next(context.Background())
		return append([]complex64(nil), b.Samples...)
	}
	a, b := mk(), mk()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("sample %d differs for one seed", i)
		}
	}
}

func TestSiteYAMLLoadsAsSite(t *testing.T) {
	w := StandardWing(1)
	s, err := site.Load(bytes.NewReader(w.SiteYAML()))
	if err != nil {
		t.Fatalf("fusion cannot load the site yaml: %v", err)
	}
	if s.ID != w.SiteID || len(s.Rooms) != len(w.Rooms) || len(s.Walls) != len(w.Walls) || len(s.Sensors) != 9 || len(s.Floors) != 2 {
		t.Errorf("site: id %q, %d rooms, %d walls, %d sensors, %d floors", s.ID, len(s.Rooms), len(s.Walls), len(s.Sensors), len(s.Floors))
	}
	rooms := map[string]bool{}
	for _, r := range s.Rooms {
		rooms[r.ID] = true
	}
	for _, e := range w.Emitters() {
		if !rooms[e.Room] {
			t.Errorf("emitter %s in room %q, not in the site", e.ID, e.Room)
		}
	}
	const golden = "../../testdata/sites/standard.yaml" // shared: fusion's tests load it too
	if *update {
		if err := os.WriteFile(golden, w.SiteYAML(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, w.SiteYAML()) {
		t.Errorf("site yaml differs from %s (run with -update)", golden)
	}
}

func BenchmarkSourceNext(b *testing.B) {
	w := StandardWing(1)
	var call time.Time // a phone-lte-1 session: continuous 4.5 MHz LTE in band
	for _, te := range w.GroundTruth(w.Start, w.Start.Add(3*time.Hour)) {
		if te.EmitterID == "phone-lte-1" {
			call = te.Start.Add(100 * time.Millisecond)
			break
		}
	}
	for _, tc := range []struct {
		name     string
		centerHz float64
		start    time.Time
	}{{"lte-call", 847e6, call}, {"ism-2g4", 2437e6, time.Time{}}, {"quiet", 600e6, time.Time{}}} {
		b.Run(tc.name, func(b *testing.B) {
			src, err := w.NewSource("s1", SourceOptions{CenterHz: tc.centerHz, SampleRateHz: 10e6, Start: tc.start})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(8 << 16)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := src.Next(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestWingConcurrentUse(t *testing.T) {
	w := StandardWing(2)
	want := len(w.Detections(w.Start, w.Start.Add(5*time.Minute)))
	done := make(chan int)
	for range 4 {
		go func() {
			src, err := w.NewSource("s1", SourceOptions{CenterHz: 847e6, BlockSamples: 4096})
			if err == nil {
				src.Next(context.Background())
			}
			done <- len(w.Detections(w.Start, w.Start.Add(5*time.Minute)))
		}()
	}
	for range 4 {
		if got := <-done; got != want {
			t.Errorf("concurrent Detections: got %d, want %d", got, want)
		}
	}
}

// With all HackRF artefacts on, the auto gain keeps the quantised noise
// floor calibrated and a cut antenna visibly lower but not silent.
func TestNoiseFloorWithArtefacts(t *testing.T) {
	for _, fs := range []float64{2e6, 10e6, 20e6} {
		src, err := StandardWing(1).NewSource("s1", SourceOptions{CenterHz: 600e6, SampleRateHz: fs})
		if err != nil {
			t.Fatal(err)
		}
		want := NoiseDBmPerMHz + 10*math.Log10(fs/1e6)
		got := meanPowerDB(t, src) + FullScaleDBm(src.GainDB())
		if math.Abs(got-want) > 1.5 {
			t.Errorf("%g sps: floor %.1f dBm, want %.1f ± 1.5", fs, got, want)
		}
		src.CutAntenna(true)
		cut := meanPowerDB(t, src) + FullScaleDBm(src.GainDB())
		if math.IsInf(cut, 0) || got-cut < 6 {
			t.Errorf("%g sps: cut floor %.1f dBm, want finite and ≥ 6 dB under %.1f", fs, cut, got)
		}
	}
}

// TestSkipTo checks that skipping moves the capture time without a gap in
// sample indices, renders what is on the air at the new time, and ignores
// skips into the past.
func TestSkipTo(t *testing.T) {
	w := StandardWing(1)
	var on TruthEvent
	for _, e := range w.GroundTruth(w.Start, w.Start.Add(time.Hour)) {
		if e.Kind == KindPhone && e.End.Sub(e.Start) > 20*time.Second && e.Start.After(w.Start.Add(time.Minute)) {
			on = e
			break
		}
	}
	if on.EmitterID == "" {
		t.Fatal("no phone session in the first hour")
	}
	src, err := w.NewSource(w.Sensors()[0].ID, SourceOptions{CenterHz: on.CenterHz, SampleRateHz: 10e6})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b0, _ := src.Next(ctx)
	if len(src.Truth()) != 0 {
		t.Fatalf("at the start (%v) %s is already on: pick a later session", b0.Time, on.EmitterID)
	}
	mid := on.Start.Add(on.End.Sub(on.Start) / 2)
	src.SkipTo(mid)
	src.SkipTo(w.Start) // the past: ignored
	var heard bool
	for i := range 40 { // bursty classes may be off in one block
		b, err := src.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 && (!b.Time.Equal(mid) || b.FirstSample != b0.FirstSample+int64(len(b0.Samples))) {
			t.Fatalf("first block after SkipTo: time %v first sample %d, want %v and %d", b.Time, b.FirstSample, mid, b0.FirstSample+int64(len(b0.Samples)))
		}
		for _, tr := range src.Truth() {
			heard = heard || tr.EmitterID == on.EmitterID
		}
	}
	if !heard {
		t.Errorf("after skipping into %s's session nothing of it was rendered", on.EmitterID)
	}
}

// TestStandardSensorLayout checks the properties the standard layout is
// chosen for (see New): the IDs the demo relies on, every sensor inside a
// room of its floor, three per landing and one per office, none on a
// corridor's centre line (where a north cell and its mirrored south cell
// look alike) and none above another.
func TestStandardSensorLayout(t *testing.T) {
	w := StandardWing(1)
	byID := map[string]SensorInfo{}
	for _, s := range w.Sensors() {
		byID[s.ID] = s
	}
	for _, id := range []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"} {
		if _, ok := byID[id]; !ok {
			t.Errorf("sensor %s missing", id)
		}
	}
	perLanding, perOffice := map[string]int{}, map[string]int{}
	for _, s := range w.Sensors() {
		room := w.RoomAt(s.Floor, s.Pos)
		if room == "" {
			t.Errorf("%s at %v on %s is in no room", s.ID, s.Pos, s.Floor)
		}
		if strings.HasSuffix(room, "-OFFICE") {
			perOffice[s.Floor]++
		}
		if strings.HasSuffix(room, "-LAND") {
			perLanding[s.Floor]++
			if math.Abs(s.Pos.Y-6) < 1 {
				t.Errorf("%s at %v is within 1 m of the corridor axis y = 6 m", s.ID, s.Pos)
			}
		}
		for _, o := range w.Sensors() {
			if o.ID < s.ID && math.Hypot(o.Pos.X-s.Pos.X, o.Pos.Y-s.Pos.Y) < 1 {
				t.Errorf("%s at %v and %s at %v share a plan position", s.ID, s.Pos, o.ID, o.Pos)
			}
		}
	}
	for _, f := range []string{"L1", "L2"} {
		if perLanding[f] != 3 {
			t.Errorf("landing %s has %d sensors, want 3", f, perLanding[f])
		}
		if perOffice[f] != 1 {
			t.Errorf("office on %s has %d sensors, want 1", f, perOffice[f])
		}
	}
}

// TestDCLeakIgnoresSignals: the LO leakage is a DC offset DCLeakDB under
// the thermal floor with one phase per tuning, in quiet blocks and in
// blocks holding a strong handset alike (it used to follow each block's
// mean power with a new phase per block, so a strong burst lifted the
// spike of its block and the detector reported the step as an emission).
func TestDCLeakIgnoresSignals(t *testing.T) {
	w := StandardWing(1)
	te := lteSession(t, w)
	const fs = 10e6
	for _, tc := range []struct {
		name     string
		centerHz float64
	}{{"quiet", 600e6}, {"handset at DC", te.CenterHz}} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := w.NewSource("s1", SourceOptions{CenterHz: tc.centerHz, SampleRateHz: fs, Start: te.Start.Add(time.Second)})
			if err != nil {
				t.Fatal(err)
			}
			wantDBm := NoiseDBmPerMHz + 10*math.Log10(fs/1e6) + DCLeakDB
			var first complex128
			for i := range 4 {
				b, err := src.Next(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				var m complex128
				for _, v := range b.Samples {
					m += complex128(v)
				}
				m /= complex(float64(len(b.Samples)), 0)
				gotDBm := 10*math.Log10(real(m)*real(m)+imag(m)*imag(m)) + FullScaleDBm(src.GainDB())
				if math.Abs(gotDBm-wantDBm) > 2 {
					t.Errorf("block %d: DC %.1f dBm, want %.1f ± 2", i, gotDBm, wantDBm)
				}
				if i == 0 {
					first = m
				} else if d := math.Abs(cmplx.Phase(m / first)); d > 0.6 {
					t.Errorf("block %d: DC phase moved %.2f rad within one tuning", i, d)
				}
			}
		})
	}
}
