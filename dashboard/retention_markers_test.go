package dashboard

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestPruneEvidenceRemovesSensorMarkers (soak test 2026-12-06, finding
// 6): in a folder shared with a sensor, a snippet retention deletes goes
// with the sensor's empty markers beside it (NAME.keep, NAME.sent); a
// kept snippet's markers, and files of other names, stay.
func TestPruneEvidenceRemovesSensorMarkers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxAge   time.Duration
		maxBytes int64
		want     []string // files left besides notes.txt
	}{
		{"nothing due", 0, 0, []string{"snippet-s1-new.keep", "snippet-s1-new.sigmf-data", "snippet-s1-new.sigmf-meta",
			"snippet-s1-old.keep", "snippet-s1-old.sent", "snippet-s1-old.sigmf-data", "snippet-s1-old.sigmf-meta"}},
		{"aged out", 90 * 24 * time.Hour, 0, []string{"snippet-s1-new.keep", "snippet-s1-new.sigmf-data", "snippet-s1-new.sigmf-meta"}},
		{"evicted for the quota", 0, 1500, []string{"snippet-s1-new.keep", "snippet-s1-new.sigmf-data", "snippet-s1-new.sigmf-meta"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			putSnippet(t, dir, "s1-old", 1000, 120)
			putSnippet(t, dir, "s1-new", 1000, 1)
			for _, f := range []string{"snippet-s1-old.keep", "snippet-s1-old.sent", "snippet-s1-new.keep", "notes.txt"} {
				if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := PruneEvidence(dir, retentionNow, tc.maxAge, tc.maxBytes, 0, nil); err != nil {
				t.Fatal(err)
			}
			ents, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range ents {
				if e.Name() != "notes.txt" {
					got = append(got, e.Name())
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("left %v, want %v", got, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
				t.Errorf("a file not named as a snippet's was touched: %v", err)
			}
		})
	}
}
