package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCmdSensorCheckDroneCoverage: --check lists the drone bands the scan
// plan leaves out (it said only ok: the shipped plan scanned neither 433
// nor 868 MHz, nor FPV outside 5725–5875 MHz, nor 1.3 GHz video), and the
// shipped plan covers them all and passes.
func TestCmdSensorCheckDroneCoverage(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "hackrf_transfer"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	tests := []struct {
		name        string
		config      string
		want, never []string
	}{
		{"2430-2440 MHz only", writeSensorConfig(t, ""),
			[]string{"ok (site site1, sensor s1, 1 band)", "drone bands", "SRD 433 (433.05–434.79 MHz): not scanned",
				"SRD 868 (863–870 MHz): not scanned", "ISM 2.4 GHz (2400–2483.5 MHz): 2400–2430, 2440–2483.5 MHz not scanned",
				"5.8 GHz FPV (5645–5945 MHz): not scanned", "1.3 GHz FPV (1240–1300 MHz): not scanned"}, nil},
		{"deploy/config/sensor.yaml", shippedSensorConfig(t),
			[]string{"ok (site hmp-north, sensor wing-a-1"}, []string{"not scanned", "ISM 2.4 GHz"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if err := run(context.Background(), []string{"sensor", "--check", "--config", tt.config}, &out, &errb); err != nil {
				t.Fatalf("--check: %v (%s)", err, errb.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("--check printed\n%s\nwant it to say %q", out.String(), w)
				}
			}
			for _, n := range tt.never {
				if strings.Contains(out.String(), n) {
					t.Errorf("--check printed\n%s\nwant nothing on %q", out.String(), n)
				}
			}
		})
	}
}

// shippedSensorConfig is deploy/config/sensor.yaml with its /etc/rfwarden
// files (made here: a CA, the node's certificate and key, a password) and
// its /var/lib/rfwarden folders moved into a temporary folder, as --check
// reads the MQTT files and writes the outbox folder.
func shippedSensorConfig(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "config", "sensor.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	etc := filepath.Join(dir, "etc")
	if err := os.Mkdir(etc, 0o700); err != nil {
		t.Fatal(err)
	}
	nodePKI(t, etc) // ca.pem, node.pem, node-key.pem: the names the config gives
	if err := os.WriteFile(filepath.Join(etc, "mqtt.pass"), []byte("a-node-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), "/etc/rfwarden/", etc+"/")
	s = strings.ReplaceAll(s, "/var/lib/rfwarden/", filepath.Join(dir, "var")+"/")
	out := filepath.Join(dir, "sensor.yaml")
	if err := os.WriteFile(out, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}
