package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanRefusesMetadataAsRaw: SigMF metadata under another name was
// read as samples: `scan --datatype cf32_le ... rec.sigmf-meta.json` said
// "247 samples is too short to analyse", and `scan --datatype ci8 --rate
// 1e6 rec2.dat` scanned the JSON as IQ and exited 0. Both are refused,
// saying the file looks like SigMF metadata and what to name it, and
// nothing is printed on stdout.
func TestScanRefusesMetadataAsRaw(t *testing.T) {
	dir := t.TempDir()
	meta := testRecording(t, filepath.Join(dir, "src"))
	b, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"rec.sigmf-meta.json", []string{"--datatype", "cf32_le", "--rate", "1e6", "--center", "915e6"}, "name it rec.sigmf-meta"},
		{"rec2.dat", []string{"--datatype", "ci8", "--rate", "1e6"}, "name it rec2.sigmf-meta"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			err := cmdScan(context.Background(), append(tc.args, p), &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), "looks like SigMF metadata") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("scan: %v, want it refused saying it looks like SigMF metadata and %q", err, tc.want)
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
		})
	}
}
