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

// TestEntryNotesLength: an entry's notes are at most MaxNotes characters,
// counted as characters (2000 "é" are 4000 bytes and fit), as the other
// notes of the product are; a note of a million characters was stored
// (201) until 2026-12-07.
func TestEntryNotesLength(t *testing.T) {
	if MaxNotes != 2000 {
		t.Errorf("MaxNotes = %d, want 2000, as an acknowledgement's note", MaxNotes)
	}
	for _, tc := range []struct {
		name    string
		given   string
		wantErr string // "" for accepted
	}{
		{"none", "", ""},
		{"2000 é", strings.Repeat("é", 2000), ""},
		{"2000 ASCII", strings.Repeat("a", 2000), ""},
		{"2001 é", strings.Repeat("é", 2001), "notes: longer than 2000 characters (2001)"},
		{"a million", strings.Repeat("a", 1_000_000), "notes: longer than 2000 characters (1000000)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := Entry{Name: "radio", Kind: KindStaffRadio, Signature: Signature{FreqMinHz: 380e6, FreqMaxHz: 400e6}, Notes: tc.given}
			checkValidate(t, e, tc.wantErr)
		})
	}
}

// TestEntryTextCharacters: an entry's name and notes are typed text
// (typedtext.Check): no control characters (in notes but line breaks and
// tabs; a name is one line) and no bidirectional overrides, which made a
// name read otherwise than it holds; a name that shows nothing (a
// zero-width space) is a missing one. Until 2026-12-07 the name
// "ctl\x00\a\x1b[31mRED\u202e" was stored and exported as it was.
func TestEntryTextCharacters(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entry   func(*Entry)
		wantErr string // "" for accepted
	}{
		{"NUL, bell, escape and an override in a name", func(e *Entry) { e.Name = "ctl\u0000\u0007\u001b[31mRED\u202e" }, "name: control character U+0000 at character 4"},
		{"an override in a name", func(e *Entry) { e.Name = "tablet\u202egnp.exe" }, "name: bidirectional control U+202E at character 7"},
		{"a line break inside a name", func(e *Entry) { e.Name = "radio\n7" }, "name: control character U+000A"},
		{"a zero-width space for a name", func(e *Entry) { e.Name = "\u200b" }, "name is missing"},
		{"spaces and a NUL for a name", func(e *Entry) { e.Name = " \x00 " }, "name is missing"},
		{"an escape in the notes", func(e *Entry) { e.Notes = "see \x1b[2Jhere" }, "notes: control character U+001B at character 5"},
		{"an isolate in the notes", func(e *Entry) { e.Notes = "a\u2066b" }, "notes: bidirectional control U+2066"},
		{"a right-to-left name with its mark", func(e *Entry) { e.Name = "\u05e9\u05dc\u05d5\u05dd\u200f 1" }, ""},
		{"notes over lines, with a tab", func(e *Entry) { e.Notes = "issued 2026-11-01\n\tcharger in the office" }, ""},
		{"notes with CRLF line breaks (stored as \\n)", func(e *Entry) { e.Notes = "issued\r\ncharger\rin the office" }, ""},
		{"a name with spaces round it (stored trimmed)", func(e *Entry) { e.Name = "  radio 7 " }, ""},
		{"a tab in a name (stored as a space)", func(e *Entry) { e.Name = "radio\t7" }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := Entry{Name: "radio", Kind: KindStaffRadio, Signature: Signature{FreqMinHz: 380e6, FreqMaxHz: 400e6}}
			tc.entry(&e)
			checkValidate(t, e, tc.wantErr)
		})
	}
}

// checkValidate checks that e.Validate accepts e (wantErr "") or refuses
// it with ErrInvalid saying wantErr.
func checkValidate(t *testing.T, e Entry, wantErr string) {
	t.Helper()
	err := e.Validate()
	if wantErr == "" {
		if err != nil {
			t.Fatalf("Validate() = %v, want nil", err)
		}
		return
	}
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), wantErr) {
		t.Errorf("Validate() = %v, want ErrInvalid saying %q", err, wantErr)
	}
}
