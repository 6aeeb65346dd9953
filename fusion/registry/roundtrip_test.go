package registry_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/registry"
)

// TestImportRoundTripLineBreaks: a name and notes are stored as
// typedtext.Normal makes them (line breaks "\n", the spaces round them
// trimmed) by every way in, so an export imported again unedited, as
// written or as a spreadsheet saves it (CRLF), updates nothing. A note
// typed with "\r\n" (a browser form's line break) was stored so, and the
// CSV reader, which reads "\r\n" as "\n", made its round trip "updated":1
// until 2026-12-07.
func TestImportRoundTripLineBreaks(t *testing.T) {
	ctx := context.Background()
	r, s := openRegistryOn(t, nanoClock)
	for _, tc := range []struct{ name, notes, wantName, wantNotes string }{
		{"tablet 1", "issued 2026-11-01\r\ncharger in the office", "tablet 1", "issued 2026-11-01\ncharger in the office"},
		{"tablet 2", "one\ntwo\rthree", "tablet 2", "one\ntwo\nthree"},
		{"  tablet 3 ", "\r\n  spaces round it \r\n", "tablet 3", "spaces round it"},
		{"tablet 4", "- a list\r\n\t- indented", "tablet 4", "- a list\n\t- indented"},
	} {
		e := namedEntry(tc.name)
		e.Notes = tc.notes
		got, err := r.Add(ctx, e, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != tc.wantName || got.Notes != tc.wantNotes {
			t.Errorf("Add(%q, %q) stored %q, %q; want %q, %q", tc.name, tc.notes, got.Name, got.Notes, tc.wantName, tc.wantNotes)
		}
	}
	// an update is a way in too
	e, err := r.Get(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	e.Notes = "issued 2026-11-01\r\ncharger in the office\r\n"
	if got, err := r.Update(ctx, e, "bob"); err != nil || got.Notes != "issued 2026-11-01\ncharger in the office" || got.Revision != e.Revision {
		t.Errorf("Update with the note's line breaks as \\r\\n = %q (revision %s, was %s), %v; want it unchanged", got.Notes, got.Revision, e.Revision, err)
	}
	before := stateOf(t, s)
	file := exportCSV(t, r)
	for _, tc := range []struct{ name, file string }{
		{"as exported", file},
		{"saved with CRLF line ends", strings.ReplaceAll(file, "\n", "\r\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := importCSV(r, tc.file, registry.ImportOptions{})
			if want := (registry.ImportResult{Unchanged: 4}); err != nil || !reflect.DeepEqual(res, want) {
				t.Errorf("import = %+v, %v; want %+v", res, err, want)
			}
			requireUnchanged(t, r, s, before, "unedited import")
		})
	}
	// a new row's note, read from a CSV file, is stored as typed text too
	res, err := importCSV(r, csvHead+radioRow(0, "radio 9", "\"first\r\nsecond \""), registry.ImportOptions{})
	if err != nil || res.Added != 1 {
		t.Fatalf("import of a new row = %+v, %v", res, err)
	}
	if e, err := r.Get(ctx, 5); err != nil || e.Notes != "first\nsecond" {
		t.Errorf("imported note %q, %v; want %q", e.Notes, err, "first\nsecond")
	}
}
