package fusion

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/fusion/locate"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/hostport"
	"github.com/rfwarden/rfwarden/internal/listenaddr"
	"github.com/rfwarden/rfwarden/internal/mqttlink"
	"github.com/rfwarden/rfwarden/internal/redact"
	"github.com/rfwarden/rfwarden/internal/yamlstrict"
)

// FileConfig is fusion.yaml, the configuration of `rfwarden fusion`.
// Relative paths are relative to the file's directory.
type FileConfig struct {
	Site     string `yaml:"site"`      // site YAML (required)
	Alerts   string `yaml:"alerts"`    // alert rules YAML; "" = defaults
	Broker   string `yaml:"broker"`    // MQTT broker URL; default tcp://127.0.0.1:1883
	ClientID string `yaml:"client_id"` // stable, for the persistent session; default rfwarden-fusion
	Username string `yaml:"username"`  // password from RFW_MQTT_PASSWORD
	// CAFile is the PEM file of the CA that signs the broker's
	// certificate, for an ssl:// broker (the sensor's mqtt.ca_file, the
	// dashboard's RFW_MQTT_CA); "" = the system's trust store.
	CAFile   string `yaml:"ca_file"`
	SeenFile string `yaml:"seen_file"` // idempotency state; "" = memory only
	// DB is the SQLite file holding the registry, alerts, incidents and
	// audit, shared with the dashboard, and, when no InfluxDB is
	// configured, detections, locations and health. Default rfwarden.db.
	DB string `yaml:"db"`
	// HistoryDays is how many days of detections, locations and health db
	// keeps, also those written before InfluxDB was configured (InfluxDB
	// has its retention policy, of HistoryDays when fusion creates the
	// database); older rows are deleted every hour. Default 90; -1 keeps
	// everything.
	HistoryDays int `yaml:"history_days"`
	// AlertDays is how many days db keeps a resolved alert (with its room
	// probabilities, track and evidence list) and a closed incident after
	// it was last updated; older ones are deleted every hour. An alert
	// that is pending or firing, or belongs to an open incident, and an
	// open incident are never deleted. Default 365; -1 keeps everything.
	AlertDays int `yaml:"alert_days"`
	// AuditDays is how many days db keeps an audit row (the whole
	// database's, of every site). Default 2190 (6 years); never less than
	// AlertDays; -1 keeps everything.
	AuditDays int `yaml:"audit_days"`
	// AuditViewDays is how many days db keeps the audit rows of views
	// (actions view.*: an alert, incident, heatmap or registry looked at),
	// but for snippet downloads (view.snippet), kept AuditDays. Default
	// 365; at most AuditDays; -1 (only with audit_days -1) keeps them.
	AuditViewDays int `yaml:"audit_view_days"`
	Influx        struct {
		URL      string `yaml:"url"`              // e.g. http://127.0.0.1:8086; the time series go here, not to DB; "" = in DB
		Database string `yaml:"database"`         // default rfwarden
		RP       string `yaml:"retention_policy"` // default autogen; history_days long when fusion creates the database
		Username string `yaml:"username"`         // password from RFW_INFLUX_PASSWORD
		SpoolDir string `yaml:"spool_dir"`        // buffer while InfluxDB is down; default influx-spool
		// SpoolMaxBytes bounds the spool: past it the oldest writes are
		// dropped (store.InfluxConfig.SpoolMaxBytes). Default 1 GiB, at
		// least MinSpoolMaxBytes; -1 no limit.
		SpoolMaxBytes int64 `yaml:"spool_max_bytes"`
		// WriteTimeout is how long one write request may wait for
		// InfluxDB's answer (store.InfluxConfig.WriteTimeout): default
		// 2m, MinInfluxWriteTimeout..MaxInfluxWriteTimeout.
		WriteTimeout time.Duration `yaml:"write_timeout"`
	} `yaml:"influx"`
	Model struct {
		Exponent       float64 `yaml:"exponent"`
		ShadowingDB    float64 `yaml:"shadowing_db"`
		FloorLossDB    float64 `yaml:"floor_loss_db"`
		GridStepM      float64 `yaml:"grid_step_m"`
		SensorHeightM  float64 `yaml:"sensor_height_m"`
		EmitterHeightM float64 `yaml:"emitter_height_m"`
	} `yaml:"model"`
	Webhook struct {
		URL       string `yaml:"url"`        // "" = no webhook
		SecretEnv string `yaml:"secret_env"` // environment variable holding the HMAC secret; default RFW_WEBHOOK_SECRET
		// AllowHTTP takes a plain http:// URL. Alerts carry rooms, user
		// names and free-text notes, so a webhook must be https:// unless
		// the config says explicitly that clear text is acceptable (a
		// receiver on the same host or an isolated network).
		AllowHTTP bool `yaml:"allow_http"`
	} `yaml:"webhook"`
	Syslog struct {
		Network string `yaml:"network"` // udp or tcp
		Addr    string `yaml:"addr"`    // "" = no syslog
	} `yaml:"syslog"`
	// Notify tunes the webhook's and syslog's outboxes (Notifier).
	Notify struct {
		// MaxAge is how long an undelivered notification is tried; older
		// ones are dropped, logged and counted. 0: 1h; else at least
		// MinNotifyMaxAge and longer than StaleAfter (checkNotify).
		MaxAge time.Duration `yaml:"max_age"`
		// StaleAfter: /healthz is degraded, naming the output and its last
		// error, while its oldest undelivered notification is older, and
		// for as long after it dropped one. 0: 1m.
		StaleAfter time.Duration `yaml:"stale_after"`
	} `yaml:"notify"`
	AssocWindow time.Duration `yaml:"assoc_window"` // Go duration; 0 = the default, 500ms
	LocateEvery time.Duration `yaml:"locate_every"` // Go duration; 0 = every group
	// BorrowWindow is Config.BorrowWindow: a phone's group is located with
	// every other sensor's power of the same channel from this long
	// before it (scanning sensors). 0: 3s; negative: none borrowed.
	BorrowWindow time.Duration `yaml:"borrow_window"`
	// AlertSettle is Config.AlertSettle: a new phone alert is announced
	// pending this long after its track's first fix, in the room its fixes
	// name then; a new sensor-offline alert waits as long for its sensor
	// to come back. 0: borrow_window; negative: at once.
	AlertSettle time.Duration `yaml:"alert_settle"`
	// HTTPAddr serves GET /healthz (JSON; 503 while the broker or the
	// database is unreachable, or InfluxDB's writes fail) and GET /metrics
	// (Prometheus), e.g.
	// 127.0.0.1:9465; "" = none.
	HTTPAddr string `yaml:"http_addr"`
	// Subscription overrides the MQTT topic filter fusion subscribes to;
	// default SiteTopic(site ID), "rfw/v1/<site>/sensor/+/+".
	Subscription string `yaml:"subscription"`

	// data is the file LoadFileConfig read: KeyError finds a key's line
	// in it.
	data []byte
}

// keyProblem is a value of fusion.yaml that does not validate: key is
// its path as written in the file (history_days, notify.max_age), msg
// what is wrong with it. LoadFileConfig reports it at the key's line
// (KeyError).
type keyProblem struct{ key, msg string }

func (p *keyProblem) Error() string { return p.key + ": " + p.msg }

// bad is a keyProblem of key, its message formatted.
func bad(key, format string, args ...any) error {
	return &keyProblem{key: key, msg: fmt.Sprintf(format, args...)}
}

// KeyError returns an error about the value of key (its path as written
// in fusion.yaml: db, influx.spool_dir) that names the key's line and
// column in the file LoadFileConfig read, and shows the line, as its own
// errors do ("fusion config: [3:5] db: ..."); without its line when the
// file leaves the key to its default.
func (c FileConfig) KeyError(key, msg string) error {
	return fmt.Errorf("fusion config: %w", yamlstrict.At(c.data, key, msg))
}

// located is err, a keyProblem at its key's line in c's file, with
// the prefix "fusion config: ".
func (c FileConfig) located(err error) error {
	var p *keyProblem
	if errors.As(err, &p) {
		return c.KeyError(p.key, p.msg)
	}
	return fmt.Errorf("fusion config: %w", err)
}

// LoadFileConfig reads fusion.yaml strictly, applies defaults and resolves
// relative paths against dir. Every error about a key the file gives
// names its line and column, and shows the line, whether its value is of
// the wrong type or out of range; until 2026-12-07 a range error named
// the key alone ("history_days 9999999999999 is more than 36500").
func LoadFileConfig(r io.Reader, dir string) (FileConfig, error) {
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return FileConfig{}, fmt.Errorf("read fusion config: %w", err)
	}
	c := FileConfig{Broker: "tcp://127.0.0.1:1883", ClientID: "rfwarden-fusion", DB: "rfwarden.db", HistoryDays: 90,
		AlertDays: 365, AuditDays: 2190, AuditViewDays: 365}
	c.Influx.SpoolDir = "influx-spool"
	c.Influx.SpoolMaxBytes = store.DefaultSpoolMaxBytes
	c.Influx.WriteTimeout = store.DefaultInfluxWriteTimeout
	if err := yamlstrict.Decode(data, &c); err != nil {
		return FileConfig{}, fmt.Errorf("decode fusion config: %w", err)
	}
	c.data = data
	if err := c.check(dir); err != nil {
		return FileConfig{}, c.located(err)
	}
	return c, nil
}

// check validates c, as decoded from c.data, applies the defaults left
// and resolves relative paths against dir. An error about a key is a
// keyProblem, or already names the key's line (yamlstrict.At).
func (c *FileConfig) check(dir string) error {
	data := c.data
	// As the sensor's mqtt.url: a broker URL without a scheme was dialled
	// as plain TCP, even to the broker's TLS port, password and all.
	sch, err := mqttlink.CheckURL(c.Broker)
	if err != nil {
		return bad("broker", "%v", err)
	}
	if err := mqttlink.CheckTLSFile(sch, "ca_file", c.CAFile); err != nil {
		return bad("ca_file", "%v", err)
	}
	if c.ClientID == "" {
		// paho connects with a persistent session (clean session off),
		// which MQTT refuses under an empty client ID: fusion retried for
		// ever with "identifier rejected"
		return bad("client_id", "empty: the broker keeps fusion's persistent session under it, and refuses one without an ID; give a stable ID (default rfwarden-fusion)")
	}
	if c.HTTPAddr != "" {
		if err := listenaddr.Check(c.HTTPAddr, listenaddr.FusionPort); err != nil {
			return bad("http_addr", "%v", err)
		}
	}
	if c.Site == "" {
		return bad("site", "missing: give the site file's path (e.g. site.yaml)")
	}
	if c.DB == "" {
		return bad("db", "empty: give fusion's SQLite file (default rfwarden.db)")
	}
	if c.HistoryDays == 0 {
		return bad("history_days", "0: give the days of history to keep in db (default 90), or -1 to keep everything")
	}
	if err := c.checkRanges(); err != nil {
		return err
	}
	if err := c.checkRetention(); err != nil {
		return err
	}
	if u := c.Influx.URL; u != "" {
		if msg := influxURLProblem(u); msg != "" {
			shown := bytes.ReplaceAll(data, []byte(u), []byte(redact.URL(u)))
			return yamlstrict.At(shown, "influx.url", msg) // the line quoted with the URL's password hidden
		}
	}
	if n := c.Influx.SpoolMaxBytes; n != -1 && n < MinSpoolMaxBytes {
		return bad("influx.spool_max_bytes", "%d is less than %d (16 MiB, a few of fusion's largest write batches): give the bytes the spool may take while InfluxDB is down (default 1073741824, 1 GiB; docs/deploy.md §6), or -1 for no limit", n, MinSpoolMaxBytes)
	}
	for _, p := range []*string{&c.Site, &c.Alerts, &c.SeenFile, &c.DB, &c.Influx.SpoolDir, &c.CAFile} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	if c.Syslog.Addr != "" && c.Syslog.Network != "udp" && c.Syslog.Network != "tcp" {
		return bad("syslog.network", "%q is not udp or tcp (syslog.addr is set)", c.Syslog.Network)
	}
	if err := c.checkOutputs(data); err != nil {
		return err
	}
	if err := c.checkNotify(data); err != nil {
		return err
	}
	if d := c.Influx.WriteTimeout; d < MinInfluxWriteTimeout || d > MaxInfluxWriteTimeout {
		return bad("influx.write_timeout", "%v is outside %v..%v: give how long one write may wait for InfluxDB's answer (default %v; docs/deploy.md §6)",
			d, MinInfluxWriteTimeout, MaxInfluxWriteTimeout, store.DefaultInfluxWriteTimeout)
	}
	if c.Webhook.SecretEnv == "" {
		c.Webhook.SecretEnv = "RFW_WEBHOOK_SECRET"
	}
	if c.Subscription != "" {
		if err := checkFilter(c.Subscription); err != nil {
			return bad("subscription", "%q: %v", c.Subscription, err)
		}
	}
	return nil
}

// MaxHistoryDays is the most days of history fusion.yaml may ask db to
// keep (100 years); -1 keeps everything. More overflowed the prune's
// time.Duration: 200000 days pruned everything stored.
const MaxHistoryDays = 36500

// checkRetention reports (a keyProblem) the first retention setting
// (alert_days, audit_days, audit_view_days) that is 0, below -1 or over
// MaxHistoryDays, or that would keep the audit for less time than the
// alerts it records, or views longer than the rest of the audit: of two
// settings at odds, the one the file gives (c.data; audit_days when it
// gives both).
func (c FileConfig) checkRetention() error {
	for _, d := range []struct {
		key string
		v   int
	}{{"alert_days", c.AlertDays}, {"audit_days", c.AuditDays}, {"audit_view_days", c.AuditViewDays}} {
		switch {
		case d.v == 0:
			return bad(d.key, "0: give the days to keep, or -1 to keep everything")
		case d.v < -1:
			return bad(d.key, "%d is negative: give the days to keep, or -1 to keep everything", d.v)
		case d.v > MaxHistoryDays:
			return bad(d.key, "%d is more than %d (100 years): give -1 to keep everything", d.v, MaxHistoryDays)
		}
	}
	days := func(v int) string {
		if v == -1 {
			return "-1 (for ever)"
		}
		return strconv.Itoa(v)
	}
	if c.AuditDays != -1 && (c.AlertDays == -1 || c.AuditDays < c.AlertDays) {
		if !yamlstrict.Has(c.data, "audit_days") {
			return bad("alert_days", "%s is longer than audit_days %d: the audit of an alert must outlive it", days(c.AlertDays), c.AuditDays)
		}
		return bad("audit_days", "%d is shorter than alert_days %s: the audit of an alert must outlive it", c.AuditDays, days(c.AlertDays))
	}
	if c.AuditDays != -1 && (c.AuditViewDays == -1 || c.AuditViewDays > c.AuditDays) {
		if !yamlstrict.Has(c.data, "audit_view_days") {
			return bad("audit_days", "%d is shorter than audit_view_days %s: views would be kept longer than the rest of the audit", c.AuditDays, days(c.AuditViewDays))
		}
		return bad("audit_view_days", "%s keeps views longer than audit_days %d", days(c.AuditViewDays), c.AuditDays)
	}
	return nil
}

// MinSpoolMaxBytes is the least influx.spool_max_bytes, 16 MiB.
const MinSpoolMaxBytes = 16 << 20

// The range of influx.write_timeout: under 5 s a healthy InfluxDB busy
// for a moment is taken as slow; over 30 min (two hours with the doubling
// after timeouts) a hung connection holds every write back for as long.
const (
	MinInfluxWriteTimeout = 5 * time.Second
	MaxInfluxWriteTimeout = 30 * time.Minute
)

// checkRanges reports (a keyProblem) the first setting outside the range
// it makes sense in: values that decoded but would break fusion without a word
// (a NaN path-loss exponent made every fix NaN; a negative window matched
// nothing; history_days over about 106000 overflowed and pruned all).
func (c FileConfig) checkRanges() error {
	switch {
	case c.HistoryDays > MaxHistoryDays:
		return bad("history_days", "%d is more than %d (100 years): give -1 to keep everything", c.HistoryDays, MaxHistoryDays)
	case c.HistoryDays < -1: // as alert_days and the audit's (checkRetention)
		return bad("history_days", "%d is negative: give the days to keep, or -1 to keep everything", c.HistoryDays)
	}
	durations := []struct {
		key string
		v   time.Duration
		max time.Duration
	}{
		{"assoc_window", c.AssocWindow, 10 * time.Second},
		{"locate_every", c.LocateEvery, time.Hour},
		{"notify.max_age", c.Notify.MaxAge, 7 * 24 * time.Hour},
		{"notify.stale_after", c.Notify.StaleAfter, 24 * time.Hour},
	}
	for _, d := range durations {
		if d.v < 0 || d.v > d.max {
			return bad(d.key, "%v is outside 0..%v (0: the default)", d.v, d.max)
		}
	}
	// Negative turns these off, so only a bound above: a window longer
	// than a minute would borrow a handset's power from where it was, or
	// keep the control room from hearing of a phone for as long.
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"borrow_window", c.BorrowWindow}, {"alert_settle", c.AlertSettle}} {
		if d.v > MaxSettleWindow {
			return bad(d.key, "%v is more than %v (0: the default, 3s; negative: off)", d.v, MaxSettleWindow)
		}
	}
	m := c.Model
	floats := []struct {
		key      string
		v        float64
		min, max float64 // besides 0, the default
	}{
		{"model.exponent", m.Exponent, 1, 8},
		{"model.shadowing_db", m.ShadowingDB, 0.1, 30},
		{"model.floor_loss_db", m.FloorLossDB, 0.1, 100},
		{"model.grid_step_m", m.GridStepM, MinGridStepM, MaxGridStepM},
		{"model.sensor_height_m", m.SensorHeightM, 0, 100},
		{"model.emitter_height_m", m.EmitterHeightM, 0, 100},
	}
	for _, f := range floats {
		if f.v != 0 && !(f.v >= f.min && f.v <= f.max) { // NaN fails both
			return bad(f.key, "%v is outside %v..%v (0: the default)", f.v, f.min, f.max)
		}
	}
	return nil
}

// MinGridStepM and MaxGridStepM bound model.grid_step_m (and loadtest's
// --grid-step-m): a finer grid is too large to build, and a coarser one
// locates every emitter at one point of a floor.
const (
	MinGridStepM = 0.05
	MaxGridStepM = 10
)

// checkOutputs reports a webhook URL or syslog address that every alert
// would fail to reach, at its line in data (the file): one without an
// http or https scheme and host, or a port, was taken and each alert then
// failed in the log only ("unsupported protocol scheme", "missing port in
// address"). A plain http:// webhook URL is refused unless
// webhook.allow_http is set: alerts would cross the network in clear.
func (c FileConfig) checkOutputs(data []byte) error {
	if u := c.Webhook.URL; u != "" {
		if msg := webhookURLProblem(u, c.Webhook.AllowHTTP); msg != "" {
			// the error quotes the file's line: with the URL's token hidden
			shown := bytes.ReplaceAll(data, []byte(u), []byte(redact.URL(u)))
			return yamlstrict.At(shown, "webhook.url", msg)
		}
	}
	if a := c.Syslog.Addr; a != "" {
		if msg := syslogAddrProblem(a); msg != "" {
			return yamlstrict.At(data, "syslog.addr", msg)
		}
	}
	return nil
}

// MaxSettleWindow is the longest borrow_window and alert_settle fusion.yaml
// may set.
const MaxSettleWindow = time.Minute

// MinNotifyMaxAge is the shortest notify.max_age fusion.yaml may set.
const MinNotifyMaxAge = time.Minute

// checkNotify reports, at its line in data, a notify.max_age under
// MinNotifyMaxAge or not longer than notify.stale_after (their defaults
// counted when unset): with max_age 1ms and stale_after 24h an output
// that was down dropped every notification while /healthz said ok, its
// outbox never holding one older than stale_after.
func (c FileConfig) checkNotify(data []byte) error {
	maxAge, stale := c.Notify.MaxAge, c.Notify.StaleAfter
	if maxAge == 0 {
		maxAge = DefaultNotifyMaxAge
	}
	if stale == 0 {
		stale = DefaultNotifyStaleAfter
	}
	switch {
	case c.Notify.MaxAge != 0 && maxAge < MinNotifyMaxAge:
		return yamlstrict.At(data, "notify.max_age", fmt.Sprintf("%v is too short: give at least %v (a receiver restarting takes longer), longer than notify.stale_after", maxAge, MinNotifyMaxAge))
	case maxAge <= stale && c.Notify.MaxAge != 0:
		return yamlstrict.At(data, "notify.max_age", fmt.Sprintf("%v must be longer than notify.stale_after %v: notifications would be dropped before /healthz says the output is behind", maxAge, stale))
	case maxAge <= stale:
		return yamlstrict.At(data, "notify.stale_after", fmt.Sprintf("%v must be shorter than notify.max_age %v (the default): notifications would be dropped before /healthz says the output is behind", stale, maxAge))
	}
	return nil
}

// webhookURLProblem is why raw is not a URL the webhook can post to, or
// ""; an http:// URL only with allowHTTP. It quotes raw as redact.URL
// shows it: a token in its path or query stays out of the log.
func webhookURLProblem(raw string, allowHTTP bool) string {
	const eg = " (e.g. https://control-room.example/rfwarden)"
	p, err := url.Parse(raw)
	u := redact.URL(raw) // the error is printed and logged: no token in it
	switch {
	case err != nil:
		return fmt.Sprintf("%q is not a URL: %s", u, redact.ParseProblem(raw, err))
	case p.Scheme != "http" && p.Scheme != "https":
		return fmt.Sprintf("%q is not an http:// or https:// URL%s", u, eg)
	case p.Hostname() == "":
		return fmt.Sprintf("%q has no host%s", u, eg)
	case !portInRange(p.Port()):
		return fmt.Sprintf("%q: port %s is not in 1..65535%s", u, p.Port(), eg)
	case p.Scheme == "http" && !allowHTTP:
		return fmt.Sprintf("%q is not https: alerts carry rooms, user names and notes; use https://, or set webhook.allow_http: true to send them in clear", u)
	}
	return ""
}

// CheckInfluxURL reports why raw is not the base URL of an InfluxDB
// server the store can write to and read from (influxURLProblem), quoting
// it without its password; the dashboard checks RFW_INFLUX_URL with it as
// fusion checks influx.url.
func CheckInfluxURL(raw string) error {
	if msg := influxURLProblem(raw); msg != "" {
		return errors.New(msg)
	}
	return nil
}

// influxURLProblem is why raw is not the base URL of an InfluxDB server
// the store can write to, or "": an http:// or https:// URL with a host,
// a port in 1..65535 if any, and no query or fragment (the store appends
// its own path and query; a path prefix, for a proxy, is kept). Until
// 2026-12-06 only the scheme was checked: "http://" and a host with a
// space loaded, and fusion spooled every write while InfluxDB "failed".
func influxURLProblem(raw string) string {
	const eg = " (e.g. http://127.0.0.1:8086)"
	u := redact.URL(raw)
	if !strings.Contains(raw, "://") {
		return fmt.Sprintf("%q is not http:// or https://: write http://%s", u, u)
	}
	p, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Sprintf("%q is not a URL: %s%s", u, redact.ParseProblem(raw, err), eg)
	case p.Scheme != "http" && p.Scheme != "https":
		return fmt.Sprintf("%q is not http:// or https://%s", u, eg)
	case p.Hostname() == "":
		return fmt.Sprintf("%q has no host%s", u, eg)
	case !portInRange(p.Port()):
		return fmt.Sprintf("%q: port %s is not in 1..65535%s", u, p.Port(), eg)
	case p.RawQuery != "" || p.Fragment != "" || p.ForceQuery:
		return fmt.Sprintf("%q has a query or fragment: give the server's base URL%s; the database is influx.database", u, eg)
	}
	return ""
}

// portInRange reports whether a URL's port is absent or in 1..65535
// (hostport: the digits url.Parse leaves in it).
func portInRange(port string) bool {
	if port == "" {
		return true
	}
	_, err := hostport.Rules{}.Port(port)
	return err == nil
}

// syslogAddrProblem is why a is not a host:port syslog can dial, or "":
// hostport's rule for an address to dial (a host, a port in 1..65535).
// Until 2026-12-06 the host went unchecked ("127.0.0.1 :514" loaded, and
// every alert failed to resolve it) and a signed port ("+514") was taken.
func syslogAddrProblem(a string) string {
	if err := (hostport.Rules{}).Check(a); err != nil {
		return err.Error() + ", e.g. 127.0.0.1:514"
	}
	return ""
}

// CheckSubscription refuses a subscription (fusion.yaml's override of
// the topic filter) that does not match the detection topic of every
// sensor of s, naming those it misses and the key's line: fusion started
// with it and heard none of its own sensors, without a word
// ("rfw/v1/other/sensor/+/+"). "" (the default, SiteTopic) passes.
func (c FileConfig) CheckSubscription(s *site.Site) error {
	sub := c.Subscription
	if sub == "" {
		return nil
	}
	var missed []string
	for _, sn := range s.Sensors {
		if !TopicMatches(sub, event.SensorTopic(s.ID, sn.ID, event.KindDetection)) {
			missed = append(missed, sn.ID)
		}
	}
	if len(missed) == 0 {
		return nil
	}
	return c.KeyError("subscription", fmt.Sprintf("%q does not match the topics of site %s's sensors %s (%s): fusion would hear none of what they send; leave it out for %s, or give a shared group of it ($share/GROUP/%s)",
		sub, s.ID, strings.Join(missed, ", "), event.SensorTopic(s.ID, missed[0], event.KindDetection), SiteTopic(s.ID), SiteTopic(s.ID)))
}

// checkFilter reports why f is not an MQTT topic filter (MQTT 3.1.1 §4.7):
// '+' only as a whole level, '#' only as the whole last level.
func checkFilter(f string) error {
	if strings.ContainsAny(f, "\x00 \t\n") {
		return errors.New("contains a NUL or white space")
	}
	levels := strings.Split(f, "/")
	for i, l := range levels {
		switch {
		case strings.Contains(l, "#") && (l != "#" || i != len(levels)-1):
			return errors.New("'#' must be the whole last level")
		case strings.Contains(l, "+") && l != "+":
			return errors.New("'+' must be a whole level")
		}
	}
	return nil
}

// EngineConfig converts the file configuration into a Config, loading the
// alert rules file when one is named.
func (c FileConfig) EngineConfig() (Config, error) {
	cfg := Config{SeenFile: c.SeenFile, Model: locate.Model{Exponent: c.Model.Exponent, ShadowingDB: c.Model.ShadowingDB,
		FloorLossDB: c.Model.FloorLossDB, GridStepM: c.Model.GridStepM, SensorHeightM: c.Model.SensorHeightM, EmitterHeightM: c.Model.EmitterHeightM}}
	cfg.AssocWindow, cfg.LocateEvery = c.AssocWindow, c.LocateEvery
	cfg.BorrowWindow, cfg.AlertSettle = c.BorrowWindow, c.AlertSettle
	cfg.Subscription = c.Subscription
	if c.Alerts != "" {
		f, err := os.Open(c.Alerts)
		if err != nil {
			return Config{}, fmt.Errorf("open alert rules: %w", err)
		}
		defer f.Close()
		ac, err := alert.LoadConfig(f)
		if err != nil {
			return Config{}, fmt.Errorf("alert rules %q: %w", c.Alerts, err)
		}
		cfg.Alerts = &ac
	}
	return cfg, nil
}

// CheckSecrets refuses a configuration whose webhook's HMAC secret is not
// in its environment variable (webhook.secret_env, RFW_WEBHOOK_SECRET).
// rfwarden fusion checks it before it connects to the broker or opens the
// database: the refusal came after both, and after the start line.
func (c FileConfig) CheckSecrets() error {
	if c.Webhook.URL != "" && os.Getenv(c.Webhook.SecretEnv) == "" {
		return fmt.Errorf("fusion config: webhook configured but $%s is empty: set it to the webhook's HMAC secret (the unit's EnvironmentFile)", c.Webhook.SecretEnv)
	}
	return nil
}

// MinWebhookSecretLen is the shortest webhook HMAC secret fusion takes
// without a warning, in bytes: 16 random bytes (32 hex digits) cannot be
// guessed; a word or a short PIN can, and with it anyone who can reach
// the receiver can sign alerts of their own (docs/deploy.md, "Webhook").
const MinWebhookSecretLen = 16

// SecretWarnings returns what is doubtful about the webhook's HMAC secret,
// one sentence each, for fusion to log at warn when it starts: one shorter
// than MinWebhookSecretLen bytes, or one that begins or ends with white
// space or holds a control character (a line end from a file edited on
// Windows, a space after the '='), which the receiver's own copy most
// likely lacks, so that every signature it checks fails. They are not
// refused: a site's receiver may already use such a secret, and refusing
// it would stop alerts reaching it. None without a webhook, or without
// its secret (CheckSecrets refuses that).
func (c FileConfig) SecretWarnings() []string {
	if c.Webhook.URL == "" {
		return nil
	}
	secret := os.Getenv(c.Webhook.SecretEnv)
	if secret == "" {
		return nil
	}
	var ws []string
	if len(secret) < MinWebhookSecretLen {
		ws = append(ws, fmt.Sprintf("webhook: $%s is %d bytes: a secret this short can be guessed, and with it alerts forged to the receiver; use at least %d random bytes (e.g. openssl rand -hex 32) in fusion's and the receiver's configuration",
			c.Webhook.SecretEnv, len(secret), MinWebhookSecretLen))
	}
	if strings.TrimSpace(secret) != secret || strings.ContainsFunc(secret, unicode.IsControl) {
		ws = append(ws, fmt.Sprintf("webhook: $%s begins or ends with white space or holds a control character (a line end from a file edited on Windows, a space after '='?): fusion signs with every byte of it, and a receiver that was given it without them refuses every delivery",
			c.Webhook.SecretEnv))
	}
	return ws
}

// Notifiers opens the webhook's and syslog's notifiers the file
// configures, with their outboxes in db (fusion's state database) under
// the site's ID. The caller runs each (Notifier.Run) and publishes alerts
// to them; queuing never waits for the receiver.
func (c FileConfig) Notifiers(ctx context.Context, db *sql.DB, site string, log *slog.Logger) ([]*Notifier, error) {
	opts := NotifyOptions{Site: site, MaxAge: c.Notify.MaxAge, StaleAfter: c.Notify.StaleAfter, Logger: log}
	var ns []*Notifier
	if c.Webhook.URL != "" {
		if err := c.CheckSecrets(); err != nil {
			return nil, err
		}
		secret := os.Getenv(c.Webhook.SecretEnv)
		o := opts
		o.Output = "webhook"
		// one attempt per delivery: the outbox retries, with the others going on
		o.Next = &Webhook{URL: c.Webhook.URL, Secret: []byte(secret), MaxAttempts: 1, Client: &http.Client{Timeout: 10 * time.Second}}
		n, err := OpenNotifier(ctx, db, o)
		if err != nil {
			return nil, err
		}
		ns = append(ns, n)
	}
	if c.Syslog.Addr != "" {
		host, _ := os.Hostname()
		o := opts
		o.Output = "syslog"
		// one connection, written under a lock: deliveries side by side
		// would only mix the log's order
		o.InFlight = 1
		o.Next = &Syslog{Network: c.Syslog.Network, Addr: c.Syslog.Addr, Hostname: host}
		n, err := OpenNotifier(ctx, db, o)
		if err != nil {
			return nil, err
		}
		ns = append(ns, n)
	}
	return ns, nil
}
