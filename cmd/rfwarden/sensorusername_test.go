package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSensorUsernameIsSensorID: --check and node bundle refuse a node
// whose mqtt.username is not its sensor ID, naming the key: the broker's
// ACL (%u) then discarded everything it published while Mosquitto still
// acknowledged it, and the sensor reported healthy. mqtt.custom_acl says
// the broker has the node's own user block (docs/deploy.md §3).
func TestSensorUsernameIsSensorID(t *testing.T) {
	for _, tc := range []struct {
		name string
		mqtt string
		want string // "" ok
	}{
		{name: "same", mqtt: "username: s1"},
		{name: "none (certificate identity)", mqtt: "url: tcp://127.0.0.1:18403"},
		{name: "another", mqtt: "username: wing-a-1", want: `mqtt.username: "wing-a-1" is not the sensor ID "s1"`},
		{name: "another with its own ACL", mqtt: "username: wing-a-1\n  custom_acl: true"},
	} {
		t.Run("check "+tc.name, func(t *testing.T) {
			p := writeSensorConfig(t, "mqtt:\n  "+tc.mqtt+"\n")
			var out bytes.Buffer
			err := run(context.Background(), []string{"sensor", "--check", "--config", p}, &out, &bytes.Buffer{})
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("--check: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("--check: %v (stdout %q), want an error containing %q", err, out.String(), tc.want)
			}
		})
	}
	f := newProvisionFixture(t)
	body, err := os.ReadFile(f.config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.config, bytes.Replace(body, []byte("username: wing-a-1"), []byte("username: wing-a-2"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := f.bundle(t, filepath.Join(f.root, "b.tar")); err == nil || !strings.Contains(err.Error(), "mqtt.username") {
		t.Errorf("node bundle of a node whose username is another's: %v, want an error naming mqtt.username", err)
	}
}
