package dashboard

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/rfwarden/rfwarden/event"
)

// evalString runs js in the page and returns its string, or fails the test.
func evalString(t *testing.T, ctx context.Context, js string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// TestBrowserAckKeepsOtherBanner: acknowledging one alert leaves the
// banner of another still firing and unacknowledged (a reminder about
// cell L1-N08) where it is; it goes when that one is acknowledged. The
// acknowledgement hid the banner whatever alert it was about.
func TestBrowserAckKeepsOtherBanner(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	n08 := ev.al.alerts["al1"]
	n08.ID, n08.Summary, n08.Room, n08.Zone = "n08", "LTE uplink in cell L1-N08", "L1-N08", "wing-a"
	ev.al.UpsertAlert(context.Background(), n08)
	browserLogin(t, ctx, srv.URL, "officer", "officer-password")
	within(t, ctx, 10*time.Second, "the live feed", chromedp.WaitVisible(chromedp.CSS(`#live.ok`)))
	n08.Escalations, n08.EscalatedNS = 1, n08.ActiveNS+int64(5*time.Minute)
	ev.al.UpsertAlert(context.Background(), n08)
	ev.deps.Hub.PublishAlert(n08)
	within(t, ctx, liveWait, "the reminder about L1-N08 raises the banner",
		chromedp.WaitVisible(chromedp.CSS(`#banner`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('banner-text').textContent.includes('STILL UNACKNOWLEDGED') && document.getElementById('banner-text').textContent.includes('L1-N08')`))
	within(t, ctx, 10*time.Second, "acknowledge al1, another alert",
		clickNow(`tr[data-id="al1"]`),
		chromedp.Poll[chromedp.Void](`document.getElementById('alert-detail').dataset.id === 'al1' && !!document.getElementById('ack-btn')`),
		chromedp.SendKeys(chromedp.CSS(`#ack-note`), "cell A1-02 searched"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-id="al1"].acked`)))
	if v := evalString(t, ctx, `(document.getElementById('banner').classList.contains('hidden') ? 'hidden' : 'shown') + ' | ' + document.getElementById('banner-text').textContent`); !strings.HasPrefix(v, "shown | STILL UNACKNOWLEDGED") || !strings.Contains(v, "L1-N08") {
		t.Errorf("banner after acknowledging al1: %q, want L1-N08's still shown", v)
	}
	within(t, ctx, 10*time.Second, "acknowledge n08, the banner's",
		clickNow(`tr[data-id="n08"]`),
		chromedp.Poll[chromedp.Void](`document.getElementById('alert-detail').dataset.id === 'n08' && !!document.getElementById('ack-btn')`),
		chromedp.SendKeys(chromedp.CSS(`#ack-note`), "cell L1-N08 searched"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-id="n08"].acked`)),
		chromedp.WaitNotVisible(chromedp.CSS(`#banner`)))
}

// TestBrowserSoundOffNotice: a page loaded with no click or key on it (a
// wall display that reloads itself) has its alarm sound kept off by the
// browser: the header says so until a click anywhere turns it on. The
// page beeped into a suspended AudioContext, silent all its life.
func TestBrowserSoundOffNotice(t *testing.T) {
	ctx, _, srv := browserDashboard(t)
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	const state = `(document.getElementById('sound-off').classList.contains('hidden') ? 'hidden' : document.getElementById('sound-off').textContent)`
	within(t, ctx, 10*time.Second, "reloaded with no gesture, the sound is off",
		chromedp.Reload(),
		chromedp.WaitReady(chromedp.CSS(`#page-alerts[data-drawn]`)),
		chromedp.WaitVisible(chromedp.CSS(`#sound-off`)))
	if v := evalString(t, ctx, state); v != "sound off — click anywhere to enable" {
		t.Errorf("notice after a reload: %q", v)
	}
	shot(t, ctx, "sound-off")
	within(t, ctx, 10*time.Second, "a click turns it on",
		chromedp.Click(chromedp.CSS(`#page-alerts`)),
		chromedp.WaitNotVisible(chromedp.CSS(`#sound-off`)))
	if v := evalString(t, ctx, `window.rfwAudioState ? window.rfwAudioState() : 'no state'`); v != "running" {
		t.Errorf("audio after a click: %q, want running", v)
	}
}

// stopDashboard stops the test server srv as a dashboard stopped would:
// its port refuses connections, its open streams are cut. The function it
// returns starts it again on the same port, sessions kept.
func stopDashboard(t *testing.T, srv *httptest.Server) (start func()) {
	t.Helper()
	addr, h := srv.Listener.Addr().String(), srv.Config.Handler
	srv.Listener.Close()
	srv.CloseClientConnections()
	return func() {
		t.Helper()
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("start the dashboard again on %s: %v", addr, err)
		}
		again := &http.Server{Handler: h}
		go again.Serve(l)
		t.Cleanup(func() { again.Close() })
	}
}

// TestBrowserDashboardUnreachable: a dashboard that stops answering (its
// server stopped, the network gone) is shown as loudly as fusion offline:
// a bar in the warning colour saying since when and that the alerts shown
// are as of then, the list's note and each open alert's state "as of"
// then; all go when the page's stream opens again. Before, a grey
// "reconnecting…" in the header said so, the alerts shown firing.
func TestBrowserDashboardUnreachable(t *testing.T) {
	ctx, _, srv := browserDashboard(t)
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "the live feed", chromedp.WaitVisible(chromedp.CSS(`#live.ok`)))
	start := stopDashboard(t, srv)
	within(t, ctx, liveWait, "the bar says the dashboard is unreachable",
		chromedp.WaitVisible(chromedp.CSS(`#dash-banner`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('#alert-rows tr[data-id="al1"]')?.textContent.includes('as of')`))
	v := evalString(t, ctx, `(() => { const b = document.getElementById('dash-banner');
		return b.textContent + ' | ' + getComputedStyle(b).backgroundColor + ' | ' + document.getElementById('alerts-stale').textContent; })()`)
	if !strings.HasPrefix(v, "Dashboard unreachable since 10:3") || !strings.Contains(v, " UTC: the alerts shown are as of then | rgb(210, 153, 34) | Alert states as of 10:3") ||
		!strings.Contains(v, "when the dashboard became unreachable: an alert shown firing may have ended since, and a new one is not shown until the dashboard answers again.") {
		t.Errorf("bar | its colour | list note = %q, want \"Dashboard unreachable since 10:3x UTC: the alerts shown are as of then\" in the warning colour, and the list as of then", v)
	}
	shot(t, ctx, "dashboard-unreachable")
	start()
	within(t, ctx, liveWait, "all go when the stream opens again",
		chromedp.WaitVisible(chromedp.CSS(`#live.ok`)),
		chromedp.WaitNotVisible(chromedp.CSS(`#dash-banner`)),
		chromedp.WaitNotVisible(chromedp.CSS(`#alerts-stale`)),
		chromedp.Poll[chromedp.Void](`!document.querySelector('#alert-rows tr[data-id="al1"]').textContent.includes('as of')`))
}

// TestBrowserAlertDetailUnreachable: a row clicked while the dashboard
// does not answer says so in the detail card, for that alert, in place of
// the alert shown before; the card shows the alert once the dashboard
// answers again. Before, the click threw "Uncaught (in promise)
// TypeError: Failed to fetch" into the console and the card kept the
// alert shown before.
func TestBrowserAlertDetailUnreachable(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	w1 := ev.al.alerts["al1"]
	w1.ID, w1.Severity, w1.Summary = "w1", event.SeverityWarning, "warning w1"
	ev.al.alerts["w1"] = w1
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "open al1",
		clickNow(`tr[data-id="al1"]`),
		chromedp.Poll[chromedp.Void](`document.getElementById('alert-detail').dataset.id === 'al1'`))
	start := stopDashboard(t, srv)
	within(t, ctx, 10*time.Second, "click w1 with the dashboard stopped",
		clickNow(`tr[data-id="w1"]`),
		chromedp.WaitVisible(chromedp.CSS(`#alert-detail-msg`)))
	if v := evalString(t, ctx, `document.getElementById('alert-detail').dataset.id + ' | ' + document.querySelector('#alert-detail h2').textContent + ' | ' + document.getElementById('alert-detail-msg').textContent`); v !=
		"w1 | WARNING: warning w1 | Not shown: the dashboard did not answer (Failed to fetch); tried again every 15 s" {
		t.Errorf("detail after a click with the dashboard stopped: %q", v)
	}
	start()
	within(t, ctx, 10*time.Second, "shown once the dashboard answers",
		chromedp.Evaluate[chromedp.Void](`window.rfwFollowAlertDetail()`, chromedp.EvalAwaitPromise),
		chromedp.WaitNotPresent(chromedp.CSS(`#alert-detail-msg`)),
		chromedp.WaitVisible(chromedp.CSS(`#alert-detail .alert-state`)))
}

// TestBrowserAlertFocusKept: the open detail of a firing alert, drawn
// again every 15 s, keeps the focus on the control that had it; after
// Acknowledge the focus is on the alert's row, after Acknowledge selected
// on what became of them, after closing an incident on how it ended. Each
// dropped it to <body>, a keyboard user's place lost.
func TestBrowserAlertFocusKept(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	addC2(ev)
	browserLogin(t, ctx, srv.URL, "admin", "admin-password")
	const focused = `(() => { const f = document.activeElement; return f.id || (f.dataset && f.dataset.id ? 'row ' + f.dataset.id : f.tagName.toLowerCase()); })()`
	within(t, ctx, 10*time.Second, "open al1, focus its Acknowledge button",
		clickNow(`tr[data-id="al1"]`),
		chromedp.Poll[chromedp.Void](`document.getElementById('alert-detail').dataset.id === 'al1' && !!document.getElementById('ack-btn')`),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('ack-btn').focus()`))
	if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.rfwFollowAlertDetail()`, chromedp.EvalAwaitPromise)); err != nil || !ok {
		t.Fatalf("follow the open detail: %v, %v", ok, err)
	}
	if v := evalString(t, ctx, focused); v != "ack-btn" {
		t.Errorf("focus after the detail's refresh: %q, want ack-btn", v)
	}
	within(t, ctx, 10*time.Second, "acknowledge al1",
		chromedp.SendKeys(chromedp.CSS(`#ack-note`), "searched"),
		chromedp.Click(chromedp.CSS(`#ack-btn`)),
		chromedp.WaitVisible(chromedp.CSS(`#alert-detail .acked-by`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-id="al1"].acked`)))
	if v := evalString(t, ctx, focused); v != "row al1" {
		t.Errorf("focus after Acknowledge: %q, want al1's row", v)
	}
	within(t, ctx, 10*time.Second, "acknowledge c2 selected",
		clickNow(`tr[data-id="c2"] input.sel`),
		chromedp.SendKeys(chromedp.CSS(`#bulk-note`), "searched too"),
		chromedp.Click(chromedp.CSS(`#bulk-ack`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('bulk-result').textContent.includes('acknowledged 1')`))
	if v := evalString(t, ctx, focused); v != "bulk-result" {
		t.Errorf("focus after Acknowledge selected: %q, want bulk-result", v)
	}
	within(t, ctx, 20*time.Second, "close inc1",
		chromedp.Navigate(srv.URL+"/#incidents"),
		clickNow(`#inc-rows tr[data-id="inc1"]`),
		chromedp.WaitVisible(chromedp.CSS(`#inc-close`)),
		chromedp.SetValue(chromedp.CSS(`#inc-outcome-pick`), "found"),
		chromedp.Click(chromedp.CSS(`#inc-close`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('inc-outcome')?.textContent.startsWith('Closed')`))
	if v := evalString(t, ctx, focused); v != "inc-outcome" {
		t.Errorf("focus after closing the incident: %q, want inc-outcome", v)
	}
}

// TestBrowserUnackedRowMarked: a firing alert nobody acknowledged keeps a
// bar at its row's left, in its severity's colour, after its row's
// flashes; an acknowledged or resolved one has none. A critical one
// selected alone is refused with "needs one", not "need one". Before, a
// firing unacknowledged critical row looked like a resolved one once it
// had flashed.
func TestBrowserUnackedRowMarked(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	for _, tc := range []struct{ id, state, by string }{{"r1", event.AlertResolved, ""}, {"ack1", event.AlertFiring, "officer2"}} {
		a := ev.al.alerts["al1"]
		a.ID, a.State, a.AckBy = tc.id, tc.state, tc.by
		ev.al.alerts[tc.id] = a
	}
	browserLogin(t, ctx, srv.URL, "officer", "officer-password")
	bars, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`['al1', 'ack1', 'r1'].map((id) => getComputedStyle(document.querySelector('tr[data-id="' + id + '"] > td:first-child')).boxShadow)`))
	if err != nil || len(bars) != 3 {
		t.Fatalf("rows' left bars: %v (%v)", bars, err)
	}
	if !strings.Contains(bars[0], "rgb(248, 81, 73)") || !strings.Contains(bars[0], "inset") {
		t.Errorf("al1 (critical, firing, unacknowledged): box-shadow %q, want an inset bar in the critical colour", bars[0])
	}
	if bars[1] != "none" || bars[2] != "none" {
		t.Errorf("acknowledged and resolved rows: box-shadows %q, %q; want none", bars[1], bars[2])
	}
	shot(t, ctx, "unacked-row")
	within(t, ctx, 5*time.Second, "acknowledge al1 alone selected with no note",
		clickNow(`tr[data-id="al1"] input.sel`),
		chromedp.Click(chromedp.CSS(`#bulk-ack`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('bulk-result').textContent.startsWith('Write a note first')`))
	if v := evalString(t, ctx, `document.getElementById('bulk-result').textContent`); !strings.HasPrefix(v, "Write a note first: a critical alert selected (") || !strings.Contains(v, ") needs one saying what was done. Nothing acknowledged.") {
		t.Errorf("refusal: %q, want \"… a critical alert selected (…) needs one …\"", v)
	}
}

// TestBrowserBannerGoesAtLogin: a session that ends (logged out on
// another screen, expired) shows the login form without the critical
// banner over it; after logging in again the banner comes back while its
// alert still fires unacknowledged. It kept blinking over the login form.
func TestBrowserBannerGoesAtLogin(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "the live feed", chromedp.WaitVisible(chromedp.CSS(`#live.ok`)))
	a := firingInCell("live-3")
	if err := ev.al.UpsertAlert(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	ev.deps.Hub.PublishAlert(a)
	within(t, ctx, liveWait, "the banner", chromedp.WaitVisible(chromedp.CSS(`#banner`)))
	if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatalf("end the session (clear its cookie): %v", err)
	}
	within(t, ctx, 10*time.Second, "the session ends: the login form",
		chromedp.Evaluate[chromedp.Void](`window.rfwLoadAlerts().catch(() => {})`, chromedp.EvalAwaitPromise),
		chromedp.WaitVisible(chromedp.CSS(`#login-user`)))
	if v := evalString(t, ctx, `document.getElementById('banner').classList.contains('hidden') ? 'hidden' : 'shown: ' + document.getElementById('banner-text').textContent`); v != "hidden" {
		t.Errorf("banner over the login form: %s, want hidden", v)
	}
	loginForm(t, ctx, "log in again", "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "the banner again, its alert still firing unacknowledged",
		chromedp.WaitVisible(chromedp.CSS(`#banner`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('banner-text').textContent.startsWith('CRITICAL: unauthorised LTE uplink in cell a-102')`))
}

// TestBrowserIncidentCloseByEnter: Enter in an incident's closing note
// closes it as the Close incident button does, refused the same way
// with no outcome chosen, as Enter in an acknowledgement note
// acknowledges. Enter there did nothing.
func TestBrowserIncidentCloseByEnter(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	browserLogin(t, ctx, srv.URL, "analyst", "analyst-password")
	within(t, ctx, 20*time.Second, "Enter with no outcome chosen",
		chromedp.Navigate(srv.URL+"/#incidents"),
		clickNow(`#inc-rows tr[data-id="inc1"]`),
		chromedp.WaitVisible(chromedp.CSS(`#inc-note`)),
		chromedp.SendKeys(chromedp.CSS(`#inc-note`), "package under the bench"+kb.Enter),
		chromedp.Poll[chromedp.Void](`document.getElementById('inc-close-msg').textContent === 'Choose the outcome first: how did the case end?'`))
	within(t, ctx, 20*time.Second, "Enter with the outcome chosen closes it",
		chromedp.SetValue(chromedp.CSS(`#inc-outcome-pick`), "found"),
		chromedp.SendKeys(chromedp.CSS(`#inc-note`), kb.Enter),
		chromedp.Poll[chromedp.Void](`document.getElementById('inc-outcome')?.textContent.startsWith('Closed by analyst')`))
	if inc, err := ev.al.Incident(context.Background(), "inc1"); err != nil || inc.State != "closed" || inc.Outcome != "found" || inc.Note != "package under the bench" {
		t.Errorf("stored incident %+v, %v; want closed, found, with the note", inc, err)
	}
}

// TestBrowserBulkResultClears: the line saying what became of
// Acknowledge selected ("acknowledged 1"), or why it was refused, goes
// when the officer changes the selection (a box, Clear). It stayed for
// ever, about a selection long gone.
func TestBrowserBulkResultClears(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	addC2(ev)
	browserLogin(t, ctx, srv.URL, "officer", "officer-password")
	const result = `document.getElementById('bulk-result').textContent + '|' + document.getElementById('bulk-result').className`
	within(t, ctx, 10*time.Second, "acknowledge c2 selected, then select al1",
		clickNow(`tr[data-id="c2"] input.sel`),
		chromedp.SendKeys(chromedp.CSS(`#bulk-note`), "searched"),
		chromedp.Click(chromedp.CSS(`#bulk-ack`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('bulk-result').textContent === 'acknowledged 1'`),
		clickNow(`tr[data-id="al1"] input.sel`))
	if v := evalString(t, ctx, result); v != "|note" {
		t.Errorf("result after the selection changed: %q, want none", v)
	}
	within(t, ctx, 10*time.Second, "al1 with no note: refused, then Clear",
		chromedp.Click(chromedp.CSS(`#bulk-ack`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('bulk-result').textContent.startsWith('Write a note first')`),
		chromedp.Click(chromedp.CSS(`#bulk-clear`)))
	if v := evalString(t, ctx, result); v != "|note" {
		t.Errorf("refusal after Clear: %q, want none", v)
	}
}

// TestBrowserQuickReconnectNoBar: a stream cut and opened again at once
// (the browser tries again within seconds) shows no "Dashboard
// unreachable" bar: it shows once the stream has been down 5 s
// (TestBrowserDashboardUnreachable). It flashed for every drop.
func TestBrowserQuickReconnectNoBar(t *testing.T) {
	ctx, _, srv := browserDashboard(t)
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "the live feed, and a watch on the bar",
		chromedp.WaitVisible(chromedp.CSS(`#live.ok`)),
		chromedp.Evaluate[chromedp.Void](`(() => {
			window.rfwSeen = { bar: false, drop: false };
			const look = () => {
				const b = document.getElementById('dash-banner');
				if (!b.classList.contains('hidden')) window.rfwSeen.bar = b.textContent || true;
				if (document.getElementById('live').textContent === 'reconnecting…') window.rfwSeen.drop = true;
			};
			new MutationObserver(look).observe(document.body, { subtree: true, attributes: true, childList: true, characterData: true });
		})()`))
	srv.CloseClientConnections()
	within(t, ctx, liveWait, "the stream drops and opens again",
		chromedp.Poll[chromedp.Void](`window.rfwSeen.drop && document.getElementById('live').classList.contains('ok')`))
	if v := evalString(t, ctx, `window.rfwSeen.bar ? 'shown: ' + window.rfwSeen.bar : 'never shown'`); v != "never shown" {
		t.Errorf("the unreachable bar on a quick reconnect: %s", v)
	}
}

// addC2 adds to the test env a second critical alert like al1, c2
// ("critical c2").
func addC2(ev *env) {
	c2 := ev.al.alerts["al1"]
	c2.ID, c2.Summary = "c2", "critical c2"
	ev.al.alerts["c2"] = c2
}

// firingInCell is critical alert id firing, nobody acknowledging it:
// an unauthorised LTE uplink in cell a-102.
func firingInCell(id string) event.Alert {
	return event.Alert{Schema: 1, ID: id, Site: "hmp1", Rule: "unauthorised-uplink-in-cell", Severity: event.SeverityCritical, State: event.AlertFiring,
		Summary: "unauthorised LTE uplink in cell a-102", Room: "a-102", Zone: "a", ActiveNS: testNow.UnixNano(), UpdatedNS: testNow.UnixNano()}
}
