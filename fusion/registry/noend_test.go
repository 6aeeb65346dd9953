package registry_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/registry"
)

// TestEntryWithoutEndJSON: an entry with no end has no valid_until in its
// JSON (the API's and the stored body), where it had
// "0001-01-01T00:00:00Z", an end in year 1 to any client that read it;
// one with an end has it. Read back, no valid_until, null and that zero
// time are all no end, so what an older release stored, and what a client
// sends back as it read it, stays an entry without end.
func TestEntryWithoutEndJSON(t *testing.T) {
	e := tabletEntry()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "valid_until") {
		t.Errorf("entry without end as JSON: %s; want no valid_until", b)
	}
	end := time.Date(2027, 1, 31, 18, 0, 0, 0, time.UTC)
	e.ValidUntil = end
	if b, _ := json.Marshal(e); !strings.Contains(string(b), `"valid_until":"2027-01-31T18:00:00Z"`) {
		t.Errorf("entry with an end as JSON: %s; want its valid_until", b)
	}
	for _, in := range []string{`{}`, `{"valid_until":null}`, `{"valid_until":"0001-01-01T00:00:00Z"}`} {
		var got registry.Entry
		if err := json.Unmarshal([]byte(in), &got); err != nil || !got.ValidUntil.IsZero() {
			t.Errorf("json.Unmarshal(%s) = valid until %v, %v; want no end", in, got.ValidUntil, err)
		}
	}
}

// TestEntryWithoutEndRoundTrip: an entry with no end, read and saved back
// as read (Update) or exported and imported, is unchanged, neither written
// nor audited, its revision kept; so is one an older release stored with
// "valid_until":"0001-01-01T00:00:00Z", which reads as no end.
func TestEntryWithoutEndRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, legacy := range []bool{false, true} {
		name := map[bool]string{false: "stored now", true: "stored by an older release"}[legacy]
		t.Run(name, func(t *testing.T) {
			r, s := openRegistryOn(t, nanoClock)
			added, err := r.Add(ctx, tabletEntry(), "alice")
			if err != nil {
				t.Fatal(err)
			}
			if legacy {
				if _, err := s.DB().ExecContext(ctx, `UPDATE registry_entry SET body = json_set(body, '$.valid_until', '0001-01-01T00:00:00Z') WHERE id = ?`, added.ID); err != nil {
					t.Fatal(err)
				}
				if _, err := r.Refresh(ctx); err != nil {
					t.Fatal(err)
				}
			}
			read, err := r.Get(ctx, added.ID)
			if err != nil || !read.ValidUntil.IsZero() {
				t.Fatalf("Get = valid until %v, %v; want no end", read.ValidUntil, err)
			}
			b, err := json.Marshal(read)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "valid_until") {
				t.Errorf("entry as read, as JSON: %s; want no valid_until", b)
			}
			var back registry.Entry
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			before := stateOf(t, s)
			got, err := r.Update(ctx, back, "bob")
			if err != nil || got.Revision != read.Revision || !got.ValidUntil.IsZero() {
				t.Errorf("Update as read = revision %s (was %s), valid until %v, %v; want it unchanged", got.Revision, read.Revision, got.ValidUntil, err)
			}
			requireUnchanged(t, r, s, before, "update as read")
			file := exportCSV(t, r)
			if res, err := importCSV(r, file, registry.ImportOptions{}); err != nil || res.Unchanged != 1 || res.Imported != 0 {
				t.Errorf("import of the export = %+v, %v; want it unchanged", res, err)
			}
			requireUnchanged(t, r, s, before, "import of the export")
		})
	}
}
