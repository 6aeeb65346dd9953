package hostport

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Rules are what an address may leave to the system beyond a host and
// a port in 1..65535. The zero Rules are those of an address to dial.
type Rules struct {
	// ZeroPort takes port 0: a listener's "any free port".
	ZeroPort bool
	// EmptyHost takes ":port": a listener's "every interface".
	EmptyHost bool
}

// Listen are the rules of an address to listen on: port 0 and an empty
// host taken.
func Listen() Rules { return Rules{ZeroPort: true, EmptyHost: true} }

// Port returns the number port names: ASCII decimal digits only (no
// sign, space, base prefix or other script's digits; leading zeros are
// read as net.Dial, net.Listen and url.Parse read them: "080" is 80)
// with a value in 1..65535, or 0..65535 under r.ZeroPort. Otherwise the
// error quotes port and gives the range; it names no setting.
func (r Rules) Port(port string) (int, error) {
	// ParseUint in base 10 takes ASCII digits only (no sign, no
	// underscore, no prefix) and refuses a value over 16 bits.
	if n, err := strconv.ParseUint(port, 10, 16); err == nil && (n > 0 || r.ZeroPort) {
		return int(n), nil
	}
	if r.ZeroPort {
		return 0, fmt.Errorf("port %q is not a number in 0..65535 (0: any free port)", port)
	}
	return 0, fmt.Errorf("port %q is not a number in 1..65535", port)
}

// Check reports why addr is not a host:port under r, or nil. The host is
// an IPv4 or bracketed IPv6 address (a zone allowed: [fe80::1%eth0]:514)
// or a host name, empty only under r.EmptyHost; the port is one r.Port
// takes. A URL (udp://host:514), a missing port and a host with a space
// or other character no host name has are refused. The error quotes addr
// and names no setting and gives no example: the caller adds its own.
func (r Rules) Check(addr string) error {
	if strings.Contains(addr, "://") {
		return fmt.Errorf("%q is a URL, not host:port: write the address alone", addr)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		var aerr *net.AddrError
		if errors.As(err, &aerr) {
			err = errors.New(aerr.Err)
		}
		return fmt.Errorf("%q is not host:port (%w)", addr, err)
	}
	if _, err := r.Port(port); err != nil {
		return fmt.Errorf("%q: %w", addr, err)
	}
	if host == "" {
		if r.EmptyHost {
			return nil
		}
		return fmt.Errorf("%q has no host", addr)
	}
	ip, _, _ := strings.Cut(host, "%") // an IPv6 zone
	if net.ParseIP(ip) != nil {
		return nil
	}
	if !hostName(host) {
		return fmt.Errorf("%q: host %q is not an IP address or host name", addr, host)
	}
	return nil
}

// hostName reports whether h is made of host name labels: letters,
// digits, '-' and '_' between dots, each label 1..63 long, 253 at most.
func hostName(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for l := range strings.SplitSeq(h, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}
