package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanNamesEveryBadFile: `scan a b c d` with three files it cannot
// scan (one missing, one a folder, one too short to analyse) refuses in
// one error naming all three, and scans none, the good one included.
// Until 2026-12-07 it stopped at the first, so an analyst fixed them one
// run at a time; a short file was found only after the files before it
// were scanned.
func TestScanNamesEveryBadFile(t *testing.T) {
	dir := t.TempDir()
	good := writeToneCF32(t, filepath.Join(dir, "good"), 1<<16, 1e6, 915e6, 0.1)
	short := writeToneCF32(t, filepath.Join(dir, "short"), 16, 1e6, 915e6, 0.1)
	missing := filepath.Join(dir, "missing.sigmf-meta")
	folder := filepath.Join(dir, "night")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := cmdScan(context.Background(), []string{good, missing, folder, short}, &stdout, &stderr)
	if err == nil {
		t.Fatalf("scan of three bad files and a good one: no error; stdout %q", stdout.String())
	}
	msg := err.Error()
	for _, want := range []string{"3 of the 4 files cannot be scanned, so none was", missing, folder + `": is a directory`, short + `": 16 samples is too short to analyse`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, good) {
		t.Errorf("error %q names the good file", msg)
	}
	if stdout.Len() > 0 {
		t.Errorf("stdout %q, want nothing scanned", stdout.String())
	}
}
