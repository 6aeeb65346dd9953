package eval

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// TestRunCorpusNamesThreeSkippedPerReason: 3000 metadata files naming one
// data file printed 2999 "passed over: names the same data as ..." lines
// on stderr and again in the text report. Up to three of each reason are
// named as they are met and in the text, the rest counted there; the
// run's Skipped (the JSON) still lists every one.
func TestRunCorpusNamesThreeSkippedPerReason(t *testing.T) {
	dir := t.TempDir()
	writeTiny(t, dir, "a", "", "lte-dl")
	m, err := sigmf.ReadMeta(filepath.Join(dir, "a.sigmf-meta"))
	if err != nil {
		t.Fatal(err)
	}
	m.Global.Extra["core:dataset"] = "a.sigmf-data"
	const copies = 7
	for i := range copies {
		if err := sigmf.WriteMeta(filepath.Join(dir, fmt.Sprintf("b%d.sigmf-meta", i)), m); err != nil {
			t.Fatal(err)
		}
	}
	var notices []string
	run, err := runCorpusDir(dir, CorpusConfig{Pipeline: testPipeline(), Notice: func(m string) { notices = append(notices, m) }})
	if err != nil {
		t.Fatal(err)
	}
	if got := run.Count(SkipSameData); got != copies {
		t.Errorf("%d passed over as same data, want %d (every one, for the JSON)", got, copies)
	}
	var passed []string
	for _, n := range notices {
		if strings.Contains(n, "passed over") {
			passed = append(passed, n)
		}
	}
	if n := len(passed); n != maxNamed+1 {
		t.Errorf("%d notices, want %d (three named, one saying the rest are counted): %q", n, maxNamed+1, passed)
	}
	if all := strings.Join(notices, "\n"); !strings.Contains(all, "more passed over (same data): counted at the end") {
		t.Errorf("notices %q do not say the rest are counted at the end", all)
	}
	var b strings.Builder
	if err := WriteText(&b, "corpus", run.Report()); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	if n := strings.Count(text, "(same data: names the same data as"); n != maxNamed {
		t.Errorf("text names %d passed over as same data, want %d:\n%s", n, maxNamed, text)
	}
	if want := fmt.Sprintf("passed over: %d more (same data;", copies-maxNamed); !strings.Contains(text, want) {
		t.Errorf("text does not count the rest (%q):\n%s", want, text)
	}
	if want := fmt.Sprintf("%d recordings naming the samples of another", copies); !strings.Contains(run.SkipSummary(), want) {
		t.Errorf("summary %q, want it to count %q", run.SkipSummary(), want)
	}
}
