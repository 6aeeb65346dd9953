package mqttlink

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/rfwarden/rfwarden/internal/hostport"
	"github.com/rfwarden/rfwarden/internal/redact"
)

// CheckURL reports why raw is not a broker URL paho dials as meant, and
// returns its scheme when it is: no scheme (paho takes such a URL for
// plain TCP, even to the broker's TLS port, and sends the password in
// clear), a scheme paho does not know, a TCP or TLS URL without a host
// or port (paho adds no port), a port outside 1..65535 (url.Parse takes
// any digits: tcp://host:99999 failed only when dialled), a WebSocket URL
// without a host, a unix URL naming no socket. The errors quote raw without its password and
// name no setting: the caller prefixes the one it checked (mqtt.url,
// broker, RFW_MQTT). The sensor, fusion and the dashboard all check
// their broker URL with it.
func CheckURL(raw string) (Scheme, error) {
	shown := redact.URL(raw)
	if !strings.Contains(raw, "://") {
		return Scheme{}, fmt.Errorf("%q has no scheme: write tcp://%s, or ssl://%s for TLS", shown, shown, shown)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// not the parser's words when raw holds a password: they quote
		// where it stumbled, the password itself ("invalid port
		// \":s3cret\"" for tcp://u:s3cret#PW@host:1883)
		return Scheme{}, fmt.Errorf("%q: %s", shown, redact.ParseProblem(raw, err))
	}
	sch, ok := LookupScheme(u.Scheme)
	if !ok {
		return Scheme{}, fmt.Errorf("scheme %q is not one paho dials: %s", u.Scheme, SchemeNames())
	}
	if p := u.Port(); p != "" && sch.Name != "unix" {
		if _, err := (hostport.Rules{}).Port(p); err != nil {
			return Scheme{}, fmt.Errorf("%q: port %s is not in 1..65535", shown, p)
		}
	}
	switch sch.Name {
	case "unix":
		if u.Host == "" && u.Path == "" {
			return Scheme{}, fmt.Errorf("%q names no socket (unix:///run/mosquitto/mqtt.sock)", shown)
		}
	case "ws", "wss":
		// the WebSocket dialer adds the default port
		if u.Host == "" {
			return Scheme{}, fmt.Errorf("%q has no host", shown)
		}
	default:
		port := "1883"
		if sch.TLS {
			port = "8883"
		}
		if u.Port() == "" {
			return Scheme{}, fmt.Errorf("%q has no port (%s://%s:%s?)", shown, u.Scheme, u.Hostname(), port)
		}
		if u.Hostname() == "" {
			return Scheme{}, fmt.Errorf("%q has no host (%s://127.0.0.1:%s?)", shown, u.Scheme, u.Port())
		}
	}
	return sch, nil
}

// CheckTLSFile reports a TLS file (a CA or a client certificate) set,
// under the setting key names (mqtt.ca_file, RFW_MQTT_CA (--mqtt-ca)),
// for a broker URL of scheme sch that is not encrypted: TLS was meant,
// and paho would dial in clear, the password with it, never reading the
// file. The sensor and the dashboard check their TLS settings with it.
func CheckTLSFile(sch Scheme, key, path string) error {
	if sch.TLS || path == "" {
		return nil
	}
	return fmt.Errorf("%s:// is not encrypted, but %s is set: the password would go in clear; use ssl:// (or tls://, mqtts://, wss://)", sch.Name, key)
}
