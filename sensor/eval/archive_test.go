package eval

import (
	"path/filepath"
	"slices"
	"testing"
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
