package mqttlink

import (
	"errors"
	"strings"
	"testing"
)

// TestSubackError: a SUBACK grants a subscription with a QoS (0, 1, 2);
// 0x80 is MQTT 3.1.1's refusal (the ACL), any other code one MQTT 3.1.1
// does not have, which AwaitGranted makes again.
func TestSubackError(t *testing.T) {
	for _, tc := range []struct {
		code       byte
		wantErr    bool
		wantOddErr bool
	}{
		{0x00, false, false}, {0x01, false, false}, {0x02, false, false},
		{0x80, true, false}, {0x91, true, true}, {0x87, true, true}, {0x03, true, true},
	} {
		err := SubackError(map[string]byte{"rfw/v1/hmp/ack": tc.code})
		var odd SubackCodeError
		if (err != nil) != tc.wantErr || errors.As(err, &odd) != tc.wantOddErr {
			t.Errorf("SUBACK 0x%02x: %v, want error %v (a code 3.1.1 lacks: %v)", tc.code, err, tc.wantErr, tc.wantOddErr)
		}
		if SubackAnswered(err) != tc.wantErr {
			t.Errorf("SUBACK 0x%02x: SubackAnswered(%v) = %v, want %v", tc.code, err, !tc.wantErr, tc.wantErr)
		}
	}
}

// TestSubackErrorNamesFilters: a SUBACK of several filters names those
// not granted, a code MQTT 3.1.1 lacks before a refusal (made again, it
// may be granted).
func TestSubackErrorNamesFilters(t *testing.T) {
	for _, tc := range []struct {
		codes map[string]byte
		want  string
		odd   bool
	}{
		{map[string]byte{"a": 0, "b": 1}, "", false},
		{map[string]byte{"a": 0, "c": 0x80, "b": 0x80}, "b, c: the broker refused", false},
		{map[string]byte{"a": 0x80, "b": 0x91, "c": 1}, "b: the broker did not grant the subscription: SUBACK code 0x91", true},
	} {
		err := SubackError(tc.codes)
		var odd SubackCodeError
		switch {
		case tc.want == "" && err != nil, tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("%v: %v, want %q...", tc.codes, err, tc.want)
		case errors.As(err, &odd) != tc.odd:
			t.Errorf("%v: %v, a code MQTT 3.1.1 lacks: %v, want %v", tc.codes, err, !tc.odd, tc.odd)
		case tc.want != "" && !tc.odd && !errors.Is(err, ErrSubackRefused):
			t.Errorf("%v: %v is not ErrSubackRefused", tc.codes, err)
		}
	}
}
