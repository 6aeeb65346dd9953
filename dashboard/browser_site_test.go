package dashboard

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestBrowserVagueFixNotOutlined: a fix whose most likely room has less
// than the probability fusion needs to count it on the heatmap (Deps.PlaceMinProb,
// here 0.2, which the page learns from /site) is drawn without outlining
// that room and its tooltip names no room: "location uncertain". A drone's
// controller outside the wall, heard by one sensor at 4% on each of twenty
// rooms, outlined a cell where nothing was. Nor is a weak fix whose room is
// not store.PlaceMargin times the next (30% against 20%), which fusion
// does not count on the heatmap either. A fix at or above the threshold
// still outlines its room.
func TestBrowserVagueFixNotOutlined(t *testing.T) {
	ctx, ev, srv := browserDashboard(t, func(d *Deps) { d.PlaceMinProb = 0.2 })
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "the floor plan",
		chromedp.Navigate(srv.URL+"/#heatmap"),
		chromedp.WaitReady(chromedp.CSS(`#page-heatmap[data-drawn]`)),
	)
	waitLiveFeed(t, ev)
	fix := func(track, room string, prob float64, x float64) store.LocationRecord {
		return store.LocationRecord{Site: "hmp1", Track: track, Class: event.ClassRCFHSS, TimeNS: testNow.Add(time.Minute).UnixNano(), Floor: "g",
			Room: room, RoomProb: prob, RoomProbs: map[string]float64{room: prob}, XM: x, YM: 2, SemiMajorM: 20, SemiMinorM: 10}
	}
	ev.deps.Hub.PublishLocation(fix("trk-14", "a-101", 0.04, 7.5)) // the controller: dot drawn in a-103
	ev.deps.Hub.PublishLocation(fix("trk-15", "a-103", 0.15, 7.5)) // below 0.2, above fusion's default 0.1
	ev.deps.Hub.PublishLocation(fix("trk-16", "b-102", 0.2, 4.5))  // at the threshold: placed
	// four rooms tied at 25%: above the threshold, but more than
	// store.MaxPlacedTie alike (fusion's alert names none of them)
	tie := fix("trk-17", "a-103", 0.25, 7.5)
	tie.RoomProbs = map[string]float64{"a-101": 0.25, "a-103": 0.25, "b-101": 0.25, "b-102": 0.25}
	ev.deps.Hub.PublishLocation(tie)
	// 30% against 20%: weak (under store.WeakPlaceProb) and not
	// store.PlaceMargin times the next room: fusion counts it nowhere
	weak := fix("trk-18", "a-101", 0.3, 7.5)
	weak.RoomProbs = map[string]float64{"a-101": 0.3, "a-103": 0.2}
	ev.deps.Hub.PublishLocation(weak)
	within(t, ctx, 5*time.Second, "the fixes drawn",
		chromedp.WaitReady(chromedp.CSS(`#emitters g[data-track="trk-18"]`)),
		chromedp.WaitReady(chromedp.CSS(`#emitters g[data-track="trk-14"]`)),
		chromedp.WaitReady(chromedp.CSS(`#emitters g[data-track="trk-15"]`)),
		chromedp.WaitReady(chromedp.CSS(`#emitters g[data-track="trk-17"]`)),
		chromedp.WaitReady(chromedp.CSS(`polygon[data-room="b-102"].located`)),
	)
	shot(t, ctx, "vague-fix")
	// a-102 holds t1, from the store
	located, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('polygon.room.located')].map((p) => p.dataset.room)`))
	if err != nil || strings.Join(located, " ") != "a-102 b-102" {
		t.Errorf("rooms outlined %v (%v), want a-102 and b-102 (the vague fixes outline none)", located, err)
	}
	// each says why: the tooltip said "no room reaches 20%" of them all
	for tr, why := range map[string]string{"trk-14": "(no room reaches 20%)", "trk-15": "(no room reaches 20%)",
		"trk-17": "(4 rooms alike at 25%)", "trk-18": "(its likeliest room, 30%, not 2 times the next, 20%)"} {
		title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#emitters g[data-track="`+tr+`"] title').textContent`))
		if err != nil || !strings.Contains(title, "location uncertain "+why) || strings.Contains(title, "a-10") || strings.Contains(title, " in ") {
			t.Errorf("%s's tooltip %q (%v): want \"location uncertain %s\" and no room named", tr, title, err, why)
		}
	}
	if title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#emitters g[data-track="trk-16"] title').textContent`)); err != nil || !strings.Contains(title, "in b-102 (20%)") {
		t.Errorf("trk-16's tooltip %q (%v): want its room, b-102 (20%%)", title, err)
	}
}

// beepCounter replaces the page's AudioContext before its scripts run:
// window.beeps counts the beeps.
const beepCounter = `window.beeps = 0; window.AudioContext = class {
	constructor() { this.currentTime = 0; this.destination = {}; }
	createOscillator() { window.beeps++; return { frequency: {}, connect() {}, start() {}, stop() {} }; }
	createGain() { return { gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect() {} }; }
};`

// TestBrowserBannerOnFiring: the alarm banner and beep come when a critical
// alert fires, not when it is pending: a pending alert (that may never
// fire) is silent, and a screen that already knew the alert as pending (it
// was opened then, or its feed reconnected then) sounds when it fires,
// once; the same firing alert published again does not sound again.
func TestBrowserBannerOnFiring(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: beepCounter}); err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "the live feed", chromedp.WaitVisible(chromedp.CSS(`#live.ok`)))
	bg := context.Background()
	a := event.Alert{Schema: 1, ID: "p-1", Site: "hmp1", Rule: "unauthorised_uplink", Severity: event.SeverityCritical, State: event.AlertPending,
		Summary: "LTE uplink in cell a-102", Room: "a-102", Zone: "wing-a", ActiveNS: testNow.UnixNano(), UpdatedNS: testNow.UnixNano()}
	publish := func(a event.Alert) {
		t.Helper()
		if err := ev.al.UpsertAlert(bg, a); err != nil {
			t.Fatal(err)
		}
		ev.deps.Hub.PublishAlert(a)
	}
	// sentinel publishes a warning and waits for its row: the alerts
	// published before it have been handled
	n := 0
	sentinel := func(step string) {
		t.Helper()
		n++
		id := "sentinel-" + string(rune('a'+n))
		ev.deps.Hub.PublishAlert(event.Alert{Schema: 1, ID: id, Site: "hmp1", Rule: "sensor-offline", Severity: event.SeverityWarning, State: event.AlertFiring,
			Summary: "sensor s2 offline", ActiveNS: testNow.UnixNano(), UpdatedNS: testNow.UnixNano()})
		within(t, ctx, 5*time.Second, step, chromedp.WaitReady(chromedp.CSS(`tr[data-id="`+id+`"]`)))
	}
	state := func() (bool, int) {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.getElementById('banner').classList.contains('hidden') ? 0 : 1, window.beeps]`))
		if err != nil || len(v) != 2 {
			t.Fatalf("banner and beeps: %v (%v)", v, err)
		}
		return v[0] == 1, v[1]
	}
	publish(a)
	within(t, ctx, 5*time.Second, "the pending alert listed", chromedp.WaitReady(chromedp.CSS(`tr[data-id="p-1"]`)))
	sentinel("after the pending alert")
	if shown, beeps := state(); shown || beeps != 0 {
		t.Errorf("pending: banner shown %v, %d beeps; want neither", shown, beeps)
	}
	// the screen is reloaded while the alert is pending
	within(t, ctx, 15*time.Second, "reload",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitReady(chromedp.CSS(`tr[data-id="p-1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#live.ok`)),
	)
	a.State, a.UpdatedNS = event.AlertFiring, testNow.Add(30*time.Second).UnixNano()
	publish(a)
	within(t, ctx, 5*time.Second, "it fires: the banner", chromedp.WaitVisible(chromedp.CSS(`#banner`)))
	if _, beeps := state(); beeps != 1 {
		t.Errorf("fired: %d beeps, want 1", beeps)
	}
	a.Probability, a.UpdatedNS = 0.9, testNow.Add(40*time.Second).UnixNano()
	publish(a)
	sentinel("after an update of the firing alert")
	if _, beeps := state(); beeps != 1 {
		t.Errorf("the firing alert updated: %d beeps, want still 1", beeps)
	}

	// a second alert is pending when the feed drops, and fires meanwhile:
	// the screen learns it from the store on reconnecting, and sounds
	within(t, ctx, 5*time.Second, "dismiss", chromedp.Click(chromedp.CSS(`#banner`)), chromedp.WaitNotVisible(chromedp.CSS(`#banner`)))
	b := a
	b.ID, b.State, b.Summary, b.Probability = "p-2", event.AlertPending, "LTE uplink in cell b-102", 0
	publish(b)
	within(t, ctx, 5*time.Second, "the second pending alert listed", chromedp.WaitReady(chromedp.CSS(`tr[data-id="p-2"]`)))
	b.State, b.UpdatedNS = event.AlertFiring, testNow.Add(time.Minute).UnixNano()
	if err := ev.al.UpsertAlert(bg, b); err != nil {
		t.Fatal(err)
	}
	srv.CloseClientConnections()
	within(t, ctx, 20*time.Second, "fired while the feed was down: the banner after it reconnects",
		chromedp.WaitVisible(chromedp.CSS(`#banner`)))
	if text, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(`#banner`))); err != nil || !strings.Contains(text, "cell b-102") {
		t.Errorf("banner %q (%v), want the second alert", text, err)
	}
	if _, beeps := state(); beeps != 2 {
		t.Errorf("the second alert fired: %d beeps in all, want 2", beeps)
	}
}

// TestBrowserSiteTimeZone: the dashboard shows times in the site's zone
// (Deps.Location, as the CSV exports do), not the browser's: a control-room
// PC on UTC during British summer time showed every time an hour off the
// reports. The page names the zone once, in its header.
func TestBrowserSiteTimeZone(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	ctx, ev, srv := browserDashboard(t, func(d *Deps) { d.Location = london })
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "UTC"}); err != nil {
		t.Fatal(err)
	}
	summer := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC) // 13:00 BST
	ev.al.alerts["summer"] = event.Alert{Schema: 1, ID: "summer", Site: "hmp1", Rule: "drone", Severity: event.SeverityWarning, State: event.AlertResolved,
		Summary: "drone over the yard", Room: "yard", Zone: "yard", ActiveNS: summer.UnixNano(), UpdatedNS: testNow.Add(-time.Hour).UnixNano()}
	radio := ev.reg.entries[1]
	radio.ValidUntil = summer
	ev.reg.entries[1] = radio
	browserLogin(t, ctx, srv.URL, "admin", "admin-password")
	within(t, ctx, 10*time.Second, "the alert listed", chromedp.WaitReady(chromedp.CSS(`tr[data-id="summer"]`)))
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.querySelector('tr[data-id="summer"] td.time').textContent,
		'2026-07-01 13:00:00 ' + new Intl.DateTimeFormat(undefined, { timeZone: 'Europe/London', timeZoneName: 'short' }).formatToParts(new Date(`+strconv.FormatInt(summer.UnixMilli(), 10)+`)).find((p) => p.type === 'timeZoneName').value,
		'2026-07-01 12:00:00 ' + new Intl.DateTimeFormat(undefined, { timeZoneName: 'short' }).formatToParts(new Date(`+strconv.FormatInt(summer.UnixMilli(), 10)+`)).find((p) => p.type === 'timeZoneName').value,
		Intl.DateTimeFormat().resolvedOptions().timeZone,
		(document.getElementById('tz') || {}).textContent || '']`))
	if err != nil || len(got) != 5 {
		t.Fatalf("times: %v (%v)", got, err)
	}
	shown, inLondon, inBrowser, browserZone, label := got[0], got[1], got[2], got[3], got[4]
	if browserZone != "UTC" || inLondon == inBrowser {
		t.Fatalf("the browser's zone is %q (%q there, %q in London): the test needs UTC", browserZone, inBrowser, inLondon)
	}
	if shown != inLondon {
		t.Errorf("alert time shown %q, want %q (Europe/London; the browser's UTC gives %q)", shown, inLondon, inBrowser)
	}
	if !strings.Contains(label, "Europe/London") {
		t.Errorf("zone label %q, want it to name Europe/London", label)
	}
	// the registry's expiry too (it was the browser's zone)
	within(t, ctx, 10*time.Second, "the registry listed",
		chromedp.Navigate(srv.URL+"/#registry"),
		chromedp.WaitVisible(chromedp.CSS(`#reg-rows tr[data-id="1"]`)))
	until, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(`#reg-rows tr[data-id="1"] td:last-child`)))
	if err != nil || until != inLondon {
		t.Errorf("registry valid until %q, want %q (Europe/London; the browser's UTC gives %q)", until, inLondon, inBrowser)
	}
}
