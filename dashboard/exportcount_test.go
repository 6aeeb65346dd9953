package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// readCounting is an SQLite store that counts the reads of whole alerts
// and incidents.
type readCounting struct {
	*store.SQLite
	reads atomic.Int32
}

func (r *readCounting) Alerts(ctx context.Context, f store.AlertFilter) ([]event.Alert, error) {
	r.reads.Add(1)
	return r.SQLite.Alerts(ctx, f)
}

func (r *readCounting) Incidents(ctx context.Context, f store.IncidentFilter) ([]store.Incident, error) {
	r.reads.Add(1)
	return r.SQLite.Incidents(ctx, f)
}

// TestExportCountsFirst: an export of a window over MaxExportRows rows is
// refused, with the message it always had, from the store's count alone,
// no alert or incident read; a window within it is exported. The
// dashboard read 20,001 whole alerts to find the window too large (2.4 s,
// its memory from 62 to 196 MB).
func TestExportCountsFirst(t *testing.T) {
	ev, db := sqliteEnv(t, "al-0")
	tx, err := db.DB().Begin()
	if err != nil {
		t.Fatal(err)
	}
	at := testNow.Add(-2 * 24 * 3600e9).UnixNano()
	for i := 1; i <= MaxExportRows; i++ { // with al-0 and inc-1, MaxExportRows + 1 of each
		body := fmt.Sprintf(`{"schema":1,"id":"al-%d","site":"hmp1","rule":"drone","severity":"critical","state":"resolved","updated_ns":%d}`, i, at)
		if _, err := tx.Exec(`INSERT INTO alert(id, site, rule, severity, state, zone, updated_ns, ack_ns, body) VALUES (?, 'hmp1', 'drone', 'critical', 'resolved', '', ?, 0, ?)`,
			fmt.Sprint("al-", i), at, body); err != nil {
			t.Fatal(err)
		}
		body = fmt.Sprintf(`{"id":"inc-x%d","site":"hmp1","kind":"drone_drop","state":"closed","updated_ns":%d}`, i, at)
		if _, err := tx.Exec(`INSERT INTO incident(id, site, updated_ns, body) VALUES (?, 'hmp1', ?, ?)`, fmt.Sprint("inc-x", i), at, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	rc := &readCounting{SQLite: db}
	ev.deps.Alerts = rc
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	an := login(t, e, RoleAnalyst, "analyst-password")
	for _, kind := range []string{"alerts", "incidents"} {
		rc.reads.Store(0)
		rec := do(e, "GET", "/api/v1/"+kind+"/export.csv?window=week", "", "", &an, false)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "the week window holds more than "+strconv.Itoa(MaxExportRows)+" "+kind) {
			t.Errorf("%s: a week of %d: %d %s, want 422 naming the limit", kind, MaxExportRows+1, rec.Code, trunc(rec.Body.String()))
		}
		if n := rc.reads.Load(); n != 0 {
			t.Errorf("%s: the refused export read the store's %s %d times, want counted only", kind, kind, n)
		}
		rc.reads.Store(0)
		if rec := do(e, "GET", "/api/v1/"+kind+"/export.csv?window=day", "", "", &an, false); rec.Code != 200 || rc.reads.Load() != 1 {
			t.Errorf("%s: a day's export (1 row): %d, %d reads, want 200 read once: %s", kind, rec.Code, rc.reads.Load(), trunc(rec.Body.String()))
		}
	}
}
