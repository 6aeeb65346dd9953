package publish

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/mqttlink"
)

// QoS levels used by the sensor.
const (
	QoS0 byte = 0
	QoS1 byte = 1
)

// ErrNotConnected is returned by Publish while the client has no connection.
var ErrNotConnected = errors.New("mqtt not connected")

// Client is the MQTT seam: production uses NewPaho, tests inject a fake.
type Client interface {
	// Connect connects, trying again until connected or ctx ends. Once
	// connected, a client with auto-reconnect reconnects in the background.
	Connect(ctx context.Context) error
	// Publish sends one message and, for QoS 1, waits for the broker's PUBACK
	// or until ctx ends.
	Publish(ctx context.Context, topic string, qos byte, retained bool, payload []byte) error
	IsConnected() bool
	// Disconnect closes the connection (the last will is not sent).
	Disconnect()
}

// ConnectErrorer is a Client that tells why it is not connected, for the
// sensor's /healthz and /metrics.
type ConnectErrorer interface {
	// ConnectError returns the error of the latest failed connection
	// attempt, or of the lost connection; nil while connected.
	ConnectError() error
	// ConnectFailures returns how many connection attempts failed.
	ConnectFailures() int64
}

// Options configures a Client.
type Options struct {
	BrokerURL string
	ClientID  string // the sensor ID
	Username  string
	Password  string
	// PasswordFile, when set, is the file Password was read from
	// (ReadPasswordFile; the node's mqtt.password_file): after the broker
	// refuses the credentials, the client reads it again and tries the
	// next attempt with what it holds, so that a password rotated by
	// installing a new bundle and reloading the broker is taken up without
	// a restart.
	PasswordFile string
	TLS          *tls.Config // nil: plain or system default for ssl://
	StatusTopic  string      // LWT "offline" and "online" on connect, both retained
	KeepAliveDur time.Duration
	Logger       *slog.Logger
	// Subscribe lists the topics subscribed to at every connect. The
	// session persists (clean session off), so the broker keeps QoS 1
	// messages for them while the sensor is away.
	Subscribe []Subscription
	// Keys name the node's settings the connection's warnings point to
	// (mqttlink.Hint: "give the site CA in mqtt.ca_file").
	Keys mqttlink.Keys
	// Connecting, when not nil, is called before every connection
	// attempt, on the client's goroutine, so before any message of that
	// connection is handled: the agent closes its Gate there.
	Connecting func()
	// Link, when not nil, is called with true from paho's OnConnect
	// handler and with false from its ConnectionLost handler, on the
	// client's goroutine: the agent's rfwarden_mqtt_connected and
	// rfwarden_sensor_state follow it.
	Link func(up bool)
}

// Subscription is a topic a Client receives, and what handles its messages.
// Handle runs on the client's network goroutine, one message at a time: it
// must not block for long.
type Subscription struct {
	Topic  string // exact, without wildcards
	QoS    byte
	Handle func(payload []byte)
	// Refused, when not nil, is called (instead of a warning logged) when
	// the broker refuses the subscription (SUBACK failure code 0x80, an
	// ACL), on a goroutine of its own.
	Refused func()
}

// Factory makes a Client; the agent takes one so tests inject a fake.
type Factory func(Options) (Client, error)

// TLSConfig builds a TLS config from PEM files: caFile (may be empty: system
// roots) and an optional client certificate and key.
func TLSConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %q: no PEM certificates", caFile)
		}
		cfg.RootCAs = pool
	}
	if certFile != "" || keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("load client certificate %q: %w", certFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// ReadPasswordFile returns the first line of path, trimmed.
func ReadPasswordFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read password file: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line), nil
}

// passwordFile is the password a client sends, read again from its file
// after the broker refuses it.
type passwordFile struct {
	path string
	log  *slog.Logger

	mu       sync.Mutex
	password string
	readErr  string // the last reread's error, logged once while it lasts
}

func (p *passwordFile) get() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.password
}

// reread reads the file again and takes its password, logging at warning
// level (the sensor's default shows no less) when it is a new one, and
// when the file cannot be read or is empty (the password kept).
func (p *passwordFile) reread() {
	pw, err := ReadPasswordFile(p.path)
	if err == nil && pw == "" {
		err = errors.New("empty: its first line is the password")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		if err.Error() != p.readErr {
			p.readErr = err.Error()
			p.log.Warn("mqtt: the broker refused the password and the password file cannot be read again: retrying with the password read before",
				"password_file", p.path, "err", err)
		}
		return
	}
	p.readErr = ""
	if pw == p.password {
		return
	}
	p.password = pw
	p.log.Warn("mqtt: the broker refused the password: read a new one from the password file, trying it next",
		"password_file", p.path)
}

type pahoClient struct {
	c      mqtt.Client
	log    *slog.Logger
	status string // status topic; "" when none
	link   *mqttlink.Link
}

var (
	_ Client         = (*pahoClient)(nil)
	_ Starter        = (*pahoClient)(nil)
	_ ConnectErrorer = (*pahoClient)(nil)
)

// NewPaho returns the production Client over paho. It validates opts and does
// not touch the network until Connect.
func NewPaho(opts Options) (Client, error) {
	if opts.BrokerURL == "" {
		return nil, errors.New("mqtt: broker URL missing")
	}
	if !event.ValidID(opts.ClientID) {
		return nil, fmt.Errorf("mqtt: client ID %q is not a valid sensor ID", opts.ClientID)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	keep := opts.KeepAliveDur
	if keep <= 0 {
		keep = 30 * time.Second
	}
	// The Outbox is the durable store: it sends again whatever the broker
	// did not acknowledge. paho still needs a store of its own in memory:
	// with a persistent session it frees the message ID of a publish whose
	// PUBACK a dropped connection lost only when it sends the message again
	// from its store after reconnecting. With no store every outage leaked
	// the IDs of the publishes in flight, and after about 4000 outages every
	// publish failed with "no message IDs available". The copy it sends
	// again is one more duplicate, which receivers drop by event ID. The
	// store keeps copies (mqttlink.NewStore), not paho's MemoryStore.
	o := mqttlink.NewClientOptions().
		AddBroker(opts.BrokerURL).
		SetClientID(opts.ClientID).
		SetCleanSession(false).
		SetWriteTimeout(5 * time.Second).
		SetOrderMatters(true).
		SetKeepAlive(keep).
		SetAutoReconnect(true).
		// Connect retries the first connection itself, backing off as
		// paho's reconnects do: paho retries it at a fixed interval
		SetConnectRetry(false).
		SetMaxReconnectInterval(connectRetryMax).
		SetConnectTimeout(5 * time.Second)
	if opts.Username != "" {
		o.SetUsername(opts.Username).SetPassword(opts.Password)
	}
	var pw *passwordFile
	if opts.PasswordFile != "" {
		pw = &passwordFile{path: opts.PasswordFile, log: log, password: opts.Password}
		o.SetCredentialsProvider(func() (string, string) { return opts.Username, pw.get() })
	}
	if opts.TLS != nil {
		o.SetTLSConfig(opts.TLS)
	}
	if opts.StatusTopic != "" {
		o.SetWill(opts.StatusTopic, event.StatusOffline, QoS1, true)
	}
	subs := slices.Clone(opts.Subscribe)
	o.SetOnConnectHandler(func(c mqtt.Client) {
		// Handlers must not block: publish and subscribe without waiting.
		if opts.Link != nil {
			opts.Link(true)
		}
		if opts.StatusTopic != "" {
			c.Publish(opts.StatusTopic, QoS1, true, event.StatusOnline)
		}
		for _, sub := range subs {
			subscribe := func() mqtt.Token {
				return c.Subscribe(sub.Topic, sub.QoS, func(_ mqtt.Client, m mqtt.Message) { sub.Handle(m.Payload()) })
			}
			tok := subscribe()
			go func() {
				err := mqttlink.AwaitGranted(tok, subscribe, 10*time.Second, log, sub.Topic)
				switch {
				case err == nil:
				case errors.Is(err, mqttlink.ErrSubackRefused) && sub.Refused != nil:
					sub.Refused()
				default:
					log.Warn("mqtt subscribe", "topic", sub.Topic, "err", err)
				}
			}()
		}
	})
	if opts.Link != nil {
		o.SetConnectionLostHandler(func(mqtt.Client, error) { opts.Link(false) })
	}
	// Messages the broker kept for the session may arrive before the
	// subscriptions are made again: route them by topic.
	o.SetDefaultPublishHandler(func(_ mqtt.Client, m mqtt.Message) {
		for _, sub := range subs {
			if sub.Topic == m.Topic() {
				sub.Handle(m.Payload())
				return
			}
		}
	})
	if opts.Connecting != nil {
		o.SetConnectionAttemptHandler(func(_ *url.URL, tc *tls.Config) *tls.Config {
			opts.Connecting()
			return tc
		})
	}
	// Connect and paho retry for ever (AutoReconnect) and paho keeps each
	// attempt's error to itself: the link logs them (a wrong password,
	// an untrusted certificate) and the loss of a connection.
	link := mqttlink.New(mqttlink.Options{Name: "mqtt", Broker: opts.BrokerURL, Logger: log, Keys: opts.Keys, Username: opts.Username})
	link.Watch(o)
	if pw != nil {
		// paho notifies on its connecting goroutine, before it waits for
		// the next attempt, which asks the credentials provider.
		o.SetConnectionNotificationHandler(func(c mqtt.Client, n mqtt.ConnectionNotification) {
			link.Notify(c, n)
			if f, ok := n.(mqtt.ConnectionNotificationFailed); ok && mqttlink.CredentialsRefused(f.Reason) {
				pw.reread()
			}
		})
	}
	return &pahoClient{c: mqtt.NewClient(o), log: log, status: opts.StatusTopic, link: link}, nil
}

// ConnectError implements ConnectErrorer.
func (p *pahoClient) ConnectError() error { return p.link.Err() }

// ConnectFailures implements ConnectErrorer.
func (p *pahoClient) ConnectFailures() int64 { return p.link.Failures() }

// Connect retries the first connection until it is made or ctx ends,
// connectRetryMin after a failed attempt, twice as long after each next
// one, at most connectRetryMax (as fusion and the dashboard, which try
// every 5 s): a broker down for long is not tried twice a second. Once
// connected, paho reconnects by itself with its own back-off, at most
// connectRetryMax too.
func (p *pahoClient) Connect(ctx context.Context) error {
	d := connectRetryMin
	for {
		err := wait(ctx, p.c.Connect())
		if err == nil || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		d = min(2*d, connectRetryMax)
	}
}

// The first connection's retries: connectRetryMin after the first failed
// attempt, doubling to connectRetryMax, also paho's longest wait between
// reconnects.
const (
	connectRetryMin = 500 * time.Millisecond
	connectRetryMax = 5 * time.Second
)

func (p *pahoClient) Publish(ctx context.Context, topic string, qos byte, retained bool, payload []byte) error {
	if !p.c.IsConnectionOpen() {
		return ErrNotConnected
	}
	return wait(ctx, p.c.Publish(topic, qos, retained, payload))
}

// Start hands the message to paho, which sends messages in the order they
// are handed over, and returns; wait waits for the PUBACK. Handing over
// waits while paho's outgoing queue is full, at most the write timeout (5 s).
func (p *pahoClient) Start(topic string, qos byte, retained bool, payload []byte) func(ctx context.Context) error {
	if !p.c.IsConnectionOpen() {
		return func(context.Context) error { return ErrNotConnected }
	}
	t := p.c.Publish(topic, qos, retained, payload)
	return func(ctx context.Context) error { return wait(ctx, t) }
}

func (p *pahoClient) IsConnected() bool { return p.c.IsConnectionOpen() }

// Disconnect announces "offline" (retained) and closes the connection. A clean
// MQTT disconnect discards the last will, so without this a sensor stopped on
// purpose would stay "online" at the broker for ever.
func (p *pahoClient) Disconnect() {
	if p.status != "" && p.c.IsConnectionOpen() {
		t := p.c.Publish(p.status, QoS1, true, event.StatusOffline)
		if !t.WaitTimeout(2*time.Second) || t.Error() != nil {
			p.log.Warn("mqtt: could not announce offline before disconnecting", "err", t.Error())
		}
	}
	p.c.Disconnect(250)
}

func wait(ctx context.Context, t mqtt.Token) error {
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}
