//go:build linux

package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

// TestFopsHealthzWhileDatabaseRefusesWrites: the disk holding fusion's
// SQLite database fills up while detections arrive. Every write of
// fusion (detections, alerts) then fails with "database or disk is full",
// and /healthz must say so: 503, database_ok false, with an error naming
// the database's path and the cause (docs/deploy.md, health table), and
// rfw_fusion_database_ok must be 0; once space is back, the kept records
// are written at the next tick and /healthz is ok again by itself. The
// probe only pinged the connection (db.DB().PingContext), which a full
// disk does not fail, so /healthz answered 200 ok while nothing was
// stored; it now also asks store.SQLite.WriteProblem.
//
// The full disk is a file size limit (RLIMIT_FSIZE) below the database's
// first WAL frame: every write past it fails with EFBIG, as on a full
// disk (Go ignores SIGXFSZ). The limit is a whole process's, so the test
// runs itself in a child process (the test binary again, with
// RFW_FOPS_DISKFULL_CHILD=1), leaving the package's other tests alone.
func TestFopsHealthzWhileDatabaseRefusesWrites(t *testing.T) {
	if !inChildProcess(t, "RFW_FOPS_DISKFULL_CHILD") {
		return
	}
	b := brokertest.Start(t, "rfw/v1/+/alert")
	httpAddr := freeTCPAddr(t)
	dir, _, stderr, _ := runFusion(t, b.URL(), "http_addr: "+httpAddr+"\n", nil)
	start := time.Now()
	publishPhone(t, b, start, stderr) // a working fusion stores and alerts
	waitFusionHealth(t, httpAddr, http.StatusOK, []string{`"database_ok":true`}, 10*time.Second, stderr)

	restore := fillDisk(t)

	// Detections keep coming; each tick's write of them fails.
	publishPhoneRounds(t, b, time.Now(), 5)
	// EFBIG is SQLite's "disk I/O error (778)"; ENOSPC its "database or disk is full (13)".
	// The detections are written at fusion's next tick (every second),
	// later on a loaded machine: wait for the first failure.
	failed := func() bool {
		log := stderr.String()
		return strings.Contains(log, "disk I/O error") || strings.Contains(log, "database or disk is full")
	}
	for wait := time.Now().Add(20 * time.Second); !failed() && time.Now().Before(wait); {
		time.Sleep(100 * time.Millisecond)
	}
	if !failed() {
		restore()
		t.Fatalf("fusion's writes did not fail; the simulated full disk does not work here. log:\n%s", stderr.String())
	}
	// The kept records are tried again at every tick, and fail: within
	// store.WriteGrace and a tick /healthz says so.
	deadline := time.Now().Add(store.WriteGrace + 8*time.Second)
	code, body := httpGet(t, "http://"+httpAddr+"/healthz")
	for ; code == http.StatusOK && time.Now().Before(deadline); code, body = httpGet(t, "http://"+httpAddr+"/healthz") {
		time.Sleep(100 * time.Millisecond)
	}
	_, metrics := httpGet(t, "http://"+httpAddr+"/metrics")
	restore()

	var h fusionHealth
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatalf("/healthz %d %q: %v", code, body, err)
	}
	db := filepath.Join(dir, "rfwarden.db")
	// EFBIG is an I/O error to SQLite; the cause says what it may be
	if code != http.StatusServiceUnavailable || h.DatabaseOK || !strings.Contains(h.Error, "database "+db+" refuses writes: disk I/O error: the disk full") {
		t.Fatalf("/healthz while every write to %s fails (disk full): %d %s\nwant 503, database_ok false and an error naming the database's path and the cause", db, code, body)
	}
	if !strings.Contains(metrics, "\nrfw_fusion_database_ok 0\n") || strings.Contains(metrics, "\nrfw_fusion_database_write_failures_total 0\n") {
		t.Errorf("/metrics while every write fails: want rfw_fusion_database_ok 0 and write failures counted:\n%s", grepLines(metrics, "rfw_fusion_database"))
	}
	// Space again: the next tick writes what was kept, and /healthz is ok
	// by itself.
	waitFusionHealth(t, httpAddr, http.StatusOK, []string{`"database_ok":true`}, 10*time.Second, stderr)
	if _, metrics := httpGet(t, "http://"+httpAddr+"/metrics"); !strings.Contains(metrics, "\nrfw_fusion_database_ok 1\n") {
		t.Errorf("/metrics once writes succeed again: want rfw_fusion_database_ok 1:\n%s", grepLines(metrics, "rfw_fusion_database"))
	}
}
