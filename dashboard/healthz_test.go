package dashboard

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
)

type fakeLink struct {
	up     bool
	reason string
}

func (f fakeLink) IsConnected() bool { return f.up }
func (f fakeLink) Reason() string    { return f.reason }

// TestHealthzFeed: /healthz is degraded, with the reason, while the live
// feed is configured but not connected.
func TestHealthzFeed(t *testing.T) {
	tests := []struct {
		name     string
		given    Link
		wantCode int
		wantBody string
	}{
		{name: "no feed configured", given: nil, wantCode: 200, wantBody: "ok\n"},
		{name: "feed connected", given: fakeLink{up: true}, wantCode: 200, wantBody: "ok\n"},
		{name: "feed refused", given: fakeLink{reason: "not connected to the MQTT broker: not Authorized"}, wantCode: 503,
			wantBody: "degraded: live feed: not connected to the MQTT broker: not Authorized\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := newEnv(t)
			ev.deps.Feed = tt.given
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
			if rec.Code != tt.wantCode || rec.Body.String() != tt.wantBody {
				t.Errorf("GET /healthz = %d %q, want %d %q", rec.Code, rec.Body, tt.wantCode, tt.wantBody)
			}
		})
	}
}

type fakeDisk struct{ why string }

func (f fakeDisk) Low() (string, bool) { return f.why, f.why != "" }

type fakeWrites struct{ err error }

func (f fakeWrites) WriteProblem(time.Time, time.Duration) error { return f.err }

// TestHealthzAllReasons: given more than one thing wrong (the database
// refusing writes, the live feed down, InfluxDB not answering, the state
// disk low), expect /healthz to say every one, a line each, in a fixed
// order (database, live feed, influxdb, state disk), the first line as it
// was. Until 2026-12-06 it said only the first: the database's refused
// writes hid a broker down, and fixing the disk showed the next problem
// only then.
func TestHealthzAllReasons(t *testing.T) {
	refused := &store.WriteError{Cause: "the disk is full", Failures: 3, For: 40 * time.Second, Err: errors.New("database or disk is full")}
	const (
		dbLine     = "degraded: database: RFW_DB (--db) refuses writes: the disk is full (3 failed writes in 40s)\n"
		feedLine   = "degraded: live feed: not connected to the MQTT broker: not reachable: connection refused (RFW_MQTT (--mqtt))\n"
		influxLine = "degraded: influxdb: not reachable: timed out (RFW_INFLUX_URL (--influx))\n"
		diskLine   = "degraded: state disk: 10 MB free, want 500 MB\n"
	)
	feedDown := fakeLink{reason: "not connected to the MQTT broker: not reachable: connection refused (RFW_MQTT (--mqtt))"}
	influxDown := fakeLink{reason: "not reachable: timed out (RFW_INFLUX_URL (--influx))"}
	tests := []struct {
		name     string
		db       DatabaseWrites
		feed     Link
		influx   Link
		disk     DiskSpace
		wantCode int
		wantBody string
	}{
		{name: "all well", db: fakeWrites{}, feed: fakeLink{up: true}, influx: fakeLink{up: true}, disk: fakeDisk{}, wantCode: 200, wantBody: "ok\n"},
		{name: "database only", db: fakeWrites{refused}, feed: fakeLink{up: true}, wantCode: 503, wantBody: dbLine},
		{name: "database and feed", db: fakeWrites{refused}, feed: feedDown, wantCode: 503, wantBody: dbLine + feedLine},
		{name: "feed and influxdb", db: fakeWrites{}, feed: feedDown, influx: influxDown, wantCode: 503, wantBody: feedLine + influxLine},
		{name: "influxdb and disk", influx: influxDown, disk: fakeDisk{"10 MB free, want 500 MB"}, wantCode: 503, wantBody: influxLine + diskLine},
		{name: "everything", db: fakeWrites{refused}, feed: feedDown, influx: influxDown, disk: fakeDisk{"10 MB free, want 500 MB"}, wantCode: 503,
			wantBody: dbLine + feedLine + influxLine + diskLine},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := newEnv(t)
			ev.deps.Database, ev.deps.Feed, ev.deps.Influx, ev.deps.StateDisk = tt.db, tt.feed, tt.influx, tt.disk
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
			if rec.Code != tt.wantCode || rec.Body.String() != tt.wantBody {
				t.Errorf("GET /healthz = %d %q, want %d %q", rec.Code, rec.Body, tt.wantCode, tt.wantBody)
			}
		})
	}
}
