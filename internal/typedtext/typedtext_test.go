package typedtext

import (
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name  string
		s     string
		most  int
		lines bool
		want  string // "" for accepted, else a part of the error (^: its start)
	}{
		{"plain", "searched cell L1-S03, nothing found", 100, true, ""},
		{"lines and tabs in a note", "searched\n\tfound a phone", 100, true, ""},
		{"line break in a name", "Radio\n1", 100, false, "control character U+000A at character 6"},
		{"NUL", "\x00", 100, true, "control character U+0000 at character 1"},
		{"bell and escape", "ok\a\x1b[31m", 100, true, "U+0007 at character 3"},
		{"DEL", "a\x7f", 100, true, "U+007F"},
		{"C1 control", "a\u0085", 100, true, "U+0085"},
		{"carriage return", "a\rb", 100, true, "U+000D"},
		{"right-to-left override", "tablet\u202egnp.exe", 100, false, "bidirectional control U+202E at character 7"},
		{"isolate", "\u2066x\u2069", 100, true, "U+2066"},
		{"right-to-left text and its marks", "\u05e9\u05dc\u05d5\u05dd\u200f 1", 100, false, ""},
		{"emoji with a joiner", "\U0001F468\u200d\U0001F4BB", 100, false, ""},
		{"too long", strings.Repeat("é", 11), 10, true, "longer than 10 characters (11)"},
		{"the message alone", "\x00", 100, true, "^control character"},
		{"long enough in characters, not bytes", strings.Repeat("é", 10), 10, true, ""},
		{"not UTF-8", "a\xffb", 100, true, "not UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.s, tc.most, tc.lines)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want accepted", tc.s, err)
				}
				return
			}
			want, prefix := strings.CutPrefix(tc.want, "^")
			if err == nil || !strings.Contains(err.Error(), want) || prefix && !strings.HasPrefix(err.Error(), want) || !errors.Is(err, ErrText) {
				t.Fatalf("Check(%q) = %v, want an ErrText naming %q", tc.s, err, tc.want)
			}
		})
	}
}

func TestBlank(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"", true},
		{" \n\t\u00a0\u3000", true},
		{"\x00\a\x1b", true},
		{"\u200b\ufeff\u200d", true},
		{".", false},
		{"\u200b found", false},
		{"\u05e9", false},
		// Hangul fillers, the blank Braille pattern, a combining grapheme
		// joiner and a variation selector draw nothing.
		{"\u3164\u2800", true},
		{"\u115f\u1160\uffa0\u034f\ufe0f", true},
		{"\u2800ok", false},
		{"\U0001f44d\ufe0f", false},
		{"\u2801", false},
	} {
		if got := Blank(tc.s); got != tc.want {
			t.Errorf("Blank(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestNormal(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"  searched \r\n", "searched"},
		{"a\r\nb\rc\nd", "a\nb\nc\nd"},
		{"\t keep inner  spaces \n", "keep inner  spaces"},
	} {
		if got := Normal(tc.in); got != tc.want {
			t.Errorf("Normal(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
