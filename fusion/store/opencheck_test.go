package store_test

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// filledStore makes a store at path holding 300 detections, then 300
// alerts, so each table spans pages in the middle of the file, and
// closes it (its WAL checkpointed into the file).
func filledStore(t *testing.T, path string) {
	t.Helper()
	s, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", store.FileURI(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	body := strings.Repeat("x", 200)
	for i := range 300 {
		if _, err := db.Exec(`INSERT INTO detection(id, site, sensor, time_ns, room, authorised, body) VALUES (?, 'w', 's1', ?, 'r', 0, ?)`, fmt.Sprint("s1-", i), i, body); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 300 {
		if _, err := db.Exec(`INSERT INTO alert VALUES (?, 'w', 'phone', 'high', 'firing', 'z', ?, 0, ?)`, fmt.Sprint("a", i), i, body); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOpenSQLiteFindsDamageInside: given a database whose header and
// schema are whole but a page in the middle of the file is damaged (a
// disk that failed, a copy with a hole), when a store opens it, expect
// it refused naming the path, the table, that the file is damaged and to
// restore the latest backup (ErrDamaged). It opened, and fusion failed
// later at whichever query read that page. A file over
// quickCheckAllBytes has its state tables checked, not its time series.
func TestOpenSQLiteFindsDamageInside(t *testing.T) {
	for _, tc := range []struct {
		name    string
		table   string
		bound   int64 // quickCheckAllBytes
		refused bool
	}{
		{"alerts", "alert", 1 << 30, true},
		{"detections", "detection", 1 << 30, true},
		{"alerts of a big file", "alert", 1, true},
		{"detections of a big file, not checked", "detection", 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(b int64) { *store.QuickCheckAllBytes = b }(*store.QuickCheckAllBytes)
			*store.QuickCheckAllBytes = tc.bound
			path := filepath.Join(t.TempDir(), "rfwarden.db")
			filledStore(t, path)
			page := storetest.DamagePage(t, path, tc.table)
			s, err := store.OpenSQLite(path)
			if err == nil {
				s.Close()
			}
			if !tc.refused {
				if err != nil {
					t.Errorf("OpenSQLite = %v, want the time series left to be checked by use", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("OpenSQLite opened a file whose page %d (table %s) is damaged", page, tc.table)
			}
			for _, want := range []string{path, "the database file is damaged", "table " + tc.table, "restore the latest backup (rfwarden restore; docs/deploy.md, section 4)"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("OpenSQLite = %q; want it to say %q", err, want)
				}
			}
			if !errors.Is(err, store.ErrDamaged) {
				t.Errorf("OpenSQLite = %v; want it to wrap ErrDamaged", err)
			}
		})
	}
}
