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

// envSample reads the RFW_ lines of a sample env file: set holds the
// lines in force, commented the ones left commented out ("# RFW_X=v").
func envSample(t *testing.T, name string) (set, commented map[string]string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("config", name))
	if err != nil {
		t.Fatal(err)
	}
	set, commented = map[string]string{}, map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		m := set
		if rest, ok := strings.CutPrefix(line, "#"); ok {
			line, m = strings.TrimSpace(rest), commented
		}
		if k, v, ok := strings.Cut(line, "="); ok && strings.HasPrefix(k, "RFW_") && !strings.ContainsAny(k, " \t") {
			m[k] = v
		}
	}
	return set, commented
}

// uncommentInflux returns fusion.yaml with its commented-out influx: block
// turned on, as docs/deploy.md section 6 tells the reader to.
func uncommentInflux(t *testing.T, yaml string) string {
	t.Helper()
	lines := strings.Split(yaml, "\n")
	in, found := false, false
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "# influx:"):
			in, found = true, true
		case in && strings.HasPrefix(l, "#   "):
		default:
			in = false
		}
		if in {
			lines[i] = strings.TrimPrefix(l, "# ")
		}
	}
	if !found {
		return yaml
	}
	return strings.Join(lines, "\n")
}

// TestSampleInfluxAgrees checks that the samples turn InfluxDB on or off
// together: fusion.yaml's influx: block, dashboard.env's RFW_INFLUX_* and
// fusion.env's RFW_INFLUX_PASSWORD. With fusion's on and the dashboard's
// off, fusion wrote the time series to InfluxDB only and the dashboard
// read SQLite: an empty heatmap and sensor health, with no error. Turned
// on, the commented lines must name the same database and policy.
func TestSampleInfluxAgrees(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("config", "fusion.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	load := func(text string) fusion.FileConfig {
		t.Helper()
		c, err := fusion.LoadFileConfig(strings.NewReader(text), "/etc/rfwarden")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	fc := load(string(data))
	dash, dashOff := envSample(t, "dashboard.env")
	fenv, _ := envSample(t, "fusion.env")
	fusionOn := fc.Influx.URL != ""
	if dashOn := dash["RFW_INFLUX_URL"] != ""; dashOn != fusionOn {
		t.Errorf("fusion.yaml influx.url %q but dashboard.env RFW_INFLUX_URL %q: one on without the other",
			fc.Influx.URL, dash["RFW_INFLUX_URL"])
	}
	if _, pw := fenv["RFW_INFLUX_PASSWORD"]; pw != fusionOn {
		t.Errorf("fusion.yaml influx.url %q but fusion.env sets RFW_INFLUX_PASSWORD: %v", fc.Influx.URL, pw)
	}
	// Turned on as section 6 says, fusion's block and the dashboard's lines agree.
	if !fusionOn {
		fc = load(uncommentInflux(t, string(data)))
		dash = dashOff
	}
	if fc.Influx.URL == "" {
		t.Fatal("fusion.yaml has no influx: block, not even commented out")
	}
	for _, c := range []struct{ env, fusion string }{
		{"RFW_INFLUX_URL", fc.Influx.URL},
		{"RFW_INFLUX_DB", fc.Influx.Database},
		{"RFW_INFLUX_RP", fc.Influx.RP},
	} {
		if dash[c.env] != c.fusion {
			t.Errorf("dashboard.env %s = %q, fusion.yaml has %q", c.env, dash[c.env], c.fusion)
		}
	}
}

// TestSampleLiveFeedAgrees: the sample dashboard.env turns the live feed
// on as docs/deploy.md section 2 says (RFW_MQTT_USER=dashboard, the
// broker's user "dashboard" of rfwarden.acl), to fusion.yaml's broker with
// fusion.yaml's CA, and dashboard-secret.env has its password line. The
// sample had RFW_MQTT commented out while the docs spoke as if it were set.
func TestSampleLiveFeedAgrees(t *testing.T) {
	f, err := os.Open(filepath.Join("config", "fusion.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fc, err := fusion.LoadFileConfig(f, "/etc/rfwarden")
	if err != nil {
		t.Fatal(err)
	}
	dash, _ := envSample(t, "dashboard.env")
	secret, _ := envSample(t, "dashboard-secret.env")
	for _, c := range []struct{ key, got, want string }{
		{"dashboard.env RFW_MQTT", dash["RFW_MQTT"], fc.Broker},
		{"dashboard.env RFW_MQTT_CA", dash["RFW_MQTT_CA"], fc.CAFile},
		{"dashboard.env RFW_MQTT_USER", dash["RFW_MQTT_USER"], "dashboard"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q (fusion.yaml's, docs/deploy.md section 2)", c.key, c.got, c.want)
		}
	}
	if _, ok := secret["RFW_MQTT_PASSWORD"]; !ok {
		t.Error("dashboard-secret.env does not set RFW_MQTT_PASSWORD")
	}
	acl, err := os.ReadFile(filepath.Join("mosquitto", "rfwarden.acl"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(acl), "\nuser dashboard\n") {
		t.Error(`rfwarden.acl has no "user dashboard" block for RFW_MQTT_USER=dashboard`)
	}
}
