package store

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestInfluxLogsRecovery: once InfluxDB takes the writes again after
// failing them, the sender says so once, at info, with how many requests
// failed and for how long; the log's last line on InfluxDB was the
// failure, for as long as it then worked.
func TestInfluxLogsRecovery(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/query"):
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["rfwarden"]]}]}]}`)
		case down.Load():
			http.Error(w, `{"error":"down for the test"}`, http.StatusServiceUnavailable)
		default:
			io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer srv.Close()
	var log syncbuf.Buffer
	cfg := InfluxConfig{URL: srv.URL, Database: "rfwarden", SpoolDir: filepath.Join(t.TempDir(), "spool"), Logger: slog.New(slog.NewTextHandler(&log, nil))}
	cfg.noRollup = true // writes alone: the fake answers no roll-up's queries
	in, err := OpenInflux(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := in.WriteHealth(context.Background(), []event.Health{{Schema: event.SchemaVersion, Site: "s", Sensor: "n", TimeNS: time.Now().UnixNano(), State: event.StateOK}}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(log.String(), "influx: request failed; will retry"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no failure logged: %q", log.String())
		}
	}
	down.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := in.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	last := lines[len(lines)-1]
	if !strings.Contains(last, `level=INFO msg="influx: requests succeed again" failed=`) || !strings.Contains(last, "failing_for=") {
		t.Errorf("the log's last line %q; want the recovery at info, with the failures counted", last)
	}
	if n := strings.Count(log.String(), "succeed again"); n != 1 {
		t.Errorf("the recovery logged %d times, want once: %q", n, log.String())
	}
}
