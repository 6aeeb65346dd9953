package bandplan

import (
	"strings"
	"testing"
)

// TestLoadRefusesBadEdges checks every edge rule of Load, band by band: a
// band of zero width (low_hz = high_hz) holds no emission and is a typo
// for a real band, so it is refused as an inverted one is.
func TestLoadRefusesBadEdges(t *testing.T) {
	for _, tc := range []struct {
		name, low, high string
		want            string // "" for a plan Load accepts
	}{
		{"ordinary", "1920e6", "1980e6", ""},
		{"one hertz wide", "1920e6", "1920.000001e6", ""},
		{"zero width", "1920e6", "1920e6", "bad edges: high_hz"},
		{"inverted", "1980e6", "1920e6", "bad edges: high_hz"},
		{"zero low", "0", "1980e6", "bad edges: low_hz"},
		{"negative low", "-1", "1980e6", "bad edges: low_hz"},
		{"infinite high", "1920e6", ".inf", "bad edges: high_hz"},
		{"NaN low", ".nan", "1980e6", "bad edges: low_hz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := "bands:\n  - {name: X, tech: [lte], link: tdd, low_hz: " + tc.low + ", high_hz: " + tc.high + "}\n"
			_, err := Load(strings.NewReader(plan))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Load: %v, want ok", err)
			case tc.want != "" && err == nil:
				t.Fatalf("Load accepted low_hz %s high_hz %s, want an error mentioning %q", tc.low, tc.high, tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("Load: %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// TestLookupEdgeTouchIsNoOverlap checks that a span ending exactly where a
// band starts (or starting where it ends) is not in it: Lookup names a band
// only for a span that overlaps it, and BandLink would otherwise label an
// emission with the link of a band it is not in.
func TestLookupEdgeTouchIsNoOverlap(t *testing.T) {
	p, err := Load(strings.NewReader(`bands:
  - {name: UL, tech: [lte], link: uplink, low_hz: 1000e6, high_hz: 1010e6, pair: DL}
  - {name: DL, tech: [lte], link: downlink, low_hz: 1020e6, high_hz: 1030e6, pair: UL}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name               string
		centerHz, bwHz     float64
		wantName, wantLink string // "" for no band
	}{
		{"ends where UL starts", 995e6, 10e6, "", ""},
		{"starts where UL ends, ends where DL starts", 1015e6, 10e6, "", ""},
		{"starts where DL ends", 1035e6, 10e6, "", ""},
		{"one hertz into UL", 995.000001e6, 10e6, "UL", LinkUplink},
		{"inside DL", 1025e6, 1e6, "DL", LinkDownlink},
		{"zero width on UL's lower edge", 1000e6, 0, "UL", LinkUplink},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, link, ok := p.BandLink(tc.centerHz, tc.bwHz)
			if tc.wantName == "" {
				if ok || len(p.Lookup(tc.centerHz, tc.bwHz)) != 0 {
					t.Fatalf("BandLink(%g, %g) = %q %q, want no band", tc.centerHz, tc.bwHz, name, link)
				}
				return
			}
			if !ok || name != tc.wantName || link != tc.wantLink {
				t.Fatalf("BandLink(%g, %g) = %q %q %v, want %q %q", tc.centerHz, tc.bwHz, name, link, ok, tc.wantName, tc.wantLink)
			}
		})
	}
}
