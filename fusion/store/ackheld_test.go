package store_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestSQLiteHeldAcks: the dashboard's held acknowledgements are the
// latest per alert, at most the bound given, read oldest first, and
// dropped once announced (a later one stays); they outlast the store's
// reopening (a dashboard's restart).
func TestSQLiteHeldAcks(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rfw.db")
	s, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	ack := func(alert, by string, at int64) event.Ack {
		return event.Ack{Schema: event.SchemaVersion, Site: "hmp-test", Alert: alert, By: by, AckNS: at}
	}
	for _, h := range []struct {
		n    event.Ack
		want bool
	}{
		{ack("a1", "o1", 30), true},
		{ack("a2", "o2", 20), true},
		{ack("a1", "o3", 40), true},  // later: replaces
		{ack("a1", "o4", 35), true},  // earlier: the later stays held
		{ack("a3", "o5", 10), false}, // a third alert past the bound of 2
		{ack("a2", "o6", 50), true},  // an alert held already is within it
	} {
		got, err := s.HoldAck(ctx, h.n, 2)
		if err != nil || got != h.want {
			t.Errorf("HoldAck(%s by %s at %d) = %v, %v; want %v", h.n.Alert, h.n.By, h.n.AckNS, got, err, h.want)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = store.OpenSQLite(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	held := func() []string {
		t.Helper()
		acks, err := s.HeldAcks(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range acks {
			out = append(out, a.Alert+" "+a.By)
		}
		return out
	}
	if got, want := held(), []string{"a1 o3", "a2 o6"}; !slices.Equal(got, want) {
		t.Errorf("held after reopening: %v, want %v (oldest first)", got, want)
	}
	if got, err := s.HeldAcks(ctx, 1); err != nil || len(got) != 1 || got[0].Alert != "a1" {
		t.Errorf("HeldAcks(1) = %v, %v; want a1's alone", got, err)
	}
	if err := s.AnnouncedAck(ctx, "a2", 20); err != nil { // an earlier one of a2's was announced
		t.Fatal(err)
	}
	if err := s.AnnouncedAck(ctx, "a1", 40); err != nil {
		t.Fatal(err)
	}
	if got, want := held(), []string{"a2 o6"}; !slices.Equal(got, want) {
		t.Errorf("held after announcing a1's and an earlier one of a2's: %v, want %v", got, want)
	}
}
