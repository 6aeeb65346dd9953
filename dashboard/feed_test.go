package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rfwarden/rfwarden/event"
)

func TestHandleMQTT(t *testing.T) {
	alert := `{"schema":1,"id":"a1","site":"hmp1","rule":"drone","severity":"critical","state":"firing","summary":"x","active_ns":1,"updated_ns":1}`
	health := `{"schema":1,"site":"hmp1","sensor":"s1","time_ns":5,"state":"jammed","dropped_samples":0,"overload_count":0,"usb_errors":0,"outbox_depth":2,"outbox_dropped":0,"clock_offset_s":0,"version":"v"}`
	spec := `{"schema":1,"site":"hmp1","sensor":"s1","time_ns":5,"center_hz":1e9,"sample_rate_hz":2e6,"power_dbm":[-90,-80]}`
	loc := `{"schema":1,"site":"hmp1","track":"t1","class":"lte","link":"downlink","time_ns":5,"floor":"g","room":"a-102","room_prob":0.7,"x_m":4.5,"y_m":2,"semi_major_m":1.5,"semi_minor_m":0.8,"angle_rad":0,"authorised":false}`
	tests := []struct {
		name, topic, payload string
		wantKind             string // "" = nothing published
		wantErr              string
	}{
		{"alert", "rfw/v1/hmp1/alert", alert, MsgAlert, ""},
		{"alert wrong site", "rfw/v1/other/alert", alert, "", "does not match"},
		{"alert bad JSON", "rfw/v1/hmp1/alert", `{"schema":1,`, "", "event schema"},
		// decoded, until 2026-12-06, into the live feed
		{"alert negative active_ns", "rfw/v1/hmp1/alert", strings.Replace(alert, `"active_ns":1`, `"active_ns":-1`, 1), "", "active_ns"},
		{"alert negative ack_ns", "rfw/v1/hmp1/alert", strings.Replace(alert, `"updated_ns":1`, `"updated_ns":1,"ack_by":"u","ack_ns":-9`, 1), "", "ack_ns"},
		{"location", "rfw/v1/hmp1/location", loc, MsgLocation, ""},
		{"location wrong site", "rfw/v1/other/location", loc, "", "does not match"},
		{"location with a field it has not", "rfw/v1/hmp1/location", strings.Replace(loc, `"track"`, `"imei":"1","track"`, 1), "", "unknown field"},
		{"status online", "rfw/v1/hmp1/sensor/s1/status", "online", MsgStatus, ""},
		{"status junk", "rfw/v1/hmp1/sensor/s1/status", "maybe", "", "neither online nor offline"},
		{"health", "rfw/v1/hmp1/sensor/s1/health", health, MsgHealth, ""},
		{"health other sensor", "rfw/v1/hmp1/sensor/s2/health", health, "", "do not match"},
		{"spectrum", "rfw/v1/hmp1/sensor/s1/spectrum", spec, MsgSpectrum, ""},
		{"detection ignored", "rfw/v1/hmp1/sensor/s1/detection", "{}", "", ""},
		{"unknown kind", "rfw/v1/hmp1/sensor/s1/bogus", "{}", "", "unknown kind"},
		{"bad topic", "elsewhere/x", "{}", "", "not rfw/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHub(4)
			ch, cancel := h.Subscribe(Subscription{Sensor: "s1"})
			err := h.HandleMQTT(tt.topic, []byte(tt.payload))
			cancel()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			var got, msgs []string
			for m := range ch {
				got, msgs = append(got, m.Kind), append(msgs, string(m.Data))
			}
			if tt.wantKind == "" && len(got) != 0 || tt.wantKind != "" && (len(got) != 1 || got[0] != tt.wantKind) {
				t.Errorf("published %v, want %q", got, tt.wantKind)
			}
			if tt.wantKind == MsgLocation {
				if !strings.Contains(msgs[0], `"track":"t1"`) || !strings.Contains(msgs[0], `"target":false`) {
					t.Errorf("location sent as %s, want t1 with target false (a downlink)", msgs[0])
				}
			}
			if tt.wantKind == MsgHealth && h.Sensors()[0].Status != event.StateJammed {
				t.Errorf("sensor status %q, want jammed", h.Sensors()[0].Status)
			}
		})
	}
}

func FuzzHandleMQTT(f *testing.F) {
	f.Add("rfw/v1/hmp1/alert", []byte(`{"schema":1,"id":"a1","site":"hmp1","rule":"r","severity":"info","state":"firing"}`))
	f.Add("rfw/v1/hmp1/alert", []byte(`{"schema":1,"id":"a1","site":"hmp1","rule":"r","severity":"critical","state":"firing","active_ns":1,"updated_ns":3e11,"escalations":1,"escalated_ns":3e11}`))
	// alerts that decode (the two above do not: no active_ns, a float
	// time), so inputs reach what the hub does with one
	f.Add("rfw/v1/hmp1/alert", []byte(`{"schema":1,"id":"a1","site":"hmp1","rule":"r","severity":"critical","state":"firing","summary":"phone in L2-S02","active_ns":1,"updated_ns":300000000000,"escalations":1,"escalated_ns":300000000000}`))
	f.Add("rfw/v1/hmp1/alert", []byte(`{"schema":1,"id":"a1","site":"hmp1","rule":"r","severity":"warning","state":"resolved","summary":"","active_ns":1,"updated_ns":2,"ack_ns":2,"ack_by":"officer"}`))
	f.Add("rfw/v1/hmp1/sensor/s1/detection", []byte(`{}`))
	f.Add("rfw/v1/hmp1/sensor/s1/status", []byte("offline"))
	f.Add("rfw/v1/hmp1/location", []byte(`{"schema":1,"site":"hmp1","track":"t1","class":"nr","link":"uplink","time_ns":5,"floor":"g","room":"","room_prob":0,"x_m":0,"y_m":0,"semi_major_m":0,"semi_minor_m":0,"angle_rad":0,"authorised":false}`))
	f.Add("rfw/v1/hmp1/sensor/s1/spectrum", []byte(`{"schema":1,"site":"hmp1","sensor":"s1","time_ns":5,"center_hz":1e9,"sample_rate_hz":2e6,"power_dbm":[-90]}`))
	// Whatever arrives, a message that is refused reaches no page, and
	// what reaches the pages is JSON (the live feed sends it as it is).
	f.Fuzz(func(t *testing.T, topic string, payload []byte) {
		h := NewHub(2)
		msgs, cancel := h.Subscribe(Subscription{Sensor: "s1"})
		err := h.HandleMQTT(topic, payload)
		cancel()
		for m := range msgs {
			if err != nil {
				t.Fatalf("refused (%v), yet sent the pages a %s message", err, m.Kind)
			}
			if !json.Valid(m.Data) || !utf8.Valid(m.Data) {
				t.Fatalf("%s message from %q is not JSON: %.300q", m.Kind, topic, m.Data)
			}
		}
		if err != nil && err.Error() == "" {
			t.Error("refused with an empty error")
		}
	})
}

// switchLink is a live feed connection a test connects and cuts, and
// whose subscription it has the broker refuse (refuse).
type switchLink struct {
	mu      sync.Mutex
	up      bool
	refused bool // connected, the subscription not granted (up is false, as cmd/rfwarden's feedLink)
	reason  string
}

var _ SubscribingLink = (*switchLink)(nil)

func (l *switchLink) IsConnected() bool         { l.mu.Lock(); defer l.mu.Unlock(); return l.up }
func (l *switchLink) Reason() string            { l.mu.Lock(); defer l.mu.Unlock(); return l.reason }
func (l *switchLink) SubscriptionRefused() bool { l.mu.Lock(); defer l.mu.Unlock(); return l.refused }
func (l *switchLink) set(up bool, reason string) {
	l.mu.Lock()
	l.up, l.refused, l.reason = up, false, reason
	l.mu.Unlock()
}

// refuse makes the link connected with its subscription refused, for
// reason.
func (l *switchLink) refuse(reason string) {
	l.mu.Lock()
	l.up, l.refused, l.reason = false, true, reason
	l.mu.Unlock()
}

// sseEvent reads the next event of an SSE stream (comments skipped).
func sseEvent(t *testing.T, sc *bufio.Scanner) (name, data string) {
	t.Helper()
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		case line == "" && name != "":
			return name, data
		}
	}
	t.Fatalf("stream ended before the next event: %v", sc.Err())
	return "", ""
}

// TestSSEFeedState: the live feed tells the page the state of the
// dashboard's own feed from the broker (event: feed) when it opens and
// whenever it changes, with since when and why: an open stream from a
// dashboard that hears nothing is not "live".
func TestSSEFeedState(t *testing.T) {
	const refused = "not connected to the MQTT broker: dial tcp 127.0.0.1:18299: connect: connection refused"
	type feedMsg struct {
		State   string        `json:"state"`
		SinceNS int64         `json:"since_ns"`
		Reason  string        `json:"reason"`
		NowNS   int64         `json:"now_ns"`
		Fusion  []FusionState `json:"fusion"`
	}
	// openAfter opens the stream of a dashboard made with with's Deps,
	// calling made (if set) between making it and opening the stream.
	openAfter := func(t *testing.T, with func(*Deps), made func(), query string) (*bufio.Scanner, *env) {
		ev := newEnv(t)
		with(&ev.deps)
		e, err := New(ev.deps)
		if err != nil {
			t.Fatal(err)
		}
		if made != nil {
			made()
		}
		srv := httptest.NewServer(e)
		t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
		c := login(t, e, RoleViewer, "viewer-password")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		t.Cleanup(cancel)
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/events"+query, nil)
		req.AddCookie(c.cookie)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("GET /events%s: %s %s", query, resp.Status, b)
		}
		return bufio.NewScanner(resp.Body), ev
	}
	open := func(t *testing.T, with func(*Deps), query string) (*bufio.Scanner, *env) {
		return openAfter(t, with, nil, query)
	}
	next := func(t *testing.T, sc *bufio.Scanner) feedMsg {
		t.Helper()
		name, data := sseEvent(t, sc)
		var m feedMsg
		if name != MsgFeed {
			t.Fatalf("event %q %s, want feed", name, data)
		}
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			t.Fatalf("feed event %s: %v", data, err)
		}
		return m
	}

	t.Run("down at connect, connected on change", func(t *testing.T) {
		link := &switchLink{reason: refused}
		var clock atomic.Int64
		clock.Store(testNow.UnixNano())
		sc, _ := open(t, func(d *Deps) {
			d.Feed = link
			d.Now = func() time.Time { return time.Unix(0, clock.Load()).UTC() }
		}, "?kinds=feed,alert")
		m := next(t, sc)
		if m.State != "down" || m.Reason != refused || m.SinceNS != testNow.UnixNano() || m.NowNS != testNow.UnixNano() {
			t.Errorf("at connect: %+v, want down since testNow with the link's reason", m)
		}
		later := testNow.Add(5 * time.Minute)
		clock.Store(later.UnixNano())
		link.set(true, "")
		m = next(t, sc)
		if m.State != "connected" || m.Reason != "" || m.SinceNS != later.UnixNano() {
			t.Errorf("after the link connected: %+v, want connected since %d", m, later.UnixNano())
		}
		clock.Store(later.Add(time.Minute).UnixNano())
		link.set(false, refused)
		if m = next(t, sc); m.State != "down" || m.SinceNS != later.Add(time.Minute).UnixNano() || m.Reason != refused {
			t.Errorf("after the link was lost: %+v, want down since a minute later", m)
		}
	})
	t.Run("connected", func(t *testing.T) {
		sc, _ := open(t, func(d *Deps) { d.Feed = &switchLink{up: true} }, "")
		if m := next(t, sc); m.State != "connected" || m.Reason != "" {
			t.Errorf("at connect: %+v, want connected", m)
		}
	})
	// The dashboard starts before its feed connects (it waits a moment
	// only); the first stream after that reads the change and publishes
	// it to every stream, itself included, which wrote it already.
	t.Run("connected after start: said once", func(t *testing.T) {
		link := &switchLink{reason: refused}
		sc, ev := openAfter(t, func(d *Deps) { d.Feed = link }, func() { link.set(true, "") }, "?kinds=feed,alert")
		if m := next(t, sc); m.State != "connected" {
			t.Errorf("at connect: %+v, want connected", m)
		}
		ev.deps.Hub.PublishAlert(event.Alert{Schema: 1, ID: "a1", Site: "hmp1", Rule: "r", Severity: event.SeverityInfo, State: event.AlertFiring})
		if name, data := sseEvent(t, sc); name != MsgAlert {
			t.Errorf("next event %q %s, want the alert: the feed's state was said again without a change", name, data)
		}
	})
	// A broker whose ACL refuses the feed's topics: connected, and
	// nothing arrives. It is not "down" (a broken link mends itself),
	// and it is not live.
	t.Run("subscription refused", func(t *testing.T) {
		const notGranted = "connected to the MQTT broker, but its subscription was not granted: rfw/v1/hmp1/alert: the broker refused the subscription (SUBACK 0x80)"
		link := &switchLink{}
		link.refuse(notGranted)
		var clock atomic.Int64
		clock.Store(testNow.UnixNano())
		sc, ev := open(t, func(d *Deps) {
			d.Feed = link
			d.Now = func() time.Time { return time.Unix(0, clock.Load()).UTC() }
		}, "?kinds=feed")
		if m := next(t, sc); m.State != "refused" || m.Reason != notGranted || m.SinceNS != testNow.UnixNano() {
			t.Errorf("at connect: %+v, want refused since testNow with the link's reason", m)
		}
		e, err := New(ev.deps)
		if err != nil {
			t.Fatal(err)
		}
		if rec := do(e, "GET", "/healthz", "", "", nil, false); rec.Code != http.StatusServiceUnavailable || rec.Body.String() != "degraded: live feed: "+notGranted+"\n" {
			t.Errorf("/healthz %d %q, want 503 degraded naming the refusal", rec.Code, rec.Body)
		}
		later := testNow.Add(time.Minute)
		clock.Store(later.UnixNano())
		link.set(true, "") // the ACL mended, the dashboard connected again
		if m := next(t, sc); m.State != "connected" || m.SinceNS != later.UnixNano() {
			t.Errorf("after the subscription was granted: %+v, want connected since a minute later", m)
		}
	})
	t.Run("not configured", func(t *testing.T) {
		sc, _ := open(t, func(d *Deps) { d.Feed = nil }, "")
		if m := next(t, sc); m.State != "none" || m.NowNS != testNow.UnixNano() {
			t.Errorf("at connect: %+v, want none (no feed configured) and the server's clock", m)
		}
	})
	// Fusion's state rides on the feed's: sent with it when the stream
	// opens, and again when fusion's status changes though the feed's
	// did not (TestFusionStates has the states).
	t.Run("fusion offline, then online", func(t *testing.T) {
		stopped := time.Date(2026, 11, 24, 10, 29, 0, 0, time.UTC)
		sc, ev := open(t, func(d *Deps) {
			d.Feed = &switchLink{up: true}
			d.Hub.now = func() time.Time { return testNow }
			if err := d.Hub.HandleMQTT("rfw/v1/hmp1/fusion/status", []byte(fusionStatus("offline", "stopped", stopped))); err != nil {
				t.Fatal(err)
			}
		}, "?kinds=feed")
		m := next(t, sc)
		want := []FusionState{{State: FusionOffline, Site: "hmp1", SinceNS: stopped.UnixNano(), Reason: event.FusionStopped}}
		if m.State != "connected" || !slices.Equal(m.Fusion, want) {
			t.Errorf("at connect: %+v, want connected with fusion %+v", m, want)
		}
		if err := ev.deps.Hub.HandleMQTT("rfw/v1/hmp1/fusion/status", []byte(fusionStatus("online", "", testNow))); err != nil {
			t.Fatal(err)
		}
		m = next(t, sc) // within feedPollEvery, not at the next keep-alive
		want = []FusionState{{State: FusionOnline, Site: "hmp1", SinceNS: testNow.UnixNano()}}
		if m.State != "connected" || m.SinceNS != testNow.UnixNano() || !slices.Equal(m.Fusion, want) {
			t.Errorf("after fusion came back: %+v, want the feed connected as before with fusion %+v", m, want)
		}
	})
	t.Run("not asked for", func(t *testing.T) {
		sc, ev := open(t, func(d *Deps) { d.Feed = &switchLink{reason: refused} }, "?kinds=alert")
		ev.deps.Hub.PublishAlert(event.Alert{Schema: 1, ID: "a1", Site: "hmp1", Rule: "r", Severity: event.SeverityInfo, State: event.AlertFiring})
		if name, data := sseEvent(t, sc); name != MsgAlert {
			t.Errorf("first event %q %s, want the alert (kinds=alert)", name, data)
		}
	})
}

// TestMeAndSiteGiveClockAndTrackWindow: the page ages the floor plan's
// markers on the server's clock (the demo's is simulated) over the window
// the server keeps tracks for.
func TestMeAndSiteGiveClockAndTrackWindow(t *testing.T) {
	ev := newEnv(t)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleViewer, "viewer-password")
	rec := do(e, "GET", "/api/v1/me", "", "", &c, false)
	var me struct {
		NowNS int64 `json:"now_ns"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &me); err != nil || me.NowNS != testNow.UnixNano() {
		t.Errorf("GET /me now_ns %d (%v), want the server's clock %d", me.NowNS, err, testNow.UnixNano())
	}
	rec = do(e, "GET", "/api/v1/site", "", "", &c, false)
	var st struct {
		TrackMinutes int `json:"track_minutes"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || st.TrackMinutes != int(TrackWindow/time.Minute) || TrackWindow != 30*time.Minute {
		t.Errorf("GET /site track_minutes %d (%v), want 30", st.TrackMinutes, err)
	}
}

// TestFeedWatchPollsWhileWatched: the feed's state is read in the
// background only while a live stream watches it (each dashboard made in
// a test, or by a tool that never serves /events, left a goroutine
// ticking for ever), a state read on demand is published to the others,
// and reasons that differ only in an attempt's local port are one state
// (each retry's ephemeral port republished it every few seconds).
func TestFeedWatchPollsWhileWatched(t *testing.T) {
	link := &switchLink{up: false, reason: "not connected to the MQTT broker: dial tcp 127.0.0.1:41000->127.0.0.1:1883: connection refused"}
	hub := NewHub(8)
	msgs, cancel := hub.Subscribe(Subscription{})
	defer cancel()
	clock := time.Unix(1000, 0)
	w := newFeedWatch(link, func() time.Time { return clock }, hub)
	if w.watchers != 0 || w.stop != nil {
		t.Fatal("a feed nobody watches is polled")
	}
	link.set(false, "not connected to the MQTT broker: dial tcp 127.0.0.1:41733->127.0.0.1:1883: connection refused")
	if st := w.State(); st.State != FeedDown || st.SinceNS != time.Unix(1000, 0).UnixNano() {
		t.Errorf("state %+v: another local port is the same state, down since 1000 s", st)
	}
	select {
	case m := <-msgs:
		t.Errorf("published %s %s for a new local port only", m.Kind, m.Data)
	default:
	}
	link.set(true, "")
	if st := w.State(); st.State != FeedConnected {
		t.Errorf("state %+v, want connected", st)
	}
	select {
	case m := <-msgs:
		if m.Kind != MsgFeed || !strings.Contains(string(m.Data), `"connected"`) {
			t.Errorf("published %s %s, want the connected feed", m.Kind, m.Data)
		}
	default:
		t.Error("a change read on demand was not published to the other streams")
	}
	end1, end2 := w.watch(), w.watch()
	stop := w.stop
	if w.watchers != 2 || stop == nil {
		t.Fatalf("watchers %d, polling %v", w.watchers, stop != nil)
	}
	end1()
	end1() // twice: once
	select {
	case <-stop:
		t.Fatal("polling stopped with a watcher left")
	default:
	}
	end2()
	select {
	case <-stop:
	default:
		t.Fatal("polling goes on with no watcher")
	}
}
