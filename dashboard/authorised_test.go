package dashboard

import (
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// staffFix is a fix of an authorised device (a staff radio): fusion
// stores it, the map never draws it.
var staffFix = store.LocationRecord{Site: "hmp1", Track: "staff-radio-7", Class: event.ClassWiFi, TimeNS: testNow.Add(-5 * 60e9).UnixNano(),
	Floor: "g", Room: "a-101", RoomProb: 0.9, XM: 3, YM: 4, Authorised: true}

// TestLocationsLeaveOutAuthorised: GET /locations tracked staff devices
// for every viewer (x_m, y_m, room of each staff radio for a week). They
// are left out unless an analyst or admin asks with authorised=1, which
// is audited; a viewer asking is refused.
func TestLocationsLeaveOutAuthorised(t *testing.T) {
	ev := newEnv(t)
	ev.ts.locs = append(ev.ts.locs, staffFix)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	cr := map[string]creds{}
	for _, r := range []string{RoleViewer, RoleAnalyst, RoleAdmin} {
		cr[r] = login(t, e, r, r+"-password")
	}
	for _, tc := range []struct {
		as, query     string
		wantCode      int
		wantStaff     bool
		wantAuditNote string // in a view.locations row's after; "" none expected
	}{
		{RoleViewer, "minutes=10080", 200, false, ""},
		{RoleAdmin, "minutes=10080", 200, false, ""},
		{RoleViewer, "minutes=10080&authorised=1", 403, false, ""},
		{RoleAnalyst, "minutes=60&authorised=1", 200, true, "with authorised devices"},
		{RoleAdmin, "authorised=yes", 400, false, ""},
	} {
		t.Run(tc.as+" "+tc.query, func(t *testing.T) {
			ev.audit.entries = nil
			c := cr[tc.as]
			rec := do(e, "GET", "/api/v1/locations?"+tc.query, "", "", &c, false)
			if rec.Code != tc.wantCode {
				t.Fatalf("GET /locations?%s as %s: %d %s, want %d", tc.query, tc.as, rec.Code, rec.Body, tc.wantCode)
			}
			if rec.Code != http.StatusOK {
				if strings.Contains(rec.Body.String(), "staff-radio-7") {
					t.Errorf("refusal names the staff radio: %s", rec.Body)
				}
				return
			}
			var ans LocationsAnswer
			if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil {
				t.Fatal(err)
			}
			got := ans.Fixes
			staff := false
			for _, l := range got {
				staff = staff || l.Authorised
			}
			if staff != tc.wantStaff || len(got) == 0 {
				t.Errorf("GET /locations?%s as %s: authorised fixes %v (of %d), want %v", tc.query, tc.as, staff, len(got), tc.wantStaff)
			}
			if tc.wantAuditNote != "" {
				found := false
				for _, a := range ev.audit.entries {
					found = found || a.Action == "view.locations" && strings.Contains(a.After, tc.wantAuditNote)
				}
				if !found {
					t.Errorf("asking for authorised fixes is not audited: %+v", ev.audit.entries)
				}
			}
		})
	}
}

// TestLiveFeedLeavesOutAuthorised: the live feed sent every fix of a
// staff device to every screen; it sends only the others.
func TestLiveFeedLeavesOutAuthorised(t *testing.T) {
	h := NewHub(16)
	msgs, cancel := h.Subscribe(Subscription{Kinds: map[string]bool{MsgLocation: true}})
	defer cancel()
	h.PublishLocation(staffFix)
	phone := staffFix
	phone.Track, phone.Class, phone.Link, phone.Authorised = "t-phone", event.ClassLTE, event.LinkUplink, false
	h.PublishLocation(phone)
	m := <-msgs // the first message the feed sends
	if strings.Contains(string(m.Data), "staff-radio-7") || !strings.Contains(string(m.Data), "t-phone") {
		t.Errorf("first location on the live feed: %s, want the phone's (the staff radio's left out)", m.Data)
	}
}

// TestLiveFeedRemovesTrackTurnedAuthorised: a track that became
// authorised mid-way (fusion matched it to the registry after its first
// fixes) stayed on every map until it aged out: its authorised fixes were
// left out of the live feed, so the page's "take it off the map" never
// ran. Its first authorised fix now goes out as a removal, the track and
// time alone (no place, class or room); later ones, and the fixes of a
// staff device never shown, still send nothing.
func TestLiveFeedRemovesTrackTurnedAuthorised(t *testing.T) {
	h := NewHub(16)
	msgs, cancel := h.Subscribe(Subscription{Kinds: map[string]bool{MsgLocation: true}})
	defer cancel()
	phone := staffFix
	phone.Track, phone.Class, phone.Link, phone.Authorised = "t-phone", event.ClassLTE, event.LinkUplink, false
	turned := phone
	turned.TimeNS += 10e9
	turned.Authorised, turned.Room, turned.XM, turned.YM = true, "a-104", 7, 8
	again := turned
	again.TimeNS += 10e9
	for i, step := range []struct {
		name  string
		given store.LocationRecord
		want  map[string]any // the message's fields; nil: none sent
	}{
		{"the track shown", phone, map[string]any{"track": "t-phone", "authorised": false, "room": "a-101"}},
		{"its first authorised fix", turned, map[string]any{"site": "hmp1", "track": "t-phone", "authorised": true, "time_ns": float64(turned.TimeNS)}},
		{"its next authorised fix", again, nil},
		{"a staff device never shown", staffFix, nil},
	} {
		h.PublishLocation(step.given)
		// publishing queues at once: what the feed sent is in the buffer
		var sent []map[string]any
		for len(msgs) > 0 {
			var m map[string]any
			if err := json.Unmarshal((<-msgs).Data, &m); err != nil {
				t.Fatal(err)
			}
			sent = append(sent, m)
		}
		if step.want == nil {
			if len(sent) != 0 {
				t.Errorf("step %d (%s): the feed sent %v, want nothing", i, step.name, sent)
			}
			continue
		}
		if len(sent) != 1 {
			t.Errorf("step %d (%s): the feed sent %v, want one message", i, step.name, sent)
			continue
		}
		got := sent[0]
		for k, v := range step.want {
			if got[k] != v {
				t.Errorf("step %d (%s): %s = %v, want %v (message %v)", i, step.name, k, got[k], v, got)
			}
		}
		if step.given.Authorised {
			for _, k := range []string{"x_m", "y_m", "room", "floor", "class", "room_prob", "semi_major_m"} {
				if _, ok := got[k]; ok {
					t.Errorf("step %d (%s): the removal carries %s: %v", i, step.name, k, got)
				}
			}
		}
	}
}

// TestLocationsTrackTurnedAuthorised: a track whose newest fix is an
// authorised device's came back on the map at the page's next read of
// /locations, drawn at its last fix from before it turned authorised.
// Such a track is left out whole unless authorised=1 asks for it; a track
// that was authorised and is no longer (its entry expired) is shown.
func TestLocationsTrackTurnedAuthorised(t *testing.T) {
	ev := newEnv(t)
	fix := func(track string, minutesAgo int, authorised bool) store.LocationRecord {
		l := staffFix
		l.Track, l.Class, l.Link, l.Authorised = track, event.ClassLTE, event.LinkUplink, authorised
		l.TimeNS = testNow.Add(-time.Duration(minutesAgo) * time.Minute).UnixNano()
		return l
	}
	ev.ts.locs = append(ev.ts.locs,
		fix("t-turned", 20, false), fix("t-turned", 10, false), fix("t-turned", 5, true),
		fix("t-expired", 20, true), fix("t-expired", 5, false),
		fix("t-phone", 5, false))
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		as, query string
		want      map[string]int // fixes per track (t1: newEnv's)
	}{
		{RoleViewer, "minutes=60", map[string]int{"t-expired": 1, "t-phone": 1, "t1": 2}},
		{RoleAnalyst, "minutes=60&authorised=1", map[string]int{"t-turned": 3, "t-expired": 2, "t-phone": 1, "t1": 2}},
	} {
		c := login(t, e, tc.as, tc.as+"-password")
		rec := do(e, "GET", "/api/v1/locations?"+tc.query, "", "", &c, false)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /locations?%s as %s: %d %s", tc.query, tc.as, rec.Code, rec.Body)
		}
		var got LocationsAnswer
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		per := map[string]int{}
		for _, l := range got.Fixes {
			per[l.Track]++
		}
		if !maps.Equal(per, tc.want) {
			t.Errorf("GET /locations?%s as %s: fixes per track %v, want %v", tc.query, tc.as, per, tc.want)
		}
	}
}

// TestHubForgetsOldTracks: the Hub remembers the tracks it sent for a
// week (the longest the page draws one), forgetting older ones as the map
// grows: an old track turning authorised then sends nothing (it is off
// every map by then), a recent one still its removal.
func TestHubForgetsOldTracks(t *testing.T) {
	h := NewHub(16)
	h.shownSweepAt = 3
	msgs, cancel := h.Subscribe(Subscription{Kinds: map[string]bool{MsgLocation: true}})
	defer cancel()
	at := func(track string, days float64, authorised bool) store.LocationRecord {
		l := staffFix
		l.Track, l.Class, l.Authorised = track, event.ClassLTE, authorised
		l.TimeNS = testNow.Add(time.Duration(days * 24 * float64(time.Hour))).UnixNano()
		return l
	}
	for _, l := range []store.LocationRecord{at("t-old", 0, false), at("t-mid", 6, false), at("t-new", 8, false)} {
		h.PublishLocation(l)
	}
	for len(msgs) > 0 {
		<-msgs
	}
	for _, tc := range []struct {
		track    string
		wantGone bool
	}{
		{"t-old", false},
		{"t-mid", true},
		{"t-new", true},
	} {
		h.PublishLocation(at(tc.track, 8.1, true))
		if gone := len(msgs) > 0; gone != tc.wantGone {
			t.Errorf("%s turned authorised: removal sent %v, want %v", tc.track, gone, tc.wantGone)
		}
		for len(msgs) > 0 {
			<-msgs
		}
	}
}
