package site

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/yamlstrict"
)

// MaxFileBytes bounds the size of a site file Load accepts.
const MaxFileBytes = 4 << 20

// ErrInvalid is wrapped by every validation error of a site.
var ErrInvalid = errors.New("invalid site")

// Load reads a site from strict YAML (unknown fields are errors) and validates it.
func Load(r io.Reader) (*Site, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read site: %w", err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("read site: larger than %d bytes", MaxFileBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: empty document", ErrInvalid)
	}
	s := &Site{}
	if err := yamlstrict.Decode(data, s); err != nil {
		return nil, fmt.Errorf("decode site: %w", err)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// LoadFile reads and validates the site file at path.
func LoadFile(path string) (*Site, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open site %q: %w", path, err)
	}
	defer f.Close()
	s, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("load site %q: %w", path, err)
	}
	return s, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

func validKind(k string) bool { return slices.Contains(Kinds, k) }

func finitePoint(p Point) bool {
	return !math.IsNaN(p.X) && !math.IsInf(p.X, 0) && !math.IsNaN(p.Y) && !math.IsInf(p.Y, 0) &&
		math.Abs(p.X) < 1e6 && math.Abs(p.Y) < 1e6
}

// Validate reports the first problem with s, naming the offending object.
func (s *Site) Validate() error {
	if s.ID == "" {
		return invalid("id: missing")
	}
	if !event.ValidID(s.ID) {
		// The sensors' node.yaml refuses such a site (sensor/config), so
		// fusion would wait for sensors that can never join it.
		return invalid("id %q: not a valid ID ([A-Za-z0-9_-], 1 to 64 characters): it is one MQTT topic level, and the sensors' configs refuse any other", s.ID)
	}
	if len(s.Floors) == 0 {
		return invalid("floors: at least one floor is needed")
	}
	floors := map[string]bool{}
	for i, f := range s.Floors {
		if f.ID == "" {
			return invalid("floors[%d]: id missing", i)
		}
		if floors[f.ID] {
			return invalid("floors[%d]: duplicate id %q", i, f.ID)
		}
		if math.IsNaN(f.ElevationM) || math.IsInf(f.ElevationM, 0) {
			return invalid("floor %q: elevation_m not finite", f.ID)
		}
		floors[f.ID] = true
	}
	rooms := map[string]bool{}
	for i, r := range s.Rooms {
		if r.ID == "" {
			return invalid("rooms[%d]: id missing", i)
		}
		if rooms[r.ID] {
			return invalid("rooms[%d]: duplicate id %q", i, r.ID)
		}
		rooms[r.ID] = true
		if !floors[r.Floor] {
			return invalid("room %q: floor %q does not exist", r.ID, r.Floor)
		}
		if !validKind(r.Kind) {
			return invalid("room %q: kind %q is not one of %s", r.ID, r.Kind, strings.Join(Kinds, ", "))
		}
		if len(r.Polygon) < 3 {
			return invalid("room %q: polygon needs at least 3 points, got %d", r.ID, len(r.Polygon))
		}
		if len(r.Polygon) > 1000 {
			return invalid("room %q: polygon has more than 1000 points", r.ID)
		}
		for j, p := range r.Polygon {
			if !finitePoint(p) {
				return invalid("room %q: polygon[%d] not finite or beyond 1e6 m", r.ID, j)
			}
		}
		if selfIntersects(r.Polygon) {
			return invalid("room %q: polygon is self-intersecting", r.ID)
		}
		if math.Abs(polygonArea(r.Polygon)) < 1e-9 {
			return invalid("room %q: polygon has zero area", r.ID)
		}
	}
	for i, w := range s.Walls {
		if !floors[w.Floor] {
			return invalid("walls[%d]: floor %q does not exist", i, w.Floor)
		}
		if !(w.LossDB > 0) || w.LossDB > 200 {
			return invalid("walls[%d]: loss_db must be in (0, 200], got %v", i, w.LossDB)
		}
		if !finitePoint(w.A) || !finitePoint(w.B) || w.A == w.B {
			return invalid("walls[%d]: end points must be finite and distinct", i)
		}
	}
	sensors := map[string]bool{}
	for i, sn := range s.Sensors {
		if sn.ID == "" {
			return invalid("sensors[%d]: id missing", i)
		}
		if !event.ValidID(sn.ID) {
			return invalid("sensors[%d]: id %q is not a valid ID ([A-Za-z0-9_-], 1 to 64 characters; the sensor's own config and its MQTT topics refuse any other)", i, sn.ID)
		}
		if sensors[sn.ID] {
			return invalid("sensors[%d]: duplicate id %q", i, sn.ID)
		}
		sensors[sn.ID] = true
		if !floors[sn.Floor] {
			return invalid("sensor %q: floor %q does not exist", sn.ID, sn.Floor)
		}
		if !finitePoint(sn.Pos) {
			return invalid("sensor %q: pos not finite", sn.ID)
		}
		if math.IsNaN(sn.OffsetDB) || math.IsInf(sn.OffsetDB, 0) || math.Abs(sn.OffsetDB) > 100 ||
			math.IsNaN(sn.AntennaGainDB) || math.IsInf(sn.AntennaGainDB, 0) || math.Abs(sn.AntennaGainDB) > 100 {
			return invalid("sensor %q: offset_db and antenna_gain_db must be finite and within ±100 dB", sn.ID)
		}
	}
	return nil
}
