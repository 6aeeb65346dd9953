package mqttlink

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rfwarden/rfwarden/internal/redact"
)

// DefaultEvery is how often one and the same connection error is logged
// again while it lasts.
const DefaultEvery = time.Minute

// Options configure a Link.
type Options struct {
	Name   string       // what connects, the logs' prefix: "mqtt", "dashboard feed"
	Broker string       // the broker's URL, logged with each error (its password hidden)
	Logger *slog.Logger // nil: discard
	// Every is how often a failure with the same error is logged again
	// while it lasts (default DefaultEvery). A new error, and the first
	// failure after a connection, are logged at once.
	Every time.Duration
	Now   func() time.Time // nil: time.Now
	// Keys name the settings Reason and Summary point to for each
	// error.
	Keys Keys
	// Username is the username the client sends, which the hint of a
	// refused login names (never the password); "" for the Broker URL's
	// user, which paho sends, or none.
	Username string
}

// Link follows one client's connection; Watch installs it on the client's
// options. Its methods are safe for concurrent use.
type Link struct {
	opts Options
	log  *slog.Logger

	mu          sync.Mutex
	connected   bool
	connectedAt time.Time // when the last connection was made
	quickLosses int       // connections in a row lost within TakeoverDur, no failed attempt between
	lastErr     error
	failures    int64                // failed attempts since the start
	since       int64                // failed attempts since the last connection
	logged      map[string]time.Time // when each distinct error (errorKey) was last logged, since the last connection
	repeats     map[string]int       // failures with that error not logged since
}

// New returns a Link, not connected.
func New(o Options) *Link {
	if o.Every <= 0 {
		o.Every = DefaultEvery
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Name == "" {
		o.Name = "mqtt"
	}
	if u, err := url.Parse(o.Broker); err == nil && u.User != nil && o.Username == "" {
		o.Username = u.User.Username()
	}
	o.Broker = redact.URL(o.Broker) // a password in the URL stays out of the log
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Link{opts: o, log: log, logged: map[string]time.Time{}, repeats: map[string]int{}}
}

// Watch sets l as o's connection notification handler and returns o.
func (l *Link) Watch(o *mqtt.ClientOptions) *mqtt.ClientOptions {
	return o.SetConnectionNotificationHandler(l.Notify)
}

// Notify is a paho ConnectionNotificationHandler. paho calls it on its
// connecting goroutine, so it only logs and records.
func (l *Link) Notify(_ mqtt.Client, n mqtt.ConnectionNotification) {
	switch n := n.(type) {
	case mqtt.ConnectionNotificationFailed:
		l.Failed(n.Reason)
	case mqtt.ConnectionNotificationLost:
		l.Lost(n.Reason)
	case mqtt.ConnectionNotificationConnected:
		l.Connected()
	}
}

// Failed records a failed connection attempt and logs it at warning level:
// the first with each distinct error since the last connection, then again
// at most once per Options.Every (with how many failed meanwhile). Errors
// that differ only in the connection's local address and port are one
// error; the warning shows the full text of the one it logs.
func (l *Link) Failed(err error) {
	if err == nil {
		err = errors.New("connection failed")
	}
	l.mu.Lock()
	l.connected = false
	l.quickLosses = 0
	l.lastErr = err
	l.failures++
	l.since++
	key := errorKey(err)
	now := l.opts.Now()
	last, seen := l.logged[key]
	if seen && now.Sub(last) < l.opts.Every {
		l.repeats[key]++
		l.mu.Unlock()
		return
	}
	repeats := l.repeats[key]
	l.logged[key] = now
	l.repeats[key] = 0
	attempts := l.since
	l.mu.Unlock()
	args := []any{"broker", l.opts.Broker, "err", err, "failed_attempts", attempts}
	if seen {
		args = append(args, "same_error_since_last_logged", repeats)
	}
	if h := Hint(err, l.opts.Keys, l.opts.Username); h != "" {
		args = append(args, "hint", h)
	}
	l.log.Warn(l.opts.Name+": cannot connect to the MQTT broker, retrying", args...)
}

// TakeoverDur: connections that end within it of being made, twice
// running, with the broker taking the client back at once each time (no
// failed attempt between), are most likely another client with the same
// client ID taking the connection over; each client reconnects within
// seconds (paho's back-off stops at the services' 5 s) and ends the
// other's connection. A broker that stops or restarts ends one connection
// and refuses the next attempts.
const TakeoverDur = 30 * time.Second

// Lost records that an established connection was lost and logs it at
// warning level, with how long it lasted and a hint. MQTT 3.1.1 gives the
// client no reason (the error is EOF, or a reset, whoever ended it), so the
// hint names the possibilities, and says another client with the same
// client ID is most likely when the losses follow its pattern (TakeoverDur).
func (l *Link) Lost(err error) {
	if err == nil {
		err = errors.New("connection lost")
	}
	now := l.opts.Now()
	l.mu.Lock()
	var lasted time.Duration
	if l.connected && !l.connectedAt.IsZero() {
		lasted = now.Sub(l.connectedAt)
	}
	if l.connected && lasted < TakeoverDur {
		l.quickLosses++
	} else {
		l.quickLosses = 0
	}
	quick := l.quickLosses
	l.connected = false
	l.lastErr = err
	l.mu.Unlock()
	hint := "the broker stopped or restarted, the network dropped the connection, or another client connected with the same client ID"
	if quick >= 2 {
		hint = fmt.Sprintf("the last %d connections each ended within %v of being made, and the broker took this client back at once: "+
			"another client with the same client ID is most likely taking the connection over (a second process with this client ID)", quick, TakeoverDur)
	}
	l.log.Warn(l.opts.Name+": MQTT connection lost, reconnecting", "broker", l.opts.Broker, "err", err,
		"connected_for", lasted.Round(time.Second), "hint", hint)
}

// Connected records a connection. After failed attempts it says so at
// warning level, so that the end of the trouble is in the log too.
func (l *Link) Connected() {
	now := l.opts.Now()
	l.mu.Lock()
	l.connected = true
	l.connectedAt = now
	l.lastErr = nil
	after := l.since
	l.since = 0
	clear(l.logged)
	clear(l.repeats)
	l.mu.Unlock()
	if after > 0 {
		l.log.Warn(l.opts.Name+": connected to the MQTT broker", "broker", l.opts.Broker, "after_failed_attempts", after)
		return
	}
	l.log.Info(l.opts.Name+": connected to the MQTT broker", "broker", l.opts.Broker)
}

// IsConnected reports whether the last notification was a connection.
func (l *Link) IsConnected() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.connected
}

// ConnectedAt returns when the current connection was made; the zero
// time while not connected.
func (l *Link) ConnectedAt() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.connected {
		return time.Time{}
	}
	return l.connectedAt
}

// Err returns why the client is not connected: the error of the latest
// failed attempt or of the lost connection; nil while connected and before
// the first attempt has ended.
func (l *Link) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastErr
}

// Failures returns how many connection attempts failed since New.
func (l *Link) Failures() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failures
}

// Reason is the health reason of a client that is not connected: "not
// connected to the MQTT broker", with the latest error's Summary when
// there is one ("not connected to the MQTT broker: credentials refused
// (RFW_MQTT_USER or RFW_MQTT_PASSWORD)"). It names no user, host, port or
// password, for a public /healthz; the log has the whole error.
func (l *Link) Reason() string {
	const r = "not connected to the MQTT broker"
	if s := l.Summary(); s != "" {
		return r + ": " + s
	}
	return r
}

// Collectors returns the metrics prefix_mqtt_connected (1 while connected)
// and prefix_mqtt_connect_failures_total (failed connection attempts).
func (l *Link) Collectors(prefix string) []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: prefix + "_mqtt_connected",
			Help: "1 while connected to the MQTT broker, else 0."}, func() float64 {
			if l.IsConnected() {
				return 1
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: prefix + "_mqtt_connect_failures_total",
			Help: "Failed attempts to connect to the MQTT broker (the log has each distinct error)."},
			func() float64 { return float64(l.Failures()) }),
	}
}

// Hint says what to check for a connection error the operator fixes: the
// broker's refusal of the credentials, the client ID or this client's
// own certificate (a TLS alert), or its TLS certificate not trusted,
// naming the setting of k (a service's Keys) where there is one, and for
// a refused login the username sent, user (never the password); "" for
// other errors. The sensor, fusion and the
// dashboard all log it with each failed attempt (Link.Failed): until
// 2026-12-07 an untrusted certificate had none, and fusion logged
// "x509: certificate signed by unknown authority" without a word of the
// system's trust store, which alone it read then (fusion.yaml's ca_file
// came later).
func Hint(err error, k Keys, user string) string {
	switch {
	case CredentialsRefused(err) && user == "":
		return "the broker refused a login without a username" + keyNote(k.Credentials) + ": give the username and password the broker's password file has"
	case CredentialsRefused(err):
		return fmt.Sprintf("the broker refused username %q or its password: check them and the broker's password file", user)
	case errors.Is(err, packets.ErrorRefusedIDRejected):
		return "the broker refused the client ID"
	}
	var hostname x509.HostnameError
	var unknownCA x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &hostname):
		return "the broker's certificate does not name the host of the broker URL" + keyNote(k.URL) +
			": give the name or address its certificate has (its subjectAltName; docs/deploy.md section 2)"
	case errors.As(err, &unknownCA):
		return "the broker's certificate is not signed by a CA this host trusts: " + trustNote(k)
	case errors.As(err, &invalid):
		return "the broker's certificate is expired, not valid yet, or not one for a server: renew it (docs/deploy.md section 2)"
	case refusedOwnCert(err):
		if k.Cert == "" {
			return "the broker refused this client's certificate or asks for one, which this service does not send: connect to the broker's listener for passwords (docs/deploy.md section 2)"
		}
		return "the broker refused this node's certificate" + keyNote(k.Cert) + ": renew it, or check this node's clock (docs/deploy.md section 2)"
	}
	return ""
}

// certAlerts are the TLS alerts a broker sends when it refuses a client's
// certificate: expired (45), bad (42), of an unknown CA (48), or none
// sent where one is required (116).
var certAlerts = []tls.AlertError{45, 42, 48, 116}

// refusedOwnCert reports whether err is the broker's TLS alert refusing
// this client's certificate. crypto/tls returns a received alert as a
// net.OpError "remote error" around an unexported type whose text is the
// AlertError's.
func refusedOwnCert(err error) bool {
	var remote *net.OpError
	if !errors.As(err, &remote) || remote.Op != "remote error" || remote.Err == nil {
		return false
	}
	for _, a := range certAlerts {
		if remote.Err.Error() == a.Error() {
			return true
		}
	}
	return false
}

// CredentialsRefused reports whether err is the broker refusing a
// connection's username or password (CONNACK "not Authorized" or "bad
// user name or password"): what a client whose password can change
// under it (the sensor's mqtt.password_file) reads its password again
// for.
func CredentialsRefused(err error) bool {
	return errors.Is(err, packets.ErrorRefusedNotAuthorised) || errors.Is(err, packets.ErrorRefusedBadUsernameOrPassword)
}

// trustNote says where a service looks for the CA that signs the
// broker's certificate, and how to give it.
func trustNote(k Keys) string {
	if k.CA != "" {
		return "give the site CA in " + k.CA + " (with none, the system's trust store is used; docs/deploy.md section 2)"
	}
	return "give the site CA (docs/deploy.md section 2)"
}

// keyNote is " (key)", or "" for no key.
func keyNote(key string) string {
	if key == "" {
		return ""
	}
	return " (" + key + ")"
}

// localAddr matches the local end of a connection in a net.OpError's text,
// "127.0.0.1:55006->" of "read tcp 127.0.0.1:55006->127.0.0.1:8883: ...":
// an IPv4 or bracketed IPv6 address and port, then the arrow.
var localAddr = regexp.MustCompile(`(?:\[[^\]]+\]|[0-9]{1,3}(?:\.[0-9]{1,3}){3}):[0-9]+->`)

// errorKey is what tells two failures' errors apart: the error's text
// without the local end of the connection, whose ephemeral port differs
// from one attempt to the next (so that "read: connection reset by peer"
// every 0.5 s is one error, not a new one each time).
func errorKey(err error) string { return ReasonKey(err.Error()) }

// ReasonKey returns an error text or health reason without the local
// address and port of the connection it names, so that reasons that
// differ only in the ephemeral port of each attempt compare equal.
func ReasonKey(reason string) string { return localAddr.ReplaceAllString(reason, "") }

// Scheme is a broker URL scheme paho dials and whether it is encrypted.
type Scheme struct {
	Name string
	TLS  bool
}

// Schemes are the URL schemes paho (eclipse/paho.mqtt.golang 1.5,
// openConnection) dials, in the order errors list them.
var Schemes = []Scheme{
	{"tcp", false}, {"mqtt", false}, {"ssl", true}, {"tls", true}, {"mqtts", true}, {"mqtt+ssl", true},
	{"tcps", true}, {"ws", false}, {"wss", true}, {"unix", false},
}

// LookupScheme returns the scheme of Schemes named name (any case), and
// whether there is one.
func LookupScheme(name string) (Scheme, bool) {
	name = strings.ToLower(name)
	for _, s := range Schemes {
		if s.Name == name {
			return s, true
		}
	}
	return Scheme{}, false
}

// SchemeNames lists the names of Schemes, comma separated, for errors.
func SchemeNames() string {
	names := make([]string, len(Schemes))
	for i, s := range Schemes {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}
