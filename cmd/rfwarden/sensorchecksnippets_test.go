package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSensorCheckSnippetsDir: `rfwarden sensor --check` (the unit's
// ExecStartPre, there so that a bad setting is refused rather than the
// service failing in a restart loop) said ok for a snippets.dir the
// service can neither create nor write, and the service then exited at
// start with "snippet dir: mkdir ...", not naming the key. --check now
// tests snippets.dir as it does outbox.dir, and the service's start error
// names it too; a folder that does not exist yet but can be made passes
// (the service makes it) and is not made by --check.
func TestSensorCheckSnippetsDir(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "a-file")
	if err := os.WriteFile(blocker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(dir, "read-only")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir string
		root      bool   // the case holds for root too
		want      string // in --check's error; "": ok
	}{
		{"missing, can be made", filepath.Join(dir, "new", "snippets"), true, ""},
		{"under a regular file", filepath.Join(blocker, "snippets"), true, "not a directory"},
		{"a regular file", blocker, true, "not a directory"},
		{"in a read-only folder", filepath.Join(readOnly, "snippets"), false, "cannot write in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.root && os.Geteuid() == 0 {
				t.Skip("root writes in a read-only folder")
			}
			p := writeSensorConfig(t, "snippets: {dir: "+tc.dir+"}\n")
			var out bytes.Buffer
			err := run(context.Background(), []string{"sensor", "--check", "--config", p}, &out, &bytes.Buffer{})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("--check: %v, want ok", err)
				}
				if _, err := os.Stat(tc.dir); !os.IsNotExist(err) {
					t.Errorf("--check left %s behind (stat: %v)", tc.dir, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "snippets.dir") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("--check: err %v (stdout %q); want one naming snippets.dir and %q", err, out.String(), tc.want)
			}
			// The service refuses it at start, naming the key too.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			err = run(ctx, []string{"sensor", "--config", p}, &bytes.Buffer{}, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), "snippets.dir") {
				t.Errorf("the service at start: err %v, want one naming snippets.dir", err)
			}
		})
	}
}
