package store

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrInvalidRecord is wrapped by the errors of a write refused because of
// a record's content (a value the store cannot encode), not because the
// store is unavailable: writing the same record again cannot succeed, so
// a writer drops it (counted) rather than keeping it for the next try.
var ErrInvalidRecord = errors.New("store: record cannot be stored")

// Check reports the first value of r that no store can hold, naming the
// field: a NaN or infinite float (JSON and line protocol have no such
// numbers). The error wraps ErrInvalidRecord.
func (r LocationRecord) Check() error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"room_prob", r.RoomProb}, {"x_m", r.XM}, {"y_m", r.YM}, {"semi_major_m", r.SemiMajorM},
		{"semi_minor_m", r.SemiMinorM}, {"angle_rad", r.AngleRad}} {
		if !finite(f.v) {
			return fmt.Errorf("%w: location of track %q: %s is %v", ErrInvalidRecord, r.Track, f.name, f.v)
		}
	}
	if room, ok := nonFinite(r.RoomProbs); ok {
		return fmt.Errorf("%w: location of track %q: room_probs[%q] is %v", ErrInvalidRecord, r.Track, room, r.RoomProbs[room])
	}
	return nil
}

// Check reports the first value of r that no store can hold, naming the
// field, as LocationRecord.Check does.
func (r DetectionRecord) Check() error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"center_hz", r.CenterHz}, {"bandwidth_hz", r.BandwidthHz}, {"power_dbm", r.PowerDBm}, {"peak_dbm", r.PeakDBm},
		{"snr_db", r.SNRDB}, {"duty_cycle", r.DutyCycle}, {"confidence", r.Confidence}, {"room_prob", r.RoomProb}} {
		if !finite(f.v) {
			return fmt.Errorf("%w: detection %q of sensor %q: %s is %v", ErrInvalidRecord, r.ID, r.Sensor, f.name, f.v)
		}
	}
	return nil
}

// nonFinite returns the first key, in order, of m whose value is not
// finite.
func nonFinite(m map[string]float64) (string, bool) {
	var bad []string
	for k, v := range m {
		if !finite(v) {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return "", false
	}
	sort.Strings(bad)
	return bad[0], true
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
