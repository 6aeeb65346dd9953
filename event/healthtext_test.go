package event_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

// TestHealthTextAndRanges: a health report's band keys are band names as
// a detection's band is (1..64 bytes, and printable), its reasons and
// version printable and bounded, and its numbers plausible; each is
// refused naming the field. Until 2026-12-08 fusion stored and the
// dashboard showed band keys "\u0000../x", an ANSI escape and 5000
// characters, a 60 KB reason of BEL/ESC/OSC sequences, a version of
// NULs and a clock_offset_s of 1e308. Its time is not judged here:
// fusion estimates each sensor's clock from these reports.
func TestHealthTextAndRanges(t *testing.T) {
	const base = `{"schema":1,"site":"hmp-north","sensor":"wing-a-1","time_ns":TIME,"state":"degraded",` +
		`"reasons":[REASON],"noise_floor_dbm":{BAND:FLOOR},"revisit_s":{"n1":REVISIT},"gain_db":{"n1":30},` +
		`"scan_bands_hz":{"n1":[1920e6,1980e6]},"dropped_samples":0,"overload_count":0,"usb_errors":0,"outbox_depth":0,` +
		`"outbox_dropped":0,"clock_offset_s":OFFSET,"version":VERSION}`
	good := map[string]string{"TIME": "1767308400000000000", "REASON": `"band n1: revisit 2s over max_revisit 1s (3 late revisits)"`,
		"BAND": `"LTE B3 UL"`, "FLOOR": "-95.5", "REVISIT": "1.25", "OFFSET": "0", "VERSION": `"v1.4.2-3-gabcdef0-dirty"`}
	payload := func(over map[string]string) []byte {
		p := base
		for k, v := range good {
			if o, ok := over[k]; ok {
				v = o
			}
			p = strings.Replace(p, k, v, 1)
		}
		return []byte(p)
	}
	tests := []struct {
		name      string
		over      map[string]string
		wantField string // "" when taken
	}{
		{"good", nil, ""},
		{"time 1, taken", map[string]string{"TIME": "1"}, ""},
		{"time max int64, taken", map[string]string{"TIME": "9223372036854775807"}, ""},
		{"reason of 1024 bytes", map[string]string{"REASON": `"` + strings.Repeat("é", 512) + `"`}, ""},
		{"version of 128 bytes", map[string]string{"VERSION": `"` + strings.Repeat("v", 128) + `"`}, ""},
		{"band of 64 bytes", map[string]string{"BAND": `"` + strings.Repeat("b", 64) + `"`}, ""},
		{"noise floor -360 dBm (simulated)", map[string]string{"FLOOR": "-360"}, ""},
		{"clock offset 1970 (-1.77e9 s)", map[string]string{"OFFSET": "-1.77e9"}, ""},
		{"revisit since 1970 (1.77e9 s, the agent's before a revisit)", map[string]string{"REVISIT": "1.7723664e9"}, ""},
		{"band NUL and dots", map[string]string{"BAND": `"\u0000../x"`}, "noise_floor_dbm: band"},
		{"band ANSI escape", map[string]string{"BAND": `"\u001b[31mred"`}, "noise_floor_dbm: band"},
		{"band 5000 characters", map[string]string{"BAND": `"` + strings.Repeat("b", 5000) + `"`}, "noise_floor_dbm: band"},
		{"band empty", map[string]string{"BAND": `""`}, "noise_floor_dbm: band"},
		{"reason 60 KB of BEL ESC OSC", map[string]string{"REASON": `"` + strings.Repeat(`\u0007\u001b]0;x\u0007`, 2700) + `"`}, "reasons[0]"},
		{"reason with ESC", map[string]string{"REASON": `"ok\u001b[2J"`}, "reasons[0]"},
		{"reason of 1025 bytes", map[string]string{"REASON": `"` + strings.Repeat("r", 1025) + `"`}, "reasons[0]"},
		{"reason with C1 CSI", map[string]string{"REASON": `"x\u009b2J"`}, "reasons[0]"},
		{"version of NULs", map[string]string{"VERSION": `"\u0000\u0000\u0000"`}, "version"},
		{"version of 129 bytes", map[string]string{"VERSION": `"` + strings.Repeat("v", 129) + `"`}, "version"},
		{"clock offset 1e308", map[string]string{"OFFSET": "1e308"}, "clock_offset_s"},
		{"clock offset -1e11", map[string]string{"OFFSET": "-1e11"}, "clock_offset_s"},
		{"noise floor 1e308", map[string]string{"FLOOR": "1e308"}, "noise_floor_dbm"},
		{"noise floor -1e308", map[string]string{"FLOOR": "-1e308"}, "noise_floor_dbm"},
		{"revisit 1e308", map[string]string{"REVISIT": "1e308"}, "revisit_s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := event.DecodeHealth(payload(tt.over))
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("got %v, want it taken", err)
				}
				return
			}
			if !errors.Is(err, event.ErrSchema) || !strings.Contains(err.Error(), tt.wantField) {
				t.Errorf("got %v, want a schema error naming %s", err, tt.wantField)
			}
		})
	}
}

// TestClipText: what the agent sends as a reason or a version decodes.
func TestClipText(t *testing.T) {
	tests := []struct {
		in       string
		maxBytes int
		want     string
	}{
		{"plain", 64, "plain"},
		{"open /d: no space\nwrite /e: io", 64, "open /d: no space write /e: io"},
		{"bell\a\x1b[2J", 64, "bell  [2J"},
		{"bad\xffutf8", 64, "badutf8"},
		{strings.Repeat("é", 10), 7, strings.Repeat("é", 3)}, // cut at a character
	}
	for _, tt := range tests {
		if got := event.ClipText(tt.in, tt.maxBytes); got != tt.want {
			t.Errorf("ClipText(%q, %d) = %q, want %q", tt.in, tt.maxBytes, got, tt.want)
		}
	}
}
