package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/ctxtest"
	"github.com/rfwarden/rfwarden/sensor/eval"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmftest"
)

// writeLabelledLTE writes a generated LTE case as a SigMF recording in dir
// with its truth as "lte tdd" annotations, plus a noise window before it.
func writeLabelledLTE(t *testing.T, dir string) {
	t.Helper()
	var spec eval.CaseSpec
	for _, s := range eval.DefaultSpecs() {
		if s.Class == "lte" {
			spec = s
		}
	}
	iq, truth, err := eval.Render(eval.Case{Name: "lte", Spec: spec, SNRDB: 21, Seed: 4}, eval.GenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := sigmf.NewWriter(filepath.Join(dir, "lte"), "cf32_le", spec.SampleRateHz, spec.CenterHz, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(iq); err != nil {
		t.Fatal(err)
	}
	w.Annotate(sigmf.Annotation{SampleStart: 0, SampleCount: int64(2e-3 * spec.SampleRateHz), Label: "noise"})
	for _, tr := range truth {
		w.Annotate(sigmf.Annotation{SampleStart: tr.StartSample, SampleCount: tr.SampleCount, Label: "LTE TDD",
			FreqLowerHz: tr.FreqLowHz, FreqUpperHz: tr.FreqHighHz, HasFreq: true})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestEvalEndToEnd(t *testing.T) {
	dir := t.TempDir()
	corpus := filepath.Join(dir, "corpus")
	if err := os.Mkdir(corpus, 0o755); err != nil {
		t.Fatal(err)
	}
	writeLabelledLTE(t, corpus)
	jsonPath, svgPath := filepath.Join(dir, "out.json"), filepath.Join(dir, "out.svg")
	var stdout, stderr bytes.Buffer
	args := []string{"eval", "--corpus", corpus, "--classes", "lte,droneid", "--snr-list", "6, 21", "--cases", "1",
		"--noise-cases", "2", "--noise-dur", "0.02", "--seed", "3", "--json", jsonPath, "--svg", svgPath, "--progress"}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("eval: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"== corpus " + corpus, "== generated: 6 cases (seed 3, pfa 1e-09)", "precision", "MISSED", "false alarms", "Pd / Pc"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr.String(), "generated") || !strings.Contains(stderr.String(), "eval: done") {
		t.Errorf("stderr shows no progress:\n%s", stderr.String())
	}

	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc evalJSON
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("JSON does not parse: %v\n%s", err, raw)
	}
	if doc.Settings.PFA != 1e-9 || doc.Settings.Seed != 3 || len(doc.Settings.SNRsDB) != 2 || len(doc.Settings.Classes) != 2 {
		t.Errorf("settings %+v", doc.Settings)
	}
	if doc.Corpus == nil || doc.Corpus.Runs != 1 || len(doc.Corpus.Files) != 1 || doc.Corpus.Files[0].Detected != doc.Corpus.Files[0].Targets {
		t.Errorf("corpus report %+v", doc.Corpus)
	}
	if doc.Generated == nil || doc.Generated.Runs != 6 || len(doc.Generated.PdVsSNR) != 2 || len(doc.Generated.Confusion.Rows) == 0 {
		t.Fatalf("generated report %+v", doc.Generated)
	}
	if s := doc.Generated.Noise.Seconds; s < 0.039 || s > 0.041 {
		t.Errorf("noise seconds %v, want 0.04", s)
	}
	for _, c := range doc.Generated.Classes {
		if c.Class == "lte" && (c.Pd == nil || *c.Pd < 0.9) {
			t.Errorf("LTE Pd %v at 6 and 21 dB, want ≥ 0.9", c.Pd)
		}
	}

	svg, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	polylines := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			polylines++
		}
	}
	if polylines != 4 { // Pd and Pc for each of two classes
		t.Errorf("%d polylines, want 4", polylines)
	}
}

func TestEvalFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad SNR", []string{"--snr-list", "3,x"}, "--snr-list"},
		{"non-finite SNR", []string{"--snr-list", "NaN"}, "--snr-list"},
		// 1000 dB overflowed: Pd 0.000 for every class, where 700 gave 1.000
		{"SNR too high", []string{"--snr-list", "3,1000"}, "--snr-list: 1000 dB is outside -50..100 dB"},
		{"SNR far too high", []string{"--snr-list", "1e308"}, "--snr-list: 1e+308 dB is outside -50..100 dB"},
		{"SNR too low", []string{"--snr-list", "-60"}, "--snr-list: -60 dB is outside -50..100 dB"},
		{"unknown class", []string{"--classes", "lte,martian"}, "unknown class \"martian\""},
		{"negative cases", []string{"--cases", "-1"}, "must not be negative"},
		{"bad pfa", []string{"--pfa", "2"}, "--pfa"},
		{"one spike level", []string{"--dc-spike-db", "-5"}, "--dc-spike-db"},
		{"inverted spike range", []string{"--dc-spike-db", "-5,-20"}, "--dc-spike-db"},
		{"bad noise duration", []string{"--noise-dur", "0"}, "--noise-dur"},
		{"nothing to do", []string{"--cases", "0", "--noise-cases", "0"}, "nothing to do"},
		{"svg without generated", []string{"--cases", "0", "--noise-cases", "0", "--svg", "x.svg"}, "--svg"},
		{"svg with noise cases only", []string{"--cases", "0", "--noise-cases", "1", "--svg", "x.svg"}, "--svg"},
		{"duplicate class", []string{"--classes", "lte, nr,lte"}, `class "lte" given twice`},
		{"duplicate SNR", []string{"--snr-list", "0,6,0.0"}, "--snr-list: 0 dB given twice"},
		{"cases overflow", []string{"--cases", "9223372036854775807", "--noise-cases", "0"}, "--cases 9223372036854775807"},
		{"stray argument", []string{"file.sigmf-meta"}, "unexpected argument"},
		{"absent corpus", []string{"--corpus", "/nonexistent/rfw", "--cases", "0", "--noise-cases", "0"}, "/nonexistent/rfw"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"eval"}, tt.args...), &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want one mentioning %q", err, tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing before the flags are sound", stdout.String())
			}
		})
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"eval", "--no-such-flag"}, &stdout, &stderr); !errors.Is(err, errUsage) {
		t.Errorf("unknown flag: %v, want errUsage", err)
	}
}

// TestEvalConflictBeforeWork: --svg without generated cases is refused
// before the corpus is scored, and nothing is written.
func TestEvalConflictBeforeWork(t *testing.T) {
	dir := t.TempDir()
	corpus := filepath.Join(dir, "corpus")
	if err := os.Mkdir(corpus, 0o755); err != nil {
		t.Fatal(err)
	}
	writeLabelledLTE(t, corpus)
	jsonPath, svgPath := filepath.Join(dir, "ev.json"), filepath.Join(dir, "ev.svg")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"eval", "--cases", "0", "--noise-cases", "0", "--corpus", corpus,
		"--json", jsonPath, "--svg", svgPath, "--progress"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "--svg") {
		t.Fatalf("err %v, want one naming --svg", err)
	}
	if stdout.Len() != 0 || stderr.Len() != 0 {
		t.Errorf("work done before the refusal: stdout %q, stderr %q", stdout.String(), stderr.String())
	}
	for _, p := range []string{jsonPath, svgPath} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: %v, want it not written", p, err)
		}
	}
}

// TestEvalCancelled: a cancelled run of a million cases ends
// without building its plan in memory, its progress stops where the run
// did, and the error names the command once.
func TestEvalCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := run(ctx, []string{"eval", "--cases", "1000000", "--classes", "gsm", "--snr-list", "0", "--noise-cases", "0", "--progress"}, &stdout, &stderr)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if got, want := err.Error(), "eval: interrupted at case gsm@0dB#0 (0 of 1000000 generated cases done)"; got != want {
		t.Errorf("err %q, want %q", got, want)
	}
	if stdout.Len() > 0 {
		t.Errorf("stdout %q, want nothing: no case was done", stdout.String())
	}
	// a plan of 1e6 cases held in memory costs 170 MB; one case's IQ 0.6 MB
	if mb := float64(after.TotalAlloc-before.TotalAlloc) / 1e6; mb > 64 {
		t.Errorf("a cancelled run allocated %.0f MB, want the plan not built", mb)
	}
	if s := stderr.String(); strings.Contains(s, "100%") || !strings.Contains(s, "generated: stopped at 0% (0/1000000)") {
		t.Errorf("progress %q, want it stopped at the start", s)
	}
}

// TestEvalRealIQ runs the corpus of real recordings through the command.
func TestEvalRealIQ(t *testing.T) {
	dir := realIQDir(t)
	jsonPath := filepath.Join(t.TempDir(), "real.json")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"eval", "--corpus", dir, "--cases", "0", "--noise-cases", "0", "--json", jsonPath}, &stdout, &stderr); err != nil {
		t.Fatalf("eval: %v\n%s", err, stderr.String())
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc evalJSON
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Corpus == nil || doc.Generated != nil || len(doc.Corpus.Files) < 10 {
		t.Fatalf("report %+v", doc)
	}
	for _, f := range doc.Corpus.Files {
		if f.Detected != f.Targets {
			t.Errorf("%s: %d of %d targets found", f.Name, f.Detected, f.Targets)
		}
	}
}

// writeClip writes dir/name as 4096 silent cf32 samples with one
// annotation labelled label by generator gen, as a sensor's evidence clip.
func writeClip(t *testing.T, dir, name, gen, label string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := sigmf.NewWriter(filepath.Join(dir, name), "cf32_le", 1e6, 1747.5e6, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(make([]complex64, 4096)); err != nil {
		t.Fatal(err)
	}
	w.Annotate(sigmf.Annotation{SampleStart: 0, SampleCount: 4096, Label: label, Generator: gen})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestEvalCorpusLinksAndOwnLabels: --corpus given as a symbolic link, and
// folders linked inside it, are read (eval answered "no SigMF recording
// with core:label annotations" for a link to real-iq); the labels a
// sensor wrote on an evidence clip are not truth unless --include-own,
// and what is passed over is counted on stderr with the reason.
func TestEvalCorpusLinksAndOwnLabels(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.MkdirAll(filepath.Join(real, "night1"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeLabelledLTE(t, filepath.Join(real, "night1"))
	clips := filepath.Join(dir, "bundle", "snippets")
	writeClip(t, clips, "s1-0001", eval.SensorGenerator, "LTE/NR uplink (LTE B3 UL, unconfirmed: too short)")
	if err := os.Symlink(real, filepath.Join(dir, "link")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	if err := os.Symlink(clips, filepath.Join(real, "clips")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		args       []string
		wantRuns   int
		wantStderr []string
	}{
		{"default", nil, 1, []string{"passed over 1: 1 recording labelled only by rfwarden's own detectors", "clips/s1-0001.sigmf-meta", "--include-own"}},
		{"include own", []string{"--include-own"}, 2, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jsonPath := filepath.Join(t.TempDir(), "ev.json")
			var stdout, stderr bytes.Buffer
			args := append([]string{"eval", "--corpus", filepath.Join(dir, "link"), "--cases", "0", "--noise-cases", "0", "--json", jsonPath}, tc.args...)
			if err := run(context.Background(), args, &stdout, &stderr); err != nil {
				t.Fatalf("eval: %v\n%s", err, stderr.String())
			}
			raw, err := os.ReadFile(jsonPath)
			if err != nil {
				t.Fatal(err)
			}
			var doc evalJSON
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Corpus == nil || doc.Corpus.Runs != tc.wantRuns {
				t.Errorf("corpus report %+v, want %d recordings scored", doc.Corpus, tc.wantRuns)
			}
			for _, w := range tc.wantStderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
		})
	}
	// The bundle's clips alone: nothing is truth, and the error says why.
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"eval", "--corpus", clips, "--cases", "0", "--noise-cases", "0"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "rfwarden sensor") || !strings.Contains(err.Error(), "--include-own") {
		t.Errorf("bundle alone: %v, want an error naming the sensor's annotations and --include-own", err)
	}
}

// TestEvalInterruptedKeepsTables: Ctrl-C during the generated cases or
// the corpus prints the tables of what was done, writes --json (saying it
// is partial), names where it stopped and fails. It printed nothing and
// "case nr@21dB#0: context canceled".
func TestEvalInterruptedKeepsTables(t *testing.T) {
	corpus := t.TempDir()
	writeClip(t, corpus, "a", "", "lte uplink")
	writeClip(t, corpus, "b", "", "lte uplink")
	for _, tc := range []struct {
		name      string
		args      []string
		n         int // ctx.Err calls before the interrupt: one per block
		wantOut   string
		wantErr   string
		corpusRun int
		genRuns   int
	}{
		// a GSM case is two blocks: two cases, then stop in the third
		{"generated", []string{"--classes", "gsm", "--snr-list", "21", "--cases", "3", "--noise-cases", "0"}, 4,
			"== generated: 2 of 3 cases (interrupted; seed 1, pfa 1e-09)", "eval: interrupted at case gsm@21dB#2 (2 of 3 generated cases done); the tables above are of those", 0, 2},
		// a clip is its hash check and one block: a, then stop in b's
		// check; no generated case is run
		{"corpus", []string{"--corpus", corpus, "--cases", "1", "--classes", "gsm", "--snr-list", "21", "--noise-cases", "0"}, 2,
			"== corpus " + corpus + " (pfa 1e-09, interrupted after 1 of 2 recordings): 1 run ==", "eval: interrupted at b.sigmf-meta (1 of 2 corpus recordings done); the tables above are of those", 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jsonPath := filepath.Join(t.TempDir(), "ev.json")
			var stdout, stderr bytes.Buffer
			ctx := &ctxtest.ErrAfter{Context: context.Background(), N: tc.n}
			err := run(ctx, append([]string{"eval", "--json", jsonPath}, tc.args...), &stdout, &stderr)
			if !errors.Is(err, context.Canceled) || err.Error() != tc.wantErr {
				t.Errorf("err %v, want %q wrapping context.Canceled", err, tc.wantErr)
			}
			if !strings.Contains(stdout.String(), tc.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tc.wantOut, stdout.String())
			}
			raw, err := os.ReadFile(jsonPath)
			if err != nil {
				t.Fatal(err)
			}
			var doc evalJSON
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Interrupted != tc.wantErr {
				t.Errorf("JSON interrupted %q, want %q", doc.Interrupted, tc.wantErr)
			}
			if runs := func(r *eval.Report) int {
				if r == nil {
					return 0
				}
				return r.Runs
			}; runs(doc.Corpus) != tc.corpusRun || runs(doc.Generated) != tc.genRuns {
				t.Errorf("JSON holds %d corpus recordings and %d cases, want %d and %d", runs(doc.Corpus), runs(doc.Generated), tc.corpusRun, tc.genRuns)
			}
		})
	}
}

// TestEvalOutputPaths: --json and --svg that cannot be written are refused
// before any work, naming the path as given (eval failed after all the
// work, naming a hidden temporary file, ".e.json.1620293555"); what it
// writes gets 0666 less the umask, as scan --annotate's does (it was
// 0600, then 0644 whatever the umask). Not parallel: the umask is the
// process's.
func TestEvalOutputPaths(t *testing.T) {
	dir := t.TempDir()
	gen := []string{"--classes", "gsm", "--snr-list", "21", "--cases", "1", "--noise-cases", "0"}
	for _, tc := range []struct {
		name string
		flag string
		path string
		want string
	}{
		{"json in a missing folder", "--json", filepath.Join(dir, "nope", "e.json"), "no such file or directory"},
		{"svg in a missing folder", "--svg", filepath.Join(dir, "nope", "pd.svg"), "no such file or directory"},
		{"json is a folder", "--json", dir, "is a folder"},
		{"json in a file", "--json", filepath.Join(dir, "file", "e.json"), "not a folder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"eval", tc.flag, tc.path, "--progress"}, gen...), &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.flag+" "+strconvQuote(tc.path)) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "/.") {
				t.Errorf("err %v, want one naming %s %q: %s (and no hidden file)", err, tc.flag, tc.path, tc.want)
			}
			if stdout.Len() > 0 || stderr.Len() > 0 {
				t.Errorf("work done before the refusal: stdout %q, stderr %q", stdout.String(), stderr.String())
			}
		})
	}
	for _, tc := range []struct {
		umask int
		want  os.FileMode
	}{{0o022, 0o644}, {0o077, 0o600}} {
		jsonPath, svgPath := filepath.Join(dir, "e.json"), filepath.Join(dir, "pd.svg")
		for _, p := range []string{jsonPath, svgPath} {
			os.Remove(p) // each run writes a new file
		}
		var stdout, stderr bytes.Buffer
		old := syscall.Umask(tc.umask)
		err := run(context.Background(), append([]string{"eval", "--json", jsonPath, "--svg", svgPath}, gen...), &stdout, &stderr)
		syscall.Umask(old)
		if err != nil {
			t.Fatalf("eval: %v\n%s", err, stderr.String())
		}
		for _, p := range []string{jsonPath, svgPath} {
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != tc.want {
				t.Errorf("umask %#o: %s: mode %v, want %v", tc.umask, p, st.Mode().Perm(), tc.want)
			}
		}
	}
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

// TestEvalUnlabelledCorpusSaysWhatToDo: a folder of a site's own
// recordings with no core:label annotation (the demo's --record, a plain
// capture) is refused saying how to give it truth and that scan shows
// what the pipeline finds; it said only "no labelled SigMF recording
// could be scored: 1 recording without core:label annotations (...)".
func TestEvalUnlabelledCorpusSaysWhatToDo(t *testing.T) {
	for _, tc := range []struct {
		name     string
		write    func(t *testing.T, dir string)
		want     []string
		wantNone []string
	}{
		{"unlabelled", func(t *testing.T, dir string) {
			sigmftest.WriteRecording(t, filepath.Join(dir, "night"), 1e6, 1747.5e6, make([]complex64, 4096))
		}, []string{"without core:label", "annotate each emission with its core:label", "docs/evaluation.md", "rfwarden scan"}, []string{"--include-own"}},
		{"own labels only", func(t *testing.T, dir string) {
			writeClip(t, dir, "s1-0001", eval.SensorGenerator, "LTE/NR uplink (LTE B3 UL)")
		}, []string{"--include-own"}, []string{"annotate each emission"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.write(t, dir)
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), []string{"eval", "--corpus", dir, "--cases", "0", "--noise-cases", "0"}, &stdout, &stderr)
			if err == nil {
				t.Fatalf("eval of a corpus without truth succeeded:\n%s", stdout.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			for _, w := range tc.wantNone {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error has %q, which does not apply here: %v", w, err)
				}
			}
		})
	}
}
