package store

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// TestInfluxErrorsHideURLPassword: a URL carrying its credentials
// (http://user:password@host:8086, which Go's HTTP client sends as basic
// auth) is named in the store's errors with the password as "xxxxx", and
// one carrying a proxy's token in its path (http://proxy/influx/<token>)
// with the path after its first segment as "xxxxx" (net/http's errors
// quoted it whole until 2026-12-06, in Check's and in a query's):
// those errors are logged by fusion and the dashboard, printed by
// `rfwarden erase --influx`, and the dashboard's /healthz, which needs no
// login, answers "degraded: influxdb: " and the check's error.
func TestInfluxErrorsHideURLPassword(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close() // nothing answers there
	const secret = "s3cr3t-pw"
	tests := []struct {
		name string
		url  string
		open bool   // OpenInflux takes it; else its error is the one checked
		want string // in the error: the URL, what may be secret hidden
	}{
		{name: "not reachable", url: "http://rfw:" + secret + "@" + closed, open: true, want: "xxxxx@"},
		{name: "not reachable, trailing slash", url: "http://rfw:" + secret + "@" + closed + "/", open: true, want: "xxxxx@"},
		{name: "bad scheme", url: "ftp://rfw:" + secret + "@" + closed, want: "xxxxx@"},
		{name: "no host", url: "http://rfw:" + secret + "@", want: "xxxxx@"},
		{name: "not a URL", url: "http://rfw:" + secret + "@[::1", want: "xxxxx@"},
		{name: "token in the path", url: "http://" + closed + "/influx/" + secret, open: true, want: closed + "/influx/xxxxx"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, err := OpenInflux(InfluxConfig{URL: tc.url, ReadOnly: true})
			if (err == nil) != tc.open {
				t.Fatalf("OpenInflux(%q): %v", tc.url, err)
			}
			if tc.open {
				defer in.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				err = in.Check(ctx)
				if err == nil {
					t.Fatal("Check of a closed port passed")
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error names the secret: %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name the URL as %q", err, tc.want)
			}
			if !tc.open {
				return
			}
			// a Flux query, through the InfluxDB client
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err = in.Detections(ctx, "hmp-test", time.Unix(0, 0), time.Unix(1, 0), 10)
			if err == nil {
				t.Fatal("a query of a closed port passed")
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("query error names the secret: %v", err)
			}
		})
	}
}

// TestInfluxErrorsNameTheRequest: a failed write or Flux query names
// the request the InfluxDB client made of influx.url, its path and
// bucket, while a proxy's token in influx.url's path stays hidden. The
// log read `Post "http://127.0.0.1:19086/api/xxxxx?bucket=xxxxx&org=&
// precision=xxxxx"`: which request, database and policy failed was
// hidden, and nothing secret was. Writes go to a server that answers
// InfluxQL (the database is there) and drops every write's connection;
// queries to a closed port.
func TestInfluxErrorsNameTheRequest(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/query") {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["rfwarden"]]}]}]}`)
			return
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close() // the client's error quotes the URL
		}
	}))
	defer srv.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close() // nothing answers there
	const secret = "s3cr3t-token"
	for _, tc := range []struct{ name, path, wantPath string }{
		{"plain", "", ""},
		{"token in the path", "/influx/" + secret, "/influx/xxxxx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := InfluxConfig{URL: srv.URL + tc.path, Database: "rfwarden", RP: "d90", SpoolDir: filepath.Join(t.TempDir(), "spool")}
			cfg.noRollup = true // writes alone: the fake answers no roll-up's queries
			in, err := OpenInflux(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			if err := in.WriteHealth(context.Background(), []event.Health{{Schema: event.SchemaVersion, Site: "s", Sensor: "n", TimeNS: time.Now().UnixNano(), State: event.StateOK}}); err != nil {
				t.Fatal(err)
			}
			var werr error
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				if _, werr = in.State(); werr != nil || time.Now().After(deadline) {
					break
				}
			}
			q, err := OpenInflux(InfluxConfig{URL: closed + tc.path, ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, qerr := q.Detections(ctx, "hmp-test", time.Unix(0, 0), time.Unix(1, 0), 10)
			for what, c := range map[string]struct {
				err  error
				want string
			}{
				"write": {werr, `"` + srv.URL + tc.wantPath + "/api/v2/write?bucket=rfwarden%2Fd90&org=&precision=ns" + `"`},
				"query": {qerr, `"` + closed + tc.wantPath + "/api/v2/query?org=" + `"`},
			} {
				if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
					t.Errorf("%s error %v; want it to name %s", what, c.err, c.want)
				}
				if c.err != nil && strings.Contains(c.err.Error(), secret) {
					t.Errorf("%s error names the token: %v", what, c.err)
				}
			}
		})
	}
}
