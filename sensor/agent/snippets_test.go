package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/publish"
	"github.com/rfwarden/rfwarden/sensor/replay"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmfschema"
)

// snippetSaver saves 1 ms snippets (2000 samples, 16000 bytes) of
// detections numbered from 1 into s, as sensor s1 of boot 0a1b2c3d4e5f.
type snippetSaver struct {
	t *testing.T
	s *snippets
}

const testBoot = "0a1b2c3d4e5f"

func newSnippetSaver(t *testing.T, dir string, maxCount int, maxBytes int64) snippetSaver {
	s := &snippets{dir: dir, sensor: "s1", maxCount: maxCount, maxBytes: maxBytes, dur: time.Millisecond}
	if err := s.init(); err != nil {
		t.Fatal(err)
	}
	return snippetSaver{t, s}
}

func snipID(n int) string { return DetectionID("s1", testBoot, int64(n)*1000, int64(n)) }

// save saves detection n's snippet and reports whether it was saved.
func (v snippetSaver) save(n int) bool {
	b := sensor.Block{Samples: make([]complex64, 10000), CenterHz: 900e6, SampleRateHz: 2e6, FirstSample: 0, Time: simStart}
	r := &pipeline.Result{FreqLowHz: 899e6, FreqHighHz: 901e6, Time: simStart}
	r.Em.StartSample, r.Em.SampleCount = 2000, 500
	name, err := v.s.save(b, r, snipID(n), nil)
	if err != nil {
		v.t.Fatal(err)
	}
	return name != ""
}

// onDisk lists the detection numbers whose snippets are in dir (data and
// meta both), ascending.
func onDisk(t *testing.T, dir string) []int {
	t.Helper()
	var out []int
	for n := range 100 {
		base := filepath.Join(dir, "snippet-"+snipID(n))
		_, errD := os.Stat(base + ".sigmf-data")
		_, errM := os.Stat(base + ".sigmf-meta")
		if (errD == nil) != (errM == nil) {
			t.Errorf("snippet %d: data %v, meta %v", n, errD, errM)
		}
		if errD == nil {
			out = append(out, n)
		}
	}
	return out
}

// TestSnippetRotationKeepsEvidence: past the count bound the oldest
// snippet makes room, but never one an alert asked to keep; when the kept
// ones fill the bound, new snippets are skipped.
func TestSnippetRotationKeepsEvidence(t *testing.T) {
	dir := t.TempDir()
	v := newSnippetSaver(t, dir, 3, 1<<30)
	for n := 1; n <= 3; n++ {
		v.save(n)
	}
	// 1 is evidence; another sensor's ID and an unknown one are not here
	if have, newly := v.s.keep([]string{snipID(1), "s2-" + testBoot + "-1000-1", "s1-nope", snipID(1)}); have != 2 || newly != 1 {
		t.Errorf("keep: %d with a snippet, %d newly kept; want 2 (one ID twice) and 1", have, newly)
	}
	if _, err := os.Stat(filepath.Join(dir, "snippet-"+snipID(1)+keepExt)); err != nil {
		t.Errorf("no keep marker: %v", err)
	}
	for n := 4; n <= 5; n++ {
		if !v.save(n) {
			t.Fatalf("snippet %d skipped: the oldest not kept should make room", n)
		}
	}
	if got, want := onDisk(t, dir), []int{1, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("on disk %v, want %v (2 and 3 rotated out, 1 kept)", got, want)
	}
	if have, _ := v.s.keep([]string{snipID(2)}); have != 0 {
		t.Error("keep found a rotated snippet")
	}
	v.s.keep([]string{snipID(4), snipID(5)})
	if v.save(6) {
		t.Error("saved a snippet with the bound full of kept ones")
	}
	if got, want := onDisk(t, dir), []int{1, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("on disk %v, want %v: kept snippets are never deleted", got, want)
	}
	if st := v.s.stats(); st.count != 3 || st.kept != 3 || st.rotated != 2 || v.s.skipped != 1 {
		t.Errorf("books %+v, skipped %d; want 3 on disk, 3 kept, 2 rotated, 1 skipped", st, v.s.skipped)
	}
	// once the dashboard has 4 and 1 (sent), they may go, oldest first
	v.s.markSent("snippet-" + snipID(4))
	v.s.markSent("snippet-" + snipID(1))
	if !v.save(7) {
		t.Fatal("no room made by a kept snippet the dashboard has")
	}
	if got, want := onDisk(t, dir), []int{4, 5, 7}; !slices.Equal(got, want) {
		t.Errorf("on disk %v, want %v (1, kept and sent, rotated out first)", got, want)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "snippet-"+snipID(1)+".*")); len(m) != 0 {
		t.Errorf("files of the rotated snippet left: %v", m)
	}
}

// TestSnippetRotationByBytes: the byte bound rotates too.
func TestSnippetRotationByBytes(t *testing.T) {
	dir := t.TempDir()
	v := newSnippetSaver(t, dir, 100, 2*16000+100) // two 1 ms snippets at 2 Msps
	for n := 1; n <= 5; n++ {
		if !v.save(n) {
			t.Fatalf("snippet %d skipped", n)
		}
	}
	if got, want := onDisk(t, dir), []int{4, 5}; !slices.Equal(got, want) {
		t.Errorf("on disk %v, want %v", got, want)
	}
	if st := v.s.stats(); st.bytes != 2*16000 || st.count != 2 {
		t.Errorf("books %+v, want 2 snippets of 16000 bytes", st)
	}
}

// TestSnippetsAcrossRestart: a restarted sensor counts its own snippets of
// earlier runs (kept ones by their marker), rotates the oldest first, and
// leaves other sensors' and unknown files alone.
func TestSnippetsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	v := newSnippetSaver(t, dir, 10, 1<<30)
	for n := 1; n <= 3; n++ {
		v.save(n)
	}
	v.s.keep([]string{snipID(2)})
	// snippet 1 is the oldest on disk, whatever its name
	old := time.Now().Add(-time.Hour)
	for i, n := range []int{3, 1, 2} {
		for _, ext := range []string{".sigmf-data", ".sigmf-meta"} {
			if err := os.Chtimes(filepath.Join(dir, "snippet-"+snipID(n)+ext), old, old.Add(time.Duration(i)*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
	}
	foreign := []string{"snippet-s2-" + testBoot + "-1000-1.sigmf-data", "snippet-s1-notaboot-1-1.sigmf-data", "notes.txt"}
	for _, f := range foreign {
		if err := os.WriteFile(filepath.Join(dir, f), make([]byte, 1<<20), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w := newSnippetSaver(t, dir, 3, 1<<30)
	if st := w.s.stats(); st.count != 3 || st.kept != 1 || st.bytes != 3*16000 {
		t.Fatalf("after restart: %+v; want its 3 snippets (48000 bytes), 1 kept", st)
	}
	w.save(4)
	w.save(5)
	if got, want := onDisk(t, dir), []int{2, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("on disk %v, want %v (3 then 1, the oldest, rotated; 2 kept)", got, want)
	}
	for _, f := range foreign {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestAgentKeepCommand: the agent subscribes to its cmd topic; a keep
// command marks the snippets of its own detections kept; one that is for
// another sensor, or not a command, is refused and counted.
func TestAgentKeepCommand(t *testing.T) {
	cfg := testConfig(t)
	cfg.Snippets.Dir = t.TempDir()
	cfg.Snippets.MaxCount = 100
	cfg.Snippets.Dur = time.Millisecond
	cfg.Snippets.Every = 0
	rc := &recClient{connected: true}
	var subs []publish.Subscription
	reg := prometheus.NewRegistry()
	a, err := New(cfg, Deps{Source: newSynth(nil, 6), Pipeline: &everyPipeline{every: 1}, Registry: reg,
		ClientFactory: func(o publish.Options) (publish.Client, error) { subs = o.Subscribe; return rc.factory()(o) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(subs) != 1 || subs[0].Topic != "rfw/v1/site1/sensor/s1/cmd" || subs[0].QoS != publish.QoS1 {
		t.Fatalf("subscriptions %+v, want the sensor's cmd topic at QoS 1", subs)
	}
	var ids []string
	for _, d := range rc.detections(t) {
		if d.Snippet != "" {
			ids = append(ids, d.ID)
		}
	}
	if len(ids) < 2 {
		t.Fatalf("%d snippets, want at least 2", len(ids))
	}
	cmd := func(sensorID string, ids ...string) []byte {
		b, err := event.Encode(event.Command{Schema: 1, Site: "site1", Sensor: sensorID, TimeNS: 1, Cmd: event.CmdKeep, Alert: "ar-1", Detections: ids})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	handle := subs[0].Handle
	handle(cmd("s2", ids[0]))                           // another sensor's command
	handle([]byte(`{"schema":1,"cmd":"keep"`))          // broken
	handle([]byte(strings.Repeat("[", 1<<20)))          // hostile
	handle(cmd("s1", ids[1], "s1-"+a.BootID()+"-9-99")) // one of ours, one unknown
	kept, _ := filepath.Glob(filepath.Join(cfg.Snippets.Dir, "*"+keepExt))
	if len(kept) != 1 || filepath.Base(kept[0]) != "snippet-"+ids[1]+keepExt {
		t.Errorf("keep markers %v, want only %s's", kept, ids[1])
	}
	if got := testutil.ToFloat64(a.met.commands.WithLabelValues("invalid", "refused")); got != 3 {
		t.Errorf("refused commands %v, want 3", got)
	}
	if got := testutil.ToFloat64(a.met.commands.WithLabelValues(event.CmdKeep, "ok")); got != 1 {
		t.Errorf("keep commands %v, want 1", got)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	kg := -1.0
	for _, mf := range mfs {
		if mf.GetName() == "rfwarden_snippets_kept" {
			kg = mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	if kg != 1 {
		t.Errorf("rfwarden_snippets_kept = %v, want 1", kg)
	}
}

// TestEvidenceUpload: a snippet an alert asked to keep is sent once on the
// sensor's evidence topic as a SigMF archive that extracts to the same
// recording, and marked sent; while the client is disconnected it waits,
// and goes once the client is back.
func TestEvidenceUpload(t *testing.T) {
	cfg := testConfig(t)
	cfg.Snippets.Dir = t.TempDir()
	cfg.Snippets.Dur = time.Millisecond
	cfg.Snippets.Every = 0
	src := newSynth(nil, 0)
	src.stall = 6 // then wait for the test to end the run
	rc := &recClient{connected: true}
	var subs []publish.Subscription
	a, err := New(cfg, Deps{Source: src, Pipeline: &everyPipeline{every: 1},
		ClientFactory: func(o publish.Options) (publish.Client, error) { subs = o.Subscribe; return rc.factory()(o) }})
	if err != nil {
		t.Fatal(err)
	}
	a.evidenceRetry = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	// (a snippet may be skipped when the writer is behind: use the first two)
	var ids []string
	waitFor(t, "two snippets written and named by their detections", func() bool {
		ids = ids[:0]
		for _, d := range rc.detections(t) {
			if _, err := os.Stat(filepath.Join(cfg.Snippets.Dir, d.Snippet+".sigmf-meta")); d.Snippet != "" && err == nil {
				ids = append(ids, d.ID)
			}
		}
		return len(ids) >= 2
	})
	evidence := func() []recMsg {
		var out []recMsg
		for _, m := range rc.snapshot() {
			if m.topic == "rfw/v1/site1/evidence/s1" {
				out = append(out, m)
			}
		}
		return out
	}
	keep := func(id string) {
		b, err := event.Encode(event.Command{Schema: 1, Site: "site1", Sensor: "s1", TimeNS: 1, Cmd: event.CmdKeep, Detections: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		subs[0].Handle(b)
	}
	keep(ids[0])
	waitFor(t, "the kept snippet sent", func() bool { return len(evidence()) == 1 })
	arch := filepath.Join(t.TempDir(), "e.sigmf")
	if err := os.WriteFile(arch, evidence()[0].payload, 0o600); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	name, err := sigmf.ExtractArchive(arch, out, nil)
	if err != nil || name != "snippet-"+ids[0] {
		t.Fatalf("evidence archive: %q, %v; want snippet-%s", name, err, ids[0])
	}
	for _, ext := range []string{".sigmf-meta", ".sigmf-data"} {
		if a, b := mustReadFile(t, filepath.Join(out, name+ext)), mustReadFile(t, filepath.Join(cfg.Snippets.Dir, name+ext)); !bytes.Equal(a, b) {
			t.Errorf("%s differs from the sensor's", ext)
		}
	}
	if err := sigmfschema.CheckFile(filepath.Join(out, name+".sigmf-meta")); err != nil {
		t.Errorf("evidence metadata fails the SigMF schema: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.Snippets.Dir, name+sentExt)); err != nil {
		t.Errorf("no sent marker: %v", err)
	}
	// offline: the next kept one waits for the connection
	rc.mu.Lock()
	rc.connected = false
	rc.mu.Unlock()
	keep(ids[1])
	keep(ids[0]) // sent already: not again
	time.Sleep(100 * time.Millisecond)
	if n := len(evidence()); n != 1 {
		t.Fatalf("%d evidence messages while disconnected, want still 1", n)
	}
	rc.mu.Lock()
	rc.connected = true
	rc.mu.Unlock()
	waitFor(t, "the second kept snippet sent after reconnecting", func() bool { return len(evidence()) == 2 })
	time.Sleep(100 * time.Millisecond)
	if n := len(evidence()); n != 2 {
		t.Errorf("%d evidence messages, want 2: each kept snippet once", n)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func mustReadFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSnippetContext checks what a snippet says of where it was heard
// (docs/events.md): the sensor's class and link of its emission on the
// annotation, the sensor, its hardware (core:hw), the receive gain
// and the noise floor its detector had at that tuning (on the capture),
// and how many samples it holds before its emission (rfw:lead_samples).
// One cut at the start of a dwell that began with the emission on holds
// none, and says so; replayed with the floor it carries, the emission is
// found from the snippet's first samples. The metadata passes the SigMF
// schema.
func TestSnippetContext(t *testing.T) {
	for _, tc := range []struct {
		name     string
		src      func() sensor.Source
		at       func(d event.Detection) bool // the detection whose snippet to read
		lead     int64                        // want rfw:lead_samples, in captured samples
		noPreSig bool                         // want the description to say it has no samples before
	}{
		{"a burst inside a dwell",
			func() sensor.Source { return &burstSource{synthSource: newSynth(nil, 10), lo: 115000, hi: 118000} },
			func(d event.Detection) bool { return d.SampleStart >= 113000 && d.SampleStart < 118000 },
			2500, false},
		{"a dwell that began with the tone on",
			func() sensor.Source {
				return &toneSource{retuneSource: &retuneSource{synthSource: newSynth(nil, 8), centers: [2]float64{905e6, 2440e6}}, center: 905e6, from: 4}
			},
			func(d event.Detection) bool {
				return math.Abs(d.CenterHz-905.3e6) < 50e3 && d.SampleStart >= 80000 && d.SampleStart < 100000
			},
			0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := retuneConfig(t)
			var det *event.Detection
			for _, d := range runGSM(t, cfg, tc.src()) {
				if tc.at(d) && d.Snippet != "" {
					det = &d
				}
			}
			if det == nil {
				t.Fatal("no detection with a snippet where the emission is")
			}
			metaPath := filepath.Join(cfg.Snippets.Dir, det.Snippet+".sigmf-meta")
			m := readSnippetMeta(t, metaPath)
			g, c := m.Global, m.Captures[0]
			if g.Extra["rfw:sensor"] != "s1" || !strings.Contains(g.HW, "synth") || !strings.Contains(g.HW, "s1") {
				t.Errorf("rfw:sensor %v, core:hw %q: want s1, and the device and sensor named", g.Extra["rfw:sensor"], g.HW)
			}
			if g.Extra["rfw:site"] != cfg.Site || cfg.Site == "" {
				t.Errorf("rfw:site %v, want the node's site %q", g.Extra["rfw:site"], cfg.Site)
			}
			if a := m.Annotations[0]; a.Generator != SnippetGenerator || a.Extra["rfw:class"] != "gsm" || a.Extra["rfw:link"] != "uplink" {
				t.Errorf("annotation by %q, rfw:class %v, rfw:link %v: want the sensor's, gsm uplink", a.Generator, a.Extra["rfw:class"], a.Extra["rfw:link"])
			}
			if gain, ok := replay.GainDBAt(m, 0); !ok || gain != 30 {
				t.Errorf("gain %v (%v), want the block's 30 dB", gain, ok)
			}
			// the lead is in the snippet's samples, at its kept band's rate
			wantLead := tc.lead * int64(g.SampleRateHz) / 2e6
			if got := fmt.Sprint(g.Extra["rfw:lead_samples"]); got != fmt.Sprint(wantLead) {
				t.Errorf("rfw:lead_samples %s, want %d (%d captured samples at 2 Msps, at %.0f sps)", got, wantLead, tc.lead, g.SampleRateHz)
			}
			if said := strings.Contains(g.Description, "no samples before"); said != tc.noPreSig {
				t.Errorf("description %q: says it has no samples before its emission: %v, want %v", g.Description, said, tc.noPreSig)
			}
			// the detector's floor (64 bins at 2 Msps) over the band the
			// snippet keeps: 16 bins or more, as fine as the detector's
			floor, ok := c.Extra[pipeline.NoiseFloorKey].([]any)
			binHz := g.SampleRateHz / float64(len(floor))
			if !ok || len(floor) < 16 || binHz > 2e6/64 {
				t.Fatalf("capture %s: %v; want the detector's floor over the snippet's %.0f Hz in bins of 31250 Hz or less",
					pipeline.NoiseFloorKey, c.Extra[pipeline.NoiseFloorKey], g.SampleRateHz)
			}
			// synthSource's noise: 1e-4 in all over 2 MHz, so -40 dBFS
			// plus 10·log10(binHz/2 MHz) per bin (-58.06 in the detector's
			// 64 bins; the median over bins: a short history scatters them)
			vs := make([]float64, len(floor))
			for i, v := range floor {
				vs[i], _ = v.(json.Number).Float64()
			}
			slices.Sort(vs)
			want := -40 + 10*math.Log10(binHz/2e6)
			if med := vs[len(vs)/2]; math.Abs(med-want) > 1 {
				t.Errorf("floor: median %.2f dBFS per bin of %.0f Hz, want the noise's %.2f ± 1", med, binHz, want)
			}
			// a replay seeded with that floor finds the emission at its start
			rec, err := sigmf.Open(metaPath)
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Close()
			p := pipeline.New(pipeline.Config{})
			if n, err := p.SeedFloors(rec.Meta()); n != 1 || err != nil {
				t.Fatalf("SeedFloors: %d, %v; want 1 tuning seeded", n, err)
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
			res = p.Flush(res)
			a := m.Annotations[0]
			found := false
			for _, r := range res {
				found = found || r.Em.StartSample <= a.SampleStart+128 && r.Em.EndSample() > a.SampleStart && math.Abs(r.CenterHz-905.3e6) < 50e3
			}
			if !found {
				t.Errorf("replay of the snippet: %d detections, none at the annotation's start %d", len(res), a.SampleStart)
			}
		})
	}
}

// TestSnippetsRemoveOrphanMarkers (soak test 2026-12-06, finding 6): a
// sensor starting removes its own markers (NAME.keep, NAME.sent) whose
// snippet is gone (the dashboard's retention deleted it in a shared
// folder), and keeps those of its snippets still there and every other
// sensor's and unknown file.
func TestSnippetsRemoveOrphanMarkers(t *testing.T) {
	dir := t.TempDir()
	v := newSnippetSaver(t, dir, 10, 1<<30)
	for n := 1; n <= 3; n++ {
		v.save(n)
	}
	v.s.keep([]string{snipID(1), snipID(2), snipID(3)})
	v.s.markSent("snippet-" + snipID(2))
	for _, ext := range []string{".sigmf-data", ".sigmf-meta"} { // retention took 2 and 3
		for _, n := range []int{2, 3} {
			if err := os.Remove(filepath.Join(dir, "snippet-"+snipID(n)+ext)); err != nil {
				t.Fatal(err)
			}
		}
	}
	foreign := []string{"snippet-s2-" + testBoot + "-1000-1.keep", "snippet-s1-notaboot-1-1.keep", "notes.keep"}
	for _, f := range foreign {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w := newSnippetSaver(t, dir, 10, 1<<30)
	if st := w.s.stats(); st.count != 1 || st.kept != 1 {
		t.Errorf("after restart: %+v; want its 1 snippet left, kept", st)
	}
	for _, tc := range []struct {
		file string
		want bool
	}{
		{"snippet-" + snipID(1) + ".keep", true},
		{"snippet-" + snipID(2) + ".keep", false},
		{"snippet-" + snipID(2) + ".sent", false},
		{"snippet-" + snipID(3) + ".keep", false},
		{foreign[0], true},
		{foreign[1], true},
		{foreign[2], true},
	} {
		_, err := os.Stat(filepath.Join(dir, tc.file))
		if got := err == nil; got != tc.want {
			t.Errorf("%s there: %v, want %v", tc.file, got, tc.want)
		}
	}
}
