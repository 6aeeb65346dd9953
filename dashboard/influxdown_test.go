package dashboard

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestInfluxDownAnswers503: given InfluxDB down (nothing answers at its
// URL), when the floor plan reads its heatmap and its locations, or a
// sensor's health is read, expect 503 and an error naming InfluxDB and what is
// wrong, as /healthz words it (through the InfluxDB probe's Public, with
// the setting; without a probe the fault's summary), never the host or
// port. They answered 500 {"error":"internal error"}, which the page
// showed as it was.
func TestInfluxDownAnswers503(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close() // nothing answers there
	in, err := store.OpenInflux(store.InfluxConfig{URL: "http://" + closed, Database: "rfwarden", ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	public := func(err error) string {
		var ce *store.InfluxCheckError
		if !errors.As(err, &ce) {
			return "request failed (RFW_INFLUX_URL (--influx))"
		}
		return ce.Summary() + " (RFW_INFLUX_URL (--influx))"
	}
	for _, tc := range []struct {
		name  string
		probe *Probe
		want  string
	}{
		{"with the probe", &Probe{Name: "influxdb", Check: in.Check, Public: public},
			"InfluxDB, where the time series are read, does not answer: not reachable: connection refused (RFW_INFLUX_URL (--influx))"},
		{"without", nil, "InfluxDB, where the time series are read, does not answer: not reachable: connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t)
			ev.deps.TimeSeries = in
			if tc.probe != nil {
				ev.deps.Influx = tc.probe
			}
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			c := login(t, e, RoleViewer, "viewer-password")
			for _, path := range []string{"/api/v1/heatmap", "/api/v1/locations", "/api/v1/sensors/s1/health"} {
				rec := do(e, http.MethodGet, path, "", "", &c, false)
				var body struct{ Error string }
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
					t.Fatalf("%s: %d %q: %v", path, rec.Code, rec.Body, err)
				}
				if rec.Code != http.StatusServiceUnavailable || body.Error != tc.want {
					t.Errorf("%s = %d %q, want 503 %q", path, rec.Code, body.Error, tc.want)
				}
				if strings.Contains(rec.Body.String(), closed) {
					t.Errorf("%s = %q: names the host and port", path, rec.Body)
				}
			}
		})
	}
}
