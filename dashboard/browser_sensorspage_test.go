package dashboard

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/rfwarden/rfwarden/event"
)

// streamSpy wraps the page's EventSource before its scripts run:
// window.streams holds every live stream the page opened.
const streamSpy = `window.streams = []; window.EventSource = class extends window.EventSource {
	constructor(url, opts) { super(url, opts); window.streams.push(this); }
};`

// openStreams is a JS expression: the URLs of the page's live streams not
// closed.
const openStreams = `window.streams.filter((s) => s.readyState !== EventSource.CLOSED).map((s) => s.url)`

// TestBrowserSpectrumStopsOffSensors: a sensor chosen on the Sensors page
// streams its spectrum (the live feed asks ?sensor=s1); leaving the page
// stops it (the feed is opened again without the sensor), where it kept
// streaming, and drawing hidden canvases, on every page.
func TestBrowserSpectrumStopsOffSensors(t *testing.T) {
	ctx, _, srv := browserDashboard(t)
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: streamSpy}); err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 20*time.Second, "choose s1",
		chromedp.Navigate(srv.URL+"/#sensors"),
		chromedp.Click(chromedp.CSS(`#sensor-rows tr[data-sensor="s1"]`)),
		chromedp.Poll[chromedp.Void](openStreams+`.some((u) => u.includes('sensor=s1'))`))
	within(t, ctx, 20*time.Second, "leave the page",
		chromedp.Navigate(srv.URL+"/#alerts"),
		chromedp.Poll[chromedp.Void](`(() => { const o = `+openStreams+`; return o.length === 1 && !o[0].includes('sensor='); })()`))
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('spec-title').textContent`)); err != nil || got != "Spectrum: choose a sensor" {
		t.Errorf("the sensors page's spectrum title after leaving it %q (%v), want it to ask for a sensor again", got, err)
	}
}

// TestBrowserSpectrumOfflineSaid: an offline sensor's spectrum says why it
// is empty (offline since its last heartbeat), an online one's that it
// waits for its first frame until one is drawn, where both showed black
// boxes without a word; and the noise floors say their unit (dBm).
func TestBrowserSpectrumOfflineSaid(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	hub := ev.deps.Hub
	hub.PublishHealth(event.Health{Schema: 1, Site: "hmp1", Sensor: "s1", TimeNS: testNow.UnixNano(), State: event.StateOK,
		NoiseFloorDBm: map[string]float64{"tetra": -106, "gsm900": -104}})
	hub.PublishHealth(event.Health{Schema: 1, Site: "hmp1", Sensor: "s2", TimeNS: testNow.Add(-time.Hour).UnixNano(), State: event.StateOK})
	hub.PublishStatus("hmp1", "s2", "offline")
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	note := func() string {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const n = document.getElementById('spec-note'); return n.offsetParent === null ? '' : n.textContent; })()`))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	within(t, ctx, 20*time.Second, "choose the offline s2",
		chromedp.Navigate(srv.URL+"/#sensors"),
		chromedp.Click(chromedp.CSS(`#sensor-rows tr[data-sensor="s2"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#spec-note`)))
	// s2 was last heard at 09:30 UTC, an hour before testNow
	if got := note(); !strings.Contains(got, "no spectrum: sensor offline since") || !strings.Contains(got, "09:30") {
		t.Errorf("over the offline sensor's spectrum %q, want it offline since 09:30", got)
	}
	within(t, ctx, 20*time.Second, "choose s1",
		chromedp.Click(chromedp.CSS(`#sensor-rows tr[data-sensor="s1"]`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('spec-note').textContent === 'waiting for the first spectrum'`))
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#sensor-rows tr[data-sensor="s1"] td.bands').textContent`)); err != nil ||
		!strings.Contains(got, "tetra -106 dBm") || !strings.Contains(got, "gsm900 -104 dBm") {
		t.Errorf("s1's noise floors %q (%v), want each in dBm", got, err)
	}
	// the stream asks for s1 once chosen: its first frame takes the note away
	for deadline := time.Now().Add(10 * time.Second); note() != ""; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("note over s1's spectrum after its frames %q, want none", note())
		}
		hub.PublishSpectrum(event.Spectrum{Schema: 1, Site: "hmp1", Sensor: "s1", TimeNS: testNow.UnixNano(), CenterHz: 390e6, SampleRateHz: 2e6, PowerDBm: []float32{-100, -90, -100}})
	}
}

// TestBrowserEmptyListsSaid: a list read empty says so under its header,
// where a bare header looked like a list still loading: the alert list
// whose filters pass nothing, the incidents closed in the last 7 days
// when none is; a list with rows says nothing.
func TestBrowserEmptyListsSaid(t *testing.T) {
	ctx, _, srv := browserDashboard(t)
	browserLogin(t, ctx, srv.URL, "analyst", "analyst-password")
	said := func(id string) string {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const n = document.getElementById('`+id+`'); return n.offsetParent === null ? '' : n.textContent; })()`))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := said("alerts-empty"); got != "" {
		t.Errorf("under the alert list with al1 shown %q, want nothing", got)
	}
	within(t, ctx, 10*time.Second, "filter on info alerts (none)",
		chromedp.SetValue(chromedp.CSS(`#f-sev`), "info"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('f-sev').dispatchEvent(new Event('change'))`),
		chromedp.WaitNotPresent(chromedp.CSS(`#alert-rows tr`)))
	if got := said("alerts-empty"); got != "no alerts match these filters" {
		t.Errorf("under the alert list its filters empty %q, want \"no alerts match these filters\"", got)
	}
	within(t, ctx, 10*time.Second, "the incidents closed in the last 7 days (none)",
		chromedp.Navigate(srv.URL+"/#incidents"),
		chromedp.WaitReady(chromedp.CSS(`#inc-rows tr[data-id="inc1"]`)),
		chromedp.SetValue(chromedp.CSS(`#inc-state`), "closed"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('inc-state').dispatchEvent(new Event('change'))`),
		chromedp.WaitNotPresent(chromedp.CSS(`#inc-rows tr`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('inc-empty').textContent !== ''`))
	if got := said("inc-empty"); got != "none closed in the last 7 days" {
		t.Errorf("under the incidents closed in the last 7 days %q, want \"none closed in the last 7 days\"", got)
	}
}

// TestBrowserSearchScoreSaid: the search list says what a room's score is
// (a legend, and the score's tooltip with its parts), and its found / not
// found buttons name the room to a screen reader, where "score 7.48" was
// unexplained and the buttons read "found" alone.
func TestBrowserSearchScoreSaid(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	name := "a-102"
	for _, r := range ev.deps.Site.Rooms {
		if r.ID == "a-102" && r.Name != "" {
			name = r.Name
		}
	}
	browserLogin(t, ctx, srv.URL, "officer", "officer-password")
	row := `#search-list li[data-room="a-102"]`
	within(t, ctx, 10*time.Second, "the search list",
		chromedp.Navigate(srv.URL+"/#heatmap"),
		chromedp.WaitVisible(chromedp.CSS(row+` input.search-note`)))
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => { const li = document.querySelector('`+row+`'), s = li.querySelector('.score');
		return [s ? s.textContent : '', s ? s.title : '', ...[...li.querySelectorAll('button')].map((b) => b.getAttribute('aria-label') || ''),
			document.getElementById('search-legend')?.textContent || '']; })()`))
	if err != nil || len(got) != 5 {
		t.Fatalf("a-102's line %q (%v)", got, err)
	}
	if !strings.HasPrefix(got[1], got[0]+" = ") || !strings.Contains(got[1], "located in the last 30 min") || !strings.Contains(got[1], "transmissions located here in the last hour, 0.05 for each, at most 0.5)") {
		t.Errorf("a-102's %q explained %q, want its parts: the emitters of the last 30 min, 0.05 a transmission of the last hour up to 0.5", got[0], got[1])
	}
	if got[2] != "found in "+name || got[3] != "not found in "+name {
		t.Errorf("a-102's buttons read %q, %q; want them to name %s", got[2], got[3], name)
	}
	if !strings.Contains(got[4], "Rooms by score") || !strings.Contains(got[4], "plus 0.05 for each transmission located there in the last hour, up to 0.5 (") {
		t.Errorf("search list legend %q, want what the score is", got[4])
	}
	// the tooltip says the parts GET /search gives (emitters, located),
	// where it re-derived them from score and recent with its own 0.05:
	// the answer is rewritten to parts no copy of the weight gives, and
	// the heatmap (and its search list) read again
	within(t, ctx, 10*time.Second, "the tooltip of parts as given",
		chromedp.Evaluate[chromedp.Void](`(() => { const f = window.fetch; window.fetch = async (u, o) => {
			const r = await f(u, o);
			if (!String(u).endsWith('/api/v1/search')) return r;
			const a = await r.json();
			for (const x of a.rooms) if (x.room === 'a-102') Object.assign(x, { score: 1.83, emitters: 1.23, located: 0.6, recent: 3 }); Object.assign(a, { recent_weight: 0.2, recent_max: 0.8 });
			return new Response(JSON.stringify(a), { status: r.status, headers: { 'Content-Type': 'application/json' } });
		}; document.getElementById('h-window').dispatchEvent(new Event('change')); })()`),
		chromedp.Poll[chromedp.Void](`document.querySelector('`+row+` .score')?.title.startsWith('score 1.83 ')`))
	title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('`+row+` .score').title`))
	if want := "score 1.83 = 1.23 (phones and drones located in the last 30 min, each by its probability of being here: one emitter weighs at most 1) + 0.60 (3 transmissions located here in the last hour, 0.2 for each, at most 0.8)"; err != nil || title != want {
		t.Errorf("a-102's tooltip for emitters 1.23, located 0.6 of 3: %q (%v), want %q", title, err, want)
	}
}

// TestBrowserPolish: small things an explorer found. The page names an
// icon (/favicon.ico was a 404 on every load); an acknowledged alert's row
// keeps 4.5:1 contrast (it faded to ~2.4:1); a text field has the buttons'
// 3 px focus ring; an incident's rooms and an alert's Room cell (td.room,
// not the third cell from the end) do not wrap at their hyphen; the
// incident timeline has room for its "10." marker.
func TestBrowserPolish(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	acked := event.Alert{Schema: 1, ID: "ack-1", Site: "hmp1", Rule: "illicit_phone", Severity: event.SeverityCritical, State: event.AlertFiring,
		Summary: "LTE uplink in cell A1-03", Room: "a-103", Zone: "wing-a", ActiveNS: testNow.UnixNano(), UpdatedNS: testNow.UnixNano(),
		AckBy: "officer", AckNote: "searched", AckNS: testNow.UnixNano()}
	if err := ev.al.UpsertAlert(context.Background(), acked); err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, srv.URL, "analyst", "analyst-password")
	within(t, ctx, 10*time.Second, "the acknowledged row", chromedp.WaitVisible(chromedp.CSS(`tr[data-id="ack-1"].acked`)))
	got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(() => {
		const rgb = (c) => c.match(/[\d.]+/g).map(Number);
		const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
		const bg = rgb(getComputedStyle(document.body).backgroundColor), tr = document.querySelector('tr[data-id="ack-1"]');
		let worst = 99;
		for (const td of tr.children) {
			let fg = rgb(getComputedStyle(td).color), a = 1;
			for (let n = td; n && n !== document.body; n = n.parentElement) a *= Number(getComputedStyle(n).opacity);
			fg = fg.slice(0, 3).map((v, i) => v * a + bg[i] * (1 - a)); // faded over the page
			const [l1, l2] = [lum(fg), lum(bg)].sort((x, y) => y - x);
			worst = Math.min(worst, (l1 + 0.05) / (l2 + 0.05));
		}
		const note = document.getElementById('bulk-note'); note.focus();
		const icon = document.querySelector('link[rel~="icon"]');
		const room = tr.querySelector('td.room');
		return { contrast: worst, ring: getComputedStyle(note).outlineWidth + ' ' + getComputedStyle(note).outlineStyle, icon: icon ? icon.getAttribute('href') : '',
			room: room ? room.textContent + ' ' + getComputedStyle(room).whiteSpace : 'no td.room' };
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if c := got["contrast"].(float64); c < 4.5 {
		t.Errorf("an acknowledged row's lowest text contrast %.2f:1, want at least 4.5:1", c)
	}
	if got["ring"] != "3px solid" {
		t.Errorf("a focused text field's outline %v, want the buttons' 3px solid", got["ring"])
	}
	if got["room"] != "a-103 nowrap" {
		t.Errorf("an alert's Room cell (td.room): %v, want \"a-103 nowrap\" (its id kept whole)", got["room"])
	}
	if got["icon"] != "data:," {
		t.Errorf("the page's icon %q, want an inline one (data:,), not /favicon.ico", got["icon"])
	}
	within(t, ctx, 10*time.Second, "an incident's detail",
		chromedp.Navigate(srv.URL+"/#incidents"),
		chromedp.Click(chromedp.CSS(`#inc-rows tr[data-id="inc1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#inc-detail ol.timeline`)))
	inc, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[getComputedStyle(document.querySelector('#inc-rows tr[data-id="inc1"] td:last-child span.id') || document.body).whiteSpace,
		String(parseFloat(getComputedStyle(document.querySelector('#inc-detail ol.timeline')).paddingLeft) / parseFloat(getComputedStyle(document.documentElement).fontSize))]`))
	if err != nil || len(inc) != 2 {
		t.Fatalf("incident list and detail: %q (%v)", inc, err)
	}
	if inc[0] != "nowrap" {
		t.Errorf("an incident's room id wraps (white-space %q), want nowrap", inc[0])
	}
	if rem, err := strconv.ParseFloat(inc[1], 64); err != nil || rem < 2 {
		t.Errorf("the incident timeline's padding %s rem, want at least 2 for its \"10.\" marker", inc[1])
	}
}

// TestBrowserSearchLegendNoBlanks: the search list's legend quotes GET
// /search's weight and cap, so it is hidden until an answer gives them. A
// viewer, who gets no search list, saw "plus  for each transmission
// located there in the last hour, up to ." for good; an officer sees it
// with the numbers.
func TestBrowserSearchLegendNoBlanks(t *testing.T) {
	ctx, _, srv := browserDashboard(t)
	legend := func(who string) []string {
		t.Helper()
		within(t, ctx, 10*time.Second, who+"'s search list",
			chromedp.Navigate(srv.URL+"/#heatmap"),
			chromedp.Poll[chromedp.Void](`document.querySelector('#search-list li')?.textContent === 'officers only' || !!document.querySelector('#search-list li[data-room] input.search-note')`))
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => { const p = document.getElementById('search-legend'); return [p.hidden && !p.offsetParent ? 'hidden' : 'shown', p.textContent]; })()`))
		if err != nil || len(got) != 2 {
			t.Fatalf("%s's search legend %q (%v)", who, got, err)
		}
		return got
	}
	logout := func() {
		within(t, ctx, 10*time.Second, "log out", chromedp.Click(chromedp.CSS(`#logout`)), chromedp.WaitVisible(chromedp.CSS(`#login-user`)))
	}
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	if got := legend("a viewer"); got[0] != "hidden" {
		t.Errorf("a viewer's search legend %q, want it hidden: GET /search never fills its numbers", got)
	}
	logout()
	browserLogin(t, ctx, srv.URL, "officer", "officer-password")
	if got := legend("an officer"); got[0] != "shown" || !strings.Contains(got[1], "plus 0.05 for each transmission located there in the last hour, up to 0.5 (") {
		t.Errorf("an officer's search legend %q, want it shown with GET /search's 0.05 and 0.5", got)
	}
	logout()
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	if got := legend("a viewer after an officer"); got[0] != "hidden" {
		t.Errorf("a viewer's search legend after an officer's session %q, want it hidden again", got)
	}
}
