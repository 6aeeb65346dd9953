package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// sqliteHeatEnv is a dashboard over a SQLite store holding emissions,
// with the site in zone loc and the clock at now.
func sqliteHeatEnv(t *testing.T, loc *time.Location, now time.Time, recs []store.DetectionRecord) (heat func(query string) map[string]int64, recent func() map[string]int64) {
	t.Helper()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "heat.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.WriteDetections(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	ev := newEnv(t)
	ev.deps.TimeSeries, ev.deps.Location = db, loc
	ev.deps.Now = func() time.Time { return now }
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleViewer, "viewer-password")
	off := login(t, e, RoleOfficer, "officer-password")
	recent = func() map[string]int64 {
		t.Helper()
		rec := do(e, "GET", "/api/v1/search", "", "", &off, false)
		var got SearchAnswer
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != 200 {
			t.Fatalf("search: %d %v %s", rec.Code, err, trunc(rec.Body.String()))
		}
		out := map[string]int64{}
		for _, r := range got.Rooms {
			if r.Recent != 0 {
				out[r.Room] = r.Recent
			}
		}
		return out
	}
	return func(query string) map[string]int64 {
		t.Helper()
		rec := do(e, "GET", "/api/v1/heatmap?"+query, "", "", &c, false)
		var got []RoomHeat
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != 200 {
			t.Fatalf("%s: %d %v %s", query, rec.Code, err, trunc(rec.Body.String()))
		}
		out := map[string]int64{}
		for _, r := range got {
			if r.Count != 0 {
				out[r.Room] = r.Count
			}
		}
		return out
	}, recent
}

// TestHeatmapHourOfDayZones: hour=H counts what happened in the site's
// local hour H, in zones half an hour or three quarters off UTC (a phone
// used at 05:25 in Kolkata is under hour=5, not 4) and across a change of
// summer time.
func TestHeatmapHourOfDayZones(t *testing.T) {
	tests := []struct {
		zone  string
		local string // when the phone was used, site time
		hour  int    // its hour of day
	}{
		{"Asia/Kolkata", "2026-12-05 05:25", 5},       // +5:30: 23:55 UTC the day before
		{"Asia/Kolkata", "2026-12-05 05:35", 5},       // 00:05 UTC
		{"Asia/Kolkata", "2026-12-05 04:55", 4},       // 23:25 UTC
		{"Asia/Kathmandu", "2026-12-05 05:40", 5},     // +5:45: 23:55 UTC
		{"Asia/Kathmandu", "2026-12-05 05:50", 5},     // 00:05 UTC
		{"Australia/Adelaide", "2026-12-05 05:10", 5}, // +10:30 in summer: 18:40 UTC
		{"Australia/Adelaide", "2026-06-05 05:10", 5}, // +9:30 in winter: 19:40 UTC
		{"Europe/London", "2026-03-29 00:30", 0},      // GMT, 00:30 UTC
		{"Europe/London", "2026-03-29 02:30", 2},      // BST from 01:00 UTC: 01:30 UTC
		{"Europe/London", "2026-10-25 01:30", 1},      // the second 01:30 (GMT again), 01:30 UTC
	}
	for _, tc := range tests {
		t.Run(tc.zone+" "+tc.local, func(t *testing.T) {
			loc, err := time.LoadLocation(tc.zone)
			if err != nil {
				t.Skip(err)
			}
			at, err := time.ParseInLocation("2006-01-02 15:04", tc.local, loc)
			if err != nil {
				t.Fatal(err)
			}
			if tc.zone == "Europe/London" && tc.local == "2026-10-25 01:30" {
				at = time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC) // the second 01:30 (GMT), not the first (BST)
			}
			if got := at.In(loc).Hour(); got != tc.hour {
				t.Fatalf("test case: %s is hour %d in %s, not %d", at.UTC(), got, tc.zone, tc.hour)
			}
			heat, _ := sqliteHeatEnv(t, loc, at.Add(20*time.Minute), storetest.Emission("hmp1", "p1", at, "a-102", false, "s1", "s2", "s3"))
			for h := range 24 {
				want := map[string]int64{}
				if h == tc.hour {
					want["a-102"] = 1
				}
				if got := heat(fmt.Sprintf("window=day&hour=%d", h)); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("phone used at %s %s (%s UTC): hour=%d gives %v, want %v", tc.local, tc.zone, at.UTC().Format("15:04"), h, got, want)
				}
			}
			if got := heat("window=day"); got["a-102"] != 1 {
				t.Errorf("every hour: a-102 %d, want 1", got["a-102"])
			}
		})
	}
}

// TestHeatmapCountsTransmissions: one phone in a cell for a minute, each
// of its transmissions heard by several of five sensors, is counted once a
// transmission, not once a sensor's detection: a room covered by more
// sensors is not hotter. The search list's recent count is the same.
func TestHeatmapCountsTransmissions(t *testing.T) {
	at := testNow.Add(-10 * time.Minute)
	sensors := []string{"s2", "s4", "s3", "s7", "s6"}
	var recs []store.DetectionRecord
	for i := range 12 { // every 5 s, heard by 5, 4, 3 or 2 sensors
		recs = append(recs, storetest.Emission("hmp1", fmt.Sprintf("g%02d", i), at.Add(time.Duration(i)*5*time.Second), "a-102", false, sensors[:2+i%4]...)...)
	}
	// the same phone pattern next door, heard by one sensor each time
	for i := range 12 {
		recs = append(recs, storetest.Emission("hmp1", fmt.Sprintf("h%02d", i), at.Add(time.Duration(i)*5*time.Second), "a-103", false, "s9")...)
	}
	heat, recent := sqliteHeatEnv(t, time.UTC, testNow, recs)
	want := map[string]int64{"a-102": 12, "a-103": 12}
	if got := heat("window=hour"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("heatmap %v, want %v: one count a transmission (%d detection records in a-102)", got, want, len(recs)-12)
	}
	if got := recent(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("search list recent %v, want %v", got, want)
	}
}
