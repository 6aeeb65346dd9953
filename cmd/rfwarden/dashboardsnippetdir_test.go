package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckSnippetDir: given RFW_SNIPPET_DIR naming a folder not made yet
// in one that exists (the sample dashboard.env's
// /var/lib/rfwarden/snippets, which systemd does not make), expect the
// dashboard to make it; one whose parent is missing (a mistyped path) or
// a file is refused naming the setting. The dashboard neither made nor
// checked it, and every snippet the sensors sent was refused and
// acknowledged away while /healthz said ok.
func TestCheckSnippetDir(t *testing.T) {
	for _, tc := range []struct {
		name    string
		path    string // @: the test's folder
		receive bool
		want    string // "": passes and the folder is there after; else in the error
	}{
		{"there", "@", true, ""},
		{"not made yet", "@/snippets", true, ""},
		{"not made yet, not received", "@/snippets", false, ""},
		{"its folder missing", "@/missing/snippets", true, "RFW_SNIPPET_DIR (--snippet-dir) @/missing/snippets: neither it nor its folder @/missing exists: correct RFW_SNIPPET_DIR"},
		{"a file", "@/file", true, "RFW_SNIPPET_DIR (--snippet-dir) @/file is not a folder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "file"), "not a folder\n")
			path := strings.ReplaceAll(tc.path, "@", dir)
			var out bytes.Buffer
			err := checkSnippetDir(path, tc.receive, &out)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if fi, err := os.Stat(path); err != nil || !fi.IsDir() {
					t.Errorf("the folder after the check: %v", err)
				}
				ents, _ := os.ReadDir(path)
				for _, e := range ents {
					if e.Name() != "file" {
						t.Errorf("the check left %s in the folder", e.Name())
					}
				}
				return
			}
			if want := strings.ReplaceAll(tc.want, "@", dir); err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("checkSnippetDir: %v; want %q", err, want)
			}
		})
	}
}

// TestCmdDashboardSnippetDirMissing: the dashboard refuses to start on
// an RFW_SNIPPET_DIR whose folder does not exist, before it makes its
// database, and makes one whose folder exists.
func TestCmdDashboardSnippetDirMissing(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "rfwarden.db")
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a dashboard that starts stops at once
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"dashboard", "--listen", "127.0.0.1:0", "--db", db, "--create-db", "--snippet-dir", filepath.Join(dir, "missing", "snippets")}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "RFW_SNIPPET_DIR (--snippet-dir)") {
		t.Fatalf("dashboard: %v; want a refusal naming RFW_SNIPPET_DIR", err)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("the database: %v; want none made", err)
	}
	snippets := filepath.Join(dir, "snippets")
	d := startDashboardArgs(t, "--db", db, "--create-db", "--snippet-dir", snippets)
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(snippets); err != nil || !fi.IsDir() {
		t.Errorf("the evidence folder: %v; want it made", err)
	}
	if !strings.Contains(d.stdout.String(), "made the evidence folder "+snippets) {
		t.Errorf("stdout %q does not say the folder was made", d.stdout.String())
	}
}
