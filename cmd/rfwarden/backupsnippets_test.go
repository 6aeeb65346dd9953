package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestRotateSnippetCopies: a snippet copy stays while the live folder
// holds its snippet (each run marks it seen), or while it was last seen
// at or after the oldest backup kept; a copy no kept backup can need goes;
// files not named as snippets are never removed.
func TestRotateSnippetCopies(t *testing.T) {
	oldest := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)
	run := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		live     bool      // the live folder still holds it
		lastSeen time.Time // the copy's mark
		wantKept bool
	}{
		{name: "snippet-live-1.sigmf-data", live: true, lastSeen: oldest.AddDate(0, -3, 0), wantKept: true},
		{name: "snippet-gone-recently-1.sigmf-meta", lastSeen: oldest.Add(24 * time.Hour), wantKept: true},
		{name: "snippet-gone-at-oldest-1.sigmf-meta", lastSeen: oldest, wantKept: true},
		{name: "snippet-gone-long-ago-1.sigmf-meta", lastSeen: oldest.Add(-time.Second), wantKept: false},
		{name: "snippet-gone-long-ago-1.sigmf-data", lastSeen: oldest.AddDate(0, -1, 0), wantKept: false},
		{name: "operator-notes.txt", lastSeen: oldest.AddDate(-1, 0, 0), wantKept: true},
		{name: "snippet-odd.bin", lastSeen: oldest.AddDate(-1, 0, 0), wantKept: true},
	}
	live, copies := t.TempDir(), t.TempDir()
	for _, tt := range tests {
		if tt.live {
			if err := os.WriteFile(filepath.Join(live, tt.name), []byte("iq"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		p := filepath.Join(copies, tt.name)
		if err := os.WriteFile(p, []byte("iq"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, tt.lastSeen, tt.lastSeen); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := rotateSnippetCopies(live, copies, oldest, run)
	if err != nil {
		t.Fatal(err)
	}
	var wantRemoved []string
	for _, tt := range tests {
		fi, err := os.Stat(filepath.Join(copies, tt.name))
		if kept := err == nil; kept != tt.wantKept {
			t.Errorf("%s: kept %v, want %v", tt.name, kept, tt.wantKept)
		}
		if !tt.wantKept {
			wantRemoved = append(wantRemoved, filepath.Join(copies, tt.name))
		}
		if tt.live && err == nil && !fi.ModTime().Equal(run) {
			t.Errorf("%s: marked seen at %v, want the run's %v", tt.name, fi.ModTime(), run)
		}
	}
	slices.Sort(removed)
	slices.Sort(wantRemoved)
	if !slices.Equal(removed, wantRemoved) {
		t.Errorf("removed %v, want %v", removed, wantRemoved)
	}
}

// TestBackupRotatesSnippetCopies: through `rfwarden backup`, a copy of a
// snippet the dashboard has since deleted goes once no kept backup was
// made while it existed (--keep 1: at the next run), and stays while one
// was (--keep 2); the copies of live snippets always stay.
func TestBackupRotatesSnippetCopies(t *testing.T) {
	for _, tt := range []struct {
		keep     string
		wantGone bool
	}{{"1", true}, {"2", false}, {"0", false}} {
		t.Run("keep "+tt.keep, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			path := filepath.Join(dir, "rfw.db")
			db, err := store.OpenSQLite(path)
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			snips, out := filepath.Join(dir, "snippets"), filepath.Join(dir, "backups")
			if err := os.MkdirAll(snips, 0o700); err != nil {
				t.Fatal(err)
			}
			for _, n := range []string{"snippet-a-1.sigmf-meta", "snippet-a-1.sigmf-data", "snippet-b-1.sigmf-meta", "snippet-b-1.sigmf-data"} {
				if err := os.WriteFile(filepath.Join(snips, n), []byte(n), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			backup := func() {
				t.Helper()
				var stdout, stderr strings.Builder
				if err := run(ctx, []string{"backup", "--db", path, "--keep", tt.keep, "--snippets", snips, out}, &stdout, &stderr); err != nil {
					t.Fatalf("backup: %v\n%s%s", err, stdout.String(), stderr.String())
				}
			}
			backup()
			for _, n := range []string{"snippet-b-1.sigmf-meta", "snippet-b-1.sigmf-data"} {
				if err := os.Remove(filepath.Join(snips, n)); err != nil { // the dashboard's retention
					t.Fatal(err)
				}
			}
			backup()
			for _, n := range []string{"snippet-a-1.sigmf-meta", "snippet-b-1.sigmf-data"} {
				_, err := os.Stat(filepath.Join(out, "snippets", n))
				gone := err != nil
				if want := tt.wantGone && strings.HasPrefix(n, "snippet-b"); gone != want {
					t.Errorf("copy %s gone %v, want %v", n, gone, want)
				}
			}
		})
	}
}
