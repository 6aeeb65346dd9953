package registry_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestDeleteRules: an admin deletes an entry that authorises nothing, now
// or later (docs/data-protection.md's inventory keeps an entry "until
// expired and deleted by an admin"; there was no way to delete one). An
// entry still in force, or due to end later, is refused (ErrInForce,
// naming its end): deleting it would make its device an alarm at one
// click, with no expiry in the audit trail. A deletion is audited
// (registry.delete), a refusal changes and audits nothing, and a new
// entry never takes a deleted one's ID.
func TestDeleteRules(t *testing.T) {
	ctx := context.Background()
	now := monday.Add(12 * time.Hour)
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	tests := []struct {
		name    string
		entry   func(e *registry.Entry)
		stored  func(t *testing.T, s *store.SQLite, id int64) // changes the stored row, as a hand edit or an older rule would leave it
		wantErr []string                                      // in the error (ErrInForce); nil: deleted
	}{
		{name: "expired", entry: func(e *registry.Entry) { e.ValidUntil = monday }},
		{name: "ends now", entry: func(e *registry.Entry) { e.ValidUntil = now }},
		{name: "cancelled before its start", entry: func(e *registry.Entry) {
			e.ValidFrom, e.ValidUntil = now.Add(24*time.Hour), now.Add(24*time.Hour)
		}},
		{name: "breaks a rule: authorises nothing", stored: func(t *testing.T, s *store.SQLite, id int64) {
			corrupt(t, s, id, `{"name":"tablet","kind":"in_cell_tablet","signature":{"freq_min_hz":0,"freq_max_hz":0},"valid_from":"2026-11-22T00:00:00Z"}`)
		}},
		{name: "does not decode", stored: func(t *testing.T, s *store.SQLite, id int64) { corrupt(t, s, id, `{"name":`) }},
		{name: "in force, no end", wantErr: []string{"no end", "expire it first"}},
		{name: "ends later", entry: func(e *registry.Entry) { e.ValidUntil = now.Add(time.Hour) },
			wantErr: []string{stamp(now.Add(time.Hour)), stamp(now), "expire it first"}},
		{name: "not started, ends later", entry: func(e *registry.Entry) {
			e.ValidFrom, e.ValidUntil = now.Add(time.Hour), now.Add(2*time.Hour)
		}, wantErr: []string{stamp(now.Add(2 * time.Hour))}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := store.OpenSQLite(filepath.Join(t.TempDir(), "r.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			r, err := registry.Open(ctx, s.DB(), s, registry.Options{Location: time.UTC, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			e := tabletEntry()
			if tc.entry != nil {
				tc.entry(&e)
			}
			e, err = r.Add(ctx, e, "admin")
			if err != nil {
				t.Fatal(err)
			}
			if tc.stored != nil {
				tc.stored(t, s, e.ID)
				if _, err := r.Refresh(ctx); err != nil {
					t.Fatal(err)
				}
			}
			hist, _ := r.History(ctx, e.ID)
			err = r.Delete(ctx, e.ID, "carol")
			if tc.wantErr != nil {
				if !errors.Is(err, registry.ErrInForce) {
					t.Fatalf("Delete = %v; want ErrInForce", err)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("Delete error %q does not say %q", err, w)
					}
				}
				if _, err := r.Get(ctx, e.ID); err != nil {
					t.Errorf("refused, yet the entry is gone: %v", err)
				}
				if h, _ := r.History(ctx, e.ID); len(h) != len(hist) {
					t.Errorf("refused, yet audited: %+v", h[0])
				}
				return
			}
			if err != nil {
				t.Fatalf("Delete = %v, want it deleted", err)
			}
			if _, err := r.Get(ctx, e.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Get after Delete = %v, want ErrNotFound", err)
			}
			var n int
			if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM registry_entry WHERE id = ?`, e.ID).Scan(&n); err != nil || n != 0 {
				t.Errorf("stored rows of entry %d after Delete: %d, %v; want 0", e.ID, n, err)
			}
			h, _ := r.History(ctx, e.ID)
			if len(h) != len(hist)+1 || h[0].Action != "registry.delete" || h[0].User != "carol" || h[0].Before != "" || h[0].After != "" {
				t.Errorf("history after Delete %+v; want a registry.delete by carol first, with no body", h)
			}
			if err := r.Delete(ctx, e.ID, "carol"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Delete again = %v, want ErrNotFound", err)
			}
			next, err := r.Add(ctx, tabletEntry(), "admin")
			if err != nil {
				t.Fatal(err)
			}
			if next.ID <= e.ID {
				t.Errorf("a new entry took ID %d after entry %d was deleted: the audit trail's registry/%d would name two entries", next.ID, e.ID, next.ID)
			}
		})
	}
}

// TestDeleteSeenByOtherProcess: an entry the dashboard deletes leaves
// fusion's Registry (the same database, another process) at its next
// Refresh, as any other change does (the table's delete trigger).
func TestDeleteSeenByOtherProcess(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	open := func() *registry.Registry {
		s, err := store.OpenSQLite(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		r, err := registry.Open(ctx, s.DB(), s, registry.Options{Location: time.UTC, Now: testClock})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	dash, fus := open(), open()
	e := tabletEntry()
	e.ValidUntil = monday
	e, err := dash.Add(ctx, e, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fus.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := fus.Get(ctx, e.ID); err != nil {
		t.Fatalf("fusion does not have the entry before its deletion: %v", err)
	}
	if err := dash.Delete(ctx, e.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	if reloaded, err := fus.Refresh(ctx); err != nil || !reloaded {
		t.Fatalf("fusion's Refresh after the deletion = %v, %v; want a reload", reloaded, err)
	}
	if got, err := fus.Get(ctx, e.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("fusion still has the deleted entry: %+v, %v", got, err)
	}
	if fus.Len() != 0 {
		t.Errorf("fusion holds %d entries after the only one was deleted", fus.Len())
	}
}

// TestImportRefusesDeletedEntry: a registry CSV exported before an admin
// deleted an entry named it by its id, and importing the file added the
// entry again (as "not in this register"): the departed officer's name
// and notes came back. Such a row is now refused, naming the deletion,
// and nothing is imported, force or not.
func TestImportRefusesDeletedEntry(t *testing.T) {
	ctx := context.Background()
	r, _ := openRegistry(t)
	var ids []int64
	for _, name := range []string{"radio of officer Smith", "radio of officer Jones"} {
		e := tabletEntry()
		e.Name, e.ValidUntil = name, monday
		e, err := r.Add(ctx, e, "admin")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	var file strings.Builder
	if err := r.ExportCSV(ctx, &file); err != nil {
		t.Fatal(err)
	}
	if err := r.Delete(ctx, ids[0], "carol"); err != nil {
		t.Fatal(err)
	}
	for _, force := range []bool{false, true} {
		res, err := r.ImportCSV(ctx, strings.NewReader(file.String()), "admin", registry.ImportOptions{Force: force})
		if !errors.Is(err, registry.ErrConflict) || !strings.Contains(err.Error(), "deleted by carol") || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("import (force %v) of a file naming the deleted entry = %+v, %v; want ErrConflict naming line 2 and the deletion", force, res, err)
		}
	}
	es, _ := r.List(ctx)
	if len(es) != 1 || es[0].ID != ids[1] {
		t.Errorf("entries after the refused imports: %+v; want entry %d alone", es, ids[1])
	}
}

// TestDeletedNames: DeletedNames names each deleted entry as its audit
// trail last stored it (renamed before its deletion: the new name), and
// no entry still stored.
func TestDeletedNames(t *testing.T) {
	ctx := context.Background()
	r, _ := openRegistry(t)
	kept, err := r.Add(ctx, namedEntry("kept"), "admin")
	if err != nil {
		t.Fatal(err)
	}
	gone, err := r.Add(ctx, namedEntry("old name"), "admin")
	if err != nil {
		t.Fatal(err)
	}
	gone.Name = "gone"
	if gone, err = r.Update(ctx, gone, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Expire(ctx, gone.ID, "admin", testClock()); err != nil {
		t.Fatal(err)
	}
	if err := r.Delete(ctx, gone.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	got, err := r.DeletedNames(ctx)
	if err != nil || len(got) != 1 || !got["gone"] {
		t.Errorf("DeletedNames = %v, %v; want gone alone (not %q, still stored)", got, err, kept.Name)
	}
}
