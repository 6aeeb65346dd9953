package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// TestBulkAck: POST /alerts/ack acknowledges every open alert it names
// that nobody acknowledged, each as the single acknowledgement does
// (stored, audited as alert.ack, announced to fusion), and says what
// became of each id: acked, already_acked, resolved or not_found. On a
// wing-wide storm an officer acknowledged 30 to 70 alerts one by one.
func TestBulkAck(t *testing.T) {
	ev := newEnv(t) // al1: firing, nobody acknowledged it
	add := func(id, state, ackBy string) {
		a := ev.al.alerts["al1"]
		a.ID, a.State = id, state
		if ackBy != "" {
			a.AckBy, a.AckNote, a.AckNS = ackBy, "on my way", testNow.Add(-time.Minute).UnixNano()
		}
		ev.al.alerts[id] = a
	}
	add("al-pending", event.AlertPending, "")
	add("al-acked", event.AlertFiring, "officer2")
	add("al-resolved", event.AlertResolved, "")
	an := &announcer{}
	ev.deps.AckAnnouncer = an
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	off := login(t, e, RoleOfficer, "officer-password")
	body := `{"ids":["al1","al-acked","al-resolved","zz","al-pending","al1"],"note":"wing B searched"}`
	rec := do(e, "POST", "/api/v1/alerts/ack", body, "application/json", &off, true)
	if rec.Code != http.StatusOK {
		t.Fatalf("bulk ack: %d %s", rec.Code, rec.Body)
	}
	var got bulkAckResp
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("bulk ack answer %s: %v", rec.Body, err)
	}
	want := []struct{ id, result string }{
		{"al1", BulkAcked}, {"al-acked", BulkAlreadyAcked}, {"al-resolved", BulkResolved}, {"zz", BulkNotFound}, {"al-pending", BulkAcked},
	}
	if len(got.Results) != len(want) || got.Acked != 2 {
		t.Fatalf("results %+v (acked %d), want %v (acked 2)", got.Results, got.Acked, want)
	}
	for i, w := range want {
		r := got.Results[i]
		if r.ID != w.id || r.Result != w.result {
			t.Errorf("result %d: %s %s, want %s %s", i, r.ID, r.Result, w.id, w.result)
		}
		if w.result != BulkNotFound && (r.Alert == nil || r.Alert.ID != w.id) {
			t.Errorf("result %d (%s): alert %+v, want the alert as it now stands", i, w.id, r.Alert)
		}
	}
	for _, tc := range []struct {
		id, by, note string
		audited      bool
	}{
		{"al1", "officer", "wing B searched", true},
		{"al-pending", "officer", "wing B searched", true},
		{"al-acked", "officer2", "on my way", false},
		{"al-resolved", "", "", false},
	} {
		a, _ := ev.al.Alert(context.Background(), tc.id)
		if a.AckBy != tc.by || a.AckNote != tc.note {
			t.Errorf("%s after the bulk ack: acknowledged by %q, %q; want %q, %q", tc.id, a.AckBy, a.AckNote, tc.by, tc.note)
		}
		if ev.audit.has("alert.ack", "alert/"+tc.id) != tc.audited {
			t.Errorf("%s: audited alert.ack = %v, want %v", tc.id, !tc.audited, tc.audited)
		}
	}
	var announced []string
	for _, n := range an.got {
		announced = append(announced, n.Alert)
	}
	if fmt.Sprint(announced) != "[al1 al-pending]" {
		t.Errorf("announced to fusion %v, want [al1 al-pending]", announced)
	}
}

// TestBulkAckRefused: a bulk acknowledgement the dashboard cannot take
// as asked is refused as a whole with a message naming the problem, and
// acknowledges nothing.
func TestBulkAckRefused(t *testing.T) {
	ids := func(n int) string {
		s := make([]string, n)
		for i := range s {
			s[i] = fmt.Sprintf("%q", fmt.Sprintf("al-%d", i))
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	tests := []struct {
		name       string
		givenRole  string
		givenCSRF  bool
		whenBody   string
		expectCode int
		expectBody string
	}{
		{"viewer", RoleViewer, true, `{"ids":["al1"]}`, 403, "officer"},
		{"no CSRF token", RoleOfficer, false, `{"ids":["al1"]}`, 403, "CSRF"},
		{"malformed JSON", RoleOfficer, true, `{"ids":[`, 400, "malformed JSON"},
		{"unknown field", RoleOfficer, true, `{"ids":["al1"],"notes":"x"}`, 400, "unknown field"},
		{"no ids", RoleOfficer, true, `{"note":"x"}`, 400, "ids: name at least one alert"},
		{"empty ids", RoleOfficer, true, `{"ids":[]}`, 400, "ids: name at least one alert"},
		{"too many ids", RoleOfficer, true, `{"ids":` + ids(MaxBulkAck+1) + `}`, 400, fmt.Sprintf("ids: %d alerts, at most %d", MaxBulkAck+1, MaxBulkAck)},
		{"an empty id", RoleOfficer, true, `{"ids":["al1",""]}`, 400, "ids[1]: empty"},
		{"an id too long", RoleOfficer, true, `{"ids":["` + strings.Repeat("a", 129) + `"]}`, 400, "ids[0]: longer than 128"},
		{"note too long", RoleOfficer, true, `{"ids":["al1"],"note":"` + strings.Repeat("n", event.MaxAckNote+1) + `"}`, 400, "note: longer than 2000 characters"},
		{"ids not strings", RoleOfficer, true, `{"ids":[1,2]}`, 400, "malformed JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t)
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			c := login(t, e, tc.givenRole, tc.givenRole+"-password")
			rec := do(e, "POST", "/api/v1/alerts/ack", tc.whenBody, "application/json", &c, tc.givenCSRF)
			if rec.Code != tc.expectCode || !strings.Contains(rec.Body.String(), tc.expectBody) {
				t.Errorf("got %d %s, want %d containing %q", rec.Code, trunc(rec.Body.String()), tc.expectCode, tc.expectBody)
			}
			if a, _ := ev.al.Alert(context.Background(), "al1"); a.AckBy != "" {
				t.Errorf("al1 acknowledged by %q by a refused request", a.AckBy)
			}
		})
	}
	// the most a request may name is taken
	ev := newEnv(t)
	e, _ := New(ev.deps)
	c := login(t, e, RoleOfficer, "officer-password")
	if rec := do(e, "POST", "/api/v1/alerts/ack", `{"ids":`+ids(MaxBulkAck)+`}`, "application/json", &c, true); rec.Code != 200 {
		t.Errorf("%d ids: got %d %s, want 200", MaxBulkAck, rec.Code, trunc(rec.Body.String()))
	}
}
