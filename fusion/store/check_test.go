package store_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestSQLiteRefusesNaNAsInvalidRecord: a record the JSON encoder refuses
// (a NaN) fails the write with an error wrapping ErrInvalidRecord, so
// fusion drops that record instead of keeping the batch for ever; a store
// outage is not such an error.
func TestSQLiteRefusesNaNAsInvalidRecord(t *testing.T) {
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	loc := store.LocationRecord{Site: "a", Track: "trk-1", Class: "lte", Link: "uplink", TimeNS: 1, XM: math.NaN()}
	det := store.DetectionRecord{Detection: event.Detection{Schema: 1, ID: "d1", Site: "a", Sensor: "s1", TimeNS: 1, CenterHz: 1e9, PowerDBm: math.Inf(-1)}}
	for name, err := range map[string]error{
		"location":  db.WriteLocations(ctx, []store.LocationRecord{loc}),
		"detection": db.WriteDetections(ctx, []store.DetectionRecord{det}),
	} {
		if !errors.Is(err, store.ErrInvalidRecord) {
			t.Errorf("%s with a non-finite value: %v, want ErrInvalidRecord", name, err)
		}
	}
	db.Close()
	loc.XM = 1
	if err := db.WriteLocations(ctx, []store.LocationRecord{loc}); err == nil || errors.Is(err, store.ErrInvalidRecord) {
		t.Errorf("write to a closed store: %v, want an error that is not ErrInvalidRecord", err)
	}
}

// TestRecordCheck: Check names the first non-finite field.
func TestRecordCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"good location", store.LocationRecord{XM: 1, RoomProbs: map[string]float64{"r": 0.5}}.Check(), ""},
		{"NaN x", store.LocationRecord{XM: math.NaN()}.Check(), "x_m"},
		{"Inf semi-major", store.LocationRecord{SemiMajorM: math.Inf(1)}.Check(), "semi_major_m"},
		{"NaN room prob", store.LocationRecord{RoomProbs: map[string]float64{"b": math.NaN(), "a": 0.1}}.Check(), `room_probs["b"]`},
		{"good detection", store.DetectionRecord{Detection: event.Detection{CenterHz: 1e9}}.Check(), ""},
		{"NaN snr", store.DetectionRecord{Detection: event.Detection{SNRDB: math.NaN()}}.Check(), "snr_db"},
		{"NaN room prob of a detection", store.DetectionRecord{RoomProb: math.NaN()}.Check(), "room_prob"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			switch {
			case tc.want == "" && tc.err != nil:
				t.Errorf("Check() = %v, want nil", tc.err)
			case tc.want != "" && (!errors.Is(tc.err, store.ErrInvalidRecord) || !strings.Contains(tc.err.Error(), tc.want)):
				t.Errorf("Check() = %v, want ErrInvalidRecord naming %s", tc.err, tc.want)
			}
		})
	}
}
