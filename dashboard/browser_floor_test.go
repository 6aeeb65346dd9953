package dashboard

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestBrowserAlertProbsSayWhen: an alert's detail says that its
// summary's room probabilities are as at firing, and that its list of
// room probabilities is now (as of the store's latest, at the end for a
// resolved alert), each with its time; a drone rule's alert's summary,
// which follows its fixes, says it is as of the latest, whatever its
// class (the server's rule_kind). Neither said which, and the two numbers
// for one room read as a contradiction; until 2026-12-07 the page went by
// four drone classes, and a drone rule's Wi-Fi video alert said "at firing".
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
	w := d
	w.ID, w.Class, w.Incident = "wf1", event.ClassWiFi, "drop1" // a drone rule's, on the drone's Wi-Fi video link
	ev.al.alerts["wf1"] = w
	p := a
	p.ID, p.Incident = "ph1", "drop1" // a phone that came on near the drone
	ev.al.alerts["ph1"] = p
	ev.al.incidents["drop1"] = store.Incident{ID: "drop1", Site: "hmp1", Kind: "drone_drop", State: "open", DroneAlerts: []string{"wf1"}}
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	const when = `document.getElementById('summary-when').textContent + ' | ' + document.getElementById('probs-when').textContent`
	for _, tc := range []struct{ id, want string }{
		{"al1", "Summary: at firing (10:10:00 UTC) | Room probabilities now (10:25:00 UTC)"},
		{"r1", "Summary: at firing (10:10:00 UTC) | Room probabilities at the end (10:29:00 UTC)"},
		// a drone's summary follows its fixes (docs/alerts.md)
		{"dr1", "Summary: as of its latest fix (10:25:00 UTC) | Room probabilities now (10:25:00 UTC)"},
		{"wf1", "Summary: as of its latest fix (10:25:00 UTC) | Room probabilities now (10:25:00 UTC)"},
		{"ph1", "Summary: at firing (10:10:00 UTC) | Room probabilities now (10:25:00 UTC)"},
	} {
		within(t, ctx, 10*time.Second, "open "+tc.id,
			clickNow(`tr[data-id="`+tc.id+`"]`),
			chromedp.Poll[chromedp.Void](`document.getElementById('alert-detail').dataset.id === '`+tc.id+`' && !!document.getElementById('probs-when')`))
		if v := evalString(t, ctx, when); v != tc.want {
			t.Errorf("%s: the detail says %q, want %q", tc.id, v, tc.want)
		}
	}
}

// TestBrowserTrackAgesApart: the age labels of fixes close together do
// not overlap: the newest's is shown, one that would cross it left off
// (its age stays in its tooltip); a legend says what the markers, their
// rings, colours and ages mean, beside the heat colours'. They were
// written over each other, with no legend for the markers.
func TestBrowserTrackAgesApart(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	ev.ts.mu.Lock()
	for i, tr := range []string{"t5", "t6", "t7"} { // beside t1 (4.5, 2), newer
		ev.ts.locs = append([]store.LocationRecord{{Site: "hmp1", Track: tr, Class: event.ClassLTE, Link: event.LinkUplink,
			TimeNS: testNow.Add(-time.Duration(i+1) * time.Minute).UnixNano(), Floor: "g", Room: "a-102", RoomProb: 0.7,
			XM: 4.6 + 0.1*float64(i), YM: 2.1 - 0.05*float64(i), SemiMajorM: 1, SemiMinorM: 1}}, ev.ts.locs...)
	}
	ev.ts.mu.Unlock()
	showFloorWith(t, ctx, srv.URL, "t7")
	shot(t, ctx, "track-ages-apart")
	got := evalString(t, ctx, `(() => {
		const shown = [...document.querySelectorAll('#emitters g[data-track]')].map((g) => [g.dataset.track, g.querySelector('text.emitter-age')])
			.filter(([, t]) => t.getBoundingClientRect().width > 0), out = [];
		for (let i = 0; i < shown.length; i++) for (let j = i + 1; j < shown.length; j++) {
			const a = shown[i][1].getBoundingClientRect(), b = shown[j][1].getBoundingClientRect();
			if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) out.push(shown[i][0] + ' crosses ' + shown[j][0]);
		}
		return shown.map(([id]) => id).sort().join(',') + ' | ' + out.join('; '); })()`)
	shown, crossings, _ := strings.Cut(got, " | ")
	if crossings != "" || !strings.Contains(shown, "t5") {
		t.Errorf("age labels shown %q, crossing: %q; want t5's (the newest) shown and none crossing", shown, crossings)
	}
	if v := evalString(t, ctx, `document.querySelector('#emitters g[data-track="t7"] title').textContent`); !strings.HasSuffix(v, "(3 min ago)") {
		t.Errorf("t7's tooltip %q, want its age (3 min ago)", v)
	}
	legend := evalString(t, ctx, `(() => { const l = document.getElementById('marker-legend'); return l && l.offsetParent ? l.textContent + ' || ' + document.querySelector('#page-heatmap .legend').textContent : 'none shown'; })()`)
	for _, w := range []string{"phone in the room named by most of its last 10 fixes that name a room since it came to its floor", "drone at its latest fix", "95%", "other unauthorised emitter", "room holding a phone or drone", "goes after 30 min", "Room colour, located transmissions in the window"} {
		if !strings.Contains(legend, w) {
			t.Errorf("legends %q lack %q", legend, w)
		}
	}
}

// TestBrowserRoomsByKeyboard: the floor plan's rooms take the focus by
// Tab, named by their name and ID, and Enter or Space on one does what a
// click does: it is selected and its tooltip's text, with the markers in
// it, is said under the plan. They could only be hovered.
func TestBrowserRoomsByKeyboard(t *testing.T) {
	ctx, _, srv := browserDashboard(t)
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "floor plan",
		chromedp.Navigate(srv.URL+"/#heatmap"),
		chromedp.WaitReady(chromedp.CSS(`#page-heatmap[data-drawn]`)),
		chromedp.WaitReady(chromedp.CSS(`polygon[data-room="a-102"][data-count]`)),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('h-show').focus()`),
		chromedp.KeyEvent(kb.Tab))
	const focused = `(() => { const f = document.activeElement; return (f.getAttribute('data-room') || f.id || f.tagName) + ' ' + f.getAttribute('role') + ' ' + f.getAttribute('aria-label'); })()`
	if v := evalString(t, ctx, focused); v != "a-101 button room A1-01 (a-101)" {
		t.Errorf("focus after Tab from Show: %q, want the first room, a-101, a button named \"room A1-01 (a-101)\"", v)
	}
	within(t, ctx, 10*time.Second, "Enter on a-101", chromedp.KeyEvent(kb.Enter))
	if v := evalString(t, ctx, `document.querySelector('polygon.room.selected')?.dataset.room + ' | ' + document.getElementById('room-info').textContent`); v != "a-101 | A1-01 (wing-a) — 0 located phone/drone transmissions" {
		t.Errorf("after Enter on a-101: %q, want it selected and its name, zone and count said", v)
	}
	within(t, ctx, 10*time.Second, "Space on a-102",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('polygon[data-room="a-102"]').focus()`),
		chromedp.KeyEvent(" "))
	if v := evalString(t, ctx, `[...document.querySelectorAll('polygon.room.selected')].map((p) => p.dataset.room).join() + ' | ' + document.getElementById('room-info').textContent`); v != "a-102 | A1-02 (wing-a) — 7 located phone/drone transmissions; located in it now: t1" {
		t.Errorf("after Space on a-102: %q, want it alone selected, its count and t1 said", v)
	}
	shot(t, ctx, "room-by-keyboard")
}

// TestBrowserIncidentReopenByEnter: Enter in a closed incident's reopen
// reason reopens it as the Reopen incident button does, as Enter in the
// closing note closes (TestBrowserIncidentCloseByEnter). Enter there did
// nothing.
func TestBrowserIncidentReopenByEnter(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	inc := ev.al.incidents["inc1"]
	inc.State, inc.Outcome, inc.ClosedBy, inc.ClosedNS = "closed", "not_found", "analyst", testNow.Add(-time.Hour).UnixNano()
	ev.al.incidents["inc1"] = inc
	browserLogin(t, ctx, srv.URL, "analyst", "analyst-password")
	within(t, ctx, 20*time.Second, "Enter in the reason reopens it",
		chromedp.Navigate(srv.URL+"/#incidents"),
		clickNow(`#inc-rows tr[data-id="inc1"]`),
		chromedp.WaitVisible(chromedp.CSS(`#inc-reopen-note`)),
		chromedp.SendKeys(chromedp.CSS(`#inc-reopen-note`), "the package was in the next cell"+kb.Enter),
		chromedp.Poll[chromedp.Void](`document.getElementById('inc-outcome')?.textContent.startsWith('Reopened')`))
	if got, err := ev.al.Incident(context.Background(), "inc1"); err != nil || got.State != "open" || got.ReopenedBy != "analyst" {
		t.Errorf("stored incident %+v, %v; want open again, reopened by analyst", got, err)
	}
}

// TestBrowserPhoneAckOnScreen: on a phone (390x844) the controls to
// acknowledge are on the screen: the list's selection boxes and
// Acknowledge selected within its width, and an alert's card, opened by
// a tap on its row, brought into view with its Acknowledge button and
// note, where it opened under a list of 20 alerts, off the screen, and
// the tap seemed to do nothing; the floor plan fits the width.
func TestBrowserPhoneAckOnScreen(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	ev.longSummaries(20)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, srv.URL, "officer", "officer-password")
	// offScreen names the nodes (selectors) not wholly in the viewport
	const offScreen = `((sels) => { const out = [];
		for (const s of sels) { const n = document.querySelector(s); if (!n) { out.push(s + ' missing'); continue; }
			const r = n.getBoundingClientRect();
			if (r.left < -0.5 || r.right > innerWidth + 0.5 || r.top < -0.5 || r.bottom > innerHeight + 0.5 || !r.width)
				out.push(s + ' at x ' + Math.round(r.left) + '..' + Math.round(r.right) + ', y ' + Math.round(r.top) + '..' + Math.round(r.bottom)); }
		if (document.documentElement.scrollWidth > innerWidth + 1) out.push('the page ' + document.documentElement.scrollWidth + ' px wide');
		return out.join('; '); })`
	within(t, ctx, 10*time.Second, "the list", chromedp.WaitReady(chromedp.CSS(`tr[data-id="long19"]`)))
	shot(t, ctx, "phone-alerts")
	if v := evalString(t, ctx, offScreen+`(['#bulk-ack', '#bulk-note', 'tr[data-id="al1"] input.sel'])`); v != "" {
		t.Errorf("390x844, the alert list: off the screen: %s", v)
	}
	within(t, ctx, 10*time.Second, "tap al1",
		chromedp.Click(chromedp.CSS(`tr[data-id="al1"] td.time`)),
		chromedp.WaitVisible(chromedp.CSS(`#ack-btn`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('ack-btn').getBoundingClientRect().bottom <= innerHeight`))
	shot(t, ctx, "phone-alert-detail")
	if v := evalString(t, ctx, offScreen+`(['#ack-btn', '#ack-note'])`); v != "" {
		t.Errorf("390x844, al1 tapped: off the screen: %s", v)
	}
	within(t, ctx, 10*time.Second, "floor plan",
		chromedp.Navigate(srv.URL+"/#heatmap"),
		chromedp.WaitReady(chromedp.CSS(`#page-heatmap[data-drawn]`)))
	shot(t, ctx, "phone-floor")
	if v := evalString(t, ctx, `(() => { const r = document.querySelector('#floor svg').getBoundingClientRect(); return r.left >= 0 && r.right <= innerWidth && document.documentElement.scrollWidth <= innerWidth + 1 ? '' : 'x ' + r.left + '..' + r.right + ' page ' + document.documentElement.scrollWidth; })()`); v != "" {
		t.Errorf("390x844, the floor plan: wider than the screen: %s", v)
	}
}

// TestBrowserPhoneAlertCards: on a phone an alert's row is a card
// (severity and time, the summary, room and state) that fits the screen;
// the eight columns scrolled sideways inside their box, so a 390 px screen
// showed each row's time and severity and its summary only 450 px to the
// right. The filters above it run two to a row (they took 323 px of the
// 844, an analyst's first alert 547 px down; now 244 and 468). A wide
// screen keeps the table's columns.
func TestBrowserPhoneAlertCards(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	ev.longSummaries(5)
	const cells = `(() => { const w = document.getElementById('alert-rows').closest('.table-wrap'), tr = document.querySelector('#alert-rows tr[data-id="long4"]');
		const shown = (s) => { const n = tr.querySelector(s), r = n ? n.getBoundingClientRect() : {}; return n && r.width > 0 && r.left >= -0.5 && r.right <= innerWidth + 0.5; };
		return [String(w.scrollWidth - w.clientWidth), ...['td.sev', 'td.time', 'td.summary', 'td.room', 'td.state', 'td.rule', 'td.zone'].map((s) => s + (shown(s) ? ' on the screen' : ' off the screen')),
			String([...document.querySelectorAll('#alert-table thead th')].filter((th) => th.getBoundingClientRect().width > 0).length)]; })()`
	for _, c := range []struct {
		w, h         int
		card         bool
		overflow     string
		rule, header string
	}{
		{390, 844, true, "0", "td.rule off the screen", "1"},
		{1280, 900, false, "0", "td.rule on the screen", "8"},
	} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(c.w), int64(c.h))); err != nil {
			t.Fatal(err)
		}
		browserLogin(t, ctx, srv.URL, "analyst", "analyst-password")
		within(t, ctx, 10*time.Second, "the list", chromedp.WaitReady(chromedp.CSS(`tr[data-id="long4"]`)))
		if c.card {
			// the filters two to a row, every control whole on the screen
			if v := evalString(t, ctx, `(() => { const r = (s) => document.querySelector(s).getBoundingClientRect(), out = [];
				for (const [a, b] of [['#f-zone', '#f-type'], ['#f-state', '#f-sev']]) if (Math.abs(r(a).top - r(b).top) > 1) out.push(a + ' and ' + b + ' on different rows');
				for (const s of ['#f-zone', '#f-type', '#f-state', '#f-sev', '#f-unacked', '#live', '#alert-filters form.dates input[name=from]', '#alert-filters form.dates input[name=to]', '#alert-filters form.dates button'])
					if (r(s).left < -0.5 || r(s).right > innerWidth + 0.5 || !r(s).width) out.push(s + ' at x ' + Math.round(r(s).left) + '..' + Math.round(r(s).right));
				return out.join('; '); })()`); v != "" {
				t.Errorf("%dx%d, the alert filters: %s", c.w, c.h, v)
			}
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](cells))
		if err != nil || len(got) != 9 {
			t.Fatalf("%dx%d: %q (%v)", c.w, c.h, got, err)
		}
		if got[0] != c.overflow {
			t.Errorf("%dx%d: the alert list scrolls %s px sideways, want %s", c.w, c.h, got[0], c.overflow)
		}
		for _, s := range got[1:6] {
			if !strings.HasSuffix(s, " on the screen") {
				t.Errorf("%dx%d: an alert's %s, want it on the screen", c.w, c.h, s)
			}
		}
		if got[6] != c.rule || got[8] != c.header {
			t.Errorf("%dx%d: %s, %s header cells shown; want %s, %s (card: %v)", c.w, c.h, got[6], got[8], c.rule, c.header, c.card)
		}
		within(t, ctx, 10*time.Second, "log out", chromedp.Click(chromedp.CSS(`#logout`)), chromedp.WaitVisible(chromedp.CSS(`#login-user`)))
	}
}

// TestBrowserTrackKeepsItsRoom: a phone's marker stands for the room most
// of its last 10 fixes that name a room name (a tie: the latest's), at
// its latest fix there, not for its latest fix alone: a phone located
// eight times in a-101 whose last fix strayed to a-103, or named no room,
// stays outlined in a-101. The rule counts the fixes since the phone came
// to its latest fix's floor: carried upstairs it leaves this floor at
// once, and back down it starts afresh, in a-103 at its first fix there.
// A drone's marker is at its latest fix, as its alert is. The demo's GSM
// track with 178 of its 243 fixes in L2-N07 stayed outlined in L2-S06,
// where its last fix fell; others were left "location uncertain", one on
// the wrong floor. Until 2026-12-07 the rule also decided the floor (a
// phone upstairs stayed drawn downstairs until 6 of its last 10 fixes were
// upstairs) and held drones too, their marker lagging their alert's card.
func TestBrowserTrackKeepsItsRoom(t *testing.T) {
	ctx, ev, srv := browserDashboard(t, func(d *Deps) { d.PlaceMinProb = 0.2 })
	fix := func(room string, prob float64, x float64, ago time.Duration) store.LocationRecord {
		return store.LocationRecord{Site: "hmp1", Track: "t20", Class: event.ClassGSM, Link: event.LinkUplink, TimeNS: testNow.Add(-ago).UnixNano(), Floor: "g",
			Room: room, RoomProb: prob, RoomProbs: map[string]float64{room: prob}, XM: x, YM: 2, SemiMajorM: 1, SemiMinorM: 1}
	}
	ev.ts.mu.Lock()
	for i := range 8 { // newest first, as the stores return them
		ev.ts.locs = append(ev.ts.locs, fix("a-101", 0.8, 1.5, time.Duration(3+i)*time.Minute))
	}
	ev.ts.locs = append([]store.LocationRecord{fix("a-103", 0.6, 7.5, 2*time.Minute)}, ev.ts.locs...)
	for i := range 8 { // a drone: 8 fixes in a-102, its latest in a-101
		d := fix("a-102", 0.8, 4.5, time.Duration(3+i)*time.Minute)
		if i == 0 {
			d = fix("a-101", 0.7, 1.2, 2*time.Minute)
		}
		d.Track, d.Class, d.Link = "t21", event.ClassDroneID, ""
		ev.ts.locs = append(ev.ts.locs, d)
	}
	ev.ts.mu.Unlock()
	showFloorWith(t, ctx, srv.URL, "t20")
	waitLiveFeed(t, ev)
	const state = `(() => { const e = document.querySelector('#emitters g[data-track="t20"]');
		return [...document.querySelectorAll('polygon.room.located')].map((p) => p.dataset.room).join(' ') + ' | ' + (e ? e.dataset.room + ' | ' + e.querySelector('title').textContent : 'not drawn'); })()`
	check := func(what, rooms, title string) {
		t.Helper()
		got := evalString(t, ctx, state)
		if parts := strings.SplitN(got, " | ", 3); len(parts) != 3 || parts[0] != rooms || !strings.Contains(parts[2], title) {
			t.Errorf("%s: outlined | t20's room | its tooltip: %q; want %q outlined and a tooltip saying %q", what, got, rooms, title)
		}
	}
	shot(t, ctx, "track-keeps-room")
	// t1 is in a-102
	check("8 fixes in a-101, the latest in a-103", "a-101 a-102", "in a-101 (80%), named by 8 of its last 9 fixes that name a room, 2026-11-24 10:27:00 UTC; last heard 2026-11-24 10:28:00 UTC (2 min ago)")
	drone := `(() => { const e = document.querySelector('#emitters g[data-track="t21"]'); return e ? e.dataset.room + ' | ' + e.querySelector('title').textContent : 'not drawn'; })()`
	if v := evalString(t, ctx, drone); !strings.HasPrefix(v, "a-101 | droneid t21 in a-101 (70%), 2026-11-24 10:28:00 UTC") {
		t.Errorf("the drone t21, 8 fixes in a-102 then one in a-101: %q, want it in a-101, at its latest fix, as its alert is", v)
	}
	up := fix("l1-01", 0.9, 7.5, 80*time.Second)
	up.Floor = "1"
	publish := func(what string, l store.LocationRecord, drawn bool) {
		t.Helper()
		ev.deps.Hub.PublishLocation(l)
		cond := `Number(document.querySelector('#emitters g[data-track="t20"]')?.dataset.time) === ` + strconv.FormatInt(l.TimeNS, 10)
		if !drawn {
			cond = `!document.querySelector('#emitters g[data-track="t20"]')`
		}
		within(t, ctx, 5*time.Second, what, chromedp.Poll[chromedp.Void](cond))
	}
	vague := fix("a-103", 0.1, 7.5, 90*time.Second) // below 0.2: counted in no room
	publish("a fix naming no room", vague, true)
	check("then a fix naming no room", "a-101 a-102", "in a-101 (80%), named by 8 of its last 9")
	publish("a fix on another floor", up, false)
	// t21 the drone outlines a-101, t1 a-102
	if v := evalString(t, ctx, `[...document.querySelectorAll('polygon.room.located')].map((p) => p.dataset.room).join(' ')`); v != "a-101 a-102" {
		t.Errorf("then a fix on another floor: %q outlined, want a-101 (the drone's) and a-102 (t1's): t20 is upstairs", v)
	}
	publish("back down, a fix in a-103", fix("a-103", 0.6, 7.5, 70*time.Second), true)
	check("back down, a fix in a-103", "a-101 a-102 a-103", "in a-103 (60%), 2026-11-24 10:28:50 UTC (1 min ago)")
	for i := range 5 {
		publish("a fix in a-103", fix("a-103", 0.6, 7.5, time.Duration(60-10*i)*time.Second), true)
	}
	check("then five more in a-103", "a-101 a-102 a-103", "in a-103 (60%), named by 6 of its last 6")
}

// showFloorWith logs in as the viewer and shows the floor plan, with
// track's marker drawn.
func showFloorWith(t *testing.T, ctx context.Context, url, track string) {
	t.Helper()
	browserLogin(t, ctx, url, "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "floor plan with "+track,
		chromedp.Navigate(url+"/#heatmap"),
		chromedp.WaitReady(chromedp.CSS(`#page-heatmap[data-drawn]`)),
		chromedp.WaitReady(chromedp.CSS(`#emitters g[data-track="`+track+`"]`)))
}

// waitLiveFeed waits until the page has subscribed to the dashboard's
// live feed (the Hub): what is published before is not sent to it.
func waitLiveFeed(t *testing.T, ev *env) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ev.deps.Hub.Clients() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the page never subscribed to the live feed")
		}
	}
}

// TestBrowserTrackAgeIgnoresFixAhead: a fix stamped ahead of the server's
// clock (a sensor's clock ahead, up to fusion's 30 s) does not move the
// floor plan's "now": a track 29 min 45 s old stays drawn. Until
// 2026-12-08 now was never before the newest fix, and that fix, 28 s
// ahead, took every track off 28 s early.
func TestBrowserTrackAgeIgnoresFixAhead(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	ev.ts.mu.Lock()
	ev.ts.locs = append([]store.LocationRecord{{Site: "hmp1", Track: "t9", Class: event.ClassLTE, Link: event.LinkUplink,
		TimeNS: testNow.Add(-30*time.Minute + 15*time.Second).UnixNano(), Floor: "g", Room: "a-101", RoomProb: 0.9, XM: 1.5, YM: 2, SemiMajorM: 1, SemiMinorM: 1}}, ev.ts.locs...)
	ev.ts.mu.Unlock()
	showFloorWith(t, ctx, srv.URL, "t9")
	waitLiveFeed(t, ev)
	ev.deps.Hub.PublishLocation(store.LocationRecord{Site: "hmp1", Track: "t8", Class: event.ClassLTE, Link: event.LinkUplink,
		TimeNS: testNow.Add(28 * time.Second).UnixNano(), Floor: "g", Room: "b-102", RoomProb: 0.6, XM: 4.5, YM: 8, SemiMajorM: 1, SemiMinorM: 1})
	within(t, ctx, liveWait, "t8, stamped 28 s ahead, drawn", chromedp.WaitReady(chromedp.CSS(`#emitters g[data-track="t8"]`)))
	got := evalString(t, ctx, `(window.rfwAgeTracks(), [...document.querySelectorAll('#emitters g[data-track]')].map((g) => g.dataset.track + ' ' + g.querySelector('text.emitter-age').textContent).sort().join(', '))`)
	if !strings.Contains(got, "t9 29 min ago") || !strings.Contains(got, "t8 just now") {
		t.Errorf("tracks drawn: %q; want t9 (29 min 45 s old on the server's clock) still drawn, \"29 min ago\", and t8 \"just now\"", got)
	}
}

// TestBrowserRoomInsideGrounds: a room inside grounds listed after it
// (as docs/site.md asks: the first listed room holds a point) is seen
// and clicked on the floor plan: the element at its centre is the room,
// and a click there selects it. The grounds are reached first by Tab,
// then the rooms in file order. Drawn in file order, the opaque grounds
// covered every room (a 396-room site showed only "Grounds").
func TestBrowserRoomInsideGrounds(t *testing.T) {
	ctx, _, srv := browserDashboard(t, func(d *Deps) {
		d.Site.Rooms = append(d.Site.Rooms, site.Room{ID: "grounds", Name: "Grounds", Floor: "g", Kind: site.KindYard, Zone: "yard",
			Polygon: []site.Point{{X: -6, Y: -6}, {X: 21, Y: -6}, {X: 21, Y: 16}, {X: -6, Y: 16}}})
	})
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "floor plan",
		chromedp.Navigate(srv.URL+"/#heatmap"),
		chromedp.WaitReady(chromedp.CSS(`#page-heatmap[data-drawn]`)),
		chromedp.WaitReady(chromedp.CSS(`polygon[data-room="a-103"][data-count]`)))
	shot(t, ctx, "room-inside-grounds")
	// a-103 spans x 6..9, y 0..4: its centre (7.5, 2) has no marker on it
	const at = `(() => { const svg = document.querySelector('#floor svg'), pt = svg.createSVGPoint();
		pt.x = 7.5; pt.y = Number(svg.dataset.yflip) - 2;
		const s = pt.matrixTransform(svg.getScreenCTM()), e = document.elementFromPoint(s.x, s.y);
		return JSON.stringify([(e.closest('polygon') || e).getAttribute('data-room') || e.tagName, Math.round(s.x), Math.round(s.y)]); })()`
	var where []any
	if err := json.Unmarshal([]byte(evalString(t, ctx, at)), &where); err != nil || len(where) != 3 {
		t.Fatalf("element at a-103's centre: %v %v", where, err)
	}
	if where[0] != "a-103" {
		t.Errorf("element at a-103's centre: %v, want room a-103 on top of the grounds around it", where[0])
	}
	within(t, ctx, 10*time.Second, "click a-103's centre", chromedp.MouseClickXY(where[1].(float64), where[2].(float64)))
	if v := evalString(t, ctx, `[...document.querySelectorAll('polygon.room.selected')].map((p) => p.dataset.room).join()`); v != "a-103" {
		t.Errorf("selected after a click at a-103's centre: %q, want a-103", v)
	}
	if v := evalString(t, ctx, `[...document.querySelectorAll('#floor [tabindex="0"]')].map((p) => p.dataset.room).join(' ')`); v != "grounds a-101 a-102 a-103 land-a b-101 b-102 yard" {
		t.Errorf("Tab order of the rooms: %q, want the grounds, then the rooms in file order", v)
	}
	if v := evalString(t, ctx, `(() => { let l = document.querySelector('polygon[data-room="grounds"]').nextElementSibling; if (l.classList.contains('hatch')) l = l.nextElementSibling; return l.classList.contains('room-label') ? l.textContent : 'no label'; })()`); v != "Grounds" {
		t.Errorf("grounds' label: %q, want Grounds", v)
	}
}
