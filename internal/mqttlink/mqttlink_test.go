package mqttlink

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// TestLinkRateLimitsPerError: a scenario of failed attempts at given
// seconds, and how many warnings each error gets: the first of each
// distinct error at once, the same again only after Every, and all anew
// after a connection.
func TestLinkRateLimitsPerError(t *testing.T) {
	refused := errors.New("network Error : dial tcp 127.0.0.1:1883: connect: connection refused")
	auth := packets.ErrorRefusedNotAuthorised
	type step struct {
		at   int   // seconds
		err  error // nil: connected
		logs bool  // a warning is logged
	}
	steps := []step{
		{0, auth, true}, {1, auth, false}, {30, auth, false},
		{31, refused, true}, {32, auth, false}, {33, refused, false},
		{60, auth, true}, {61, refused, false}, {91, refused, true},
		{92, nil, true}, // connected after failures: said at warning level
		{93, auth, true},
	}
	var buf bytes.Buffer
	now := time.Unix(1_800_000_000, 0)
	at := now
	l := New(Options{Name: "feed", Broker: "tcp://b:1883", Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Now: func() time.Time { return at }})
	for i, s := range steps {
		at = now.Add(time.Duration(s.at) * time.Second)
		buf.Reset()
		if s.err == nil {
			l.Connected()
		} else {
			l.Failed(s.err)
		}
		if got := buf.Len() > 0; got != s.logs {
			t.Errorf("step %d (t=%d s, %v): logged %v, want %v: %s", i, s.at, s.err, got, s.logs, buf.String())
		}
	}
	if l.Failures() != 10 {
		t.Errorf("Failures = %d, want 10", l.Failures())
	}
	if got, want := l.Reason(), "not connected to the MQTT broker: not Authorized"; got != want {
		t.Errorf("Reason = %q, want %q", got, want)
	}
	if !strings.Contains(buf.String(), "hint=") {
		t.Errorf("a refused password's warning has no hint: %s", buf.String())
	}
	l.Connected()
	if l.Err() != nil || !l.IsConnected() {
		t.Errorf("after Connected: Err %v, IsConnected %v", l.Err(), l.IsConnected())
	}
}
