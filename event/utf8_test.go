package event_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

// TestDecodeRefusesInvalidUTF8: a payload that is not valid UTF-8 is
// refused before it is decoded, whatever field holds the bad bytes. Until
// 2026-12-08 encoding/json turned them into U+FFFD: the ID "ab\xff\xfe"
// was stored as "ab\uFFFD\uFFFD", and a second detection "ab\xc0\xc1"
// decoded to the same ID and was dropped by fusion as a duplicate.
func TestDecodeRefusesInvalidUTF8(t *testing.T) {
	det := mustJSON(validDetection())
	const health = `{"schema":1,"site":"a","sensor":"s1","time_ns":1,"state":"ok","noise_floor_dbm":{"n1":-95},"version":"v"}`
	const ack = `{"schema":1,"site":"a","alert":"ar-17","by":"u","note":"seen","ack_ns":1}`
	tests := []struct {
		name    string
		payload string
		decode  func([]byte) error
		wantAt  string // "" when decoded
	}{
		{"valid, with é and 漢", strings.Replace(det, `"s1-42"`, `"s1-42-é漢"`, 1), decodeDetection, ""},
		{"id ab\\xff\\xfe", strings.Replace(det, `"s1-42"`, "\"ab\xff\xfe\"", 1), decodeDetection, "at byte 20"},
		{"id ab\\xc0\\xc1", strings.Replace(det, `"s1-42"`, "\"ab\xc0\xc1\"", 1), decodeDetection, "at byte 20"},
		{"band, truncated sequence", strings.Replace(det, `"n1"`, "\"n\xe6\x97\"", 1), decodeDetection, "not valid UTF-8"},
		{"surrogate encoded", strings.Replace(det, `"n1"`, "\"n\xed\xa0\x80\"", 1), decodeDetection, "not valid UTF-8"},
		{"health version", strings.Replace(health, `"v"`, "\"v\xff\"", 1), decodeHealth, "not valid UTF-8"},
		{"health band key", strings.Replace(health, `"n1"`, "\"n\xff\"", 1), decodeHealth, "not valid UTF-8"},
		{"ack note", strings.Replace(ack, `"seen"`, "\"se\xffen\"", 1), decodeAck, "not valid UTF-8"},
		{"outside any string", det[:len(det)-1] + " \xff}", decodeDetection, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.decode([]byte(tt.payload))
			if tt.wantAt == "" {
				if err != nil {
					t.Fatalf("got %v, want it decoded", err)
				}
				return
			}
			if !errors.Is(err, event.ErrSchema) || !strings.Contains(err.Error(), "not valid UTF-8") || !strings.Contains(err.Error(), tt.wantAt) {
				t.Errorf("got %v, want a schema error saying the payload is not valid UTF-8 (%s)", err, tt.wantAt)
			}
		})
	}
}

func decodeDetection(p []byte) error { _, err := event.DecodeDetection(p); return err }
func decodeHealth(p []byte) error    { _, err := event.DecodeHealth(p); return err }
func decodeAck(p []byte) error       { _, err := event.DecodeAck(p); return err }
