package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// locWindowEnv is a dashboard over a real store holding, in the last 30
// minutes, a drone heard once 20 minutes ago, a busy phone located 1,200
// times in the last 2 minutes and a staff radio (authorised) located
// 1,500 times in the last 2.5 minutes: far more recent fixes than the
// 1,000 GET /locations used to read before leaving out the authorised.
func locWindowEnv(t *testing.T, tweak func(*Deps)) (*env, *store.SQLite) {
	t.Helper()
	ev := newEnv(t)
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fix := func(track, class, link string, ago time.Duration, authorised bool) store.LocationRecord {
		return store.LocationRecord{Site: "hmp1", Track: track, Class: class, Link: link, TimeNS: testNow.Add(-ago).UnixNano(),
			Floor: "g", Room: "a-102", RoomProb: 0.8, RoomProbs: map[string]float64{"a-102": 0.8, "a-101": 0.2}, XM: 4, YM: 2, Authorised: authorised}
	}
	recs := []store.LocationRecord{fix("drone-1", event.ClassDroneID, event.LinkUnknown, 20*time.Minute, false)}
	for i := range 1200 {
		recs = append(recs, fix("busy", event.ClassLTE, event.LinkUplink, time.Duration(i+1)*100*time.Millisecond, false))
	}
	for i := range 1500 {
		recs = append(recs, fix("staff", event.ClassWiFi, event.LinkUnknown, time.Duration(i+1)*100*time.Millisecond-time.Millisecond, true))
	}
	if err := db.WriteLocations(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	ev.deps.TimeSeries = db
	if tweak != nil {
		tweak(&ev.deps)
	}
	return ev, db
}

// TestLocationsWholeWindow: the floor plan kept about a minute of its 30
// minute track window. GET /locations read the 1,000 newest fixes and
// then left out the authorised ones, so a busy phone and staff radios
// pushed a drone heard 20 minutes ago off the map, and nothing said so.
// Now every track heard in the window is there, each with its newest
// fixes (at most LocationTrail), authorised fixes left out before any
// bound, and truncated false.
func TestLocationsWholeWindow(t *testing.T) {
	ev, _ := locWindowEnv(t, nil)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, as, query string
		want            map[string]int // fixes per track
	}{
		{"given a viewer, when reading 30 min, expect the drone and the phone's trail", RoleViewer, "minutes=30",
			map[string]int{"drone-1": 1, "busy": LocationTrail}},
		{"given an analyst asking for authorised, when reading 30 min, expect the staff radio's trail too", RoleAnalyst, "minutes=30&authorised=1",
			map[string]int{"drone-1": 1, "busy": LocationTrail, "staff": LocationTrail}},
		{"given a viewer, when reading 10 min, expect the drone out of the window", RoleViewer, "minutes=10",
			map[string]int{"busy": LocationTrail}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := login(t, e, tc.as, tc.as+"-password")
			rec := do(e, "GET", "/api/v1/locations?"+tc.query, "", "", &c, false)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET /locations?%s: %d %s", tc.query, rec.Code, rec.Body)
			}
			var got LocationsAnswer
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("GET /locations?%s: %v in %.300s", tc.query, err, rec.Body)
			}
			per := map[string]int{}
			newest := map[string]int64{}
			for _, l := range got.Fixes {
				per[l.Track]++
				newest[l.Track] = max(newest[l.Track], l.TimeNS)
			}
			if !maps.Equal(per, tc.want) {
				t.Errorf("fixes per track %v, want %v", per, tc.want)
			}
			if got.Truncated || got.CompleteFromNS != 0 {
				t.Errorf("truncated %v from %d, want the whole window", got.Truncated, got.CompleteFromNS)
			}
			if want := testNow.Add(-100 * time.Millisecond).UnixNano(); newest["busy"] != want {
				t.Errorf("busy phone's newest fix %v, want %v", time.Unix(0, newest["busy"]).UTC(), time.Unix(0, want).UTC())
			}
		})
	}
}

// TestLocationsBounded: a read walks at most so many stored fixes and
// gives at most so many tracks; an answer cut short says so, and from
// when it is complete (every track heard after it is there).
func TestLocationsBounded(t *testing.T) {
	for _, tc := range []struct {
		name         string
		scan, tracks int
		query        string
		wantTracks   []string
		wantFrom     time.Duration // before testNow; the answer is complete after it
	}{
		{"given a scan bound below the window's fixes, when reading 30 min, expect the drone cut and said so",
			2000, 0, "minutes=30", []string{"busy"}, 100 * time.Second},
		{"given one track at most, when reading 30 min, expect the phone alone and said so",
			0, 1, "minutes=30", []string{"busy"}, 20 * time.Minute},
		{"given the bounds, when reading a week, expect the whole week",
			0, 0, "minutes=10080", []string{"busy", "drone-1"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, _ := locWindowEnv(t, func(d *Deps) { d.maxLocationScan, d.maxLocationTracks = tc.scan, tc.tracks })
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			c := login(t, e, RoleViewer, "viewer-password")
			rec := do(e, "GET", "/api/v1/locations?"+tc.query, "", "", &c, false)
			var got LocationsAnswer
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK {
				t.Fatalf("GET /locations?%s: %d %v %.300s", tc.query, rec.Code, err, rec.Body)
			}
			tracks := map[string]bool{}
			for _, l := range got.Fixes {
				tracks[l.Track] = true
			}
			if want := fmt.Sprint(tc.wantTracks); fmt.Sprint(sortedKeys(tracks)) != want {
				t.Errorf("tracks %v, want %s", sortedKeys(tracks), want)
			}
			wantNS := int64(0)
			if tc.wantFrom > 0 {
				wantNS = testNow.Add(-tc.wantFrom).UnixNano()
			}
			if got.Truncated != (wantNS != 0) || got.CompleteFromNS != wantNS {
				t.Errorf("truncated %v, complete from %v; want %v from %v", got.Truncated, time.Unix(0, got.CompleteFromNS).UTC(),
					wantNS != 0, time.Unix(0, wantNS).UTC())
			}
		})
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestSearchWholeWindow: the search list read the 5,000 newest fixes of
// its 30 minutes, so a busy phone hid a drone controller located 20
// minutes ago. Now it weighs every emitter located in the window, or
// says from when it is complete.
func TestSearchWholeWindow(t *testing.T) {
	for _, tc := range []struct {
		name     string
		scan     int
		want     string // rooms and scores
		wantFrom time.Duration
	}{
		{"given 6,000 fixes of a phone, when listing, expect the drone's room too", 0, "[b-101 1.0 a-103 0.6 a-102 0.4]", 0},
		{"given a scan bound of 100 fixes, when listing, expect the phone's room and the cut said", 100, "[b-101 1.0]", 100 * 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t)
			db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			fix := func(track, class, link, room string, ago time.Duration) store.LocationRecord {
				return store.LocationRecord{Site: "hmp1", Track: track, Class: class, Link: link, TimeNS: testNow.Add(-ago).UnixNano(),
					Floor: "g", Room: room, RoomProb: 1, RoomProbs: map[string]float64{room: 1}}
			}
			drone := fix("drone-1", event.ClassDroneID, event.LinkUnknown, "a-103", 20*time.Minute)
			drone.RoomProb, drone.RoomProbs = 0.6, map[string]float64{"a-103": 0.6, "a-102": 0.4}
			recs := []store.LocationRecord{drone}
			for i := range 6000 {
				recs = append(recs, fix("busy", event.ClassLTE, event.LinkUplink, "b-101", time.Duration(i+1)*100*time.Millisecond))
			}
			if err := db.WriteLocations(context.Background(), recs); err != nil {
				t.Fatal(err)
			}
			ev.deps.TimeSeries, ev.deps.maxLocationScan = db, tc.scan
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			c := login(t, e, RoleOfficer, "officer-password")
			rec := do(e, "GET", "/api/v1/search", "", "", &c, false)
			var got SearchAnswer
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK {
				t.Fatalf("GET /search: %d %v %.300s", rec.Code, err, rec.Body)
			}
			var rooms []string
			for _, r := range got.Rooms {
				rooms = append(rooms, fmt.Sprintf("%s %.1f", r.Room, r.Score))
			}
			if fmt.Sprint(rooms) != tc.want {
				t.Errorf("search list %v, want %s", rooms, tc.want)
			}
			wantNS := int64(0)
			if tc.wantFrom > 0 {
				wantNS = testNow.Add(-tc.wantFrom).UnixNano()
			}
			if got.Truncated != (wantNS != 0) || got.CompleteFromNS != wantNS {
				t.Errorf("truncated %v from %v, want %v from %v", got.Truncated, time.Unix(0, got.CompleteFromNS).UTC(), wantNS != 0, time.Unix(0, wantNS).UTC())
			}
		})
	}
}

// TestWalkLocationsPages: the walk reads the store a page at a time and
// gives each fix once, fixes of one instant across a page's end too; a
// page all of one instant is walked and the rest of that instant said
// cut. Every fix walked and kept is read whole once.
func TestWalkLocationsPages(t *testing.T) {
	for _, tc := range []struct {
		name          string
		distinct, tie int // fixes at distinct instants, newest, then fixes all at one older instant
		wantWalked    int
		wantCut       bool
	}{
		{"given 20 fixes of one instant across the first page's end, when walking, expect each once", locationPage - 10, 20, locationPage + 10, false},
		{"given a page and more of one instant, when walking, expect a page walked and the instant cut", 0, locationPage + 5, locationPage, true},
		{"given fewer fixes than a page, when walking, expect them all", 7, 0, 7, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := &fakeTS{}
			tieNS := testNow.Add(-time.Hour).UnixNano()
			for i := range tc.distinct {
				ts.locs = append(ts.locs, store.LocationRecord{Site: "hmp1", Track: fmt.Sprint("d", i), TimeNS: testNow.Add(-time.Duration(i+1) * time.Millisecond).UnixNano()})
			}
			for i := range tc.tie {
				ts.locs = append(ts.locs, store.LocationRecord{Site: "hmp1", Track: fmt.Sprint("t", i), TimeNS: tieNS})
			}
			s := &server{d: Deps{TimeSeries: ts, Site: testSite()}}
			seen, used := map[string]int{}, map[string]int{}
			cut, err := s.walkLocations(context.Background(), testNow.Add(-2*time.Hour), testNow, func(h store.FixHead) (keep, more bool) {
				seen[h.Track]++
				return true, true
			}, func(l store.LocationRecord) { used[l.Track]++ })
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(used, seen) {
				t.Errorf("%d fixes read whole, want the %d walked", len(used), len(seen))
			}
			for track, n := range seen {
				if n != 1 {
					t.Errorf("%s walked %d times, want once", track, n)
				}
			}
			if len(seen) != tc.wantWalked || (cut != 0) != tc.wantCut {
				t.Errorf("walked %d, cut at %d; want %d walked, cut %v", len(seen), cut, tc.wantWalked, tc.wantCut)
			}
			if tc.wantCut && cut != tieNS {
				t.Errorf("cut at %d, want the instant %d", cut, tieNS)
			}
		})
	}
}
