package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestSensorSilence: connected with no sensor message for after is
// silence, logged when it starts and then once a minute while it lasts;
// fusion's own commands to a sensor do not end it, a sensor's message
// does, logged at warning level too; not connected is not silence
// (/healthz says so already). Each start and end of a silence is told
// (changed), for fusion to announce itself deaf, then online again.
func TestSensorSilence(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	now, conn := t0, t0
	var logs syncbuf.Buffer
	changes := 0
	s := &sensorSilence{after: 2 * time.Minute, connectedAt: func() time.Time { return conn }, now: func() time.Time { return now },
		log: slog.New(slog.NewTextHandler(&logs, nil)), changed: func() { changes++ }}
	wasSilent := false
	step := func(at time.Duration, wantSilent bool, wantWarnings int) {
		t.Helper()
		now = t0.Add(at)
		before := changes
		s.check()
		if got := s.reason() != ""; got != wantSilent {
			t.Errorf("at %v: silent %v, want %v (%q)", at, got, wantSilent, s.reason())
		}
		if n := strings.Count(logs.String(), `level=WARN msg="fusion: connected to the MQTT broker but no sensor message`); n != wantWarnings {
			t.Errorf("at %v: %d warnings, want %d:\n%s", at, n, wantWarnings, logs.String())
		}
		if began := wantSilent && !wasSilent; (changes > before) != began {
			t.Errorf("at %v: changed called %d times, want it called once when a silence begins (%v)", at, changes-before, began)
		}
		wasSilent = wantSilent
	}
	step(time.Minute, false, 0)
	step(2*time.Minute, true, 1)
	if r := s.reason(); !strings.Contains(r, "no sensor message for 2m0s") || !strings.Contains(r, "ACL") {
		t.Errorf("reason %q", r)
	}
	step(2*time.Minute+30*time.Second, true, 1) // logged once a minute
	s.heard(event.SensorTopic("hmp", "s1", event.KindCmd))
	step(3*time.Minute, true, 2)
	ended := changes
	s.heard(event.SensorTopic("hmp", "s1", event.KindHealth))
	if changes != ended+1 {
		t.Errorf("the end of the silence: changed called %d times, want once", changes-ended)
	}
	wasSilent = false
	step(3*time.Minute+time.Second, false, 2)
	if !strings.Contains(logs.String(), `level=WARN msg="fusion: sensor messages arrive again"`) {
		t.Errorf("the end of the silence is not logged at warning level, as its start:\n%s", logs.String())
	}
	step(5*time.Minute, true, 3) // two minutes after the last message, again at once
	conn = time.Time{}           // connection lost
	step(6*time.Minute, false, 3)
	conn = t0.Add(6 * time.Minute)
	step(7*time.Minute, false, 3)
	step(8*time.Minute, true, 4)
	s.after = 0 // --sensor-silence 0
	step(20*time.Minute, false, 4)
}
