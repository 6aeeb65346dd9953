package dashboard

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rfwarden/rfwarden/event"
)

// TestBrowserAlertProbsSayWhen: an alert's detail says that its
// summary's room probabilities are as at firing, and that its list of
// room probabilities is now (as of the store's latest, at the end for a
// resolved alert), each with its time; a drone's summary, which follows
// its fixes, says it is as of the latest. Neither said which, and the two
// numbers for one room read as a contradiction.
func TestBrowserAlertProbsSayWhen(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	a := ev.al.alerts["al1"]
	a.Summary, a.RoomProbs, a.UpdatedNS = "LTE uplink in cell a-102, 70%", map[string]float64{"a-102": 0.45, "a-101": 0.4}, testNow.Add(-5*time.Minute).UnixNano()
	ev.al.alerts["al1"] = a
	r := a
	r.ID, r.State, r.UpdatedNS = "r1", event.AlertResolved, testNow.Add(-time.Minute).UnixNano()
	ev.al.alerts["r1"] = r
	d := a
	d.ID, d.Class, d.Summary = "dr1", event.ClassDroneID, "DJI DroneID telemetry (2440 MHz) near yard yard, 39%"
	ev.al.alerts["dr1"] = d
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	const when = `document.getElementById('summary-when').textContent + ' | ' + document.getElementById('probs-when').textContent`
	for _, tc := range []struct{ id, want string }{
		{"al1", "Summary: at firing (10:10:00 UTC) | Room probabilities now (10:25:00 UTC)"},
		{"r1", "Summary: at firing (10:10:00 UTC) | Room probabilities at the end (10:29:00 UTC)"},
		// a drone's summary follows its fixes (docs/alerts.md)
		{"dr1", "Summary: as of its latest fix (10:25:00 UTC) | Room probabilities now (10:25:00 UTC)"},
	} {
		within(t, ctx, 10*time.Second, "open "+tc.id,
			clickNow(`tr[data-id="`+tc.id+`"]`),
			chromedp.Poll[chromedp.Void](`document.getElementById('alert-detail').dataset.id === '`+tc.id+`' && !!document.getElementById('probs-when')`))
		if v := evalString(t, ctx, when); v != tc.want {
			t.Errorf("%s: the detail says %q, want %q", tc.id, v, tc.want)
		}
	}
}
