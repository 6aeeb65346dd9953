package mqttlink

import (
	"errors"

	"github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/rfwarden/rfwarden/internal/redact"
)

// Keys name the settings of a service that its operator fixes for a
// connection error, as the service's configuration spells them
// ("mqtt.url", "RFW_MQTT (--mqtt)"); Summary names the one at fault.
type Keys struct {
	URL         string // the broker's URL: nothing answers there
	Credentials string // the username and password
	CA          string // the CA that should sign the broker's certificate
	ClientID    string // the client ID
	Cert        string // the client certificate; "" for a service without one
}

// Summary says why a connection to the broker failed, or was lost, in a
// few words and the setting to fix, with no user name, host, port or
// password: "credentials refused (mqtt.username or mqtt.password_file)",
// "not reachable: connection refused (mqtt.url)", "the broker refused
// this node's certificate (mqtt.cert_file)". A public /healthz says
// this; the log has the whole error (Failed, Lost). "" for a nil err.
func Summary(err error, k Keys) string {
	with := func(what, key string) string {
		if key == "" {
			return what
		}
		return what + " (" + key + ")"
	}
	switch {
	case err == nil:
		return ""
	case CredentialsRefused(err):
		return with("credentials refused", k.Credentials)
	case errors.Is(err, packets.ErrorRefusedIDRejected):
		return with("client ID refused", k.ClientID)
	case errors.Is(err, packets.ErrorRefusedBadProtocolVersion):
		return with("the broker refused the MQTT protocol version", k.URL)
	case errors.Is(err, packets.ErrorRefusedServerUnavailable):
		return "the broker says it is unavailable"
	case refusedOwnCert(err) && k.Cert == "":
		return "the broker refused the connection: it asks for a client certificate, which this service does not send"
	case refusedOwnCert(err):
		// its TLS alert says why (expired, of an unknown CA); the log
		// has it, and Hint what to do
		return with("the broker refused this node's certificate", k.Cert)
	}
	switch why := redact.NetError(err); why {
	case "":
	case "TLS certificate not trusted":
		return with(why, k.CA)
	case "connection reset", "connection closed":
		// a connection that was made and ended: the broker stopped or
		// restarted, the network, another client with the same ID
		return "connection lost: " + why
	default:
		return with("not reachable: "+why, k.URL)
	}
	return "connection failed (the log has the error)"
}

// Summary is Summary of the latest error (Err) with o.Keys; "" while
// connected and before the first attempt has ended.
func (l *Link) Summary() string { return Summary(l.Err(), l.opts.Keys) }
