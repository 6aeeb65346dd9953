package dashboard

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

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
		const pat = q('#floor pattern#hatch'), opaque = pat ? [...pat.querySelectorAll('rect')].filter((r) => r.getAttribute('fill') !== 'none' && !(Number(r.getAttribute('fill-opacity') ?? 1) < 1)).length : -1;
		const over = q('#floor polygon.hatch[data-room="a-102"]');
		return [fill('polygon.room[data-room="a-102"]'), q('polygon.room[data-room="a-102"]').dataset.status, over ? over.getAttribute('fill') : 'no hatch',
			over ? getComputedStyle(over).pointerEvents : '', String(opaque), fill('polygon.room[data-room="b-101"]'),
			String(document.querySelectorAll('#floor polygon.hatch[data-room="b-101"]').length), q('#page-heatmap .legend').textContent];
	})()`))
	if err != nil || len(got) != 8 {
		t.Fatalf("floor plan: %v (%v)", got, err)
	}
	if got[0] != "#d1242f" || got[1] != "unknown" || got[2] != "url(#hatch)" || got[3] != "none" || got[4] != "0" {
		t.Errorf("a-102 (7 detections, zone unknown): fill %q status %q, hatch %q (pointer-events %q), opaque rects in #hatch %s; want its heat colour #d1242f under a see-through hatch",
			got[0], got[1], got[2], got[3], got[4])
	}
	if got[5] != "#1d2633" || got[6] != "0" {
		t.Errorf("b-101 (none in the hour, zone ok): fill %q, %s hatches; want #1d2633, none", got[5], got[6])
	}
	if !strings.Contains(got[7], "hatched: zone coverage unknown") {
		t.Errorf("legend %q: want it to say what the hatching means", got[7])
	}
	shot(t, ctx, "hatch-over-heat")
}
