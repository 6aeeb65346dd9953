package config

import (
	"testing"
)

// TestConfigBounds checks node.yaml values on each side of a bound
// Validate sets, where TestConfigSweep and the testdata files test only
// values far out: an outbox quota under two segments (the outbox drops
// its oldest segment to make room, and with one segment it has none to
// drop), and more clipping blocks than the 8 the AGC looks back on (it would never
// step down).
func TestConfigBounds(t *testing.T) {
	for _, tc := range []struct {
		name       string
		key, value string // top-level key of sweepBase and its new value
		wantKey    string // "": the config loads
		wantMsg    string
	}{
		{"quota twice the segment", "outbox", `{dir: /tmp/x, segment_bytes: 4096, quota_bytes: 8192}`, "", ""},
		{"quota a byte under twice the segment", "outbox", `{dir: /tmp/x, segment_bytes: 4096, quota_bytes: 8191}`, "outbox.quota_bytes", "at least twice segment_bytes"},
		{"quota one segment", "outbox", `{dir: /tmp/x, segment_bytes: 8192, quota_bytes: 8192}`, "outbox.quota_bytes", "at least twice segment_bytes"},
		{"segment 4096", "outbox", `{dir: /tmp/x, segment_bytes: 4096, quota_bytes: 1048576}`, "", ""},
		{"segment under 4096", "outbox", `{dir: /tmp/x, segment_bytes: 4095, quota_bytes: 1048576}`, "outbox.segment_bytes", "below 4096"},
		{"clip blocks 8", "agc", `{clip_blocks: 8}`, "", ""},
		{"clip blocks 9", "agc", `{clip_blocks: 9}`, "agc.clip_blocks", "not in 1..8"},
		{"clip blocks 0", "agc", `{clip_blocks: 0}`, "agc.clip_blocks", "not in 1..8"},
	} {
		t.Run(tc.name, func(t *testing.T) { checkSweepCase(t, tc.key, tc.value, tc.wantKey, tc.wantMsg) })
	}
}
