package store

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
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
