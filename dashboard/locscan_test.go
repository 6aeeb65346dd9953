package dashboard

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// fixMix returns n fixes of site hmp1 in the TrackWindow before testNow,
// seeded: staff radios (authorised Wi-Fi, a phone that turns authorised
// mid-way and one authorised on and off), phones on the uplink and the mast's downlink,
// drones, unauthorised Wi-Fi, and fixes of no track, each giving rooms
// rooms (the test site's 8 and others) a probability, as a busy wing's
// fixes do.
// Several share an instant.
func fixMix(n, rooms int, seed uint64) []store.LocationRecord {
	rng := rand.New(rand.NewPCG(seed, 1))
	ids := []string{"a-101", "a-102", "a-103", "land-a", "b-101", "b-102", "yard", "outside"}
	for i := len(ids); i < rooms; i++ {
		ids = append(ids, fmt.Sprintf("r-%02d", i))
	}
	type kind struct {
		class, link string
		authorised  bool
	}
	kinds := []kind{
		{event.ClassWiFi, event.LinkUnknown, true},     // staff Wi-Fi
		{event.ClassLTE, event.LinkUplink, false},      // a phone
		{event.ClassLTE, event.LinkDownlink, false},    // the mast
		{event.ClassDroneID, event.LinkUnknown, false}, // a drone
		{event.ClassWiFi, event.LinkUnknown, false},    // unregistered Wi-Fi
		{event.ClassGSM, event.LinkUplink, true},       // an authorised phone
	}
	out := make([]store.LocationRecord, 0, n)
	ns := testNow.Add(-time.Millisecond).UnixNano()
	step := int64(TrackWindow-time.Minute) / int64(max(n, 1))
	n13 := 0 // fixes of track t013 so far
	for i := range n {
		if rng.IntN(8) != 0 { // one fix in 8 shares its predecessor's instant
			ns -= step
		}
		t := rng.IntN(300)
		k := kinds[t%len(kinds)]
		track := fmt.Sprintf("t%03d", t)
		if rng.IntN(20) == 0 {
			track = "" // a fix of no track
		}
		if t == 7 && i < n/3 { // turned authorised mid-way: its newest fixes are
			k.authorised = true
		}
		if t == 13 { // authorised on and off (its entry's schedule), its newest fix not
			k.authorised = n13%2 == 1
			n13++
		}
		probs := map[string]float64{}
		total := 0.0
		for _, r := range ids {
			p := rng.Float64() * rng.Float64()
			probs[r] = p
			total += p
		}
		top, topP := "", 0.0
		for _, r := range ids {
			probs[r] /= total
			if probs[r] > topP {
				top, topP = r, probs[r]
			}
		}
		l := store.LocationRecord{Site: "hmp1", Track: track, Class: k.class, Link: k.link, TimeNS: ns, Floor: "g",
			Room: top, RoomProb: topP, RoomProbs: probs, XM: rng.Float64() * 15, YM: rng.Float64() * 10,
			SemiMajorM: 2, SemiMinorM: 1, AngleRad: rng.Float64(), Sensors: []string{"s1", "s2"}, Authorised: k.authorised}
		if rng.IntN(10) == 0 { // an older fix: the top room alone
			l.RoomProbs = nil
		}
		out = append(out, l)
	}
	return out
}

// fixEnv is a dashboard over a real SQLite store holding fixMix(n, rooms, seed).
func fixEnv(tb testing.TB, n, rooms int, seed uint64) (*env, *store.SQLite) {
	tb.Helper()
	ev := newEnv(tb)
	db, err := store.OpenSQLite(filepath.Join(tb.TempDir(), "rfw.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.WriteLocations(context.Background(), fixMix(n, rooms, seed)); err != nil {
		tb.Fatal(err)
	}
	ev.deps.TimeSeries = db
	return ev, db
}

// BenchmarkLocationsRead measures GET /locations (30 minutes, a viewer)
// and GET /search (its walk each time: the clock moves past SearchReuse)
// over a store of n fixes of fixMix in the window: the dashboard's two
// reads of the stored fixes, up to MaxLocationScan of them.
func BenchmarkLocationsRead(b *testing.B) {
	for _, n := range []int{2_000, 20_000} {
		ev, _ := fixEnv(b, n, 30, 1)
		var tick time.Duration // 0 or SearchReuse, turn about: every /search walks afresh
		ev.deps.Now = func() time.Time { return testNow.Add(tick) }
		e, err := New(ev.deps)
		if err != nil {
			b.Fatal(err)
		}
		for _, q := range []struct{ name, as, path string }{
			{"locations", RoleViewer, "/api/v1/locations?minutes=30"},
			{"search", RoleOfficer, "/api/v1/search"},
		} {
			c := login(b, e, q.as, q.as+"-password")
			b.Run(fmt.Sprintf("%s/fixes=%d", q.name, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					tick = SearchReuse - tick
					if rec := do(e, "GET", q.path, "", "", &c, false); rec.Code != http.StatusOK {
						b.Fatalf("GET %s: %d %s", q.path, rec.Code, rec.Body)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/fix")
			})
		}
	}
}

// TestLocationsAsDecoded: GET /locations and GET /search decide on each
// stored fix's head (store.FixHead) which to read whole; their answers
// are those of the straightforward reading, every fix of the window
// decoded whole (Locations) and then filtered, over a store of fixMix
// (authorised and not, phones, the downlink, drones and Wi-Fi, tracks
// and fixes of none, 10 rooms) of which a third were written before the
// head columns (read from their bodies), under the scan and track bounds
// too.
func TestLocationsAsDecoded(t *testing.T) {
	ev, db := fixEnv(t, 2000, 10, 7)
	ctx := context.Background()
	if _, err := db.DB().ExecContext(ctx, `UPDATE location SET track = NULL, class = NULL, link = NULL, authorised = NULL WHERE seq % 3 = 0`); err != nil {
		t.Fatal(err)
	}
	all, err := db.Locations(ctx, "hmp1", testNow.Add(-TrackWindow), testNow, 0) // every fix decoded
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name           string
		as             string
		scan, tracks   int
		minutes        int
		withAuthorised bool
		wantTruncated  bool
	}{
		{name: "given a viewer, when reading 30 min, expect the decoded answer", as: RoleViewer, minutes: 30},
		{name: "given an analyst asking for authorised, when reading 30 min, expect the decoded answer", as: RoleAnalyst, minutes: 30, withAuthorised: true},
		{name: "given a viewer, when reading 5 min, expect the decoded answer", as: RoleViewer, minutes: 5},
		{name: "given a scan bound of 500, when reading 30 min, expect the decoded answer, truncated", as: RoleViewer, minutes: 30, scan: 500, wantTruncated: true},
		{name: "given a track bound of 20, when reading 30 min, expect the decoded answer, truncated", as: RoleAnalyst, minutes: 30, tracks: 20, withAuthorised: true, wantTruncated: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			deps := ev.deps
			deps.maxLocationScan, deps.maxLocationTracks = tc.scan, tc.tracks
			e, err := New(deps)
			if err != nil {
				t.Fatal(err)
			}
			scan := cmp.Or(tc.scan, MaxLocationScan)

			query := fmt.Sprintf("minutes=%d", tc.minutes)
			if tc.withAuthorised {
				query += "&authorised=1"
			}
			c := login(t, e, tc.as, tc.as+"-password")
			var got LocationsAnswer
			getJSON(t, e, &c, "/api/v1/locations?"+query, &got)
			want := decodedLocations(all, testNow.Add(-time.Duration(tc.minutes)*time.Minute), scan, cmp.Or(tc.tracks, MaxLocationTracks), tc.withAuthorised)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("GET /locations?%s: %d fixes, truncated %v from %d; want %d, %v from %d", query,
					len(got.Fixes), got.Truncated, got.CompleteFromNS, len(want.Fixes), want.Truncated, want.CompleteFromNS)
			}
			if len(want.Fixes) == 0 || want.Truncated != tc.wantTruncated {
				t.Errorf("the decoded answer has %d fixes, truncated %v: the case tests what it does not say", len(want.Fixes), want.Truncated)
			}

			c = login(t, e, RoleOfficer, "officer-password")
			var search SearchAnswer
			getJSON(t, e, &c, "/api/v1/search", &search)
			score, cut := decodedSearch(all, scan)
			if search.Truncated != (cut != 0) || search.CompleteFromNS != cut {
				t.Errorf("GET /search truncated %v from %d, want %v from %d", search.Truncated, search.CompleteFromNS, cut != 0, cut)
			}
			listed := 0
			for _, r := range testSite().Rooms {
				if score[r.ID] > 0 && r.Kind != site.KindOutside {
					listed++
				}
			}
			if len(search.Rooms) != listed {
				t.Errorf("GET /search lists %d rooms, want %d", len(search.Rooms), listed)
			}
			for i, r := range search.Rooms {
				// the emitters' shares are summed in map order: equal to rounding
				if w := score[r.Room]; math.Abs(r.Score-w) > 1e-12*w {
					t.Errorf("GET /search room %s score %v, want %v", r.Room, r.Score, w)
				}
				if i > 0 && r.Score > search.Rooms[i-1].Score {
					t.Errorf("GET /search room %s (%v) after %s (%v)", r.Room, r.Score, search.Rooms[i-1].Room, search.Rooms[i-1].Score)
				}
			}
		})
	}
}

// getJSON GETs path as c and decodes its 200 answer into v.
func getJSON(t *testing.T, e *echo.Echo, c *creds, path string, v any) {
	t.Helper()
	rec := do(e, "GET", path, "", "", c, false)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, rec.Code, trunc(rec.Body.String()))
	}
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// walked returns the fixes of all (newest first) a walk of the scan
// bound reads, and the time before which it left fixes unread (0: none).
func walked(all []store.LocationRecord, scan int) ([]store.LocationRecord, int64) {
	if len(all) <= scan {
		return all, 0
	}
	return all[:scan], all[scan-1].TimeNS
}

// decodedLocations is GET /locations' answer computed from every fix of
// the track window decoded whole (all, newest first): the fixes at or
// after from, of each track its newest LocationTrail, the tracks whose
// newest fix is authorised left out unless withAuthorised, at most
// maxTracks tracks, the most recently heard.
func decodedLocations(all []store.LocationRecord, from time.Time, scan, maxTracks int, withAuthorised bool) LocationsAnswer {
	var inWindow []store.LocationRecord
	for _, l := range all {
		if l.TimeNS >= from.UnixNano() {
			inWindow = append(inWindow, l)
		}
	}
	fixes, cut := walked(inWindow, scan)
	out := LocationsAnswer{Fixes: []Location{}, TrailFixes: LocationTrail, MaxTracks: maxTracks}
	newestAuthorised := map[string]bool{}
	trail := map[string]int{}
	for _, l := range fixes {
		if _, ok := newestAuthorised[l.Track]; !ok {
			newestAuthorised[l.Track] = l.Authorised
			if !(l.Authorised && !withAuthorised) && len(trail) == maxTracks {
				cut = l.TimeNS
				break
			}
			if !(l.Authorised && !withAuthorised) {
				trail[l.Track] = 0
			}
		}
		if l.Authorised && !withAuthorised || newestAuthorised[l.Track] && !withAuthorised || trail[l.Track] == LocationTrail {
			continue
		}
		trail[l.Track]++
		out.Fixes = append(out.Fixes, LocationOf(l))
	}
	// as the answer travels
	b, err := json.Marshal(out)
	if err != nil {
		panic(err)
	}
	var back LocationsAnswer
	if err := json.Unmarshal(b, &back); err != nil {
		panic(err)
	}
	back.Truncated, back.CompleteFromNS = cut != 0, cut
	return back
}

// decodedSearch is GET /search's room weights from the fixes computed
// from every fix of the track window decoded whole (all, newest first):
// each unauthorised emitter fusion may alert on (a track, or a fix of
// none) adds its room probabilities averaged over its fixes.
func decodedSearch(all []store.LocationRecord, scan int) (map[string]float64, int64) {
	fixes, cut := walked(all, scan)
	type emitter struct {
		fixes int
		probs map[string]float64
	}
	emitters := map[string]*emitter{}
	for i, l := range fixes {
		if l.Authorised || !event.Alertable(l.Class, l.Link) {
			continue
		}
		key := l.Track
		if key == "" {
			key = fmt.Sprint("fix ", i)
		}
		em := emitters[key]
		if em == nil {
			em = &emitter{probs: map[string]float64{}}
			emitters[key] = em
		}
		em.fixes++
		probs := l.RoomProbs
		if len(probs) == 0 {
			probs = map[string]float64{l.Room: l.RoomProb}
		}
		for r, p := range probs {
			em.probs[r] += p
		}
	}
	score := map[string]float64{}
	for _, em := range emitters {
		for r, p := range em.probs {
			score[r] += p / float64(em.fixes)
		}
	}
	return score, cut
}
