package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeMarkers writes a sensor's .keep and .sent markers of the snippets
// of ids in each of dirs (below f.dir), as a sensor sharing the snippet
// folder leaves them, and returns their paths relative to f.dir.
func writeMarkers(t *testing.T, f eraseFixture, dirs []string, ids ...string) []string {
	t.Helper()
	var out []string
	for _, d := range dirs {
		for _, id := range ids {
			for _, ext := range []string{".keep", ".sent"} {
				rel := filepath.Join(d, "snippet-"+id+ext)
				if err := os.MkdirAll(filepath.Join(f.dir, d), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(f.dir, rel), nil, 0o600); err != nil {
					t.Fatal(err)
				}
				out = append(out, rel)
			}
		}
	}
	return out
}

// An erase deletes the sensor's .keep and .sent markers named after the
// erased detections, in the snippet folder and the backups' snippets/,
// and keeps those of the detections it keeps (shared evidence, other
// cases).
func TestEraseDeletesSensorMarkers(t *testing.T) {
	f := makeEraseFixture(t)
	dirs := []string{"snippets", filepath.Join("backups", "snippets")}
	gone := writeMarkers(t, f, dirs, detA1, detA2)
	kept := writeMarkers(t, f, dirs, detShared, detB1)
	out, err := eraseRun(f, "--incident", "INC-A", "--yes")
	if err != nil {
		t.Fatalf("erase: %v\n%s", err, out)
	}
	for _, rel := range gone {
		if _, err := os.Lstat(filepath.Join(f.dir, rel)); err == nil {
			t.Errorf("%s is left after the erase of its detection", rel)
		}
	}
	for _, rel := range kept {
		if _, err := os.Lstat(filepath.Join(f.dir, rel)); err != nil {
			t.Errorf("%s of a detection kept: %v", rel, err)
		}
	}
	// the marker alone left (a --no-snippets erase, a file not deleted):
	// erase run again finds and deletes it
	f2 := makeEraseFixture(t)
	if out, err := eraseRun(f2, "--incident", "INC-A", "--yes"); err != nil {
		t.Fatalf("erase: %v\n%s", err, out)
	}
	left := writeMarkers(t, f2, dirs[:1], detA1)
	out, err = eraseRun(f2, "--incident", "INC-A", "--yes")
	if err != nil || !strings.Contains(out, "deleted 2 snippet files left of erased") {
		t.Fatalf("erase again with markers left: %v\n%s", err, out)
	}
	for _, rel := range left {
		if _, err := os.Lstat(filepath.Join(f2.dir, rel)); err == nil {
			t.Errorf("%s is left after erase ran again", rel)
		}
	}
}

// A restore with --snippets copies back from the backup folder's
// snippets/ the snippet files only: not a sensor's .keep and .sent an
// older backup copied there.
func TestRestoreCopiesNoMarkersBack(t *testing.T) {
	ctx := context.Background()
	f := makeEraseFixture(t)
	nightly := filepath.Join(f.dir, "nightly")
	bak := backupOnce(t, f.db, nightly, "--snippets", f.snippets)
	markers := writeMarkers(t, f, []string{filepath.Join("nightly", "snippets")}, detB1)
	for _, ext := range []string{".sigmf-meta", ".sigmf-data"} {
		if err := os.Remove(filepath.Join(f.snippets, "snippet-"+detB1+ext)); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr strings.Builder
	if err := run(ctx, []string{"restore", "--db", f.db, "--site", restoreSite, "--snippets", f.snippets, bak}, &stdout, &stderr); err != nil {
		t.Fatalf("restore: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "snippets: 2 copied") {
		t.Errorf("the restore did not copy back the 2 snippet files alone:\n%s", stdout.String())
	}
	for _, rel := range markers {
		if _, err := os.Lstat(filepath.Join(f.snippets, filepath.Base(rel))); err == nil {
			t.Errorf("the restore copied %s back into the snippet folder", rel)
		}
	}
}
