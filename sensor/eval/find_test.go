package eval

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// writeTiny writes dir/name as a 4096-sample cf32 recording of silence
// with one whole-band annotation per label, each with the generator gen,
// and returns its meta path.
func writeTiny(t *testing.T, dir, name, gen string, labels ...string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := sigmf.NewWriter(filepath.Join(dir, name), "cf32_le", 1e6, 915e6, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(make([]complex64, 4096)); err != nil {
		t.Fatal(err)
	}
	for _, l := range labels {
		w.Annotate(sigmf.Annotation{SampleStart: 0, SampleCount: 1024, Label: l, Generator: gen})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name+sigmf.MetaExt)
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
}

// rel returns paths relative to dir, with forward slashes.
func rel(t *testing.T, dir string, paths []string) []string {
	t.Helper()
	var out []string
	for _, p := range paths {
		r, err := filepath.Rel(dir, p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, filepath.ToSlash(r))
	}
	return out
}

// TestFindCorpusFollowsLinks: a corpus given as a symbolic link to a
// folder, and linked folders inside one, are read (eval said "no SigMF
// recording with core:label annotations" for `--corpus reallink` and
// skipped linked subfolders without a word); a link back up the tree,
// a second link to a folder already read and a dangling link are passed
// over and listed with the reason.
func TestFindCorpusFollowsLinks(t *testing.T) {
	tmp := t.TempDir()
	real := filepath.Join(tmp, "real")
	writeTiny(t, real, "a", "", "lte-dl")
	writeTiny(t, filepath.Join(real, "night1"), "s1", "", "nr-ul")
	symlink(t, real, filepath.Join(tmp, "reallink"))
	nest := filepath.Join(tmp, "nest")
	writeTiny(t, nest, "own", "", "wifi")
	symlink(t, real, filepath.Join(nest, "linked"))
	symlink(t, real, filepath.Join(nest, "linked2")) // the same folder again
	symlink(t, nest, filepath.Join(nest, "loop"))    // back to the root
	symlink(t, filepath.Join(tmp, "nowhere.sigmf-meta"), filepath.Join(nest, "dangling.sigmf-meta"))

	tests := []struct {
		dir         string
		wantPaths   []string
		wantSkipped map[string]SkipReason
	}{
		{"reallink", []string{"a.sigmf-meta", "night1/s1.sigmf-meta"}, nil},
		{"reallink/", []string{"a.sigmf-meta", "night1/s1.sigmf-meta"}, nil},
		{"nest", []string{"linked/a.sigmf-meta", "linked/night1/s1.sigmf-meta", "own.sigmf-meta"},
			map[string]SkipReason{"linked2": SkipSeen, "loop": SkipSeen, "dangling.sigmf-meta": SkipBrokenLink}},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			dir := tmp + string(filepath.Separator) + tc.dir // "reallink/" kept as given
			c, err := FindCorpus(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got := rel(t, dir, c.Paths); !slices.Equal(got, tc.wantPaths) {
				t.Errorf("paths %v, want %v", got, tc.wantPaths)
			}
			got := map[string]SkipReason{}
			for _, s := range c.Skipped {
				got[rel(t, dir, []string{s.Path})[0]] = s.Reason
			}
			if len(got) != len(tc.wantSkipped) {
				t.Errorf("skipped %v, want %v", got, tc.wantSkipped)
			}
			for p, r := range tc.wantSkipped {
				if got[p] != r {
					t.Errorf("skipped %s: %v, want %v", p, got[p], r)
				}
			}
		})
	}
	if _, err := FindCorpus(filepath.Join(tmp, "absent")); err == nil {
		t.Error("absent folder: no error")
	}
	if _, err := FindCorpus(filepath.Join(real, "a.sigmf-meta")); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Errorf("a file as the corpus: %v, want an error saying it is not a folder", err)
	}
}

// TestRunCorpusOwnAnnotations: annotations rfwarden's own detectors wrote
// (core:generator "rfwarden" from scan --annotate, "rfwarden sensor" on an
// evidence bundle's clips) are not truth unless IncludeOwn: an evidence
// bundle scored the system against itself. The simulator's truth
// ("rfwarden sim") is truth. Recordings passed over are listed with why.
func TestRunCorpusOwnAnnotations(t *testing.T) {
	dir := t.TempDir()
	writeTiny(t, dir, "clip", SensorGenerator, "LTE/NR uplink (LTE B3 UL, 15 kHz SCS)")
	writeTiny(t, dir, "scanned", OwnGenerator, "LTE downlink (LTE B3 DL, 15 kHz SCS)")
	writeTiny(t, dir, "sim", "rfwarden sim", "lte")
	writeTiny(t, dir, "bare", "")
	cfg := testPipeline()
	tests := []struct {
		name        string
		includeOwn  bool
		wantScored  []string
		wantSkipped map[string]SkipReason
	}{
		{"default", false, []string{"sim"},
			map[string]SkipReason{"bare.sigmf-meta": SkipNoLabels, "clip.sigmf-meta": SkipOwnLabels, "scanned.sigmf-meta": SkipOwnLabels}},
		{"include own", true, []string{"clip", "scanned", "sim"}, map[string]SkipReason{"bare.sigmf-meta": SkipNoLabels}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := FindCorpus(dir)
			if err != nil {
				t.Fatal(err)
			}
			run, err := RunCorpus(context.Background(), c, CorpusConfig{Pipeline: cfg, IncludeOwn: tc.includeOwn})
			if err != nil {
				t.Fatal(err)
			}
			var scored []string
			for _, f := range run.Tally.Report().Files {
				scored = append(scored, f.Name)
			}
			if !slices.Equal(scored, tc.wantScored) {
				t.Errorf("scored %v, want %v", scored, tc.wantScored)
			}
			got := map[string]SkipReason{}
			for _, s := range run.Skipped {
				got[filepath.Base(s.Path)] = s.Reason
			}
			if len(got) != len(tc.wantSkipped) {
				t.Errorf("skipped %v, want %v", got, tc.wantSkipped)
			}
			for p, r := range tc.wantSkipped {
				if got[p] != r {
					t.Errorf("skipped %s: %v, want %v", p, got[p], r)
				}
			}
		})
	}
	// A bundle of clips alone: nothing to score, and the error says why.
	only := t.TempDir()
	writeTiny(t, only, "clip", SensorGenerator, "GSM downlink (DCS-1800 DL)")
	c, err := FindCorpus(only)
	if err != nil {
		t.Fatal(err)
	}
	_, err = RunCorpus(context.Background(), c, CorpusConfig{Pipeline: cfg})
	if !errors.Is(err, ErrNoCorpus) || !strings.Contains(err.Error(), "rfwarden sensor") {
		t.Errorf("bundle alone: %v, want ErrNoCorpus naming the sensor's generator", err)
	}
}

// TestCorpusFileNames: the per-file lines name each recording by its path
// in the corpus, so night1/s1 and night2/s1 are told apart (both read
// "s1").
func TestCorpusFileNames(t *testing.T) {
	dir := t.TempDir()
	writeTiny(t, filepath.Join(dir, "night1"), "s1", "", "lte-dl")
	writeTiny(t, filepath.Join(dir, "night2"), "s1", "", "lte-dl")
	run, err := runCorpusDir(dir, CorpusConfig{Pipeline: testPipeline()})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range run.Tally.Report().Files {
		names = append(names, f.Name)
	}
	if want := []string{"night1/s1", "night2/s1"}; !slices.Equal(names, want) {
		t.Errorf("file names %v, want %v", names, want)
	}
}

func TestSkipSummary(t *testing.T) {
	c := Corpus{Dir: "/c", Skipped: []Skipped{
		{Path: "/c/a.sigmf-meta", Reason: SkipNoLabels}, {Path: "/c/b.sigmf-meta", Reason: SkipNoLabels}, {Path: "/c/x/c.sigmf-meta", Reason: SkipNoLabels},
		{Path: "/c/x/d.sigmf-meta", Reason: SkipNoLabels}, {Path: "/c/loop", Reason: SkipSeen}, {Path: "/c/clip.sigmf-meta", Reason: SkipOwnLabels},
	}}
	want := "4 recordings without core:label annotations (a.sigmf-meta, b.sigmf-meta, x/c.sigmf-meta, …); " +
		"1 recording labelled only by rfwarden's own detectors (core:generator rfwarden or rfwarden sensor) (clip.sigmf-meta); " +
		"1 folder already read by another path (a link loop, or a second way to the same folder) (loop)"
	if got := c.SkipSummary(); got != want {
		t.Errorf("SkipSummary:\n got %q\nwant %q", got, want)
	}
	if got := (Corpus{}).SkipSummary(); got != "" {
		t.Errorf("nothing skipped: %q, want \"\"", got)
	}
}
