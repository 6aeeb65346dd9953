package dashboard

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestBrowserVagueFixNotOutlined: a fix whose most likely room has less
// than the probability fusion needs to count it on the heatmap (Deps.PlaceMinProb,
// here 0.2, which the page learns from /site) is drawn without outlining
// that room and its tooltip names no room: "location uncertain". A drone's
// controller outside the wall, heard by one sensor at 4% on each of twenty
// rooms, outlined a cell where nothing was. A fix at or above the threshold
// still outlines its room.
func TestBrowserVagueFixNotOutlined(t *testing.T) {
	ctx, ev, srv := browserDashboard(t, func(d *Deps) { d.PlaceMinProb = 0.2 })
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "the floor plan",
		chromedp.Navigate(srv.URL+"/#heatmap"),
		chromedp.WaitReady(chromedp.CSS(`#page-heatmap[data-drawn]`)),
	)
	for deadline := time.Now().Add(5 * time.Second); ev.deps.Hub.Clients() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the page never subscribed to the live feed")
		}
	}
	fix := func(track, room string, prob float64, x float64) store.LocationRecord {
		return store.LocationRecord{Site: "hmp1", Track: track, Class: event.ClassRCFHSS, TimeNS: testNow.Add(time.Minute).UnixNano(), Floor: "g",
			Room: room, RoomProb: prob, RoomProbs: map[string]float64{room: prob}, XM: x, YM: 2, SemiMajorM: 20, SemiMinorM: 10}
	}
	ev.deps.Hub.PublishLocation(fix("trk-14", "a-101", 0.04, 7.5)) // the controller: dot drawn in a-103
	ev.deps.Hub.PublishLocation(fix("trk-15", "a-103", 0.15, 7.5)) // below 0.2, above fusion's default 0.1
	ev.deps.Hub.PublishLocation(fix("trk-16", "b-102", 0.2, 4.5))  // at the threshold: placed
	within(t, ctx, 5*time.Second, "the fixes drawn",
		chromedp.WaitReady(chromedp.CSS(`#emitters g[data-track="trk-14"]`)),
		chromedp.WaitReady(chromedp.CSS(`#emitters g[data-track="trk-15"]`)),
		chromedp.WaitReady(chromedp.CSS(`polygon[data-room="b-102"].located`)),
	)
	shot(t, ctx, "vague-fix")
	// a-102 holds t1, from the store
	located, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('polygon.room.located')].map((p) => p.dataset.room)`))
	if err != nil || strings.Join(located, " ") != "a-102 b-102" {
		t.Errorf("rooms outlined %v (%v), want a-102 and b-102 (the vague fixes outline none)", located, err)
	}
	for _, tr := range []string{"trk-14", "trk-15"} {
		title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#emitters g[data-track="`+tr+`"] title').textContent`))
		if err != nil || !strings.Contains(title, "location uncertain") || strings.Contains(title, "a-10") || strings.Contains(title, " in ") {
			t.Errorf("%s's tooltip %q (%v): want \"location uncertain\" and no room named", tr, title, err)
		}
	}
	if title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#emitters g[data-track="trk-16"] title').textContent`)); err != nil || !strings.Contains(title, "in b-102 (20%)") {
		t.Errorf("trk-16's tooltip %q (%v): want its room, b-102 (20%%)", title, err)
	}
}
