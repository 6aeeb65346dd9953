package fusion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// TestNonFiniteFixDropped: a fix the locator returns with NaN coordinates
// (a 5e-324 Hz centre, which the schema now refuses, but HandleDetection
// trusts its callers) is dropped and counted: no location record, no
// location alert; the group's detections are stored unlocated and the
// next good emission is located and stored as usual.
func TestNonFiniteFixDropped(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ts := &storetest.Recorder{}
	e, err := New(Config{}, Deps{Site: wing(t), TimeSeries: ts, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	bad := testDet("nan-1", "s1", now, -60)
	bad.CenterHz = 5e-324
	if err := e.HandleDetection(ctx, bad); err != nil {
		t.Fatal(err)
	}
	p := site.Point{X: 12, Y: 9}
	for _, sn := range e.deps.Site.Sensors {
		pw, _ := e.Locator().PredictDBm(sn.ID, "g", p, 10-e.Locator().RefLossDB(1.75e9))
		if err := e.HandleDetection(ctx, testDet("good-"+sn.ID, sn.ID, now.Add(2*time.Second), pw)); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Tick(ctx, now.Add(3*time.Second)); err != nil {
		t.Fatalf("tick: %v", err)
	}
	ts.Mu.Lock()
	defer ts.Mu.Unlock()
	for _, l := range ts.Locs {
		if err := l.Check(); err != nil {
			t.Errorf("stored location %+v: %v", l, err)
		}
	}
	if len(ts.Locs) != 1 {
		t.Errorf("stored %d locations, want 1 (the good emission's)", len(ts.Locs))
	}
	if got, want := len(ts.Dets), 1+len(e.deps.Site.Sensors); got != want {
		t.Errorf("stored %d detections, want %d", got, want)
	}
	if n := testutil.ToFloat64(e.met.locateInvalid); n != 1 {
		t.Errorf("rfw_fusion_locate_invalid_total = %v, want 1", n)
	}
	for _, a := range e.Alerts().Active() {
		if math.IsNaN(a.Probability) {
			t.Errorf("alert with NaN probability: %+v", a)
		}
	}
}

// jsonTS encodes every record as the SQLite store does, failing the whole
// batch on the first record that does not encode; down makes every write
// fail as a store outage.
type jsonTS struct {
	storetest.Recorder
	down bool
}

func (j *jsonTS) WriteLocations(ctx context.Context, recs []store.LocationRecord) error {
	if j.down {
		return errors.New("database is locked")
	}
	for i, r := range recs {
		if _, err := json.Marshal(r); err != nil {
			return fmt.Errorf("%w: location %d: %v", store.ErrInvalidRecord, i, err)
		}
	}
	return j.Recorder.WriteLocations(ctx, recs)
}

func (j *jsonTS) WriteDetections(ctx context.Context, recs []store.DetectionRecord) error {
	if j.down {
		return errors.New("database is locked")
	}
	for i, r := range recs {
		if _, err := json.Marshal(r); err != nil {
			return fmt.Errorf("%w: detection %d: %v", store.ErrInvalidRecord, i, err)
		}
	}
	return j.Recorder.WriteDetections(ctx, recs)
}

func goodLoc(track string, ns int64) store.LocationRecord {
	return store.LocationRecord{Site: "hmp-test", Track: track, Class: "lte", Link: "uplink", TimeNS: ns, Floor: "g",
		Room: "B2-11", RoomProb: 0.8, RoomProbs: map[string]float64{"B2-11": 0.8}, XM: 12, YM: 9, SemiMajorM: 2, SemiMinorM: 1}
}

// TestFlushDropsOnlyBadRecords: one record that cannot be stored (NaN in
// a location, which json refuses) is dropped and counted; the good
// records of its batch and of later batches are written at once, and no
// error is left to stop fusion. A NaN location used to fail the batch,
// which was kept and tried again every tick with every later location
// joining it: nothing was stored again, and SIGTERM lost them all.
func TestFlushDropsOnlyBadRecords(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*store.LocationRecord)
		field string
	}{
		{"NaN x", func(r *store.LocationRecord) { r.XM = math.NaN() }, "x_m"},
		{"Inf y", func(r *store.LocationRecord) { r.YM = math.Inf(1) }, "y_m"},
		{"NaN room prob", func(r *store.LocationRecord) { r.RoomProb = math.NaN() }, "room_prob"},
		{"NaN in room probs", func(r *store.LocationRecord) { r.RoomProbs = map[string]float64{"B2-11": math.NaN()} }, "room_probs"},
		{"NaN angle", func(r *store.LocationRecord) { r.AngleRad = math.NaN() }, "angle_rad"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Unix(1_800_000_000, 0)
			ts := &jsonTS{}
			e, err := New(Config{}, Deps{Site: wing(t), TimeSeries: ts, Clock: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			bad := goodLoc("trk-bad", now.UnixNano())
			tc.edit(&bad)
			if err := bad.Check(); err == nil || !errors.Is(err, store.ErrInvalidRecord) {
				t.Errorf("Check() = %v, want ErrInvalidRecord naming %s", err, tc.field)
			} else if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("Check() = %v, want it to name %s", err, tc.field)
			}
			e.mu.Lock()
			e.locBuf = append(e.locBuf, goodLoc("trk-1", now.UnixNano()), bad, goodLoc("trk-2", now.UnixNano()))
			e.mu.Unlock()
			if err := e.Flush(ctx); err != nil {
				t.Errorf("flush: %v, want nil (the bad record is dropped, not retried)", err)
			}
			e.mu.Lock()
			e.locBuf = append(e.locBuf, goodLoc("trk-3", now.UnixNano()))
			e.mu.Unlock()
			if err := e.Close(ctx); err != nil {
				t.Errorf("close: %v", err)
			}
			ts.Mu.Lock()
			defer ts.Mu.Unlock()
			var got []string
			for _, l := range ts.Locs {
				got = append(got, l.Track)
			}
			if fmt.Sprint(got) != "[trk-1 trk-2 trk-3]" {
				t.Errorf("stored tracks %v, want [trk-1 trk-2 trk-3]", got)
			}
			if n := testutil.ToFloat64(e.met.invalid.WithLabelValues("locations")); n != 1 {
				t.Errorf("rfw_fusion_store_invalid_total{what=locations} = %v, want 1", n)
			}
		})
	}
}

// TestFlushSplitsOnDataError: a store that refuses a record Check let
// through (its own reason, reported as ErrInvalidRecord) costs that record
// only: the batch is written record by record, the refused one dropped
// and counted.
func TestFlushSplitsOnDataError(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ts := &pickyTS{refuse: "trk-odd"}
	e, err := New(Config{}, Deps{Site: wing(t), TimeSeries: ts, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	e.locBuf = append(e.locBuf, goodLoc("trk-1", 1), goodLoc("trk-odd", 2), goodLoc("trk-2", 3))
	e.mu.Unlock()
	if err := e.Flush(context.Background()); err != nil {
		t.Errorf("flush: %v", err)
	}
	ts.Mu.Lock()
	defer ts.Mu.Unlock()
	if len(ts.Locs) != 2 || ts.Locs[0].Track != "trk-1" || ts.Locs[1].Track != "trk-2" {
		t.Errorf("stored %+v, want trk-1 and trk-2", ts.Locs)
	}
	if n := testutil.ToFloat64(e.met.invalid.WithLabelValues("locations")); n != 1 {
		t.Errorf("invalid locations = %v, want 1", n)
	}
}

// pickyTS refuses, as invalid data, any batch holding the track refuse.
type pickyTS struct {
	storetest.Recorder
	refuse string
}

func (p *pickyTS) WriteLocations(ctx context.Context, recs []store.LocationRecord) error {
	for _, r := range recs {
		if r.Track == p.refuse {
			return fmt.Errorf("%w: track %q refused", store.ErrInvalidRecord, r.Track)
		}
	}
	return p.Recorder.WriteLocations(ctx, recs)
}

// TestFlushKeepsBatchOnOutage: a store that is down (not a data problem)
// still keeps the whole batch, good and bad records alike being judged
// only once it answers: nothing is dropped while it is down, and the good
// records are written when it is back.
func TestFlushKeepsBatchOnOutage(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ts := &jsonTS{down: true}
	e, err := New(Config{}, Deps{Site: wing(t), TimeSeries: ts, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e.mu.Lock()
	e.locBuf = append(e.locBuf, goodLoc("trk-1", 1), goodLoc("trk-2", 2))
	e.mu.Unlock()
	for range 3 {
		if err := e.Flush(ctx); err == nil {
			t.Fatal("flush with the store down: nil error")
		}
	}
	ts.Mu.Lock()
	ts.down = false
	ts.Mu.Unlock()
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(ts.Locs) != 2 {
		t.Errorf("stored %d locations after the outage, want 2", len(ts.Locs))
	}
	if n := testutil.ToFloat64(e.met.invalid.WithLabelValues("locations")); n != 0 {
		t.Errorf("invalid locations = %v, want 0", n)
	}
}

// TestSQLiteNaNLocationDoesNotBlock: end to end with the SQLite store, a
// NaN location among good ones: the good ones are in the table after one
// flush, and Close returns no error.
func TestSQLiteNaNLocationDoesNotBlock(t *testing.T) {
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Unix(1_800_000_000, 0)
	e, err := New(Config{}, Deps{Site: wing(t), TimeSeries: db, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	bad := goodLoc("trk-bad", now.UnixNano())
	bad.XM, bad.YM = math.NaN(), math.NaN()
	e.mu.Lock()
	e.locBuf = append(e.locBuf, goodLoc("trk-1", now.UnixNano()), bad, goodLoc("trk-2", now.UnixNano()))
	e.mu.Unlock()
	if err := e.Close(ctx); err != nil {
		t.Errorf("close: %v", err)
	}
	locs, err := db.Locations(ctx, "hmp-test", now.Add(-time.Hour), now.Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(locs) != 2 {
		t.Errorf("SQLite holds %d locations, want 2", len(locs))
	}
}
