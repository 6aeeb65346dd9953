package event_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

// TestDecodeRefusesDuplicateKeys: a key given twice in one object of a
// payload, at any depth, is refused naming the key and where it is, even
// when both values are the same or valid. Until 2026-12-08 the last value
// was decoded: {"id":"dupkey",...,"id":"dupkey2"} was stored as dupkey2,
// and a repeated "sensor" was judged on the second. One key in several
// objects (a band in noise_floor_dbm and revisit_s) is taken.
func TestDecodeRefusesDuplicateKeys(t *testing.T) {
	det := mustJSON(validDetection())
	const health = `{"schema":1,"site":"a","sensor":"s1","time_ns":1,"state":"ok","noise_floor_dbm":{"n1":-95,"n3":-90},"revisit_s":{"n1":1},"version":"v"}`
	const ack = `{"schema":1,"site":"a","alert":"ar-17","by":"u","ack_ns":1}`
	tests := []struct {
		name     string
		payload  string
		decode   func([]byte) error
		wantPath string // "" when decoded
	}{
		{"none", det, decodeDetection, ""},
		{"one band in two maps", health, decodeHealth, ""},
		{"id, last valid", strings.Replace(det, `"id":"s1-42"`, `"id":"dupkey","id":"dupkey2"`, 1), decodeDetection, "id"},
		{"id, same value", strings.Replace(det, `"id":"s1-42"`, `"id":"s1-42","id":"s1-42"`, 1), decodeDetection, "id"},
		{"sensor, at the end", strings.TrimSuffix(det, "}") + `,"sensor":"s2"}`, decodeDetection, "sensor"},
		{"escaped alike", strings.Replace(det, `"id":"s1-42"`, `"id":"s1-42","i\u0064":"x"`, 1), decodeDetection, "id"},
		{"health band", strings.Replace(health, `"n3":-90`, `"n1":-90`, 1), decodeHealth, "noise_floor_dbm.n1"},
		{"health state", strings.Replace(health, `"state":"ok"`, `"state":"jammed","state":"ok"`, 1), decodeHealth, "state"},
		{"ack by", strings.Replace(ack, `"by":"u"`, `"by":"u","by":"admin"`, 1), decodeAck, "by"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.decode([]byte(tt.payload))
			if tt.wantPath == "" {
				if err != nil {
					t.Fatalf("got %v, want it decoded", err)
				}
				return
			}
			want := tt.wantPath + ": the key appears twice in one object"
			if !errors.Is(err, event.ErrSchema) || !strings.Contains(err.Error(), want) {
				t.Errorf("got %v, want a schema error containing %q", err, want)
			}
		})
	}
}
