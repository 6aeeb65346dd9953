package fusion

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

func TestLoadFileConfigSubscription(t *testing.T) {
	for _, tc := range []struct {
		sub     string
		wantErr string
	}{
		{"", ""},
		{"rfw/v1/hmp-test/sensor/+/+", ""},
		{"$share/fusion-a/rfw/v1/a/sensor/#", ""},
		{"rfw/v1/hmp-test/sensor/s+/+", "'+' must be a whole level"},
		{"rfw/#/sensor", "'#' must be the whole last level"},
		{"rfw/v1/a b", "white space"},
	} {
		t.Run(tc.sub, func(t *testing.T) {
			yml := "site: wing.yaml\n"
			if tc.sub != "" {
				yml += "subscription: " + tc.sub + "\n"
			}
			c, err := LoadFileConfig(strings.NewReader(yml), "/etc/rfwarden")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "subscription") {
					t.Fatalf("err %v, want one naming subscription and %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ec, err := c.EngineConfig()
			if err != nil {
				t.Fatal(err)
			}
			if ec.Subscription != tc.sub {
				t.Errorf("engine subscription %q, want %q", ec.Subscription, tc.sub)
			}
		})
	}
}

// TestFileConfigSettle: fusion.yaml's borrow_window and alert_settle reach
// the engine (until 2026-12-07 they were Go Config fields only, so a site
// could not turn the settle off, or lengthen it for sensors that scan
// slowly), and an engine built from them announces a new phone alert
// alert_settle after its first fix, or at once when it is negative.
func TestFileConfigSettle(t *testing.T) {
	for _, tc := range []struct {
		yml            string
		borrow, settle time.Duration
		wantAfter      time.Duration // the first announcement's delay after the first fix's capture
	}{
		{"", 0, 0, 3 * time.Second},
		{"borrow_window: 5s\nalert_settle: 8s\n", 5 * time.Second, 8 * time.Second, 8 * time.Second},
		{"alert_settle: -1s\n", 0, -time.Second, 0},
		{"borrow_window: -1s\n", -time.Second, 0, 0}, // the settle defaults to the borrow window: none
	} {
		c, err := LoadFileConfig(strings.NewReader("site: wing.yaml\n"+tc.yml), "/etc/rfwarden")
		if err != nil {
			t.Fatalf("%q: %v", tc.yml, err)
		}
		ec, err := c.EngineConfig()
		if err != nil {
			t.Fatalf("%q: %v", tc.yml, err)
		}
		if ec.BorrowWindow != tc.borrow || ec.AlertSettle != tc.settle {
			t.Errorf("%q: engine borrow %v settle %v, want %v %v", tc.yml, ec.BorrowWindow, ec.AlertSettle, tc.borrow, tc.settle)
		}
		// The first fix is made when its association group closes,
		// assoc_window (500 ms) after its capture.
		got := firstAnnounced(t, ec)
		if lo, hi := tc.wantAfter, max(tc.wantAfter, 500*time.Millisecond)+100*time.Millisecond; got < lo || got > hi {
			t.Errorf("%q: phone alert first announced %v after its first fix's capture, want %v..%v", tc.yml, got, lo, hi)
		}
	}
}

// firstAnnounced returns how long after its first burst's capture an
// engine of cfg first announces a phone used in cell B2-02, heard by s1
// and s3 every 400 ms for 7 s.
func firstAnnounced(t *testing.T, cfg Config) time.Duration {
	t.Helper()
	const start = time.Second
	var bs []heardBurst
	for at := start; at < start+7*time.Second; at += 400 * time.Millisecond {
		bs = append(bs, longUplink(at, site.Point{X: 7.5, Y: 2}, 1747.5e6, 4.4e6, "s1", "s3"))
	}
	first := time.Duration(-1)
	_, alerts := runBurstsWith(t, cfg, bs, func(at time.Duration, _ event.Alert) {
		if first < 0 {
			first = at
		}
	})
	if len(alerts) != 1 || first < 0 {
		t.Fatalf("%d alerts published (first at %v), want one: %v", len(alerts), first, alerts)
	}
	return first - start
}

func TestLoadFileConfigHistoryDays(t *testing.T) {
	for _, tc := range []struct {
		yml     string
		want    int
		wantErr string
	}{
		{"", 90, ""},
		{"history_days: 7\n", 7, ""},
		{"history_days: -1\n", -1, ""},
		{"history_days: 0\n", 0, "[2:15] history_days: 0:"},
		{"history_days: -5\n", 0, "[2:15] history_days: -5 is negative"},
		{"history_days: ten\n", 0, "history_days"},
		{"history_days: 36500\n", 36500, ""},
		{"history_days: 200000\n", 0, "[2:15] history_days: 200000 is more than 36500"},
	} {
		c, err := LoadFileConfig(strings.NewReader("site: wing.yaml\n"+tc.yml), "/etc/rfwarden")
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: err %v, want one containing %q", tc.yml, err, tc.wantErr)
			}
			continue
		}
		if err != nil || c.HistoryDays != tc.want {
			t.Errorf("%q: history_days %d, %v; want %d", tc.yml, c.HistoryDays, err, tc.want)
		}
	}
}

// TestLoadFileConfigRanges: settings that decode but make no sense are
// refused, naming the key: a NaN path-loss exponent made every fix NaN, a
// negative window matched nothing, and all were taken without a word.
func TestLoadFileConfigRanges(t *testing.T) {
	for _, tc := range []struct {
		yml     string
		wantErr string // "" = taken
	}{
		{"assoc_window: 800ms\n", ""},
		{"assoc_window: -5s\n", "[2:15] assoc_window: -5s is outside 0..10s"},
		{"assoc_window: 1m\n", "assoc_window: 1m0s is outside"},
		{"locate_every: 2s\n", ""},
		{"locate_every: -1s\n", "locate_every: -1s is outside"},
		{"borrow_window: -1s\n", ""},
		{"borrow_window: 2m\n", "[2:16] borrow_window: 2m0s is more than 1m0s"},
		{"alert_settle: 10s\n", ""},
		{"alert_settle: 1h\n", "alert_settle: 1h0m0s is more than 1m0s"},
		{"alert_settle: 3\n", "alert_settle"},
		{"model:\n  exponent: 3.5\n", ""},
		{"model:\n  exponent: .nan\n", "[3:13] model.exponent: NaN is outside 1..8"},
		{"model:\n  exponent: -2\n", "model.exponent: -2"},
		{"model:\n  exponent: .inf\n", "model.exponent: +Inf"},
		{"model:\n  grid_step_m: 0\n", ""},
		{"model:\n  grid_step_m: -1\n", "model.grid_step_m: -1"},
		{"model:\n  shadowing_db: 1e9\n", "model.shadowing_db"},
		{"model:\n  floor_loss_db: -15\n", "model.floor_loss_db"},
		{"model:\n  sensor_height_m: 2.5\n  emitter_height_m: 1.2\n", ""},
		{"model:\n  emitter_height_m: -1\n", "model.emitter_height_m"},
	} {
		_, err := LoadFileConfig(strings.NewReader("site: wing.yaml\n"+tc.yml), "/etc/rfwarden")
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("%q: %v, want it taken", tc.yml, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%q: err %v, want one containing %q", tc.yml, err, tc.wantErr)
		}
	}
}

// TestRunSubscription: Run subscribes to the site's own topics by default,
// plain (mosquitto keeps a plain subscription across its restart), and to
// Config.Subscription when set, hearing acknowledgements in the same
// shared group when it names one.
func TestRunSubscription(t *testing.T) {
	s := wing(t)
	for _, tc := range []struct{ sub, want, wantAck string }{
		{"", "rfw/v1/hmp-test/sensor/+/+", "rfw/v1/hmp-test/ack"},
		{"$share/fusion-hmp-test/rfw/v1/hmp-test/sensor/+/+", "$share/fusion-hmp-test/rfw/v1/hmp-test/sensor/+/+", "$share/fusion-hmp-test/rfw/v1/hmp-test/ack"},
	} {
		e, err := New(Config{Subscription: tc.sub}, Deps{Site: s, TimeSeries: &storetest.Recorder{}})
		if err != nil {
			t.Fatal(err)
		}
		if got, ack := e.Subscription(), e.AckSubscription(); got != tc.want || ack != tc.wantAck {
			t.Errorf("with %q: Subscription() = %q, AckSubscription() = %q; want %q, %q", tc.sub, got, ack, tc.want, tc.wantAck)
		}
	}
}

// TestEngineConfigAlertsWithoutRules: an alerts file that names no rules
// (empty, or rules: []) ran fusion with no alerting at all, not even
// sensor-offline; EngineConfig refuses it naming the file.
func TestEngineConfigAlertsWithoutRules(t *testing.T) {
	for _, doc := range []string{"", "rules: []\n"} {
		path := filepath.Join(t.TempDir(), "alerts.yaml")
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := LoadFileConfig(strings.NewReader("site: wing.yaml\nalerts: "+path+"\n"), "/etc/rfwarden")
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.EngineConfig()
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "no alert rules: remove the alerts file setting to use the defaults, or list rules") {
			t.Errorf("%q: got %v, want an error naming %s and no alert rules", doc, err, path)
		}
	}
}

// TestLoadFileConfigOutputs: a webhook URL without an http or https scheme
// and host, or a syslog address without a numeric port, was taken at
// start-up and every alert then failed in the log only ("unsupported
// protocol scheme", "missing port in address"); they are refused, naming
// the key and its line. A plain http:// webhook, which sent rooms, user
// names and notes in clear, is refused unless webhook.allow_http says so.
func TestLoadFileConfigOutputs(t *testing.T) {
	tests := []struct {
		name string
		yml  string // after "site: wing.yaml\n", so a key's line is 2 or 3
		want []string
	}{
		{"webhook https", "webhook:\n  url: https://control-room.example/rfwarden\n", nil},
		{"webhook http refused", "webhook:\n  url: http://10.0.0.5:8080/hook\n",
			[]string{"[3:8] webhook.url:", `"http://10.0.0.5:8080/hook"`, "not https", "allow_http: true"}},
		{"webhook http allowed", "webhook:\n  url: http://10.0.0.5:8080/hook\n  allow_http: true\n", nil},
		{"webhook https with allow_http", "webhook:\n  url: https://10.0.0.5/hook\n  allow_http: true\n", nil},
		{"webhook none", "webhook:\n  url: \"\"\n", nil},
		{"webhook without scheme", "webhook:\n  url: control-room.example/rfwarden\n",
			[]string{"[3:8] webhook.url:", `"control-room.example/rfwarden"`, "http:// or https://", "3 |   url: control-room.example/rfwarden"}},
		{"webhook other scheme", "webhook:\n  url: ftp://control-room.example/rfwarden\n", []string{"[3:8] webhook.url:", "http:// or https://"}},
		{"webhook without host", "webhook:\n  url: https:///rfwarden\n", []string{"webhook.url:", "no host"}},
		{"webhook host and port only", "webhook:\n  url: control-room.example:8443\n", []string{"webhook.url:", "http:// or https://"}},
		{"webhook not a URL", "webhook:\n  url: \"http://a b\"\n", []string{"webhook.url:"}},
		// the error is printed and logged: the URL's token is hidden, in
		// the message and the file's line quoted (both shown whole until
		// 2026-12-06)
		{"webhook http refused, token in the path", "webhook:\n  url: http://hooks.example/services/T0/B0/s3cr3t\n",
			[]string{"[3:8] webhook.url:", `"http://hooks.example/services/xxxxx"`, "not https", "3 |   url: http://hooks.example/services/xxxxx"}},
		{"webhook not a URL, token in the query", "webhook:\n  url: \"https://hooks example/hook?token=s3cr3t\"\n", []string{"webhook.url:", "?token=xxxxx"}},
		{"syslog host and port", "syslog:\n  network: udp\n  addr: 127.0.0.1:514\n", nil},
		{"syslog IPv6", "syslog:\n  network: tcp\n  addr: \"[::1]:6514\"\n", nil},
		{"syslog name", "syslog:\n  network: udp\n  addr: logs.example:514\n", nil},
		{"syslog none", "syslog:\n  network: udp\n  addr: \"\"\n", nil},
		{"syslog without port", "syslog:\n  network: udp\n  addr: 127.0.0.1\n",
			[]string{"[4:9] syslog.addr:", `"127.0.0.1"`, "host:port", "4 |   addr: 127.0.0.1"}},
		{"syslog port 0", "syslog:\n  network: udp\n  addr: 127.0.0.1:0\n", []string{"[4:9] syslog.addr:", `port "0" is not a number in 1..65535`}},
		{"syslog port too big", "syslog:\n  network: udp\n  addr: 127.0.0.1:65536\n", []string{"syslog.addr:", "1..65535"}},
		{"syslog named port", "syslog:\n  network: udp\n  addr: 127.0.0.1:syslog\n", []string{"syslog.addr:", "1..65535"}},
		{"syslog without host", "syslog:\n  network: udp\n  addr: \":514\"\n", []string{"syslog.addr:", `":514" has no host, e.g. 127.0.0.1:514`}},
		{"syslog leading zero", "syslog:\n  network: udp\n  addr: 127.0.0.1:0514\n", nil},
		// taken until 2026-12-06: a host with a space failed to resolve
		// at every alert, in the log only; a signed port (strconv.Atoi
		// reads "+514") is not written so anywhere else
		{"syslog host with a space", "syslog:\n  network: udp\n  addr: \"127.0.0.1 :514\"\n",
			[]string{"[4:9] syslog.addr:", `host "127.0.0.1 " is not an IP address or host name`}},
		{"syslog host not a name", "syslog:\n  network: udp\n  addr: \"logs!.example:514\"\n", []string{"syslog.addr:", `host "logs!.example"`}},
		{"syslog signed port", "syslog:\n  network: udp\n  addr: \"127.0.0.1:+514\"\n", []string{"syslog.addr:", `port "+514" is not a number in 1..65535`}},
		{"syslog URL", "syslog:\n  network: udp\n  addr: \"udp://127.0.0.1:514\"\n", []string{"syslog.addr:", "is a URL, not host:port"}},
		{"notify tuned", "notify:\n  max_age: 6h\n  stale_after: 30s\n", nil},
		{"notify max_age negative", "notify:\n  max_age: -1h\n", []string{"[3:12] notify.max_age: -1h0m0s is outside"}},
		{"notify stale_after too long", "notify:\n  stale_after: 48h\n", []string{"[3:16] notify.stale_after: 48h0m0s is outside"}},
		// max_age at or below stale_after: an output that is down drops
		// everything while /healthz stays ok (its outbox is empty)
		{"notify max_age 1ms", "notify:\n  max_age: 1ms\n  stale_after: 24h\n", []string{"[3:12] notify.max_age:", "1ms", "at least 1m"}},
		{"notify max_age below stale_after", "notify:\n  max_age: 10m\n  stale_after: 20m\n", []string{"[3:12] notify.max_age:", "10m", "longer than notify.stale_after 20m"}},
		{"notify max_age equal to stale_after", "notify:\n  max_age: 5m\n  stale_after: 5m\n", []string{"[3:12] notify.max_age:", "longer than notify.stale_after"}},
		{"notify stale_after over the default max_age", "notify:\n  stale_after: 2h\n", []string{"[3:16] notify.stale_after:", "2h", "max_age 1h"}},
		{"notify max_age 1m", "notify:\n  max_age: 1m\n  stale_after: 30s\n", nil},
		{"broker TLS", "broker: ssl://broker.example:8883\n", nil},
		// until 2026-12-05 taken for tcp://, dialled in clear to the TLS port
		{"broker without scheme", "broker: broker.example:8883\n",
			[]string{"[2:9] broker:", `"broker.example:8883" has no scheme`, "ssl://broker.example:8883 for TLS", "2 | broker: broker.example:8883"}},
		{"broker without port", "broker: ssl://broker.example\n", []string{"broker:", "has no port (ssl://broker.example:8883?)"}},
		{"ca_file with TLS", "broker: ssl://broker.example:8883\nca_file: ca.pem\n", nil},
		// TLS was meant; paho would dial in clear and never read the CA
		{"ca_file without TLS", "broker: tcp://broker.example:1883\nca_file: ca.pem\n",
			[]string{"[3:10] ca_file:", "tcp:// is not encrypted, but ca_file is set", "use ssl://"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadFileConfig(strings.NewReader("site: wing.yaml\n"+tt.yml), "/etc/rfwarden")
			if tt.want == nil {
				if err != nil {
					t.Fatalf("%v, want it taken", err)
				}
				return
			}
			if err == nil {
				t.Fatal("taken, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error shows the token:\n%v", err)
			}
		})
	}
}

// TestCheckSubscription: fusion.yaml's subscription must match the
// topics of every sensor of the site; "rfw/v1/other/sensor/+/+" started
// and heard none of them. The refusal names the key's line (until
// 2026-12-07 it named the key alone).
func TestCheckSubscription(t *testing.T) {
	s := wing(t)
	for _, tc := range []struct {
		sub  string
		want string // in the error; "" = taken
	}{
		{"", ""},
		{"rfw/v1/hmp-test/sensor/+/+", ""},
		{"$share/fusion-a/rfw/v1/hmp-test/sensor/+/+", ""},
		{"rfw/v1/#", ""},
		{"rfw/v1/other/sensor/+/+", "sensors s1, s2"},
		{"rfw/v1/hmp-test/sensor/s1/+", "sensors s2"},
		{"rfw/v1/hmp-test/sensor/+/health", "rfw/v1/hmp-test/sensor/s1/detection"},
	} {
		yml := "site: wing.yaml\n"
		if tc.sub != "" {
			yml += "subscription: " + tc.sub + "\n"
		}
		c, err := LoadFileConfig(strings.NewReader(yml), "/etc/rfwarden")
		if err != nil {
			t.Fatal(err)
		}
		err = c.CheckSubscription(s)
		if tc.want != "" && err != nil && !strings.Contains(err.Error(), "fusion config: [2:15] subscription: ") {
			t.Errorf("%q: %v, want it to name the line of subscription", tc.sub, err)
		}
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v, want it taken", tc.sub, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "rfw/v1/hmp-test/sensor/+/+")):
			t.Errorf("%q: %v, want it refused naming %q and the default", tc.sub, err, tc.want)
		}
	}
}

// TestConfigErrorsHidePasswords: a broker, InfluxDB or webhook URL whose
// password holds a '#', '/' or a space does not parse, and the error
// says so without the password, in its words and in the line it shows:
// url.Parse's "invalid port \":s3cret\" after host" quoted it, and the
// line of a password with a space was shown whole.
func TestConfigErrorsHidePasswords(t *testing.T) {
	for _, yml := range []string{
		"broker: \"tcp://fusion:s3cret#PW@127.0.0.1:1883\"\n",
		"broker: \"tcp://fusion:s3cret/PW@127.0.0.1:1883\"\n",
		"broker: \"tcp://fusion:s3cret PW@127.0.0.1:1883\"\n",
		"broker: tcp://127.0.0.1:1883\ninflux: {url: \"http://u:s3cret#PW@127.0.0.1:8086\"}\n",
		"broker: tcp://127.0.0.1:1883\nwebhook: {url: \"https://u:s3cret#PW@hooks.example/x\"}\n",
	} {
		_, err := LoadFileConfig(strings.NewReader("site: wing.yaml\nclient_id: f\ndb: rfw.db\n"+yml), "/etc/rfwarden")
		if err == nil {
			t.Errorf("%q: loaded", yml)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "PW@") {
			t.Errorf("%q: the error shows the password:\n%v", yml, err)
		}
	}
}
