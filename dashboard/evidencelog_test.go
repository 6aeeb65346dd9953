package dashboard

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestEvidenceRefusalsWarnOncePerMinute: an evidence snippet refused was
// logged at warning each time (cmd/rfwarden's feed handler), so a sensor
// whose snippets a folder refused, or a publisher sending junk on the
// evidence topic, filled the journal. The saver logs the first of each
// reason at warning, then at most once a minute with how many were not,
// every one at debug, and still counts each.
func TestEvidenceRefusalsWarnOncePerMinute(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	now := t0
	var logs bytes.Buffer
	s := NewEvidenceSaver(t.TempDir(), nil)
	s.SetLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	s.now = func() time.Time { return now }
	steps := []struct {
		name, topic string
		payload     []byte
		at          time.Duration
		wantWarn    string // "" none; else a substring of the one warning
	}{
		{"junk", "rfw/v1/hmp/evidence/s1", []byte("junk"), 0, "refused_not_logged=0"},
		{"junk again", "rfw/v1/hmp/evidence/s1", []byte("more junk"), time.Second, ""},
		{"junk from another sensor", "rfw/v1/hmp/evidence/s2", []byte("junk"), 2 * time.Second, ""},
		{"another reason", "rfw/v1/hmp/nothing", []byte("junk"), 3 * time.Second, "reason=topic"},
		{"a minute on", "rfw/v1/hmp/evidence/s1", []byte("junk"), time.Minute, "refused_not_logged=2"},
	}
	for _, st := range steps {
		now = t0.Add(st.at)
		logs.Reset()
		if _, err := s.Save(st.topic, st.payload); err == nil {
			t.Fatalf("%s: saved", st.name)
		}
		lines := strings.Count(logs.String(), "\n")
		switch {
		case st.wantWarn == "" && lines != 0:
			t.Errorf("%s: logged %q, want nothing at warning", st.name, logs.String())
		case st.wantWarn != "" && (lines != 1 || !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), st.wantWarn)):
			t.Errorf("%s: logged %q, want one warning with %q", st.name, logs.String(), st.wantWarn)
		}
	}
	var total float64
	for _, r := range []string{"invalid", "name", "topic", "size", "sensor"} {
		total += testutil.ToFloat64(s.refused.WithLabelValues(r))
	}
	if total != float64(len(steps)) {
		t.Errorf("refusals counted %v, want %d", total, len(steps))
	}
}
