package typedtext

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrText is what every refusal of Check is (errors.Is); its message is
// the refusal's alone, for the caller to put after the field's name.
var ErrText = errors.New("text refused")

// refusal is one refusal of Check.
type refusal struct{ msg string }

func (r refusal) Error() string        { return r.msg }
func (r refusal) Is(target error) bool { return target == ErrText }

func refuse(format string, args ...any) error { return refusal{fmt.Sprintf(format, args...)} }

// Check refuses s when it is not UTF-8, holds more than most characters
// (Unicode code points, not bytes: 1500 "é" are 1500 characters), or
// holds a character typed text may not: a control character (Unicode
// Cc) other than a line break or tab when lines is true (none at all
// when it is false: a name is one line), or a bidirectional embedding,
// override or isolate (U+202A–U+202E, U+2066–U+2069). The marks
// U+200E/U+200F, joiners and other format characters stay: right-to-left
// scripts and emoji need them. The error names the character and its
// place (1-based, in characters).
func Check(s string, most int, lines bool) error {
	if !utf8.ValidString(s) {
		return refuse("not UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > most {
		return refuse("longer than %d characters (%d)", most, n)
	}
	i := 0
	for _, r := range s {
		i++
		switch {
		case lines && (r == '\n' || r == '\t'):
		case unicode.Is(unicode.Cc, r):
			return refuse("control character %U at character %d", r, i)
		case isBidiControl(r):
			return refuse("bidirectional control %U at character %d: it makes the text read differently from what it holds", r, i)
		}
	}
	return nil
}

// isBidiControl reports whether r is a bidirectional embedding, override
// or isolate (Unicode TR9 explicit formatting; not the marks LRM, RLM
// and ALM, which plain right-to-left text uses).
func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// Blank reports whether s shows nothing: it holds only spaces (Unicode
// White_Space), control characters, format characters (Cf: a zero-width
// space, a joiner, a byte-order mark), the other characters Unicode says
// to draw as nothing (Default_Ignorable_Code_Point: the Hangul fillers
// U+115F, U+1160, U+3164 and U+FFA0, variation selectors) and the blank
// Braille pattern U+2800. A required note or reason that is blank is
// none. Until 2026-12-07 a critical alert took "\u3164\u2800" as the
// note that says what was done (TestBlank).
func Blank(s string) bool {
	for _, r := range s {
		if !invisible(r) {
			return false
		}
	}
	return true
}

// invisible reports whether r draws nothing (Blank).
func invisible(r rune) bool {
	return unicode.IsSpace(r) || unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) ||
		unicode.Is(unicode.Variation_Selector, r) || r == '\u2800'
}

// Normal returns typed text as it is stored: its line breaks made "\n"
// (a CSV or form round trip turns "\n" into "\r\n"; stored as typed, the
// same note read back differed from itself) and the spaces and line
// breaks round it trimmed.
func Normal(s string) string {
	if strings.ContainsRune(s, '\r') {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	return strings.TrimSpace(s)
}
