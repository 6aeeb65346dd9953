package event_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

func validDetection() event.Detection {
	return event.Detection{Schema: 1, ID: "s1-42", Site: "hmp-a", Sensor: "s1", TimeNS: 1_700_000_000_000_000_000,
		DurationNS: 1_000_000, CenterHz: 1.95e9, BandwidthHz: 5e6, PowerDBm: -60, SNRDB: 20, Band: "n1",
		Link: event.LinkUplink, Class: event.ClassNR, Confidence: 0.8, SampleStart: 100, SampleCount: 2000,
		Label: "NR uplink (NR n1, 15 kHz SCS)"}
}

func TestDetectionRoundTrip(t *testing.T) {
	d := validDetection()
	b, err := event.Encode(d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := event.DecodeDetection(b)
	if err != nil {
		t.Fatal(err)
	}
	if got != d {
		t.Errorf("round trip: got %+v, want %+v", got, d)
	}
}

func TestDetectionRejects(t *testing.T) {
	tests := []struct {
		name, json, wantField string
	}{
		{"not json", `{`, "unexpected EOF"},
		{"unknown field", `{"schema":1,"imsi":"x"}`, "unknown field"},
		{"trailing data", strings.TrimSuffix(mustJSON(validDetection()), "") + `{}`, "trailing"},
		{"wrong schema", strings.Replace(mustJSON(validDetection()), `"schema":1`, `"schema":2`, 1), "schema"},
		{"bad class", strings.Replace(mustJSON(validDetection()), `"class":"nr"`, `"class":"5g"`, 1), "class"},
		{"bad link", strings.Replace(mustJSON(validDetection()), `"link":"uplink"`, `"link":"up"`, 1), "link"},
		{"bad sensor id", strings.Replace(mustJSON(validDetection()), `"sensor":"s1"`, `"sensor":"s1/#"`, 1), "sensor"},
		{"confidence > 1", strings.Replace(mustJSON(validDetection()), `"confidence":0.8`, `"confidence":1.5`, 1), "confidence"},
		{"negative bandwidth", strings.Replace(mustJSON(validDetection()), `"bandwidth_hz":5000000`, `"bandwidth_hz":-1`, 1), "bandwidth_hz"},
		{"missing id", strings.Replace(mustJSON(validDetection()), `"id":"s1-42"`, `"id":""`, 1), "id"},
		{"id with a newline", strings.Replace(mustJSON(validDetection()), `"id":"s1-42"`, `"id":"s1-42\ns1-43"`, 1), "printable"},
		{"zero time", strings.Replace(mustJSON(validDetection()), `"time_ns":1700000000000000000`, `"time_ns":0`, 1), "time_ns"},
		{"huge", `{"id":"` + strings.Repeat("x", event.MaxPayloadBytes) + `"}`, "exceeds"},
		{"long label", strings.Replace(mustJSON(validDetection()), `"label":"NR uplink (NR n1, 15 kHz SCS)"`, `"label":"`+strings.Repeat("x", event.MaxLabelLen+1)+`"`, 1), "label"},
		{"control in label", strings.Replace(mustJSON(validDetection()), `"label":"NR uplink (NR n1, 15 kHz SCS)"`, `"label":"NR\u001b[2J"`, 1), "label"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := event.DecodeDetection([]byte(tc.json))
			if err == nil {
				t.Fatal("decoded a bad payload")
			}
			if !errors.Is(err, event.ErrSchema) {
				t.Errorf("error %v does not wrap ErrSchema", err)
			}
			if !strings.Contains(err.Error(), tc.wantField) {
				t.Errorf("error %q does not name %q", err, tc.wantField)
			}
		})
	}
}

// TestDetectionPhysicalRanges: values a sensor here never reports (a
// centre below 1 kHz, a denormal bandwidth, powers beyond any receiver's
// range) are refused with an error naming the field, and the edges of the
// ranges are taken. A 5e-324 Hz centre passed and made fusion's locator
// return NaN coordinates, which then blocked every location write.
func TestDetectionPhysicalRanges(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(*event.Detection)
		wantField string // "" = valid
	}{
		{"denormal centre", func(d *event.Detection) { d.CenterHz = 5e-324 }, "center_hz"},
		{"centre under 1 kHz", func(d *event.Detection) { d.CenterHz = 999 }, "center_hz"},
		{"centre at 1 kHz", func(d *event.Detection) { d.CenterHz = 1e3 }, ""},
		{"centre at 1e12 Hz", func(d *event.Detection) { d.CenterHz = 1e12 }, ""},
		{"centre over 1e12 Hz", func(d *event.Detection) { d.CenterHz = 1.1e12 }, "center_hz"},
		{"denormal bandwidth", func(d *event.Detection) { d.BandwidthHz = 5e-324 }, "bandwidth_hz"},
		{"sub-hertz bandwidth", func(d *event.Detection) { d.BandwidthHz = 0.5 }, "bandwidth_hz"},
		{"zero bandwidth", func(d *event.Detection) { d.BandwidthHz = 0 }, ""},
		{"1 Hz bandwidth", func(d *event.Detection) { d.BandwidthHz = 1 }, ""},
		{"power +101 dBm", func(d *event.Detection) { d.PowerDBm = 101 }, "power_dbm"},
		{"power -401 dBm", func(d *event.Detection) { d.PowerDBm = -401 }, "power_dbm"},
		{"power +100 dBm", func(d *event.Detection) { d.PowerDBm = 100 }, ""},
		{"power -400 dBm", func(d *event.Detection) { d.PowerDBm = -400 }, ""},
		{"denormal power", func(d *event.Detection) { d.PowerDBm = 5e-324 }, ""},
		{"peak +101 dBm", func(d *event.Detection) { d.PeakDBm = 101 }, "peak_dbm"},
		{"peak -401 dBm", func(d *event.Detection) { d.PeakDBm = -401 }, "peak_dbm"},
		{"snr 401 dB", func(d *event.Detection) { d.SNRDB = 401 }, "snr_db"},
		{"snr 309 dB (noiseless simulation)", func(d *event.Detection) { d.SNRDB = 309 }, ""},
		{"snr -401 dB", func(d *event.Detection) { d.SNRDB = -401 }, "snr_db"},
		{"snr -10 dB", func(d *event.Detection) { d.SNRDB = -10 }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := validDetection()
			tc.edit(&d)
			err := d.Validate()
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error naming %s", tc.wantField)
			}
			if !errors.Is(err, event.ErrSchema) || !strings.Contains(err.Error(), tc.wantField) {
				t.Errorf("Validate() = %v, want an ErrSchema naming %s", err, tc.wantField)
			}
			b, jerr := json.Marshal(d) // what a hostile publisher sends
			if jerr != nil {
				t.Fatal(jerr)
			}
			if _, err := event.DecodeDetection(b); err == nil || !strings.Contains(err.Error(), tc.wantField) {
				t.Errorf("DecodeDetection = %v, want an error naming %s", err, tc.wantField)
			}
		})
	}
}

func TestEncodeRefusesInvalid(t *testing.T) {
	d := validDetection()
	d.PowerDBm = math.NaN()
	if _, err := event.Encode(d); err == nil {
		t.Error("encoded NaN power")
	}
}

func TestHealthAlertSpectrum(t *testing.T) {
	h := event.Health{Schema: 1, Site: "a", Sensor: "s1", TimeNS: 1, State: event.StateJammed, NoiseFloorDBm: map[string]float64{"n1": -95}, Version: "v"}
	b, err := event.Encode(h)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := event.DecodeHealth(b); err != nil || got.State != event.StateJammed || got.NoiseFloorDBm["n1"] != -95 {
		t.Errorf("health round trip = %+v, %v", got, err)
	}
	if _, err := event.DecodeHealth([]byte(strings.Replace(string(b), "jammed", "sleepy", 1))); err == nil {
		t.Error("accepted unknown state")
	}
	h.ScanBandsHz = map[string][2]float64{"n1": {1920e6, 1980e6}}
	if b, err = event.Encode(h); err != nil {
		t.Fatal(err)
	}
	if got, err := event.DecodeHealth(b); err != nil || got.ScanBandsHz["n1"] != [2]float64{1920e6, 1980e6} {
		t.Errorf("health scan plan round trip = %+v, %v", got.ScanBandsHz, err)
	}
	for _, bad := range []string{`[1980e6, 1920e6]`, `[0, 1e6]`, `[1920e6]`, `[-5, 1e6]`, `[1e9, 2e12]`} {
		p := strings.Replace(string(b), `[1920000000,1980000000]`, bad, 1)
		if _, err := event.DecodeHealth([]byte(p)); err == nil || !strings.Contains(err.Error(), `scan_bands_hz["n1"]`) {
			t.Errorf("scan_bands_hz %s: error %v, want one naming scan_bands_hz[\"n1\"]", bad, err)
		}
	}
	a := event.Alert{Schema: 1, ID: "a1", Site: "a", Rule: "unauthorised_uplink", Severity: event.SeverityCritical, State: event.AlertFiring, Probability: 0.82,
		ActiveNS: 1, UpdatedNS: 1}
	b, err = event.Encode(a)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := event.DecodeAlert(b); err != nil || got.Probability != 0.82 {
		t.Errorf("alert round trip = %+v, %v", got, err)
	}
	a.Escalations, a.EscalatedNS = 2, 600e9
	if b, err = event.Encode(a); err != nil {
		t.Fatal(err)
	}
	if got, err := event.DecodeAlert(b); err != nil || got.Escalations != 2 || got.EscalatedNS != 600e9 {
		t.Errorf("reminder round trip = %+v, %v", got, err)
	}
	if _, err := event.DecodeAlert([]byte(strings.Replace(string(b), `"escalations":2`, `"escalations":-1`, 1))); err == nil || !strings.Contains(err.Error(), "escalations") {
		t.Errorf("negative escalations: %v, want an error naming escalations", err)
	}
	a.Confidence = 0.9
	if b, err = event.Encode(a); err != nil {
		t.Fatal(err)
	}
	if got, err := event.DecodeAlert(b); err != nil || got.Confidence != 0.9 {
		t.Errorf("confidence round trip = %+v, %v", got, err)
	}
	if _, err := event.DecodeAlert([]byte(strings.Replace(string(b), `"confidence":0.9`, `"confidence":1.5`, 1))); err == nil || !strings.Contains(err.Error(), "confidence") {
		t.Errorf("confidence 1.5: %v, want an error naming confidence", err)
	}
	s := event.Spectrum{Schema: 1, Site: "a", Sensor: "s1", TimeNS: 1, CenterHz: 1e9, SampleRateHz: 2e7, PowerDBm: []float32{-90, -80}}
	b, err = event.Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := event.DecodeSpectrum(b); err != nil || len(got.PowerDBm) != 2 {
		t.Errorf("spectrum round trip = %+v, %v", got, err)
	}
}

func TestEvidenceTopic(t *testing.T) {
	topic := event.EvidenceTopic("hmp-a", "s1")
	site, sensor, err := event.ParseEvidenceTopic(topic)
	if topic != "rfw/v1/hmp-a/evidence/s1" || err != nil || site != "hmp-a" || sensor != "s1" {
		t.Errorf("%q parsed to %q %q %v", topic, site, sensor, err)
	}
	for _, bad := range []string{"rfw/v1/a/evidence/s1/x", "rfw/v1/a/evidence/", "rfw/v1/a/sensor/s1", "rfw/v2/a/evidence/s1", "rfw/v1/a/evidence/../s1", ""} {
		if _, _, err := event.ParseEvidenceTopic(bad); err == nil {
			t.Errorf("parsed bad evidence topic %q", bad)
		}
	}
}

func TestTopics(t *testing.T) {
	topic := event.SensorTopic("hmp-a", "s1", event.KindDetection)
	if topic != "rfw/v1/hmp-a/sensor/s1/detection" {
		t.Errorf("topic = %q", topic)
	}
	site, sensor, kind, err := event.ParseSensorTopic(topic)
	if err != nil || site != "hmp-a" || sensor != "s1" || kind != "detection" {
		t.Errorf("parse = %q %q %q %v", site, sensor, kind, err)
	}
	for _, bad := range []string{"rfw/v2/a/sensor/s1/detection", "rfw/v1/a/sensors/s1/x", "rfw/v1/a/sensor/s1", "rfw/v1/+/sensor/s1/x", ""} {
		if _, _, _, err := event.ParseSensorTopic(bad); err == nil {
			t.Errorf("parsed bad topic %q", bad)
		}
	}
	if event.AlertTopic("a") != "rfw/v1/a/alert" {
		t.Error("alert topic")
	}
}

func mustJSON(d event.Detection) string {
	b, err := event.Encode(d)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestCommand(t *testing.T) {
	c := event.Command{Schema: 1, Site: "a", Sensor: "s1", TimeNS: 1, Cmd: event.CmdKeep, Alert: "a1",
		Detections: []string{"s1-0a1b2c3d4e5f-100-1", "s1-0a1b2c3d4e5f-900-7"}}
	b, err := event.Encode(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := event.DecodeCommand(b)
	if err != nil || got.Alert != "a1" || len(got.Detections) != 2 || got.Detections[1] != c.Detections[1] {
		t.Errorf("command round trip = %+v, %v", got, err)
	}
	long := make([]string, event.MaxCommandDetections+1)
	for i := range long {
		long[i] = "d"
	}
	for _, tc := range []struct {
		name  string
		edit  func(*event.Command)
		field string
	}{
		{"unknown command", func(c *event.Command) { c.Cmd = "erase" }, "cmd"},
		{"no detections", func(c *event.Command) { c.Detections = nil }, "detections"},
		{"too many detections", func(c *event.Command) { c.Detections = long }, "detections"},
		{"empty ID", func(c *event.Command) { c.Detections = []string{"x", ""} }, "detections[1]"},
		{"bad sensor", func(c *event.Command) { c.Sensor = "../s1" }, "sensor"},
		{"no time", func(c *event.Command) { c.TimeNS = 0 }, "time_ns"},
	} {
		bad := c
		tc.edit(&bad)
		if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), tc.field+":") {
			t.Errorf("%s: error %v, want one naming %s", tc.name, err, tc.field)
		}
	}
	if _, err := event.DecodeCommand([]byte(strings.Replace(string(b), `"cmd"`, `"cmd":"keep","x"`, 1))); err == nil {
		t.Error("accepted an unknown field")
	}
}

// TestSessionCommand: fusion's session marker round-trips and names
// fusion's client ID, without an alert or detections; a keep command
// names no fusion.
func TestSessionCommand(t *testing.T) {
	c := event.Command{Schema: 1, Site: "a", Sensor: "s1", TimeNS: 1, Cmd: event.CmdSession, Fusion: "rfwarden-fusion"}
	b, err := event.Encode(c)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := event.DecodeCommand(b); err != nil || got.Cmd != event.CmdSession || got.Fusion != c.Fusion {
		t.Errorf("session round trip = %+v, %v", got, err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(*event.Command)
		field string
	}{
		{"no fusion", func(c *event.Command) { c.Fusion = "" }, "session"},
		{"detections", func(c *event.Command) { c.Detections = []string{"s1-x-1-1"} }, "session"},
		{"alert", func(c *event.Command) { c.Alert = "a1" }, "session"},
		{"control character", func(c *event.Command) { c.Fusion = "f\n" }, "fusion"},
		{"keep naming fusion", func(c *event.Command) { c.Cmd, c.Detections = event.CmdKeep, []string{"d"} }, "fusion"},
	} {
		bad := c
		tc.edit(&bad)
		if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), tc.field+":") {
			t.Errorf("%s: error %v, want one naming %s", tc.name, err, tc.field)
		}
	}
}

func TestLocation(t *testing.T) {
	l := event.Location{Schema: 1, Site: "hmp1", Track: "t-7", Class: event.ClassLTE, Link: event.LinkUplink, TimeNS: 1,
		Floor: "L2", Room: "L2-S02", RoomProb: 0.8, XM: 4.5, YM: -2, SemiMajorM: 1.5, SemiMinorM: 0.5, AngleRad: -0.3}
	b, err := event.Encode(l)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := event.DecodeLocation(b); err != nil || got != l {
		t.Errorf("location round trip = %+v, %v; want %+v", got, err, l)
	}
	if got := event.LocationTopic("hmp1"); got != "rfw/v1/hmp1/location" {
		t.Errorf("LocationTopic = %q", got)
	}
	for _, tc := range []struct {
		name  string
		edit  func(*event.Location)
		field string
	}{
		{"no track", func(l *event.Location) { l.Track = "" }, "track"},
		{"control character in track", func(l *event.Location) { l.Track = "t\x1b[2J" }, "track"},
		{"unknown class", func(l *event.Location) { l.Class = "5g-phone" }, "class"},
		{"no link", func(l *event.Location) { l.Link = "" }, "link"},
		{"no time", func(l *event.Location) { l.TimeNS = 0 }, "time_ns"},
		{"probability over 1", func(l *event.Location) { l.RoomProb = 1.5 }, "room_prob"},
		{"NaN position", func(l *event.Location) { l.XM = math.NaN() }, "x_m, y_m, angle_rad"},
		{"negative axis", func(l *event.Location) { l.SemiMinorM = -1 }, "semi_major_m, semi_minor_m"},
		{"bad site", func(l *event.Location) { l.Site = "a/b" }, "site"},
	} {
		bad := l
		tc.edit(&bad)
		if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), tc.field+":") {
			t.Errorf("%s: error %v, want one naming %s", tc.name, err, tc.field)
		}
	}
	if _, err := event.DecodeLocation([]byte(strings.Replace(string(b), `"track"`, `"imsi":"x","track"`, 1))); err == nil {
		t.Error("accepted an unknown field")
	}
}

func TestAck(t *testing.T) {
	a := event.Ack{Schema: 1, Site: "hmp1", Alert: "phone-in-cell-L2-S02-t7", By: "officer.jones", Note: "cell searched, handset seized", AckNS: 1}
	b, err := event.Encode(a)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := event.DecodeAck(b); err != nil || got != a {
		t.Errorf("ack round trip = %+v, %v; want %+v", got, err, a)
	}
	if got := event.AckTopic("hmp1"); got != "rfw/v1/hmp1/ack" {
		t.Errorf("AckTopic = %q", got)
	}
	for _, tc := range []struct {
		name  string
		edit  func(*event.Ack)
		field string
	}{
		{"wrong schema", func(a *event.Ack) { a.Schema = 2 }, "schema"},
		{"bad site", func(a *event.Ack) { a.Site = "a/b" }, "site"},
		{"no alert", func(a *event.Ack) { a.Alert = "" }, "alert"},
		{"long alert", func(a *event.Ack) { a.Alert = strings.Repeat("x", 129) }, "alert"},
		{"nobody", func(a *event.Ack) { a.By = "" }, "by"},
		{"control character in by", func(a *event.Ack) { a.By = "x\r\nadmin" }, "by"},
		{"long note", func(a *event.Ack) { a.Note = strings.Repeat("n", event.MaxAckNote+1) }, "note"},
		{"note not UTF-8", func(a *event.Ack) { a.Note = "\xff" }, "note"},
		{"no time", func(a *event.Ack) { a.AckNS = 0 }, "ack_ns"},
	} {
		bad := a
		tc.edit(&bad)
		if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), tc.field+":") {
			t.Errorf("%s: error %v, want one naming %s", tc.name, err, tc.field)
		}
	}
	// the note's bound counts characters, not bytes: 2000 "é" (4000
	// bytes) are a note the dashboard takes
	long := a
	long.Note = strings.Repeat("é", event.MaxAckNote)
	if err := long.Validate(); err != nil {
		t.Errorf("a note of %d characters in é: %v", event.MaxAckNote, err)
	}
	if long.Note += "é"; long.Validate() == nil {
		t.Errorf("a note of %d characters in é accepted", event.MaxAckNote+1)
	}
	if _, err := event.DecodeAck([]byte(strings.Replace(string(b), `"by"`, `"admin":true,"by"`, 1))); err == nil {
		t.Error("accepted an unknown field")
	}
}

// TestAlertTimes: an alert's times were not checked, and a negative
// active_ns, updated_ns, ack_ns or escalated_ns decoded (into the
// dashboard's live feed). Now the times of a state change (active_ns,
// updated_ns) must be positive, and those that may be absent (ack_ns: not
// acknowledged, escalated_ns: no reminder sent, last_fix_ns: no fix
// stored) 0 or positive; the error names the field.
func TestAlertTimes(t *testing.T) {
	valid := event.Alert{Schema: 1, ID: "a1", Site: "a", Rule: "unauthorised_uplink", Severity: event.SeverityCritical,
		State: event.AlertFiring, ActiveNS: 1767308400000000000, UpdatedNS: 1767308460000000000}
	for _, tc := range []struct {
		name  string
		edit  func(a *event.Alert)
		field string // named by the error; "" for none
	}{
		{"valid", func(*event.Alert) {}, ""},
		{"acknowledged, reminded, fixed", func(a *event.Alert) {
			a.AckBy, a.AckNS, a.Escalations, a.EscalatedNS, a.LastFixNS = "u", 1767308520000000000, 1, 1767308500000000000, 1767308450000000000
		}, ""},
		{"active_ns negative", func(a *event.Alert) { a.ActiveNS = -1 }, "active_ns"},
		{"active_ns zero", func(a *event.Alert) { a.ActiveNS = 0 }, "active_ns"},
		{"updated_ns negative", func(a *event.Alert) { a.UpdatedNS = -1767308460000000000 }, "updated_ns"},
		{"updated_ns zero", func(a *event.Alert) { a.UpdatedNS = 0 }, "updated_ns"},
		{"ack_ns negative", func(a *event.Alert) { a.AckBy, a.AckNS = "u", -5 }, "ack_ns"},
		{"escalated_ns negative", func(a *event.Alert) { a.Escalations, a.EscalatedNS = 1, -1 }, "escalated_ns"},
		{"last_fix_ns negative", func(a *event.Alert) { a.LastFixNS = -1 }, "last_fix_ns"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := valid
			tc.edit(&a)
			b, err := json.Marshal(a) // as a publisher that does not validate sends it
			if err != nil {
				t.Fatal(err)
			}
			_, err = event.DecodeAlert(b)
			switch {
			case tc.field == "" && err != nil:
				t.Errorf("DecodeAlert(%s) = %v, want no error", b, err)
			case tc.field != "" && (err == nil || !errors.Is(err, event.ErrSchema) || !strings.Contains(err.Error(), tc.field+":")):
				t.Errorf("DecodeAlert(%s) = %v, want a schema error naming %s", b, err, tc.field)
			}
		})
	}
}
