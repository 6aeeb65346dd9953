package dashboard

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestTUIHeatOverlayContrast: what the floor plan draws over a room's
// heat colour must stand out from it on every step (WCAG 2.2 1.4.11 and
// 1.4.3): the hatch of an unknown zone's rooms, the room's outline and
// the outline of a room an emitter is located in at least 3:1 (graphics),
// the room's name and count at least 4.5:1 (text). The steps are
// viridis's and end in yellow: the hatch (#ccc at 60 %), the outline
// (#8aa) and the located outline (#f85149), chosen on the darkest step,
// read 1.2:1, 2.0:1 and 2.7:1 on the yellow of the busiest rooms, and the
// hatch 1.3:1 on the green: a busy room whose zone's coverage was unknown
// looked covered. The colours are measured as the browser draws them
// (computed styles), on a floor painted with every step. A text's halo
// (stroke under its fill) counts: the glyph reads on its halo (4.5:1),
// and its fill or its halo stands out from the room (4.5:1).
func TestTUIHeatOverlayContrast(t *testing.T) {
	ctx, ev, srv := browserDashboard(t, func(d *Deps) {
		d.Zones = fakeZones{"wing-a": "unknown", "wing-b": "unknown", "yard": "unknown"}
	})
	// the floor's busiest room has 100: steps 1+, 10+, 40+ (heatSteps)
	hour := testNow.Truncate(time.Hour)
	ev.ts.cells = []store.HeatCell{{Room: "a-101", Start: hour, Count: 100}, {Room: "a-102", Start: hour, Count: 20}, {Room: "a-103", Start: hour, Count: 2}}
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 10*time.Second, "floor plan",
		chromedp.Navigate(srv.URL+"/#heatmap"),
		chromedp.WaitReady(chromedp.CSS(`#page-heatmap[data-drawn]`)))
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify([...document.querySelectorAll('#floor polygon.room')].filter((p) => p.dataset.room !== 'yard').map((p) => {
		const cs = (e, k) => e ? getComputedStyle(e)[k] : '';
		const next = (cls) => { for (let e = p.nextElementSibling; e && !e.matches('polygon.room'); e = e.nextElementSibling) if (e.classList.contains(cls)) return e; return null; };
		const h = next('hatch'), id = h ? (h.getAttribute('fill').match(/^url\(#(.+)\)$/) || [])[1] : '';
		const line = id ? document.getElementById(id).querySelector('line') : null;
		const was = p.classList.contains('located');
		p.classList.remove('located');
		const outline = cs(p, 'stroke');
		p.classList.add('located');
		const located = cs(p, 'stroke');
		p.classList.toggle('located', was);
		const label = next('room-label'), count = next('room-count');
		return { room: p.dataset.room, fill: p.getAttribute('fill'), outline, located,
			hatch: cs(line, 'stroke'), hatchOpacity: cs(line, 'strokeOpacity'),
			label: [cs(label, 'fill'), cs(label, 'stroke')], count: [cs(count, 'fill'), cs(count, 'stroke')] };
	}))`))
	if err != nil {
		t.Fatal(err)
	}
	var rooms []struct {
		Room, Fill, Outline, Located, Hatch, HatchOpacity string
		Label, Count                                      [2]string
	}
	if err := json.Unmarshal([]byte(out), &rooms); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	steps := map[string]bool{}
	for _, r := range rooms {
		bg, err := parseColour(r.Fill)
		if err != nil {
			t.Fatalf("room %s fill: %v", r.Room, err)
		}
		steps[r.Fill] = true
		check := func(what, colour string, opacity string, least float64) {
			t.Helper()
			c, err := parseColour(colour)
			if err != nil {
				t.Errorf("room %s (%s): %s: %v", r.Room, r.Fill, what, err)
				return
			}
			a := 1.0
			if opacity != "" {
				if a, err = strconv.ParseFloat(opacity, 64); err != nil {
					t.Errorf("room %s: %s opacity %q", r.Room, what, opacity)
				}
			}
			if got := contrast(over(c, bg, a), bg); got < least {
				t.Errorf("room %s on heat %s: %s %s (opacity %.2g) has contrast %.2f:1 against it, want at least %.1f:1", r.Room, r.Fill, what, colour, a, got, least)
			}
		}
		check("outline", r.Outline, "", 3)
		check("located outline", r.Located, "", 3)
		check("hatch", r.Hatch, r.HatchOpacity, 3)
		for what, txt := range map[string][2]string{"name": r.Label, "count": r.Count} {
			fill, err1 := parseColour(txt[0])
			halo, err2 := parseColour(txt[1])
			if err1 != nil || err2 != nil {
				t.Errorf("room %s: its %s drawn %q: %v %v", r.Room, what, txt, err1, err2)
				continue
			}
			if got := contrast(fill, halo); got < 4.5 {
				t.Errorf("room %s: its %s %s on its halo %s: %.2f:1, want 4.5:1", r.Room, what, txt[0], txt[1], got)
			}
			if got := max(contrast(fill, bg), contrast(halo, bg)); got < 4.5 {
				t.Errorf("room %s on heat %s: its %s (%s, halo %s) has contrast %.2f:1 against it, want 4.5:1", r.Room, r.Fill, what, txt[0], txt[1], got)
			}
		}
	}
	if len(steps) != 4 {
		t.Errorf("the floor was painted with %d heat colours %v, want all four steps", len(steps), steps)
	}
	shot(t, ctx, "heat-overlay-contrast")
}

// parseColour reads a CSS colour as the browser gives it: #rgb, #rrggbb,
// rgb(r, g, b) or rgba(r, g, b, a) (the alpha is refused: overlay
// opacities are given apart).
func parseColour(s string) ([3]float64, error) {
	s = strings.TrimSpace(s)
	var c [3]float64
	switch {
	case strings.HasPrefix(s, "#") && (len(s) == 4 || len(s) == 7):
		h := s[1:]
		if len(h) == 3 {
			h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
		}
		for i := range 3 {
			v, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
			if err != nil {
				return c, fmt.Errorf("colour %q: %w", s, err)
			}
			c[i] = float64(v)
		}
		return c, nil
	case strings.HasPrefix(s, "rgb(") && strings.HasSuffix(s, ")"):
		parts := strings.Split(s[4:len(s)-1], ",")
		if len(parts) != 3 {
			return c, fmt.Errorf("colour %q: not r, g, b", s)
		}
		for i, p := range parts {
			v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return c, fmt.Errorf("colour %q: %w", s, err)
			}
			c[i] = v
		}
		return c, nil
	}
	return c, fmt.Errorf("colour %q: not #rrggbb or rgb()", s)
}

// over is colour c drawn at opacity a over bg (sRGB values 0..255, as
// browsers blend).
func over(c, bg [3]float64, a float64) [3]float64 {
	var o [3]float64
	for i := range 3 {
		o[i] = a*c[i] + (1-a)*bg[i]
	}
	return o
}

// contrast is the WCAG 2 contrast ratio of two sRGB colours (0..255):
// (L1 + 0.05) / (L2 + 0.05) of their relative luminances, the lighter
// over the darker.
func contrast(a, b [3]float64) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// luminance is the WCAG 2 relative luminance of an sRGB colour (0..255).
func luminance(c [3]float64) float64 {
	var l [3]float64
	for i, v := range c {
		x := v / 255
		if x <= 0.04045 {
			l[i] = x / 12.92
		} else {
			l[i] = math.Pow((x+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}

// TestHeatContrastRatio: the contrast ratio against WCAG's own figures.
func TestHeatContrastRatio(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want float64
	}{
		{"#fff", "#000", 21},
		{"#000", "#000", 1},
		{"#777", "#fff", 4.48}, // WebAIM's checker: 4.48:1
		{"rgb(0, 0, 255)", "#fff", 8.59},
	} {
		a, _ := parseColour(tc.a)
		b, _ := parseColour(tc.b)
		if got := contrast(a, b); math.Abs(got-tc.want) > 0.01 {
			t.Errorf("contrast(%s, %s) = %.3f, want %.2f", tc.a, tc.b, got, tc.want)
		}
	}
}
