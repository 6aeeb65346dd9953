package dashboard

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
	"github.com/rfwarden/rfwarden/internal/rusage"
	"golang.org/x/crypto/bcrypt"
)

var benchDetections = flag.Int("bench-detections", 1_000_000, "detections stored for BenchmarkBrowserMainPage")

// perfRooms is the room count of perfSite; storetest.Fill spreads
// detections over rooms R000..R(perfRooms-1).
const perfRooms = 120

// perfNow is the clock of the performance tests: 17 minutes before the end
// of the week storetest.Fill covers, so the windows have partial hours.
var perfNow = storetest.Base.Add(7*24*time.Hour - 17*time.Minute)

// perfSite is a three-floor block of perfRooms cells, 40 a floor in a 10x4
// grid of 3x4 m, in zones wing-a, wing-b and wing-c (one a floor).
func perfSite() *site.Site {
	s := &site.Site{ID: "hmp1", Name: "HMP Perf"}
	for f := 0; f < 3; f++ {
		fid := fmt.Sprintf("f%d", f)
		s.Floors = append(s.Floors, site.Floor{ID: fid, Name: fmt.Sprintf("Floor %d", f)})
		s.Sensors = append(s.Sensors, site.Sensor{ID: "s" + fid, Floor: fid, Pos: site.Point{X: 15, Y: 8}})
		for i := 0; i < perfRooms/3; i++ {
			x, y := float64(i%10)*3, float64(i/10)*4
			s.Rooms = append(s.Rooms, site.Room{ID: fmt.Sprintf("R%03d", f*perfRooms/3+i), Floor: fid, Kind: site.KindCell,
				Zone: fmt.Sprintf("wing-%c", 'a'+f), Polygon: []site.Point{{X: x, Y: y}, {X: x + 3, Y: y}, {X: x + 3, Y: y + 4}, {X: x, Y: y + 4}}})
		}
	}
	return s
}

// perfServer serves the dashboard over a SQLite store holding detections
// (storetest.Fill: one week, perfRooms rooms, one in five authorised), 250
// alerts over the week (one in ten still firing) and 200 located emitters
// in the last 30 minutes. It has one user, admin / admin-password.
func perfServer(tb testing.TB, detections int) (*httptest.Server, *store.SQLite) {
	tb.Helper()
	ctx := context.Background()
	db, err := store.OpenSQLite(filepath.Join(tb.TempDir(), "rfw.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	start := time.Now()
	tb.Logf("filling the store with %d detections (about a minute a million)", detections)
	if err := storetest.Fill(ctx, db, "hmp1", detections, perfRooms); err != nil {
		tb.Fatalf("fill: %v", err)
	}
	tb.Logf("filled in %v", time.Since(start).Round(time.Millisecond))
	const alerts = 250
	for i := 0; i < alerts; i++ {
		at := perfNow.Add(-time.Duration(i) * 7 * 24 * time.Hour / alerts).UnixNano()
		room := fmt.Sprintf("R%03d", i%perfRooms)
		state := event.AlertResolved
		if i%10 == 0 {
			state = event.AlertFiring // 25 still firing, over the whole week
		}
		a := event.Alert{Schema: 1, ID: fmt.Sprintf("al%04d", i), Site: "hmp1", Rule: "illicit_phone", Severity: event.SeverityCritical,
			State: state, Summary: "NR uplink in " + room, Room: room, Zone: "wing-a", Probability: 0.8,
			RoomProbs: map[string]float64{room: 0.8}, Evidence: []string{"f000000001"}, ActiveNS: at, UpdatedNS: at}
		if err := db.UpsertAlert(ctx, a); err != nil {
			tb.Fatal(err)
		}
	}
	var locs []store.LocationRecord
	for i := 0; i < 200; i++ {
		room := fmt.Sprintf("R%03d", i%(perfRooms/3))
		locs = append(locs, store.LocationRecord{Site: "hmp1", Track: fmt.Sprintf("t%03d", i), Class: event.ClassNR, Link: event.LinkUplink,
			TimeNS: perfNow.Add(-time.Duration(i) * 9 * time.Second).UnixNano(), Floor: "f0", Room: room, RoomProb: 0.7,
			RoomProbs: map[string]float64{room: 0.7}, XM: float64(i%10)*3 + 1.5, YM: float64(i/10%4)*4 + 2, SemiMajorM: 1.5, SemiMinorM: 0.8})
	}
	if err := db.WriteLocations(ctx, locs); err != nil {
		tb.Fatal(err)
	}
	users, err := NewUsers(ctx, db.DB(), UsersOptions{BcryptCost: bcrypt.MinCost, Now: func() time.Time { return perfNow }})
	if err != nil {
		tb.Fatal(err)
	}
	if err := users.Create(ctx, "admin", "admin-password", RoleAdmin); err != nil {
		tb.Fatal(err)
	}
	e, err := New(Deps{Users: users, Site: perfSite(), TimeSeries: db, Alerts: db, Auditor: db, Now: func() time.Time { return perfNow }})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(e)
	tb.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
	return srv, db
}

// loadTiming is one page load as the browser's Performance API saw it, in
// milliseconds since navigation start.
type loadTiming struct {
	DOMInteractiveMS float64 `json:"dom"`   // navigation timing domInteractive
	LoadEventEndMS   float64 `json:"load"`  // navigation timing loadEventEnd
	DrawnMS          float64 `json:"drawn"` // the page's first data drawn (app.js mark rfw-drawn-<page>)
	Count            int     `json:"count"` // data-drawn: rows or rooms drawn
	// Fetches are the page's requests, to see where the time goes.
	Fetches []fetchTiming `json:"fetches"`
}

// fetchTiming is one resource timing entry: a request's path and when it
// started and finished, in ms since navigation start.
type fetchTiming struct {
	Path    string  `json:"path"`
	StartMS float64 `json:"start"`
	EndMS   float64 `json:"end"`
}

// browserLogin logs in through the form and waits for the main page.
func browserLogin(tb testing.TB, ctx context.Context, url, user, pass string) {
	tb.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(c,
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#login-user`)),
		chromedp.SendKeys(chromedp.CSS(`#login-user`), user),
		chromedp.SendKeys(chromedp.CSS(`#login-pass`), pass),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
		chromedp.WaitReady(chromedp.CSS(`#page-alerts[data-drawn]`)),
	); err != nil {
		tb.Fatalf("log in: %v", err)
	}
}

// timingJS reads a loadTiming of page from the browser: times relative to
// t0 (a JS expression, ms since navigation start), fetches started after it.
func timingJS(page, t0 string) string {
	return `(() => {
		const t0 = ` + t0 + `, n = performance.getEntriesByType('navigation')[0], m = performance.getEntriesByName('rfw-drawn-` + page + `');
		return {dom: n.domInteractive, load: n.loadEventEnd, drawn: m.length ? m[m.length - 1].startTime - t0 : -1,
			count: +document.getElementById('page-` + page + `').dataset.drawn,
			fetches: performance.getEntriesByType('resource').filter((r) => r.startTime >= t0).map((r) => {
				const u = new URL(r.name); return {path: u.pathname + u.search, start: r.startTime - t0, end: r.responseEnd - t0}; })};
	})()`
}

// measureLoad loads url afresh (from about:blank, so it is a full
// navigation with the session cookie) and waits until page has drawn its
// data and the load event has ended.
func measureLoad(ctx context.Context, url, page string) (loadTiming, error) {
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var lt loadTiming
	err := chromedp.Do(c,
		chromedp.Navigate("about:blank"),
		chromedp.Navigate(url),
		chromedp.WaitReady(chromedp.CSS(`#page-`+page+`[data-drawn]`)),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			for { // loadEventEnd is 0 until the load event has finished
				v, err := chromedp.Evaluate[loadTiming](timingJS(page, "0"))(ctx, tg)
				if err != nil || v.LoadEventEndMS > 0 {
					lt = v
					return err
				}
				time.Sleep(10 * time.Millisecond)
			}
		}),
	)
	if err != nil {
		return lt, fmt.Errorf("load %s: %w", url, err)
	}
	if lt.DrawnMS < 0 {
		return lt, fmt.Errorf("load %s: no performance mark rfw-drawn-%s", url, page)
	}
	return lt, nil
}

// measureWeek switches the loaded heatmap to the week window and answers
// its timing: DrawnMS from the change until the page has drawn it again.
func measureWeek(ctx context.Context) (loadTiming, error) {
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var lt loadTiming
	err := chromedp.Do(c,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`(() => { window.rfwT0 = performance.now(); const s = document.getElementById('h-window');
				s.value = 'week'; s.dispatchEvent(new Event('change')); return true; })()`)(ctx, tg)
			return err
		}),
		chromedp.WaitReady(chromedp.CSS(`#page-heatmap[data-drawn]`)),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			var err error
			lt, err = chromedp.Evaluate[loadTiming](timingJS("heatmap", "window.rfwT0"))(ctx, tg)
			return err
		}),
	)
	if err != nil {
		return lt, fmt.Errorf("heatmap week window: %w", err)
	}
	return lt, nil
}

// processCPU is the user+system CPU time of this process (the dashboard
// server and the chromedp client, not chromium).
func processCPU(tb testing.TB) time.Duration {
	u, err := rusage.Self()
	if err != nil {
		tb.Skipf("process CPU time: %v", err)
	}
	return u.CPU()
}

// pageLoads are the main pages the performance tests load: the control
// room's alert feed and the floor-plan heatmap.
var pageLoads = []struct{ page, hash string }{{"alerts", "#alerts"}, {"heatmap", "#heatmap"}}

// median and max of xs (not empty).
func medianMax(xs []float64) (med, max float64) {
	s := slices.Sorted(slices.Values(xs))
	med = s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return med, s[len(s)-1]
}

// TestBrowserMainPageInteractive loads the alert feed and the heatmap over a
// real SQLite store with a small fill and checks that each page draws what
// the store holds, and that it does so well within the 1 s target (the
// bound is loose here because this test runs under -race on busy CI; the
// 1 s figure with a million detections comes from BenchmarkBrowserMainPage).
func TestBrowserMainPageInteractive(t *testing.T) {
	ctx := newBrowser(t)
	srv, db := perfServer(t, 1_200) // SQLite is slow under -race; BenchmarkBrowserMainPage fills a million
	browserLogin(t, ctx, srv.URL, "admin", "admin-password")
	const loads = 3
	for _, pl := range pageLoads {
		var drawnMS []float64
		for i := 0; i < loads; i++ {
			lt, err := measureLoad(ctx, srv.URL+"/"+pl.hash, pl.page)
			if err != nil {
				t.Fatal(err)
			}
			wantCount := ListAlertsLimit // alerts: the 25 firing, then the 175 newest of the week's 225 resolved
			if pl.page == "heatmap" {
				wantCount = perfRooms
			}
			if lt.Count != wantCount {
				t.Errorf("%s load %d drew %d, want %d", pl.page, i, lt.Count, wantCount)
			}
			if lt.DrawnMS < lt.DOMInteractiveMS {
				t.Errorf("%s load %d: data drawn at %.0f ms, before domInteractive at %.0f ms", pl.page, i, lt.DrawnMS, lt.DOMInteractiveMS)
			}
			drawnMS = append(drawnMS, lt.DrawnMS)
		}
		med, max := medianMax(drawnMS)
		// Logged, not asserted: speed is judged by BenchmarkBrowserMainPage
		// (docs/performance.md), not by a timed test on a shared machine.
		t.Logf("%s: data drawn median %.0f ms, max %.0f ms over %d loads", pl.page, med, max, loads)
	}
	week, err := measureWeek(ctx)
	if err != nil || week.Count != perfRooms {
		t.Fatalf("heatmap week window: %d rooms drawn, %v", week.Count, err)
	}
	t.Logf("heatmap week window redrawn in %.0f ms", week.DrawnMS)
	// The heatmap on screen shows the store's counts of the week's targets.
	cells, err := db.Heatmap(context.Background(), "hmp1", perfNow.Add(-7*24*time.Hour), perfNow, store.HeatTargets)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{}
	for _, c := range cells {
		want[c.Room] += c.Count
	}
	// Floor f0 is shown first; rooms R000, R005, ... hold only authorised
	// detections (storetest.Fill), so check others.
	for _, room := range []string{"R001", "R017", "R039"} {
		got, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`polygon[data-room="`+room+`"]`), "data-count"))
		if err != nil || want[room] == 0 || got.Value != fmt.Sprint(want[room]) {
			t.Errorf("room %s: data-count %q (%v), want %d (not 0)", room, got.Value, err, want[room])
		}
	}
}

// BenchmarkBrowserMainPage is the "main page interactive in ≤ 1 s" figure:
// with -bench-detections (default one million, filled once, about a minute)
// in SQLite, each iteration loads the alert feed and the heatmap afresh in
// headless chromium and switches the heatmap to the week window. It reports
// the median and max over the iterations of the time from navigation start
// until each page's data is drawn, and of the week redraw, and the server's
// CPU time per iteration (server-cpu-ms/op). Run:
//
//	go test -tags integration -run '^$' -bench BrowserMainPage -benchtime 10x ./dashboard/
func BenchmarkBrowserMainPage(b *testing.B) {
	ctx := newBrowser(b)
	srv, _ := perfServer(b, *benchDetections)
	browserLogin(b, ctx, srv.URL, "admin", "admin-password")
	samples := map[string][]float64{}
	var last loadTiming
	cpu0 := processCPU(b)
	for b.Loop() {
		for _, pl := range pageLoads {
			lt, err := measureLoad(ctx, srv.URL+"/"+pl.hash, pl.page)
			if err != nil {
				b.Fatal(err)
			}
			samples[pl.page+"-dom"] = append(samples[pl.page+"-dom"], lt.DOMInteractiveMS)
			samples[pl.page+"-load"] = append(samples[pl.page+"-load"], lt.LoadEventEndMS)
			samples[pl.page+"-drawn"] = append(samples[pl.page+"-drawn"], lt.DrawnMS)
			last = lt
		}
		week, err := measureWeek(ctx)
		if err != nil {
			b.Fatal(err)
		}
		samples["heatmap-week-redraw"] = append(samples["heatmap-week-redraw"], week.DrawnMS)
		if len(samples["heatmap-week-redraw"]) == 1 { // where the time goes, once
			for _, lt := range []loadTiming{last, week} {
				b.Logf("heatmap data drawn at %.0f ms; its fetches:", lt.DrawnMS)
				for _, f := range lt.Fetches {
					b.Logf("  %-40s %6.0f .. %6.0f ms", f.Path, f.StartMS, f.EndMS)
				}
			}
		}
	}
	b.ReportMetric(float64((processCPU(b)-cpu0).Milliseconds())/float64(b.N), "server-cpu-ms/op")
	keys := slices.Sorted(maps.Keys(samples))
	for _, k := range keys {
		med, max := medianMax(samples[k])
		b.ReportMetric(med, k+"-median-ms")
		b.ReportMetric(max, k+"-max-ms")
		b.Logf("%-20s median %6.0f ms  max %6.0f ms  (%d loads, %d detections)", k, med, max, len(samples[k]), *benchDetections)
	}
}
