package dashboard

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

var screenshotDir = flag.String("screenshots", "", "folder to save browser-test screenshots in (default: a temp dir)")

// chromiumNames are the names chromium goes by in PATH (Debian: chromium;
// Ubuntu: chromium-browser); /usr/bin/chromium is tried last for a test run
// with a stripped PATH.
var chromiumNames = []string{"chromium", "chromium-browser", "/usr/bin/chromium"}

// findChromium returns the browser the tests drive: the override (the value
// of RFW_CHROMIUM, a path or a name) when set, else the first of
// chromiumNames that lookPath finds. When none is found, skip says why and
// what to do.
func findChromium(override string, lookPath func(string) (string, error)) (path, skip string) {
	if override != "" {
		p, err := lookPath(override)
		if err != nil {
			return "", fmt.Sprintf("chromium not found at RFW_CHROMIUM=%s: %v", override, err)
		}
		return p, ""
	}
	for _, name := range chromiumNames {
		if p, err := lookPath(name); err == nil {
			return p, ""
		}
	}
	return "", "chromium not installed: run scripts/install-deps.sh, or set RFW_CHROMIUM to its path"
}

// newBrowser starts headless chromium with a fresh profile, or skips.
func newBrowser(t testing.TB) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped with -short")
	}
	chromiumPath, skip := findChromium(os.Getenv("RFW_CHROMIUM"), exec.LookPath)
	if skip != "" {
		t.Skip(skip)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1920, 1080),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil { // start the browser on a context without deadline
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := *screenshotDir
	if dir == "" {
		dir = t.TempDir()
	}
	time.Sleep(300 * time.Millisecond)
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// within runs actions with their own deadline so a failed wait names the step.
// liveWait bounds a wait for what the live feed brings a page (an alert,
// a reminder, a location): reached only when it never comes. It stays
// under the pages' one-minute reloads (the Alerts page's list, the floor
// plan's tracks without the broker's feed), so only the live feed can
// meet it. The steps waited 2 s, which a loaded CI machine missed.
const liveWait = 20 * time.Second

func within(t *testing.T, ctx context.Context, d time.Duration, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := chromedp.Do(c, actions...); err != nil {
		if png, serr := chromedp.Run(ctx, chromedp.CaptureScreenshot()); serr == nil && *screenshotDir != "" {
			os.WriteFile(filepath.Join(*screenshotDir, "failed.png"), png, 0o644)
		}
		t.Fatalf("%s: %v", step, err)
	}
}

func TestBrowser(t *testing.T) {
	ctx := newBrowser(t)
	ev := newEnv(t)
	ev.deps.Feed = &switchLink{up: true}
	var clock atomic.Int64 // the server's
	clock.Store(testNow.UnixNano())
	ev.deps.Now = func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	os.WriteFile(filepath.Join(ev.deps.ReplayDir, "drone.sigmf-meta"), []byte(`{}`), 0o600)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer func() { srv.CloseClientConnections(); srv.Close() }() // SSE streams stay open otherwise
	hub := ev.deps.Hub
	hub.PublishHealth(event.Health{Schema: 1, Site: "hmp1", Sensor: "s1", TimeNS: testNow.UnixNano(), State: event.StateOK,
		NoiseFloorDBm: map[string]float64{"lte-b3": -101, "gsm900": -104}, RevisitS: map[string]float64{"lte-b3": 1.2}, OutboxDepth: 3,
		ScanBandsHz: map[string][2]float64{"lte-b3": {1805e6, 1825e6}}})
	hub.PublishHealth(event.Health{Schema: 1, Site: "hmp1", Sensor: "s2", TimeNS: testNow.UnixNano(), State: event.StateJammed, Reasons: []string{"noise floor +15 dB"}})

	within(t, ctx, 15*time.Second, "log in",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#login-user`)),
		chromedp.SendKeys(chromedp.CSS(`#login-user`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`#login-pass`), "admin-password"),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#app`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-id="al1"]`)),
	)
	for deadline := time.Now().Add(5 * time.Second); hub.Clients() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("browser never subscribed to the live feed")
		}
	}

	live := event.Alert{Schema: 1, ID: "live-1", Site: "hmp1", Rule: "drone_drop", Severity: event.SeverityCritical, State: event.AlertFiring,
		Summary: "DJI DroneID over yard", Room: "yard", Zone: "yard", Probability: 0.9, RoomProbs: map[string]float64{"yard": 0.9},
		Evidence: []string{"d3"}, ActiveNS: testNow.UnixNano(), UpdatedNS: testNow.UnixNano()}
	ev.al.UpsertAlert(context.Background(), live)
	hub.PublishAlert(live)
	within(t, ctx, liveWait, "live alert appears",
		chromedp.WaitVisible(chromedp.CSS(`tr[data-id="live-1"].sev-critical`)),
		chromedp.WaitVisible(chromedp.CSS(`#banner`)),
	)
	shot(t, ctx, "alerts-critical")
	// a reminder: fusion publishes it again while nobody acknowledges it
	within(t, ctx, 5*time.Second, "dismiss the banner",
		chromedp.Click(chromedp.CSS(`#banner`)),
		chromedp.WaitNotVisible(chromedp.CSS(`#banner`)),
	)
	reminder := live
	reminder.Escalations, reminder.EscalatedNS, reminder.UpdatedNS = 1, live.ActiveNS+int64(5*time.Minute), live.ActiveNS+int64(5*time.Minute)
	hub.PublishAlert(reminder)
	within(t, ctx, liveWait, "a reminder raises the banner again",
		chromedp.WaitVisible(chromedp.CSS(`#banner`)),
	)
	if text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('banner').textContent + ' | ' + document.querySelector('tr[data-id="live-1"]').textContent`)); err != nil ||
		!strings.Contains(text, "STILL UNACKNOWLEDGED after 5 min: DJI DroneID over yard") || !strings.Contains(text, "reminder 1") {
		t.Errorf("banner and row after a reminder: %q (%v)", text, err)
	}
	within(t, ctx, 10*time.Second, "acknowledge",
		chromedp.Click(chromedp.CSS(`tr[data-id="live-1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#ack-btn`)),
		chromedp.SendKeys(chromedp.CSS(`#ack-note`), "drone seen leaving, yard searched"),
		chromedp.Click(chromedp.CSS(`#ack-btn`)),
		chromedp.WaitVisible(chromedp.CSS(`.acked-by`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-id="live-1"].acked`)),
	)
	if a, _ := ev.al.Alert(context.Background(), "live-1"); a.AckBy != "admin" || a.AckNote != "drone seen leaving, yard searched" {
		t.Errorf("alert after browser ack: by %q note %q", a.AckBy, a.AckNote)
	}
	shot(t, ctx, "alerts-acked")
	// The open detail of a live alert follows what fusion stores without
	// publishing it (evidence every 10 s, room probabilities every
	// minute); it showed what it had when clicked.
	detailItems := func() int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#alert-detail li').length`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := detailItems()
	grown, _ := ev.al.Alert(context.Background(), "live-1")
	grown.RoomProbs, grown.UpdatedNS = map[string]float64{"yard": 0.6, "a-102": 0.3}, grown.UpdatedNS+int64(10*time.Second)
	ev.al.UpsertAlert(context.Background(), grown)
	if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.rfwFollowAlertDetail()`, chromedp.EvalAwaitPromise)); err != nil || !ok {
		t.Errorf("follow the open detail: %v, %v", ok, err)
	}
	if n := detailItems(); n != before+1 {
		t.Errorf("the open detail lists %d items after the alert gained a room, had %d", n, before)
	}

	// An analyst checks the case: the evidence's snippet is replayed through
	// the pipeline from the alert's detail.
	os.WriteFile(filepath.Join(ev.deps.SnippetDir, "snip-d1.sigmf-meta"), []byte(`{}`), 0o600)
	within(t, ctx, 10*time.Second, "replay an alert's evidence",
		chromedp.Click(chromedp.CSS(`tr[data-id="al1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`button.replay-snippet`)),
		chromedp.Click(chromedp.CSS(`button.replay-snippet`)),
		chromedp.WaitVisible(chromedp.CSS(`#page-replay`)),
		chromedp.WaitReady(chromedp.CSS(`#r-status[data-count="2"]`)),
	)
	if v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('r-file').value`)); err != nil || v != "snippet:snip-d1.sigmf-meta" {
		t.Errorf("replay page chose %q (%v), want the evidence snippet:snip-d1.sigmf-meta", v, err)
	}
	// the sensor's own label beside the replay's, and a warning that the
	// replay did not confirm it
	if v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('r-notes').textContent + ' | ' + document.getElementById('r-sensor-rows').textContent`)); err != nil ||
		!strings.Contains(v, `did not confirm the sensor's label "lte uplink"`) || !strings.Contains(v, "lte uplink (lte uplink)droneidnot confirmed") {
		t.Errorf("replay of a snippet: notes and sensor labels %q (%v); want the sensor's label, the replay's and the warning", v, err)
	}
	shot(t, ctx, "replay-evidence")
	// d2's snippet is not on this server (rotated out on its sensor): the
	// detail says so, with no download link or replay button for it
	gone, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('#alert-detail li')].filter((li) => li.querySelector('.snippet-gone')).map((li) => li.textContent.includes('@s2') && !li.querySelector('a, button')).join()`))
	if err != nil || gone != "true" {
		t.Errorf("evidence entries marked gone: %q (%v), want just d2's (heard @s2), without link or button", gone, err)
	}

	var located, count string
	within(t, ctx, 10*time.Second, "heatmap",
		chromedp.Navigate(srv.URL+"/#heatmap"),
		chromedp.WaitVisible(chromedp.CSS(`#floor svg`)),
		chromedp.WaitReady(chromedp.CSS(`#emitters g[data-track="t1"]`)),
		chromedp.WaitReady(chromedp.CSS(`polygon[data-room="a-102"][data-count]`)),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			a, err := chromedp.AttributeValue(chromedp.CSS(`polygon[data-room="a-102"]`), "class")(ctx, tg)
			located = a.Value
			if err == nil {
				a, err = chromedp.AttributeValue(chromedp.CSS(`polygon[data-room="a-102"]`), "data-count")(ctx, tg)
				count = a.Value
			}
			return err
		}),
		chromedp.WaitVisible(chromedp.CSS(`#search-list li[data-room="a-102"]`)),
	)
	if count != "7" || !contains(located, "located") {
		t.Errorf("room a-102 of the located phone: count %q class %q, want 7 and located", count, located)
	}
	// the colours scale to the floor's busiest room: a-102's 7 is the top step
	// (1+, 3+, 5+ for a maximum of 7)
	fill, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`polygon[data-room="a-102"]`), "fill"))
	legend, lerr := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#page-heatmap .legend').textContent`))
	if err != nil || lerr != nil || fill.Value != "#fde725" || !strings.Contains(legend, "1+ 3+ 5+") {
		t.Errorf("a-102 fill %q, legend %q (%v, %v): want #fde725 and steps 1+ 3+ 5+", fill.Value, legend, err, lerr)
	}
	// t1 is drawn at its latest fix (x 4.5 m), not its earlier one in b-101
	// (x 1.5 m), which the store returns after it: one fix names each room,
	// and a tie goes to the latest (TestBrowserTrackKeepsItsRoom)
	cx, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`#emitters g[data-track="t1"] ellipse`), "cx"))
	if err != nil || cx.Value != "4.5" {
		t.Errorf("t1's ellipse at x %q (%v), want 4.5 (its latest fix)", cx.Value, err)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('polygon.room.located').length`)); err != nil || n != 1 {
		t.Errorf("%d rooms outlined as located (%v), want 1 (a-102)", n, err)
	}
	// the yard's zone is unknown: its colour (no heat) hatched over
	yard, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('polygon.room[data-room="yard"]').getAttribute('fill') + ' ' +
		document.querySelector('polygon.hatch[data-room="yard"]')?.getAttribute('fill')`))
	if err != nil || yard != "#1d2633 url(#hatch)" {
		t.Errorf("yard (unknown zone) fill and hatch %q (%v), want #1d2633 url(#hatch)", yard, err)
	}
	hub.PublishLocation(store.LocationRecord{Site: "hmp1", Track: "t2", Class: event.ClassLTE, TimeNS: testNow.Add(-3 * time.Minute).UnixNano(), Floor: "g", Room: "b-102", RoomProb: 0.6, XM: 4.5, YM: 8, SemiMajorM: 1, SemiMinorM: 0.5, AngleRad: 0.5})
	within(t, ctx, liveWait, "live location drawn", chromedp.WaitReady(chromedp.CSS(`#emitters g[data-track="t2"]`)),
		chromedp.WaitReady(chromedp.CSS(`polygon[data-room="b-102"].located`)))
	shot(t, ctx, "heatmap")
	// t2 goes upstairs: it leaves this floor's drawing, and its room is no
	// longer outlined
	hub.PublishLocation(store.LocationRecord{Site: "hmp1", Track: "t2", Class: event.ClassLTE, TimeNS: testNow.Add(-2 * time.Minute).UnixNano(), Floor: "first", Room: "c-102", RoomProb: 0.6, XM: 4.5, YM: 8, SemiMajorM: 1, SemiMinorM: 0.5})
	within(t, ctx, liveWait, "a track that left the floor is taken off it",
		chromedp.Poll[chromedp.Void](`document.querySelector('#emitters g[data-track="t2"]') === null && !document.querySelector('polygon[data-room="b-102"]').classList.contains('located')`))
	// the mast's downlink, located in b-102: not drawn while the floor shows
	// phones and drones; drawn muted, without outlining its room, when it
	// shows every unauthorised emitter
	mast := store.LocationRecord{Site: "hmp1", Track: "mast", Class: event.ClassLTE, Link: event.LinkDownlink, TimeNS: testNow.Add(-time.Minute).UnixNano(),
		Floor: "g", Room: "b-102", RoomProb: 0.5, XM: 4.5, YM: 8, SemiMajorM: 1, SemiMinorM: 0.5}
	ev.ts.mu.Lock()
	ev.ts.locs = append([]store.LocationRecord{mast}, ev.ts.locs...)
	ev.ts.mu.Unlock()
	hub.PublishLocation(mast)
	hub.PublishLocation(store.LocationRecord{Site: "hmp1", Track: "t4", Class: event.ClassDroneID, TimeNS: testNow.UnixNano(), Floor: "g", Room: "yard", XM: 10, YM: 5, SemiMajorM: 1, SemiMinorM: 1})
	within(t, ctx, liveWait, "a downlink is not drawn among phones and drones", chromedp.WaitReady(chromedp.CSS(`#emitters g[data-track="t4"]`)))
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#emitters g[data-track="mast"]').length`)); err != nil || n != 0 {
		t.Errorf("the mast's downlink drawn %d times (%v) while showing phones and drones", n, err)
	}
	within(t, ctx, 10*time.Second, "show every unauthorised emitter",
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`(() => { const s = document.getElementById('h-show');
				s.value = 'unauthorised'; s.dispatchEvent(new Event('change')); return true; })()`)(ctx, tg)
			return err
		}),
		chromedp.WaitReady(chromedp.CSS(`#emitters g[data-track="mast"] ellipse.emitter.other`)),
	)
	if located, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('polygon[data-room="b-102"]').classList.contains('located')`)); err != nil || located {
		t.Errorf("b-102 outlined as located by the mast's downlink (%v)", err)
	}
	// a track not heard for 30 minutes on the server's clock (26 minutes on:
	// t1's fix 46 minutes old, the mast's 27) leaves the floor when the page
	// reads the tracks again (shown again); a fix's own time, which a
	// sensor's clock can put ahead, is not the clock (until 2026-12-08 it
	// was, TestBrowserTrackAgeIgnoresFixAhead)
	clock.Store(testNow.Add(26 * time.Minute).UnixNano())
	t5 := store.LocationRecord{Site: "hmp1", Track: "t5", Class: event.ClassNR, Link: event.LinkUplink, TimeNS: testNow.Add(25 * time.Minute).UnixNano(),
		Floor: "g", Room: "a-101", RoomProb: 0.9, XM: 1.5, YM: 2, SemiMajorM: 1, SemiMinorM: 1}
	ev.ts.mu.Lock()
	ev.ts.locs = append([]store.LocationRecord{t5}, ev.ts.locs...)
	ev.ts.mu.Unlock()
	hub.PublishLocation(t5)
	within(t, ctx, liveWait, "tracks older than 30 minutes are taken off",
		chromedp.WaitReady(chromedp.CSS(`#emitters g[data-track="t5"]`)),
		chromedp.Evaluate[chromedp.Void](`document.dispatchEvent(new Event('visibilitychange'))`),
		chromedp.Poll[chromedp.Void](`document.querySelector('#emitters g[data-track="t1"]') === null && document.querySelector('#emitters g[data-track="mast"]') !== null && document.querySelector('#emitters g[data-track="t5"]') !== null && !document.querySelector('polygon[data-room="a-102"]').classList.contains('located')`))
	// the heat follows new detections while the page is open: a few seconds
	// after a fix arrives, without a reload
	ev.ts.mu.Lock()
	ev.ts.cells = append(ev.ts.cells, store.HeatCell{Room: "a-101", Start: testNow.Truncate(time.Hour), Count: 4})
	ev.ts.mu.Unlock()
	hub.PublishLocation(store.LocationRecord{Site: "hmp1", Track: "t5", Class: event.ClassNR, Link: event.LinkUplink, TimeNS: testNow.Add(26 * time.Minute).UnixNano(),
		Floor: "g", Room: "a-101", RoomProb: 0.9, XM: 1.5, YM: 2, SemiMajorM: 1, SemiMinorM: 1})
	within(t, ctx, 15*time.Second, "the heat refreshed after a fix",
		chromedp.WaitReady(chromedp.CSS(`polygon[data-room="a-101"][data-count="4"]`)))
	if title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('polygon[data-room="a-101"] title').textContent`)); err != nil || strings.Count(title, "—") != 1 || !strings.Contains(title, "4 located unauthorised transmissions") {
		t.Errorf("a-101's tooltip after a refresh %q (%v): want its name and one count, 4 located unauthorised transmissions", title, err)
	}

	within(t, ctx, 10*time.Second, "sensors",
		chromedp.Navigate(srv.URL+"/#sensors"),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-sensor="s2"] td.st-jammed`)),
		chromedp.Click(chromedp.CSS(`tr[data-sensor="s1"]`)),
	)
	if row, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('tr[data-sensor="s1"]').textContent`)); err != nil || !strings.Contains(row, "lte-b3 1805.0–1825.0 MHz 1.2s") {
		t.Errorf("sensor s1's row %q (%v): want its scan band with its range and revisit time", row, err)
	}
	spectrum := func(i int) {
		p := make([]float32, 512)
		for j := range p {
			p[j] = -100 + float32((j*7+i*3)%9)
			if j > 200 && j < 230 {
				p[j] = -60
			}
		}
		hub.PublishSpectrum(event.Spectrum{Schema: 1, Site: "hmp1", Sensor: "s1", TimeNS: testNow.UnixNano(), CenterHz: 1.8425e9, SampleRateHz: 20e6, PowerDBm: p})
	}
	// The page opens its feed again with ?sensor=s1: spectra go out until
	// it draws one (its green trace on the canvas), where a 300 ms sleep
	// guessed when it had reconnected.
	traced := func() bool {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const c = document.getElementById('spectrum'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
			for (let i = 0; i < d.length; i += 4) if (d[i + 1] > 120 && d[i] < 120 && d[i + 2] < 120) return true;
			return false; })()`))
		return err == nil && v
	}
	for i, deadline := 0, time.Now().Add(liveWait); !traced(); i++ {
		if time.Now().After(deadline) {
			t.Fatalf("sensor s1's spectrum not drawn after %d published over %v", i, liveWait)
		}
		spectrum(i)
		time.Sleep(50 * time.Millisecond)
	}
	for i := range 40 { // the waterfall's rows, for the screenshot
		spectrum(i)
		time.Sleep(10 * time.Millisecond)
	}
	shot(t, ctx, "sensors")

	within(t, ctx, 10*time.Second, "replay draws detections",
		chromedp.Navigate(srv.URL+"/#replay"),
		chromedp.WaitReady(chromedp.CSS(`#r-file option[value="drone.sigmf-meta"]`)),
		chromedp.Click(chromedp.CSS(`#r-run`)),
		chromedp.WaitReady(chromedp.CSS(`#r-status[data-count="2"]`)),
	)
	lit, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(() => { const c = document.getElementById('replay'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
			let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] === 255 && d[i+1] === 255 && d[i+2] === 255) n++; return n; })()`))
	if err != nil || lit < 100 {
		t.Errorf("replay canvas has %d white box pixels (%v), want detection boxes drawn", lit, err)
	}
	shot(t, ctx, "replay-fake")
}

// TestBrowserReplayRealRecording: replay of a real recording draws its
// detections. Each recording is copied into the test's replay folder, run
// through the pipeline replayer from the browser, and must show a
// spectrogram and a detection box labelled with the expected class.
func TestBrowserReplayRealRecording(t *testing.T) {
	src := realIQ(t)
	ctx := newBrowser(t)
	ev := newEnv(t)
	for _, rr := range realReplays {
		copyRecording(t, src, ev.deps.ReplayDir, rr.name)
	}
	ev.deps.Replayer = newTestReplayer(t, ev.deps.ReplayDir)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer func() { srv.CloseClientConnections(); srv.Close() }()
	within(t, ctx, 15*time.Second, "log in",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#login-user`)),
		chromedp.SendKeys(chromedp.CSS(`#login-user`), "analyst"),
		chromedp.SendKeys(chromedp.CSS(`#login-pass`), "analyst-password"),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#app`)),
		chromedp.Navigate(srv.URL+"/#replay"),
	)
	for _, rr := range realReplays {
		t.Run(rr.name, func(t *testing.T) {
			file := rr.name + ".sigmf-meta"
			box := `#r-boxes .r-box[data-class="` + rr.class + `"]`
			within(t, ctx, 120*time.Second, "replay "+rr.name,
				chromedp.WaitReady(chromedp.CSS(`#r-file option[value="`+file+`"]`)),
				chromedp.SetValue(chromedp.CSS(`#r-file`), file),
				chromedp.Click(chromedp.CSS(`#r-run`)),
				chromedp.WaitReady(chromedp.CSS(`#r-status[data-count]`)),
				chromedp.WaitReady(chromedp.CSS(box)),
				chromedp.WaitVisible(chromedp.CSS(`#r-download`)),
			)
			label, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(box)))
			if err != nil || !strings.Contains(label, rr.class) || !strings.Contains(label, rr.link) || !strings.Contains(label, "dB") {
				t.Errorf("detection box label %q (%v), want class %q, link %q and SNR", label, err, rr.class, rr.link)
			}
			size, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.querySelector('`+box+`').getBoundingClientRect(); return [r.width, r.height]; })()`))
			if err != nil || len(size) != 2 || size[0] < 5 || size[1] < 2 {
				t.Errorf("detection box size %v (%v), want a visible box", size, err)
			}
			// The spectrogram is drawn: many distinct colours, not a blank canvas.
			colours, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(() => { const c = document.getElementById('replay'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
				const seen = new Set(); for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i+1] << 8) | d[i+2]); return seen.size; })()`))
			if err != nil || colours < 30 {
				t.Errorf("replay canvas has %d distinct colours (%v), want a drawn spectrogram", colours, err)
			}
			shot(t, ctx, rr.shot)
		})
	}
}

func contains(s, sub string) bool {
	return len(s) >= len(sub) && (s == sub || len(sub) == 0 || indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// TestBrowserAccounts: an admin manages accounts on the Users page
// (disable, role, password reset, a new user) and changes their own
// password, which ends the session and leads back to the login.
func TestBrowserAccounts(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	users := ev.deps.Users
	bg := context.Background()
	viewer, err := users.Login(bg, "1.2.3.4", "viewer", "viewer-password")
	if err != nil {
		t.Fatal(err)
	}
	logIn := func(step, pass string) { loginForm(t, ctx, step, "admin", pass) }
	within(t, ctx, 5*time.Second, "open", chromedp.Navigate(srv.URL+"/#users"))
	logIn("log in", "admin-password")
	within(t, ctx, 10*time.Second, "users page",
		chromedp.Navigate(srv.URL+"/#users"),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-user="viewer"] button`)),
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
	)
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('tr[data-user="admin"] button').length`)); err != nil || n != 0 {
		t.Errorf("the admin's own row offers %d buttons (%v), want none", n, err)
	}
	within(t, ctx, 10*time.Second, "disable the viewer",
		chromedp.Click(chromedp.CSS(`tr[data-user="viewer"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-user="viewer"].disabled`)),
	)
	if _, ok := users.Session(viewer.Token); ok {
		t.Error("the viewer's session stands after the admin disabled the account")
	}
	gen, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('page-users').dataset.gen`))
	if err != nil {
		t.Fatal(err)
	}
	next, _ := strconv.Atoi(gen)
	within(t, ctx, 10*time.Second, "officer becomes viewer",
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('tr[data-user="officer"] select'); s.value = 'viewer'; s.dispatchEvent(new Event('change')); })()`),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#page-users[data-gen="%d"]`, next+1))), // the list redrawn after the change
	)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		us, _ := users.List(bg)
		i := slices.IndexFunc(us, func(u User) bool { return u.Name == "officer" })
		if i >= 0 && us[i].Role == RoleViewer {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("officer's role not changed: %+v", us)
		}
	}
	within(t, ctx, 10*time.Second, "reset the analyst's password",
		chromedp.Click(chromedp.CSS(`tr[data-user="analyst"] button:nth-of-type(2)`)),
		chromedp.WaitVisible(chromedp.CSS(`#user-result .secret`)),
	)
	pw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#user-result .secret').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := users.Login(bg, "1.2.3.4", "analyst", pw); err != nil {
		t.Errorf("the password shown (%q) does not log the analyst in: %v", pw, err)
	}
	within(t, ctx, 10*time.Second, "create a user",
		chromedp.SetValue(chromedp.CSS(`#user-form input[name=name]`), "night.ops"),
		chromedp.SetValue(chromedp.CSS(`#user-form select[name=role]`), "officer"),
		chromedp.SetValue(chromedp.CSS(`#user-form input[name=password]`), "night-ops-password"),
		chromedp.Click(chromedp.CSS(`#user-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-user="night.ops"]`)),
	)
	within(t, ctx, 10*time.Second, "delete the disabled viewer",
		chromedp.Click(chromedp.CSS(`tr[data-user="viewer"] button:nth-of-type(3)`)),
		chromedp.WaitNotPresent(chromedp.CSS(`tr[data-user="viewer"]`)),
	)
	shot(t, ctx, "users")
	// the audit log, filtered to account changes, shows what was just done
	within(t, ctx, 10*time.Second, "audit log of account changes",
		chromedp.Navigate(srv.URL+"/#audit"),
		chromedp.WaitVisible(chromedp.CSS(`#page-audit[data-drawn]`)),
		chromedp.SetValue(chromedp.CSS(`#audit-filter select[name=action]`), "user."),
		chromedp.Evaluate[chromedp.Void](`delete document.getElementById('page-audit').dataset.drawn`),
		chromedp.Click(chromedp.CSS(`#audit-filter button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#page-audit[data-drawn]`)),
	)
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#audit-rows tr')].map((r) => r.children[2].textContent + ' ' + r.children[3].textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"user.disable user/viewer", "user.role user/officer", "user.password.reset user/analyst", "user.create user/night.ops", "user.delete user/viewer"}
	for _, w := range want {
		if !slices.Contains(rows, w) {
			t.Errorf("audit rows %v lack %q", rows, w)
		}
	}
	for _, r := range rows {
		if !strings.HasPrefix(r, "user.") {
			t.Errorf("filtered to account changes, the audit log shows %q", r)
		}
	}
	within(t, ctx, 10*time.Second, "change my password",
		chromedp.Click(chromedp.CSS(`#who`)),
		chromedp.WaitVisible(chromedp.CSS(`#pw-form`)),
		chromedp.SetValue(chromedp.CSS(`#pw-form input[name=current]`), "admin-password"),
		chromedp.SetValue(chromedp.CSS(`#pw-form input[name=new]`), "a-new-admin-password"),
		chromedp.SetValue(chromedp.CSS(`#pw-form input[name=again]`), "a-new-admin-password"),
		chromedp.Click(chromedp.CSS(`#pw-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#login`)),
	)
	if note, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('login-note').textContent`)); err != nil || !strings.Contains(note, "Password changed") {
		t.Errorf("login note %q (%v), want the password change", note, err)
	}
	logIn("log in with the new password", "a-new-admin-password")

	// the user the admin created logs in with the admin's password and
	// must choose their own before anything else
	within(t, ctx, 15*time.Second, "a new user's first login",
		chromedp.Click(chromedp.CSS(`#logout`)),
		chromedp.WaitVisible(chromedp.CSS(`#login-user`)),
		chromedp.SetValue(chromedp.CSS(`#login-user`), "night.ops"),
		chromedp.SetValue(chromedp.CSS(`#login-pass`), "night-ops-password"),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#pw-required`)),
		chromedp.WaitVisible(chromedp.CSS(`#pw-form`)),
	)
	within(t, ctx, 5*time.Second, "the alerts page leads back to the password",
		chromedp.Navigate(srv.URL+"/#alerts"),
		chromedp.WaitVisible(chromedp.CSS(`#pw-required`)),
	)
	within(t, ctx, 15*time.Second, "the new user chooses a password",
		chromedp.SetValue(chromedp.CSS(`#pw-form input[name=current]`), "night-ops-password"),
		chromedp.SetValue(chromedp.CSS(`#pw-form input[name=new]`), "my-own-night-password"),
		chromedp.SetValue(chromedp.CSS(`#pw-form input[name=again]`), "my-own-night-password"),
		chromedp.Click(chromedp.CSS(`#pw-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#login-user`)),
		chromedp.SetValue(chromedp.CSS(`#login-user`), "night.ops"),
		chromedp.SetValue(chromedp.CSS(`#login-pass`), "my-own-night-password"),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-id="al1"]`)),
	)
}

// loginForm logs in on the login form shown.
func loginForm(t *testing.T, ctx context.Context, step, user, pass string) {
	t.Helper()
	within(t, ctx, 15*time.Second, step,
		chromedp.WaitVisible(chromedp.CSS(`#login-user`)),
		chromedp.SetValue(chromedp.CSS(`#login-user`), user),
		chromedp.SetValue(chromedp.CSS(`#login-pass`), pass),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#app`)),
	)
}

// TestBrowserFeedReconnect: an alert raised while the control room's live
// feed was cut (a network blip, a dashboard restart) appears when the feed
// reconnects, without a reload.
func TestBrowserFeedReconnect(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "alerts and the live feed",
		chromedp.WaitVisible(chromedp.CSS(`tr[data-id="al1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#live.ok`)),
	)
	// the feed drops, and meanwhile fusion stores an alert the hub never sees
	missed := event.Alert{Schema: 1, ID: "missed-1", Site: "hmp1", Rule: "drone", Severity: event.SeverityCritical, State: event.AlertFiring,
		Summary: "drone over the yard", Room: "yard", Zone: "yard", ActiveNS: testNow.UnixNano(), UpdatedNS: testNow.UnixNano()}
	if err := ev.al.UpsertAlert(context.Background(), missed); err != nil {
		t.Fatal(err)
	}
	srv.CloseClientConnections()
	within(t, ctx, 20*time.Second, "the missed alert appears after the feed reconnects",
		chromedp.WaitVisible(chromedp.CSS(`tr[data-id="missed-1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#live.ok`)),
	)
}

// TestBrowserFeedRefused: a screen whose live feed the dashboard refuses
// (its login already holds MaxFeedsPerSession feeds) says so, loudly, with
// the server's reason, rather than "reconnecting…" for ever (the browser
// gives up on a 429 and never tries again), and goes live again once a
// slot is free. The other feeds are held from outside the browser with the
// page's session cookie (Chrome opens at most 6 connections to one host).
func TestBrowserFeedRefused(t *testing.T) {
	ctx, _, srv := browserDashboard(t)
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "the live feed", chromedp.WaitVisible(chromedp.CSS(`#live.ok`)))
	got, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{srv.URL}})
	if err != nil {
		t.Fatalf("the session cookie: %v", err)
	}
	cookies := got.Cookies
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.Transport.(*http.Transport).CloseIdleConnections)
	open := func() *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/events", nil)
		for _, c := range cookies {
			req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	var held []*http.Response
	hold := func() bool { // one more feed of the session, if a slot is free
		resp := open()
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return false
		}
		held = append(held, resp)
		return true
	}
	for range MaxFeedsPerSession - 1 { // the page holds one
		if !hold() {
			t.Fatalf("feed %d of the session refused", len(held)+2)
		}
	}
	// The page goes away, and its slot is taken before it comes back.
	within(t, ctx, 10*time.Second, "leave", chromedp.Navigate("about:blank"))
	for deadline := time.Now().Add(10 * time.Second); !hold(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the page's feed slot was not freed when it left")
		}
	}
	within(t, ctx, 20*time.Second, "back: the refusal, with its reason",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#live.bad`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('live').textContent.includes('live feeds open')`),
	)
	shot(t, ctx, "feed-refused")
	held[0].Body.Close()
	within(t, ctx, 45*time.Second, "live again once a slot is free (tried every 30 s)",
		chromedp.WaitVisible(chromedp.CSS(`#live.ok`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#live.bad`)),
	)
}

// browserDashboard starts a browser and a dashboard over the test env,
// its Deps changed first by each of with; both stop with the test.
func browserDashboard(t *testing.T, with ...func(*Deps)) (context.Context, *env, *httptest.Server) {
	t.Helper()
	ctx := newBrowser(t)
	ev := newEnv(t)
	ev.deps.Feed = &switchLink{up: true} // the dashboard's own feed from the broker is connected
	for _, f := range with {
		f(&ev.deps)
	}
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() }) // SSE streams stay open otherwise
	return ctx, ev, srv
}

// TestBrowserCloseIncident: an analyst closes an incident with its outcome
// from its detail, and the list says how it ended.
func TestBrowserCloseIncident(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	browserLogin(t, ctx, srv.URL, "analyst", "analyst-password")
	within(t, ctx, 20*time.Second, "close inc1 as found",
		chromedp.Navigate(srv.URL+"/#incidents"),
		chromedp.Click(chromedp.CSS(`#inc-rows tr[data-id="inc1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#inc-close`)),
	)
	shot(t, ctx, "incident-open")
	within(t, ctx, 20*time.Second, "close it",
		chromedp.SetValue(chromedp.CSS(`#inc-outcome-pick`), "found"),
		chromedp.SetValue(chromedp.CSS(`#inc-note`), "package under the bench"),
		chromedp.Click(chromedp.CSS(`#inc-close`)),
		chromedp.WaitVisible(chromedp.CSS(`#inc-outcome`)),
	)
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('inc-outcome').textContent + ' | ' + document.querySelector('#inc-rows tr[data-id="inc1"] td:nth-child(4)').textContent`))
	if err != nil || !strings.Contains(text, "Closed by analyst") || !strings.Contains(text, "package under the bench") || !strings.HasSuffix(text, "| closed: found") {
		t.Errorf("after closing: detail | list state = %q, %v", text, err)
	}
	shot(t, ctx, "incident-closed")
	if inc, err := ev.al.Incident(context.Background(), "inc1"); err != nil || inc.State != "closed" || inc.Outcome != "found" || inc.ClosedBy != "analyst" {
		t.Errorf("stored incident %+v, %v", inc, err)
	}
	if closeForms, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#inc-close').length`)); err != nil || closeForms != 0 {
		t.Errorf("a closed incident still offers the close button (%d, %v)", closeForms, err)
	}

	// Closed in error: reopened with the reason, it can be closed again.
	within(t, ctx, 20*time.Second, "reopen it",
		chromedp.SetValue(chromedp.CSS(`#inc-reopen-note`), "the package was in the next cell"),
		chromedp.Click(chromedp.CSS(`#inc-reopen`)),
		chromedp.WaitVisible(chromedp.CSS(`#inc-close`)),
	)
	text, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('inc-outcome').textContent + ' | ' + document.querySelector('#inc-rows tr[data-id="inc1"] td:nth-child(4)').textContent`))
	if err != nil || !strings.Contains(text, "by analyst (closed before by analyst") || !strings.HasSuffix(text, "| open (reopened)") {
		t.Errorf("after reopening: detail | list state = %q, %v", text, err)
	}
	if inc, err := ev.al.Incident(context.Background(), "inc1"); err != nil || inc.State != "open" || inc.ReopenedBy != "analyst" || inc.Outcome != "found" {
		t.Errorf("stored incident after reopening %+v, %v", inc, err)
	}
	shot(t, ctx, "incident-reopened")
	if !ev.audit.has("incident.reopen", "incident/inc1") {
		t.Error("the reopening is not audited")
	}
	// closed again with another outcome: the detail lists both closures
	// and why it was reopened, oldest first
	within(t, ctx, 20*time.Second, "close it again",
		chromedp.SetValue(chromedp.CSS(`#inc-outcome-pick`), "not_found"),
		chromedp.SetValue(chromedp.CSS(`#inc-note`), "next cell searched"),
		chromedp.Click(chromedp.CSS(`#inc-close`)),
		chromedp.WaitVisible(chromedp.CSS(`#inc-reopen`)),
	)
	hist, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#inc-history li')].map((li) => li.textContent)`))
	want := []string{" closed by analyst: found (device or package seized) — package under the bench",
		" reopened by analyst — the package was in the next cell", " closed by analyst: searched, nothing found — next cell searched"}
	if err != nil || len(hist) != len(want) {
		t.Fatalf("history in the detail %q, %v; want %q", hist, err, want)
	}
	for i, w := range want {
		if !strings.HasSuffix(hist[i], w) {
			t.Errorf("history entry %d %q, want it to end %q", i, hist[i], w)
		}
	}
}

// TestBrowserBannerClearsOnRemoteAck: the control room's banner for a
// critical alert goes away when the alert is acknowledged on another
// screen (fusion publishes it again with the acknowledgement), not only on
// this one.
func TestBrowserBannerClearsOnRemoteAck(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "the live feed", chromedp.WaitVisible(chromedp.CSS(`#live.ok`)))
	a := firingInCell("live-2")
	ev.deps.Hub.PublishAlert(a)
	within(t, ctx, 5*time.Second, "the banner", chromedp.WaitVisible(chromedp.CSS(`#banner`)))
	a.AckBy, a.AckNote, a.AckNS = "officer2", "on my way", testNow.Add(time.Minute).UnixNano()
	ev.deps.Hub.PublishAlert(a)
	within(t, ctx, 5*time.Second, "acknowledged elsewhere: the banner goes",
		chromedp.WaitNotVisible(chromedp.CSS(`#banner`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-id="live-2"].acked`)),
	)
}

// TestBrowserSensorMaintenance: an admin starts a maintenance window for a
// sensor from the Sensors page, the list shows it, and ends it.
func TestBrowserSensorMaintenance(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	browserLogin(t, ctx, srv.URL, "admin", "admin-password")
	within(t, ctx, 20*time.Second, "start s1's maintenance",
		chromedp.Navigate(srv.URL+"/#sensors"),
		chromedp.Click(chromedp.CSS(`#sensor-rows tr[data-sensor="s1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#maint-start`)),
		chromedp.SetValue(chromedp.CSS(`#maint-minutes`), "120"),
		chromedp.SetValue(chromedp.CSS(`#maint-reason`), "new antenna"),
		chromedp.Click(chromedp.CSS(`#maint-start`)),
		chromedp.WaitVisible(chromedp.CSS(`#maint-end`)),
	)
	shot(t, ctx, "sensor-maintenance")
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#sensor-rows tr[data-sensor="s1"] td.maint').textContent`))
	if err != nil || !strings.Contains(text, "admin: new antenna") {
		t.Errorf("s1's maintenance cell %q, %v", text, err)
	}
	ms, _ := ev.maint.Maintenance(context.Background(), "hmp1", testNow)
	if len(ms) != 1 || ms[0].Sensor != "s1" || ms[0].UntilNS != testNow.Add(2*time.Hour).UnixNano() {
		t.Errorf("stored windows %+v, want s1's for 2 hours", ms)
	}
	within(t, ctx, 20*time.Second, "end it",
		chromedp.Click(chromedp.CSS(`#maint-end`)),
		chromedp.WaitVisible(chromedp.CSS(`#maint-start`)),
	)
	if ms, _ := ev.maint.Maintenance(context.Background(), "hmp1", testNow); len(ms) != 0 {
		t.Errorf("windows after ending: %+v", ms)
	}
}

// TestBrowserReplayUpload: an analyst uploads a pair from the Replay page,
// then a second recording of the same name, which replaces the first only
// once they confirm it; then a SigMF archive in one file.
func TestBrowserReplayUpload(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	src := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := []string{write("x.sigmf-meta", tinyMeta("ci8", "", "")), write("x.sigmf-data", tinyData(32))}
	os.Mkdir(filepath.Join(src, "2"), 0o755)
	second := []string{write("2/x.sigmf-meta", tinyMeta("ci8", "", "")), write("2/x.sigmf-data", tinyData(48))}
	arch := filepath.Join(src, "packed.sigmf")
	if err := sigmf.WriteArchive(arch, write("packed.sigmf-meta", tinyMeta("ci8", "", "")), write("packed.sigmf-data", tinyData(32))); err != nil {
		t.Fatal(err)
	}
	stored := func() int {
		st, err := os.Stat(filepath.Join(ev.deps.ReplayDir, "uploads", "x.sigmf-data"))
		if err != nil {
			return -1
		}
		return int(st.Size())
	}
	// upload chooses files and waits for the status line to say want
	upload := func(files []string, want string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{
			chromedp.Evaluate[chromedp.Void](`document.getElementById('r-status').textContent = ''`),
			chromedp.SetUploadFiles(chromedp.CSS(`#r-upload`), files),
			chromedp.Poll[chromedp.Void](`document.getElementById('r-status').textContent === ` + strconv.Quote(want)),
		}
	}
	browserLogin(t, ctx, srv.URL, "analyst", "analyst-password")
	within(t, ctx, 10*time.Second, "the Replay page",
		chromedp.Navigate(srv.URL+"/#replay"),
		chromedp.WaitVisible(chromedp.CSS(`#r-upload`)),
		chromedp.Evaluate[chromedp.Void](`window.asked = []; window.answer = false; window.confirm = (m) => { asked.push(m); return answer; }`),
	)
	within(t, ctx, 10*time.Second, "upload a pair", upload(first, "uploaded")...)
	const exists = `upload: recording "uploads/x.sigmf-meta" exists; upload with replace=1 to replace it`
	within(t, ctx, 10*time.Second, "the same name, not confirmed", upload(second, exists)...)
	if got := stored(); got != 64 {
		t.Errorf("after a replacement not confirmed: %d bytes stored, want the first upload's 64", got)
	}
	within(t, ctx, 10*time.Second, "the same name, confirmed",
		append([]chromedp.Action[chromedp.Void]{chromedp.Evaluate[chromedp.Void](`window.answer = true`)},
			upload(second, "uploaded, replacing the earlier uploads/x.sigmf-meta")...)...)
	if got := stored(); got != 96 {
		t.Errorf("after a confirmed replacement: %d bytes stored, want the second upload's 96", got)
	}
	within(t, ctx, 10*time.Second, "an archive", upload([]string{arch}, "uploaded")...)
	asked, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`asked`))
	if err != nil || len(asked) != 2 || !strings.HasPrefix(asked[0], exists) || !strings.HasPrefix(asked[1], exists) {
		t.Errorf("confirmations asked %q (%v), want 2 naming the existing recording", asked, err)
	}
	if v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('r-file').value`)); err != nil || v != "uploads/packed.sigmf-meta" {
		t.Errorf("recording chosen after the archive upload %q (%v), want uploads/packed.sigmf-meta", v, err)
	}
}

// TestBrowserRegistryForm: an entry added on the Registry page without a
// start is valid from the system's clock (testNow, in the past like the
// demo's), not the browser's, which is ahead of it; an entry stored
// before a rule it breaks is marked in the list, and so is one whose
// stored body does not decode (it has no name: the list names its ID).
func TestBrowserRegistryForm(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	ev.reg.entries[1] = registry.Entry{ID: 1, Name: "Old open entry", Kind: registry.KindKiosk, Problem: "signature freq_min_hz is 0"}
	ev.reg.entries[9] = registry.Entry{ID: 9, Problem: "stored entry does not decode (unexpected end of JSON input): save it anew, in full, to replace it"}
	browserLogin(t, ctx, srv.URL, "admin", "admin-password")
	within(t, ctx, 20*time.Second, "add an entry",
		chromedp.Navigate(srv.URL+"/#registry"),
		chromedp.WaitVisible(chromedp.CSS(`#reg-rows tr[data-id="1"]`)),
		chromedp.Click(chromedp.CSS(`#reg-new`)),
		chromedp.WaitVisible(chromedp.CSS(`#reg-form`)),
		chromedp.SetValue(chromedp.CSS(`#reg-form [name=name]`), "Kiosk A"),
		chromedp.SetValue(chromedp.CSS(`#reg-form [name=kind]`), "kiosk"),
		chromedp.SetValue(chromedp.CSS(`#reg-form [name=fmin]`), "2400"),
		chromedp.SetValue(chromedp.CSS(`#reg-form [name=fmax]`), "2483.5"),
		chromedp.SetValue(chromedp.CSS(`#reg-form [name=rooms]`), "a-101"),
		chromedp.Click(chromedp.CSS(`#reg-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#reg-rows tr[data-id="2"]`)),
	)
	shot(t, ctx, "registry-added")
	e, err := ev.reg.Get(context.Background(), 2)
	if err != nil || e.Name != "Kiosk A" || !e.ValidFrom.Equal(testNow) {
		t.Errorf("stored %+v, %v; want Kiosk A valid from the system's clock %s", e, err, testNow)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#reg-rows tr[data-id="1"]').textContent`))
	if err != nil || !strings.Contains(text, "authorises nothing") || !strings.Contains(text, "freq_min_hz") {
		t.Errorf("the entry with a problem reads %q, %v", text, err)
	}
	text, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#reg-rows tr[data-id="9"] td:nth-child(2)').textContent`))
	if err != nil || !strings.Contains(text, "entry 9") || !strings.Contains(text, "authorises nothing") || !strings.Contains(text, "does not decode") {
		t.Errorf("the entry that does not decode reads %q, %v; want it named by its ID, with its problem", text, err)
	}
}
