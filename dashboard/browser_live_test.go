package dashboard

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestBrowserLiveFeedDown: the header says "live" only while the page's
// stream is open and the dashboard's own feed from the broker is
// connected; while the broker is unreachable it says since when and why,
// in a warning style, and goes back to "live" when the feed connects.
func TestBrowserLiveFeedDown(t *testing.T) {
	link := &switchLink{reason: "not connected to the MQTT broker: dial tcp 127.0.0.1:18299: connect: connection refused"}
	ctx, _, srv := browserDashboard(t, func(d *Deps) { d.Feed = link })
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "the header says the feed is down",
		chromedp.WaitVisible(chromedp.CSS(`#live.warn`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('live').textContent.includes('live feed down since')`))
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const l = document.getElementById('live'); return l.className + ' | ' + l.textContent + ' | ' + l.title; })()`))
	// the time carries its zone, as every time on the page does (TestTUIRepeatedHourTimesDistinct)
	if err != nil || strings.Contains(text, " ok") || !strings.Contains(text, "live feed down since 10:30 UTC (broker unreachable)") || !strings.Contains(text, "connection refused") {
		t.Errorf("header %q (%v): want \"live feed down since 10:30 UTC (broker unreachable)\", warning style, the full reason in its title", text, err)
	}
	shot(t, ctx, "live-feed-down")
	link.set(true, "")
	within(t, ctx, 10*time.Second, "live once the feed connects",
		chromedp.WaitVisible(chromedp.CSS(`#live.ok`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('live').textContent === 'live' && !document.getElementById('live').classList.contains('warn')`))
}

// TestBrowserLiveFeedRefused: a feed connected to a broker that refused
// its subscription (its ACL) hears nothing: the header says the broker
// refused it and since when, not "live" and not "down" (which mends by
// itself), the whole reason in its title.
func TestBrowserLiveFeedRefused(t *testing.T) {
	const notGranted = "connected to the MQTT broker, but its subscription was not granted: rfw/v1/hmp1/alert: the broker refused the subscription (SUBACK 0x80): its ACL must let this client's user read the topic (deploy/mosquitto/rfwarden.acl)"
	link := &switchLink{}
	link.refuse(notGranted)
	ctx, _, srv := browserDashboard(t, func(d *Deps) { d.Feed = link })
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "the header says the broker refused the feed",
		chromedp.WaitVisible(chromedp.CSS(`#live.warn`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('live').textContent.includes('refused')`))
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const l = document.getElementById('live'); return l.className + ' | ' + l.textContent + ' | ' + l.title; })()`))
	if err != nil || !strings.Contains(text, "live feed refused by the broker since 10:30 UTC (its ACL denies the topics)") || !strings.Contains(text, "rfw/v1/hmp1/alert") {
		t.Errorf("header %q (%v): want \"live feed refused by the broker since 10:30 UTC (its ACL denies the topics)\", warning style, the full reason in its title", text, err)
	}
	shot(t, ctx, "live-feed-refused")
}

// TestBrowserLiveFeedNotConfigured: a dashboard started without --mqtt
// hears nothing live: the header says so, not "live".
func TestBrowserLiveFeedNotConfigured(t *testing.T) {
	ctx, _, srv := browserDashboard(t, func(d *Deps) { d.Feed = nil })
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "the header says there is no live feed",
		chromedp.WaitVisible(chromedp.CSS(`#live.warn`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('live').textContent === 'no live feed (not configured): map updates every minute'`))
	if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('live').classList.contains('ok')`)); err != nil || ok {
		t.Errorf("header styled live (ok) without a feed (%v)", err)
	}
}

// TestBrowserTrackExpires: a phone's marker and its cell's outline leave
// the floor plan once its last fix is older than the server's track window
// (30 min) with no new fix arriving, on the server's clock, not the
// browser's; a marker says its age; a page shown again (a laptop woken)
// reads the tracks again.
func TestBrowserTrackExpires(t *testing.T) {
	var clock atomic.Int64
	clock.Store(testNow.UnixNano())
	ctx, ev, srv := browserDashboard(t, func(d *Deps) { d.Now = func() time.Time { return time.Unix(0, clock.Load()).UTC() } })
	// t9 was last heard 8 s short of the window: it ages out on an open screen
	ev.ts.mu.Lock()
	ev.ts.locs = append([]store.LocationRecord{{Site: "hmp1", Track: "t9", Class: event.ClassLTE, Link: event.LinkUplink,
		TimeNS: testNow.Add(-30*time.Minute + 8*time.Second).UnixNano(), Floor: "g", Room: "a-101", RoomProb: 0.9, XM: 1.5, YM: 2, SemiMajorM: 1, SemiMinorM: 1}}, ev.ts.locs...)
	ev.ts.mu.Unlock()
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "floor plan with t1 and t9",
		chromedp.Navigate(srv.URL+"/#heatmap"),
		chromedp.WaitReady(chromedp.CSS(`#page-heatmap[data-drawn]`)),
		chromedp.WaitReady(chromedp.CSS(`#emitters g[data-track="t9"]`)),
		chromedp.WaitReady(chromedp.CSS(`polygon[data-room="a-101"].located`)),
		chromedp.WaitReady(chromedp.CSS(`polygon[data-room="a-102"].located`)))
	// t1's latest fix is 20 minutes old on the server's clock
	age, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#emitters g[data-track="t1"] text').textContent`))
	if err != nil || age != "20 min ago" {
		t.Errorf("t1's label %q (%v), want \"20 min ago\"", age, err)
	}
	shot(t, ctx, "track-ages")
	within(t, ctx, 30*time.Second, "t9 and its outline leave without a new fix",
		chromedp.Poll[chromedp.Void](`typeof window.rfwAgeTracks === 'function' && (window.rfwAgeTracks(),
			document.querySelector('#emitters g[data-track="t9"]') === null && !document.querySelector('polygon[data-room="a-101"]').classList.contains('located'))`))
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#emitters g[data-track="t1"]').length`)); err != nil || n != 1 {
		t.Errorf("t1 drawn %d times (%v), want once (20 minutes old)", n, err)
	}
	// the laptop slept 11 minutes: shown again, the page reads the tracks again
	clock.Store(testNow.Add(11 * time.Minute).UnixNano())
	within(t, ctx, 10*time.Second, "shown again, t1 (31 minutes old) is gone",
		chromedp.Evaluate[chromedp.Void](`document.dispatchEvent(new Event('visibilitychange'))`),
		chromedp.Poll[chromedp.Void](`document.querySelector('#emitters g[data-track="t1"]') === null && !document.querySelector('polygon[data-room="a-102"]').classList.contains('located')`))
}

// TestBrowserHatchKeepsHeat: a room whose zone's coverage is unknown keeps
// its heat colour, hatched over: a sensor offline does not hide a week's
// heat.
func TestBrowserHatchKeepsHeat(t *testing.T) {
	ctx, _, srv := browserDashboard(t, func(d *Deps) { d.Zones = fakeZones{"wing-a": "unknown", "yard": "unknown"} })
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "floor plan",
		chromedp.Navigate(srv.URL+"/#heatmap"),
		chromedp.WaitReady(chromedp.CSS(`#page-heatmap[data-drawn]`)))
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		const q = (s) => document.querySelector(s), fill = (s) => q(s) ? q(s).getAttribute('fill') : 'none drawn';
		const pat = q('#floor pattern#hatch-dark'), opaque = pat ? [...pat.querySelectorAll('rect')].filter((r) => r.getAttribute('fill') !== 'none' && !(Number(r.getAttribute('fill-opacity') ?? 1) < 1)).length : -1;
		const over = q('#floor polygon.hatch[data-room="a-102"]');
		return [fill('polygon.room[data-room="a-102"]'), q('polygon.room[data-room="a-102"]').dataset.status, over ? over.getAttribute('fill') : 'no hatch',
			over ? getComputedStyle(over).pointerEvents : '', String(opaque), fill('polygon.room[data-room="b-101"]'),
			String(document.querySelectorAll('#floor polygon.hatch[data-room="b-101"]').length), q('#page-heatmap .legend').textContent,
			(q('#floor text.room-count[data-room="a-102"]') || {}).textContent || 'no count', (q('#floor text.room-count[data-room="b-101"]') || {}).textContent || 'no count'];
	})()`))
	if err != nil || len(got) != 10 {
		t.Fatalf("floor plan: %v (%v)", got, err)
	}
	// dark lines over the yellow (TestTUIHeatOverlayContrast)
	if got[0] != "#fde725" || got[1] != "unknown" || got[2] != "url(#hatch-dark)" || got[3] != "none" || got[4] != "0" {
		t.Errorf("a-102 (7 detections, zone unknown): fill %q status %q, hatch %q (pointer-events %q), opaque rects in #hatch-dark %s; want its heat colour #fde725 under a see-through dark hatch",
			got[0], got[1], got[2], got[3], got[4])
	}
	if got[5] != "#1d2633" || got[6] != "0" {
		t.Errorf("b-101 (none in the hour, zone ok): fill %q, %s hatches; want #1d2633, none", got[5], got[6])
	}
	if !strings.Contains(got[7], "hatched: zone coverage unknown") {
		t.Errorf("legend %q: want it to say what the hatching means", got[7])
	}
	// the count is written on each room, not only in its hover tooltip
	// (a keyboard user reaches no tooltip; TestTUIHeatColoursTellApartColourBlind)
	if got[8] != "7" || got[9] != "0" {
		t.Errorf("counts written on a-102 and b-101: %q and %q, want 7 and 0", got[8], got[9])
	}
	shot(t, ctx, "hatch-over-heat")
}

// TestBrowserFusionOffline: while fusion's status says offline (stopped,
// or its last will) every page shows a banner in the warning colour saying
// since when and that no new alert can be raised, the feed's own state
// still "live", the alert list and each open alert's state "as of" the
// stop, and the sensors page that no sensor alert is raised meanwhile;
// a fusion connected and deaf has its own banner; all go once fusion
// says online again. Before, the page said "live" and nothing else while
// fusion was stopped, its old alerts firing as if now (until 2026-12-07),
// and online while fusion was deaf.
func TestBrowserFusionOffline(t *testing.T) {
	stopped := time.Date(2026, 11, 24, 10, 29, 0, 0, time.UTC)
	ctx, ev, srv := browserDashboard(t, func(d *Deps) {
		d.Hub.now = func() time.Time { return testNow }
		if err := d.Hub.HandleMQTT("rfw/v1/hmp1/fusion/status", []byte(fusionStatus("offline", "stopped", stopped))); err != nil {
			t.Fatal(err)
		}
	})
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "the banner says fusion is offline",
		chromedp.WaitVisible(chromedp.CSS(`#fusion-banner`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('fusion-banner').textContent.includes('offline')`))
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const b = document.getElementById('fusion-banner');
		return b.textContent + ' | ' + getComputedStyle(b).backgroundColor + ' | ' + document.getElementById('live').textContent; })()`))
	if err != nil || text != "Fusion is offline since 10:29 UTC (stopped): no new alerts can be raised | rgb(210, 153, 34) | live" {
		t.Errorf("banner | its colour | header = %q (%v), want \"Fusion is offline since 10:29 UTC (stopped): no new alerts can be raised\" in the warning colour, the feed live", text, err)
	}
	// the alert list says its states are as of fusion's stop, and the
	// firing alert's state says so too
	const staleJS = `(() => { const r = document.querySelector('#alert-rows tr[data-id="al1"]');
		return document.getElementById('alerts-stale').textContent + ' | ' + (r ? r.lastElementChild.textContent : 'no row al1'); })()`
	within(t, ctx, 10*time.Second, "the alert list marked stale",
		chromedp.WaitVisible(chromedp.CSS(`#alerts-stale`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('#alert-rows tr[data-id="al1"]')?.textContent.includes('as of')`))
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](staleJS)); err != nil || !strings.HasPrefix(got,
		"Alert states as of 10:29 UTC, when fusion went offline: an alert shown firing may have ended since, and a new one is not raised until fusion is back. | firing (as of 10:29 UTC)") {
		t.Errorf("stale note | al1's state = %q (%v), want both to say as of 10:29 UTC", got, err)
	}
	shot(t, ctx, "fusion-offline")
	within(t, ctx, 10*time.Second, "on the sensors page too",
		chromedp.Navigate(srv.URL+"/#sensors"),
		chromedp.WaitVisible(chromedp.CSS(`#page-sensors`)),
		chromedp.WaitVisible(chromedp.CSS(`#fusion-banner`)),
		chromedp.WaitVisible(chromedp.CSS(`#sensors-stale`)))
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('sensors-stale').textContent`)); err != nil ||
		got != "No sensor alert (offline, tampered, jammed) is raised since 10:29 UTC, when fusion went offline: the states below are the sensors' own, heard by the dashboard live." {
		t.Errorf("sensors page note = %q (%v)", got, err)
	}
	// connected and deaf (a subscription the broker refused) is not
	// online either: until 2026-12-07 it was
	if err := ev.deps.Hub.HandleMQTT("rfw/v1/hmp1/fusion/status", []byte(deafStatus("subscription refused: rfw/v1/hmp1/sensor/+/+: SUBACK 0x80", testNow))); err != nil {
		t.Fatal(err)
	}
	within(t, ctx, 10*time.Second, "the banner says fusion is deaf",
		chromedp.Poll[chromedp.Void](`document.getElementById('fusion-banner').textContent === 'Fusion hears nothing from the sensors since 10:30 UTC (the broker refused its subscription): no new alerts can be raised'`))
	// deaf behind mosquitto, which grants the subscription and withholds
	// the messages: fusion's problem is its silence
	if err := ev.deps.Hub.HandleMQTT("rfw/v1/hmp1/fusion/status", []byte(deafStatus("connected to the broker but no sensor message for 2m0s: check that the broker's ACL lets fusion's user read rfw/v1/+/sensor/#", testNow))); err != nil {
		t.Fatal(err)
	}
	within(t, ctx, 10*time.Second, "the banner says fusion hears no sensor",
		chromedp.Poll[chromedp.Void](`document.getElementById('fusion-banner').textContent === 'Fusion hears nothing from the sensors since 10:30 UTC (no sensor message reaches it): no new alerts can be raised'`))
	if err := ev.deps.Hub.HandleMQTT("rfw/v1/hmp1/fusion/status", []byte(fusionStatus("online", "", testNow))); err != nil {
		t.Fatal(err)
	}
	within(t, ctx, 10*time.Second, "the banner and the notes go once fusion is online",
		chromedp.WaitNotVisible(chromedp.CSS(`#fusion-banner`)),
		chromedp.WaitNotVisible(chromedp.CSS(`#sensors-stale`)),
		chromedp.Navigate(srv.URL+"/#alerts"),
		chromedp.WaitVisible(chromedp.CSS(`#alert-rows tr[data-id="al1"]`)),
		chromedp.WaitNotVisible(chromedp.CSS(`#alerts-stale`)),
		chromedp.Poll[chromedp.Void](`!document.querySelector('#alert-rows tr[data-id="al1"]').textContent.includes('as of')`))
}

// TestBrowserFusionZoneDiffers: a fusion that says it runs in another time
// zone than the dashboard is said in the banner, online as it is, with
// what to do in its tooltip, and no alert is marked stale for it; the
// banner goes once fusion says the dashboard's zone.
func TestBrowserFusionZoneDiffers(t *testing.T) {
	zoned := func(zone string) string {
		return fmt.Sprintf(`{"schema":1,"site":"hmp1","status":"online","time_zone":%q,"time_ns":%d}`, zone, testNow.UnixNano())
	}
	ctx, ev, srv := browserDashboard(t, func(d *Deps) {
		d.Hub.now = func() time.Time { return testNow }
		if err := d.Hub.HandleMQTT("rfw/v1/hmp1/fusion/status", []byte(zoned("Europe/London"))); err != nil {
			t.Fatal(err)
		}
	})
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "the banner says fusion's zone differs",
		chromedp.WaitVisible(chromedp.CSS(`#fusion-banner`)),
		chromedp.WaitVisible(chromedp.CSS(`#alert-rows tr[data-id="al1"]`)))
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => { const b = document.getElementById('fusion-banner');
		return [b.textContent, b.title, document.getElementById('alerts-stale').classList.contains('hidden') ? 'not stale' : 'stale']; })()`))
	if err != nil || len(got) != 3 || got[0] != "Fusion runs in time zone Europe/London, this dashboard in UTC: the registry's hours are matched in fusion's zone, shown here in the dashboard's" ||
		!strings.Contains(got[1], "set the zone of both hosts to the prison's") || strings.Contains(got[1], "the alerts shown are as they were") || got[2] != "not stale" {
		t.Errorf("banner, its tooltip, the alert list = %q (%v), want fusion's zone and the dashboard's said, what to do, the alerts not stale", got, err)
	}
	if err := ev.deps.Hub.HandleMQTT("rfw/v1/hmp1/fusion/status", []byte(zoned("Etc/UTC"))); err != nil {
		t.Fatal(err)
	}
	within(t, ctx, 10*time.Second, "the banner goes once the zones agree", chromedp.WaitNotVisible(chromedp.CSS(`#fusion-banner`)))
}
