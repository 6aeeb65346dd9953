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
// gives an example, and names no setting (the caller prefixes its own).
func Check(addr string) error {
	if err := hostport.Listen().Check(addr); err != nil {
		return fmt.Errorf("%w, e.g. 127.0.0.1:9464, :9464 or [::1]:9464", err)
	}
	return nil
}
