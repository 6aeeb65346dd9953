package fusion

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// killedSeries is a SQLite time series whose detection and location
// writes fail once killed is set: what fusion had not flushed when a kill
// -9 came is never written by that run.
type killedSeries struct {
	*store.SQLite
	killed atomic.Bool
	// spooled: detection writes succeed and leave no row, as InfluxDB's
	// spool takes them while the server is away.
	spooled bool
}

var errKilled = errors.New("killed")

func (k *killedSeries) WriteDetections(ctx context.Context, r []store.DetectionRecord) error {
	if k.killed.Load() {
		return errKilled
	}
	if k.spooled {
		return nil
	}
	return k.SQLite.WriteDetections(ctx, r)
}

func (k *killedSeries) WriteLocations(ctx context.Context, r []store.LocationRecord) error {
	if k.killed.Load() {
		return errKilled
	}
	return k.SQLite.WriteLocations(ctx, r)
}

// alertIDs returns the IDs of site's alerts in db, each with its rule
// and room, sorted.
func alertIDs(t *testing.T, db *store.SQLite, site string) []string {
	t.Helper()
	as, err := db.Alerts(context.Background(), store.AlertFilter{Site: site})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range as {
		ids = append(ids, a.ID+" ("+a.Rule+" in "+a.Room+")")
	}
	slices.Sort(ids)
	return ids
}

// TestJournalReplayAlertsOnce: fusion, its detections journaled as Run
// journals them, is killed (-9) after a phone's emission was taken in
// and before the flush that would store its detections. In the first
// case the emission's group had closed: located by the sensor that alone
// heard it (the others' fixes of the phone a second before lent it the
// rest), it fired the phone's alert, stored with it as evidence. In the
// second the alert had fired and been stored before, and the group only
// continued it, its stored evidence naming none of the group's
// detections. In the third the group had not closed: nothing alerted on
// it; in the fourth neither, of a second phone, on another carrier in
// another cell, while the first phone's alert is open; in the fifth
// neither, of a second phone on the first's carrier, in a cell across
// the wing, heard only by sensors that did not hear the first. The sixth
// is as the second, the first phone heard by some sensors and the group
// by one of them alone. The seventh is as the fifth, the time series
// holding none of the first phone's detections (InfluxDB's spool took
// them).
// The fusion started again replays the journal: each journaled detection
// is stored once, the first, second and sixth cases' alert is the
// phone's only one, and the third, fourth, fifth and seventh cases'
// emission raises its alert. Until 2026-12-07 the first two cases'
// replay located the lone detection again on a new track, without the
// detections around it, in no cell, and raised a second alert for it; and the fifth case's phone,
// taken for the first's (the same carrier), was not alerted at the
// replay; and the seventh's, until the evidence's sensors were read from
// its detection IDs rather than the time series, was not either.
func TestJournalReplayAlertsOnce(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before []string // with the store writing
		killed []string // after the store's last write
		tick   bool     // a tick closes the last emission's group before the kill
		raised int      // alerts the replay raises
		// continued: the killed group continued the alert stored before,
		// which names none of its detections (not stored again since)
		continued bool
		spooled   bool // the time series holds none of the first run's detections
	}{
		{name: "its alert stored before the kill",
			before: []string{"status all online", "emit p1 class=lte x=7 y=9 tx=15 every=1s for=9s", "advance 1s"},
			killed: []string{"emit p1 class=lte x=7 y=9 tx=15 missed=s1,s2,s3,s4,s5,s7"},
			tick:   true},
		{name: "it continued the alert stored before the kill",
			before:    []string{"status all online", "emit p1 class=lte x=7 y=9 tx=15 every=1s for=12s", "advance 1s"},
			killed:    []string{"emit p1 class=lte x=7 y=9 tx=15 missed=s1,s2,s3,s4,s5,s7"},
			tick:      true,
			continued: true},
		{name: "killed before its group closed",
			before: []string{"status all online"},
			killed: []string{"emit p1 class=lte x=7 y=9 tx=15"},
			raised: 1},
		{name: "killed before its group closed, another carrier's alert open",
			before: []string{"status all online", "emit p1 class=lte x=7 y=9 tx=15 every=1s for=12s", "advance 1s"},
			killed: []string{"emit p2 class=lte x=32 y=2 tx=15 freq=1.76e9"},
			raised: 1},
		{name: "killed before its group closed, a phone on its carrier heard by other sensors alerted",
			before: []string{"status all online", "emit p1 class=lte x=7 y=9 tx=15 every=1s for=12s missed=s2,s4,s6", "advance 1s"},
			killed: []string{"emit p2 class=lte x=32 y=2 tx=15 missed=s1,s3,s5,s7"},
			raised: 1},
		{name: "it continued the alert stored before the kill, heard by some of its sensors",
			before:    []string{"status all online", "emit p1 class=lte x=7 y=9 tx=15 every=1s for=12s missed=s2,s4,s6", "advance 1s"},
			killed:    []string{"emit p1 class=lte x=7 y=9 tx=15 missed=s2,s3,s4,s5,s6,s7"},
			tick:      true,
			continued: true},
		{name: "killed before its group closed, a phone on its carrier heard by other sensors alerted, the first's evidence spooled",
			before:  []string{"status all online", "emit p1 class=lte x=7 y=9 tx=15 every=1s for=12s missed=s2,s4,s6", "advance 1s"},
			killed:  []string{"emit p2 class=lte x=32 y=2 tx=15 missed=s1,s3,s5,s7"},
			raised:  1,
			spooled: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			replayAlertsOnce(t, tc.before, tc.killed, tc.tick, tc.continued, tc.spooled, tc.raised)
		})
	}
}

func replayAlertsOnce(t *testing.T, before, killed []string, tick, continued, spooled bool, raised int) {
	ctx := context.Background()
	s := wing(t)
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfwarden.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ts := &killedSeries{SQLite: db, spooled: spooled}
	sc := &scenario{t: t, auth: scenarioRegistry(t, s), now: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC),
		rng: rand.New(rand.NewPCG(1, 2)), noiseDBmPerMHz: -100, maint: fakeMaintenance{}, sensorIDs: true}
	cfg := Config{NoiseDBmPerMHz: sc.noiseDBmPerMHz, DetectSNRDB: detectSNRDB, ScanBandsHz: scanBandsHz}
	deps := Deps{Site: s, Authorizer: sc.auth, Maintenance: sc.maint, TimeSeries: ts, AlertStore: db, Journal: db,
		Clock: func() time.Time { return sc.now }}
	if sc.eng, err = New(cfg, deps); err != nil {
		t.Fatal(err)
	}
	sc.jr = newJournaler(sc.eng)
	run := func(lines []string) {
		t.Helper()
		for _, line := range lines {
			if err := sc.exec(line); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
		}
	}
	run(before)
	ts.killed.Store(true)
	run(killed)
	if tick {
		sc.now = sc.now.Add(time.Second)
		if err := sc.eng.Tick(ctx, sc.now); !errors.Is(err, errKilled) {
			t.Fatalf("tick closing the group: %v, want its flush to fail", err)
		}
	}
	was := alertIDs(t, db, s.ID)
	journaled, err := db.Journal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var unstored []string
	for _, en := range journaled {
		d, err := event.DecodeDetection(en.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if recs, err := db.DetectionsByID(ctx, s.ID, time.Unix(0, d.TimeNS), time.Unix(0, d.TimeNS+1), []string{d.ID}); err != nil || len(recs) == 0 {
			unstored = append(unstored, d.ID)
		}
	}
	if len(unstored) == 0 {
		t.Fatal("the kill left no unstored detection in the journal")
	}
	if continued {
		as, err := db.Alerts(ctx, store.AlertFilter{Site: s.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(as) != 1 || slices.ContainsFunc(unstored, func(id string) bool { return slices.Contains(as[0].Evidence, id) }) {
			t.Fatalf("stored alerts before the replay: %+v; want one, naming none of the unstored %v", as, unstored)
		}
	}
	// The first run is killed: no Close. The next one replays the journal.
	sc.now = sc.now.Add(2 * time.Second)
	deps.TimeSeries = db
	e2, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	_, stop := runSubscribed(t, e2)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	now := alertIDs(t, db, s.ID)
	if len(now) != len(was)+raised || slices.ContainsFunc(was, func(id string) bool { return !slices.Contains(now, id) }) {
		t.Errorf("alerts after the replay: %s; want the first run's %s and %d more", now, was, raised)
	}
	storedOnce(t, db, unstored)
	if left, err := db.Journal(ctx); err != nil || len(left) != 0 {
		t.Errorf("journal after the replay's flush: %d entries, %v; want none", len(left), err)
	}
}

// TestJournalMarkAlertedSince: the replay takes a journaled detection
// for alerted on when an alert the store holds open, or updated since
// MaxAhead before it (MinMaxAhead with MaxAhead disabled), names it as
// evidence; not when only an alert resolved an hour before names its ID
// (a sensor that used the ID again). Until 2026-12-07 MaxAhead disabled
// read every stored alert, and the hour-old one kept the replay from
// alerting on the detection's group.
func TestJournalMarkAlertedSince(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		maxAhead time.Duration
		state    string
		updated  time.Duration // before now
		want     int
	}{
		{"resolved an hour before, MaxAhead disabled", -1, event.AlertResolved, time.Hour, 0},
		{"resolved an hour before", 0, event.AlertResolved, time.Hour, 0},
		{"resolved a second before, MaxAhead disabled", -1, event.AlertResolved, time.Second, 1},
		{"resolved a second before", 0, event.AlertResolved, time.Second, 1},
		{"firing, updated an hour before", -1, event.AlertFiring, time.Hour, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfwarden.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			s := wing(t)
			a := testAlert()
			a.Site, a.State, a.Evidence = s.ID, tc.state, []string{"s1-7"}
			a.ActiveNS, a.UpdatedNS = now.Add(-2*time.Hour).UnixNano(), now.Add(-tc.updated).UnixNano()
			if err := db.UpsertAlert(ctx, a); err != nil {
				t.Fatal(err)
			}
			e, err := New(Config{MaxAhead: tc.maxAhead}, Deps{Site: s, AlertStore: db, Clock: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			d := testDet("s1-7", "s1", now, -60)
			d.Class = event.ClassGSM // no continuation of the alert: its evidence alone
			if got := newJournaler(e).markAlerted(ctx, []event.Detection{d}, now.UnixNano()); got != tc.want {
				t.Errorf("markAlerted = %d, want %d", got, tc.want)
			}
		})
	}
}
