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

// TestBrowserSearchOutcome: the found / not found buttons sent no note,
// and the mark they put on the room went at the list's next refresh. Now
// the officer writes an optional note, the room shows its last outcome
// (who, when, the note) through refreshes, a later outcome replaces a
// misclick, and a note being written survives a refresh.
func TestBrowserSearchOutcome(t *testing.T) {
	ctx, ev, srv := browserDashboard(t, func(*Deps) {})
	browserLogin(t, ctx, srv.URL, "officer", "officer-password")
	row := `#search-list li[data-room="a-102"]`
	within(t, ctx, 10*time.Second, "the search list",
		chromedp.Navigate(srv.URL+"/#heatmap"),
		chromedp.WaitReady(chromedp.CSS(`#page-heatmap[data-drawn]`)),
		chromedp.WaitVisible(chromedp.CSS(row+` input.search-note`)))
	refresh := chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur(), document.dispatchEvent(new Event('visibilitychange'))`)
	outcome := func() string {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('`+row+` .outcome') || {}).textContent || ''`))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	within(t, ctx, 10*time.Second, "found, with a note",
		chromedp.SendKeys(chromedp.CSS(row+` input.search-note`), "under the mattress"),
		chromedp.Click(chromedp.CSS(row+` button:nth-of-type(1)`)),
		chromedp.Poll[chromedp.Void](`(document.querySelector('`+row+` .outcome') || {}).textContent?.includes('found by officer')`))
	if got := outcome(); !strings.Contains(got, "Last search: found by officer") || !strings.Contains(got, "under the mattress") || !strings.Contains(got, "a later outcome replaces it") {
		t.Errorf("a-102's outcome %q, want found by officer, the note, and that a later outcome replaces it", got)
	}
	if !ev.audit.has("search.outcome", "room/a-102") {
		t.Errorf("the outcome is not audited: %+v", ev.audit.entries)
	}
	// the list is drawn again (the heat follows new fixes): the outcome stays
	within(t, ctx, 10*time.Second, "the list drawn again",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('`+row+`').dataset.old = '1'`),
		refresh,
		chromedp.Poll[chromedp.Void](`document.querySelector('`+row+`') && !document.querySelector('`+row+`').dataset.old`))
	if got := outcome(); !strings.Contains(got, "found by officer") {
		t.Errorf("after a refresh a-102's outcome %q, want it kept", got)
	}
	shot(t, ctx, "search-outcome")
	// a misclick put right: not found replaces found
	within(t, ctx, 10*time.Second, "not found replaces found",
		chromedp.Click(chromedp.CSS(row+` button:nth-of-type(2)`)),
		chromedp.Poll[chromedp.Void](`(document.querySelector('`+row+` .outcome') || {}).textContent?.includes('not found by officer')`))
	// a note being written survives the list drawn again
	within(t, ctx, 10*time.Second, "a draft note kept",
		chromedp.SendKeys(chromedp.CSS(row+` input.search-note`), "cell door open"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('`+row+`').dataset.old = '1'`),
		refresh,
		chromedp.Poll[chromedp.Void](`document.querySelector('`+row+`') && !document.querySelector('`+row+`').dataset.old`))
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('`+row+` input.search-note').value`)); err != nil || got != "cell door open" {
		t.Errorf("draft note after a refresh %q (%v), want \"cell door open\"", got, err)
	}
	// a refresh while the note has the cursor draws nothing and says the
	// list is paused; once the cursor leaves, the next refresh draws it
	within(t, ctx, 10*time.Second, "paused while typing",
		chromedp.Focus(chromedp.CSS(row+` input.search-note`)),
		chromedp.Evaluate[chromedp.Void](`document.dispatchEvent(new Event('visibilitychange'))`),
		chromedp.Poll[chromedp.Void](`!document.getElementById('search-paused').hidden`))
	within(t, ctx, 10*time.Second, "drawn again after the note",
		refresh,
		chromedp.Poll[chromedp.Void](`document.getElementById('search-paused').hidden`))
}
