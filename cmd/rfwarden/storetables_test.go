package main

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestStoreTablesListed: every table of fusion's database that carries a
// site is in siteTables (restore checks and reports a backup's site by
// them), and every one that stamps its rows with a time (a column *_ns) is
// in demoStoredTimes (a demo resumed from its state folder starts its
// clock after the newest of them) or demoWallTimes (stamped by console
// tools with the wall clock, left out). A table added to the store without
// them (phone_repeat was) is missed by both.
func TestStoreTablesListed(t *testing.T) {
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfwarden.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.DB().Query(`SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND (p.name = 'site' OR p.name LIKE '%\_ns' ESCAPE '\')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	withSite, withTime := map[string]bool{}, map[string]bool{}
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		if col == "site" {
			withSite[table] = true
		} else {
			withTime[table] = true
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(withSite) == 0 || len(withTime) == 0 {
		t.Fatalf("found no tables with a site (%v) or a time (%v): the query is wrong", withSite, withTime)
	}
	for table := range withSite {
		if !slices.ContainsFunc(siteTables, func(st struct{ table, one, many string }) bool { return st.table == table }) {
			t.Errorf("table %s carries a site but is not in siteTables (restore.go)", table)
		}
	}
	for table := range withTime {
		if table == "write_probe" {
			continue // the dashboard's write probe (store.WatchWrites): one row, the time of its latest try, no data
		}
		if !slices.ContainsFunc(demoStoredTimes, func(st struct{ table, columns string }) bool { return st.table == table }) && !slices.Contains(demoWallTimes, table) {
			t.Errorf("table %s stamps its rows with a time but is in neither demoStoredTimes nor demoWallTimes (demo.go)", table)
		}
	}
}
