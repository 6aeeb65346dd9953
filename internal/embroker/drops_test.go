package embroker

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestDropHookWarnsOnceAMinute: the first drop is logged at once, more
// within the minute only counted, and the next warning says how many
// were dropped since the last; the counter has every one, by reason.
func TestDropHookWarnsOnceAMinute(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	type tick struct {
		at               time.Duration
		inflight, buffer int64 // mochi's totals
		wantLog          string
	}
	for _, tc := range []struct {
		name         string
		ticks        []tick
		wantInflight float64
		wantBuffer   float64
	}{
		{"no drops, no warning", []tick{{0, 0, 0, ""}, {time.Minute, 0, 0, ""}}, 0, 0},
		{"first drop at once, then once a minute with the count since", []tick{
			{0, 0, 0, ""},
			{time.Second, 3, 0, "dropped=3 "},
			{2 * time.Second, 10, 1, ""},
			{30 * time.Second, 10, 1, ""},
			{61 * time.Second, 20, 2, "dropped=19 "}, // 7+1 at 2 s, 10+1 at 61 s
			{62 * time.Second, 20, 2, ""},
		}, 20, 2},
		{"a broker started with drops already counted is not a drop", []tick{{0, 0, 0, ""}, {time.Second, 0, 5, "dropped=5 "}}, 0, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logged syncbuf.Buffer
			reg := prometheus.NewRegistry()
			h, err := newDropHook(Options{Logger: slog.New(slog.NewTextHandler(&logged, nil)), Registerer: reg})
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range tc.ticks {
				before := len(logged.String())
				h.observe(k.inflight, k.buffer, t0.Add(k.at))
				line := logged.String()[before:]
				switch {
				case k.wantLog == "" && line != "":
					t.Errorf("at %v: logged %q, want nothing", k.at, line)
				case k.wantLog != "" && !strings.Contains(line, k.wantLog):
					t.Errorf("at %v: logged %q, want a warning with %q", k.at, line, k.wantLog)
				case k.wantLog != "" && !strings.Contains(line, "level=WARN"):
					t.Errorf("at %v: logged %q, want a warning", k.at, line)
				}
			}
			if got := testutil.ToFloat64(h.dropped.WithLabelValues(reasonInflightQuota)); got != tc.wantInflight {
				t.Errorf("inflight_quota counter %v, want %v", got, tc.wantInflight)
			}
			if got := testutil.ToFloat64(h.dropped.WithLabelValues(reasonClientBuffer)); got != tc.wantBuffer {
				t.Errorf("client_buffer counter %v, want %v", got, tc.wantBuffer)
			}
		})
	}
}
