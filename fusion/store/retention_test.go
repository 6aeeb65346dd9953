package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// retentionAlert is an alert of site updated at at, in state, acknowledged
// when acked, part of incident inc ("" none), with evidence ev.
func retentionAlert(id, site, state string, at time.Time, acked bool, inc string, ev ...string) event.Alert {
	a := event.Alert{Schema: event.SchemaVersion, ID: id, Site: site, Rule: "illicit_phone", Severity: event.SeverityCritical,
		State: state, Summary: id, Incident: inc, Evidence: ev, RoomProbs: map[string]float64{"cell-1": 1},
		ActiveNS: at.UnixNano(), UpdatedNS: at.UnixNano()}
	if acked {
		a.AckBy, a.AckNS = "officer", at.UnixNano()
	}
	return a
}

// TestSQLitePruneAlerts: resolved alerts and closed incidents last updated
// before the cut go; every alert that is pending or firing, every alert of
// an open incident (listed by the incident or naming it), every open
// incident, anything after the cut and another site's rows stay.
func TestSQLitePruneAlerts(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	old, young := now.AddDate(-2, 0, 0), now.AddDate(0, -1, 0)
	cut := now.AddDate(-1, 0, 0)
	alerts := []event.Alert{
		retentionAlert("old-resolved", "s1", event.AlertResolved, old, true, ""),
		retentionAlert("old-unacked", "s1", event.AlertResolved, old, false, ""),
		retentionAlert("old-firing", "s1", event.AlertFiring, old, false, ""),
		retentionAlert("old-pending", "s1", event.AlertPending, old, false, ""),
		retentionAlert("old-in-open", "s1", event.AlertResolved, old, true, "inc-open"),
		retentionAlert("old-listed-open", "s1", event.AlertResolved, old, true, ""),
		retentionAlert("old-in-closed", "s1", event.AlertResolved, old, true, "inc-closed"),
		retentionAlert("young-resolved", "s1", event.AlertResolved, young, true, ""),
		retentionAlert("other-site", "s2", event.AlertResolved, old, true, ""),
	}
	for _, a := range alerts {
		if err := s.UpsertAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	incs := []store.Incident{
		{ID: "inc-open", Site: "s1", State: store.IncidentOpen, OpenedNS: old.UnixNano(), UpdatedNS: old.UnixNano(), Alerts: []string{"old-in-open", "old-listed-open"}},
		{ID: "inc-closed", Site: "s1", State: store.IncidentClosed, OpenedNS: old.UnixNano(), UpdatedNS: old.UnixNano(), ClosedNS: old.UnixNano(), Alerts: []string{"old-in-closed"}},
		{ID: "inc-closed-young", Site: "s1", State: store.IncidentClosed, OpenedNS: old.UnixNano(), UpdatedNS: young.UnixNano(), ClosedNS: young.UnixNano()},
		{ID: "inc-other-site", Site: "s2", State: store.IncidentClosed, OpenedNS: old.UnixNano(), UpdatedNS: old.UnixNano(), ClosedNS: old.UnixNano()},
	}
	for _, inc := range incs {
		if err := s.UpsertIncident(ctx, inc); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.PruneAlerts(ctx, "s1", cut)
	if err != nil {
		t.Fatal(err)
	}
	if got.Alerts != 3 || got.Incidents != 1 {
		t.Errorf("PruneAlerts deleted %d alerts and %d incidents, want 3 and 1", got.Alerts, got.Incidents)
	}
	for _, tc := range []struct {
		id   string
		kept bool
	}{
		{"old-resolved", false}, {"old-unacked", false}, {"old-in-closed", false},
		{"old-firing", true}, {"old-pending", true}, {"old-in-open", true}, {"old-listed-open", true},
		{"young-resolved", true}, {"other-site", true},
	} {
		_, err := s.Alert(ctx, tc.id)
		if kept := err == nil; kept != tc.kept || (err != nil && !errors.Is(err, store.ErrNotFound)) {
			t.Errorf("alert %s: kept %v (err %v), want kept %v", tc.id, kept, err, tc.kept)
		}
	}
	for _, tc := range []struct {
		id   string
		kept bool
	}{{"inc-open", true}, {"inc-closed", false}, {"inc-closed-young", true}, {"inc-other-site", true}} {
		_, err := s.Incident(ctx, tc.id)
		if kept := err == nil; kept != tc.kept {
			t.Errorf("incident %s: kept %v (err %v), want kept %v", tc.id, kept, err, tc.kept)
		}
	}
}

// TestSQLiteUpdateIncidentDeleted: a closed incident retention deleted
// stays deleted when fusion writes its copy again with UpdateIncident
// (ErrNotFound, nothing stored), where UpsertIncident brings it back as a
// new, open case with no closure or history; over a stored incident
// UpdateIncident keeps its closure as UpsertIncident does.
func TestSQLiteUpdateIncidentDeleted(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	old := now.AddDate(-2, 0, 0)
	for _, id := range []string{"inc-kept", "inc-pruned"} {
		inc := store.Incident{ID: id, Site: "s1", Kind: "illicit_phone", State: store.IncidentOpen, OpenedNS: old.UnixNano(),
			UpdatedNS: old.UnixNano(), Alerts: []string{"a-" + id}}
		if err := s.UpsertIncident(ctx, inc); err != nil {
			t.Fatal(err)
		}
		at := old.Add(time.Hour)
		if id == "inc-kept" {
			at = now
		}
		if _, err := s.CloseIncident(ctx, id, "analyst1", "not_found", "cell searched", at); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.PruneAlerts(ctx, "s1", now.AddDate(-1, 0, 0)); err != nil || got.Incidents != 1 {
		t.Fatalf("PruneAlerts deleted %d incidents (err %v), want 1", got.Incidents, err)
	}
	// fusion's copies: open, as fusion opened them, with later evidence
	later := now.Add(time.Minute).UnixNano()
	copyOf := func(id string) store.Incident {
		return store.Incident{ID: id, Site: "s1", Kind: "illicit_phone", State: store.IncidentOpen, OpenedNS: old.UnixNano(),
			UpdatedNS: later, Alerts: []string{"a-" + id}, Detections: []string{"d-late"}}
	}
	if err := s.UpdateIncident(ctx, copyOf("inc-pruned")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateIncident of the deleted incident: %v, want ErrNotFound", err)
	}
	if inc, err := s.Incident(ctx, "inc-pruned"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted incident after UpdateIncident: %+v (err %v), want it still deleted", inc, err)
	}
	if err := s.UpdateIncident(ctx, copyOf("inc-kept")); err != nil {
		t.Fatal(err)
	}
	inc, err := s.Incident(ctx, "inc-kept")
	if err != nil {
		t.Fatal(err)
	}
	if inc.State != store.IncidentClosed || inc.ClosedBy != "analyst1" || len(inc.History) != 1 || len(inc.Detections) != 0 {
		t.Errorf("stored incident after UpdateIncident %+v, want it closed by analyst1 as it was, one change in its history, no later detections", inc)
	}
	// UpsertIncident cannot tell the deleted incident from a new one.
	if err := s.UpsertIncident(ctx, copyOf("inc-pruned")); err != nil {
		t.Fatal(err)
	}
	if inc, err := s.Incident(ctx, "inc-pruned"); err != nil || inc.State != store.IncidentOpen || inc.ClosedNS != 0 || len(inc.History) != 0 {
		t.Errorf("deleted incident after UpsertIncident %+v (err %v), want it back, open, with no closure or history", inc, err)
	}
}

// TestSQLitePruneAudit: audit rows before the cut go; views (view.*) go
// at their own, later, cut, but for snippet downloads (view.snippet), kept
// with the rest; rows after both stay.
func TestSQLitePruneAudit(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	rows := []struct {
		action string
		at     time.Time
	}{
		{"alert.ack", now.AddDate(-7, 0, 0)},     // before the cut: goes
		{"alert.ack", now.AddDate(-2, 0, 0)},     // stays
		{"view.heatmap", now.AddDate(-2, 0, 0)},  // a view before the view cut: goes
		{"view.heatmap", now.AddDate(0, -6, 0)},  // stays
		{"viewer.add", now.AddDate(-2, 0, 0)},    // not a view: stays
		{"snippet.get", now.AddDate(0, 0, -1)},   // stays
		{"view.incident", now.AddDate(-7, 0, 0)}, // before both: goes
		{"view.snippet", now.AddDate(-2, 0, 0)},  // a download of raw IQ: kept as long as the rest
	}
	for i, r := range rows {
		if err := s.Audit(ctx, store.AuditEntry{TimeNS: r.at.UnixNano(), User: "u", Action: r.action, Object: "o/" + string(rune('a'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PruneAudit(ctx, now.AddDate(-6, 0, 0), now.AddDate(-1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("PruneAudit deleted %d rows, want 3", n)
	}
	log, err := s.AuditLog(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range log {
		got = append(got, e.Object)
	}
	slices.Sort(got)
	if want := []string{"o/b", "o/d", "o/e", "o/f", "o/h"}; !slices.Equal(got, want) {
		t.Errorf("audit rows kept %v, want %v", got, want)
	}
}

// TestSQLiteProtectedEvidence: the detections whose snippets retention
// must keep are the evidence of every alert not resolved, of every alert
// not acknowledged, and of every alert of an open incident, and the
// detections of every open incident; not those of acknowledged, resolved
// alerts outside an open case, nor of closed incidents.
func TestSQLiteProtectedEvidence(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	at := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	for _, a := range []event.Alert{
		retentionAlert("firing", "s1", event.AlertFiring, at, true, "", "d-firing"),
		retentionAlert("pending", "s1", event.AlertPending, at, true, "", "d-pending"),
		retentionAlert("unacked", "s1", event.AlertResolved, at, false, "", "d-unacked"),
		retentionAlert("done", "s1", event.AlertResolved, at, true, "", "d-done"),
		retentionAlert("in-open", "s1", event.AlertResolved, at, true, "inc-open", "d-in-open"),
		retentionAlert("listed-open", "s1", event.AlertResolved, at, true, "", "d-listed-open"),
		retentionAlert("in-closed", "s1", event.AlertResolved, at, true, "inc-closed", "d-in-closed"),
		retentionAlert("other-site", "s2", event.AlertFiring, at, false, "", "d-other-site"),
	} {
		if err := s.UpsertAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	for _, inc := range []store.Incident{
		{ID: "inc-open", Site: "s1", State: store.IncidentOpen, UpdatedNS: at.UnixNano(), Alerts: []string{"in-open", "listed-open"}, Detections: []string{"d-inc-open"}},
		{ID: "inc-closed", Site: "s1", State: store.IncidentClosed, UpdatedNS: at.UnixNano(), ClosedNS: at.UnixNano(), Alerts: []string{"in-closed"}, Detections: []string{"d-inc-closed"}},
	} {
		if err := s.UpsertIncident(ctx, inc); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		site string
		want []string
	}{
		{"s1", []string{"d-firing", "d-in-open", "d-inc-open", "d-listed-open", "d-pending", "d-unacked"}},
		{"", []string{"d-firing", "d-in-open", "d-inc-open", "d-listed-open", "d-other-site", "d-pending", "d-unacked"}},
	} {
		got, err := s.ProtectedDetections(ctx, tc.site)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for id := range got {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		if !slices.Equal(ids, tc.want) {
			t.Errorf("site %q: protected %v, want %v", tc.site, ids, tc.want)
		}
	}
}
