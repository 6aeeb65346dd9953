package deploy

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/sensor/config"
)

func TestSampleSensorConfig(t *testing.T) {
	c, err := config.Load(filepath.Join("config", "sensor.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// It must be bundleable: every MQTT file under its bundle name in
	// /etc/rfwarden, state under the unit's StateDirectory.
	for path, want := range map[string]string{c.MQTT.CAFile: "ca.pem", c.MQTT.CertFile: "node.pem", c.MQTT.KeyFile: "node-key.pem", c.MQTT.PasswordFile: "mqtt.pass"} {
		if path != filepath.Join("/etc/rfwarden", want) {
			t.Errorf("MQTT file %q, want /etc/rfwarden/%s", path, want)
		}
	}
	for _, d := range []string{c.Outbox.Dir, c.Snippets.Dir} {
		if !strings.HasPrefix(d, "/var/lib/rfwarden/") {
			t.Errorf("state dir %q is outside StateDirectory /var/lib/rfwarden", d)
		}
	}
	if c.MQTT.Username != c.Sensor {
		t.Errorf("MQTT username %q differs from sensor ID %q: the ACL pattern %%u would not match", c.MQTT.Username, c.Sensor)
	}
}

// TestSampleSensorRevisitBound: docs/deploy.md ("Drone bands") and the
// sample's own comment say every band's max_revisit is 12 s, the least
// the scheduler guarantees with the sample's dwells (11.2 s). Until
// 2026-12-05 droneid2400 said 20 s.
func TestSampleSensorRevisitBound(t *testing.T) {
	c, err := config.Load(filepath.Join("config", "sensor.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range c.Bands {
		if b.MaxRevisit != 12*time.Second {
			t.Errorf("band %s: max_revisit %v, want the 12s docs/deploy.md gives every band", b.Name, b.MaxRevisit)
		}
	}
}

func TestSampleFusionConfig(t *testing.T) {
	f, err := os.Open(filepath.Join("config", "fusion.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := fusion.LoadFileConfig(f, "/etc/rfwarden")
	if err != nil {
		t.Fatal(err)
	}
	if c.Site != "/etc/rfwarden/site.yaml" || c.Username != "fusion" || !strings.HasPrefix(c.SeenFile, "/var/lib/rfwarden/") {
		t.Errorf("fusion config = %+v", c)
	}
	if _, err := c.EngineConfig(); err != nil {
		t.Errorf("EngineConfig: %v", err)
	}
}

// TestEnvFiles checks that the env samples are KEY=value lines of RFW_
// variables only.
func TestEnvFiles(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("config", "*.env"))
	if len(files) < 2 {
		t.Fatalf("env files: %v", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || line[0] == '#' {
				continue
			}
			key, _, ok := strings.Cut(line, "=")
			if !ok || !strings.HasPrefix(key, "RFW_") || strings.ContainsAny(key, " \t") {
				t.Errorf("%s:%d: %q is not RFW_KEY=value", f, n, line)
			}
		}
	}
}
