package registry

import (
	"errors"
	"strings"
	"testing"
)

// TestEntryNameCharacters: an entry's name is 1..200 characters, counted
// as characters (a 150-character Cyrillic name is 300 bytes and was
// refused as "must be 1..200 characters"), and UTF-8 (a CSV import takes
// whatever bytes the file holds).
func TestEntryNameCharacters(t *testing.T) {
	for _, tc := range []struct {
		name    string
		given   string
		wantErr bool
	}{
		{"150 Cyrillic", strings.Repeat("ж", 150), false},
		{"200 Cyrillic", strings.Repeat("ж", 200), false},
		{"200 ASCII", strings.Repeat("a", 200), false},
		{"201 Cyrillic", strings.Repeat("ж", 201), true},
		{"201 ASCII", strings.Repeat("a", 201), true},
		{"blank", " ", true},
		{"not UTF-8", "Kiosk \xff", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := Entry{Name: tc.given, Kind: KindStaffRadio, Signature: Signature{FreqMinHz: 380e6, FreqMaxHz: 400e6}}
			err := e.Validate()
			if tc.wantErr != (err != nil) || err != nil && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "name")) {
				t.Errorf("Validate() = %v, want an error naming the name: %v", err, tc.wantErr)
			}
		})
	}
}
