package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmftest"
)

// TestScanUpperCaseExtension: a recording copied through a FAT card comes
// back as REC.SIGMF-META and REC.SIGMF-DATA. scan said "no datatype (use
// --datatype or a .sigmf-meta)", and with --datatype read the metadata's
// JSON as samples. Now it says the extension is not lower case and what
// to rename the files; a .SIGMF-DATA given --datatype is still read as a
// raw file (eval: TestSiteUpperCaseExtensionNotSilent).
func TestScanUpperCaseExtension(t *testing.T) {
	dir := t.TempDir()
	sigmftest.WriteRecording(t, filepath.Join(dir, "rec"), 2e6, 915e6, toneBurst(300000, 100000, 150000, 2e6, 300e3))
	for _, ext := range []string{sigmf.MetaExt, sigmf.DataExt} {
		if err := os.Rename(filepath.Join(dir, "rec"+ext), filepath.Join(dir, "REC"+strings.ToUpper(ext))); err != nil {
			t.Fatal(err)
		}
	}
	meta, data := filepath.Join(dir, "REC.SIGMF-META"), filepath.Join(dir, "REC.SIGMF-DATA")
	raw := []string{"--datatype", "cf32_le", "--rate", "2e6", "--center", "915e6"}
	tests := []struct {
		name    string
		args    []string
		wantErr string // "" for a scan
	}{
		{"metadata", []string{meta}, "rename them REC.sigmf-meta and REC.sigmf-data"},
		{"metadata with raw flags", append(raw, meta), "is not lower case"},
		{"data", []string{data}, "rename them REC.sigmf-meta and REC.sigmf-data"},
		{"data as a raw file", append(raw, data), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := cmdScan(context.Background(), tt.args, &out, &errb)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("scan: %v", err)
			case tt.wantErr == "" && !strings.Contains(out.String(), "REC.SIGMF-DATA"):
				t.Errorf("scan printed %q, want the burst", out.String())
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("scan: %v, want an error saying %q", err, tt.wantErr)
			}
		})
	}
}
