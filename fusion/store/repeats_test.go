package store

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSQLitePhoneRepeats: the alert engine's bursts and cases of phone
// alerts are kept per site, read back oldest first from a time on, a
// burst spent by the alert that fired on it is deleted (its case is not),
// a record of an unknown kind is refused naming it, and they are there
// after the store is opened again (a fusion restart).
func TestSQLitePhoneRepeats(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rfw.db")
	db, err := OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1_800_000_000, 0)
	for _, r := range []PhoneRepeat{
		{Site: "s1", Rule: "in-cell", Kind: RepeatBurst, AlertID: "b2", Track: "t2", Room: "B2-14", AtNS: t0.Add(3 * time.Minute).UnixNano(), Evidence: []string{"d2"}},
		{Site: "s1", Rule: "in-cell", Kind: RepeatBurst, AlertID: "b1", Track: "t1", Room: "B2-14", AtNS: t0.UnixNano(), Evidence: []string{"d1"}},
		{Site: "s1", Rule: "in-cell", Kind: RepeatCase, AlertID: "f1", Track: "t3", Room: "B2-14", AtNS: t0.Add(6 * time.Minute).UnixNano(), Incident: "inc-1"},
		{Site: "s2", Rule: "in-cell", Kind: RepeatBurst, AlertID: "b9", Room: "A1-01", AtNS: t0.UnixNano()},
	} {
		if err := db.AddPhoneRepeat(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.AddPhoneRepeat(ctx, PhoneRepeat{Site: "s1", Rule: "in-cell", Kind: "fired", AlertID: "x"}); err == nil || !strings.Contains(err.Error(), `kind "fired"`) {
		t.Errorf("unknown kind: err %v, want one naming the kind", err)
	}
	ids := func(since time.Time) []string {
		t.Helper()
		got, err := db.PhoneRepeats(ctx, "s1", since)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range got {
			out = append(out, r.Kind+":"+r.AlertID)
		}
		return out
	}
	if got, want := ids(time.Time{}), []string{"burst:b1", "burst:b2", "case:f1"}; !slices.Equal(got, want) {
		t.Errorf("records %v, want %v (oldest first, site s1's only)", got, want)
	}
	if got, want := ids(t0.Add(time.Minute)), []string{"burst:b2", "case:f1"}; !slices.Equal(got, want) {
		t.Errorf("records from t0+1m %v, want %v", got, want)
	}
	if err := db.SpendPhoneBursts(ctx, "s1", "in-cell", []string{"b1", "f1"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = OpenSQLite(path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, want := ids(time.Time{}), []string{"burst:b2", "case:f1"}; !slices.Equal(got, want) {
		t.Errorf("after spending b1 (and naming case f1) and opening again: %v, want %v", got, want)
	}
	got, err := db.PhoneRepeats(ctx, "s1", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if b := got[0]; b.Track != "t2" || b.Room != "B2-14" || !slices.Equal(b.Evidence, []string{"d2"}) || got[1].Incident != "inc-1" {
		t.Errorf("read back %+v", got)
	}
}
