package main

import (
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/store/influxtest"
)

// TestCmdDashboardInfluxDownDegraded: given RFW_INFLUX_URL where no
// InfluxDB answers, when the dashboard runs, expect /healthz 503
// "degraded: influxdb: " with why and the setting to fix (not the host:
// /healthz needs no login), as for the live feed and the state disk, and
// rfwarden_dashboard_influxdb_up 0 in /metrics. It answered "ok" while the floor plan's time series, the heatmap and sensor health
// failed, and nobody was told. With InfluxDB answering: "ok", and 1.
func TestCmdDashboardInfluxDownDegraded(t *testing.T) {
	tests := []struct {
		name     string
		given    func(t *testing.T) string // the InfluxDB URL
		wantCode int
		wantBody []string // in /healthz's answer
		wantUp   string
	}{
		{name: "does not answer", given: func(t *testing.T) string {
			return "http://" + freeTCPAddr(t) // closed at once: nothing answers there
		}, wantCode: 503, wantBody: []string{"degraded: influxdb: not reachable: connection refused (RFW_INFLUX_URL (--influx))\n"}, wantUp: "0"},
		{name: "answers", given: func(t *testing.T) string {
			srv := influxtest.Start(t)
			srv.Exec("", "", `CREATE DATABASE "rfwarden"`)
			return srv.URL
		}, wantCode: 200, wantBody: []string{"ok\n"}, wantUp: "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.given(t)
			d := startDashboardArgs(t, "--db", t.TempDir()+"/rfw.db", "--create-db", "--influx", url)
			defer d.stop()
			code, body := httpGet(t, d.URL+"/healthz")
			if code != tt.wantCode {
				t.Errorf("/healthz = %d %q, want %d", code, body, tt.wantCode)
			}
			for _, w := range tt.wantBody {
				if !strings.Contains(body, w) {
					t.Errorf("/healthz = %q, want it to say %q", body, w)
				}
			}
			// /healthz needs no login: the host is in the log only
			// (TestInfluxHealthzHidesUserAndHost)
			if host := strings.TrimPrefix(url, "http://"); strings.Contains(body, host) {
				t.Errorf("/healthz = %q: names the host %s", body, host)
			}
			if _, m := httpGet(t, d.URL+"/metrics"); !strings.Contains(m, "\nrfwarden_dashboard_influxdb_up "+tt.wantUp+"\n") {
				t.Errorf("/metrics lacks rfwarden_dashboard_influxdb_up %s", tt.wantUp)
			}
		})
	}
}
