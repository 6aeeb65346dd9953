package fusion

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/alert"
)

// TestMovesCountedApart: a pending alert announced again in the room its
// track moved to is counted in rfw_fusion_alert_moves_total, not as a
// state change in rfw_fusion_alerts_total ("Alert state changes
// published"), which a storm's room moves had inflated to 91 pending for
// some 33 alerts that went pending. Each publication still goes out.
func TestMovesCountedApart(t *testing.T) {
	met, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	var out []event.Alert
	p := countingPublisher{next: publisherFunc(func(_ context.Context, a event.Alert) error { out = append(out, a); return nil }), met: met}
	a := event.Alert{Rule: "in-cell", Severity: event.SeverityCritical, State: event.AlertPending, Room: "B2-03"}
	for _, step := range []struct {
		why  alert.Why
		room string
	}{{alert.WhyState, "B2-03"}, {alert.WhyMoved, "B2-04"}, {alert.WhyMoved, "B2-03"}} {
		a.Room = step.room
		if err := p.PublishAlertWhy(context.Background(), step.why, a); err != nil {
			t.Fatal(err)
		}
	}
	if got := testutil.ToFloat64(met.alerts.WithLabelValues("in-cell", event.SeverityCritical, event.AlertPending)); got != 1 {
		t.Errorf("alerts_total pending: got %v, want 1 (the state change)", got)
	}
	if got := testutil.ToFloat64(met.moves.WithLabelValues("in-cell", event.SeverityCritical)); got != 2 {
		t.Errorf("alert_moves_total: got %v, want 2", got)
	}
	if len(out) != 3 {
		t.Errorf("%d publications passed on, want 3", len(out))
	}
}

// publisherFunc is an alert.Publisher of a function.
type publisherFunc func(ctx context.Context, a event.Alert) error

func (f publisherFunc) PublishAlert(ctx context.Context, a event.Alert) error { return f(ctx, a) }
