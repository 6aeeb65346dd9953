package agent

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/sensor/config"
	"github.com/rfwarden/rfwarden/sensor/publish"
)

// TestRunRefusesBeforeConnecting: an agent whose outbox another process
// (or agent) holds, or whose http_addr is taken, returns an error at once
// without opening the outbox or creating its MQTT client, which would take
// the running sensor's session (the sensor ID is the client ID) and share
// its outbox.
func TestRunRefusesBeforeConnecting(t *testing.T) {
	tests := []struct {
		name  string
		given func(t *testing.T, cfg *config.Config) // makes the agent's start fail
		want  []string
	}{
		{"outbox held by another sensor", func(t *testing.T, cfg *config.Config) {
			running := make(chan struct{})
			factory := func(publish.Options) (publish.Client, error) { close(running); return &recClient{connected: true}, nil }
			other, err := New(*cfg, Deps{Source: newSynth(nil, 0), Pipeline: &everyPipeline{}, ClientFactory: factory})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- other.Run(ctx) }()
			t.Cleanup(func() {
				cancel()
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					t.Error("the first agent did not stop")
				}
			})
			select { // its outbox is open once it makes its client
			case <-running:
			case <-time.After(5 * time.Second):
				t.Fatal("the first agent did not start")
			}
		}, []string{"outbox.lock", "held by another process", "PID"}},
		{"http_addr taken", func(t *testing.T, cfg *config.Config) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			cfg.HTTPAddr = l.Addr().String()
		}, []string{"http_addr", "address already in use"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.Outbox.Dir = filepath.Join(t.TempDir(), "outbox")
			tt.given(t, &cfg)
			var clients atomic.Int32
			factory := func(publish.Options) (publish.Client, error) {
				clients.Add(1)
				return &recClient{connected: true}, nil
			}
			second, err := New(cfg, Deps{Source: newSynth(nil, 0), Pipeline: &everyPipeline{}, ClientFactory: factory})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err = second.Run(ctx)
			ended := ctx.Err() // nil: Run gave up before its context ended
			if err == nil {
				t.Fatal("Run: no error")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Run: error %q does not name %q", err, want)
				}
			}
			// It gave up by itself, not when its context ended (waiting for
			// the lock or the address to be free); a wall-clock bound of 2 s
			// here was a race a loaded machine could lose.
			if ended != nil {
				t.Errorf("Run returned only when its context ended (%v), want at once", ended)
			}
			if n := clients.Load(); n != 0 {
				t.Errorf("%d MQTT clients created, want none", n)
			}
		})
	}
}

// TestClientGetsPasswordFile: the agent hands the node's
// mqtt.password_file to its MQTT client with the password read from it,
// so that the client reads it again when the broker refuses the password
// (a rotation: docs/deploy.md section 3, TestPasswordFileReadAgainWhenRefused).
func TestClientGetsPasswordFile(t *testing.T) {
	cfg := testConfig(t)
	cfg.MQTT.PasswordFile = filepath.Join(t.TempDir(), "mqtt.pass")
	got := make(chan publish.Options, 1)
	factory := func(o publish.Options) (publish.Client, error) { got <- o; return &recClient{connected: true}, nil }
	a, err := New(cfg, Deps{Source: newSynth(nil, 0), Pipeline: &everyPipeline{}, Password: "pw", ClientFactory: factory})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	select {
	case o := <-got:
		if o.PasswordFile != cfg.MQTT.PasswordFile || o.Password != "pw" {
			t.Errorf("client options: password %q, password file %q; want %q and %q", o.Password, o.PasswordFile, "pw", cfg.MQTT.PasswordFile)
		}
	case err := <-done:
		t.Fatalf("Run ended before making its client: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no MQTT client made in 10 s")
	}
}
