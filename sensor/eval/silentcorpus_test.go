package eval

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

// writeRaw writes dir/name.sigmf-meta holding meta and, when samples > 0,
// dir/name.sigmf-data of that many cf32 zeros, and returns the meta path.
func writeRaw(t *testing.T, dir, name, meta string, samples int) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".sigmf-meta")
	if err := os.WriteFile(path, []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	if samples > 0 {
		if err := os.WriteFile(filepath.Join(dir, name+".sigmf-data"), make([]byte, 8*samples), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// TestCorpusWithoutCoreFrequencyPassedOver: a recording whose captures
// have no core:frequency but whose annotations have frequency edges (RF
// frequencies) was scored without a word, each emission a miss. It is
// passed over, told of and listed as "no frequency"; one whose
// annotations have no edges, or whose captures have core:frequency, is
// still scored.
func TestCorpusWithoutCoreFrequencyPassedOver(t *testing.T) {
	const edges = `"core:freq_lower_edge":914000000,"core:freq_upper_edge":916000000,`
	tests := []struct {
		name, captures, annotation string
		passedOver                 bool
	}{
		{"no core:frequency, RF edges", `[{"core:sample_start":0}]`, edges, true},
		{"one capture of two without core:frequency", `[{"core:sample_start":0,"core:frequency":915000000},{"core:sample_start":2048}]`, edges, true},
		{"no core:frequency, no edges", `[{"core:sample_start":0}]`, "", false},
		{"core:frequency and RF edges", `[{"core:sample_start":0,"core:frequency":915000000}]`, edges, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTiny(t, dir, "ok", "", "lte-dl")
			writeRaw(t, dir, "x", `{"global":{"core:datatype":"cf32_le","core:sample_rate":1000000,"core:version":"1.0.0"},"captures":`+tc.captures+
				`,"annotations":[{"core:sample_start":0,"core:sample_count":1024,`+tc.annotation+`"core:label":"LTE uplink"}]}`, 4096)
			var notices []string
			run, err := runCorpusDir(dir, CorpusConfig{Pipeline: testPipeline(), Notice: func(m string) { notices = append(notices, m) }})
			if err != nil {
				t.Fatalf("RunCorpus: %v", err)
			}
			want := []string{"ok", "x"}
			wantSkipped := map[string]SkipReason{}
			if tc.passedOver {
				want = []string{"ok"}
				wantSkipped["x.sigmf-meta"] = SkipNoFrequency
			}
			if got := scoredNames(run); !slices.Equal(got, want) {
				t.Errorf("scored %v, want %v", got, want)
			}
			if got := skippedAs(t, dir, run.Skipped); !mapsEqual(got, wantSkipped) {
				t.Errorf("passed over %v, want %v", got, wantSkipped)
			}
			told := slices.ContainsFunc(notices, func(m string) bool {
				return strings.HasPrefix(m, "x.sigmf-meta: passed over: a capture has no core:frequency") && strings.Contains(m, "add core:frequency")
			})
			if told != tc.passedOver {
				t.Errorf("told of it %v, want %v: %q", told, tc.passedOver, notices)
			}
			if sum := run.SkipSummary(); tc.passedOver && !strings.Contains(sum, "1 recording with a capture without core:frequency") {
				t.Errorf("summary %q does not count it", sum)
			}
		})
	}
}

// TestCorpusCountsBlankLabels: an annotation whose core:label is blank
// ("", spaces, or none) was dropped without a word: its emission vanished
// from the truth and a right detection on it counted as a false positive.
// It is an other record, counted as a label naming no class, shown as "";
// a recording with only blank labels is still passed over as unlabelled.
func TestCorpusCountsBlankLabels(t *testing.T) {
	tests := []struct {
		name     string
		labels   []string
		unmapped []LabelCount
		skipped  SkipReason // 0: scored
	}{
		{"empty and spaces", []string{"lte-dl", "", "   "}, []LabelCount{{"", 2}}, 0},
		{"blank beside a label naming nothing", []string{"lte-dl", "Zigbee", " \t"}, []LabelCount{{"", 1}, {"Zigbee", 1}}, 0},
		{"only blank", []string{"", " "}, nil, SkipNoLabels},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTiny(t, dir, "ok", "", "gsm-dl")
			writeTiny(t, dir, "x", "", tc.labels...)
			run, err := runCorpusDir(dir, CorpusConfig{Pipeline: testPipeline()})
			if err != nil {
				t.Fatalf("RunCorpus: %v", err)
			}
			if got := run.Report().Unmapped; !slices.Equal(got, tc.unmapped) {
				t.Errorf("unmapped %v, want %v", got, tc.unmapped)
			}
			if got := skippedAs(t, dir, run.Skipped)["x.sigmf-meta"]; got != tc.skipped {
				t.Errorf("x passed over as %v, want %v", got, tc.skipped)
			}
			if tc.skipped != 0 {
				return
			}
			var other int
			for _, f := range run.Files {
				for _, tr := range f.Truth {
					if strings.TrimSpace(tr.Label) == "" && tr.Kind == KindOther && tr.Class == event.ClassUnknown {
						other++
					}
				}
			}
			if want := tc.unmapped[0].Count; other != want {
				t.Errorf("%d blank annotations in the truth as other, want %d", other, want)
			}
		})
	}
}

// TestCorpusNamesDataWithoutMeta: a .sigmf-data file with no .sigmf-meta
// of its name beside it was left out without a word. It is passed over as
// "no metadata", told of and counted; one that metadata of another name
// reads (core:dataset), and one whose metadata is listed already
// (misnamed .json, upper case), are not.
func TestCorpusNamesDataWithoutMeta(t *testing.T) {
	dir := t.TempDir()
	writeTiny(t, dir, "pair", "", "lte-dl")
	write := func(name string, b []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data := make([]byte, 8*4096)
	write("lone.sigmf-data", data)
	write("night/lone2.sigmf-data", data)
	write("named.sigmf-data", data)
	writeRaw(t, dir, "notes", `{"global":{"core:datatype":"cf32_le","core:sample_rate":1000000,"core:version":"1.0.0","core:dataset":"named.sigmf-data"},`+
		`"captures":[{"core:sample_start":0,"core:frequency":915000000}],"annotations":[{"core:sample_start":0,"core:sample_count":1024,"core:label":"lte-dl"}]}`, 0)
	meta, err := os.ReadFile(filepath.Join(dir, "pair.sigmf-meta"))
	if err != nil {
		t.Fatal(err)
	}
	write("rec.sigmf-meta.json", meta)
	write("rec.sigmf-data", data)
	write("UP.SIGMF-META", meta)
	write("UP.sigmf-data", data)

	var notices []string
	run, err := runCorpusDir(dir, CorpusConfig{Pipeline: testPipeline(), Notice: func(m string) { notices = append(notices, m) }})
	if err != nil {
		t.Fatalf("RunCorpus: %v", err)
	}
	if got, want := scoredNames(run), []string{"notes", "pair"}; !slices.Equal(got, want) {
		t.Errorf("scored %v, want %v", got, want)
	}
	want := map[string]SkipReason{
		"lone.sigmf-data":        SkipNoMeta,
		"night/lone2.sigmf-data": SkipNoMeta,
		"rec.sigmf-meta.json":    SkipUnreadable,
		"UP.SIGMF-META":          SkipUnreadable,
	}
	if got := skippedAs(t, dir, run.Skipped); !mapsEqual(got, want) {
		t.Errorf("passed over %v, want %v", got, want)
	}
	for _, name := range []string{"lone.sigmf-data", "night/lone2.sigmf-data"} {
		if !slices.ContainsFunc(notices, func(m string) bool {
			return strings.HasPrefix(m, name+": passed over: no .sigmf-meta of its name beside it")
		}) {
			t.Errorf("not told of %s: %q", name, notices)
		}
	}
	if sum := run.SkipSummary(); !strings.Contains(sum, "2 data files with no .sigmf-meta of the same name in the folder") {
		t.Errorf("summary %q does not count them", sum)
	}
	if rep := run.Report(); !slices.ContainsFunc(rep.Skipped, func(s Skipped) bool { return s.Path == "lone.sigmf-data" && s.Reason == SkipNoMeta }) {
		t.Errorf("report's skipped %+v lacks lone.sigmf-data", rep.Skipped)
	}
}
