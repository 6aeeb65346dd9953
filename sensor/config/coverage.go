package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/dsp/bandplan"
)

// DroneIDDwell is the dwell a tuning needs to hear a DJI DroneID period
// whatever its phase: a 0.64 ms burst about every 600 ms (docs/simulator.md;
// the real Mavic Air 2 recording). A dwell of D hears one on about
// D/600 ms of its visits.
const DroneIDDwell = 600 * time.Millisecond

// DroneCoverage returns notes on the drone bands of plan
// (bandplan.DroneBands: 433/868/915 MHz RC, 2.4 GHz, 5.8 GHz SRD and FPV,
// 1.3 GHz video) that c's scan plan leaves out, wholly or in part, and on
// the DroneID bands it scans with no tuning dwelling DroneIDDwell or more;
// nil when it covers them all. A drone heard only in a band left out is
// not heard at all: `rfwarden sensor --check` prints these notes.
func DroneCoverage(c Config, plan *bandplan.Plan) []string {
	var notes []string
	for _, b := range plan.DroneBands() {
		var parts []string
		gaps := uncovered(c.Bands, b.LowHz, b.HighHz)
		switch {
		case len(gaps) == 1 && gaps[0] == [2]float64{b.LowHz, b.HighHz}:
			notes = append(notes, fmt.Sprintf("%s: not scanned", bandText(b)))
			continue
		case len(gaps) > 0:
			spans := make([]string, len(gaps))
			for i, g := range gaps {
				spans[i] = mhzSpan(g[0], g[1])
			}
			parts = append(parts, strings.Join(spans, ", ")+" MHz not scanned")
		}
		if b.HasTech("droneid") {
			var longest time.Duration
			for _, cb := range c.Bands {
				if cb.LowHz < b.HighHz && cb.HighHz > b.LowHz {
					longest = max(longest, cb.Dwell)
				}
			}
			if longest < DroneIDDwell {
				parts = append(parts, fmt.Sprintf("no tuning dwells %v or more (longest %v): a DroneID burst (0.64 ms every ~600 ms) is heard on about %.0f%% of visits",
					DroneIDDwell, longest, 100*float64(longest)/float64(DroneIDDwell)))
			}
		}
		if len(parts) > 0 {
			notes = append(notes, bandText(b)+": "+strings.Join(parts, "; "))
		}
	}
	return notes
}

// uncovered returns the parts of [lowHz, highHz] no band of bands covers,
// in order.
func uncovered(bands []Band, lowHz, highHz float64) [][2]float64 {
	spans := make([][2]float64, 0, len(bands))
	for _, b := range bands {
		if b.LowHz < highHz && b.HighHz > lowHz {
			spans = append(spans, [2]float64{b.LowHz, b.HighHz})
		}
	}
	slices.SortFunc(spans, func(a, b [2]float64) int {
		switch {
		case a[0] < b[0]:
			return -1
		case a[0] > b[0]:
			return 1
		}
		return 0
	})
	var gaps [][2]float64
	at := lowHz
	for _, s := range spans {
		if s[0] > at {
			gaps = append(gaps, [2]float64{at, s[0]})
		}
		at = max(at, s[1])
	}
	if at < highHz {
		gaps = append(gaps, [2]float64{at, highHz})
	}
	return gaps
}

// bandText is a band's name and edges: "SRD 868 (863–870 MHz)".
func bandText(b bandplan.Band) string {
	return fmt.Sprintf("%s (%s MHz)", b.Name, mhzSpan(b.LowHz, b.HighHz))
}

// mhzSpan is lowHz–highHz in MHz, as short as exact: "2400–2483.5".
func mhzSpan(lowHz, highHz float64) string {
	return strconv.FormatFloat(lowHz/1e6, 'f', -1, 64) + "–" + strconv.FormatFloat(highHz/1e6, 'f', -1, 64)
}
