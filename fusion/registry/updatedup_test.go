package registry_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/registry"
)

// TestUpdateRefusesLiveDuplicate: an update that makes an entry a live
// entry's device (the same name, case and spacing aside, kind, signature
// and places) while it is live itself is refused with ErrConflict naming
// that entry, as Add refuses one, and changes and audits nothing; until
// 2026-12-07 editing entry 2 into entry 1 was taken, and the register
// held two identical live entries. An entry saved unchanged, one changed
// otherwise, and one made that device once ended, are taken.
func TestUpdateRefusesLiveDuplicate(t *testing.T) {
	ctx := context.Background()
	const want = "already in the register as entry 1 (the same name, kind, signature and places), which entry 2 would then repeat: change entry 1 instead, or expire one of them"
	// entry 1 is tabletEntry(); entry 2 is the tablet of the next cell
	tests := []struct {
		name    string
		id      int64
		change  func(*registry.Entry)
		wantErr bool
	}{
		{"2 made 1's device", 2, func(e *registry.Entry) { e.Rooms = []string{"B2-14"} }, true},
		{"2 made 1's device, name in other case and spacing", 2, func(e *registry.Entry) {
			e.Rooms, e.Name = []string{"B2-14"}, " Tablet  b2-14"
		}, true},
		{"2 made 1's device, other notes and hours", 2, func(e *registry.Entry) {
			e.Rooms, e.Notes, e.Schedule = []string{"B2-14"}, "moved", nil
		}, true},
		{"2 made 1's device, ending later", 2, func(e *registry.Entry) {
			e.Rooms, e.ValidUntil = []string{"B2-14"}, testClock().Add(time.Hour)
		}, true},
		{"2 made 1's device and ended", 2, func(e *registry.Entry) {
			e.Rooms, e.ValidUntil = []string{"B2-14"}, testClock().Add(-time.Hour)
		}, false},
		{"2 saved unchanged", 2, func(*registry.Entry) {}, false},
		{"1 saved unchanged", 1, func(*registry.Entry) {}, false},
		{"1 given notes", 1, func(e *registry.Entry) { e.Notes = "charger in the office" }, false},
		{"2 moved to another cell", 2, func(e *registry.Entry) { e.Rooms = []string{"B2-16"} }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := openRegistry(t)
			if _, err := r.Add(ctx, tabletEntry(), "alice"); err != nil {
				t.Fatal(err)
			}
			next := tabletEntry()
			next.Rooms = []string{"B2-15"}
			if _, err := r.Add(ctx, next, "alice"); err != nil {
				t.Fatal(err)
			}
			before, err := r.Get(ctx, tc.id)
			if err != nil {
				t.Fatal(err)
			}
			e := before
			tc.change(&e)
			_, err = r.Update(ctx, e, "bob")
			if !tc.wantErr {
				if err != nil {
					t.Errorf("Update = %v, want it taken", err)
				}
				return
			}
			if !errors.Is(err, registry.ErrConflict) || !strings.Contains(err.Error(), want) {
				t.Errorf("Update = %v, want ErrConflict saying %q", err, want)
			}
			if got, _ := r.Get(ctx, tc.id); got.Revision != before.Revision {
				t.Errorf("entry %d is revision %s after the refusal, want %s as before", tc.id, got.Revision, before.Revision)
			}
			if h, _ := r.History(ctx, tc.id); len(h) != 1 {
				t.Errorf("entry %d has %d audit rows after the refusal, want its add only", tc.id, len(h))
			}
		})
	}
	t.Run("an expired entry brought back beside its renewal", func(t *testing.T) {
		r, _ := openRegistry(t)
		if _, err := r.Add(ctx, tabletEntry(), "alice"); err != nil {
			t.Fatal(err)
		}
		old, err := r.Expire(ctx, 1, "bob", testClock())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Add(ctx, tabletEntry(), "alice"); err != nil {
			t.Fatal(err)
		}
		old.ValidUntil = time.Time{}
		_, err = r.Update(ctx, old, "bob")
		const want = "already in the register as entry 2 (the same name, kind, signature and places), which entry 1 would then repeat"
		if !errors.Is(err, registry.ErrConflict) || !strings.Contains(err.Error(), want) {
			t.Errorf("Update clearing the expiry = %v, want ErrConflict saying %q", err, want)
		}
	})
	t.Run("the same device twice, stored before Add refused it", func(t *testing.T) {
		r, s := openRegistry(t)
		for _, room := range []string{"B2-14", "B2-15"} {
			e := tabletEntry()
			e.Rooms = []string{room}
			if _, err := r.Add(ctx, e, "alice"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.DB().ExecContext(ctx, `UPDATE registry_entry SET body = json_set(body, '$.rooms', json('["B2-14"]')) WHERE id = 2`); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		e, err := r.Get(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		e.Notes = "the same as 1: expire one"
		if e, err = r.Update(ctx, e, "bob"); err != nil {
			t.Fatalf("Update of its notes = %v, want it taken: the duplicate was there already", err)
		}
		e.ValidUntil = testClock()
		if _, err := r.Update(ctx, e, "bob"); err != nil {
			t.Errorf("Update ending it = %v, want it taken", err)
		}
	})
}

// TestUpdateRefusesLiveDuplicateConcurrently: of ten entries each updated
// at once into the same device, one is taken and the others refused: the
// check and the write are one transaction.
func TestUpdateRefusesLiveDuplicateConcurrently(t *testing.T) {
	ctx := context.Background()
	r, _ := openRegistry(t)
	const n = 10
	es := make([]registry.Entry, n)
	for i := range es {
		e := tabletEntry()
		e.Rooms = []string{fmt.Sprintf("B3-%02d", i)}
		var err error
		if es[i], err = r.Add(ctx, e, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range es {
		wg.Go(func() {
			e := es[i]
			e.Rooms = []string{"B2-14"}
			_, errs[i] = r.Update(ctx, e, "bob")
		})
	}
	wg.Wait()
	taken := 0
	for _, err := range errs {
		switch {
		case err == nil:
			taken++
		case !errors.Is(err, registry.ErrConflict) || !strings.Contains(err.Error(), "already in the register as entry"):
			t.Errorf("Update = %v, want taken or ErrConflict", err)
		}
	}
	inB214 := 0
	list, _ := r.List(ctx)
	for _, e := range list {
		if len(e.Rooms) == 1 && e.Rooms[0] == "B2-14" {
			inB214++
		}
	}
	if taken != 1 || inB214 != 1 {
		t.Errorf("%d Updates taken, %d entries in B2-14; want 1 and 1", taken, inB214)
	}
}
