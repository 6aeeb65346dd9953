package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmftest"
)

// TestScanArchiveSeveralRecordings: "A SigMF Archive may contain multiple
// SigMF Recordings". scan refused such an archive ("archive holds more
// than one .sigmf-meta member"); now it scans each recording in turn,
// naming each ARCHIVE:BASE as eval does (sensor/eval's
// TestSiteArchiveSeveralRecordings), and refuses --annotate, which writes
// one recording's metadata.
func TestScanArchiveSeveralRecordings(t *testing.T) {
	src := t.TempDir()
	arch := filepath.Join(t.TempDir(), "day"+sigmf.ArchiveExt)
	for i, base := range []string{"day-0", "day-1"} {
		sigmftest.WriteRecording(t, filepath.Join(src, base), 2e6, 433.92e6+float64(i)*0.5e6, toneBurst(300000, 100000, 150000, 2e6, 300e3))
	}
	sigmftest.WriteArchive(t, arch, src, "day-0", "day-1")

	var out, errb bytes.Buffer
	if err := cmdScan(context.Background(), []string{arch}, &out, &errb); err != nil {
		t.Fatalf("scan: %v (stderr %q)", err, errb.String())
	}
	// each recording's burst, 300 kHz over its own tuning
	for _, want := range []string{arch + ":day-0/day-0 ", "434.2199", arch + ":day-1/day-1 ", "434.7199"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("scan printed\n%s\nwant %q in it", out.String(), want)
		}
	}
	err := cmdScan(context.Background(), []string{"--annotate", filepath.Join(t.TempDir(), "out"), arch}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "the archive holds 2") {
		t.Errorf("scan --annotate of a two-recording archive: %v, want a refusal saying it holds 2", err)
	}
}
