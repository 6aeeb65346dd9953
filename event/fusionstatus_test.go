package event_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

// TestDecodeFusionStatus: fusion's liveness decodes strictly, as the other
// payloads: online with its time (and a printable problem, online
// only, and the name of its time zone), offline stopped with its time, offline lost (the last will)
// without one; anything else is a schema error naming
// the field, and a key given twice or bytes that are not UTF-8 are refused.
func TestDecodeFusionStatus(t *testing.T) {
	for _, tc := range []struct {
		name, payload string
		want          string // "" when valid: the field the error names
	}{
		{"online", `{"schema":1,"site":"hmp","status":"online","time_ns":5}`, ""},
		{"online, deaf", `{"schema":1,"site":"hmp","status":"online","problem":"subscription refused: rfw/v1/hmp/sensor/+/+: SUBACK 0x80","time_ns":5}`, ""},
		{"offline with a problem", `{"schema":1,"site":"hmp","status":"offline","reason":"stopped","problem":"subscription refused: x","time_ns":5}`, "problem"},
		{"problem not printable", `{"schema":1,"site":"hmp","status":"online","problem":"a\nb","time_ns":5}`, "problem"},
		{"problem too long", `{"schema":1,"site":"hmp","status":"online","problem":"` + strings.Repeat("x", event.MaxProblemLen+1) + `","time_ns":5}`, "problem"},
		{"online, its zone", `{"schema":1,"site":"hmp","status":"online","time_zone":"Europe/London","time_ns":5}`, ""},
		{"zone with a space", `{"schema":1,"site":"hmp","status":"online","time_zone":"Europe/New York","time_ns":5}`, "time_zone"},
		{"zone not printable", `{"schema":1,"site":"hmp","status":"online","time_zone":"UTC\u0000","time_ns":5}`, "time_zone"},
		{"zone too long", `{"schema":1,"site":"hmp","status":"online","time_zone":"` + strings.Repeat("x", event.MaxTimeZoneLen+1) + `","time_ns":5}`, "time_zone"},
		{"stopped", `{"schema":1,"site":"hmp","status":"offline","reason":"stopped","time_ns":5}`, ""},
		{"last will", `{"schema":1,"site":"hmp","status":"offline","reason":"lost","time_ns":0}`, ""},
		{"plain text, as a sensor's", `offline`, "invalid character"},
		{"other status", `{"schema":1,"site":"hmp","status":"down","time_ns":5}`, "status"},
		{"offline without a reason", `{"schema":1,"site":"hmp","status":"offline","time_ns":5}`, "reason"},
		{"online with a reason", `{"schema":1,"site":"hmp","status":"online","reason":"stopped","time_ns":5}`, "reason"},
		{"unknown reason", `{"schema":1,"site":"hmp","status":"offline","reason":"tired","time_ns":5}`, "reason"},
		{"will with a time", `{"schema":1,"site":"hmp","status":"offline","reason":"lost","time_ns":5}`, "time_ns"},
		{"online without a time", `{"schema":1,"site":"hmp","status":"online","time_ns":0}`, "time_ns"},
		{"bad site", `{"schema":1,"site":"h/m","status":"online","time_ns":5}`, "site"},
		{"schema 2", `{"schema":2,"site":"hmp","status":"online","time_ns":5}`, "schema"},
		{"key twice", `{"schema":1,"site":"hmp","status":"offline","status":"online","time_ns":5}`, "appears twice"},
		{"unknown field", `{"schema":1,"site":"hmp","status":"online","time_ns":5,"x":1}`, "unknown field"},
		{"not UTF-8", "{\"schema\":1,\"site\":\"hmp\",\"status\":\"online\xff\",\"time_ns\":5}", "payload is not valid UTF-8"},
	} {
		s, err := event.DecodeFusionStatus([]byte(tc.payload))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v, want it valid", tc.name, err)
		case tc.want == "" && s.Site != "hmp":
			t.Errorf("%s: decoded %+v", tc.name, s)
		case tc.want != "" && (!errors.Is(err, event.ErrSchema) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want a schema error naming %s", tc.name, err, tc.want)
		}
	}
	if got := event.FusionStatusTopic("hmp"); got != "rfw/v1/hmp/fusion/status" {
		t.Errorf("FusionStatusTopic = %q", got)
	}
}

// FuzzDecodeFusionStatus: any bytes decode into a valid fusion status that
// re-encodes to itself, or give an error.
func FuzzDecodeFusionStatus(f *testing.F) {
	f.Add([]byte(`{"schema":1,"site":"hmp","status":"online","time_ns":5}`))
	f.Add([]byte(`{"schema":1,"site":"hmp","status":"offline","reason":"lost","time_ns":0}`))
	f.Add([]byte(`{"schema":1,"site":"hmp","status":"offline","reason":"stopped","time_ns":-1}`))
	f.Add([]byte(`{"schema":1,"site":"hmp","status":"online","problem":"subscription refused: a","time_ns":5}`))
	f.Add([]byte(`{"schema":1,"site":"hmp","status":"online","time_zone":"Europe/London","time_ns":5}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := event.DecodeFusionStatus(data)
		if err != nil {
			return
		}
		b, err := event.Encode(s)
		if err != nil {
			t.Fatalf("decoded status does not re-encode: %v", err)
		}
		if s2, err := event.DecodeFusionStatus(b); err != nil || s2 != s {
			t.Fatalf("re-decode: %+v, %v; want %+v", s2, err, s)
		}
	})
}
