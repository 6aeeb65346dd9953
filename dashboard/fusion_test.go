package dashboard

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/event"
)

// fusionStatus is fusion's status payload for site hmp1.
func fusionStatus(status, reason string, at time.Time) string {
	ns := int64(0)
	if !at.IsZero() {
		ns = at.UnixNano()
	}
	if reason == "" {
		return fmt.Sprintf(`{"schema":1,"site":"hmp1","status":%q,"time_ns":%d}`, status, ns)
	}
	return fmt.Sprintf(`{"schema":1,"site":"hmp1","status":%q,"reason":%q,"time_ns":%d}`, status, reason, ns)
}

// deafStatus is fusion's status for site hmp1: online, with problem.
func deafStatus(problem string, at time.Time) string {
	return fmt.Sprintf(`{"schema":1,"site":"hmp1","status":"online","problem":%q,"time_ns":%d}`, problem, at.UnixNano())
}

// TestFusionStates: the Hub follows fusion's status topic. Given the live
// feed subscribed at t0 and nothing heard, expect no state until
// FusionWordWait has passed, then unheard since t0; online when fusion
// says so, its since kept when it says so again (a reconnection);
// offline stopped since fusion's own stop time (not one ahead of the
// dashboard's clock); offline lost (its last will) since it was heard;
// deaf, with fusion's problem, while it says online with one (since
// 2026-12-07: it was online).
// A payload that does not decode, or of another site, changes nothing and
// is counted. Before, the dashboard did not read fusion's status: it had
// none.
func TestFusionStates(t *testing.T) {
	t0 := testNow
	var clock atomic.Int64
	clock.Store(t0.UnixNano())
	h := NewHub(4)
	h.now = func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	h.SetSite(testSite())
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	steps := []struct {
		name    string
		after   time.Duration // since t0, when this step happens
		topic   string        // "" publishes nothing; "subscribed" calls FeedSubscribing
		payload string
		wantErr string
		want    []FusionState
		online  bool
	}{
		{name: "nothing yet", after: 0},
		{name: "feed subscribed", after: time.Second, topic: "subscribed"},
		{name: "waiting for the retained status", after: time.Second + FusionWordWait - time.Millisecond},
		{name: "no word", after: time.Second + FusionWordWait, want: []FusionState{{State: FusionUnheard, Site: "hmp1", SinceNS: at(time.Second).UnixNano()}}},
		{name: "online", after: 40 * time.Second, topic: "rfw/v1/hmp1/fusion/status", payload: fusionStatus("online", "", at(39*time.Second)),
			want: []FusionState{{State: FusionOnline, Site: "hmp1", SinceNS: at(40 * time.Second).UnixNano()}}, online: true},
		{name: "online again: since kept", after: 50 * time.Second, topic: "rfw/v1/hmp1/fusion/status", payload: fusionStatus("online", "", at(50*time.Second)),
			want: []FusionState{{State: FusionOnline, Site: "hmp1", SinceNS: at(40 * time.Second).UnixNano()}}, online: true},
		{name: "plain text, as a sensor's", after: 55 * time.Second, topic: "rfw/v1/hmp1/fusion/status", payload: "offline", wantErr: "fusion status",
			want: []FusionState{{State: FusionOnline, Site: "hmp1", SinceNS: at(40 * time.Second).UnixNano()}}, online: true},
		{name: "another site's", after: 56 * time.Second, topic: "rfw/v1/hmp2/fusion/status", payload: strings.Replace(fusionStatus("offline", "stopped", at(56*time.Second)), "hmp1", "hmp2", 1),
			wantErr: "the dashboard shows site", want: []FusionState{{State: FusionOnline, Site: "hmp1", SinceNS: at(40 * time.Second).UnixNano()}}, online: true},
		{name: "site not the topic's", after: 57 * time.Second, topic: "rfw/v1/hmp1/fusion/status", payload: strings.Replace(fusionStatus("offline", "stopped", at(56*time.Second)), "hmp1", "hmp2", 1),
			wantErr: "does not match", want: []FusionState{{State: FusionOnline, Site: "hmp1", SinceNS: at(40 * time.Second).UnixNano()}}, online: true},
		{name: "stopped", after: 61 * time.Second, topic: "rfw/v1/hmp1/fusion/status", payload: fusionStatus("offline", "stopped", at(60*time.Second)),
			want: []FusionState{{State: FusionOffline, Site: "hmp1", SinceNS: at(60 * time.Second).UnixNano(), Reason: event.FusionStopped}}},
		{name: "back online", after: 70 * time.Second, topic: "rfw/v1/hmp1/fusion/status", payload: fusionStatus("online", "", at(70*time.Second)),
			want: []FusionState{{State: FusionOnline, Site: "hmp1", SinceNS: at(70 * time.Second).UnixNano()}}, online: true},
		{name: "deaf: a subscription refused", after: 80 * time.Second, topic: "rfw/v1/hmp1/fusion/status", payload: deafStatus("subscription refused: rfw/v1/hmp1/sensor/+/+: SUBACK 0x80", at(80*time.Second)),
			want: []FusionState{{State: FusionDeaf, Site: "hmp1", SinceNS: at(80 * time.Second).UnixNano(), Problem: "subscription refused: rfw/v1/hmp1/sensor/+/+: SUBACK 0x80"}}},
		{name: "deaf again: since kept", after: 85 * time.Second, topic: "rfw/v1/hmp1/fusion/status", payload: deafStatus("subscription refused: rfw/v1/hmp1/sensor/+/+: SUBACK 0x80", at(85*time.Second)),
			want: []FusionState{{State: FusionDeaf, Site: "hmp1", SinceNS: at(80 * time.Second).UnixNano(), Problem: "subscription refused: rfw/v1/hmp1/sensor/+/+: SUBACK 0x80"}}},
		{name: "hearing again", after: 90 * time.Second, topic: "rfw/v1/hmp1/fusion/status", payload: fusionStatus("online", "", at(90*time.Second)),
			want: []FusionState{{State: FusionOnline, Site: "hmp1", SinceNS: at(90 * time.Second).UnixNano()}}, online: true},
		{name: "its last will", after: 120 * time.Second, topic: "rfw/v1/hmp1/fusion/status", payload: fusionStatus("offline", "lost", time.Time{}),
			want: []FusionState{{State: FusionOffline, Site: "hmp1", SinceNS: at(120 * time.Second).UnixNano(), Reason: event.FusionLost}}},
		{name: "back, and stopped by a clock ahead", after: 130 * time.Second, topic: "rfw/v1/hmp1/fusion/status", payload: fusionStatus("online", "", at(130*time.Second)),
			want: []FusionState{{State: FusionOnline, Site: "hmp1", SinceNS: at(130 * time.Second).UnixNano()}}, online: true},
		{name: "stopped, its clock a minute ahead", after: 140 * time.Second, topic: "rfw/v1/hmp1/fusion/status", payload: fusionStatus("offline", "stopped", at(200*time.Second)),
			want: []FusionState{{State: FusionOffline, Site: "hmp1", SinceNS: at(140 * time.Second).UnixNano(), Reason: event.FusionStopped}}},
		{name: "the feed subscribes again", after: 150 * time.Second, topic: "subscribed",
			want: []FusionState{{State: FusionOffline, Site: "hmp1", SinceNS: at(140 * time.Second).UnixNano(), Reason: event.FusionStopped}}},
		{name: "the retained status with it: since stays", after: 150 * time.Second, topic: "rfw/v1/hmp1/fusion/status", payload: fusionStatus("offline", "stopped", at(200*time.Second)),
			want: []FusionState{{State: FusionOffline, Site: "hmp1", SinceNS: at(140 * time.Second).UnixNano(), Reason: event.FusionStopped}}},
		{name: "heard on this subscription", after: 150*time.Second + FusionWordWait,
			want: []FusionState{{State: FusionOffline, Site: "hmp1", SinceNS: at(140 * time.Second).UnixNano(), Reason: event.FusionStopped}}},
		{name: "back online", after: 190 * time.Second, topic: "rfw/v1/hmp1/fusion/status", payload: fusionStatus("online", "", at(190*time.Second)),
			want: []FusionState{{State: FusionOnline, Site: "hmp1", SinceNS: at(190 * time.Second).UnixNano()}}, online: true},
		// a broker restarted without its retained messages while fusion
		// was down: the last word, online, is not heard again
		{name: "the feed subscribes again, nothing with it", after: 200 * time.Second, topic: "subscribed",
			want: []FusionState{{State: FusionOnline, Site: "hmp1", SinceNS: at(190 * time.Second).UnixNano()}}, online: true},
		{name: "no word since", after: 200*time.Second + FusionWordWait,
			want: []FusionState{{State: FusionUnheard, Site: "hmp1", SinceNS: at(200 * time.Second).UnixNano()}}},
	}
	bad := int64(0)
	for _, s := range steps {
		clock.Store(at(s.after).UnixNano())
		var err error
		switch s.topic {
		case "":
		case "subscribed":
			h.FeedSubscribing()
		default:
			err = h.HandleMQTT(s.topic, []byte(s.payload))
		}
		if s.wantErr == "" && err != nil || s.wantErr != "" && (err == nil || !strings.Contains(err.Error(), s.wantErr)) {
			t.Errorf("%s: HandleMQTT: %v, want %q", s.name, err, s.wantErr)
		}
		if err != nil {
			bad++
		}
		if got := h.FusionStates(); !slices.Equal(got, s.want) {
			t.Errorf("%s: FusionStates %+v, want %+v", s.name, got, s.want)
		}
		if got := h.FusionOnline(); got != s.online {
			t.Errorf("%s: FusionOnline %v, want %v", s.name, got, s.online)
		}
	}
	if got := h.BadFeedMessages(); got != bad || bad != 3 {
		t.Errorf("BadFeedMessages %d, want the %d refused", got, bad)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(h.FeedCollectors("rfwarden_dashboard")...)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`# HELP rfwarden_dashboard_feed_bad_messages_total Messages on the live feed dropped because their payload does not decode or their topic is not one the dashboard reads (each is logged).
# TYPE rfwarden_dashboard_feed_bad_messages_total counter
rfwarden_dashboard_feed_bad_messages_total 3
# HELP rfwarden_dashboard_fusion_online 1 while fusion's latest status on the live feed says online, 0 while it says offline (stopped, or its last will: the broker lost its connection), online and deaf (the broker refused a subscription of fusion's) or none was heard: no alert can be raised then.
# TYPE rfwarden_dashboard_fusion_online gauge
rfwarden_dashboard_fusion_online 0
`)); err != nil {
		t.Error(err)
	}
}

// TestHealthzFusion: with a live feed, /healthz is degraded (503) while
// fusion is offline, or deaf (since 2026-12-07), saying since when and why, and when no word of it
// came FusionWordWait after the feed subscribed; ok while it is online.
// Before, /healthz said ok while fusion was stopped.
func TestHealthzFusion(t *testing.T) {
	tests := []struct {
		name     string
		given    func(h *Hub) // with the Hub's clock at testNow
		wantCode int
		wantBody string // whole, or its start when ending in "…"
	}{
		{name: "online", wantCode: 200, wantBody: "ok\n",
			given: func(h *Hub) { h.HandleMQTT("rfw/v1/hmp1/fusion/status", []byte(fusionStatus("online", "", testNow))) }},
		{name: "waiting for the first word", wantCode: 200, wantBody: "ok\n", given: func(h *Hub) { h.FeedSubscribing() }},
		{name: "stopped", wantCode: 503, wantBody: "degraded: fusion: offline since 10:29:00 UTC (stopped): no new alert can be raised\n",
			given: func(h *Hub) {
				h.HandleMQTT("rfw/v1/hmp1/fusion/status", []byte(fusionStatus("offline", "stopped", testNow.Add(-time.Minute))))
			}},
		{name: "last will", wantCode: 503, wantBody: "degraded: fusion: offline since 10:30:00 UTC (its last will: the broker lost its connection): no new alert can be raised\n",
			given: func(h *Hub) {
				h.HandleMQTT("rfw/v1/hmp1/fusion/status", []byte(fusionStatus("offline", "lost", time.Time{})))
			}},
		{name: "stopped yesterday", wantCode: 503, wantBody: "degraded: fusion: offline since 2026-11-23 09:00:00 UTC (stopped): no new alert can be raised\n",
			given: func(h *Hub) {
				h.HandleMQTT("rfw/v1/hmp1/fusion/status", []byte(fusionStatus("offline", "stopped", time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))))
			}},
		{name: "deaf", wantCode: 503, wantBody: "degraded: fusion: connected and deaf since 10:30:00 UTC (subscription refused: rfw/v1/hmp1/sensor/+/+: SUBACK 0x80): no new alert can be raised from what it does not hear; the broker's ACL must let fusion's user read its topics (deploy/mosquitto/rfwarden.acl)\n",
			given: func(h *Hub) {
				h.HandleMQTT("rfw/v1/hmp1/fusion/status", []byte(deafStatus("subscription refused: rfw/v1/hmp1/sensor/+/+: SUBACK 0x80", testNow)))
			}},
		// its silence behind mosquitto: the problem says what to check,
		// not said twice
		{name: "deaf: no sensor message", wantCode: 503, wantBody: "degraded: fusion: connected and deaf since 10:30:00 UTC (connected to the broker but no sensor message for 2m0s: check that the broker's ACL lets fusion's user read rfw/v1/+/sensor/#, and that the sensors run): no new alert can be raised from what it does not hear\n",
			given: func(h *Hub) {
				h.HandleMQTT("rfw/v1/hmp1/fusion/status", []byte(deafStatus("connected to the broker but no sensor message for 2m0s: check that the broker's ACL lets fusion's user read rfw/v1/+/sensor/#, and that the sensors run", testNow)))
			}},
		{name: "no word", wantCode: 503, wantBody: "degraded: fusion: no word from fusion since the dashboard connected at 10:29:30 UTC (its status arrives at once, and none in 30s): …",
			given: func(h *Hub) {
				now := h.now
				h.now = func() time.Time { return testNow.Add(-FusionWordWait) }
				h.FeedSubscribing()
				h.now = now
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := newEnv(t)
			ev.deps.Hub.now = func() time.Time { return testNow }
			ev.deps.Feed = fakeLink{up: true}
			tt.given(ev.deps.Hub)
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			rec := do(e, http.MethodGet, "/healthz", "", "", nil, false)
			body := rec.Body.String()
			match := body == tt.wantBody
			if prefix, ok := strings.CutSuffix(tt.wantBody, "…"); ok {
				match = strings.HasPrefix(body, prefix) && strings.Contains(body, "rfw/v1/hmp1/fusion/status")
			}
			if rec.Code != tt.wantCode || !match {
				t.Errorf("GET /healthz = %d %q, want %d %q", rec.Code, body, tt.wantCode, tt.wantBody)
			}
		})
	}
}

// TestZoneDiffers: fusion's zone differs from the dashboard's when their
// clocks differ on some day of the coming year: another name of the same
// rules (GB, Europe/Lisbon beside Europe/London) agrees; UTC, or New York
// whose summer time starts weeks before London's, does not; a name the
// dashboard cannot load differs; a fusion that names none says nothing.
func TestZoneDiffers(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	for _, tc := range []struct {
		dash       *time.Location
		name, fusi string
		want       bool
	}{
		{london, "Europe/London", "Europe/London", false},
		{london, "Europe/London", "GB", false},
		{london, "Europe/London", "Europe/Lisbon", false},
		{london, "Europe/London", "", false},
		{london, "Europe/London", "UTC", true},
		{london, "Europe/London", "Etc/UTC", true},
		{london, "Europe/London", "America/New_York", true},
		{london, "Europe/London", "Mars/Olympus_Mons", true},
		{time.UTC, "UTC", "Etc/UTC", false},
		{time.UTC, "UTC", "Europe/London", true},
		{time.FixedZone("", 3600), "", "Europe/Paris", true},
	} {
		if got := zoneDiffers(tc.dash, tc.name, tc.fusi, testNow); got != tc.want {
			t.Errorf("dashboard %s (%q), fusion %q: differs %v, want %v", tc.dash, tc.name, tc.fusi, got, tc.want)
		}
	}
}

// TestFusionZoneOnHealthz: a fusion that says it runs in another zone than
// the dashboard is said on the feed's fusion state (time_zone,
// zone_differs) and on /healthz, online as it is, until a status in the
// dashboard's zone; one that names no zone (older than 2026-12-07) is not.
func TestFusionZoneOnHealthz(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	ev := newEnv(t)
	ev.deps.Location = london
	ev.deps.Feed = &switchLink{up: true}
	ev.deps.Hub.now = func() time.Time { return testNow }
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	zoned := func(zone string) string {
		return fmt.Sprintf(`{"schema":1,"site":"hmp1","status":"online","time_zone":%q,"time_ns":%d}`, zone, testNow.UnixNano())
	}
	for _, tc := range []struct {
		payload, health string
		differs         bool
	}{
		{zoned("Etc/UTC"), "degraded: time zone: fusion runs in Etc/UTC, this dashboard in Europe/London: fusion matches the registry's weekly hours in its zone", true},
		{zoned("GB"), "ok", false},
		{fusionStatus("online", "", testNow), "ok", false},
	} {
		if err := ev.deps.Hub.HandleMQTT("rfw/v1/hmp1/fusion/status", []byte(tc.payload)); err != nil {
			t.Fatal(err)
		}
		if f := ev.deps.Hub.FusionStates(); len(f) != 1 || f[0].State != FusionOnline || f[0].ZoneDiffers != tc.differs {
			t.Errorf("after %s: FusionStates %+v, want online, zone differs %v", tc.payload, f, tc.differs)
		}
		rec := do(e, "GET", "/healthz", "", "", nil, false)
		if !strings.HasPrefix(rec.Body.String(), tc.health) || (rec.Code == http.StatusOK) != !tc.differs {
			t.Errorf("after %s: /healthz %d %q, want %q", tc.payload, rec.Code, rec.Body, tc.health)
		}
	}
}

// TestFusionZoneHeardBeforeSetZone: a fusion status heard before the Hub
// knows the dashboard's zone (the demo's fusion announces itself before
// its dashboard is made) is compared once it does, and again at each
// SetZone; it was compared against no zone, which differed from every
// one, and the demo's /healthz said "fusion runs in Etc/UTC, this
// dashboard in UTC".
func TestFusionZoneHeardBeforeSetZone(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	h := NewHub(4)
	h.now = func() time.Time { return testNow }
	payload := fmt.Sprintf(`{"schema":1,"site":"hmp1","status":"online","time_zone":"Etc/UTC","time_ns":%d}`, testNow.UnixNano())
	if err := h.HandleMQTT("rfw/v1/hmp1/fusion/status", []byte(payload)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		loc  *time.Location
		name string
		want bool
	}{
		{nil, "", false},
		{time.UTC, "UTC", false},
		{london, "Europe/London", true},
		{time.UTC, "UTC", false},
	} {
		if tc.loc != nil {
			h.SetZone(tc.loc, tc.name)
		}
		if f := h.FusionStates(); len(f) != 1 || f[0].TimeZone != "Etc/UTC" || f[0].ZoneDiffers != tc.want {
			t.Errorf("dashboard in %q: FusionStates %+v, want fusion's Etc/UTC, differs %v", tc.name, f, tc.want)
		}
	}
}
