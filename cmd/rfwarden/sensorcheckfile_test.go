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

// TestSensorCheckFileSource: `rfwarden sensor --check` ("validates the
// config and its source: a recording's metadata and data file"; the unit's
// ExecStartPre) printed "ok" for source.kind file with a path that does
// not exist, or that is not a SigMF recording, while the service then
// exited at once with "source: open recording: ...". checkSource
// (cmd/rfwarden/sensor.go) had cases for sim, hackrf and hackrf_transfer
// only; it now opens the recording's metadata and names the path.
func TestSensorCheckFileSource(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	sigmftest.WriteRecording(t, good, 2e6, 915e6, make([]complex64, 4096))
	notJSON := filepath.Join(dir, "bad.sigmf-meta")
	if err := os.WriteFile(notJSON, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	noData := filepath.Join(dir, "lonely.sigmf-meta")
	meta, err := os.ReadFile(good + sigmf.MetaExt)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(noData, meta, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		want       []string // nil: ok
	}{
		{"recording", good + sigmf.MetaExt, nil},
		{"missing", filepath.Join(dir, "nope.sigmf-meta"), []string{"nope.sigmf-meta", "no such file or directory"}},
		{"metadata not JSON", notJSON, []string{"bad.sigmf-meta"}},
		{"not SigMF", text, []string{"notes.txt", "not a .sigmf-meta"}},
		{"data missing", noData, []string{"lonely.sigmf-data", "no such file or directory"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeSensorSource(t, "{kind: file, path: "+tc.path+", sample_rate_hz: 2e6}")
			var out bytes.Buffer
			err := run(context.Background(), []string{"sensor", "--check", "--config", p}, &out, &bytes.Buffer{})
			if tc.want == nil {
				if err != nil {
					t.Fatalf("--check of a good recording: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("--check said ok (stdout %q), want an error naming the recording", out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestSensorHelpSaysCheckLeavesBoard: sensor --help said --check tests
// "that this binary and host can open its source", while for a HackRF it
// opens nothing: for hackrf_transfer it only looks the tool up on PATH,
// for hackrf only that the binary has libhackrf. The help now says so,
// and names node check, which tests the board (as docs/deploy.md does).
func TestSensorHelpSaysCheckLeavesBoard(t *testing.T) {
	var errb bytes.Buffer
	if err := run(context.Background(), []string{"sensor", "-h"}, &bytes.Buffer{}, &errb); err != nil {
		t.Fatal(err)
	}
	help := strings.Join(strings.Fields(errb.String()), " ")
	for _, want := range []string{"for hackrf_transfer only that the tool is on PATH", "for hackrf only that this binary has libhackrf",
		"neither opens the board: rfwarden node check does", "not the HackRF board: rfwarden node check"} {
		if !strings.Contains(help, want) {
			t.Errorf("sensor -h lacks %q:\n%s", want, errb.String())
		}
	}
	if strings.Contains(help, "can open its source") {
		t.Errorf("sensor -h still says --check opens the source:\n%s", errb.String())
	}
}
