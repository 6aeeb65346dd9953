package fusion

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestTrackIDsAcrossRestarts: fusions that write one database never give
// two emitters one track ID. The IDs restarted at trk-1 with each fusion,
// so after a restart a new emitter took the ID of one the last run had
// followed minutes before; the dashboard keys its floor plan and search by
// track and drew the two as one (the earlier phone was not drawn at all).
func TestTrackIDsAcrossRestarts(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	type run struct {
		clock  time.Time // the engine's clock when it starts
		prefix string    // Deps.TrackPrefix
	}
	tests := []struct {
		name string
		runs []run // one after another, each on the same database
	}{
		{"restart a minute later", []run{{clock: t0}, {clock: t0.Add(time.Minute)}}},
		{"restart within the second", []run{{clock: t0}, {clock: t0.Add(time.Millisecond)}}},
		{"three restarts", []run{{clock: t0}, {clock: t0.Add(time.Second)}, {clock: t0.Add(time.Hour)}}},
		{"two fusions, one clock, own prefixes", []run{{clock: t0, prefix: "north"}, {clock: t0, prefix: "south"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			owner := map[string]int{} // track ID -> the run that gave it
			for i, r := range tt.runs {
				now := r.clock
				e, err := New(Config{}, Deps{Site: wing(t), TimeSeries: db, Clock: func() time.Time { return now }, TrackPrefix: r.prefix})
				if err != nil {
					t.Fatal(err)
				}
				// Two emitters a run, an LTE and a GSM handset: each run's
				// IDs count from its first.
				for k, class := range []string{event.ClassLTE, event.ClassGSM} {
					hz := map[string]float64{event.ClassLTE: 1.75e9, event.ClassGSM: 902.4e6}[class]
					for _, sn := range []string{"s1", "s3", "s5"} {
						pw, err := e.Locator().PredictDBm(sn, "g", site.Point{X: 12.5, Y: 5.5}, 10-e.Locator().RefLossDB(hz))
						if err != nil {
							t.Fatal(err)
						}
						d := testDet(fmt.Sprintf("r%d-%d", i, k), sn, now, pw)
						d.Class, d.CenterHz = class, hz
						if class == event.ClassGSM {
							d.BandwidthHz, d.Band = 200e3, "gsm900"
						}
						if err := e.Handle(ctx, detMsg(t, d, sn)); err != nil {
							t.Fatal(err)
						}
					}
				}
				if err := e.Close(ctx); err != nil {
					t.Fatal(err)
				}
				dets, err := db.Detections(ctx, "hmp-test", now.Add(-time.Hour), now.Add(time.Hour), 0)
				if err != nil {
					t.Fatal(err)
				}
				mine := 0
				for _, d := range dets {
					if d.Track == "" {
						t.Fatalf("run %d: detection %s/%s stored without a track", i, d.Sensor, d.ID)
					}
					if !strings.HasPrefix(d.ID, fmt.Sprintf("r%d-", i)) {
						continue
					}
					mine++
					if was, ok := owner[d.Track]; ok && was != i {
						t.Errorf("run %d's emission got track %s, which run %d gave another emitter", i, d.Track, was)
					}
					owner[d.Track] = i
				}
				if mine != 6 {
					t.Fatalf("run %d: %d of its detections stored, want 6", i, mine)
				}
			}
			if want := 2 * len(tt.runs); len(owner) != want {
				t.Errorf("%d track IDs in all (%v), want %d: two emitters a run", len(owner), owner, want)
			}
		})
	}
}

// TestTrackIDShape: a track ID is "trk-", the engine's start in base-36
// Unix milliseconds (from its clock, so a test's IDs are the same every
// run) or Deps.TrackPrefix, "-" and its count: short, readable, and
// unique to one fusion run.
func TestTrackIDShape(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 123_000_000)
	start36 := strconv.FormatInt(t0.UnixMilli(), 36)
	tests := []struct {
		name    string
		prefix  string
		clock   time.Time
		want    []string // the first tracks' IDs
		wantErr bool
	}{
		{name: "from the clock", clock: t0, want: []string{"trk-" + start36 + "-1", "trk-" + start36 + "-2"}},
		{name: "a clock never set", clock: time.Unix(0, 0), want: []string{"trk-0-1", "trk-0-2"}},
		{name: "before 1970", clock: time.Unix(-5, 0), want: []string{"trk-0-1", "trk-0-2"}},
		{name: "prefix given", prefix: "east2", clock: t0, want: []string{"trk-east2-1", "trk-east2-2"}},
		{name: "prefix with a space", prefix: "a b", clock: t0, wantErr: true},
		{name: "prefix too long", prefix: "abcdefghijklmnopqrstuvwxyz0123456789", clock: t0, wantErr: true},
	}
	shape := regexp.MustCompile(`^trk-[0-9a-z]+-[1-9][0-9]*$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := New(Config{}, Deps{Site: wing(t), Clock: func() time.Time { return tt.clock }, TrackPrefix: tt.prefix})
			if tt.wantErr {
				if err == nil {
					t.Fatalf("New with TrackPrefix %q: no error", tt.prefix)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i := range tt.want {
				got = append(got, e.tracker.newTrack(&group{class: "lte", centerHz: 1.75e9 + float64(i)*1e8, start: tt.clock}).id)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("IDs %v, want %v", got, tt.want)
			}
			for _, id := range got {
				if !shape.MatchString(id) || len(id) > 20 {
					t.Errorf("ID %q: want trk-<base 36>-<n>, at most 20 characters", id)
				}
			}
		})
	}
}
