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
		// a value that does not validate, at its line in data
		var fe *fieldError
		if errors.As(err, &fe) {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, yamlstrict.At(data, fe.key, fe.msg))
		}
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

// fieldError is a value of the site that does not validate: key is its path
// as written in the site file (rooms[2].floor, sensors[0].zones[1]). Load
// turns it into an error that also gives the key's line and column.
type fieldError struct{ key, msg string }

func (e *fieldError) Error() string { return ErrInvalid.Error() + ": " + e.key + ": " + e.msg }
func (e *fieldError) Unwrap() error { return ErrInvalid }

func invalidAt(key, format string, args ...any) error {
	return &fieldError{key: key, msg: fmt.Sprintf(format, args...)}
}

func validKind(k string) bool { return slices.Contains(Kinds, k) }

// maxCoordM bounds a coordinate or height, so that a distance squared
// stays finite.
const maxCoordM = 1e6

func finitePoint(p Point) bool {
	return p.Finite() && math.Abs(p.X) < maxCoordM && math.Abs(p.Y) < maxCoordM
}

// uniqueName records the name of the floor or room id in seen, and
// refuses one another of its kind has, compared without case or the
// spaces around it: the dashboard and the alerts show rooms and floors by
// name, and an alert "phone in Cell 1" could have been either. An empty
// name (the ID is shown) is never a duplicate.
func uniqueName(seen map[string]string, name, id, key, kind string) error {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" {
		return nil
	}
	if other, ok := seen[n]; ok {
		return invalidAt(key, "%s %q: %q is also the name of %s %q: the dashboard and the alerts show %ss by name; give each its own", kind, id, name, kind, other, kind)
	}
	seen[n] = id
	return nil
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
	floorNames := map[string]string{}
	for i, f := range s.Floors {
		if f.ID == "" {
			return invalidAt(fmt.Sprintf("floors[%d]", i), "id missing")
		}
		if floors[f.ID] {
			return invalidAt(fmt.Sprintf("floors[%d].id", i), "duplicate id %q", f.ID)
		}
		if !(math.Abs(f.ElevationM) <= maxCoordM) { // NaN too
			return invalidAt(fmt.Sprintf("floors[%d].elevation_m", i), "floor %q: %v is not a finite height within ±1e6 m", f.ID, f.ElevationM)
		}
		if err := uniqueName(floorNames, f.Name, f.ID, fmt.Sprintf("floors[%d].name", i), "floor"); err != nil {
			return err
		}
		floors[f.ID] = true
	}
	rooms := map[string]bool{}
	roomNames := map[string]string{}
	for i, r := range s.Rooms {
		if err := uniqueName(roomNames, r.Name, r.ID, fmt.Sprintf("rooms[%d].name", i), "room"); err != nil {
			return err
		}
		if r.ID == "" {
			return invalidAt(fmt.Sprintf("rooms[%d]", i), "id missing")
		}
		if rooms[r.ID] {
			return invalidAt(fmt.Sprintf("rooms[%d].id", i), "duplicate id %q", r.ID)
		}
		rooms[r.ID] = true
		if !floors[r.Floor] {
			return invalidAt(fmt.Sprintf("rooms[%d].floor", i), "room %q: floor %q does not exist", r.ID, r.Floor)
		}
		if !validKind(r.Kind) {
			return invalidAt(fmt.Sprintf("rooms[%d].kind", i), "room %q: kind %q is not one of %s", r.ID, r.Kind, strings.Join(Kinds, ", "))
		}
		if len(r.Polygon) < 3 {
			return invalidAt(fmt.Sprintf("rooms[%d].polygon", i), "room %q: needs at least 3 points, got %d", r.ID, len(r.Polygon))
		}
		if len(r.Polygon) > 1000 {
			return invalidAt(fmt.Sprintf("rooms[%d].polygon", i), "room %q: more than 1000 points", r.ID)
		}
		for j, p := range r.Polygon {
			if !finitePoint(p) {
				return invalidAt(fmt.Sprintf("rooms[%d].polygon[%d]", i, j), "room %q: not finite or beyond 1e6 m", r.ID)
			}
		}
		if selfIntersects(r.Polygon) {
			return invalidAt(fmt.Sprintf("rooms[%d].polygon", i), "room %q: self-intersecting", r.ID)
		}
		if math.Abs(polygonArea(r.Polygon)) < 1e-9 {
			return invalidAt(fmt.Sprintf("rooms[%d].polygon", i), "room %q: zero area", r.ID)
		}
	}
	for i, w := range s.Walls {
		if !floors[w.Floor] {
			return invalidAt(fmt.Sprintf("walls[%d].floor", i), "floor %q does not exist", w.Floor)
		}
		if !(w.LossDB > 0) || w.LossDB > 200 {
			return invalidAt(fmt.Sprintf("walls[%d].loss_db", i), "must be in (0, 200], got %v", w.LossDB)
		}
		if !finitePoint(w.A) || !finitePoint(w.B) || w.A == w.B {
			return invalidAt(fmt.Sprintf("walls[%d]", i), "end points must be finite and distinct")
		}
	}
	zones := s.Zones()
	zoneList := "none"
	if len(zones) > 0 {
		zoneList = strings.Join(zones, ", ")
	}
	sensors := map[string]bool{}
	for i, sn := range s.Sensors {
		if sn.ID == "" {
			return invalidAt(fmt.Sprintf("sensors[%d]", i), "id missing")
		}
		if !event.ValidID(sn.ID) {
			return invalidAt(fmt.Sprintf("sensors[%d].id", i), "%q is not a valid ID ([A-Za-z0-9_-], 1 to 64 characters; the sensor's own config and its MQTT topics refuse any other)", sn.ID)
		}
		if sensors[sn.ID] {
			return invalidAt(fmt.Sprintf("sensors[%d].id", i), "duplicate id %q", sn.ID)
		}
		sensors[sn.ID] = true
		if !floors[sn.Floor] {
			return invalidAt(fmt.Sprintf("sensors[%d].floor", i), "sensor %q: floor %q does not exist", sn.ID, sn.Floor)
		}
		if !finitePoint(sn.Pos) {
			return invalidAt(fmt.Sprintf("sensors[%d].pos", i), "sensor %q: not finite", sn.ID)
		}
		for _, v := range []struct {
			key string
			db  float64
		}{{"offset_db", sn.OffsetDB}, {"antenna_gain_db", sn.AntennaGainDB}} {
			if math.IsNaN(v.db) || math.IsInf(v.db, 0) || math.Abs(v.db) > 100 {
				return invalidAt(fmt.Sprintf("sensors[%d].%s", i, v.key), "sensor %q: offset_db and antenna_gain_db must be finite and within ±100 dB", sn.ID)
			}
		}
		// A zone no room has (wing_north for wing-north) left the sensor
		// out of that zone's coverage without a word.
		for j, z := range sn.Zones {
			if !slices.Contains(zones, z) {
				return invalidAt(fmt.Sprintf("sensors[%d].zones[%d]", i, j), "sensor %q: zone %q is not the zone of any room (zones: %s)", sn.ID, z, zoneList)
			}
		}
	}
	return nil
}
