package main

import (
	"cmp"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/influxtest"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestFusionInfluxRetentionKeptForEver: docs/data-protection.md keeps
// the InfluxDB copy of detections and locations 90 days by default. A
// database fusion creates itself (its user an InfluxDB admin, or no auth,
// influxd's default) gets a retention policy of history_days named
// influx.retention_policy; until 2026-12-06 it got autogen of no duration
// and every point was kept for ever without a word. A policy of no
// duration fusion finds (an admin's, or the store's zero value) is left
// as it is, and fusion's start check warns of it, naming the database,
// the policy and its duration and giving the ALTER RETENTION POLICY
// statement and influx.retention_policy; for ever asked (history_days -1)
// is said at info.
func TestFusionInfluxRetentionKeptForEver(t *testing.T) {
	srv := influxtest.Start(t)
	tests := []struct {
		name     string
		db, rp   string
		adminDB  string        // made by an admin first, with no duration; "" fusion makes it
		dur      time.Duration // InfluxConfig.DatabaseDuration: from history_days
		wantDur  string        // the policy's duration in SHOW RETENTION POLICIES
		wantWarn bool
		wantInfo bool // the for ever asked line
	}{
		{name: "fusion creates it, autogen", db: "made", dur: 90 * 24 * time.Hour, wantDur: "2160h0m0s"},
		{name: "fusion creates it, d30", db: "made30", rp: "d30", dur: 30 * 24 * time.Hour, wantDur: "720h0m0s"},
		{name: "fusion creates it, for ever asked", db: "madeinf", dur: -1, wantDur: "0s", wantInfo: true},
		{name: "an admin's of no duration", db: "admins", adminDB: `CREATE DATABASE "admins"`, dur: 90 * 24 * time.Hour, wantDur: "0s", wantWarn: true},
		{name: "the store's zero value", db: "zero", wantDur: "0s", wantWarn: true},
		{name: "an admin's of 90 days", db: "admin90", rp: "d90", adminDB: `CREATE DATABASE "admin90" WITH DURATION 90d NAME "d90"`, dur: 30 * 24 * time.Hour, wantDur: "2160h0m0s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.adminDB != "" {
				srv.Exec("", "", tc.adminDB)
			}
			in, err := store.OpenInflux(store.InfluxConfig{URL: srv.URL, Database: tc.db, RP: tc.rp, DatabaseDuration: tc.dur,
				SpoolDir: filepath.Join(t.TempDir(), "spool")})
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			var logs syncbuf.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			if err := fusionInflux.run(context.Background(), in, log); err != nil {
				t.Fatalf("check: %v", err)
			}
			rp := cmp.Or(tc.rp, "autogen")
			if got := policyDuration(t, srv.URL, tc.db, rp); got != tc.wantDur {
				t.Errorf("policy %q of %q: duration %q, want %q", rp, tc.db, got, tc.wantDur)
			}
			said := logs.String()
			warned := strings.Contains(said, "level=WARN") && strings.Contains(said, "for ever")
			if warned != tc.wantWarn {
				t.Errorf("warned of a policy kept for ever = %v, want %v; log:\n%s", warned, tc.wantWarn, said)
			}
			if tc.wantWarn {
				for _, want := range []string{"database=" + tc.db, "retention_policy=" + rp, "duration=", "0s", "influx.retention_policy",
					`ALTER RETENTION POLICY \"` + rp + `\" ON \"` + tc.db + `\" DURATION 90d`} {
					if !strings.Contains(said, want) {
						t.Errorf("the warning does not say %s:\n%s", want, said)
					}
				}
			}
			if info := strings.Contains(said, "level=INFO") && strings.Contains(said, "history_days -1"); info != tc.wantInfo {
				t.Errorf("said at info that for ever was asked = %v, want %v; log:\n%s", info, tc.wantInfo, said)
			}
			p, ok := in.Policy()
			wantD, _ := time.ParseDuration(tc.wantDur)
			if !ok || p.Duration != wantD {
				t.Errorf("Policy() = %+v, %v; want duration %v", p, ok, wantD)
			}
		})
	}
}

// policyDuration returns the duration SHOW RETENTION POLICIES gives the
// policy rp of db at the InfluxDB at base.
func policyDuration(t *testing.T, base, db, rp string) string {
	t.Helper()
	resp, err := http.Get(base + "/query?q=" + url.QueryEscape(`SHOW RETENTION POLICIES ON "`+db+`"`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var ans struct {
		Results []struct {
			Series []struct {
				Columns []string `json:"columns"`
				Values  [][]any  `json:"values"`
			} `json:"series"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		t.Fatalf("SHOW RETENTION POLICIES: %v: %s", err, body)
	}
	for _, r := range ans.Results {
		for _, s := range r.Series {
			for _, v := range s.Values {
				if len(v) > 1 && v[0] == rp {
					d, _ := v[1].(string)
					return d
				}
			}
		}
	}
	t.Fatalf("no policy %q on %q: %s", rp, db, body)
	return ""
}
