package event_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

// FuzzDecodeDetection: any bytes either decode into a detection that
// re-encodes and re-decodes to itself, or give an error; never a panic.
func FuzzDecodeDetection(f *testing.F) {
	f.Add([]byte(mustJSON(validDetection())))
	f.Add([]byte(`{"schema":1}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"schema":1,"id":"x","site":"a","sensor":"b","time_ns":1,"center_hz":1e400}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := event.DecodeDetection(data)
		if err != nil {
			return
		}
		b, err := event.Encode(d)
		if err != nil {
			t.Fatalf("decoded detection does not re-encode: %v", err)
		}
		d2, err := event.DecodeDetection(b)
		if err != nil || d2 != d {
			t.Fatalf("re-decode: %+v, %v; want %+v", d2, err, d)
		}
	})
}

// FuzzDecodeHealth: any bytes decode into a valid health report or an error.
func FuzzDecodeHealth(f *testing.F) {
	f.Add([]byte(`{"schema":1,"site":"a","sensor":"s1","time_ns":1,"state":"ok","noise_floor_dbm":{"n1":-95},"version":"v"}`))
	f.Add([]byte(`{"schema":1,"state":"nope"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := event.DecodeHealth(data)
		if err == nil && h.Validate() != nil {
			t.Fatal("decoded an invalid health report")
		}
	})
}

// FuzzParseSensorTopic: parsed topics rebuild to themselves.
func FuzzParseSensorTopic(f *testing.F) {
	f.Add("rfw/v1/a/sensor/s1/detection")
	f.Add("rfw/v1//sensor//")
	f.Fuzz(func(t *testing.T, topic string) {
		site, sensor, kind, err := event.ParseSensorTopic(topic)
		if err == nil && event.SensorTopic(site, sensor, kind) != topic {
			t.Fatalf("topic %q parsed to %q %q %q", topic, site, sensor, kind)
		}
	})
}

// FuzzDecodeCommand: any bytes decode into a valid command that re-encodes
// to itself, or give an error.
func FuzzDecodeCommand(f *testing.F) {
	f.Add([]byte(`{"schema":1,"site":"a","sensor":"s1","time_ns":1,"cmd":"keep","alert":"a1","detections":["s1-0a1b2c3d4e5f-100-1"]}`))
	f.Add([]byte(`{"schema":1,"site":"a","sensor":"s1","time_ns":1,"cmd":"erase","detections":["x"]}`))
	f.Add([]byte(`{"schema":1,"site":"a","sensor":"s1","time_ns":1,"cmd":"keep","detections":[]}`))
	f.Add([]byte(`{"schema":1,"site":"a","sensor":"s1","time_ns":1,"cmd":"session","detections":null,"fusion":"rfwarden-fusion"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := event.DecodeCommand(data)
		if err != nil {
			return
		}
		b, err := event.Encode(c)
		if err != nil {
			t.Fatalf("decoded command does not re-encode: %v", err)
		}
		c2, err := event.DecodeCommand(b)
		if err != nil || !slices.Equal(c2.Detections, c.Detections) || c2.Alert != c.Alert || c2.Sensor != c.Sensor {
			t.Fatalf("re-decode: %+v, %v; want %+v", c2, err, c)
		}
	})
}

// FuzzDecodeLocation: any bytes decode into a valid location that
// re-encodes to itself, or give an error.
func FuzzDecodeLocation(f *testing.F) {
	f.Add([]byte(`{"schema":1,"site":"a","track":"t1","class":"lte","link":"uplink","time_ns":1,"floor":"g","room":"a-102","room_prob":0.7,"x_m":4.5,"y_m":2,"semi_major_m":1.5,"semi_minor_m":0.8,"angle_rad":0,"authorised":false}`))
	f.Add([]byte(`{"schema":1,"site":"a","track":"t1","class":"lte","link":"uplink","time_ns":1,"x_m":1e999}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := event.DecodeLocation(data)
		if err != nil {
			return
		}
		b, err := event.Encode(l)
		if err != nil {
			t.Fatalf("decoded location does not re-encode: %v", err)
		}
		if l2, err := event.DecodeLocation(b); err != nil || l2 != l {
			t.Fatalf("re-decode: %+v, %v; want %+v", l2, err, l)
		}
	})
}

// FuzzDecodeAck: any bytes decode into a valid acknowledgement that
// re-encodes to itself, or give an error.
func FuzzDecodeAck(f *testing.F) {
	f.Add([]byte(`{"schema":1,"site":"a","alert":"phone-in-cell-L2-S02-t7","by":"officer.jones","note":"cell searched","ack_ns":1}`))
	f.Add([]byte(`{"schema":1,"site":"a","alert":"x","by":"\u001b[2J","ack_ns":1}`))
	f.Add([]byte(`{"schema":1,"site":"a","alert":"x","by":"u","ack_ns":-5}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := event.DecodeAck(data)
		if err != nil {
			return
		}
		b, err := event.Encode(a)
		if err != nil {
			t.Fatalf("decoded ack does not re-encode: %v", err)
		}
		if a2, err := event.DecodeAck(b); err != nil || a2 != a {
			t.Fatalf("re-decode: %+v, %v; want %+v", a2, err, a)
		}
	})
}

// FuzzDecodeAlert: any bytes decode into a valid alert that re-encodes
// and re-decodes to itself, or give an error; never a panic. Its corpus
// holds the negative times that decoded until 2026-12-06 (TestAlertTimes).
func FuzzDecodeAlert(f *testing.F) {
	f.Add([]byte(`{"schema":1,"id":"a1","site":"a","rule":"r","severity":"info","state":"firing","summary":"","active_ns":1,"updated_ns":1}`))
	f.Add([]byte(`{"schema":1,"id":"a1","site":"a","rule":"r","severity":"info","state":"firing","summary":"","active_ns":1,"updated_ns":-1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := event.DecodeAlert(data)
		if err != nil {
			return
		}
		if a.ActiveNS <= 0 || a.UpdatedNS <= 0 || a.AckNS < 0 || a.EscalatedNS < 0 || a.LastFixNS < 0 {
			t.Fatalf("decoded an alert with a time out of range: %+v", a)
		}
		b, err := event.Encode(a)
		if err != nil {
			t.Fatalf("decoded alert does not re-encode: %v", err)
		}
		a2, err := event.DecodeAlert(b)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		b2, err := event.Encode(a2)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("re-decode: %s, %v; want %s", b2, err, b)
		}
	})
}

// FuzzDecodeSpectrum: any bytes (a spectrum is QoS 0 from any client of
// the broker, for the dashboard's waterfall) decode into a valid spectrum
// that re-encodes and re-decodes to itself, or give an ErrSchema error.
func FuzzDecodeSpectrum(f *testing.F) {
	f.Add([]byte(`{"schema":1,"site":"a","sensor":"s1","time_ns":1,"center_hz":1e9,"sample_rate_hz":2e6,"power_dbm":[-90,-80.5]}`))
	f.Add([]byte(`{"schema":1,"site":"a","sensor":"s1","time_ns":1,"center_hz":1e9,"sample_rate_hz":2e6,"power_dbm":[3.5e38]}`))
	f.Add([]byte(`{"schema":1,"site":"a","sensor":"s1","time_ns":1,"center_hz":1e9,"sample_rate_hz":2e6,"power_dbm":[]}`))
	f.Add([]byte(`{"schema":1,"site":"a","sensor":"s1","time_ns":1,"center_hz":1e9,"sample_rate_hz":2e6,"power_dbm":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := event.DecodeSpectrum(data)
		if err != nil {
			if !errors.Is(err, event.ErrSchema) {
				t.Fatalf("error wraps no ErrSchema: %v", err)
			}
			return
		}
		if n := len(s.PowerDBm); n == 0 || n > 4096 {
			t.Fatalf("decoded a spectrum of %d bins", n)
		}
		b, err := event.Encode(s)
		if err != nil {
			t.Fatalf("decoded spectrum does not re-encode: %v", err)
		}
		s2, err := event.DecodeSpectrum(b)
		if err != nil || !slices.Equal(s2.PowerDBm, s.PowerDBm) || s2.Site != s.Site || s2.Sensor != s.Sensor ||
			s2.TimeNS != s.TimeNS || s2.CenterHz != s.CenterHz || s2.SampleRateHz != s.SampleRateHz {
			t.Fatalf("re-decode: %+v, %v; want %+v", s2, err, s)
		}
	})
}

// FuzzParseEvidenceTopic: parsed evidence topics rebuild to themselves,
// and what does not parse is an ErrSchema error.
func FuzzParseEvidenceTopic(f *testing.F) {
	f.Add("rfw/v1/a/evidence/s1")
	f.Add("rfw/v1/a/evidence/s1/x")
	f.Add("rfw/v1/../evidence/..")
	f.Fuzz(func(t *testing.T, topic string) {
		site, sensor, err := event.ParseEvidenceTopic(topic)
		if err != nil {
			if !errors.Is(err, event.ErrSchema) {
				t.Fatalf("error wraps no ErrSchema: %v", err)
			}
			return
		}
		if event.EvidenceTopic(site, sensor) != topic {
			t.Fatalf("topic %q parsed to %q %q", topic, site, sensor)
		}
	})
}
