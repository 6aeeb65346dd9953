package registry_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// nanoClock is testClock with nanoseconds, as a real clock has them.
func nanoClock() time.Time { return testClock().Add(170265322 * time.Nanosecond) }

// openRegistryOn is openRegistry on clock now.
func openRegistryOn(t *testing.T, now func() time.Time) (*registry.Registry, *store.SQLite) {
	t.Helper()
	s, err := store.OpenSQLite(filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	r, err := registry.Open(context.Background(), s.DB(), s, registry.Options{Location: time.UTC, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return r, s
}

func exportCSV(t *testing.T, r *registry.Registry) string {
	t.Helper()
	var b bytes.Buffer
	if err := r.ExportCSV(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// editCSV returns file with edit applied to its rows (the header
// excluded), each a map from column name to cell, and the columns named
// in drop left out.
func editCSV(t *testing.T, file string, edit func(row map[string]string), drop ...string) string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(file)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := recs[0]
	var keep []string
	for _, h := range head {
		if !strings.Contains(","+strings.Join(drop, ",")+",", ","+h+",") {
			keep = append(keep, h)
		}
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(keep)
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, h := range head {
			row[h] = rec[i]
		}
		if edit != nil {
			edit(row)
		}
		var out []string
		for _, h := range keep {
			out = append(out, row[h])
		}
		w.Write(out)
	}
	w.Flush()
	return b.String()
}

func importCSV(r *registry.Registry, file string, opts registry.ImportOptions) (registry.ImportResult, error) {
	return r.ImportCSV(context.Background(), strings.NewReader(file), "importer", opts)
}

func namedEntry(name string) registry.Entry {
	e := tabletEntry()
	e.Name = name
	return e
}

// TestImportRoundTripUnchanged: an export imported unchanged changes and
// audits nothing, and keeps every revision (other admins' open forms stay
// valid): the export writes times to the nanosecond, as they are stored,
// where it wrote them to the second and each entry's valid_from "changed"
// from .170265322 to .000000000.
func TestImportRoundTripUnchanged(t *testing.T) {
	ctx := context.Background()
	r, s := openRegistryOn(t, nanoClock)
	for _, name := range []string{"tablet 1", "tablet 2", "tablet 3"} {
		e := namedEntry(name)
		e.ValidFrom = time.Time{} // now, to the nanosecond
		if _, err := r.Add(ctx, e, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Expire(ctx, 2, "bob", nanoClock()); err != nil {
		t.Fatal(err)
	}
	before := stateOf(t, s)
	file := exportCSV(t, r)
	if !strings.Contains(file, ".170265322Z") {
		t.Errorf("export does not keep nanoseconds:\n%s", file)
	}
	for _, tc := range []struct{ name, file string }{
		{"as exported", file},
		{"without the revision column (an older export)", editCSV(t, file, nil, "revision")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := importCSV(r, tc.file, registry.ImportOptions{})
			if want := (registry.ImportResult{Unchanged: 3}); err != nil || !reflect.DeepEqual(res, want) {
				t.Errorf("import = %+v, %v; want %+v", res, err, want)
			}
			requireUnchanged(t, r, s, before, "unchanged import")
		})
	}
}

// TestImportCounts: the result says how many rows added, updated and left
// unchanged an entry.
func TestImportCounts(t *testing.T) {
	ctx := context.Background()
	r, _ := openRegistryOn(t, nanoClock)
	for _, name := range []string{"tablet 1", "tablet 2"} {
		if _, err := r.Add(ctx, namedEntry(name), "alice"); err != nil {
			t.Fatal(err)
		}
	}
	file := editCSV(t, exportCSV(t, r), func(row map[string]string) {
		if row["id"] == "2" {
			row["notes"] = "moved"
		}
	})
	file += ",radio 1,staff_radio,unknown,380000000,400000000,,,,,,,,,,,,\n,radio 2,staff_radio,unknown,380000000,400000000,,,,,,,,,,,,\n"
	res, err := importCSV(r, file, registry.ImportOptions{})
	res.Warnings = nil // its tablets, and its radios, overlap one another (TestImportOverlapWarning)
	if want := (registry.ImportResult{Imported: 3, Added: 2, Updated: 1, Unchanged: 1}); err != nil || !reflect.DeepEqual(res, want) {
		t.Errorf("import = %+v, %v; want %+v\n%s", res, err, want, file)
	}
}

// TestImportBOM: Excel's "CSV UTF-8" starts with a byte order mark, which
// made the header's first column "\ufeffid".
func TestImportBOM(t *testing.T) {
	for _, tc := range []struct{ name, file string }{
		{"BOM", "\ufeff" + csvHead + radioRow(0, "radio 1", "")},
		{"BOM before a quoted header", "\ufeff\"id\"" + strings.TrimPrefix(csvHead, "id") + radioRow(0, "radio 1", "")},
		{"BOM and CRLF", "\ufeff" + strings.ReplaceAll(csvHead+radioRow(0, "radio 1", ""), "\n", "\r\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := openRegistry(t)
			res, err := importCSV(r, tc.file, registry.ImportOptions{})
			if err != nil || res.Added != 1 {
				t.Fatalf("import = %+v, %v; want 1 added", res, err)
			}
			if es, _ := r.List(context.Background()); len(es) != 1 || es[0].Name != "radio 1" {
				t.Errorf("entries %+v", es)
			}
		})
	}
}

// TestImportStaleRevision: an export carries each entry's revision; a row
// whose revision is not the stored one (the entry was expired, or edited,
// after the export) is refused, the whole import with it, as a conflict
// naming the line, the entry and what changed it: importing the morning's
// export re-authorised a stolen tablet expired at noon.
func TestImportStaleRevision(t *testing.T) {
	ctx := context.Background()
	r, s := openRegistryOn(t, nanoClock)
	for _, name := range []string{"tablet 1", "tablet 2", "tablet 3"} {
		if _, err := r.Add(ctx, namedEntry(name), "alice"); err != nil {
			t.Fatal(err)
		}
	}
	morning := exportCSV(t, r)
	if head, _, _ := strings.Cut(morning, "\n"); !strings.HasSuffix(head, ",revision") {
		t.Fatalf("export header %q has no revision column", head)
	}
	if _, err := r.Expire(ctx, 1, "bob", testClock()); err != nil {
		t.Fatal(err)
	}
	before := stateOf(t, s)
	file := editCSV(t, morning, func(row map[string]string) {
		if row["id"] == "3" {
			row["notes"] = "charger replaced"
		}
	})
	res, err := importCSV(r, file, registry.ImportOptions{})
	if !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("import of the morning's export = %+v, %v; want ErrConflict", res, err)
	}
	for _, want := range []string{"line 2", "entry 1", "expired by bob at " + testClock().Format(time.RFC3339), "export again"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if !reflect.DeepEqual(res, registry.ImportResult{}) {
		t.Errorf("refused import reports %+v", res)
	}
	requireUnchanged(t, r, s, before, "refused import")
	// Force does not override a revision: the row says which entry it
	// was read from.
	if _, err := importCSV(r, file, registry.ImportOptions{Force: true}); !errors.Is(err, registry.ErrConflict) {
		t.Errorf("forced import of a stale revision: %v, want ErrConflict", err)
	}
	// Exported again, the change goes through and the expiry stays.
	file = editCSV(t, exportCSV(t, r), func(row map[string]string) {
		if row["id"] == "3" {
			row["notes"] = "charger replaced"
		}
	})
	res, err = importCSV(r, file, registry.ImportOptions{})
	res.Warnings = nil // its tablets overlap one another (TestImportOverlapWarning)
	if want := (registry.ImportResult{Imported: 1, Updated: 1, Unchanged: 2}); err != nil || !reflect.DeepEqual(res, want) {
		t.Fatalf("import of a fresh export = %+v, %v; want %+v", res, err, want)
	}
	if e, _ := r.Get(ctx, 1); e.ValidUntil.IsZero() {
		t.Errorf("entry 1 authorised again: %+v", e)
	}
}

// TestImportWithoutRevisionKeepsExpiry: a row without a revision (a file
// written by hand, or exported before the column) that updates an entry
// may not clear or move later the valid_until the entry has, unless the
// import is forced: it undid an expiry without a word.
func TestImportWithoutRevisionKeepsExpiry(t *testing.T) {
	ctx := context.Background()
	until := testClock().Format(time.RFC3339Nano)
	later := testClock().Add(24 * time.Hour).Format(time.RFC3339Nano)
	earlier := testClock().Add(-time.Hour).Format(time.RFC3339Nano)
	tests := []struct {
		name      string
		until     string // entry 1's valid_until in the file
		revision  bool   // keep the revision column
		force     bool
		wantErr   string // "" when accepted
		wantUntil string // entry 1's valid_until after, "" for none
	}{
		{name: "clears it", until: "", wantErr: "force"},
		{name: "moves it later", until: later, wantErr: "force"},
		{name: "clears it, forced", until: "", force: true, wantUntil: ""},
		{name: "moves it later, forced", until: later, force: true, wantUntil: later},
		{name: "moves it earlier", until: earlier, wantUntil: earlier},
		{name: "keeps it", until: until, wantUntil: until},
		{name: "clears it, with the current revision", until: "", revision: true, wantUntil: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, s := openRegistry(t)
			for _, name := range []string{"tablet 1", "tablet 2"} {
				if _, err := r.Add(ctx, namedEntry(name), "alice"); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := r.Expire(ctx, 1, "bob", testClock()); err != nil {
				t.Fatal(err)
			}
			before := stateOf(t, s)
			var drop []string
			if !tc.revision {
				drop = []string{"revision"}
			}
			file := editCSV(t, exportCSV(t, r), func(row map[string]string) {
				if row["id"] == "1" {
					row["valid_until"] = tc.until
				}
			}, drop...)
			res, err := importCSV(r, file, registry.ImportOptions{Force: tc.force})
			if tc.wantErr != "" {
				if !errors.Is(err, registry.ErrConflict) || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "entry 1") {
					t.Fatalf("import = %+v, %v; want ErrConflict naming line 2, entry 1 and %q", res, err, tc.wantErr)
				}
				requireUnchanged(t, r, s, before, "refused import")
				return
			}
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			e, _ := r.Get(ctx, 1)
			got := ""
			if !e.ValidUntil.IsZero() {
				got = e.ValidUntil.Format(time.RFC3339Nano)
			}
			if got != tc.wantUntil {
				t.Errorf("entry 1 valid_until %q, want %q", got, tc.wantUntil)
			}
		})
	}
}

// TestImportDuplicates: two rows for one id, or a row without id for a
// device already in the file or in the register (same name, kind and
// signature; see ImportCSV), are refused naming the lines and the entry:
// the last of two rows won silently, and importing a file without ids
// again doubled the register.
func TestImportDuplicates(t *testing.T) {
	ctx := context.Background()
	radio := func(id, name, rooms string) string {
		return id + "," + name + ",staff_radio,unknown,380000000,400000000,,,,," + rooms + ",,,,,,\n"
	}
	tests := []struct {
		name    string
		rows    string
		wantErr []string // nil when accepted
	}{
		{name: "one id twice", rows: radio("1", "radio 1", "") + radio("1", "radio 1b", ""), wantErr: []string{"line 3", "line 2", "entry 1"}},
		{name: "two identical rows without id", rows: radio("", "radio 9", "") + radio("", "radio 9", ""), wantErr: []string{"line 3", "line 2"}},
		{name: "two rows without id, one room each (one entry per place)", rows: radio("", "radio 9", "B2-14") + radio("", "radio 9", "B2-15")},
		{name: "two rows without id, the same rooms", rows: radio("", "radio 9", "B2-14") + radio("", "radio 9", "B2-14"), wantErr: []string{"line 3", "line 2"}},
		{name: "a row without id for a row with one", rows: radio("1", "radio 1", "") + radio("", "radio 1", ""), wantErr: []string{"line 3", "line 2"}},
		{name: "a live entry again", rows: radio("", "radio 3", "") + radio("", "radio 1", ""), wantErr: []string{"line 3", "already in the register as entry 1", "give its id"}},
		{name: "a live entry again, name in other case", rows: radio("", "Radio 1 ", ""), wantErr: []string{"line 2", "entry 1"}},
		{name: "an expired entry again", rows: radio("", "radio 2", "")},
		{name: "a live entry renamed by the file, and its old self", rows: radio("1", "radio 1 (old)", "") + radio("", "radio 1", "")},
		{name: "same name, another band", rows: ",radio 1,staff_radio,unknown,410000000,430000000,,,,,,,,,,,\n"},
		{name: "two new devices", rows: radio("", "radio 3", "") + radio("", "radio 4", "")},
		// ids this register has not (a file of another site): added, so
		// the second is the first's device again (both were added)
		{name: "two rows with unknown ids, one device", rows: radio("7", "radio 9", "") + radio("8", "radio 9", ""), wantErr: []string{"line 3", "already in the register as entry 3"}},
		// another register's export: a device's expired entry, then its renewal
		{name: "unknown ids, an expired entry and its renewal", rows: strings.Replace(radio("7", "radio 9", ""), ",,,,,,\n", ",,,2020-01-01T00:00:00Z,2020-06-01T00:00:00Z,,\n", 1) + radio("8", "radio 9", "")},
		// the same, the renewal first: the order of the rows does not
		// matter (the expired row was refused as a live entry again)
		{name: "unknown ids, a renewal and then its expired entry", rows: radio("8", "radio 9", "") + strings.Replace(radio("7", "radio 9", ""), ",,,,,,\n", ",,,2020-01-01T00:00:00Z,2020-06-01T00:00:00Z,,\n", 1)},
		// the history of a live entry's device: not a second authorisation
		{name: "a live entry's device, ended", rows: strings.Replace(radio("", "radio 1", ""), ",,,,,,\n", ",,,2020-01-01T00:00:00Z,2020-06-01T00:00:00Z,,\n", 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, s := openRegistry(t)
			for _, name := range []string{"radio 1", "radio 2"} {
				e := namedEntry(name)
				e.Kind, e.Rooms, e.Schedule = registry.KindStaffRadio, nil, nil
				e.Signature = registry.Signature{Class: event.ClassUnknown, FreqMinHz: 380e6, FreqMaxHz: 400e6}
				if _, err := r.Add(ctx, e, "alice"); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := r.Expire(ctx, 2, "bob", testClock()); err != nil {
				t.Fatal(err)
			}
			before := stateOf(t, s)
			res, err := importCSV(r, csvHead+tc.rows, registry.ImportOptions{})
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("import: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("import = %+v; want refused", res)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			requireUnchanged(t, r, s, before, "refused import")
		})
	}
	// A file without ids imported twice: the second time is refused.
	r, _ := openRegistry(t)
	file := csvHead + radio("", "radio 1", "") + radio("", "radio 2", "")
	if _, err := importCSV(r, file, registry.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := importCSV(r, file, registry.ImportOptions{}); err == nil || !strings.Contains(err.Error(), "already in the register as entry 1") {
		t.Errorf("second import of a file without ids: %v; want refused", err)
	}
	if es, _ := r.List(ctx); len(es) != 2 {
		t.Errorf("%d entries after importing a file twice, want 2", len(es))
	}
}

// TestImportRefusesDuplicateByUpdate: an import that leaves two live
// entries of one device (the same name, kind, signature and places) is
// refused with 409 naming the line and the entry, and imports nothing,
// whether a row updates an entry into another's device or a row with an
// id this register has not adds one beside the row of the entry it
// repeats; the file is judged as it leaves the register, so two entries
// swapping names are taken. Until 2026-12-07 both were imported.
func TestImportRefusesDuplicateByUpdate(t *testing.T) {
	ctx := context.Background()
	radio := func(id, name, rooms string) string {
		return id + "," + name + ",staff_radio,unknown,380000000,400000000,,,,," + rooms + ",,,,,,\n"
	}
	ended := func(row string) string {
		return strings.Replace(row, ",,,,,,\n", ",,,2020-01-01T00:00:00Z,2020-06-01T00:00:00Z,,\n", 1)
	}
	tests := []struct {
		name    string
		rows    string
		wantErr []string // nil when accepted
	}{
		{name: "entry 2 made entry 1's device", rows: radio("2", "Radio 1", ""),
			wantErr: []string{"line 2", "already in the register as entry 1", "which entry 2 would then repeat"}},
		{name: "entry 2 made entry 1's device beside entry 1's row", rows: radio("1", "radio 1", "") + radio("2", "radio 1", ""),
			wantErr: []string{"line 3", "already in the register as entry 1", "which entry 2 would then repeat"}},
		{name: "an unknown id for entry 1's device beside entry 1's row", rows: radio("1", "radio 1", "") + radio("9", "radio 1", ""),
			wantErr: []string{"line 3", "already in the register as entry 1", "give its id"}},
		{name: "entries 1 and 2 swap names", rows: radio("1", "radio 2", "") + radio("2", "radio 1", "")},
		{name: "entry 2 made entry 1's device, ended", rows: ended(radio("2", "radio 1", ""))},
		{name: "entry 1 unchanged, entry 2 moved", rows: radio("1", "radio 1", "") + radio("2", "radio 2", "B2-15")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, s := openRegistry(t)
			for _, name := range []string{"radio 1", "radio 2"} {
				e := namedEntry(name)
				e.Kind, e.Rooms, e.Schedule = registry.KindStaffRadio, nil, nil
				e.Signature = registry.Signature{Class: event.ClassUnknown, FreqMinHz: 380e6, FreqMaxHz: 400e6}
				if _, err := r.Add(ctx, e, "alice"); err != nil {
					t.Fatal(err)
				}
			}
			before := stateOf(t, s)
			res, err := importCSV(r, csvHead+tc.rows, registry.ImportOptions{})
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("import: %v", err)
				}
				return
			}
			if !errors.Is(err, registry.ErrConflict) {
				t.Fatalf("import = %+v, %v; want refused with ErrConflict", res, err)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			requireUnchanged(t, r, s, before, "refused import")
		})
	}
}

// TestUnknownPlacesAfterSiteEdit: an entry naming rooms or zones the site
// model no longer has (a wing renamed since it was saved) is listed with
// a Problem naming them, so the page, the API and the problems gauges show
// it; it still authorises in the places it names that the model has, and
// nothing in the others, and can be expired.
func TestUnknownPlacesAfterSiteEdit(t *testing.T) {
	ctx := context.Background()
	st, err := site.LoadFile("../../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.OpenSQLite(filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// saved before the site edit: nothing to check them against
	before, err := registry.Open(ctx, s.DB(), s, registry.Options{Location: time.UTC, Now: testClock})
	if err != nil {
		t.Fatal(err)
	}
	mixed := tabletEntry()
	mixed.Rooms, mixed.Zones = []string{"B2-14", "A1-OLD"}, []string{"wing-old"}
	gone := tabletEntry()
	gone.Name, gone.Rooms, gone.Zones = "kiosk wing A", nil, []string{"wing-a"}
	gone.Signature.FreqMinHz, gone.Signature.FreqMaxHz = 5.15e9, 5.35e9
	fine := tabletEntry()
	fine.Name, fine.Rooms = "tablet B2-03", []string{"B2-03"}
	for _, e := range []registry.Entry{mixed, gone, fine} {
		if _, err := before.Add(ctx, e, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	r, err := registry.Open(ctx, s.DB(), s, registry.Options{Location: time.UTC, Now: testClock, Site: st})
	if err != nil {
		t.Fatal(err)
	}
	es, _ := r.List(ctx)
	for _, c := range []struct {
		id   int64
		want []string // in its Problem; nil: none
	}{
		{1, []string{`"A1-OLD"`, `"wing-old"`, "still authorises", "B2-14"}},
		{2, []string{`"wing-a"`, "authorises nothing"}},
		{3, nil},
	} {
		e := es[c.id-1]
		if c.want == nil && e.Problem != "" {
			t.Errorf("entry %d problem %q, want none", e.ID, e.Problem)
		}
		for _, w := range c.want {
			if !strings.Contains(e.Problem, w) {
				t.Errorf("entry %d problem %q does not say %q", e.ID, e.Problem, w)
			}
		}
		if got, _ := r.Get(ctx, c.id); got.Problem != e.Problem {
			t.Errorf("Get(%d) problem %q, List %q", c.id, got.Problem, e.Problem)
		}
	}
	at := monday.Add(10 * time.Hour)
	if m, ok := r.Match(wifiDet(at), registry.Place{Room: "B2-14", Zones: []string{"wing-b"}}, at); !ok || m.ID != 1 {
		t.Errorf("tablet in B2-14, a room entry 1 names that the site has: match %v (entry %d), want entry 1", ok, m.ID)
	}
	kiosk := wifiDet(at)
	kiosk.CenterHz = 5.2e9
	if _, ok := r.Match(kiosk, registry.Place{Room: "B2-01", Zones: []string{"wing-b"}}, at); ok {
		t.Error("an entry naming only unknown places authorises elsewhere")
	}
	if _, err := r.Expire(ctx, 1, "bob", testClock()); err != nil {
		t.Errorf("expire an entry with unknown places (a tablet stolen from the renamed wing): %v", err)
	}
}

// TestImportWithoutValidFromKeepsStart: a row that updates an entry and
// has no valid_from keeps the entry's stored start (an entry due to start
// next month was authorised from the import on, and every import of the
// file "updated" it again); an added row starts now.
func TestImportWithoutValidFromKeepsStart(t *testing.T) {
	ctx := context.Background()
	r, _ := openRegistry(t)
	e := namedEntry("tablet 1")
	start := testClock().AddDate(0, 1, 0)
	e.ValidFrom = start
	if _, err := r.Add(ctx, e, "alice"); err != nil {
		t.Fatal(err)
	}
	file := editCSV(t, exportCSV(t, r), func(row map[string]string) { row["valid_from"] = "" }, "revision")
	file += ",tablet 2,in_cell_tablet,unknown,2400000000,2483500000,,,,,,,,,,,\n"
	for i, want := range []registry.ImportResult{{Imported: 1, Added: 1, Unchanged: 1}} {
		res, err := importCSV(r, file, registry.ImportOptions{})
		if err != nil || !reflect.DeepEqual(res, want) {
			t.Fatalf("import %d = %+v, %v; want %+v", i, res, err, want)
		}
	}
	got, _ := r.Get(ctx, 1)
	if !got.ValidFrom.Equal(start) {
		t.Errorf("entry 1 valid_from %v after an import without one, want its own %v", got.ValidFrom, start)
	}
	added, _ := r.Get(ctx, 2)
	if !added.ValidFrom.Equal(testClock()) {
		t.Errorf("added entry valid_from %v, want now %v", added.ValidFrom, testClock())
	}
}
