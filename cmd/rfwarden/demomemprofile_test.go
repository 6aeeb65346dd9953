package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteDemoMemProfile: --memprofile writes a heap profile (pprof's
// gzip-compressed protobuf) to its file, nothing without the flag, and a
// file that cannot be made is an error naming the flag.
func TestWriteDemoMemProfile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		path    string
		wantErr string // "": none
	}{
		{"written", filepath.Join(dir, "heap.pprof"), ""},
		{"overwritten on the next SIGUSR1", filepath.Join(dir, "heap.pprof"), ""},
		{"no flag", "", ""},
		{"folder missing", filepath.Join(dir, "missing", "heap.pprof"), "--memprofile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := writeDemoMemProfile(tc.path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.path == "" {
				return
			}
			b, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) || len(b) < 100 {
				t.Fatalf("%s: %d bytes starting %x, want a gzip-compressed profile", tc.path, len(b), b[:min(len(b), 4)])
			}
		})
	}
}
