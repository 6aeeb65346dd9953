package fusion

import (
	"fmt"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/locate"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/internal/english"
)

// The handset CoverageNotes asks the sensors to hear: an LTE phone on a
// band 3 uplink channel (1747.5 MHz) over 4.5 MHz (the simulator's phone-lte-2), at its class's highest
// EIRP (Config.MaxTxDBmByClass, 23 dBm by default), as a phone far from
// its cell, behind a prison's walls, transmits.
const (
	coverageCenterHz = 1747.5e6
	coverageBwHz     = 4.5e6
	coverageClass    = event.ClassLTE
)

// coverageNamed is how many rooms a coverage note names; it counts the
// rest.
const coverageNamed = 5

// CoverageNotes returns what in the site leaves phones unlocated, one
// sentence each: the rooms of kind cell or landing at whose centre fewer
// than locate.MinSensors sensors would hear a handset (coverageClass at
// its highest EIRP) by the location model (path loss, walls, floors) and
// the rule by which a listening sensor's silence counts (its noise and
// DetectSNRDB: hearThresholdDBm), with the count and the first few
// named; and each floor with rooms but no sensor. Localisation fixes a
// position from the heard powers of three sensors; with fewer it leans on
// the silent ones and the EIRP bounds (docs/localisation.md), and a room
// few sensors hear is located vaguely. fusion --check prints them; fusion
// does not log them at its start.
func (e *Engine) CoverageNotes() []string {
	s, loc := e.deps.Site, e.locator
	maxTx, ok := e.cfg.MaxTxDBmByClass[coverageClass]
	if !ok {
		maxTx = loc.Model().MaxTxDBm
	}
	tx := maxTx - loc.RefLossDB(coverageCenterHz)
	var notes []string
	floors := map[string][]site.Sensor{}
	for _, sn := range s.Sensors {
		floors[sn.Floor] = append(floors[sn.Floor], sn)
	}
	for _, f := range s.Floors {
		if len(floors[f.ID]) > 0 {
			continue
		}
		var rooms []string
		for _, r := range s.Rooms {
			if r.Floor == f.ID {
				rooms = append(rooms, r.ID)
			}
		}
		if len(rooms) > 0 {
			notes = append(notes, fmt.Sprintf("floors: floor %q has %d %s and no sensor (%s): a phone there is heard only through floors, by the sensors of the floors around it; put a sensor on it",
				f.ID, len(rooms), english.Plural(len(rooms), "room", "rooms"), english.Some(rooms, coverageNamed)))
		}
	}
	var few []string
	checked := 0
	for _, r := range s.Rooms {
		if r.Kind != site.KindCell && r.Kind != site.KindLanding {
			continue
		}
		checked++
		at, _ := site.InnerPoint(r.Polygon) // a valid room's polygon holds one
		n := 0
		for _, sn := range s.Sensors {
			if p, err := loc.PredictDBm(sn.ID, r.Floor, at, tx); err == nil && p >= e.cfg.hearThresholdDBm(sn.ID, coverageBwHz) {
				if n++; n == locate.MinSensors {
					break
				}
			}
		}
		if n < locate.MinSensors {
			few = append(few, fmt.Sprintf("%s (%d)", r.ID, n))
		}
	}
	if len(few) > 0 {
		notes = append(notes, fmt.Sprintf("sensors: %d of %d cells and landings are heard by fewer than %d sensors (%s: sensors hearing an LTE phone at %v dBm EIRP at the room's centre, by the location model and the sensors' noise and detect SNR): localisation fixes a position from %d; a phone there is located vaguely; add sensors near them, or check the walls' loss_db",
			len(few), checked, locate.MinSensors, english.Some(few, coverageNamed), maxTx, locate.MinSensors))
	}
	return notes
}
