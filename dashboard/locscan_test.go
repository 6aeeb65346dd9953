package dashboard

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// fixMix returns n fixes of site hmp1 in the TrackWindow before testNow,
// seeded: staff radios (authorised Wi-Fi and a radio that turns
// authorised mid-way), phones on the uplink and the mast's downlink,
// drones, unauthorised Wi-Fi, and fixes of no track, each giving 30 rooms
// (the test site's and others) a probability, as a busy wing's fixes do.
// Several share an instant.
func fixMix(n int, seed uint64) []store.LocationRecord {
	rng := rand.New(rand.NewPCG(seed, 1))
	rooms := []string{"a-101", "a-102", "a-103", "land-a", "b-101", "b-102", "yard", "outside"}
	for i := len(rooms); i < 30; i++ {
		rooms = append(rooms, fmt.Sprintf("r-%02d", i))
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
		probs := map[string]float64{}
		total := 0.0
		for _, r := range rooms {
			p := rng.Float64() * rng.Float64()
			probs[r] = p
			total += p
		}
		top, topP := "", 0.0
		for _, r := range rooms {
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

// fixEnv is a dashboard over a real SQLite store holding fixMix(n, seed).
func fixEnv(tb testing.TB, n int, seed uint64) (*env, *store.SQLite) {
	tb.Helper()
	ev := newEnv(tb)
	db, err := store.OpenSQLite(filepath.Join(tb.TempDir(), "rfw.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.WriteLocations(context.Background(), fixMix(n, seed)); err != nil {
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
		ev, _ := fixEnv(b, n, 1)
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
