package dashboard

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

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
			var got []Location
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
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
