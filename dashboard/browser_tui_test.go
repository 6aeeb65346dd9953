package dashboard

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
)

// TestTUIRepeatedHourTimesDistinct: on the last Sunday of October the UK
// clocks go back at 02:00 BST to 01:00 GMT, so 01:00-02:00 happens twice.
// Two alerts an hour apart in that hour must not be shown with the same
// time: the officer reading the list (newest first) cannot tell which came
// first, nor match them to the CSV export (which carries the offset).
func TestTUIRepeatedHourTimesDistinct(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	ctx, ev, srv := browserDashboard(t, func(d *Deps) { d.Location = london })
	bst := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC) // 01:30 BST
	gmt := bst.Add(time.Hour)                             // 01:30 GMT, an hour later
	for id, at := range map[string]time.Time{"bst": bst, "gmt": gmt} {
		ev.al.alerts[id] = event.Alert{Schema: 1, ID: id, Site: "hmp1", Rule: "illicit_phone", Severity: event.SeverityWarning, State: event.AlertResolved,
			Summary: "phone " + id, Room: "a-102", Zone: "wing-a", ActiveNS: at.UnixNano(), UpdatedNS: testNow.Add(-time.Hour).UnixNano()}
	}
	browserLogin(t, ctx, srv.URL, "officer", "officer-password")
	within(t, ctx, 10*time.Second, "both alerts listed",
		chromedp.WaitReady(chromedp.CSS(`tr[data-id="bst"]`)), chromedp.WaitReady(chromedp.CSS(`tr[data-id="gmt"]`)))
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`['bst', 'gmt'].map((id) => document.querySelector('tr[data-id="' + id + '"] td.time').textContent)`))
	if err != nil || len(got) != 2 {
		t.Fatalf("times: %v (%v)", got, err)
	}
	if got[0] == got[1] {
		t.Errorf("alerts at 01:30 BST (%s) and 01:30 GMT (%s), an hour apart, are both shown as %q with no zone: the repeated hour is ambiguous",
			bst.Format(time.RFC3339), gmt.Format(time.RFC3339), got[0])
	}
}

// TestTUIZoneLabelFollowsClockChange: the header names the site's zone
// with its abbreviation ("Europe/London (BST)"). A control-room screen is
// left open for days: after the clocks go back it must not still say BST
// while the times it shows are GMT.
func TestTUIZoneLabelFollowsClockChange(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	// The server's clock, and the browser's, start at 01:50 BST on 25
	// October 2026; the browser's is moved on by window.__tuiShift ms. The
	// label is the server's clock's (TestTUIZoneLabelServerClock).
	begin := time.Date(2026, 10, 25, 0, 50, 0, 0, time.UTC)
	var clock atomic.Int64
	clock.Store(begin.UnixNano())
	ctx, _, srv := browserDashboard(t, func(d *Deps) {
		d.Location = london
		d.Now = func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	})
	start := begin.UnixMilli()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: fakeClockJS(start)}); err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, srv.URL, "officer", "officer-password")
	label := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('tz').textContent`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if l := label(); !strings.Contains(l, "BST") && !strings.Contains(l, "GMT+1") {
		t.Fatalf("zone label at 01:50 BST is %q, want it to say BST", l)
	}
	// two hours on: 01:50 GMT. The page gets its feed's report every 15 s
	// and reloads the list every minute; give it a minute and 5 s to say GMT.
	clock.Store(begin.Add(2 * time.Hour).UnixNano())
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.__tuiShift = 2 * 3600e3; window.rfwLoadAlerts()`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	l := label()
	for deadline := time.Now().Add(65 * time.Second); (strings.Contains(l, "BST") || strings.Contains(l, "GMT+1")) && time.Now().Before(deadline); l = label() {
		time.Sleep(time.Second)
	}
	if strings.Contains(l, "BST") || strings.Contains(l, "GMT+1") {
		t.Errorf("zone label a minute after the clocks went back (01:50 GMT) is still %q: it is worked out once, at login (siteZone)", l)
	}
}

// TestTUIZoneLabelServerClock: the zone's abbreviation in the header is
// the one of the server's clock, as every time the page shows is
// reckoned on it: a browser whose clock is 80 minutes ahead, past the
// clocks going back, must still say BST at 01:50 BST. Until 2026-12-08 it
// was the browser's clock's, and said GMT.
func TestTUIZoneLabelServerClock(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	server := time.Date(2026, 10, 25, 0, 50, 0, 0, time.UTC) // 01:50 BST
	ctx, _, srv := browserDashboard(t, func(d *Deps) {
		d.Location = london
		d.Now = func() time.Time { return server }
	})
	browser := server.Add(80 * time.Minute) // 01:10 GMT
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: fakeClockJS(browser.UnixMilli())}); err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, srv.URL, "officer", "officer-password")
	if l := evalString(t, ctx, `document.getElementById('tz').textContent`); !strings.Contains(l, "BST") && !strings.Contains(l, "GMT+1") {
		t.Errorf("zone label %q with the server at 01:50 BST and the browser at 01:10 GMT: want BST, the server's", l)
	}
}

// TestTUIKeyboardOpensAlert: an officer who works by keyboard alone tabs
// to an alert and presses Enter to open it and acknowledge it with a note.
func TestTUIKeyboardOpensAlert(t *testing.T) {
	ctx, _, srv := browserDashboard(t)
	browserLogin(t, ctx, srv.URL, "officer", "officer-password")
	within(t, ctx, 10*time.Second, "al1 listed", chromedp.WaitReady(chromedp.CSS(`tr[data-id="al1"]`)))
	// which alert row, if any, the focus is on, other than through its
	// selection box (which only selects)
	const onRow = `(() => { const a = document.activeElement, tr = a && a.closest('#alert-rows tr');
		return tr && !a.matches('input.sel') ? tr.dataset.id : ''; })()`
	var stops []string
	found := ""
	for i := 0; i < 80 && found == ""; i++ {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatal(err)
		}
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const a = document.activeElement; return a.tagName + (a.id ? '#' + a.id : '') + (a.className ? '.' + a.className : ''); })()`))
		if err != nil {
			t.Fatal(err)
		}
		stops = append(stops, s)
		if found, err = chromedp.Run(ctx, chromedp.Evaluate[string](onRow)); err != nil {
			t.Fatal(err)
		}
	}
	if found == "" {
		t.Fatalf("80 Tab presses never reach an alert row (only its selection box): the rows answer a mouse click only, so the alert's detail and its Acknowledge button are out of reach by keyboard; Tab stops: %s", strings.Join(stops[:min(len(stops), 40)], " "))
	}
	within(t, ctx, 5*time.Second, "Enter opens the alert",
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`#ack-btn`)))
}

// TestTUIBannerDismissByKeyboard: the critical banner blinks until it is
// dismissed (a click) or the alert acknowledged. A keyboard user must be
// able to dismiss it too (WCAG 2.2.2: blinking content can be stopped).
func TestTUIBannerDismissByKeyboard(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	browserLogin(t, ctx, srv.URL, "officer", "officer-password")
	waitLiveFeed(t, ev)
	live := event.Alert{Schema: 1, ID: "live-1", Site: "hmp1", Rule: "drone_drop", Severity: event.SeverityCritical, State: event.AlertFiring,
		Summary: "DJI DroneID over yard", Room: "yard", Zone: "yard", ActiveNS: testNow.UnixNano(), UpdatedNS: testNow.UnixNano()}
	ev.al.UpsertAlert(t.Context(), live)
	ev.deps.Hub.PublishAlert(live)
	within(t, ctx, 5*time.Second, "banner shown", chromedp.WaitVisible(chromedp.CSS(`#banner`)))
	focusable, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const b = document.getElementById('banner');
		return b.tabIndex >= 0 || !!b.querySelector('button, a[href], [tabindex]'); })()`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Escape)); err != nil {
		t.Fatal(err)
	}
	if !focusable {
		// waited for, where a 300 ms sleep guessed when Escape had acted
		within(t, ctx, 10*time.Second, "the blinking banner dismissed by keyboard (it takes no focus and has no button): Escape hides it",
			chromedp.Poll[chromedp.Void](`document.getElementById('banner').classList.contains('hidden')`))
	}
}

// TestTUILiveRegions: what a sighted officer sees change on the Alerts page
// by itself must reach a screen reader too: the feed's state ("LIVE
// UPDATES STOPPED") and a new alert that is not critical (which raises no
// banner).
func TestTUILiveRegions(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	browserLogin(t, ctx, srv.URL, "officer", "officer-password")
	waitLiveFeed(t, ev)
	const inLive = `((n) => !!(n && n.closest('[aria-live]:not([aria-live="off"]), [role=status], [role=alert], [role=log]')))`
	if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](inLive+`(document.getElementById('live'))`)); err != nil || !ok {
		t.Errorf("the feed's state (#live: 'live', 'LIVE UPDATES STOPPED') is in no live region: a screen reader never hears that alerts stopped coming (%v)", err)
	}
	warn := event.Alert{Schema: 1, ID: "warn-1", Site: "hmp1", Rule: "illicit_phone", Severity: event.SeverityWarning, State: event.AlertFiring,
		Summary: "GSM uplink on landing B2", Room: "b-101", Zone: "wing-b", ActiveNS: testNow.UnixNano(), UpdatedNS: testNow.UnixNano()}
	ev.al.UpsertAlert(t.Context(), warn)
	ev.deps.Hub.PublishAlert(warn)
	within(t, ctx, 5*time.Second, "warning listed", chromedp.WaitReady(chromedp.CSS(`tr[data-id="warn-1"]`)))
	announced, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`[...document.querySelectorAll('[aria-live]:not([aria-live="off"]), [role=status], [role=alert], [role=log]')]
		.some((n) => n.textContent.includes('GSM uplink on landing B2'))`))
	if err != nil {
		t.Fatal(err)
	}
	if !announced {
		t.Errorf("a new firing warning alert reached the list (its row flashes) but no live region carries it: a screen reader user is not told")
	}
}

// accName is a plain accessible name of a form control: aria-label,
// aria-labelledby, a <label>, or title; not placeholder (which goes as soon
// as something is typed, WCAG 3.3.2).
const accName = `((n) => !n ? '(missing)' : (n.getAttribute('aria-label') || (n.getAttribute('aria-labelledby') || '').split(' ').map((id) => (document.getElementById(id) || {}).textContent || '').join(' ').trim() ||
	[...(n.labels || [])].map((l) => l.textContent).join(' ').trim() || n.title || ''))`

// TestTUIControlNames: the controls an officer and an admin use have
// names a screen reader reads out.
func TestTUIControlNames(t *testing.T) {
	ctx, _, srv := browserDashboard(t)
	browserLogin(t, ctx, srv.URL, "admin", "admin-password")
	within(t, ctx, 10*time.Second, "open al1",
		chromedp.Click(chromedp.CSS(`tr[data-id="al1"]`)), chromedp.WaitVisible(chromedp.CSS(`#ack-note`)))
	within(t, ctx, 10*time.Second, "open s1's maintenance",
		chromedp.Navigate(srv.URL+"/#sensors"), chromedp.WaitVisible(chromedp.CSS(`#sensor-rows tr[data-sensor="s1"]`)),
		chromedp.Click(chromedp.CSS(`#sensor-rows tr[data-sensor="s1"]`)), chromedp.WaitVisible(chromedp.CSS(`#maint-minutes`)),
		chromedp.Navigate(srv.URL+"/#alerts"), chromedp.WaitVisible(chromedp.CSS(`#ack-note`)))
	for _, sel := range []string{"#ack-note", "#bulk-note", "#maint-minutes", "#maint-reason"} {
		name, err := chromedp.Run(ctx, chromedp.Evaluate[string](accName+`(document.querySelector('`+sel+`'))`))
		if err != nil {
			t.Fatal(err)
		}
		if name == "" {
			t.Errorf("%s has no accessible name (no label, aria-label or title; a placeholder at most)", sel)
		}
	}
	// each row's selection box says which alert it selects
	names, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#alert-rows input.sel')].map(`+accName+`)`))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if !strings.Contains(n, "LTE uplink in cell A1-02") && !strings.Contains(n, "al1") {
			t.Errorf("al1's selection box is named %q: it does not say which alert it selects (every row's box has that name)", n)
		}
	}
}

// TestTUIRegistryShowsSchedule: an entry's weekly schedule decides when it
// authorises ("tablet allowed 08:00-20:00"). The Registry page must show
// it, and in which zone, or staff read the entry as authorising always.
func TestTUIRegistryShowsSchedule(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	ctx, ev, srv := browserDashboard(t, func(d *Deps) { d.Location = london })
	e := ev.reg.entries[1]
	for d := time.Sunday; d <= time.Saturday; d++ {
		e.Schedule = append(e.Schedule, registry.Window{Weekday: d, StartMin: 8 * 60, EndMin: 20 * 60})
	}
	ev.reg.entries[1] = e
	browserLogin(t, ctx, srv.URL, "admin", "admin-password")
	within(t, ctx, 10*time.Second, "open entry 1",
		chromedp.Navigate(srv.URL+"/#registry"), chromedp.WaitVisible(chromedp.CSS(`#reg-rows tr[data-id="1"]`)),
		chromedp.Click(chromedp.CSS(`#reg-rows tr[data-id="1"]`)), chromedp.WaitVisible(chromedp.CSS(`#reg-form`)))
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('page-registry').innerText + ' ' +
		[...document.querySelectorAll('#page-registry input')].map((i) => i.value).join(' ')`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "08:00") || !strings.Contains(text, "20:00") {
		t.Errorf("entry 1 authorises 08:00-20:00 only, but the Registry page (list and form) shows no hours: %q", text)
	}
}

// fakeClockJS makes the page's Date start at startMS (UTC ms) and run on,
// moved on by window.__tuiShift ms.
func fakeClockJS(startMS int64) string {
	return fmt.Sprintf(`(() => { const Real = Date, t0 = Real.now(), base = %d; window.__tuiShift = 0;
	const now = () => base + (Real.now() - t0) + window.__tuiShift;
	class Fake extends Real { constructor(...a) { if (a.length) super(...a); else super(now()); } static now() { return now(); } }
	window.Date = Fake; })()`, startMS)
}

// TestTUIAlertDetailShowsAckTime: the security manager reviewing the
// night's alerts on the dashboard reads who acknowledged an alert and
// when (the response time); the CSV export has ack_time, the page must
// show it too, in the site's zone.
func TestTUIAlertDetailShowsAckTime(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	ctx, ev, srv := browserDashboard(t, func(d *Deps) { d.Location = london })
	active := testNow.Add(-40 * time.Minute)
	ack := testNow.Add(-23 * time.Minute) // 10:07 GMT
	ev.al.alerts["acked"] = event.Alert{Schema: 1, ID: "acked", Site: "hmp1", Rule: "illicit_phone", Severity: event.SeverityCritical, State: event.AlertFiring,
		Summary: "LTE uplink in cell B1-01", Room: "b-101", Zone: "wing-b", ActiveNS: active.UnixNano(), UpdatedNS: ack.UnixNano(),
		AckBy: "officer", AckNS: ack.UnixNano(), AckNote: "cell searched"}
	browserLogin(t, ctx, srv.URL, "officer", "officer-password")
	within(t, ctx, 10*time.Second, "open the acknowledged alert",
		chromedp.Click(chromedp.CSS(`tr[data-id="acked"]`)), chromedp.WaitVisible(chromedp.CSS(`#alert-detail .acked-by`)))
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.getElementById('alert-detail').innerText + ' | ' + document.querySelector('tr[data-id="acked"]').innerText,
		new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Europe/London' }).format(new Date(`+fmt.Sprint(ack.UnixMilli())+`)),
		new Date(`+fmt.Sprint(ack.UnixMilli())+`).toLocaleString(undefined, { timeZone: 'Europe/London' })]`))
	if err != nil || len(got) != 3 {
		t.Fatalf("%v (%v)", got, err)
	}
	hm := strings.TrimPrefix(got[1], "0")
	if !strings.Contains(got[0], got[2]) && !strings.Contains(got[0], got[1]) && !strings.Contains(got[0], hm+":") {
		t.Errorf("the acknowledgement's time (%s, %s in London) is nowhere on the alert's detail or row: %q", ack.Format(time.RFC3339), got[1], got[0])
	}
}

// TestTUIAckButtonOnScreen: on a control-room screen of 1024x768 or
// 1280x1024, and at 200% zoom of the first (512x384 CSS px), the open
// alert's Acknowledge button lies within the screen's width and inside
// the detail card: a button past the right edge is one the officer does
// not see (the wide alert table may scroll sideways; the button may not
// need it).
func TestTUIAckButtonOnScreen(t *testing.T) {
	for _, tc := range []struct {
		name          string
		width, height int64
		scale         float64
	}{
		{"1024x768", 1024, 768, 1},
		{"1280x1024", 1280, 1024, 1},
		{"1024x768 at 200%", 512, 384, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, _, srv := browserDashboard(t)
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(tc.width, tc.height, chromedp.EmulateScale(tc.scale))); err != nil {
				t.Fatal(err)
			}
			browserLogin(t, ctx, srv.URL, "officer", "officer-password")
			within(t, ctx, 10*time.Second, "open al1",
				// the row's time cell, as the officer clicks what is on screen: the
				// list scrolls sideways in its own box at 512 px, the row's middle is past its edge
				chromedp.Click(chromedp.CSS(`tr[data-id="al1"] td.time`)), chromedp.WaitVisible(chromedp.CSS(`#ack-btn`)))
			got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
				window.scrollTo(0, 0);
				const b = document.getElementById('ack-btn'), card = document.getElementById('alert-detail').getBoundingClientRect();
				const r = b.getBoundingClientRect(), out = [];
				if (r.right > innerWidth + 0.5) out.push('its right edge at ' + Math.round(r.right) + ' px is past the screen\'s ' + innerWidth);
				if (r.right > card.right + 0.5) out.push('it sticks out of the detail card (' + Math.round(card.left) + '..' + Math.round(card.right) + ' px) to ' + Math.round(r.right));
				return out.join('; '); })()`))
			if err != nil {
				t.Fatal(err)
			}
			if got != "" {
				t.Errorf("Acknowledge button of the open alert: %s", got)
			}
		})
	}
}
