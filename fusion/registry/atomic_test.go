package registry_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// execSQL runs q on s's database (a trigger the test needs).
func execSQL(t *testing.T, s *store.SQLite, q string) {
	t.Helper()
	if _, err := s.DB().ExecContext(context.Background(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// dbState is what the database holds of the registry: every entry as a
// fresh Registry loads it, and the registry's audit log.
type dbState struct {
	entries []registry.Entry
	audit   []store.AuditEntry
}

func stateOf(t *testing.T, s *store.SQLite) dbState {
	t.Helper()
	ctx := context.Background()
	fresh, err := registry.Open(ctx, s.DB(), s, registry.Options{Location: time.UTC, Now: testClock})
	if err != nil {
		t.Fatal(err)
	}
	es, _ := fresh.List(ctx)
	a, err := s.AuditLog(ctx, store.AuditFilter{Prefix: "registry."})
	if err != nil {
		t.Fatal(err)
	}
	return dbState{entries: es, audit: a}
}

// requireUnchanged fails unless the database and r's in-memory copy are
// what they were (before).
func requireUnchanged(t *testing.T, r *registry.Registry, s *store.SQLite, before dbState, what string) {
	t.Helper()
	after := stateOf(t, s)
	if !reflect.DeepEqual(after.entries, before.entries) {
		t.Errorf("%s: stored entries changed:\n got %+v\nwant %+v", what, after.entries, before.entries)
	}
	if !reflect.DeepEqual(after.audit, before.audit) {
		t.Errorf("%s: audit log changed:\n got %+v\nwant %+v", what, after.audit, before.audit)
	}
	mem, _ := r.List(context.Background())
	if !reflect.DeepEqual(mem, before.entries) {
		t.Errorf("%s: List changed:\n got %+v\nwant %+v", what, mem, before.entries)
	}
}

// TestAuditFailureChangesNothing: a change and its audit row are stored
// together or not at all. When the audit insert fails (here a trigger
// standing for a full disk; SQLITE_BUSY or a cancelled context alike),
// Add, Update and Expire return the error and the entry is as it was, in
// the database and in List: an administrator who retries gets no
// duplicate, and the audit trail no hole.
func TestAuditFailureChangesNothing(t *testing.T) {
	ctx := context.Background()
	r, s := openRegistry(t)
	e, err := r.Add(ctx, tabletEntry(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	before := stateOf(t, s)
	execSQL(t, s, `CREATE TRIGGER audit_full BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'disk full'); END`)

	if _, err := r.Add(ctx, namedEntry("tablet B2-15"), "bob"); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Add with the audit failing: %v, want the audit's error", err)
	}
	requireUnchanged(t, r, s, before, "failed Add")

	changed := e
	changed.Notes = "moved to the other wing"
	if _, err := r.Update(ctx, changed, "bob"); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Update with the audit failing: %v, want the audit's error", err)
	}
	requireUnchanged(t, r, s, before, "failed Update")

	if _, err := r.Expire(ctx, e.ID, "bob", testClock()); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Expire with the audit failing: %v, want the audit's error", err)
	}
	requireUnchanged(t, r, s, before, "failed Expire")

	// The disk has room again: the same changes go through, each once.
	execSQL(t, s, `DROP TRIGGER audit_full`)
	if _, err := r.Update(ctx, changed, "bob"); err != nil {
		t.Fatalf("Update retried: %v", err)
	}
	if _, err := r.Expire(ctx, e.ID, "bob", testClock()); err != nil {
		t.Fatalf("Expire retried: %v", err)
	}
	if _, err := r.Add(ctx, tabletEntry(), "bob"); err != nil {
		t.Fatalf("Add retried: %v", err)
	}
	got := stateOf(t, s)
	if len(got.entries) != 2 || len(got.audit) != 4 {
		t.Errorf("after the retries: %d entries, %d audit rows; want 2 and 4", len(got.entries), len(got.audit))
	}
	if mem, _ := r.List(ctx); !reflect.DeepEqual(mem, got.entries) {
		t.Errorf("List %+v, stored %+v: want the same", mem, got.entries)
	}
}

// TestAuditCancelledContextChangesNothing: a request whose context ends
// mid-change (the admin closed the page) stores nothing either.
func TestAuditCancelledContextChangesNothing(t *testing.T) {
	ctx := context.Background()
	r, s := openRegistry(t)
	e, err := r.Add(ctx, tabletEntry(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	before := stateOf(t, s)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	changed := e
	changed.Notes = "never stored"
	if _, err := r.Update(cctx, changed, "bob"); err == nil {
		t.Error("Update with a cancelled context succeeded")
	}
	requireUnchanged(t, r, s, before, "cancelled Update")
}

const csvHead = "id,name,kind,class,freq_min_hz,freq_max_hz,bandwidth_min_hz,bandwidth_max_hz,power_min_dbm,power_max_dbm,rooms,zones,schedule,valid_from,valid_until,added_by,notes\n"

func radioRow(id int64, name, notes string) string {
	ids := ""
	if id != 0 {
		ids = fmt.Sprint(id)
	}
	return ids + "," + name + ",staff_radio,unknown,380000000,400000000,,,,,,,,,,," + notes + "\n"
}

// importFile is a CSV of 5 rows: line 2 updates entry id, lines 3-6 add
// radios, line 4's named with a marker.
func importFile(id int64) string {
	return csvHead + radioRow(id, "tablet B2-14", "updated by import") +
		radioRow(0, "radio 1", "") + radioRow(0, "radio MARKER", "") + radioRow(0, "radio 3", "") + radioRow(0, "radio 4", "")
}

// TestImportAllOrNothing: a CSV import is stored whole or not at all.
// When the database refuses a row (a trigger refusing its entry, or the
// audit log full after two rows), the import returns an error naming the
// row's line and the cause, and the database, its audit log and List are
// as they were: nothing half imported to be added again, as duplicates,
// by the next try. The same file then imports every row exactly once.
func TestImportAllOrNothing(t *testing.T) {
	for _, tc := range []struct {
		name, trigger, drop, cause string
	}{
		{"entry refused", `CREATE TRIGGER refuse_marker BEFORE INSERT ON registry_entry WHEN instr(NEW.body, 'MARKER') > 0 BEGIN SELECT RAISE(ABORT, 'refused by test'); END`,
			`DROP TRIGGER refuse_marker`, "refused by test"},
		// one audit row is the Add's: the import's first two go in
		{"audit full after two rows", `CREATE TRIGGER audit_full BEFORE INSERT ON audit WHEN (SELECT count(*) FROM audit) >= 3 BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
			`DROP TRIGGER audit_full`, "disk full"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			r, s := openRegistry(t)
			e, err := r.Add(ctx, tabletEntry(), "alice")
			if err != nil {
				t.Fatal(err)
			}
			before := stateOf(t, s)
			execSQL(t, s, tc.trigger)
			file := importFile(e.ID)
			res, err := r.ImportCSV(ctx, strings.NewReader(file), "importer", registry.ImportOptions{})
			if err == nil || !strings.Contains(err.Error(), "line 4") || !strings.Contains(err.Error(), tc.cause) {
				t.Errorf("import refused at line 4: %+v, %v; want an error naming line 4 and %q", res, err, tc.cause)
			}
			if !reflect.DeepEqual(res, registry.ImportResult{}) {
				t.Errorf("import refused at line 4 reports %+v, want nothing imported", res)
			}
			requireUnchanged(t, r, s, before, "refused import")

			execSQL(t, s, tc.drop)
			res, err = r.ImportCSV(ctx, strings.NewReader(file), "importer", registry.ImportOptions{})
			res.Warnings = nil // the file's radios overlap one another (TestImportOverlapWarning)
			if want := (registry.ImportResult{Imported: 5, Added: 4, Updated: 1}); err != nil || !reflect.DeepEqual(res, want) {
				t.Fatalf("import again: %+v, %v; want %+v", res, err, want)
			}
			got := stateOf(t, s)
			var names []string
			for _, e := range got.entries {
				names = append(names, e.Name)
			}
			if want := "tablet B2-14,radio 1,radio MARKER,radio 3,radio 4"; strings.Join(names, ",") != want {
				t.Errorf("entries after the import: %s, want %s (each once)", strings.Join(names, ","), want)
			}
			if got.entries[0].Notes != "updated by import" {
				t.Errorf("entry %d notes %q: the row with its id did not update it", e.ID, got.entries[0].Notes)
			}
			if len(got.audit) != 6 {
				t.Errorf("audit log has %d rows, want 6 (the add, then 5 imported)", len(got.audit))
			}
			if mem, _ := r.List(ctx); !reflect.DeepEqual(mem, got.entries) {
				t.Errorf("List %+v, stored %+v: want the same", mem, got.entries)
			}
		})
	}
}

// TestImportAudited: an import writes each row and its audit row.
func TestImportAudited(t *testing.T) {
	ctx := context.Background()
	r, s := openRegistry(t)
	e, err := r.Add(ctx, tabletEntry(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.ImportCSV(ctx, strings.NewReader(importFile(e.ID)), "importer", registry.ImportOptions{})
	res.Warnings = nil // the file's radios overlap one another (TestImportOverlapWarning)
	if want := (registry.ImportResult{Imported: 5, Added: 4, Updated: 1}); err != nil || !reflect.DeepEqual(res, want) {
		t.Fatalf("import: %+v, %v; want %+v", res, err, want)
	}
	got := stateOf(t, s)
	if len(got.entries) != 5 {
		t.Fatalf("%d entries stored, want 5", len(got.entries))
	}
	byObject := map[string]store.AuditEntry{}
	for _, a := range got.audit {
		if a.User == "importer" {
			byObject[a.Object] = a
		}
	}
	if len(byObject) != 5 {
		t.Errorf("importer's audit rows %+v: want one for each of the 5 entries", got.audit)
	}
	for _, e := range got.entries {
		a, ok := byObject[fmt.Sprintf("registry/%d", e.ID)]
		switch {
		case !ok:
			t.Errorf("entry %d %q: no audit row", e.ID, e.Name)
		case e.Name == "tablet B2-14" && (a.Action != "registry.update" || !strings.Contains(a.After, "updated by import") || a.Before == ""):
			t.Errorf("entry %d: audit %+v, want its update with before and after", e.ID, a)
		case e.Name != "tablet B2-14" && (a.Action != "registry.add" || !strings.Contains(a.After, e.Name) || a.Before != ""):
			t.Errorf("entry %d: audit %+v, want its add", e.ID, a)
		}
	}
	if mem, _ := r.List(ctx); !reflect.DeepEqual(mem, got.entries) {
		t.Errorf("List %+v, stored %+v: want the same", mem, got.entries)
	}
}

// TestUpdateConflictAcrossRegistries: the revision check is made in the
// change's transaction, so of several admins (fusion's and the dashboard's
// Registry, or two dashboard requests) who read an entry at one revision
// and save it together, exactly one succeeds and the others get
// ErrConflict; none of them overwrites another's change unseen.
func TestUpdateConflictAcrossRegistries(t *testing.T) {
	ctx := context.Background()
	r, s := openRegistry(t)
	e, err := r.Add(ctx, tabletEntry(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	const admins = 4
	regs := make([]*registry.Registry, admins)
	for i := range regs {
		if regs[i], err = registry.Open(ctx, s.DB(), s, registry.Options{Location: time.UTC, Now: testClock}); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 10 {
		if _, err := regs[0].Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		read, err := regs[0].Get(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, admins)
		for i, reg := range regs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mine := read
				mine.Notes = fmt.Sprintf("round %d by admin %d", round, i)
				_, errs[i] = reg.Update(ctx, mine, fmt.Sprint("admin", i))
			}()
		}
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, registry.ErrConflict):
				t.Fatalf("round %d admin %d: %v, want success or ErrConflict", round, i, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d admins saved from revision %s, want exactly 1", round, ok, read.Revision)
		}
	}
	if h, _ := r.History(ctx, e.ID); len(h) != 11 {
		t.Errorf("history has %d rows, want the add and one update a round (11)", len(h))
	}
}

// hiddenTx is an Auditor that cannot join the registry's transaction (a
// test fake, or an audit log in another database).
type hiddenTx struct {
	store.Auditor
	fail error
}

func (h hiddenTx) Audit(ctx context.Context, e store.AuditEntry) error {
	if h.fail != nil {
		return h.fail
	}
	return h.Auditor.Audit(ctx, e)
}

// TestAuditorOutsideTheTransaction: an Auditor that cannot write in the
// registry's transaction is called after the change is committed, as
// before: a change is audited, and a failed audit is reported while the
// change stays stored and listed (List matches the database).
func TestAuditorOutsideTheTransaction(t *testing.T) {
	ctx := context.Background()
	_, s := openRegistry(t)
	r, err := registry.Open(ctx, s.DB(), hiddenTx{Auditor: s}, registry.Options{Location: time.UTC, Now: testClock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Add(ctx, tabletEntry(), "alice"); err != nil {
		t.Fatal(err)
	}
	res, err := r.ImportCSV(ctx, strings.NewReader(csvHead+radioRow(0, "radio 1", "")+radioRow(0, "radio 2", "")), "importer", registry.ImportOptions{})
	if err != nil || res.Imported != 2 || res.Added != 2 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	if got := stateOf(t, s); len(got.entries) != 3 || len(got.audit) != 3 {
		t.Errorf("%d entries, %d audit rows; want 3 and 3", len(got.entries), len(got.audit))
	}

	failing, err := registry.Open(ctx, s.DB(), hiddenTx{Auditor: s, fail: errors.New("audit log unreachable")}, registry.Options{Location: time.UTC, Now: testClock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := failing.Add(ctx, namedEntry("tablet B2-15"), "bob"); err == nil || !strings.Contains(err.Error(), "audit log unreachable") {
		t.Errorf("Add with the audit failing: %v, want its error", err)
	}
	got := stateOf(t, s)
	if len(got.entries) != 4 || len(got.audit) != 3 {
		t.Errorf("%d entries, %d audit rows; want 4 (stored, as before) and 3", len(got.entries), len(got.audit))
	}
	if mem, _ := failing.List(ctx); !reflect.DeepEqual(mem, got.entries) {
		t.Errorf("List %+v, stored %+v: want the same", mem, got.entries)
	}
}
