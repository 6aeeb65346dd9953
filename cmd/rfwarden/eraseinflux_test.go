package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/influxtest"
)

// eraseStatement is one InfluxDB DELETE erase prints: its measurement,
// site, room ("" when it has no room condition) and window.
var eraseStatement = regexp.MustCompile(`DELETE FROM "(detection|location)" WHERE "site" = '([^']*)'(?: AND "room" = '([^']*)')? AND time >= '([^']*)' AND time < '([^']*)'`)

// With InfluxDB, fusion writes no SQLite detection rows, and an alert
// keeps only its latest room: a phone's alert that moved from cell-1 to
// cell-2 had its first detections and fixes placed in cell-1. The
// statements rfwarden erase prints for InfluxDB must reach every one of
// the case's detections and locations, there too: the DPO who runs them
// all leaves nothing of the case in InfluxDB. Against a real influxd
// (skipped without one), the statements run and delete the case's points,
// and not another site's or those outside the case's window.
func TestEraseInfluxStatementsReachMovedCase(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "rfwarden.db")
	db, err := store.OpenSQLite(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	ack := base.Add(time.Hour).UnixNano()
	det := func(id, site, room string, at time.Time, freqHz float64) store.DetectionRecord {
		return store.DetectionRecord{Detection: event.Detection{Schema: 1, ID: id, Site: site, Sensor: "s1", TimeNS: at.UnixNano(),
			CenterHz: freqHz, Class: "lte", Band: "LTE B3 UL"}, Room: room, Track: "t1"}
	}
	// what InfluxDB holds of the case (fusion wrote no SQLite detection rows)
	caseDets := []store.DetectionRecord{
		det(eraseDetID("s1", 1), "hmp-test", "cell-1", base, 1.75e9),                    // placed in cell-1 at first
		det(eraseDetID("s1", 2), "hmp-test", "cell-2", base.Add(2*time.Minute), 1.75e9), // then the alert moved to cell-2
	}
	caseFixes := []store.LocationRecord{
		{Site: "hmp-test", Track: "t1", Class: "lte", TimeNS: base.UnixNano(), Room: "cell-1", RoomProb: 0.9},
		{Site: "hmp-test", Track: "t1", Class: "lte", TimeNS: base.Add(2 * time.Minute).UnixNano(), Room: "cell-2", RoomProb: 0.8},
		// a fix of its track in the corridor between, of no detection the case names
		{Site: "hmp-test", Track: "t1", Class: "lte", TimeNS: base.Add(time.Minute).UnixNano(), Room: "corridor", RoomProb: 0.5},
	}
	// not the case's: another site's, and this site's a day later
	others := []store.DetectionRecord{
		det(eraseDetID("s1", 1), "hmp-other", "cell-1", base, 1.75e9),
		det(eraseDetID("s1", 9), "hmp-test", "cell-1", base.Add(24*time.Hour), 1.75e9),
	}
	var evidence []string
	for _, d := range caseDets {
		evidence = append(evidence, d.ID)
	}
	a := event.Alert{Schema: 1, ID: "M1", Site: "hmp-test", Rule: "phone", Severity: event.SeverityCritical, State: event.AlertResolved,
		Summary: "phone in cell 2", Room: "cell-2", Track: "t1", Incident: "INC-M", Evidence: evidence,
		RoomProbs: map[string]float64{"cell-2": 0.8, "cell-3": 0.2},
		ActiveNS:  base.UnixNano(), UpdatedNS: base.Add(5 * time.Minute).UnixNano(), AckNS: ack, AckBy: "ops"}
	if err := db.UpsertAlert(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := db.UpsertIncident(ctx, store.Incident{ID: "INC-M", Site: "hmp-test", Kind: "illicit_phone", Summary: "phone in cell 2",
		OpenedNS: base.UnixNano(), UpdatedNS: ack, State: store.IncidentClosed, ClosedNS: ack, ClosedBy: "ops", Outcome: "not_found",
		Rooms: []string{"cell-2"}, Alerts: []string{"M1"}, Detections: evidence}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	oldTerm := eraseTerminal
	eraseTerminal = func() bool { return false }
	defer func() { eraseTerminal = oldTerm }()
	var stdout, stderr strings.Builder
	if err := run(ctx, []string{"erase", "--db", dbPath, "--no-snippets", "--incident", "INC-M", "--dry-run"}, &stdout, &stderr); err != nil {
		t.Fatalf("erase --dry-run: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	found := eraseStatement.FindAllStringSubmatch(stdout.String(), -1)
	if len(found) == 0 {
		t.Fatalf("no InfluxDB statement printed:\n%s", stdout.String())
	}
	var statements []string
	for _, m := range found {
		statements = append(statements, m[0])
	}
	reaches := func(measurement, site, room string, ns int64) bool {
		for _, m := range found {
			from, err1 := time.Parse(time.RFC3339Nano, m[4])
			to, err2 := time.Parse(time.RFC3339Nano, m[5])
			if err1 != nil || err2 != nil {
				t.Fatalf("statement %q: times %v %v", m[0], err1, err2)
			}
			at := time.Unix(0, ns)
			if m[1] == measurement && m[2] == site && (m[3] == "" || m[3] == room) && !at.Before(from) && at.Before(to) {
				return true
			}
		}
		return false
	}
	for _, d := range caseDets {
		if !reaches("detection", d.Site, d.Room, d.TimeNS) {
			t.Errorf("detection %s of the case, in room %q at %s, is matched by none of the statements:\n%s",
				d.ID, d.Room, time.Unix(0, d.TimeNS).UTC().Format(time.RFC3339), strings.Join(statements, "\n"))
		}
	}
	for _, l := range caseFixes {
		if !reaches("location", l.Site, l.Room, l.TimeNS) {
			t.Errorf("location of the case's track in room %q at %s is matched by none of the statements:\n%s",
				l.Room, time.Unix(0, l.TimeNS).UTC().Format(time.RFC3339), strings.Join(statements, "\n"))
		}
	}
	for _, d := range others {
		if reaches("detection", d.Site, d.Room, d.TimeNS) {
			t.Errorf("detection %s of site %s at %s, not the case's, is matched by a statement:\n%s",
				d.ID, d.Site, time.Unix(0, d.TimeNS).UTC().Format(time.RFC3339), strings.Join(statements, "\n"))
		}
	}
	if !strings.Contains(stdout.String(), "not known here") {
		t.Errorf("erase does not say why its statements take every room's:\n%s", stdout.String())
	}

	// Read in InfluxDB (--influx), the rooms are known: the statements
	// take those rooms' only, and leave a neighbour's detection of that
	// time in another cell.
	t.Run("rooms read in InfluxDB", func(t *testing.T) {
		srv := influxtest.Start(t) // skips without influxd
		neighbour := det(eraseDetID("s2", 7), "hmp-test", "cell-3", base.Add(time.Minute), 1.8e9)
		w, err := store.OpenInflux(store.InfluxConfig{URL: srv.URL, Database: "rfwarden", SpoolDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		err = w.WriteDetections(ctx, slices.Concat(caseDets, others, []store.DetectionRecord{neighbour}))
		if err == nil {
			err = w.WriteLocations(ctx, caseFixes)
		}
		if err == nil {
			err = w.Flush(ctx)
		}
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		var stdout, stderr strings.Builder
		if err := run(ctx, []string{"erase", "--db", dbPath, "--no-snippets", "--incident", "INC-M", "--dry-run", "--influx", srv.URL}, &stdout, &stderr); err != nil {
			t.Fatalf("erase --dry-run --influx: %v\n%s%s", err, stdout.String(), stderr.String())
		}
		var statements, rooms []string
		for _, m := range eraseStatement.FindAllStringSubmatch(stdout.String(), -1) {
			statements = append(statements, m[0])
			if m[1] == "detection" {
				rooms = append(rooms, m[3])
			}
		}
		if want := []string{"cell-1", "cell-2", "corridor", "_"}; !slices.Equal(rooms, want) {
			t.Errorf("the detection statements are for rooms %q, want %q:\n%s", rooms, want, stdout.String())
		}

		r, err := store.OpenInflux(store.InfluxConfig{URL: srv.URL, Database: "rfwarden", ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		from, to := base.Add(-time.Hour), base.Add(48*time.Hour)
		stored := func(site string) (ids []string, rooms []string) {
			t.Helper()
			dets, err := r.Detections(ctx, site, from, to, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range dets {
				ids = append(ids, d.ID+"@"+d.Room)
			}
			locs, err := r.Locations(ctx, site, from, to, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range locs {
				rooms = append(rooms, l.Room)
			}
			slices.Sort(ids)
			slices.Sort(rooms)
			return ids, rooms
		}
		if ids, rooms := stored("hmp-test"); len(ids) != 4 || len(rooms) != 3 {
			t.Fatalf("before the statements InfluxDB holds detections %v and locations in %v; want 4 and 3", ids, rooms)
		}
		for _, s := range statements {
			influxExec(t, srv.URL, "rfwarden", s)
		}
		ids, locRooms := stored("hmp-test")
		want := []string{others[1].ID + "@cell-1", neighbour.ID + "@cell-3"}
		slices.Sort(want)
		if !slices.Equal(ids, want) || len(locRooms) != 0 {
			t.Errorf("after the statements InfluxDB holds detections %v and locations in %v; want %v and none:\n%s", ids, locRooms, want, strings.Join(statements, "\n"))
		}
		if ids, _ := stored("hmp-other"); len(ids) != 1 {
			t.Errorf("another site's detection went with the case: %v", ids)
		}
	})
}

// influxExec runs the InfluxQL statement q on database db of the influxd
// at base, failing the test on an error.
func influxExec(t *testing.T, base, db, q string) {
	t.Helper()
	resp, err := http.PostForm(base+"/query", url.Values{"db": {db}, "q": {q}})
	if err != nil {
		t.Fatalf("influx %q: %v", q, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 || strings.Contains(string(b), `"error"`) {
		t.Fatalf("influx %q: %s: %s", q, resp.Status, b)
	}
}

// fakeInfluxCase answers readInfluxRooms from lists.
type fakeInfluxCase struct {
	dets []store.DetectionRecord
	locs []store.LocationRecord
	err  error
}

func (f fakeInfluxCase) DetectionsByID(_ context.Context, site string, from, to time.Time, ids []string) ([]store.DetectionRecord, error) {
	var out []store.DetectionRecord
	for _, d := range f.dets {
		if d.Site == site && slices.Contains(ids, d.ID) && !time.Unix(0, d.TimeNS).Before(from) && time.Unix(0, d.TimeNS).Before(to) {
			out = append(out, d)
		}
	}
	return out, f.err
}

func (f fakeInfluxCase) Locations(_ context.Context, site string, from, to time.Time, limit int) ([]store.LocationRecord, error) {
	out := f.locs
	if len(out) > limit {
		out = out[:limit]
	}
	return out, f.err
}

// readInfluxRooms takes the rooms of the case from InfluxDB only when it
// holds every detection of the case and the locations of its window were
// read whole; otherwise the rooms stay not known (statements of every
// room).
func TestReadInfluxRooms(t *testing.T) {
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	d1, d2 := eraseDetID("s1", 1), eraseDetID("s1", 2)
	det := func(id, room string) store.DetectionRecord {
		return store.DetectionRecord{Detection: event.Detection{ID: id, Site: "hmp-test", TimeNS: base.UnixNano()}, Room: room}
	}
	many := make([]store.LocationRecord, influxLocationLimit)
	for _, tc := range []struct {
		name      string
		in        fakeInfluxCase
		wantKnown bool
		wantRooms []string
		wantErr   bool
	}{
		{name: "every detection found", in: fakeInfluxCase{dets: []store.DetectionRecord{det(d1, "cell-1"), det(d2, "")},
			locs: []store.LocationRecord{{Track: "t1", Room: "corridor"}, {Track: "t9", Room: "cell-9"}}},
			wantKnown: true, wantRooms: []string{"cell-1", "cell-2", "corridor"}},
		{name: "a detection not there", in: fakeInfluxCase{dets: []store.DetectionRecord{det(d1, "cell-1")}},
			wantRooms: []string{"cell-2"}},
		{name: "too many locations to read", in: fakeInfluxCase{dets: []store.DetectionRecord{det(d1, "cell-1"), det(d2, "cell-1")}, locs: many},
			wantRooms: []string{"cell-2"}},
		{name: "InfluxDB fails", in: fakeInfluxCase{err: errors.New("connection refused")}, wantRooms: []string{"cell-2"}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &erasePlan{site: "hmp-test", detections: []string{d1, d2}, rooms: []string{"cell-2"}, tracks: []string{"t1"},
				fromNS: base.Add(-time.Minute).UnixNano(), toNS: base.Add(time.Minute).UnixNano()}
			err := readInfluxRooms(context.Background(), tc.in, p)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want one: %v", err, tc.wantErr)
			}
			if p.roomsKnown != tc.wantKnown || !slices.Equal(p.rooms, tc.wantRooms) {
				t.Errorf("rooms %q known %v, want %q known %v", p.rooms, p.roomsKnown, tc.wantRooms, tc.wantKnown)
			}
		})
	}
}

// TestEraseInfluxWarningHidesPassword: erase's warning that InfluxDB did
// not answer names --influx without the password of a URL carrying one
// (http://user:password@host:8086): its output is kept with the case.
func TestEraseInfluxWarningHidesPassword(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close() // nothing answers there
	const secret = "s3cr3t-pw"
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	p := &erasePlan{site: "hmp-test", detections: []string{eraseDetID("s1", 1)},
		fromNS: base.Add(-time.Minute).UnixNano(), toNS: base.Add(time.Minute).UnixNano()}
	var out strings.Builder
	eraseInflux{url: "http://rfw:" + secret + "@" + closed, password: "env-" + secret}.lookUp(context.Background(), p, &out)
	if !strings.Contains(out.String(), "warning: InfluxDB (--influx http://rfw:xxxxx@"+closed+")") {
		t.Errorf("no warning naming --influx without its password:\n%s", out.String())
	}
	if strings.Contains(out.String(), secret) {
		t.Errorf("the output names the password:\n%s", out.String())
	}
}
