package site

import "math"

// Room kinds.
const (
	KindCell      = "cell"
	KindLanding   = "landing"
	KindOffice    = "office"
	KindYard      = "yard"
	KindPerimeter = "perimeter"
	KindOutside   = "outside"
)

// Kinds lists every room kind, in a stable order: what a room's kind and an
// alert rule's room_kinds may be.
var Kinds = []string{KindCell, KindLanding, KindOffice, KindYard, KindPerimeter, KindOutside}

// Point is a position in metres in the site's floor coordinates.
type Point struct {
	X float64 `yaml:"x" json:"x"`
	Y float64 `yaml:"y" json:"y"`
}

// Finite reports that neither coordinate is NaN or infinite.
func (p Point) Finite() bool {
	return !math.IsNaN(p.X) && !math.IsInf(p.X, 0) && !math.IsNaN(p.Y) && !math.IsInf(p.Y, 0)
}

// Site is one prison site.
type Site struct {
	ID      string   `yaml:"id" json:"id"`
	Name    string   `yaml:"name" json:"name"`
	Floors  []Floor  `yaml:"floors" json:"floors"`
	Rooms   []Room   `yaml:"rooms" json:"rooms"`
	Walls   []Wall   `yaml:"walls" json:"walls"`
	Sensors []Sensor `yaml:"sensors" json:"sensors"`
}

// Floor is one level of the site; Elevation is its height in metres.
type Floor struct {
	ID         string  `yaml:"id" json:"id"`
	Name       string  `yaml:"name" json:"name"`
	ElevationM float64 `yaml:"elevation_m" json:"elevation_m"`
}

// Room is a polygon on one floor. Zone groups rooms (e.g. a wing) for the
// registry and for sensor coverage.
type Room struct {
	ID      string  `yaml:"id" json:"id"`
	Name    string  `yaml:"name" json:"name"`
	Floor   string  `yaml:"floor" json:"floor"`
	Kind    string  `yaml:"kind" json:"kind"`
	Zone    string  `yaml:"zone" json:"zone"`
	Polygon []Point `yaml:"polygon" json:"polygon"`
}

// Wall is a straight segment on one floor that attenuates radio by LossDB.
type Wall struct {
	Floor  string  `yaml:"floor" json:"floor"`
	A      Point   `yaml:"a" json:"a"`
	B      Point   `yaml:"b" json:"b"`
	LossDB float64 `yaml:"loss_db" json:"loss_db"`
}

// Sensor is an SDR node's antenna position and calibration.
type Sensor struct {
	ID            string   `yaml:"id" json:"id"`
	Floor         string   `yaml:"floor" json:"floor"`
	Pos           Point    `yaml:"pos" json:"pos"`
	AntennaGainDB float64  `yaml:"antenna_gain_db" json:"antenna_gain_db"`
	OffsetDB      float64  `yaml:"offset_db" json:"offset_db"` // calibration offset added to reported power
	Zones         []string `yaml:"zones" json:"zones"`         // zones this sensor covers
}
