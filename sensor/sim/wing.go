package sim

import (
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"github.com/goccy/go-yaml"
)

// Point is a position in metres in floor coordinates.
type Point struct {
	X float64 `yaml:"x"`
	Y float64 `yaml:"y"`
}

// Floor is a level of the wing.
type Floor struct {
	ID         string  `yaml:"id"`
	Name       string  `yaml:"name"`
	ElevationM float64 `yaml:"elevation_m"`
}

// Room is a polygon on one floor; Kind is one of cell, landing, office,
// yard, perimeter, outside (as in the site model).
type Room struct {
	ID      string  `yaml:"id"`
	Name    string  `yaml:"name"`
	Floor   string  `yaml:"floor"`
	Kind    string  `yaml:"kind"`
	Zone    string  `yaml:"zone"`
	Polygon []Point `yaml:"polygon"`
}

// Wall is a straight segment on one floor attenuating by LossDB.
type Wall struct {
	Floor  string  `yaml:"floor"`
	A      Point   `yaml:"a"`
	B      Point   `yaml:"b"`
	LossDB float64 `yaml:"loss_db"`
}

// SensorInfo is one sensor's antenna.
type SensorInfo struct {
	ID            string   `yaml:"id"`
	Floor         string   `yaml:"floor"`
	Pos           Point    `yaml:"pos"`
	AntennaGainDB float64  `yaml:"antenna_gain_db"`
	OffsetDB      float64  `yaml:"offset_db"`
	Zones         []string `yaml:"zones"`
}

// Emitter kinds.
const (
	KindPhone       = "phone"        // illicit handset
	KindStaffRadio  = "staff_radio"  // authorised narrowband radio
	KindTablet      = "tablet"       // authorised in-cell tablet (Wi-Fi)
	KindAccessPoint = "access_point" // authorised Wi-Fi AP
	KindDrone       = "drone"        // drone (DroneID, video) or its controller
)

// Emitter is one transmitter of the scenario. Pos is where it sits (for a
// drone, where it hovers); a drone approaches from ApproachFrom.
type Emitter struct {
	ID       string
	Kind     string
	Class    string // an event.Class* constant
	Link     string // an event.Link* constant
	Band     string // band-plan name
	Floor    string
	Room     string // room at Pos
	Pos      Point
	HeightM  float64 // above the floor
	CenterHz float64
	// BandwidthHz is the occupied bandwidth of one burst; hoppers spread
	// their bursts over HopSpanHz around CenterHz.
	BandwidthHz float64
	HopSpanHz   float64
	TxPowerDBm  float64 // mean power while a burst is on
	Authorised  bool
	Schedule    Schedule
	// Group makes emitters share their sessions (a drone's DroneID, video and
	// controller); empty means the emitter's own ID.
	Group        string
	ApproachFrom *Point        // drones: start of the approach
	ApproachDur  time.Duration // drones: time to fly from ApproachFrom to Pos (and back)
	// Waveform options passed to dsp/synth.
	BurstLenS, BurstPeriodS, SCSHz float64
	TDD                            bool
}

// Wing is a simulated prison wing. A Wing is immutable after construction
// and safe for concurrent use; Sources made from it are not.
type Wing struct {
	SiteID  string
	Name    string
	Seed    uint64
	Start   time.Time // scenario start: schedules count cycles from here
	Floors  []Floor
	Rooms   []Room
	Walls   []Wall
	sensors []SensorInfo
	emit    []Emitter
}

// Propagation constants of the model.
const (
	PathLossExponent = 3.0 // indoor log-distance exponent beyond 1 m
	FloorLossDB      = 18.0
	ShadowSigmaDB    = 4.0 // log-normal shadowing, fixed per emitter-sensor pair
	SensorHeightM    = 2.5 // antenna height above its floor
	// NoiseDBmPerMHz is the receiver's thermal noise floor (HackRF with gain).
	NoiseDBmPerMHz = -100.0
)

// DefaultStart returns the scenario start of StandardWing: 21:00 UTC, so
// the night-time activity begins at once.
func DefaultStart() time.Time { return time.Date(2026, 1, 15, 21, 0, 0, 0, time.UTC) }

// Sensors returns the wing's sensors.
func (w *Wing) Sensors() []SensorInfo { return append([]SensorInfo(nil), w.sensors...) }

// Emitters returns the wing's emitters.
func (w *Wing) Emitters() []Emitter { return append([]Emitter(nil), w.emit...) }

func (w *Wing) sensor(id string) (SensorInfo, bool) {
	for _, s := range w.sensors {
		if s.ID == id {
			return s, true
		}
	}
	return SensorInfo{}, false
}

func (w *Wing) emitterIndex(id string) int {
	for i, e := range w.emit {
		if e.ID == id {
			return i
		}
	}
	return -1
}

func (w *Wing) elevation(floor string) float64 {
	for _, f := range w.Floors {
		if f.ID == floor {
			return f.ElevationM
		}
	}
	return 0
}

// RoomAt returns the ID of the room on floor containing p, or "".
func (w *Wing) RoomAt(floor string, p Point) string {
	for _, r := range w.Rooms {
		if r.Floor == floor && inPolygon(p, r.Polygon) {
			return r.ID
		}
	}
	return ""
}

func inPolygon(p Point, poly []Point) bool {
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		a, b := poly[i], poly[j]
		if (a.Y > p.Y) != (b.Y > p.Y) && p.X < (b.X-a.X)*(p.Y-a.Y)/(b.Y-a.Y)+a.X {
			in = !in
		}
	}
	return in
}

// segmentsCross reports whether segments pq and ab properly intersect.
func segmentsCross(p, q, a, b Point) bool {
	cross := func(o, u, v Point) float64 { return (u.X-o.X)*(v.Y-o.Y) - (u.Y-o.Y)*(v.X-o.X) }
	d1, d2 := cross(a, b, p), cross(a, b, q)
	d3, d4 := cross(p, q, a), cross(p, q, b)
	return d1*d2 < 0 && d3*d4 < 0
}

// mix64 hashes values into a seed.
func mix64(seed uint64, parts ...string) uint64 {
	h := fnv.New64a()
	fmt.Fprint(h, seed)
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return h.Sum64()
}

// gauss is a deterministic standard normal draw from a seed (Box-Muller).
func gauss(seed uint64) float64 {
	u1 := (float64(seed>>11) + 0.5) / (1 << 53)
	s2 := seed*0x9e3779b97f4a7c15 + 0x632be59bd9b4e019
	u2 := float64(s2>>11) / (1 << 53)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// PathLossDB returns the loss from an emitter at (floor, p, heightM)
// transmitting on freqHz to sensor s, without shadowing:
//
//	PL = 20 log10(f) - 147.55 + 10 n log10(max(d, 1 m)) + Σ walls + FloorLossDB·|Δfloor|
//
// with d the 3-D distance, n = PathLossExponent, and the walls those of the
// sensor's floor that the straight line in plan view crosses.
func (w *Wing) PathLossDB(freqHz float64, floor string, p Point, heightM float64, s SensorInfo) float64 {
	dz := w.elevation(floor) + heightM - w.elevation(s.Floor) - SensorHeightM
	d := math.Sqrt((p.X-s.Pos.X)*(p.X-s.Pos.X) + (p.Y-s.Pos.Y)*(p.Y-s.Pos.Y) + dz*dz)
	d = math.Max(d, 1)
	pl := 20*math.Log10(freqHz) - 147.55 + 10*PathLossExponent*math.Log10(d)
	for _, wl := range w.Walls {
		if wl.Floor == s.Floor && segmentsCross(p, s.Pos, wl.A, wl.B) {
			pl += wl.LossDB
		}
	}
	fi, si := w.floorIndex(floor), w.floorIndex(s.Floor)
	pl += FloorLossDB * math.Abs(float64(fi-si))
	return pl
}

func (w *Wing) floorIndex(id string) int {
	for i, f := range w.Floors {
		if f.ID == id {
			return i
		}
	}
	return 0
}

// ShadowDB returns the fixed log-normal shadowing between an emitter and a sensor.
func (w *Wing) ShadowDB(emitterID, sensorID string) float64 {
	return ShadowSigmaDB * gauss(mix64(w.Seed, "shadow", emitterID, sensorID))
}

// ReceivedPowerDBm returns the mean power sensorID reports from emitterID
// at the emitter's nominal position (a drone's hover point) while it is on:
// tx power + antenna gain - path loss + shadowing - the sensor's OffsetDB
// (a sensor whose site file gives offset_db reads that much low, as the
// real one its calibration corrected). It returns NaN for an unknown ID.
func (w *Wing) ReceivedPowerDBm(emitterID, sensorID string) float64 {
	i := w.emitterIndex(emitterID)
	s, ok := w.sensor(sensorID)
	if i < 0 || !ok {
		return math.NaN()
	}
	e := w.emit[i]
	return w.rxDBm(e, e.Pos, s)
}

func (w *Wing) rxDBm(e Emitter, p Point, s SensorInfo) float64 {
	return e.TxPowerDBm + s.AntennaGainDB - s.OffsetDB - w.PathLossDB(e.CenterHz, e.Floor, p, e.HeightM, s) + w.ShadowDB(e.ID, s.ID)
}

type siteYAML struct {
	ID      string       `yaml:"id"`
	Name    string       `yaml:"name"`
	Floors  []Floor      `yaml:"floors"`
	Rooms   []Room       `yaml:"rooms"`
	Walls   []Wall       `yaml:"walls"`
	Sensors []SensorInfo `yaml:"sensors"`
}

// SiteYAML returns the wing's geometry and sensors in the site-YAML shape
// that fusion/site loads (fields id, name, floors, rooms, walls, sensors).
func (w *Wing) SiteYAML() []byte {
	b, err := yaml.Marshal(siteYAML{ID: w.SiteID, Name: w.Name, Floors: w.Floors, Rooms: w.Rooms, Walls: w.Walls, Sensors: w.sensors})
	if err != nil {
		// Only plain structs of strings and numbers are marshalled.
		panic(fmt.Sprintf("sim: marshal site yaml: %v", err))
	}
	return b
}
