package mqttlink

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
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
	if got, want := l.Reason(), "not connected to the MQTT broker: credentials refused"; got != want { // no Keys: no setting named (TestSummaryHidesUserAndHost)
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

// TestLinkSameErrorOtherPort: an error that differs from the last only in
// a socket address (each attempt's ephemeral local port) is the same error:
// a warning every 0.5 s became one a minute, which keeps the first one's
// full text.
func TestLinkSameErrorOtherPort(t *testing.T) {
	reset := func(port int) error {
		return &net.OpError{Op: "read", Net: "tcp",
			Source: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port},
			Addr:   &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 18301},
			Err:    os.NewSyscallError("read", syscall.ECONNRESET)}
	}
	var buf bytes.Buffer
	now := time.Unix(1_800_000_000, 0)
	at := now
	l := New(Options{Broker: "tcp://127.0.0.1:18301", Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Now: func() time.Time { return at }})
	warnings := 0
	for i := range 240 { // two minutes, an attempt every 0.5 s
		at = now.Add(time.Duration(i) * 500 * time.Millisecond)
		buf.Reset()
		l.Failed(reset(55006 + i))
		if buf.Len() > 0 {
			warnings++
			if i == 0 && !strings.Contains(buf.String(), "127.0.0.1:55006->127.0.0.1:18301: read: connection reset by peer") {
				t.Errorf("first warning lacks the full error: %s", buf.String())
			}
		}
	}
	if warnings != 2 {
		t.Errorf("%d warnings in two minutes of one error, want 2 (the first, and one a minute later)", warnings)
	}
}

// TestErrorKey: errors differing only in socket addresses share a key;
// errors of another kind, or to another broker port, do not.
func TestErrorKey(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"read tcp 127.0.0.1:55006->127.0.0.1:18301: read: connection reset by peer",
			"read tcp 127.0.0.1:55012->127.0.0.1:18301: read: connection reset by peer", true},
		{"read tcp [::1]:40000->[::1]:8883: read: connection reset by peer",
			"read tcp [::1]:40002->[::1]:8883: read: connection reset by peer", true},
		{"read tcp 10.0.0.5:40000->10.0.0.1:8883: i/o timeout",
			"read tcp 10.0.0.5:40002->10.0.0.1:8883: i/o timeout", true},
		{"network Error : dial tcp 127.0.0.1:1883: connect: connection refused",
			"network Error : dial tcp 127.0.0.1:1883: connect: connection refused", true},
		{"read tcp 127.0.0.1:55006->127.0.0.1:18301: read: connection reset by peer",
			"network Error : dial tcp 127.0.0.1:18301: connect: connection refused", false},
		{"not Authorized", "bad user name or password", false},
	}
	for _, tt := range tests {
		if got := errorKey(errors.New(tt.a)) == errorKey(errors.New(tt.b)); got != tt.same {
			t.Errorf("errorKey(%q) == errorKey(%q): %v, want %v (keys %q, %q)", tt.a, tt.b, got, tt.same,
				errorKey(errors.New(tt.a)), errorKey(errors.New(tt.b)))
		}
	}
}

// TestLostHint: a lost connection is blamed on another client with the
// same client ID only when the pattern of one shows: connections ending
// within TakeoverDur of being made, twice running, the broker taking the
// client back at once each time (no failed attempt between). A broker that
// stops, or one loss, gets the neutral hint that names the possibilities.
func TestLostHint(t *testing.T) {
	const (
		neutral  = "the broker stopped or restarted, the network dropped the connection, or another client connected with the same client ID"
		clientID = "another client with the same client ID is most likely taking the connection over"
	)
	type step struct {
		at   int  // seconds
		ev   byte // c connected, l lost, f failed attempt
		hint string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"broker stopped", []step{{0, 'c', ""}, {100, 'l', neutral}, {101, 'f', ""}, {102, 'f', ""}}},
		{"broker stopped twice, each time soon after the last", []step{{0, 'c', ""}, {5, 'l', neutral}, {6, 'f', ""},
			{8, 'c', ""}, {10, 'l', neutral}, {11, 'f', ""}, {13, 'c', ""}, {15, 'l', neutral}}},
		{"client ID taken over and over", []step{{0, 'c', ""}, {2, 'l', neutral}, {3, 'c', ""}, {5, 'l', clientID},
			{6, 'c', ""}, {11, 'l', clientID}}},
		{"a long connection in between starts over", []step{{0, 'c', ""}, {2, 'l', neutral}, {3, 'c', ""},
			{300, 'l', neutral}, {301, 'c', ""}, {303, 'l', neutral}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			now := time.Unix(1_800_000_000, 0)
			at := now
			l := New(Options{Broker: "tcp://b:1883", Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})),
				Now: func() time.Time { return at }})
			for i, s := range tt.steps {
				at = now.Add(time.Duration(s.at) * time.Second)
				buf.Reset()
				switch s.ev {
				case 'c':
					l.Connected()
				case 'l':
					l.Lost(io.EOF)
				case 'f':
					l.Failed(errors.New("network Error : dial tcp 127.0.0.1:1883: connect: connection refused"))
				}
				if s.hint == "" {
					continue
				}
				got := buf.String()
				if !strings.Contains(got, s.hint) {
					t.Errorf("step %d (t=%d s): log lacks %q:\n%s", i, s.at, s.hint, got)
				}
				if s.hint == neutral && strings.Contains(got, clientID) {
					t.Errorf("step %d (t=%d s): one loss blamed on the client ID:\n%s", i, s.at, got)
				}
			}
		})
	}
}

// TestLinkConnectedAt: when the current connection was made, zero before
// the first and once it is lost or an attempt fails.
func TestLinkConnectedAt(t *testing.T) {
	at := time.Unix(1_800_000_000, 0)
	l := New(Options{Now: func() time.Time { return at }})
	if !l.ConnectedAt().IsZero() {
		t.Errorf("ConnectedAt before connecting = %v, want zero", l.ConnectedAt())
	}
	l.Connected()
	if !l.ConnectedAt().Equal(at) {
		t.Errorf("ConnectedAt = %v, want %v", l.ConnectedAt(), at)
	}
	at = at.Add(time.Minute)
	l.Lost(io.EOF)
	if !l.ConnectedAt().IsZero() {
		t.Errorf("ConnectedAt after the loss = %v, want zero", l.ConnectedAt())
	}
	l.Connected()
	if !l.ConnectedAt().Equal(at) {
		t.Errorf("ConnectedAt after reconnecting = %v, want %v", l.ConnectedAt(), at)
	}
	l.Failed(errors.New("refused"))
	if !l.ConnectedAt().IsZero() {
		t.Errorf("ConnectedAt after a failed attempt = %v, want zero", l.ConnectedAt())
	}
}

// TestLookupScheme: the schemes paho dials are found in any case, with
// whether they are encrypted; others are not.
func TestLookupScheme(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ok, tl bool
	}{{"tcp", true, false}, {"SSL", true, true}, {"wss", true, true}, {"unix", true, false}, {"http", false, false}, {"", false, false}} {
		s, ok := LookupScheme(tc.name)
		if ok != tc.ok || s.TLS != tc.tl {
			t.Errorf("LookupScheme(%q) = %+v, %v; want ok %v, TLS %v", tc.name, s, ok, tc.ok, tc.tl)
		}
	}
}

// TestCredentialsHintNamesUser: a refused login's warning names the
// username sent, never the password (until 2026-12-07 "the broker refused
// the username or password", which left the admin guessing which one);
// without a username it says none was sent and the setting to give.
func TestCredentialsHintNamesUser(t *testing.T) {
	keys := Keys{Credentials: "mqtt.username or mqtt.password_file"}
	tests := []struct {
		name, broker, user string
		err                error
		want               string
	}{
		{"bad password", "ssl://b:8883", "s10", packets.ErrorRefusedBadUsernameOrPassword,
			`hint="the broker refused username \"s10\" or its password: check them and the broker's password file"`},
		{"not authorised", "ssl://b:8883", "s10", packets.ErrorRefusedNotAuthorised, `username \"s10\"`},
		{"the URL's username", "ssl://s10:hunter2@b:8883", "", packets.ErrorRefusedNotAuthorised, `username \"s10\"`},
		{"no username", "ssl://b:8883", "", packets.ErrorRefusedNotAuthorised,
			`hint="the broker refused a login without a username (mqtt.username or mqtt.password_file): give the username and password the broker's password file has"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := New(Options{Broker: tt.broker, Username: tt.user, Keys: keys,
				Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))})
			l.Failed(tt.err)
			if got := buf.String(); !strings.Contains(got, tt.want) || strings.Contains(got, "hunter2") {
				t.Errorf("warning lacks %s or shows the password:\n%s", tt.want, got)
			}
		})
	}
}
