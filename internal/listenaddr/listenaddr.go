package listenaddr

import (
	"fmt"

	"github.com/rfwarden/rfwarden/internal/hostport"
)

// Check reports why addr is not a host:port to listen on, or nil: it is
// hostport.Check under hostport.Listen. The host may be empty (every
// interface), an IPv4 or bracketed IPv6 address (a zone allowed:
// [fe80::1%eth0]:9464) or a host name; the port a number 0..65535, 0
// letting the system choose. A URL (http://0.0.0.0:8080), a missing
// port, a port out of range or named, and a host with a space or other
// character no host name has are refused; the error quotes addr and
// gives an example on port, the caller's own default (the sensor's 9464,
// fusion's 9465, the dashboard's 8080: until 2026-12-07 every one gave
// the sensor's), and names no setting (the caller prefixes its own).
func Check(addr string, port int) error {
	if err := hostport.Listen().Check(addr); err != nil {
		return fmt.Errorf("%w, e.g. 127.0.0.1:%d, :%d or [::1]:%d", err, port, port, port)
	}
	return nil
}

// The default ports of the services' listeners, the examples of their
// errors (docs/deploy.md).
const (
	SensorPort    = 9464 // the sensor's http_addr: /healthz and /metrics
	FusionPort    = 9465 // fusion's http_addr: /healthz and /metrics
	DashboardPort = 8080 // the dashboard's RFW_LISTEN (and the demo's --listen)
)
