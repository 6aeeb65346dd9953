package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFiles(t *testing.T) {
	// wantErr lists a fragment every bad file's error must contain; the line
	// number fragments prove the decoder's position reaches the user.
	wantErr := map[string]string{
		"unknown-field.bad.yaml":   "[3:1]",
		"bad-site.bad.yaml":        "site:",
		"no-bands.bad.yaml":        "bands: need at least one band",
		"band-order.bad.yaml":      "low_hz < high_hz",
		"bad-kind.bad.yaml":        "kind \"hop\"",
		"bad-source.bad.yaml":      "source.kind",
		"file-no-path.bad.yaml":    "source.path",
		"bad-duration.bad.yaml":    `invalid duration "ten seconds"`,
		"syntax.bad.yaml":          "[3:1]",
		"cert-no-key.bad.yaml":     "key_file",
		"dup-band.bad.yaml":        "repeated",
		"small-quota.bad.yaml":     "quota_bytes",
		"low-health.bad.yaml":      "health.interval",
		"agc-hysteresis.bad.yaml":  "agc.low_peak_dbfs",
		"negative-reuse.bad.yaml":  "label_reuse",
		"too-many-bands.bad.yaml":  "257 listed, at most 256",
		"zero-inflight.bad.yaml":   "[4:17] mqtt.max_inflight: 0",
		"keepalive-wraps.bad.yaml": "[4:14] mqtt.keepalive: 24h0m0s: must be at most 65535s (18h12m15s)",
		"infeasible-plan.bad.yaml": "scan plan infeasible: band \"gsm900-ul\" max_revisit 200ms",
		// what a HackRF (and the simulator, which models one) cannot do
		// fails the check, not the run, at the key's line
		"rate-hackrf.bad.yaml":       "[6:19] source.sample_rate_hz: 40 Msps is outside 2..20 Msps",
		"rate-sim.bad.yaml":          "[4:37] source.sample_rate_hz: 1 Msps is outside 2..20 Msps",
		"band-ghz.bad.yaml":          "[7:13] bands[0].low_hz: 0.88 Hz is below 1 MHz, the lowest a HackRF tunes (band edges are in Hz: is it in GHz? 0.88 GHz is 0.88e9)",
		"band-10ghz.bad.yaml":        "[7:28] bands[1].low_hz: 10 GHz is above 6 GHz, the highest a HackRF tunes",
		"band-khz.bad.yaml":          "[7:13] bands[0].low_hz: 100 kHz is below 1 MHz, the lowest a HackRF tunes",
		"band-high-edge.bad.yaml":    "[8:14] bands[0].high_hz: 6.05 GHz is above 6 GHz",
		"http-no-port.bad.yaml":      "[6:12] http_addr: \"localhost\" is not host:port (missing port in address), e.g. 127.0.0.1:9464",
		"http-bad-port.bad.yaml":     "[5:12] http_addr: \"127.0.0.1:99999\": port \"99999\" is not a number in 0..65535",
		"reffloor-zero.bad.yaml":     "[8:12] reference_floor.over_db: 0: want 1..30 dB (default 6), or negative for no reference floor",
		"reffloor-rise.bad.yaml":     "[8:21] reference_floor.rise_db_per_hour: -1",
		"reffloor-save.bad.yaml":     "[8:15] reference_floor.save_every: 1s: want 10s..1h",
		"reffloor-folder.bad.yaml":   "[8:9] reference_floor.file: \"/var/lib/rfwarden/\" is a folder",
		"site-file-not-sim.bad.yaml": `[3:55] source.site_file: set for source kind "file": only the sim source simulates a site file`,
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	seen := 0
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			c, err := Load(f)
			switch {
			case strings.HasSuffix(name, ".good.yaml"):
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if err := c.Validate(); err != nil {
					t.Fatalf("Validate after Load: %v", err)
				}
			case strings.HasSuffix(name, ".bad.yaml"):
				seen++
				if err == nil {
					t.Fatalf("Load succeeded, want error")
				}
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("error %v does not wrap ErrInvalid", err)
				}
				frag, ok := wantErr[name]
				if !ok {
					t.Fatalf("no expected fragment for %s; error was %v", name, err)
				}
				if !strings.Contains(err.Error(), frag) {
					t.Errorf("error %q does not contain %q", err, frag)
				}
				if !strings.Contains(err.Error(), f) {
					t.Errorf("error %q does not name the file", err)
				}
			}
		})
	}
	if seen != len(wantErr) {
		t.Errorf("saw %d bad files, table has %d", seen, len(wantErr))
	}
}

func TestDefaultsApplied(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "minimal.good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	d := Default()
	if c.Health.IntervalDur != 10*time.Second || c.Outbox != d.Outbox || c.Source != d.Source || c.Tamper != d.Tamper || c.AGC != d.AGC {
		t.Errorf("defaults not applied: %+v", c)
	}
	b := c.Bands[0]
	if b.Kind != KindSweep || b.Dwell != 10*time.Millisecond || b.MaxRevisit != 2*time.Second {
		t.Errorf("band defaults: got %+v", b)
	}
}

func TestFullValues(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "full.good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(c.Bands), 3; got != want {
		t.Fatalf("bands: got %d, want %d", got, want)
	}
	if got, want := c.Bands[0].Dwell, 50*time.Millisecond; got != want {
		t.Errorf("dwell: got %v, want %v", got, want)
	}
	if got, want := c.Bands[2].HighHz, 2483.5e6; got != want {
		t.Errorf("high_hz: got %v, want %v", got, want)
	}
	if want := (AGC{Enabled: true, ClipFraction: 0.001, ClipBlocks: 3, StepDownDB: 6, LowPeakDBFS: -24,
		LowBlocks: 50, StepUpDB: 2, MinGainDB: 8}); c.AGC != want {
		t.Errorf("agc: got %+v, want %+v", c.AGC, want)
	}
	if got, want := c.LabelReuse, 500*time.Millisecond; got != want {
		t.Errorf("label_reuse: got %v, want %v", got, want)
	}
	if got, want := c.Source.Serial, "0000000000000000457863c8234e2f5f"; got != want {
		t.Errorf("serial: got %q, want %q", got, want)
	}
	for _, tc := range []struct {
		hz   float64
		want float64
		ok   bool
	}{{900e6, 40, true}, {2.4e9, 46, true}, {8e9, 0, false}} {
		got, ok := c.GainDB(tc.hz)
		if got != tc.want || ok != tc.ok {
			t.Errorf("GainDB(%v): got %v,%v want %v,%v", tc.hz, got, ok, tc.want, tc.ok)
		}
	}
}

// TestSiteFileRelative: Load makes a relative source.site_file relative
// to the node config's folder, and keeps an absolute one.
func TestSiteFileRelative(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ given, want string }{
		{"site.yaml", filepath.Join(dir, "site.yaml")},
		{"../sites/c.yaml", filepath.Join(filepath.Dir(dir), "sites", "c.yaml")},
		{"/etc/rfwarden/site.yaml", "/etc/rfwarden/site.yaml"},
	} {
		p := filepath.Join(dir, "node.yaml")
		yaml := "site: demo\nsensor: s1\nsource: {kind: sim, site_file: " + tc.given + "}\nbands:\n  - {name: a, low_hz: 900e6, high_hz: 910e6}\n"
		if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if c.Source.SiteFile != tc.want {
			t.Errorf("site_file %s: Load gave %q, want %q", tc.given, c.Source.SiteFile, tc.want)
		}
	}
}

func TestLoadMissing(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "nope.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v, want not-exist", err)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted a config Validate rejects: %v", err)
		}
	})
}

// TestMQTTURL: mqtt.url needs a scheme paho dials (one without became
// plain TCP, even to a TLS port), a host and port where paho needs them,
// and TLS when a CA or client certificate is configured (plain TCP would
// send the password in clear). Errors give the key's line.
func TestMQTTURL(t *testing.T) {
	const head = "site: hmp-north\nsensor: wing-a-1\nsource: {kind: hackrf}\nbands: [{name: a, low_hz: 900e6, high_hz: 910e6}]\nmqtt:\n"
	tests := []struct {
		name string
		url  string
		tls  string // more lines under mqtt:
		want string // in the error; "" = valid
	}{
		{"tcp", "tcp://127.0.0.1:1883", "", ""},
		{"mqtt", "mqtt://broker.local:1883", "", ""},
		{"ssl", "ssl://broker.local:8883", "  ca_file: /etc/rfwarden/ca.pem\n", ""},
		{"tls with client cert", "tls://broker.local:8883", "  cert_file: /c.pem\n  key_file: /k.pem\n", ""},
		{"mqtts", "mqtts://broker.local:8883", "", ""},
		{"wss", "wss://broker.local/mqtt", "  ca_file: /etc/rfwarden/ca.pem\n", ""},
		{"ws", "ws://127.0.0.1:9001/mqtt", "", ""},
		{"ipv6", "ssl://[fd00::1]:8883", "", ""},
		{"no scheme", "127.0.0.1:18301", "", `[6:8] mqtt.url: "127.0.0.1:18301" has no scheme: write tcp://127.0.0.1:18301, or ssl://127.0.0.1:18301 for TLS`},
		{"host without scheme", "broker.local:8883", "", `mqtt.url: "broker.local:8883" has no scheme`},
		{"unknown scheme", "http://broker.local:1883", "", `[6:8] mqtt.url: scheme "http" is not one paho dials: tcp, mqtt, ssl, tls, mqtts, mqtt+ssl, tcps, ws, wss, unix`},
		{"no port", "ssl://broker.local", "", `mqtt.url: "ssl://broker.local" has no port (ssl://broker.local:8883?)`},
		{"tcp with CA", "tcp://broker.local:8883", "  ca_file: /etc/rfwarden/ca.pem\n",
			"mqtt.url: tcp:// is not encrypted, but mqtt.ca_file is set: the password would go in clear; use ssl:// (or tls://, mqtts://, wss://)"},
		{"ws with client cert", "ws://broker.local:9001", "  cert_file: /c.pem\n  key_file: /k.pem\n",
			"mqtt.url: ws:// is not encrypted, but mqtt.cert_file is set"},
		{"unix with CA", "unix:///run/mosquitto/mqtt.sock", "  ca_file: /ca.pem\n", "mqtt.url: unix:// is not encrypted"},
		{"unix", "unix:///run/mosquitto/mqtt.sock", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(head + "  url: " + tt.url + "\n" + tt.tls))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want it valid", err)
			case tt.want != "" && err == nil:
				t.Errorf("valid, want an error containing %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("got %v\nwant an error containing %q", err, tt.want)
			case err != nil && !errors.Is(err, ErrInvalid):
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
		})
	}
}
