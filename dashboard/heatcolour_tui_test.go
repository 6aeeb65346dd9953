package dashboard

import (
	"math"
	"regexp"
	"strconv"
	"testing"
)

// TestTUIHeatColoursTellApartColourBlind: the floor plan says how busy a
// room is by its fill only (the count is in a hover tooltip), through the
// legend's steps 1+, 5+, 20+. An officer with a red-green colour vision
// deficiency (about 1 man in 12) must still tell neighbouring steps apart:
// their colours, as such a viewer sees them (Machado et al. 2009, full
// severity), must differ by at least 10 in CIELAB (ΔE*76; about 2.3 is a
// just-noticeable difference side by side, far more across a floor plan).
func TestTUIHeatColoursTellApartColourBlind(t *testing.T) {
	js, err := webFS.ReadFile("web/app.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`const heatColour = .*?'(#[0-9a-f]{6})' : .*?'(#[0-9a-f]{6})' : .*?'(#[0-9a-f]{6})' : '(#[0-9a-f]{6})'`).FindSubmatch(js)
	if m == nil {
		t.Fatal("heatColour not found in web/app.js")
	}
	// steps from the busiest down: 20+, 5+, 1+, 0
	steps := []string{string(m[1]), string(m[2]), string(m[3]), string(m[4])}
	names := []string{"top step", "middle step", "first step (1+)", "none (0)"}
	sims := []struct {
		name string
		m    [3][3]float64
	}{
		{"deuteranopia", [3][3]float64{{0.367322, 0.860646, -0.227968}, {0.280085, 0.672501, 0.047413}, {-0.011820, 0.042940, 0.968881}}},
		{"protanopia", [3][3]float64{{0.152286, 1.052583, -0.204868}, {0.114503, 0.786281, 0.099216}, {-0.003882, -0.048116, 1.051998}}},
	}
	for _, s := range sims {
		for i := 0; i+1 < len(steps); i++ {
			if d := deltaE(seen(steps[i], s.m), seen(steps[i+1], s.m)); d < 10 {
				t.Errorf("%s: the heat colours of the %s (%s) and the %s (%s) differ by ΔE %.1f: the two look alike, and the room's count is only in a hover tooltip",
					s.name, names[i], steps[i], names[i+1], steps[i+1], d)
			}
		}
	}
}

// seen returns sRGB colour hex as CIELAB after simulation matrix m on
// linear RGB.
func seen(hex string, m [3][3]float64) [3]float64 {
	var c [3]float64
	for i := range 3 {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			panic(err)
		}
		x := float64(v) / 255
		if x <= 0.04045 {
			c[i] = x / 12.92
		} else {
			c[i] = math.Pow((x+0.055)/1.055, 2.4)
		}
	}
	var l [3]float64
	for i := range 3 {
		l[i] = math.Min(1, math.Max(0, m[i][0]*c[0]+m[i][1]*c[1]+m[i][2]*c[2]))
	}
	X := 0.4124*l[0] + 0.3576*l[1] + 0.1805*l[2]
	Y := 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
	Z := 0.0193*l[0] + 0.1192*l[1] + 0.9505*l[2]
	f := func(t float64) float64 {
		if t > 0.008856 {
			return math.Cbrt(t)
		}
		return 7.787*t + 16.0/116
	}
	fx, fy, fz := f(X/0.9505), f(Y), f(Z/1.089)
	return [3]float64{116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)}
}

func deltaE(a, b [3]float64) float64 {
	return math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
}
