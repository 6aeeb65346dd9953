package registry

import (
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// Kinds of authorised device.
const (
	KindStaffRadio      = "staff_radio"
	KindInCellTablet    = "in_cell_tablet"
	KindKiosk           = "kiosk"
	KindOfficialPhone   = "official_phone"
	KindWiFiAP          = "wifi_ap"
	KindBodyCamera      = "body_camera"
	KindAuthorisedDrone = "authorised_drone"
)

// Signature is what an authorised emission looks like. The frequency range
// is required (0 < FreqMinHz < FreqMaxHz, at most MaxBandHz wide, within
// the 1 MHz to 6 GHz rfwarden's sensors receive; Validate);
// zero bandwidth bounds and nil power bounds are open, and given ones must
// be finite, in range and ordered (Validate).
type Signature struct {
	// Class is the event class the device sends; "" for any class but
	// the drone ones (event.DroneClass: a class-less Wi-Fi access point or
	// CCTV bridge over 2.4 or 5.8 GHz would otherwise authorise every drone
	// flying there), which only an entry naming the class,
	// or one of KindAuthorisedDrone, authorises.
	Class          string   `json:"class"`
	FreqMinHz      float64  `json:"freq_min_hz"`
	FreqMaxHz      float64  `json:"freq_max_hz"`
	BandwidthMinHz float64  `json:"bandwidth_min_hz,omitempty"`
	BandwidthMaxHz float64  `json:"bandwidth_max_hz,omitempty"`
	PowerMinDBm    *float64 `json:"power_min_dbm,omitempty"`
	PowerMaxDBm    *float64 `json:"power_max_dbm,omitempty"`
}

// Window is one weekly time window in site local time: from Start to End
// minutes after midnight on Weekday (End may pass midnight up to 48h).
type Window struct {
	Weekday  time.Weekday `json:"weekday"`
	StartMin int          `json:"start_min"`
	EndMin   int          `json:"end_min"`
}

// Entry is one authorised device.
type Entry struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	Signature Signature `json:"signature"`
	Rooms     []string  `json:"rooms,omitempty"`    // allowed rooms; empty with empty Zones means anywhere on site
	Zones     []string  `json:"zones,omitempty"`    // allowed zones (e.g. wings)
	Schedule  []Window  `json:"schedule,omitempty"` // empty means always
	ValidFrom time.Time `json:"valid_from"`
	// ValidUntil is when the entry ends; zero means no end, written as no
	// valid_until at all (omitzero: omitempty leaves a time.Time in, as
	// "0001-01-01T00:00:00Z", which a client reads as an end in year 1).
	// Read back, a missing one, null and that zero time are all no end.
	ValidUntil time.Time `json:"valid_until,omitzero"`
	AddedBy    string    `json:"added_by"`
	Notes      string    `json:"notes,omitempty"`
	// Problem, set when the registry loads an entry stored before a rule
	// it breaks (Validate), or one whose stored body does not decode (then
	// ID and whatever did decode are set), says what is wrong; such an
	// entry authorises nothing until it is fixed. Never stored: ignored on
	// input.
	//
	// Problem is also set, with UnknownPlaces, for an entry that keeps the
	// rules but names rooms or zones the site model has not (a wing
	// renamed since it was saved): that one authorises nothing in those
	// places and still authorises in the others it names (Match).
	Problem string `json:"problem,omitempty"`
	// UnknownPlaces lists the rooms and zones ("room X", "zone Y") the
	// entry names that the site model has not, when that is its Problem;
	// nil otherwise. Never stored: ignored on input.
	UnknownPlaces []string `json:"unknown_places,omitempty"`
	// Revision names the stored entry as it was read (a hash of its
	// stored body). Never stored. An update that carries one must carry
	// the entry's current one, else it is refused with ErrConflict: an
	// admin saving a form loaded before another admin expired the entry
	// would otherwise have silently authorised the device again.
	Revision string `json:"revision,omitempty"`
	// Warnings says what an entry that keeps the rules authorises other
	// than its author may think: one with no class whose band overlaps a
	// drone band (433/868/915 MHz RC, 2.4 GHz, 5.8 GHz, 1.3 GHz video)
	// authorises no drone there (droneWarning); one that may authorise a
	// phone over a cellular uplink band, with no places, zones holding
	// cells, or cells, authorises phone uplinks in every one of those
	// cells (phoneWarning); one naming class lte, nr or umts over a
	// cellular uplink may authorise few of a phone's detections, mostly
	// published with class unknown (techClassWarning); one that authorises a drone class with no rooms or
	// zones authorises every such drone in its band on the site, outside
	// the wall included (droneSiteWarning); one of the same kind as
	// another live entry, in an overlapping band and places, names it
	// (overlapWarning, worked out at load against the others: Add,
	// Update and the import answer with the entry as loaded). Set by Add, Update and every
	// load, which logs it;
	// never stored: ignored on input.
	Warnings []string `json:"warnings,omitempty"`
}

// authorisesClass reports whether e may authorise an emission of class:
// its signature's class; with none, any class but a drone one unless e is
// KindAuthorisedDrone.
func (e Entry) authorisesClass(class string) bool {
	switch {
	case e.Signature.Class != "":
		return e.Signature.Class == class
	case event.DroneClass(class):
		return e.Kind == KindAuthorisedDrone
	}
	return true
}
