package fusion

import (
	"errors"
	"fmt"
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

// TestDeadLettersNameEachUnknownSensor: the dead letters of sensors the
// site model does not list are logged for each sensor when it first
// comes (all of them shared one run, and of four sensors taken out of the
// site file only the first was named), for the first maxUnknownSensors;
// the rest, which any client can invent by the million, share one run.
func TestDeadLettersNameEachUnknownSensor(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	unknown := func(s string) error {
		return &rejection{reason: "sensor", err: errors.New("sensor " + s + " not in the site model")}
	}
	t.Run("four old sensors", func(t *testing.T) {
		logs := new(syncbuf.Buffer)
		d := deadLetterLog{site: wing(t), log: slog.New(slog.NewTextHandler(logs, nil))}
		olds := []string{"old1", "old2", "old3", "old4"}
		for i := range 3 { // three starts' worth, within the minute
			for j, s := range olds {
				d.note("rfw/v1/hmp-test/sensor/"+s+"/health", unknown(s), t0.Add(time.Duration(i*len(olds)+j)*time.Second))
			}
		}
		lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
		if len(lines) != len(olds) {
			t.Fatalf("%d lines, want one for each of %v:\n%s", len(lines), olds, logs)
		}
		for i, s := range olds {
			if !strings.Contains(lines[i], "level=WARN") || !strings.Contains(lines[i], "topic=rfw/v1/hmp-test/sensor/"+s+"/health") {
				t.Errorf("line %d: %s\nwant a warning naming %s", i, lines[i], s)
			}
		}
	})
	t.Run("bounded", func(t *testing.T) {
		logs := new(syncbuf.Buffer)
		d := deadLetterLog{site: wing(t), log: slog.New(slog.NewTextHandler(logs, nil))}
		n := maxUnknownSensors + 1000
		for i := range n {
			s := fmt.Sprintf("x%d-%s", i, strings.Repeat("y", 50)) // IDs are at most 64 bytes
			d.note("rfw/v1/hmp-test/sensor/"+s+"/detection", unknown(s), t0.Add(time.Duration(i)*time.Millisecond))
		}
		if got := strings.Count(logs.String(), "\n"); got != maxUnknownSensors+1 {
			t.Errorf("%d lines for %d invented sensors, want %d: one each for the first %d, one for the rest", got, n, maxUnknownSensors+1, maxUnknownSensors)
		}
		if len(d.unknown) != maxUnknownSensors {
			t.Errorf("%d unknown sensors held, want at most %d", len(d.unknown), maxUnknownSensors)
		}
		// the site's own sensors are still logged apart
		logs = new(syncbuf.Buffer)
		d.log = slog.New(slog.NewTextHandler(logs, nil))
		d.note("rfw/v1/hmp-test/sensor/s1/detection", &rejection{reason: "time", err: errors.New("late")}, t0.Add(2*time.Second))
		if !strings.Contains(logs.String(), "sensor/s1/detection") {
			t.Errorf("a site sensor's dead letter after the bound was not logged: %q", logs.String())
		}
	})
}
