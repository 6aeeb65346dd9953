package listenaddr

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Check reports why addr is not a host:port to listen on, or nil. The
// host may be empty (every interface), an IPv4 or bracketed IPv6 address
// (a zone allowed: [fe80::1%eth0]:9464) or a host name; the port a number
// 0..65535, 0 letting the system choose. A URL (http://0.0.0.0:8080), a
// missing port, a port out of range or named, and a host with a space or
// other character no host name has are refused; the error quotes addr and
// gives an example, and names no setting (the caller prefixes its own).
func Check(addr string) error {
	const eg = "e.g. 127.0.0.1:9464, :9464 or [::1]:9464"
	if strings.Contains(addr, "://") {
		return fmt.Errorf("%q is a URL, not host:port: write the address alone (%s)", addr, eg)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		var aerr *net.AddrError
		if errors.As(err, &aerr) {
			err = errors.New(aerr.Err)
		}
		return fmt.Errorf("%q is not host:port (%w), %s", addr, err, eg)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || port != strconv.Itoa(n) {
		return fmt.Errorf("%q: port %q is not a number in 0..65535 (0: any free port), %s", addr, port, eg)
	}
	if host == "" {
		return nil
	}
	ip, _, _ := strings.Cut(host, "%") // an IPv6 zone
	if net.ParseIP(ip) != nil {
		return nil
	}
	if !hostName(host) {
		return fmt.Errorf("%q: host %q is not an IP address or host name, %s", addr, host, eg)
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
