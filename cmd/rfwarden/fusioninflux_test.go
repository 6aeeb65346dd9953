package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store/influxtest"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

// TestCmdFusionChecksInflux: given fusion.yaml's InfluxDB settings with
// one wrong (the retention policy, the password, the user, a database a
// user that is no admin may not create), when fusion starts, expect it to
// exit with an error naming the key at fault; it started and spooled
// every write for ever, logging "1 results for 3 statements" or "401
// Unauthorized" every 5 s. An InfluxDB that does not answer is only a
// warning: fusion starts and spools.
func TestCmdFusionChecksInflux(t *testing.T) {
	srv := influxtest.StartAuth(t)
	srv.Exec("", "", `CREATE USER "admin" WITH PASSWORD 'admin-pw' WITH ALL PRIVILEGES`)
	for _, q := range []string{`CREATE DATABASE "rfwarden" WITH DURATION 90d REPLICATION 1 SHARD DURATION 1d NAME "d90"`,
		`CREATE USER "rfwarden" WITH PASSWORD 'fusion-pw'`, `GRANT ALL ON "rfwarden" TO "rfwarden"`} {
		srv.Exec("admin", "admin-pw", q)
	}
	b := brokertest.Start(t, "rfw/v1/+/alert")
	siteAbs, err := filepath.Abs("../../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		url      string // "" the server's
		db, rp   string
		user, pw string
		wantKey  string // "" starts
	}{
		{name: "good", db: "rfwarden", rp: "d90", user: "rfwarden", pw: "fusion-pw"},
		{name: "retention policy typo", db: "rfwarden", rp: "d9", user: "rfwarden", pw: "fusion-pw", wantKey: "influx.retention_policy"},
		{name: "wrong password", db: "rfwarden", rp: "d90", user: "rfwarden", pw: "nope", wantKey: "RFW_INFLUX_PASSWORD"},
		{name: "unknown user", db: "rfwarden", rp: "d90", user: "rfwardne", pw: "fusion-pw", wantKey: "influx.username"},
		{name: "database a user may not create", db: "rfwardne", rp: "d90", user: "rfwarden", pw: "fusion-pw", wantKey: "influx.database"},
		{name: "not answering", url: "http://" + freeTCPAddr(t), db: "rfwarden", rp: "d90", user: "rfwarden", pw: "fusion-pw"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := srv.URL
			if tt.url != "" {
				url = tt.url
			}
			dir := t.TempDir()
			cfg := fmt.Sprintf("site: %s\nbroker: %s\nclient_id: fusion-test\nseen_file: seen\ninflux: {url: %q, database: %s, retention_policy: %s, username: %s, spool_dir: spool}\n",
				siteAbs, b.URL(), url, tt.db, tt.rp, tt.user)
			if err := os.WriteFile(filepath.Join(dir, "fusion.yaml"), []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Setenv("RFW_INFLUX_PASSWORD", tt.pw)
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			defer cancel()
			var stdout, stderr syncbuf.Buffer
			done := make(chan error, 1)
			go func() {
				done <- cmdFusion(ctx, []string{"--config", filepath.Join(dir, "fusion.yaml")}, &stdout, &stderr)
			}()
			for !strings.Contains(stdout.String(), "time series in InfluxDB") && ctx.Err() == nil && len(done) == 0 {
				time.Sleep(20 * time.Millisecond)
			}
			cancel()
			err := <-done
			switch {
			case tt.wantKey == "" && err != nil:
				t.Errorf("fusion: %v", err)
			case tt.wantKey == "" && !strings.Contains(stdout.String(), "time series in InfluxDB"):
				t.Errorf("fusion did not start; stderr:\n%s", stderr.String())
			case tt.wantKey != "" && (err == nil || !strings.Contains(err.Error(), tt.wantKey)):
				t.Errorf("error %v, want one naming %s", err, tt.wantKey)
			case tt.wantKey != "" && strings.Contains(stdout.String(), "time series in InfluxDB"):
				t.Errorf("started with a wrong %s", tt.wantKey)
			}
			if tt.url != "" && !strings.Contains(stderr.String(), "InfluxDB does not answer") {
				t.Errorf("no warning that InfluxDB does not answer; stderr:\n%s", stderr.String())
			}
		})
	}
}
