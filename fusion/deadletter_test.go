package fusion

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestDeadLettersWarnOncePerMinute: dead letters are logged at warn
// (they were only at debug, -v: a sensor with a wrong clock lost every
// detection and only a metric said so), each reason from each sensor
// when it first comes, then once a minute with how many were not; a
// topic of thousands of characters is quoted short.
func TestDeadLettersWarnOncePerMinute(t *testing.T) {
	logs := new(syncbuf.Buffer)
	d := deadLetterLog{site: wing(t), log: slog.New(slog.NewTextHandler(logs, nil))}
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	late := &rejection{reason: "time", err: errors.New("time_ns 1 is 56 years before fusion's clock")}
	for i := range 100 {
		d.note("rfw/v1/hmp-test/sensor/s1/detection", late, t0.Add(time.Duration(i)*100*time.Millisecond))
	}
	d.note("rfw/v1/hmp-test/sensor/s2/detection", late, t0.Add(11*time.Second))
	d.note("rfw/v1/hmp-test/sensor/"+strings.Repeat("x", 5000)+"/detection", &rejection{reason: "sensor", err: errors.New("not in the site model")}, t0.Add(12*time.Second))
	d.note("rfw/v1/hmp-test/sensor/s1/detection", late, t0.Add(70*time.Second))
	d.note("rfw/v1/hmp-test/sensor/s1/detection", errors.New("not a dead letter"), t0.Add(71*time.Second))
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	want := []string{
		"reason=time topic=rfw/v1/hmp-test/sensor/s1/detection",
		"reason=time topic=rfw/v1/hmp-test/sensor/s2/detection",
		"reason=sensor topic=rfw/v1/hmp-test/sensor/xxx",
		"reason=time topic=rfw/v1/hmp-test/sensor/s1/detection",
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), logs)
	}
	for i, w := range want {
		if !strings.Contains(lines[i], "level=WARN") || !strings.Contains(lines[i], w) {
			t.Errorf("line %d: %s\nwant a warning with %q", i, lines[i], w)
		}
		if len(lines[i]) > 512 {
			t.Errorf("line %d is %d bytes: the topic quoted whole", i, len(lines[i]))
		}
	}
	if !strings.Contains(lines[3], "refused_not_logged=99") {
		t.Errorf("the minute's line %s: want refused_not_logged=99", lines[3])
	}
}
