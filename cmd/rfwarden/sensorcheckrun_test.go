package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// TestSensorCheckRecordingNotes: `rfwarden sensor --check` said only ok
// for a file recording tuned outside every configured band (its
// detections then named by frequency) and for one made more than 90 days
// ago (fusion dead-letters every detection: "the sensor's clock is
// wrong"). Given recordings in and out of the band, dated or not, expect
// a note for each, and none for a recent recording in the band.
func TestSensorCheckRecordingNotes(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name     string
		centerHz float64
		age      time.Duration // 0: undated
		want     []string
	}{
		{"recent, in band", 2435e6, 24 * time.Hour, nil},
		{"undated, in band", 2435e6, 0, nil},
		{"outside every band", 915e6, 0, []string{"note: the recording", "is tuned to 915 MHz, outside every band of bands: (ism2400 2430-2440 MHz)"}},
		{"older than fusion's bound", 2435e6, 100 * 24 * time.Hour, []string{"100 days ago: fusion refuses every detection stamped more than its history_days (90 days by default)", "reason=time"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var start time.Time
			if tc.age > 0 {
				start = time.Now().Add(-tc.age).UTC()
			}
			base := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			w, err := sigmf.NewWriter(base, "cf32_le", 2e6, tc.centerHz, start)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(make([]complex64, 4096)); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			p := writeSensorSource(t, fmt.Sprintf("{kind: file, path: %q, sample_rate_hz: 2e6}", base+sigmf.MetaExt))
			var out bytes.Buffer
			if err := run(context.Background(), []string{"sensor", "--check", "--config", p}, &out, &bytes.Buffer{}); err != nil {
				t.Fatalf("--check: %v", err)
			}
			if tc.want == nil && strings.Contains(out.String(), "note:") {
				t.Errorf("--check printed a note:\n%s", out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("--check output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// TestSensorCheckHTTPAddrInUse: --check passed an http_addr another
// process listens on without a word, and the run then failed at once; it
// notes it, naming the setting. A note, not a failure: an admin checks a
// node's config while its sensor runs and holds the port.
func TestSensorCheckHTTPAddrInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := writeSensorConfig(t, fmt.Sprintf("http_addr: %s\n", l.Addr()))
	var out bytes.Buffer
	if err := run(context.Background(), []string{"sensor", "--check", "--config", p}, &out, &bytes.Buffer{}); err != nil {
		t.Fatalf("--check with http_addr in use: %v, want it to pass with a note", err)
	}
	if !strings.Contains(out.String(), "note: http_addr \""+l.Addr().String()+"\" cannot be listened on now") || !strings.Contains(out.String(), "address already in use") {
		t.Errorf("--check with http_addr in use says:\n%s\nwant a note naming http_addr", out.String())
	}
	l.Close()
	out.Reset()
	if err := run(context.Background(), []string{"sensor", "--check", "--config", p}, &out, &bytes.Buffer{}); err != nil || strings.Contains(out.String(), "http_addr") {
		t.Errorf("--check with http_addr free: %v\n%s", err, out.String())
	}
}
