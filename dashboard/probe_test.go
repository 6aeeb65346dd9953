package dashboard

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestHealthzInflux: /healthz is degraded, with the reason, while the
// latest check of InfluxDB (where the time series are read) failed; it
// answered "ok" while the floor plan's time series were missing.
func TestHealthzInflux(t *testing.T) {
	refused := errors.New("http://127.0.0.1:8086 not reachable: connect: connection refused")
	tests := []struct {
		name     string
		given    []error // the outcomes recorded, in order; nil slice: no InfluxDB
		public   func(error) string
		wantCode int
		wantBody string
		wantUp   float64
	}{
		{name: "no InfluxDB configured", wantCode: 200, wantBody: "ok\n"},
		{name: "not checked yet", given: []error{}, wantCode: 200, wantBody: "ok\n", wantUp: 1},
		{name: "answers", given: []error{nil}, wantCode: 200, wantBody: "ok\n", wantUp: 1},
		{name: "does not answer", given: []error{refused}, wantCode: 503,
			wantBody: "degraded: influxdb: http://127.0.0.1:8086 not reachable: connect: connection refused\n"},
		{name: "answers again", given: []error{refused, nil}, wantCode: 200, wantBody: "ok\n", wantUp: 1},
		// /healthz needs no login: Public leaves out the host the log has
		{name: "does not answer, public", given: []error{refused}, public: func(error) string { return "not reachable (RFW_INFLUX_URL)" },
			wantCode: 503, wantBody: "degraded: influxdb: not reachable (RFW_INFLUX_URL)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := newEnv(t)
			var p *Probe
			if tt.given != nil {
				p = &Probe{Name: "influxdb", Check: func(context.Context) error { return nil }, Public: tt.public}
				for _, err := range tt.given {
					p.Set(err)
				}
				ev.deps.Influx = p
			}
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
			if rec.Code != tt.wantCode || rec.Body.String() != tt.wantBody {
				t.Errorf("GET /healthz = %d %q, want %d %q", rec.Code, rec.Body, tt.wantCode, tt.wantBody)
			}
			if p != nil {
				if got := testutil.ToFloat64(p.Collectors()[0]); got != tt.wantUp {
					t.Errorf("rfwarden_dashboard_influxdb_up = %v, want %v", got, tt.wantUp)
				}
			}
		})
	}
}

// TestProbeRun: given a service that stops answering, hangs and answers
// again, when Probe.Run checks it in the background, expect the probe to
// follow it (a hung check cut at Timeout), and Run to return once its
// context is done, recording nothing from the check it cut short.
func TestProbeRun(t *testing.T) {
	var mode atomic.Int32 // 0 answers, 1 refuses, 2 hangs until its context ends
	p := &Probe{Name: "influxdb", Interval: 5 * time.Millisecond, Timeout: 20 * time.Millisecond,
		Check: func(ctx context.Context) error {
			switch mode.Load() {
			case 1:
				return errors.New("connection refused")
			case 2:
				<-ctx.Done()
				return ctx.Err()
			}
			return nil
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	defer cancel()

	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(2 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 10 s (connected %v, reason %q)", what, p.IsConnected(), p.Reason())
			}
		}
	}
	mode.Store(1)
	waitFor("refused", func() bool { return !p.IsConnected() && p.Reason() == "connection refused" })
	mode.Store(0)
	waitFor("answers again", p.IsConnected)
	mode.Store(2)
	waitFor("hangs, cut at the timeout", func() bool { return strings.Contains(p.Reason(), "deadline exceeded") })

	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}

	// a check under way when Run's context ends records nothing
	var started atomic.Bool
	hung := &Probe{Name: "influxdb", Interval: time.Millisecond, Timeout: time.Hour,
		Check: func(ctx context.Context) error { started.Store(true); <-ctx.Done(); return ctx.Err() }}
	ctx2, cancel2 := context.WithCancel(context.Background())
	done2 := make(chan struct{})
	go func() { hung.Run(ctx2); close(done2) }()
	for deadline := time.Now().Add(10 * time.Second); !started.Load(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			cancel2()
			t.Fatal("no check started within 10 s")
		}
	}
	cancel2()
	select {
	case <-done2:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended, during a check")
	}
	if !hung.IsConnected() {
		t.Errorf("the check cut short at shutdown was recorded: %q", hung.Reason())
	}
}
