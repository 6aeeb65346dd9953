//go:build linux

package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestDashboardHealthzDatabaseRecoversByItself: given the disk of the
// dashboard's database full when a user logs in (the session's write
// refused), expect /healthz 503 naming the database and
// rfwarden_dashboard_database_ok 0; and once there is space again, with
// nobody logging in, /healthz 200 ok and the gauge 1 within
// store.ProbeEvery and a probe's write. Until 2026-12-06 they stayed
// degraded until the next login or acknowledgement succeeded: hours on a
// quiet night, after the disk had been freed.
//
// The full disk is a file size limit (RLIMIT_FSIZE) below the database's
// size, as in TestFopsHealthzWhileDatabaseRefusesWrites: every write
// past it fails with EFBIG. The limit is the whole process's, so the
// test runs itself in a child process.
func TestDashboardHealthzDatabaseRecoversByItself(t *testing.T) {
	if !inChildProcess(t, "RFW_DASH_DISKFULL_CHILD") {
		return
	}
	path := filepath.Join(t.TempDir(), "d.db")
	dash := startDashboardArgs(t, "--db", path, "--create-db")
	defer dash.stop()
	if code, body := getHealth(dash.URL + "/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz at start: %d %s", code, body)
	}
	restore := fillDisk(t)
	resp, err := http.Post(dash.URL+"/api/v1/login", "application/json", strings.NewReader(`{"user":"`+dash.User+`","password":"`+dash.Password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatalf("login while the disk is full: %d, want an error", resp.StatusCode)
	}
	const degraded = "degraded: database: RFW_DB (--db) refuses writes: disk I/O error: the disk full"
	wait := func(what string, ok func(code int, body string) bool, within time.Duration) {
		t.Helper()
		var code int
		var body []byte
		for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if code, body = getHealth(dash.URL + "/healthz"); ok(code, string(body)) {
				return
			}
		}
		t.Fatalf("%s: /healthz %d %q after %v\nlog:\n%s", what, code, body, within, dash.stderr.String())
	}
	wait("the database refusing writes", func(code int, body string) bool {
		return code == http.StatusServiceUnavailable && strings.Contains(body, degraded)
	}, store.WriteGrace+10*time.Second)
	if _, m := httpGet(t, dash.URL+"/metrics"); !strings.Contains(m, "\nrfwarden_dashboard_database_ok 0\n") {
		t.Errorf("/metrics while the database refuses writes: want rfwarden_dashboard_database_ok 0:\n%s", grepLines(m, "rfwarden_dashboard_database"))
	}
	restore()
	// No login, no write of a user's: the dashboard's own probe finds it.
	wait("the database taking writes again", func(code int, _ string) bool { return code == http.StatusOK }, store.ProbeEvery+15*time.Second)
	if _, m := httpGet(t, dash.URL+"/metrics"); !strings.Contains(m, "\nrfwarden_dashboard_database_ok 1\n") {
		t.Errorf("/metrics once the database takes writes again: want rfwarden_dashboard_database_ok 1:\n%s", grepLines(m, "rfwarden_dashboard_database"))
	}
}
