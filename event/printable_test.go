package event_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

// TestTextFieldsPrintable: a detection's and an alert's band, an
// acknowledgement's alert ID and its note (but its line breaks and
// tabs) hold no control character: a band of "\x1b[2J" or an ack of
// alert "\x00" was taken, and went into the store and the logs as sent.
func TestTextFieldsPrintable(t *testing.T) {
	ack := event.Ack{Schema: event.SchemaVersion, Site: "a", Alert: "ar-17", By: "u", AckNS: 1}
	for _, tc := range []struct {
		name string
		v    event.Validator
		want string // "" when valid
	}{
		{"detection band", func() event.Validator { d := validDetection(); d.Band = "lte-b3\x1b[2J"; return d }(), "band"},
		{"detection band, plain", func() event.Validator { d := validDetection(); d.Band = "lte-b3"; return d }(), ""},
		{"ack alert", func() event.Validator { a := ack; a.Alert = "ar\x00"; return a }(), "alert"},
		{"ack note with an escape", func() event.Validator { a := ack; a.Note = "searched\x1b[31m"; return a }(), "note"},
		{"ack note over lines and tabs", func() event.Validator { a := ack; a.Note = "searched\n\tnothing"; return a }(), ""},
	} {
		err := tc.v.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v, want it valid", tc.name, err)
		case tc.want != "" && (!errors.Is(err, event.ErrSchema) || !strings.HasPrefix(strings.TrimPrefix(err.Error(), event.ErrSchema.Error()+": "), tc.want)):
			t.Errorf("%s: %v, want a schema error naming %s", tc.name, err, tc.want)
		}
	}
}
