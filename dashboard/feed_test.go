package dashboard

import (
	"strings"
	"testing"

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
	f.Add("rfw/v1/hmp1/sensor/s1/status", []byte("offline"))
	f.Add("rfw/v1/hmp1/location", []byte(`{"schema":1,"site":"hmp1","track":"t1","class":"nr","link":"uplink","time_ns":5,"floor":"g","room":"","room_prob":0,"x_m":0,"y_m":0,"semi_major_m":0,"semi_minor_m":0,"angle_rad":0,"authorised":false}`))
	f.Add("rfw/v1/hmp1/sensor/s1/spectrum", []byte(`{"schema":1,"site":"hmp1","sensor":"s1","time_ns":5,"center_hz":1e9,"sample_rate_hz":2e6,"power_dbm":[-90]}`))
	f.Fuzz(func(t *testing.T, topic string, payload []byte) {
		h := NewHub(2)
		_ = h.HandleMQTT(topic, payload) // must not panic
	})
}
