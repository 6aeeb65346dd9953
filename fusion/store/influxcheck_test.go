package store_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestInfluxCheckBlames: Check names the setting at fault from InfluxDB's
// answers (a fake server on loopback; the real one is in the dashboard's
// test, TestCmdDashboardChecksInflux).
func TestInfluxCheckBlames(t *testing.T) {
	const dbs = `{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["rfwarden"]]}]}]}`
	const rps = `{"results":[{"statement_id":0,"series":[{"columns":["name","duration"],"values":[["d90","2160h0m0s"]]}]}]}`
	tests := []struct {
		name  string
		when  func(w http.ResponseWriter, r *http.Request)
		given store.InfluxConfig
		want  store.InfluxSetting
	}{
		{name: "password refused", when: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":"authorization failed"}`, http.StatusUnauthorized)
		}, want: store.InfluxSettingCredentials},
		{name: "database missing", given: store.InfluxConfig{Database: "other"}, want: store.InfluxSettingDatabase},
		{name: "retention policy missing", given: store.InfluxConfig{RP: "d9"}, want: store.InfluxSettingRP},
		{name: "flux disabled", given: store.InfluxConfig{RP: "d90"}, want: store.InfluxSettingFlux},
		{name: "nothing listens", given: store.InfluxConfig{URL: "http://" + closedAddr(t)}, want: store.InfluxSettingURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.when != nil {
					tt.when(w, r)
					return
				}
				switch {
				case r.URL.Path == "/api/v2/query":
					http.Error(w, `{"error":"Flux query service disabled. Verify flux-enabled=true in the [http] section of the InfluxDB config."}`, http.StatusForbidden)
				case r.FormValue("q") == "SHOW DATABASES":
					w.Write([]byte(dbs))
				default:
					w.Write([]byte(rps))
				}
			}))
			defer srv.Close()
			cfg := tt.given
			if cfg.URL == "" {
				cfg.URL = srv.URL
			}
			cfg.ReadOnly = true
			s, err := store.OpenInflux(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err = s.Check(ctx)
			var ce *store.InfluxCheckError
			if !errors.As(err, &ce) || ce.Setting != tt.want {
				t.Errorf("Check = %v, want an InfluxCheckError blaming %s", err, tt.want)
			}
		})
	}
}

// closedAddr is a loopback address the OS chose and nothing listens on
// (it was closed at once).
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
