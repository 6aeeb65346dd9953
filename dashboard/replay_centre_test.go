package dashboard

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/sensor/replay"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmftest"
)

// TestReplayNoCentreNote: a replay of a recording without a centre
// frequency (no core:frequency: baseband, or a raw upload without
// center_hz) says so in its notes, in the words `rfwarden scan` warns
// with; one tuned to a frequency does not. Until 2026-12-07 only scan
// said it, and the dashboard showed offsets as if they were frequencies.
func TestReplayNoCentreNote(t *testing.T) {
	dir := t.TempDir()
	iq := make([]complex64, 1<<16)
	r := newTestReplayer(t, dir)
	for _, tc := range []struct {
		name     string
		centerHz float64
		want     string
	}{
		{"baseband", 0, "This recording has " + replay.NoCentreWarning("no core:frequency in captures[0]") + "."},
		{"tuned", 915e6, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			meta := sigmftest.WriteRecording(t, filepath.Join(dir, tc.name), 1e6, tc.centerHz, iq)
			res, err := r.Replay(context.Background(), meta, ReplayOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := hasNote(res, "no centre frequency")
			if got != (tc.want != "") || (got && !hasNote(res, tc.want)) {
				t.Errorf("notes %q; want %q", res.Notes, tc.want)
			}
			if tc.want != "" && !strings.Contains(tc.want, "nothing can be classified without a band") {
				t.Errorf("note %q does not say what it means", tc.want)
			}
		})
	}
}
