package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestSQLiteIncidentStaleCopyKeepsClosure: fusion holds a copy of an
// incident it took back from the store (after a restart, or a phone's
// earlier case), closure fields and all; staff close, reopen or close it
// again on the dashboard meanwhile; then fusion writes its copy (its
// alerts' later evidence, or a new alert joining). The store's closure
// stands: the write never brings back the closure, or the state, fusion's
// copy was taken with.
func TestSQLiteIncidentStaleCopyKeepsClosure(t *testing.T) {
	at := func(s int) int64 { return time.Unix(1_800_000_000+int64(s), 0).UnixNano() }
	tm := func(s int) time.Time { return time.Unix(0, at(s)) }
	close1 := func(s *store.SQLite) error {
		_, err := s.CloseIncident(context.Background(), "i1", "analyst1", "not_found", "cell 12 searched", tm(20))
		return err
	}
	reopen := func(s *store.SQLite) error {
		_, err := s.ReopenIncident(context.Background(), "i1", "analyst2", "wrong cell", tm(30))
		return err
	}
	close2 := func(s *store.SQLite) error {
		_, err := s.CloseIncident(context.Background(), "i1", "analyst2", "found", "phone in cell 14", tm(40))
		return err
	}
	type step func(*store.SQLite) error
	for _, tc := range []struct {
		name string
		// before are the staff's changes before fusion takes its copy,
		// after those made while fusion holds it
		before, after []step
		joins         bool // fusion's write adds an alert (else evidence)
		// want: state, closed by, outcome, reopened by (fusion: ""), and
		// the last history entry's actor and action
		state, closedBy, outcome, reopenedBy, lastBy, lastAction string
		reopenedAt                                               int
	}{
		{name: "closed copy, nothing since, evidence", before: []step{close1},
			state: store.IncidentClosed, closedBy: "analyst1", outcome: "not_found", lastBy: "analyst1", lastAction: store.IncidentClosed},
		{name: "closed copy, nothing since, new alert", before: []step{close1}, joins: true,
			state: store.IncidentOpen, closedBy: "analyst1", outcome: "not_found", reopenedAt: 50, lastBy: "fusion", lastAction: store.IncidentReopened},
		{name: "closed copy, reopened since, evidence", before: []step{close1}, after: []step{reopen},
			state: store.IncidentOpen, closedBy: "analyst1", outcome: "not_found", reopenedBy: "analyst2", reopenedAt: 30, lastBy: "analyst2", lastAction: store.IncidentReopened},
		{name: "closed copy, reopened since, new alert", before: []step{close1}, after: []step{reopen}, joins: true,
			state: store.IncidentOpen, closedBy: "analyst1", outcome: "not_found", reopenedBy: "analyst2", reopenedAt: 30, lastBy: "analyst2", lastAction: store.IncidentReopened},
		{name: "closed copy, reopened and closed since, evidence", before: []step{close1}, after: []step{reopen, close2},
			state: store.IncidentClosed, closedBy: "analyst2", outcome: "found", reopenedBy: "analyst2", reopenedAt: 30, lastBy: "analyst2", lastAction: store.IncidentClosed},
		{name: "closed copy, reopened and closed since, new alert", before: []step{close1}, after: []step{reopen, close2}, joins: true,
			state: store.IncidentOpen, closedBy: "analyst2", outcome: "found", reopenedAt: 50, lastBy: "fusion", lastAction: store.IncidentReopened},
		{name: "reopened copy, closed since, evidence", before: []step{close1, reopen}, after: []step{close2},
			state: store.IncidentClosed, closedBy: "analyst2", outcome: "found", reopenedBy: "analyst2", reopenedAt: 30, lastBy: "analyst2", lastAction: store.IncidentClosed},
		{name: "reopened copy, closed since, new alert", before: []step{close1, reopen}, after: []step{close2}, joins: true,
			state: store.IncidentOpen, closedBy: "analyst2", outcome: "found", reopenedAt: 50, lastBy: "fusion", lastAction: store.IncidentReopened},
		{name: "open copy, closed since, evidence", after: []step{close1},
			state: store.IncidentClosed, closedBy: "analyst1", outcome: "not_found", lastBy: "analyst1", lastAction: store.IncidentClosed},
		{name: "open copy, closed, reopened, closed since, evidence", after: []step{close1, reopen, close2},
			state: store.IncidentClosed, closedBy: "analyst2", outcome: "found", reopenedBy: "analyst2", reopenedAt: 30, lastBy: "analyst2", lastAction: store.IncidentClosed},
		{name: "open copy, closed, reopened, closed since, new alert", after: []step{close1, reopen, close2}, joins: true,
			state: store.IncidentOpen, closedBy: "analyst2", outcome: "found", reopenedAt: 50, lastBy: "fusion", lastAction: store.IncidentReopened},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := openSQLite(t)
			inc := store.Incident{ID: "i1", Site: "site1", Kind: "illicit_phone", State: store.IncidentOpen, OpenedNS: at(0), UpdatedNS: at(10),
				Alerts: []string{"a1"}, Detections: []string{"d1"}}
			if err := s.UpsertIncident(ctx, inc); err != nil {
				t.Fatal(err)
			}
			for _, f := range tc.before {
				if err := f(s); err != nil {
					t.Fatal(err)
				}
			}
			held, err := s.Incident(ctx, "i1") // fusion takes its copy
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range tc.after {
				if err := f(s); err != nil {
					t.Fatal(err)
				}
			}
			stored, err := s.Incident(ctx, "i1")
			if err != nil {
				t.Fatal(err)
			}
			held.UpdatedNS = at(50)
			if tc.joins {
				held.Alerts = append(held.Alerts, "a2")
			} else {
				held.Detections = append(held.Detections, "d2")
			}
			if err := s.UpsertIncident(ctx, held); err != nil {
				t.Fatal(err)
			}
			got, err := s.Incident(ctx, "i1")
			if err != nil {
				t.Fatal(err)
			}
			last := got.History[len(got.History)-1]
			reopenedAt := int64(0)
			if tc.reopenedAt != 0 {
				reopenedAt = at(tc.reopenedAt)
			}
			if got.State != tc.state || got.ClosedBy != tc.closedBy || got.Outcome != tc.outcome || got.ReopenedBy != tc.reopenedBy ||
				got.ReopenedNS != reopenedAt || last.By != tc.lastBy || last.Action != tc.lastAction {
				t.Errorf("after fusion's write: %s closed by %q (%s), reopened by %q at %d, last change %s by %q;\nwant %s closed by %q (%s), reopened by %q at %d, last change %s by %q",
					got.State, got.ClosedBy, got.Outcome, got.ReopenedBy, got.ReopenedNS, last.Action, last.By,
					tc.state, tc.closedBy, tc.outcome, tc.reopenedBy, reopenedAt, tc.lastAction, tc.lastBy)
			}
			if !slices.Equal(got.History[:len(stored.History)], stored.History) {
				t.Errorf("history %+v, want it to start with the stored %+v", got.History, stored.History)
			}
			// a closed case gains no evidence; an open one does
			wantDet := map[string]int{store.IncidentClosed: 1, store.IncidentOpen: 2}[tc.state]
			if tc.joins {
				wantDet = 1
			}
			if len(got.Detections) != wantDet {
				t.Errorf("detections %v, want %d", got.Detections, wantDet)
			}
		})
	}
}

// TestSQLiteIncidentClosureUnderConcurrentWrites: the dashboard (its own
// handle on the file, as its own process) closes and reopens a case over
// and over while fusion, on another handle, writes the copy it took back
// when the case was first closed, its alerts gaining evidence and, now and
// then, a new alert joining. Every state read, by either side, and the
// last, agrees with the case's history: the closure fields are its latest
// closure, the state and reopening its latest change.
func TestSQLiteIncidentClosureUnderConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rfw.db")
	open := func() *store.SQLite {
		s, err := store.OpenSQLite(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	fusion, dashboard := open(), open()
	var clock atomic.Int64 // one clock for both sides, a second a tick
	clock.Store(time.Unix(1_800_000_000, 0).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Add(int64(time.Second))) }
	inc := store.Incident{ID: "i1", Site: "site1", Kind: "illicit_phone", State: store.IncidentOpen, OpenedNS: now().UnixNano(), UpdatedNS: now().UnixNano(), Alerts: []string{"a0"}}
	if err := fusion.UpsertIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	if _, err := dashboard.CloseIncident(ctx, "i1", "analyst0", "not_found", "first search", now()); err != nil {
		t.Fatal(err)
	}
	held, err := fusion.Incident(ctx, "i1") // fusion's copy, closed
	if err != nil {
		t.Fatal(err)
	}
	check := func(s *store.SQLite) error {
		got, err := s.Incident(ctx, "i1")
		if err != nil {
			return err
		}
		var lastClose, lastReopen, last store.IncidentChange
		for _, c := range got.History {
			last = c
			if c.Action == store.IncidentClosed {
				lastClose = c
			} else {
				lastReopen = c
			}
		}
		wantState := map[string]string{store.IncidentClosed: store.IncidentClosed, store.IncidentReopened: store.IncidentOpen}[last.Action]
		reopenedBy := lastReopen.By
		if reopenedBy == "fusion" {
			reopenedBy = ""
		}
		if got.State != wantState || got.ClosedNS != lastClose.AtNS || got.ClosedBy != lastClose.By || got.Outcome != lastClose.Outcome ||
			got.Note != lastClose.Note || got.ReopenedNS != lastReopen.AtNS || got.ReopenedBy != reopenedBy {
			return fmt.Errorf("incident %s closed by %q at %d (%s: %s), reopened by %q at %d; history %+v",
				got.State, got.ClosedBy, got.ClosedNS, got.Outcome, got.Note, got.ReopenedBy, got.ReopenedNS, got.History)
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Add(2)
	go func() { // the dashboard: reopen, close, reopen...
		defer wg.Done()
		for i := range 30 {
			var err error
			if i%2 == 0 {
				_, err = dashboard.ReopenIncident(ctx, "i1", fmt.Sprintf("analyst%d", i), "search again", now())
			} else {
				_, err = dashboard.CloseIncident(ctx, "i1", fmt.Sprintf("analyst%d", i), store.IncidentOutcomes[i%len(store.IncidentOutcomes)], fmt.Sprintf("search %d", i), now())
			}
			if err != nil && !errors.Is(err, store.ErrOpen) && !errors.Is(err, store.ErrClosed) {
				errs <- err
				return
			}
			if err := check(dashboard); err != nil {
				errs <- fmt.Errorf("dashboard, after change %d: %w", i, err)
				return
			}
		}
	}()
	go func() { // fusion: its copy gains evidence, and a new alert every 10th write
		defer wg.Done()
		for i := range 60 {
			held.Detections = append(held.Detections, fmt.Sprintf("d%d", i))
			if i%10 == 9 {
				held.Alerts = append(held.Alerts, fmt.Sprintf("a%d", i))
			}
			held.UpdatedNS = now().UnixNano()
			if err := fusion.UpsertIncident(ctx, held); err != nil {
				errs <- err
				return
			}
			if err := check(fusion); err != nil {
				errs <- fmt.Errorf("fusion, after write %d: %w", i, err)
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := check(fusion); err != nil {
		t.Errorf("at the end: %v", err)
	}
}
