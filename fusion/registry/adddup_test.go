package registry_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/registry"
)

// TestAddRefusesLiveDuplicate: Add refuses an entry that is a live
// entry's (the same name, case and spacing aside, kind, signature and
// places), as the CSV import refuses such a row, with ErrConflict naming
// the entry; until 2026-12-07 the dashboard's create stored the same entry
// as often as it was posted, twenty times for twenty concurrent posts.
func TestAddRefusesLiveDuplicate(t *testing.T) {
	ctx := context.Background()
	const want = "already in the register as entry 1 (the same name, kind, signature and places): give its id to update it"
	tests := []struct {
		name    string
		change  func(*registry.Entry)
		wantErr bool
	}{
		{"the same entry", func(*registry.Entry) {}, true},
		{"the same, name in other case and spacing", func(e *registry.Entry) { e.Name = " Tablet  B2-14" }, true},
		{"the same, other notes, hours and validity", func(e *registry.Entry) {
			e.Notes, e.Schedule, e.ValidFrom = "charger in the office", nil, e.ValidFrom.Add(48*time.Hour)
		}, true},
		{"another room", func(e *registry.Entry) { e.Rooms = []string{"B2-15"} }, false},
		{"another band", func(e *registry.Entry) { e.Signature.FreqMinHz, e.Signature.FreqMaxHz = 5.15e9, 5.35e9 }, false},
		{"another name", func(e *registry.Entry) { e.Name = "tablet B2-14 (spare)" }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := openRegistry(t)
			if _, err := r.Add(ctx, tabletEntry(), "alice"); err != nil {
				t.Fatal(err)
			}
			e := tabletEntry()
			tc.change(&e)
			_, err := r.Add(ctx, e, "bob")
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("Add = %v, want it stored", err)
				}
				return
			}
			if !errors.Is(err, registry.ErrConflict) || !strings.Contains(err.Error(), want) {
				t.Errorf("Add = %v, want ErrConflict saying %q", err, want)
			}
			if n := r.Len(); n != 1 {
				t.Errorf("%d entries, want 1", n)
			}
		})
	}
	t.Run("its history: the same device, ended", func(t *testing.T) {
		r, _ := openRegistry(t)
		if _, err := r.Add(ctx, tabletEntry(), "alice"); err != nil {
			t.Fatal(err)
		}
		e := tabletEntry()
		e.ValidFrom, e.ValidUntil = e.ValidFrom.AddDate(0, -2, 0), e.ValidFrom.AddDate(0, -1, 0)
		if _, err := r.Add(ctx, e, "bob"); err != nil {
			t.Errorf("Add of an ended entry of a live entry's device = %v, want it stored (history, as Update and the CSV import take it)", err)
		}
		if n := r.Len(); n != 2 {
			t.Errorf("%d entries, want 2", n)
		}
	})
	t.Run("again after it expired", func(t *testing.T) {
		r, _ := openRegistry(t)
		if _, err := r.Add(ctx, tabletEntry(), "alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Expire(ctx, 1, "bob", testClock()); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Add(ctx, tabletEntry(), "alice"); err != nil {
			t.Errorf("Add of an expired entry's device = %v, want a new entry", err)
		}
	})
}

// TestAddRefusesLiveDuplicateConcurrently: of twenty Adds of one entry at
// once, one stores it and the others are refused: the check and the
// insert are one transaction.
func TestAddRefusesLiveDuplicateConcurrently(t *testing.T) {
	ctx := context.Background()
	r, _ := openRegistry(t)
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = r.Add(ctx, tabletEntry(), "alice") })
	}
	wg.Wait()
	stored := 0
	for _, err := range errs {
		switch {
		case err == nil:
			stored++
		case !errors.Is(err, registry.ErrConflict) || !strings.Contains(err.Error(), "already in the register as entry"):
			t.Errorf("Add = %v, want stored or ErrConflict", err)
		}
	}
	if stored != 1 || r.Len() != 1 {
		t.Errorf("%d Adds stored, %d entries; want 1 and 1", stored, r.Len())
	}
}

// TestAddStoresTabAsSpace: a tab in a name (pasted from a spreadsheet) is
// stored as a space, not refused as a control character.
func TestAddStoresTabAsSpace(t *testing.T) {
	r, _ := openRegistry(t)
	e := tabletEntry()
	e.Name = "tablet\tB2-14"
	got, err := r.Add(context.Background(), e, "alice")
	if err != nil || got.Name != "tablet B2-14" {
		t.Fatalf("Add = %q, %v; want it stored as \"tablet B2-14\"", got.Name, err)
	}
}
