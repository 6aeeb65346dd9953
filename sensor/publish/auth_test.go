package publish

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/hooks/auth"

	"github.com/rfwarden/rfwarden/internal/embroker"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestPahoSaysWhyItCannotConnect: given a broker that refuses the
// sensor's password, when the client keeps retrying in the background,
// expect each distinct error logged at warning level (the broker's "not
// Authorized", not just "not connected"), once until a minute passes, and
// the error and the count of failed attempts readable for /healthz and
// /metrics; the attempts back off, where the first connection was tried
// every 500 ms for ever (78 attempts in 39 s; fusion waits 5 s).
func TestPahoSaysWhyItCannotConnect(t *testing.T) {
	srv, addr, err := embroker.StartAuth("127.0.0.1:0", &auth.Ledger{Auth: auth.AuthRules{{Username: "s1", Password: "right", Allow: true}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var logs syncbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := NewPaho(Options{BrokerURL: "tcp://" + addr, ClientID: "s1", Username: "s1", Password: "wrong", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err == nil {
		t.Fatal("connected with a wrong password")
	}
	ce, ok := c.(ConnectErrorer)
	if !ok {
		t.Fatalf("%T does not say why it is not connected (ConnectErrorer)", c)
	}
	if err := ce.ConnectError(); err == nil || !strings.Contains(err.Error(), "not Authorized") {
		t.Errorf("ConnectError = %v, want the broker's not Authorized", err)
	}
	// 0.5 s, 1 s, 2 s apart: at most 4 in 3 s (a slow machine makes
	// fewer, never more); a fixed 500 ms, as paho's retry was set, made 6
	if n := ce.ConnectFailures(); n < 2 || n > 4 {
		t.Errorf("ConnectFailures = %d after 3 s of retrying, want 2 to 4 (backing off from 0.5 s)", n)
	}
	got := logs.String()
	if n := strings.Count(got, "not Authorized"); n != 1 || !strings.Contains(got, "level=WARN") {
		t.Errorf("log has %d warnings with not Authorized, want exactly 1 (the first; repeats wait a minute):\n%s", n, got)
	}
}

// TestPasswordFileReadAgainWhenRefused: given a sensor connected with the
// password of its mqtt.password_file, when the password is rotated as
// docs/deploy.md section 3 says (the new one in the file, by installing a
// new bundle; the broker's password changed and the broker reloaded,
// dropping the sensor), expect the sensor to reconnect with the new
// password without a restart, and say so at warning level. It retried
// with the old password from memory for ever ("not Authorized").
func TestPasswordFileReadAgainWhenRefused(t *testing.T) {
	ledger := &auth.Ledger{Auth: auth.AuthRules{{Username: "s1", Password: "old", Allow: true}}}
	srv, addr, err := embroker.StartAuth("127.0.0.1:0", ledger)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "mqtt.pass")
	if err := os.WriteFile(file, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	password, err := ReadPasswordFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := NewPaho(Options{BrokerURL: "tcp://" + addr, ClientID: "s1", Username: "s1", Password: password, PasswordFile: file, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("connect with the file's password: %v", err)
	}
	// the rotation: the new bundle's file, then the broker's new password
	// and its reload, which drops the sensor
	if err := os.WriteFile(file, []byte("new\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ledger.Update(&auth.Ledger{Auth: auth.AuthRules{{Username: "s1", Password: "new", Allow: true}}})
	cl, ok := srv.Clients.Get("s1")
	if !ok {
		t.Fatal("the broker does not list the connected sensor")
	}
	cl.Stop(errors.New("broker reloaded"))
	ce := c.(ConnectErrorer)
	for ce.ConnectFailures() == 0 || !c.IsConnected() {
		if ctx.Err() != nil {
			t.Fatalf("not connected again 10 s after the rotation (failed attempts %d, last error %v); log:\n%s",
				ce.ConnectFailures(), ce.ConnectError(), logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	got := logs.String()
	if !strings.Contains(got, "read a new one from the password file") || !strings.Contains(got, "password_file="+file) {
		t.Errorf("log does not say the password file was read again:\n%s", got)
	}
}
