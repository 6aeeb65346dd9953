package eval

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// TestArchiveOfSeveralExtractedBeside: the recordings of a SigMF archive
// of several are each scored once (TestSiteArchiveSeveralRecordings),
// and so is each when the archive is extracted beside itself
// (TestSiteArchiveAndExtractedCopyScoredOnce): the extracted copies are
// the same data.
func TestArchiveOfSeveralExtractedBeside(t *testing.T) {
	src, dir := t.TempDir(), t.TempDir()
	for _, n := range []string{"day-0", "day-1"} {
		writeTiny(t, src, n, "", "lte-dl")
		writeTiny(t, filepath.Join(dir, n), n, "", "lte-dl") // as tar xf day.sigmf extracts it
	}
	writeTiny(t, dir, "other", "", "gsm-ul")
	writeSiteArchive(t, filepath.Join(dir, "day.sigmf"), src, "day-0", "day-1")
	c := mustFind(t, dir)
	want := []string{"day-0/day-0.sigmf-meta", "day-1/day-1.sigmf-meta", "day.sigmf:day-0/day-0", "day.sigmf:day-1/day-1", "other.sigmf-meta"}
	var got []string
	for _, p := range c.Paths {
		got = append(got, c.relName(p))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("corpus %q, want %q", got, want)
	}
	run, err := runCorpusDir(dir, CorpusConfig{Pipeline: testPipeline()})
	if err != nil {
		t.Fatal(err)
	}
	if runs, same := run.Tally.Report().Runs, run.Count(SkipSameData); runs != 3 || same != 2 {
		t.Errorf("scored %d (%v), %d as the same data; want the two recordings and other scored once each, the two extracted copies the same data", runs, scoredNames(run), same)
	}
}

// TestUpperCaseExtensionPassedOver: REC.SIGMF-META (a FAT card, a
// Windows share) and DAY.Sigmf are listed as passed over, unreadable,
// saying what to rename them to, and told of as the run starts
// (TestSiteUpperCaseExtensionNotSilent); the lower-case recording beside
// them is scored.
func TestUpperCaseExtensionPassedOver(t *testing.T) {
	dir := t.TempDir()
	writeTiny(t, dir, "ok", "", "lte-dl")
	writeTiny(t, dir, "loud", "", "lte-dl")
	for _, ext := range []string{sigmf.MetaExt, sigmf.DataExt} {
		if err := os.Rename(filepath.Join(dir, "loud"+ext), filepath.Join(dir, "LOUD"+strings.ToUpper(ext))); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "DAY.Sigmf"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var notices []string
	c := mustFind(t, dir)
	run, err := RunCorpus(t.Context(), c, CorpusConfig{Pipeline: testPipeline(), Notice: func(m string) { notices = append(notices, m) }})
	if err != nil {
		t.Fatal(err)
	}
	if got := scoredNames(run); !slices.Equal(got, []string{"ok"}) {
		t.Errorf("scored %q, want ok", got)
	}
	want := map[string]string{
		"LOUD.SIGMF-META": "rename them LOUD.sigmf-meta and LOUD.sigmf-data",
		"DAY.Sigmf":       "rename it DAY.sigmf",
	}
	for _, s := range run.Skipped {
		name := filepath.Base(s.Path)
		if words, ok := want[name]; ok && s.Reason == SkipUnreadable && strings.Contains(s.Why, words) {
			delete(want, name)
		}
	}
	if len(want) > 0 {
		t.Errorf("passed over %+v; want unreadable entries saying %v", run.Skipped, want)
	}
	var passed []string
	for _, n := range notices {
		if strings.Contains(n, "passed over") {
			passed = append(passed, n)
		}
	}
	if len(passed) != 2 || !strings.Contains(strings.Join(passed, "\n"), "LOUD.SIGMF-META: passed over: extension \".SIGMF-META\" is not lower case") {
		t.Errorf("notices %q, want one per file not read", notices)
	}
}
