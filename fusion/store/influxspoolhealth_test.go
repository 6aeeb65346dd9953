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
