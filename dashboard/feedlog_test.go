package dashboard

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestBadFeedMessagesWarnOncePerMinute: the live feed's bad messages are
// logged at warn for the first of each kind from each sensor of the site
// model (or from anywhere, for a sensor it does not keep), then at most
// once a minute with how many were not; every one is counted. Until
// 2026-12-07 each was logged at warn, and a publisher sending junk on a
// topic the dashboard reads filled the journal.
func TestBadFeedMessagesWarnOncePerMinute(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	long := strings.Repeat("x", 5000)
	steps := []struct {
		name        string
		at          time.Duration
		topic, body string
		wantWarn    bool
		wantSkipped string // refused_not_logged in the warning
	}{
		{"first junk status of s1", 0, "rfw/v1/hmp1/sensor/s1/status", "maybe", true, "0"},
		{"again", time.Second, "rfw/v1/hmp1/sensor/s1/status", "maybe", false, ""},
		{"and again", 2 * time.Second, "rfw/v1/hmp1/sensor/s1/status", "perhaps", false, ""},
		{"another sensor", 3 * time.Second, "rfw/v1/hmp1/sensor/s2/status", "maybe", true, "0"},
		{"another kind", 4 * time.Second, "rfw/v1/hmp1/sensor/s1/health", "{", true, "0"},
		{"a bad alert", 5 * time.Second, "rfw/v1/hmp1/alert", `{"schema":1,`, true, "0"},
		{"another bad alert", 6 * time.Second, "rfw/v1/hmp1/alert", `{}`, false, ""},
		{"a bad fusion status", 7 * time.Second, "rfw/v1/hmp1/fusion/status", `{}`, true, "0"},
		{"a sensor not in the site model", 8 * time.Second, "rfw/v1/hmp1/sensor/zz1/status", "maybe", true, "0"},
		{"made-up sensors share its run", 9 * time.Second, "rfw/v1/hmp1/sensor/zz2/status", "maybe", false, ""},
		{"a minute after s1's first", time.Minute, "rfw/v1/hmp1/sensor/s1/status", "maybe", true, "2"},
		{"a long topic", 61 * time.Second, "rfw/v1/hmp1/sensor/" + long + "/health", "{}", true, "0"},
		{"a long topic again", 62 * time.Second, "rfw/v1/hmp1/sensor/" + long + "y/health", "{}", false, ""},
	}
	h := NewHub(4)
	h.SetSite(testSite())
	now := t0
	h.now = func() time.Time { return now }
	var buf bytes.Buffer
	h.SetLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})))
	for i, st := range steps {
		now = t0.Add(st.at)
		buf.Reset()
		if err := h.HandleMQTT(st.topic, []byte(st.body)); err == nil {
			t.Fatalf("%s: HandleMQTT took the message", st.name)
		}
		line := buf.String()
		switch {
		case !st.wantWarn && line != "":
			t.Errorf("%s: logged %q, want nothing", st.name, line)
		case st.wantWarn && strings.Count(line, "\n") != 1:
			t.Errorf("%s: logged %q, want one warning", st.name, line)
		case st.wantWarn && !strings.Contains(line, "live feed: bad message refused") || st.wantWarn && !strings.Contains(line, "refused_not_logged="+st.wantSkipped):
			t.Errorf("%s: logged %q, want the bad message with refused_not_logged=%s", st.name, line, st.wantSkipped)
		case len(line) > 1024:
			t.Errorf("%s: logged %d bytes, want at most 1024: the topic quoted whole", st.name, len(line))
		}
		if got, want := h.BadFeedMessages(), int64(i+1); got != want {
			t.Errorf("%s: BadFeedMessages %d, want %d", st.name, got, want)
		}
	}
}
