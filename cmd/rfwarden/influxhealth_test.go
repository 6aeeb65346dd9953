package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/influxtest"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestInfluxHealthzHidesUserAndHost: given InfluxDB refusing the user, or
// not answering, when the dashboard's probe checks it and when fusion's
// writes fail, expect /healthz (public, no login) to say what is wrong
// and which setting to fix, without the user name, the host or port, or
// InfluxDB's own message; the dashboard's log keeps the user and host for
// the operator. /healthz said `user "dash-user" at http://127.0.0.1:PORT:
// username or password refused: 401 Unauthorized: {"error":"authorization
// failed"}`. No password is shown anywhere.
func TestInfluxHealthzHidesUserAndHost(t *testing.T) {
	const wrongPW = "wrong-Pw-123"
	srv := influxtest.StartAuth(t)
	srv.Exec("", "", `CREATE USER "admin" WITH PASSWORD 'admin-pw' WITH ALL PRIVILEGES`)
	for _, q := range []string{`CREATE DATABASE "rfwarden"`, `CREATE USER "dash-user" WITH PASSWORD 'dash-pw'`, `GRANT READ ON "rfwarden" TO "dash-user"`,
		`CREATE USER "fusion-user" WITH PASSWORD 'fusion-pw'`, `GRANT ALL ON "rfwarden" TO "fusion-user"`} {
		srv.Exec("admin", "admin-pw", q)
	}
	closed := "http://" + freeTCPAddr(t) // nothing answers there
	tests := []struct {
		name     string
		fusion   bool // fusion's writes; else the dashboard's probe
		url      string
		user, pw string
		want     string // /healthz's reason
	}{
		{name: "dashboard, wrong password", url: srv.URL, user: "dash-user", pw: wrongPW,
			want: "credentials refused (RFW_INFLUX_USER or RFW_INFLUX_PASSWORD (--influx-user))"},
		{name: "dashboard, unknown user", url: srv.URL, user: "dash-usr", pw: wrongPW,
			want: "credentials refused (RFW_INFLUX_USER or RFW_INFLUX_PASSWORD (--influx-user))"},
		{name: "dashboard, password in the URL", url: strings.Replace(srv.URL, "//", "//dash-user:"+wrongPW+"@", 1), user: "dash-user", pw: wrongPW,
			want: "credentials refused (RFW_INFLUX_USER or RFW_INFLUX_PASSWORD (--influx-user))"},
		{name: "dashboard, nothing answers", url: closed, user: "dash-user", pw: wrongPW,
			want: "not reachable: connection refused (RFW_INFLUX_URL (--influx))"},
		{name: "fusion, wrong password", fusion: true, url: srv.URL, user: "fusion-user", pw: wrongPW,
			want: "credentials refused (influx.username or RFW_INFLUX_PASSWORD)"},
		{name: "fusion, nothing answers", fusion: true, url: closed, user: "fusion-user", pw: wrongPW,
			want: "not reachable: connection refused (influx.url)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var logs syncbuf.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			cfg := store.InfluxConfig{URL: tt.url, Database: "rfwarden", Username: tt.user, Password: tt.pw, Logger: log}
			var got string
			if tt.fusion {
				cfg.SpoolDir = filepath.Join(t.TempDir(), "spool")
			} else {
				cfg.ReadOnly = true
			}
			in, err := store.OpenInflux(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			if tt.fusion {
				if err := in.WriteHealth(ctx, []event.Health{{Schema: event.SchemaVersion, Site: "s1", Sensor: "n1", TimeNS: time.Now().UnixNano(), State: event.StateOK}}); err != nil {
					t.Fatal(err)
				}
				probe := fusionProbe{connected: func() bool { return true }, ping: func(context.Context) error { return nil },
					active: func() []event.Alert { return nil }, influx: in.State}
				for got == "" && ctx.Err() == nil {
					got = probe.health(ctx).InfluxError
					time.Sleep(20 * time.Millisecond)
				}
			} else {
				p := dashboardInflux.probe(in, nil, log)
				p.Set(p.Check(ctx))
				got = p.Reason()
			}
			if got != tt.want {
				t.Errorf("/healthz says %q, want %q", got, tt.want)
			}
			host := strings.TrimPrefix(tt.url, "http://")
			host = host[strings.LastIndex(host, "@")+1:]
			for _, hidden := range []string{tt.user, host, "127.0.0.1", "authorization failed", tt.pw} {
				if strings.Contains(got, hidden) {
					t.Errorf("/healthz says %q: shows %q", got, hidden)
				}
			}
			if strings.Contains(logs.String(), tt.pw) {
				t.Errorf("the log shows the password:\n%s", logs.String())
			}
			if !tt.fusion {
				want := []string{host}
				if strings.HasPrefix(tt.want, "credentials") {
					want = append(want, tt.user)
				}
				for _, want := range want {
					if !strings.Contains(logs.String(), want) {
						t.Errorf("the log lacks %q, for the operator:\n%s", want, logs.String())
					}
				}
			}
		})
	}
}
