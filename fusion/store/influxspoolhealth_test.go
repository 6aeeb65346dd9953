package store

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store/influxtest"
)

// TestInfluxSpoolProblem: given fusion's InfluxDB spool on a disk that
// refuses writes (here its log file swapped for /dev/full, which answers
// every write with ENOSPC, as a full disk does), when fusion writes health
// reports, expect each write to fail and SpoolProblem to report it once
// every write has failed for the grace, naming the spool's folder and the
// cause, and to clear itself at the next write that succeeds. Until
// 2026-12-06 nothing said so: InfluxDB answered, so /healthz was ok while
// detections, locations and health were kept in memory and then dropped.
func TestInfluxSpoolProblem(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	defer full.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() // nothing answers: the spool keeps every write
	l.Close()
	tests := []struct {
		name      string
		refuse    func(s *Influx) (allow func())
		wantCause string
	}{
		{name: "disk full", wantCause: "the disk is full",
			refuse: func(s *Influx) func() {
				s.spool.mu.Lock()
				old := s.spool.log
				s.spool.log = full
				s.spool.mu.Unlock()
				return func() { s.spool.mu.Lock(); s.spool.log = old; s.spool.mu.Unlock() }
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "spool")
			s, err := OpenInflux(InfluxConfig{URL: closed, Database: "rfwarden", SpoolDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			write := func() error {
				return s.WriteHealth(context.Background(), []event.Health{{Schema: event.SchemaVersion, Site: "s", Sensor: "n", TimeNS: time.Now().UnixNano(), State: event.StateOK}})
			}
			if err := write(); err != nil {
				t.Fatal(err)
			}
			if err := s.SpoolProblem(time.Now().Add(time.Hour), time.Minute); err != nil {
				t.Fatalf("after a write that succeeded: %v", err)
			}
			allow := tt.refuse(s)
			for range 2 {
				if err := write(); err == nil {
					t.Fatal("write while the disk refuses: no error")
				}
			}
			if err := s.SpoolProblem(time.Now(), time.Minute); err != nil {
				t.Errorf("refused for less than the grace: %v, want nil", err)
			}
			err = s.SpoolProblem(time.Now().Add(time.Minute), time.Minute)
			var we *WriteError
			want := "InfluxDB spool " + dir + " refuses writes: " + tt.wantCause
			if !errors.As(err, &we) || !strings.HasPrefix(err.Error(), want) || we.Failures != 2 || s.SpoolWriteFailures() != 2 {
				t.Errorf("refused for the grace: %v (%d failures in all)\nwant a WriteError beginning %q, 2 failed writes", err, s.SpoolWriteFailures(), want)
			}
			allow()
			if err := write(); err != nil {
				t.Fatalf("write once allowed: %v", err)
			}
			if err := s.SpoolProblem(time.Now().Add(time.Hour), time.Minute); err != nil {
				t.Errorf("after a write succeeded: %v, want nil", err)
			}
		})
	}
}

// TestInfluxSpoolCommitFaultIsTheSpools: given InfluxDB answering and the
// spool's cursor file unwritable (spool.pos.tmp a folder here; a full
// disk for the operator who found it), when fusion's writes are
// delivered and their commit fails, expect the spool blamed
// (SpoolProblem, fusion's influx_spool_error) and InfluxDB not (State's
// error nil), then both clear once the cursor can be written and the
// spool empties. /healthz said influx_error "not reachable (influx.url)"
// while the error was "write .../spool.pos.tmp: no space left on device".
func TestInfluxSpoolCommitFaultIsTheSpools(t *testing.T) {
	srv := influxtest.Start(t)
	dir := filepath.Join(t.TempDir(), "spool")
	cfg := InfluxConfig{URL: srv.URL, Database: "spoolfault", SpoolDir: dir}
	cfg.noRollup = true
	s, err := OpenInflux(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	block := filepath.Join(dir, "spool.pos.tmp")
	if err := os.MkdirAll(filepath.Join(block, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteHealth(context.Background(), []event.Health{{Schema: event.SchemaVersion, Site: "s", Sensor: "n", TimeNS: time.Now().UnixNano(), State: event.StateOK}}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); s.SpoolWriteFailures() == 0; {
		if time.Now().After(deadline) {
			_, ierr := s.State()
			t.Fatalf("no spool write failure counted in 30 s; InfluxDB's error: %v", ierr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := s.State(); err != nil {
		t.Errorf("InfluxDB answers and the spool's commit fails: State's error %v, want nil (InfluxDB is not at fault)", err)
	}
	err = s.SpoolProblem(time.Now().Add(time.Minute), time.Second)
	var we *WriteError
	if !errors.As(err, &we) || !strings.Contains(err.Error(), "InfluxDB spool "+dir+" refuses writes") || !strings.Contains(err.Error(), "spool.pos") {
		t.Errorf("SpoolProblem = %v; want the spool's folder and its cursor file named", err)
	}
	if err := os.RemoveAll(block); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("flush once the cursor can be written: %v", err)
	}
	if err := s.SpoolProblem(time.Now().Add(time.Hour), time.Second); err != nil {
		t.Errorf("SpoolProblem once the spool commits: %v, want nil", err)
	}
	if _, err := s.State(); err != nil {
		t.Errorf("State once delivered: %v", err)
	}
}
