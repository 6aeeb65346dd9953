package dashboard

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
)

func TestHubSlowClientDroppedPublisherNeverBlocks(t *testing.T) {
	h := NewHub(4)
	slow, cancelSlow := h.Subscribe(Subscription{})
	defer cancelSlow()
	fast, cancelFast := h.Subscribe(Subscription{})
	defer cancelFast()
	got := 0
	done := make(chan struct{})
	go func() {
		for range fast {
			got++
		}
		close(done)
	}()
	for i := 0; i < 100; i++ {
		h.PublishAlert(event.Alert{Schema: 1, ID: "a", Site: "s", Rule: "r", Severity: "info", State: "firing"})
	}
	n := 0
	for range slow { // closed after its 4 buffered messages
		n++
	}
	if n != 4 {
		t.Errorf("slow client got %d messages before being dropped, want 4", n)
	}
	if h.Dropped() < 1 {
		t.Errorf("Dropped() = %d, want >= 1", h.Dropped())
	}
	cancelFast()
	<-done
	if got == 0 {
		t.Error("fast client got nothing")
	}
	if h.Clients() != 0 {
		t.Errorf("Clients() = %d after cancel, want 0", h.Clients())
	}
	cancelFast() // idempotent
}

func TestHubSubscriptionFilters(t *testing.T) {
	tests := []struct {
		name string
		sub  Subscription
		want []string // kinds received, in order
	}{
		{"all kinds, no sensor: no spectrum", Subscription{}, []string{MsgAlert, MsgHealth, MsgStatus, MsgLocation}},
		{"sensor s1 gets its spectrum", Subscription{Sensor: "s1"}, []string{MsgAlert, MsgHealth, MsgStatus, MsgSpectrum, MsgLocation}},
		{"alerts only", Subscription{Kinds: map[string]bool{MsgAlert: true}}, []string{MsgAlert}},
		{"spectrum of s2 only", Subscription{Kinds: map[string]bool{MsgSpectrum: true}, Sensor: "s2"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHub(16)
			ch, cancel := h.Subscribe(tt.sub)
			h.PublishAlert(event.Alert{ID: "a"})
			h.PublishHealth(event.Health{Site: "x", Sensor: "s1", State: event.StateJammed, TimeNS: 5})
			h.PublishStatus("x", "s1", event.StatusOffline)
			h.PublishSpectrum(event.Spectrum{Sensor: "s1", PowerDBm: []float32{-90}})
			h.PublishLocation(store.LocationRecord{Track: "t"})
			cancel()
			var got []string
			for m := range ch {
				got = append(got, m.Kind)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got kinds %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got kinds %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestHubSensorState(t *testing.T) {
	h := NewHub(0)
	h.now = func() time.Time { return time.Unix(100, 0) }
	h.PublishHealth(event.Health{Site: "x", Sensor: "s1", State: event.StateOK, TimeNS: 50, OutboxDepth: 3})
	h.PublishHealth(event.Health{Site: "x", Sensor: "s2", State: event.StateTampered, TimeNS: 60})
	h.PublishStatus("x", "s3", event.StatusOffline)
	h.PublishStatus("x", "s2", event.StatusOnline) // still tampered
	got := h.Sensors()
	want := map[string]string{"s1": "online", "s2": "tampered", "s3": "offline"}
	if len(got) != 3 {
		t.Fatalf("got %d sensors, want 3", len(got))
	}
	for _, s := range got {
		if s.Status != want[s.Sensor] {
			t.Errorf("sensor %s: status %q, want %q", s.Sensor, s.Status, want[s.Sensor])
		}
	}
	if got[0].Health == nil || got[0].Health.OutboxDepth != 3 || got[0].LastHeartbeatNS != 50 {
		t.Errorf("s1 state: %+v", got[0])
	}
	b, _ := json.Marshal(got[1])
	if len(b) == 0 {
		t.Error("marshal sensor state")
	}
}

func BenchmarkHubPublish(b *testing.B) {
	h := NewHub(1024)
	for i := 0; i < 8; i++ {
		ch, cancel := h.Subscribe(Subscription{})
		defer cancel()
		go func() {
			for range ch {
			}
		}()
	}
	a := event.Alert{Schema: 1, ID: "a1", Site: "hmp1", Rule: "illicit_phone", Severity: "critical", State: "firing", Summary: "LTE uplink in A1-02"}
	b.ReportAllocs()
	for b.Loop() {
		h.PublishAlert(a)
	}
}

// A hub that knows the site model keeps state only for the site's own
// sensors: status and health on any other sensor's topic (100,000 ghost
// sensors filled the sensors list and memory) are counted and ignored, as
// are those of sensors the hub kept before it learnt the site.
func TestHubIgnoresSensorsOutsideSite(t *testing.T) {
	h := NewHub(0)
	h.PublishStatus("w", "early-ghost", event.StatusOnline) // before the site is known
	h.SetSite(&site.Site{ID: "w", Sensors: []site.Sensor{{ID: "s1"}, {ID: "s2"}}})
	msgs, cancel := h.Subscribe(Subscription{})
	defer cancel()
	tests := []struct {
		name      string
		publish   func()
		wantKept  bool
		wantCount int64 // ignored so far
	}{
		{"given a site sensor's status then kept", func() { h.PublishStatus("w", "s1", event.StatusOnline) }, true, 0},
		{"given a site sensor's health then kept", func() { h.PublishHealth(event.Health{Site: "w", Sensor: "s2", State: event.StateOK, TimeNS: 1}) }, true, 0},
		{"given a ghost's status then ignored", func() { h.PublishStatus("w", "ghost1", event.StatusOnline) }, false, 1},
		{"given a ghost's health then ignored", func() { h.PublishHealth(event.Health{Site: "w", Sensor: "ghost2", State: event.StateOK, TimeNS: 1}) }, false, 2},
		{"given a site sensor's ID at another site then ignored", func() { h.PublishStatus("x", "s1", event.StatusOnline) }, false, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.publish()
			select {
			case <-msgs:
				if !tc.wantKept {
					t.Error("an ignored sensor's message was sent to the live feed")
				}
			default:
				if tc.wantKept {
					t.Error("a site sensor's message was not sent to the live feed")
				}
			}
			if got := h.IgnoredSensorMessages(); got != tc.wantCount {
				t.Errorf("IgnoredSensorMessages = %d, want %d", got, tc.wantCount)
			}
		})
	}
	var got []string
	for _, s := range h.Sensors() {
		got = append(got, s.Site+"/"+s.Sensor)
	}
	if want := []string{"w/s1", "w/s2"}; !slices.Equal(got, want) {
		t.Errorf("Sensors = %v, want %v", got, want)
	}
}

// Without a site model the hub keeps at most MaxHubSensors sensors; the
// messages of sensors beyond are counted and ignored, and the sensors it
// keeps are still updated.
func TestHubCapsSensorsWithoutSite(t *testing.T) {
	h := NewHub(0)
	for i := range MaxHubSensors + 10 {
		h.PublishStatus("w", fmt.Sprintf("ghost%d", i), event.StatusOnline)
	}
	if got := len(h.Sensors()); got != MaxHubSensors {
		t.Errorf("kept %d sensors, want MaxHubSensors = %d", got, MaxHubSensors)
	}
	if got := h.IgnoredSensorMessages(); got != 10 {
		t.Errorf("IgnoredSensorMessages = %d, want 10", got)
	}
	h.PublishStatus("w", "ghost0", event.StatusOffline)
	for _, s := range h.Sensors() {
		if s.Sensor == "ghost0" && s.Status != event.StatusOffline {
			t.Errorf("kept sensor ghost0 not updated: status %q", s.Status)
		}
	}
}
