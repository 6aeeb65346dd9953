package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/sitedoc"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmfschema"
)

func TestCmdSimSiteYAML(t *testing.T) {
	var out bytes.Buffer
	if err := cmdSim(context.Background(), []string{"--site-yaml"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "id: hmp-demo\n") || !strings.Contains(out.String(), "sensors:") {
		t.Errorf("site yaml starts %q", out.String()[:min(60, out.Len())])
	}
}

// TestCmdSimSite: sim --site records a sensor of the site file (its
// first by default), with the phone the simulator put in one of the
// site's cells in the ground truth while it is on; a sensor not in the
// file is refused, naming the file's (sim knew the demo wing alone).
func TestCmdSimSite(t *testing.T) {
	_, example := sitedoc.Example(t, "../..")
	dir := t.TempDir()
	site := filepath.Join(dir, "site.yaml")
	if err := os.WriteFile(site, example, 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := readSimSite(site, 1)
	if err != nil {
		t.Fatal(err)
	}
	ev, ok := w.FirstSession("phone-lte-1", 0, time.Hour)
	if !ok {
		t.Fatal("phone-lte-1 not on in the first hour")
	}
	base := filepath.Join(dir, "rec")
	args := []string{"--site", site, "--out", base, "--center", "847e6", "--rate", "2e6", "--duration", "10ms", "--start", ev.Start.Add(time.Second).Format(time.RFC3339Nano)}
	if err := cmdSim(context.Background(), args, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	m, err := sigmf.ReadMeta(base + ".sigmf-meta")
	if err != nil {
		t.Fatal(err)
	}
	if want := "rfwarden simulated site " + site + ", seed 1, sensor c-1"; m.Global.Description != want {
		t.Errorf("description %q, want %q", m.Global.Description, want)
	}
	var phone bool
	for _, a := range m.Annotations {
		phone = phone || strings.HasPrefix(a.Comment, "phone-lte-1 ")
	}
	if !phone {
		t.Errorf("no burst of phone-lte-1 (in cell %s) in %d annotations", ev.Room, len(m.Annotations))
	}
	err = cmdSim(context.Background(), []string{"--site", site, "--sensor", "s1", "--out", base}, io.Discard, io.Discard)
	if want := `sim: --sensor: sensor "s1" is not one of ` + site + `'s sensors: c-1, c-2, c-3, c-yard`; err == nil || err.Error() != want {
		t.Errorf("--sensor s1 with --site: %v, want %s", err, want)
	}
}

func TestCmdSimRecording(t *testing.T) {
	base := filepath.Join(t.TempDir(), "wing")
	var out bytes.Buffer
	// s4 shares landing L2 with the 2.412 GHz access point, which beacons every 102.4 ms.
	args := []string{"--out", base, "--sensor", "s4", "--center", "2420e6", "--rate", "20e6", "--duration", "250ms", "--progress"}
	var errOut bytes.Buffer
	if err := cmdSim(context.Background(), args, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	// the progress counts samples and ends at the total
	if s := errOut.String(); !strings.Contains(s, "sim wing") || !strings.Contains(s, "100%") || !strings.Contains(s, "5000000/5000000") {
		t.Errorf("stderr shows no finished progress bar: %q", s)
	}
	m, err := sigmf.ReadMeta(base + ".sigmf-meta")
	if err != nil {
		t.Fatal(err)
	}
	if err := sigmfschema.CheckFile(base + ".sigmf-meta"); err != nil {
		t.Errorf("recording fails the SigMF schema: %v", err)
	}
	if m.Global.Datatype != "ci8" || m.Global.SampleRateHz != 20e6 {
		t.Errorf("global: %+v", m.Global)
	}
	var beacons int
	for _, a := range m.Annotations {
		if a.Label == "wifi" && strings.HasPrefix(a.Comment, "ap-landing ") {
			beacons++
			if got := a.SampleCount; got != 4000 {
				t.Errorf("beacon lasts %d samples, want 4000 (200 µs)", got)
			}
			if a.FreqLowerHz > 2412e6-8e6 || a.FreqUpperHz < 2412e6+8e6 || a.FreqLowerHz < 2412e6-8.2e6 {
				t.Errorf("beacon band %.0f..%.0f Hz, want 2412 MHz ± 8.125 MHz", a.FreqLowerHz, a.FreqUpperHz)
			}
		}
		if a.SampleStart+a.SampleCount > 5_000_000 {
			t.Errorf("annotation ends at %d, after the 5e6 samples written", a.SampleStart+a.SampleCount)
		}
	}
	if beacons < 2 || beacons > 3 {
		t.Errorf("got %d beacons in 250 ms, want 2 or 3", beacons)
	}
}

func TestCmdSimBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no out", []string{}, "--out"},
		{"bad sensor", []string{"--out", "x", "--sensor", "s99"}, "s99"},
		{"bad rate", []string{"--out", "x", "--rate", "50e6"}, "--rate"},
		{"zero rate", []string{"--out", "x", "--rate", "0"}, "--rate"},
		{"zero centre", []string{"--out", "x", "--center", "0"}, "--center 0 Hz outside 1 MHz..6 GHz"},
		{"negative centre", []string{"--out", "x", "--center", "-1"}, "--center"},
		{"bad duration", []string{"--out", "x", "--duration", "-1s"}, "--duration"},
		{"duration under one sample", []string{"--out", "x", "--rate", "2e6", "--duration", "1ns"}, "shorter than one sample"},
		{"bad start", []string{"--out", "x", "--start", "yesterday"}, "--start"},
		{"site yaml with out", []string{"--site-yaml", "--out", "x"}, "--out"},
		{"site yaml with centre", []string{"--site-yaml", "--seed", "2", "--center", "902e6"}, "--center"},
		{"stray arg", []string{"extra"}, "usage"},
		// wrote the hidden files DIR/.sigmf-data and DIR/.sigmf-meta
		{"out a folder with a slash", []string{"--out", "DIR/"}, "--out %s/ names a folder, not a recording: give DIR/NAME, for NAME.sigmf-data and NAME.sigmf-meta in DIR"},
		{"out a folder's metadata", []string{"--out", "DIR/.sigmf-meta"}, "names a folder, not a recording"},
		{"out an existing folder", []string{"--out", "DIR"}, "--out %s names a folder"},
		// until 2026-12-07 only "stat DIR/rec: no such file or directory"
		{"out in a missing folder", []string{"--out", "DIR/rec/lte"}, "--out %s/rec/lte: its folder %s/rec does not exist: create it, or correct --out"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string(nil), tc.args...)
			for i, a := range args {
				if a == "x" {
					args[i] = filepath.Join(dir, "x")
				}
			}
			for i, a := range args {
				if rest, ok := strings.CutPrefix(a, "DIR"); ok {
					args[i] = dir + rest // the test's own folder
				}
			}
			want := strings.ReplaceAll(tc.want, "%s", dir)
			var out bytes.Buffer
			err := cmdSim(context.Background(), args, &out, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("err %v, want one naming %q", err, tc.want)
			}
			if out.Len() != 0 {
				t.Errorf("stdout has %d bytes, want nothing", out.Len())
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("left %d files in the output folder", len(ents))
			}
		})
	}
}

// TestCmdSimMetaSuffix: a base path given as the metadata file's name
// writes BASE.sigmf-data and .sigmf-meta, and says so.
func TestCmdSimMetaSuffix(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	args := []string{"--out", filepath.Join(dir, "x.sigmf-meta"), "--rate", "2e6", "--duration", "10ms", "--progress"}
	if err := cmdSim(context.Background(), args, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	want := "wrote " + filepath.Join(dir, "x.sigmf-data") + ": 20000 samples"
	if !strings.HasPrefix(out.String(), want) {
		t.Errorf("stdout %q, want it to start %q", out.String(), want)
	}
	if !strings.Contains(errOut.String(), "sim x: 100%") {
		t.Errorf("progress %q does not name the recording x", errOut.String())
	}
	for _, f := range []string{"x.sigmf-data", "x.sigmf-meta"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("%d entries in the output folder, want 2", len(ents))
	}
}

// cancelOnWrite cancels a context at the first write (the progress line
// a job starts with), then keeps what is written.
type cancelOnWrite struct {
	bytes.Buffer
	cancel context.CancelFunc
}

func (c *cancelOnWrite) Write(p []byte) (int, error) {
	c.cancel()
	return c.Buffer.Write(p)
}

// TestCmdSimInterrupted: a run cancelled part way leaves no recording that
// looks complete (and the one already at the path as it was), and its
// progress stops where the run did.
func TestCmdSimInterrupted(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "intr")
	old := map[string]string{base + ".sigmf-data": "old data", base + ".sigmf-meta": "{}"}
	for p, b := range old {
		if err := os.WriteFile(p, []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errOut := &cancelOnWrite{cancel: cancel}
	args := []string{"--out", base, "--sensor", "s7", "--center", "902.4e6", "--rate", "2e6", "--duration", "2s",
		"--start", "2026-01-15T21:15:20Z", "--progress"}
	err := cmdSim(ctx, args, &bytes.Buffer{}, errOut)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if strings.Count(err.Error(), "sim:") != 1 || !strings.Contains(err.Error(), "nothing written") {
		t.Errorf("err %q, want one naming the command once and saying nothing was written", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != len(old) {
		t.Errorf("%d entries in the output folder, want the %d there before", len(ents), len(old))
	}
	for p, want := range old {
		if b, err := os.ReadFile(p); err != nil || string(b) != want {
			t.Errorf("%s: %q, %v; want it kept as %q", p, b, err, want)
		}
	}
	// cancelled at the progress line the job starts with, before a block
	if s := errOut.String(); strings.Contains(s, "100%") || !strings.Contains(s, "sim intr: stopped at 0% (0/4000000)") {
		t.Errorf("progress %q, want it stopped before the first block", s)
	}
}

// TestCmdSimProgressNoTerminal: --progress into a file or pipe writes plain
// lines, not a bar redrawn with carriage returns.
func TestCmdSimProgressNoTerminal(t *testing.T) {
	var errOut bytes.Buffer
	args := []string{"--out", filepath.Join(t.TempDir(), "p"), "--rate", "2e6", "--duration", "100ms", "--progress"}
	if err := cmdSim(context.Background(), args, &bytes.Buffer{}, &errOut); err != nil {
		t.Fatal(err)
	}
	s := errOut.String()
	if strings.ContainsAny(s, "\r|") || !strings.HasSuffix(s, "\n") || !strings.Contains(s, "sim p: 100% (200000/200000) in ") {
		t.Errorf("progress %q, want plain lines ending in the total", s)
	}
}

// TestCmdSimDocExamples: every `rfwarden sim --out` example of
// docs/simulator.md records an emitter on the air (its first 50 ms holds an
// annotation), so it is of use as an eval input.
func TestCmdSimDocExamples(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "simulator.md"))
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(line, "    rfwarden sim --out ") {
			continue
		}
		n++
		args := strings.Fields(line)[2:]
		base := filepath.Join(t.TempDir(), "ex")
		for i := 0; i+1 < len(args); i++ {
			switch args[i] {
			case "--out":
				args[i+1] = base
			case "--duration":
				args[i+1] = "50ms"
			}
		}
		if err := cmdSim(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
			t.Errorf("%s: %v", line, err)
			continue
		}
		m, err := sigmf.ReadMeta(base + ".sigmf-meta")
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Annotations) == 0 {
			t.Errorf("%s: no emitter on the air (no annotation in the first 50 ms)", strings.TrimSpace(line))
		}
	}
	if n == 0 {
		t.Error("docs/simulator.md has no `rfwarden sim --out` example")
	}
}

// TestCmdSimStartOutsideClock: `sim --start 9999-12-31T23:59:59.999Z
// --duration 10ms` spun at full CPU for over ten minutes, deaf to Ctrl-C
// and SIGTERM (sensor/sim counted its cycles in a saturated
// time.Duration), leaving its .b.tmp* folder when killed. A start the
// simulated clock does not hold, or a recording running past its end, is
// refused at once, naming --start and the range, with nothing written.
func TestCmdSimStartOutsideClock(t *testing.T) {
	for _, tc := range []struct {
		start, dur, want string
	}{
		{"9999-12-31T23:59:59.999Z", "10ms", "--start 9999-12-31T23:59:59.999Z is outside the simulated clock: give one from 1970-01-01T00:00:00Z up to, not including, 2200-01-01T00:00:00Z"},
		{"2330-01-01T00:00:00Z", "10ms", "from 1970-01-01T00:00:00Z up to, not including, 2200-01-01T00:00:00Z"},
		{"1969-12-31T23:59:59Z", "10ms", "from 1970-01-01T00:00:00Z up to, not including, 2200-01-01T00:00:00Z"},
		// the end is exclusive: "between ... and 2200-01-01" refused 2200-01-01 itself
		{"2200-01-01T00:00:00Z", "10ms", "--start 2200-01-01T00:00:00Z is outside the simulated clock: give one from 1970-01-01T00:00:00Z up to, not including, 2200-01-01T00:00:00Z"},
		{"2199-12-31T23:59:59.5Z", "1s", "--start 2199-12-31T23:59:59.5Z with --duration 1s ends after 2200-01-01T00:00:00Z"},
	} {
		dir := t.TempDir()
		done := make(chan error, 1)
		go func() {
			done <- cmdSim(context.Background(), []string{"--out", filepath.Join(dir, "b"), "--start", tc.start, "--duration", tc.dur}, io.Discard, io.Discard)
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("--start %s: err %v, want %q", tc.start, err, tc.want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("--start %s --duration %s: still running after 20 s", tc.start, tc.dur)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("--start %s: left %d files in the output folder", tc.start, len(ents))
		}
	}
}
