package eval

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// skippedAs maps each passed-over path (relative to dir) to its reason.
func skippedAs(t *testing.T, dir string, s []Skipped) map[string]SkipReason {
	t.Helper()
	got := map[string]SkipReason{}
	for _, k := range s {
		got[rel(t, dir, []string{k.Path})[0]] = k.Reason
	}
	return got
}

func scoredNames(run *CorpusRun) []string {
	var out []string
	for _, f := range run.Tally.Report().Files {
		out = append(out, f.Name)
	}
	return out
}

// TestRunCorpusPassesOverBadRecordings: one unreadable recording (data
// not a whole number of samples, data that differs from its core:sha512,
// a 16-byte macOS "._a.sigmf-meta") aborted the whole run and discarded
// every result, and progress said 100% first. Each is now passed over,
// told of as met and listed with why; the rest are scored and progress
// counts samples.
func TestRunCorpusPassesOverBadRecordings(t *testing.T) {
	dir := t.TempDir()
	writeTiny(t, dir, "a", "", "lte-dl")
	writeTiny(t, dir, "torn", "", "lte-dl")
	if err := os.WriteFile(filepath.Join(dir, "torn.sigmf-data"), make([]byte, 8*100+3), 0o644); err != nil {
		t.Fatal(err)
	}
	writeTiny(t, dir, "stale", "", "lte-dl")
	data := make([]byte, 8*4096)
	data[0] = 1 // no longer the samples core:sha512 was computed over
	if err := os.WriteFile(filepath.Join(dir, "stale.sigmf-data"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "._a.sigmf-meta"), []byte("\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		noVerify    bool
		wantScored  []string
		wantSkipped map[string]SkipReason
		wantNotices []string
	}{
		{"verified", false, []string{"a"}, map[string]SkipReason{"torn.sigmf-meta": SkipUnreadable, "stale.sigmf-meta": SkipUnreadable, "._a.sigmf-meta": SkipHidden},
			[]string{"torn.sigmf-meta: passed over: ", "not a multiple", "stale.sigmf-meta: passed over: ", "core:sha512"}},
		{"--verify=false", true, []string{"a", "stale"}, map[string]SkipReason{"torn.sigmf-meta": SkipUnreadable, "._a.sigmf-meta": SkipHidden},
			[]string{"torn.sigmf-meta: passed over: "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var notices []string
			var total, done int64
			run, err := runCorpusDir(dir, CorpusConfig{Pipeline: testPipeline(), NoVerify: tc.noVerify,
				Start:    func(n int64) { total = n },
				Progress: func(n int64) { done += n },
				Notice:   func(m string) { notices = append(notices, m) }})
			if err != nil {
				t.Fatalf("RunCorpus: %v", err)
			}
			if got := scoredNames(run); !slices.Equal(got, tc.wantScored) {
				t.Errorf("scored %v, want %v", got, tc.wantScored)
			}
			if got := skippedAs(t, dir, run.Skipped); !mapsEqual(got, tc.wantSkipped) {
				t.Errorf("skipped %v, want %v", got, tc.wantSkipped)
			}
			all := strings.Join(notices, "\n")
			for _, w := range tc.wantNotices {
				if !strings.Contains(all, w) {
					t.Errorf("notices %q lack %q", all, w)
				}
			}
			want := int64(4096 * 2) // two recordings scored
			if !tc.noVerify {
				want *= 2 // and their hashes checked, counted as reading them once more
			}
			if total != want || done != total {
				t.Errorf("progress %d of %d samples, want %d of %d", done, total, want, want)
			}
			r := run.Report()
			if len(r.Skipped) != len(tc.wantSkipped) || !slices.ContainsFunc(r.Skipped, func(s Skipped) bool { return s.Path == "torn.sigmf-meta" && strings.Contains(s.Why, "torn") }) {
				t.Errorf("report skipped %+v, want torn.sigmf-meta with why", r.Skipped)
			}
		})
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestRunCorpusScoresARecordingOnce: a link to a metadata file, and the
// output of scan --annotate written beside its input (a second metadata
// file naming the same data) scored the same samples twice. The first
// path that is no link, and the metadata with only the user's truth, are
// scored.
func TestRunCorpusScoresARecordingOnce(t *testing.T) {
	dir := t.TempDir()
	writeTiny(t, dir, "b", "", "lte-dl")
	symlink(t, filepath.Join(dir, "b.sigmf-meta"), filepath.Join(dir, "a-link.sigmf-meta"))
	// scan --annotate's OUT beside its input: the input's truth, its own
	// detections, core:dataset naming the input's data
	m, err := sigmf.ReadMeta(filepath.Join(dir, "b.sigmf-meta"))
	if err != nil {
		t.Fatal(err)
	}
	m.Global.Extra["core:dataset"] = "b.sigmf-data"
	m.Annotations = append(m.Annotations, sigmf.Annotation{SampleStart: 0, SampleCount: 10, Label: "lte-dl", Generator: OwnGenerator})
	if err := sigmf.WriteMeta(filepath.Join(dir, "a-scan.sigmf-meta"), m); err != nil {
		t.Fatal(err)
	}
	var notices []string
	run, err := runCorpusDir(dir, CorpusConfig{Pipeline: testPipeline(), Notice: func(m string) { notices = append(notices, m) }})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := scoredNames(run), []string{"b"}; !slices.Equal(got, want) {
		t.Errorf("scored %v, want %v (by its own path, not the link)", got, want)
	}
	want := map[string]SkipReason{"a-link.sigmf-meta": SkipSameFile, "a-scan.sigmf-meta": SkipSameData}
	if got := skippedAs(t, dir, run.Skipped); !mapsEqual(got, want) {
		t.Errorf("skipped %v, want %v", got, want)
	}
	if all := strings.Join(notices, "\n"); !strings.Contains(all, "a-scan.sigmf-meta: passed over: names the same data as b.sigmf-meta") {
		t.Errorf("notices %q do not say a-scan names a-link's data", all)
	}
}

// TestRunCorpusFollowsRFWDataset: metadata scan --annotate wrote in
// another folder was refused ("its samples are not beside it"); its
// rfw:dataset is followed.
func TestRunCorpusFollowsRFWDataset(t *testing.T) {
	dir := t.TempDir()
	src := writeTiny(t, filepath.Join(dir, "data"), "rec", "", "lte-dl")
	m, err := sigmf.ReadMeta(src)
	if err != nil {
		t.Fatal(err)
	}
	m.Global.Extra["rfw:dataset"] = "../data/rec.sigmf-data"
	if err := os.MkdirAll(filepath.Join(dir, "notes"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := sigmf.WriteMeta(filepath.Join(dir, "notes", "rec-scan.sigmf-meta"), m); err != nil {
		t.Fatal(err)
	}
	c, err := FindCorpus(filepath.Join(dir, "notes"))
	if err != nil {
		t.Fatal(err)
	}
	run, err := RunCorpus(context.Background(), c, CorpusConfig{Pipeline: testPipeline(), DatasetRoot: dir})
	if err != nil {
		t.Fatalf("RunCorpus: %v", err)
	}
	if got := scoredNames(run); !slices.Equal(got, []string{"rec-scan"}) {
		t.Errorf("scored %v, want rec-scan", got)
	}
}

// TestRunCorpusRFWDatasetStaysInCorpus: rfw:dataset
// "../../secret/private.bin" made eval scan a file outside the corpus, its
// size and existence in the skip reasons and the JSON. rfw:dataset must
// stay inside the corpus folder (CorpusConfig.DatasetRoot, by default
// Corpus.Dir), after links: else the recording is passed over as
// unreadable, naming rfw:dataset and nothing of the file outside.
func TestRunCorpusRFWDatasetStaysInCorpus(t *testing.T) {
	top := t.TempDir()
	corpus := filepath.Join(top, "corpus")
	src := writeTiny(t, filepath.Join(top, "secret"), "private", "", "lte-dl")
	if err := os.Rename(strings.TrimSuffix(src, sigmf.MetaExt)+sigmf.DataExt, filepath.Join(top, "secret", "private.bin")); err != nil {
		t.Fatal(err)
	}
	m, err := sigmf.ReadMeta(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(corpus, "notes"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(top, "secret"), filepath.Join(corpus, "out")); err != nil {
		t.Fatal(err)
	}
	for name, ds := range map[string]string{"up": "../../secret/private.bin", "gone": "../../secret/none.bin", "link": "../out/private.bin"} {
		m.Global.Extra["rfw:dataset"] = ds
		if err := sigmf.WriteMeta(filepath.Join(corpus, "notes", name+sigmf.MetaExt), m); err != nil {
			t.Fatal(err)
		}
	}
	writeTiny(t, corpus, "ok", "", "lte-dl")
	c, err := FindCorpus(corpus)
	if err != nil {
		t.Fatal(err)
	}
	run, err := RunCorpus(context.Background(), c, CorpusConfig{Pipeline: testPipeline()})
	if err != nil {
		t.Fatalf("RunCorpus: %v", err)
	}
	if got := scoredNames(run); !slices.Equal(got, []string{"ok"}) {
		t.Errorf("scored %v, want ok only", got)
	}
	passed := 0
	for _, s := range run.Skipped {
		if !strings.Contains(s.Path, "notes") {
			continue
		}
		passed++
		if s.Reason != SkipUnreadable || !strings.Contains(s.Why, "rfw:dataset") || !strings.Contains(s.Why, "leads out of") {
			t.Errorf("%s: %v (%s), want unreadable naming rfw:dataset leading out", s.Path, s.Reason, s.Why)
		}
		if strings.Contains(s.Why, "bytes") || strings.Contains(s.Why, "no such file") {
			t.Errorf("%s: %s says something of the file outside the corpus", s.Path, s.Why)
		}
	}
	if passed != 3 {
		t.Errorf("%d of the 3 recordings leading out passed over; skipped %+v", passed, run.Skipped)
	}
}

// TestCorpusReportUnmappedLabels: labels naming no class were scored as
// "other" without a word; the report counts them.
func TestCorpusReportUnmappedLabels(t *testing.T) {
	dir := t.TempDir()
	writeTiny(t, dir, "a", "", "lte-dl", "Zigbee 802.15.4", "LoRa")
	writeTiny(t, dir, "b", "", "Zigbee 802.15.4", "other")
	run, err := runCorpusDir(dir, CorpusConfig{Pipeline: testPipeline()})
	if err != nil {
		t.Fatal(err)
	}
	got := run.Report().Unmapped
	want := []LabelCount{{"Zigbee 802.15.4", 2}, {"LoRa", 1}}
	if !slices.Equal(got, want) {
		t.Errorf("unmapped %v, want %v", got, want)
	}
}

func TestSkipReasonText(t *testing.T) {
	for _, r := range skipReasons {
		b, err := r.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back SkipReason
		if err := back.UnmarshalText(b); err != nil || back != r {
			t.Errorf("%v: read back as %v, %v", r, back, err)
		}
	}
	var r SkipReason
	if err := r.UnmarshalText([]byte("martian")); err == nil {
		t.Error("unknown reason read without error")
	}
}
