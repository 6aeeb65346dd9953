package dashboard

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserTracksCutSaid: a /locations answer a bound cut (more fixes in
// the track window than one read walks) is said under the floor plan,
// naming from when the tracks drawn are complete; nothing is said of a
// whole answer.
func TestBrowserTracksCutSaid(t *testing.T) {
	for _, tc := range []struct {
		name    string
		scan    int
		wantCut bool
	}{
		{"given a scan bound of one fix, when the floor plan loads, expect the cut said", 1, true},
		{"given the bounds, when the floor plan loads, expect no note", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, _, srv := browserDashboard(t, func(d *Deps) { d.maxLocationScan = tc.scan })
			browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
			within(t, ctx, 10*time.Second, "the floor plan",
				chromedp.Navigate(srv.URL+"/#heatmap"),
				chromedp.WaitReady(chromedp.CSS(`#page-heatmap[data-drawn]`)),
				chromedp.WaitReady(chromedp.CSS(`#emitters g[data-track="t1"]`)))
			got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => { const n = document.getElementById('tracks-cut');
				return [String(n.offsetParent !== null), n.textContent]; })()`))
			if err != nil {
				t.Fatal(err)
			}
			// newEnv's t1 was last located 20 minutes before testNow, 10:10 UTC
			if shown := got[0] == "true"; shown != tc.wantCut || tc.wantCut != (strings.Contains(got[1], "only the tracks heard after") && strings.Contains(got[1], "10:10")) {
				t.Errorf("note under the floor plan shown %s, %q; want shown %v naming 10:10", got[0], got[1], tc.wantCut)
			}
		})
	}
}
