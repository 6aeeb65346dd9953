package dashboard

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestRetentionRemovesStaleEvidenceStages: EvidenceSaver.Save extracts
// each evidence message (raw IQ) into a hidden stage in the evidence
// folder, .incoming-*, which it removes when done. A dashboard killed
// mid-save (OOM, power cut, SIGKILL) leaves the stage with its archive
// and extracted snippet, which the snippet retention (snippet-* files
// only) never sees. Retention (at the dashboard's start and hourly)
// removes a stage nothing has written to for EvidenceStageMaxAge, counts
// it (kind evidence, reason stage) and leaves alone one a save may be
// using, and anything not a stage. Until 2026-12-06 such raw IQ stayed
// for ever.
func TestRetentionRemovesStaleEvidenceStages(t *testing.T) {
	now := retentionNow
	tests := []struct {
		name     string
		entry    string        // name in the evidence folder
		dir      bool          // a folder (else a regular file)
		age      time.Duration // of the entry and its files
		newest   time.Duration // of one file in it; 0: age
		evDays   int           // RFW_EVIDENCE_DAYS
		wantGone bool
	}{
		{name: "left 200 days ago", entry: ".incoming-1234567890", dir: true, age: 200 * 24 * time.Hour, evDays: 90, wantGone: true},
		{name: "left two hours ago", entry: ".incoming-1", dir: true, age: 2 * time.Hour, evDays: 90, wantGone: true},
		{name: "left, evidence kept for ever", entry: ".incoming-2", dir: true, age: 2 * time.Hour, evDays: 0, wantGone: true},
		{name: "a save running", entry: ".incoming-3", dir: true, age: time.Second, evDays: 90, wantGone: false},
		{name: "a save 30 min in", entry: ".incoming-4", dir: true, age: 30 * time.Minute, evDays: 90, wantGone: false},
		{name: "an old stage written to now", entry: ".incoming-5", dir: true, age: 200 * 24 * time.Hour, newest: time.Second, evDays: 90, wantGone: false},
		{name: "another hidden folder", entry: ".upload-6", dir: true, age: 200 * 24 * time.Hour, evDays: 90, wantGone: false},
		{name: "a file named as a stage", entry: ".incoming-7", age: 200 * 24 * time.Hour, evDays: 90, wantGone: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			putSnippet(t, dir, "s1-0123456789ab-1000-2", 1000, 1) // a saved snippet, kept
			at := now.Add(-tc.age)
			p := filepath.Join(dir, tc.entry)
			var bytes int64
			if tc.dir {
				if err := os.MkdirAll(p, 0o700); err != nil {
					t.Fatal(err)
				}
				for i, name := range []string{"evidence.sigmf", "snippet-s1-0123456789ab-1000-1.sigmf-meta", "snippet-s1-0123456789ab-1000-1.sigmf-data"} {
					f := filepath.Join(p, name)
					data := []byte("raw IQ of a phone's uplink")
					if err := os.WriteFile(f, data, 0o600); err != nil {
						t.Fatal(err)
					}
					bytes += int64(len(data))
					fat := at
					if i == 2 && tc.newest > 0 {
						fat = now.Add(-tc.newest)
					}
					if err := os.Chtimes(f, fat, fat); err != nil {
						t.Fatal(err)
					}
				}
			} else if err := os.WriteFile(p, []byte("not a stage"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, at, at); err != nil {
				t.Fatal(err)
			}
			r := &Retention{EvidenceDir: dir, EvidenceDays: tc.evDays, Now: func() time.Time { return now },
				Protected: func(context.Context) (map[string]bool, error) { return map[string]bool{}, nil }}
			if err := r.Once(context.Background()); err != nil {
				t.Fatal(err)
			}
			_, err := os.Lstat(p)
			if gone := errors.Is(err, fs.ErrNotExist); gone != tc.wantGone {
				t.Errorf("%s, %v old: gone = %v (stat: %v), want %v", tc.entry, tc.age, gone, err, tc.wantGone)
			}
			wantFiles, wantBytes := 0.0, 0.0
			if tc.wantGone {
				wantFiles, wantBytes = 1, float64(bytes)
			}
			if got := testutil.ToFloat64(r.files.WithLabelValues("evidence", "stage")); got != wantFiles {
				t.Errorf("deleted_files_total{kind=evidence,reason=stage} = %v, want %v", got, wantFiles)
			}
			if got := testutil.ToFloat64(r.bytes.WithLabelValues("evidence", "stage")); got != wantBytes {
				t.Errorf("deleted_bytes_total{kind=evidence,reason=stage} = %v, want %v", got, wantBytes)
			}
			if got := snippetsIn(t, dir); len(got) != 1 {
				t.Errorf("saved snippets after retention: %v, want the one saved a day ago", got)
			}
		})
	}
}
