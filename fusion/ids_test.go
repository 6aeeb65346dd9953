package fusion

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestSameIDFromTwoSensors: a detection's identity is its sensor and its
// ID. Two sensors whose IDs collide (a counter reset by a reflash, or a
// cloned node publishing IDs another sensor uses) each have their
// detection counted, associated and stored; only a sensor's own ID again
// is a duplicate. Fusion dropped the second sensor's detection as a
// duplicate of the first, and SQLite ignored it.
func TestSameIDFromTwoSensors(t *testing.T) {
	type pub struct{ sensor, id string }
	tests := []struct {
		name      string
		given     []pub // in arrival order, all one emission
		wantNew   float64
		wantDup   float64
		wantHeard []string // sensors of the stored detections and the location
	}{
		{"two sensors, one counter value", []pub{{"s3", "7"}, {"s5", "7"}}, 2, 0, []string{"s3", "s5"}},
		{"another sensor publishes s3's ID first", []pub{{"s5", "s3-b00t-100-1"}, {"s3", "s3-b00t-100-1"}}, 2, 0, []string{"s3", "s5"}},
		{"redelivery is still a duplicate", []pub{{"s3", "7"}, {"s5", "7"}, {"s5", "7"}, {"s3", "7"}}, 2, 2, []string{"s3", "s5"}},
		{"three sensors, one ID", []pub{{"s3", "x"}, {"s5", "x"}, {"s1", "x"}}, 3, 0, []string{"s1", "s3", "s5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Unix(1_800_000_000, 0)
			db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			e, err := New(Config{}, Deps{Site: wing(t), TimeSeries: db, Clock: func() time.Time { return now.Add(time.Second) }})
			if err != nil {
				t.Fatal(err)
			}
			phone := site.Point{X: 12.5, Y: 5.5}
			for _, p := range tt.given {
				pw, err := e.Locator().PredictDBm(p.sensor, "g", phone, 10-e.Locator().RefLossDB(1.75e9))
				if err != nil {
					t.Fatal(err)
				}
				if err := e.Handle(ctx, detMsg(t, testDet(p.id, p.sensor, now, pw), p.sensor)); err != nil {
					t.Fatalf("handle %s/%s: %v", p.sensor, p.id, err)
				}
			}
			if err := e.Close(ctx); err != nil {
				t.Fatal(err)
			}
			if got := testutil.ToFloat64(e.met.detections); got != tt.wantNew {
				t.Errorf("detections counted: got %v, want %v", got, tt.wantNew)
			}
			if got := testutil.ToFloat64(e.met.duplicates); got != tt.wantDup {
				t.Errorf("duplicates: got %v, want %v", got, tt.wantDup)
			}
			locs, err := db.Locations(ctx, "hmp-test", now.Add(-time.Hour), now.Add(time.Hour), 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(locs) != 1 || !slices.Equal(locs[0].Sensors, tt.wantHeard) {
				t.Errorf("locations: got %+v, want one heard by %v", locs, tt.wantHeard)
			}
			dets, err := db.Detections(ctx, "hmp-test", now.Add(-time.Hour), now.Add(time.Hour), 0)
			if err != nil {
				t.Fatal(err)
			}
			var stored []string
			for _, d := range dets {
				stored = append(stored, d.Sensor)
			}
			slices.Sort(stored)
			if !slices.Equal(stored, tt.wantHeard) {
				t.Errorf("stored detections of sensors %v, want %v", stored, tt.wantHeard)
			}
		})
	}
}

// TestSeenFileBySensor: the seen file keeps each detection's sensor with
// its ID, so after a restart a sensor's redelivery is still a duplicate
// and another sensor's detection with that ID is new. A file saved before
// (bare IDs, one a line) is read without error, and its IDs drop no
// detection of any sensor: which sensor sent one is not known.
func TestSeenFileBySensor(t *testing.T) {
	type pub struct{ sensor, id string }
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name    string
		given   string // the seen file before the start; "-" = saved by a run that took before
		before  []pub
		when    []pub // after the restart
		wantNew float64
		wantDup float64
		wantLog string // in the log of the start after, "" = nothing logged
		notLog  string // not in it
	}{
		{name: "saved by sensor", given: "-", before: []pub{{"s1", "7"}, {"s2", "8"}},
			when: []pub{{"s1", "7"}, {"s2", "8"}, {"s2", "7"}, {"s1", "8"}, {"s3", "7"}}, wantNew: 3, wantDup: 2},
		{name: "an older file's bare IDs", given: "7\ns1-b00t-1-1\n",
			when: []pub{{"s1", "7"}, {"s2", "7"}, {"s1", "s1-b00t-1-1"}, {"s2", "s1-b00t-1-1"}}, wantNew: 4,
			wantLog: "are not used: a detection delivered again across this restart is handled again\" file=PATH ids=2", notLog: "damaged"},
		{name: "mixed", given: "7\ns1\t7\n",
			when: []pub{{"s1", "7"}, {"s2", "7"}}, wantNew: 1, wantDup: 1, wantLog: "ids=1", notLog: "damaged"},
		// lines no fusion wrote: damage, not an older file, whose lines
		// are IDs; the sensors' lines among them are used
		{name: "lines of no detection", given: "s2\t\n\tx\nbad sensor\tx\ns1\t7\nx\x01y\n",
			when: []pub{{"s1", "7"}, {"s2", "7"}}, wantNew: 1, wantDup: 1,
			wantLog: "seen file damaged: fusion starts without the detection IDs its damaged lines held, so a detection delivered again across this restart is handled again; the file is written anew when fusion stops\" file=PATH damaged_lines=4 ids_used=1",
			notLog:  "told apart by sensor"},
		// random bytes were taken for an older file: "seen IDs saved
		// before detections were told apart by sensor are not used ids=4"
		{name: "random bytes", given: randomText(1, 8192),
			when: []pub{{"s1", "7"}}, wantNew: 1,
			wantLog: "seen file damaged", notLog: "told apart by sensor"},
		// a damaged file: a line longer than bufio.Scanner's 64 KiB kept
		// fusion from starting ("token too long"); it is skipped now
		{name: "a line too long", given: strings.Repeat("\x00", 70000) + "\ns1\t7\n" + strings.Repeat("s2\t8", 20000),
			when: []pub{{"s1", "7"}, {"s2", "8"}}, wantNew: 1, wantDup: 1, wantLog: "seen file damaged: fusion starts without"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "seen")
			clock := func() time.Time { return now }
			if tt.given != "-" {
				if err := os.WriteFile(path, []byte(tt.given), 0o600); err != nil {
					t.Fatal(err)
				}
			} else {
				e, err := New(Config{SeenFile: path}, Deps{Site: wing(t), Clock: clock})
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range tt.before {
					if err := e.HandleDetection(ctx, testDet(p.id, p.sensor, now, -60)); err != nil {
						t.Fatal(err)
					}
				}
				if err := e.Close(ctx); err != nil {
					t.Fatal(err)
				}
			}
			var log bytes.Buffer
			e, err := New(Config{SeenFile: path}, Deps{Site: wing(t), Clock: clock, Logger: slog.New(slog.NewTextHandler(&log, nil))})
			if err != nil {
				t.Fatalf("start on the seen file: %v", err)
			}
			if want := strings.ReplaceAll(tt.wantLog, "PATH", path); want == "" && log.Len() > 0 || !strings.Contains(log.String(), want) {
				t.Errorf("start logged %q, want %q", log.String(), want)
			}
			if tt.notLog != "" && strings.Contains(log.String(), tt.notLog) {
				t.Errorf("start logged %q, want no %q", log.String(), tt.notLog)
			}
			for _, p := range tt.when {
				if err := e.HandleDetection(ctx, testDet(p.id, p.sensor, now, -60)); err != nil {
					t.Fatal(err)
				}
			}
			if got := testutil.ToFloat64(e.met.detections); got != tt.wantNew {
				t.Errorf("after the restart: %v new detections, want %v", got, tt.wantNew)
			}
			if got := testutil.ToFloat64(e.met.duplicates); got != tt.wantDup {
				t.Errorf("after the restart: %v duplicates, want %v", got, tt.wantDup)
			}
		})
	}
}

// randomText returns n bytes of seeded random noise, as a disk leaves in
// a file.
func randomText(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return string(b)
}
