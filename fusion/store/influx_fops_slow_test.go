package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/influxtest"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// slowInflux is a proxy in front of InfluxDB that passes each write on at
// once and answers it only delay(lines in the write) after it came: an
// InfluxDB that is slow (a compaction, a loaded disk), not down. The delay
// counts from the request's arrival, so the real InfluxDB's own time
// (longer on a loaded machine) is within it, not added to it: added, it
// took a 3 s answer past the store's 4 s timeout once under load, and the
// batch was sent a fourth time. It counts the writes that carry detection
// points: the heat roll-up's own write (heat_quarter points, written when
// a quarter hour the detections fall in has ended: a test started in the
// first minute of a quarter hour) is not the batch sent again, and counting
// it failed the first case 1 run in 15.
func slowInflux(t *testing.T, upstream string, delay func(lines int) time.Duration) (url string, writes *atomic.Int64) {
	t.Helper()
	writes = &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		came := time.Now()
		body, _ := io.ReadAll(r.Body)
		req, err := http.NewRequest(r.Method, upstream+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if r.URL.Path == "/write" || r.URL.Path == "/api/v2/write" {
			if bytes.HasPrefix(body, []byte("detection,")) || bytes.Contains(body, []byte("\ndetection,")) {
				writes.Add(1)
			}
			select {
			case <-time.After(time.Until(came.Add(delay(bytes.Count(bytes.TrimSpace(body), []byte("\n")) + 1)))):
			case <-r.Context().Done():
				return
			}
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(out)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, writes
}

// TestFopsSlowInfluxWritesAreDelivered: InfluxDB stores every point it is
// sent but answers slowly. Until 2026-12-06 the store gave a write 20 s
// (influxdb2's default HTTP request timeout), took a later answer for a
// failure and sent the same batch again, for ever: with InfluxDB answering
// after 25 s the one batch was sent 4 times in 70 s and the spool never
// emptied, and at a site every later batch waited behind it until the
// spool reached influx.spool_max_bytes and dropped writes InfluxDB had.
// Now a write has influx.write_timeout (default 2 min, longer than those
// 25 s); after a timeout the next request has twice as long (up to four
// times it) and half the lines (down to 100), so a slow InfluxDB is
// written to, each point stored once however often it was sent. The test
// runs on a 1 s timeout, InfluxDB answering after 3 s or 20 ms a line, to
// stay short; the last case's InfluxDB never answers in time, and the
// store's state names influx.write_timeout, not influx.url.
func TestFopsSlowInfluxWritesAreDelivered(t *testing.T) {
	srv := influxtest.Start(t) // one server (slow to start), a database a case
	for i, tt := range []struct {
		name      string
		delay     func(lines int) time.Duration
		records   int // spooled writes of perRecord detections each
		perRecord int
		maxWrites int64 // requests at most (no resending for ever); 0: never answered in time
	}{
		{name: "answers after 3 s: waits longer", delay: func(int) time.Duration { return 3 * time.Second },
			records: 1, perRecord: 1, maxWrites: 3},
		// 300 lines take 6 s, more than four times the timeout: only
		// smaller requests (100 lines, 2 s) get through (the sender may
		// take the first writes before the rest are spooled: 5 requests
		// or a few more)
		{name: "slower the more lines: smaller requests", delay: func(lines int) time.Duration { return time.Duration(lines) * 20 * time.Millisecond },
			records: 60, perRecord: 5, maxWrites: 10},
		{name: "never in time: the state names the setting", delay: func(int) time.Duration { return time.Minute },
			records: 1, perRecord: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			url, writes := slowInflux(t, srv.URL, tt.delay)
			s, err := store.OpenInflux(store.InfluxConfig{URL: url, Database: fmt.Sprintf("slow%d", i), SpoolDir: filepath.Join(t.TempDir(), "spool"), WriteTimeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			ctx := context.Background()
			// in a quarter hour that has ended, so the heat roll-up
			// writes too, every run (not only in a quarter's first minute)
			now := time.Now().Add(-16 * time.Minute).Truncate(time.Second)
			for r := range tt.records {
				recs := make([]store.DetectionRecord, tt.perRecord)
				for i := range recs {
					k := r*tt.perRecord + i
					recs[i] = storetest.Detection("hmp-slow", fmt.Sprintf("d%d", k), now.Add(time.Duration(k)*time.Millisecond), "B2-14", false)
				}
				if err := s.WriteDetections(ctx, recs); err != nil {
					t.Fatal(err)
				}
			}
			if tt.maxWrites == 0 {
				wantTimeoutNamed(t, s)
				return
			}
			fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			err = s.Flush(fctx)
			_, lastErr := s.State()
			if err != nil || s.Pending() != 0 {
				t.Fatalf("after 30 s %d batches still spooled (flush: %v; last error: %v), sent %d times; want them delivered and the spool empty",
					s.Pending(), err, lastErr, writes.Load())
			}
			if n := writes.Load(); n > tt.maxWrites || n == 0 {
				t.Errorf("%d write requests carried detections, want 1 to %d", n, tt.maxWrites)
			}
			got, err := s.Detections(ctx, "hmp-slow", now.Add(-time.Second), now.Add(time.Minute), 10000)
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.records * tt.perRecord; len(got) != want {
				t.Errorf("InfluxDB holds %d detections, want %d: each once, however often sent", len(got), want)
			}
		})
	}
}

// wantTimeoutNamed waits for s's state to be a write that timed out:
// ErrWriteTimeout, naming influx.write_timeout (InfluxDB is slow, not
// unreachable).
func wantTimeoutNamed(t *testing.T, s *store.Influx) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := s.State()
		var ce *store.InfluxCheckError
		if errors.As(err, &ce) {
			if !errors.Is(err, store.ErrWriteTimeout) || ce.Setting != store.InfluxSettingWriteTimeout || ce.Summary() != "writes not answered in time (slow)" {
				t.Errorf("state error %v (setting %q, summary %q); want ErrWriteTimeout naming %q", err, ce.Setting, ce.Summary(), store.InfluxSettingWriteTimeout)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no error in 10 s with InfluxDB answering after a minute and a 1 s timeout: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
