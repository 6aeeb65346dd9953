package dashboard

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// AllowedHostsSetting names the setting that lists the host names the
// dashboard answers to, as its refusals and errors name it.
const AllowedHostsSetting = "RFW_ALLOWED_HOSTS (--allowed-hosts)"

// ErrAllowedHosts is wrapped by ParseAllowedHosts' and New's errors for
// a bad entry of the allowed host names.
var ErrAllowedHosts = errors.New("allowed hosts")

// AnyHost in Deps.AllowedHosts lets any Host header through: for a
// dashboard behind a reverse proxy that checks it.
const AnyHost = "*"

// ParseAllowedHosts reads a comma-separated list of host names
// (RFW_ALLOWED_HOSTS): each a DNS name (letters, digits, '-' and '_' in
// dot-separated labels of 1 to 63 characters, 253 in all; a trailing dot
// dropped, upper case folded), a DNS name under a "*." (every name one
// or more labels below it: "*.hmp-north.example" allows
// "dash.hmp-north.example", not "hmp-north.example"; at least two labels
// under the star, so not a whole top-level domain), an IP literal, or "*"
// alone (any host). Spaces around an entry are dropped; "" is the empty
// list. An empty entry, a port, a scheme, a path or any other wildcard is
// refused, naming the entry; the error wraps ErrAllowedHosts.
func ParseAllowedHosts(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	var hosts []string
	for i, raw := range strings.Split(list, ",") {
		h, err := normalAllowedHost(strings.TrimSpace(raw))
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d %q: %v", ErrAllowedHosts, i+1, trimHost(strings.TrimSpace(raw)), err)
		}
		hosts = append(hosts, h)
	}
	if len(hosts) > 1 {
		for _, h := range hosts {
			if h == AnyHost {
				return nil, fmt.Errorf("%w: %q with other names: \"*\" allows any host, give it alone", ErrAllowedHosts, trimHost(list))
			}
		}
	}
	return hosts, nil
}

// normalAllowedHost checks one entry of the allowed hosts and returns it
// as the Host check compares it (lower case, no trailing dot).
func normalAllowedHost(h string) (string, error) {
	switch {
	case h == "":
		return "", errors.New("empty (two commas, or one at an end?)")
	case h == AnyHost:
		return h, nil
	case strings.Contains(h, "://"):
		return "", errors.New("a URL: give the host name only, e.g. dashboard.example.org")
	case strings.HasPrefix(h, wildcardPrefix) && !strings.ContainsAny(h[len(wildcardPrefix):], "*?"):
		under, err := normalAllowedHost(h[len(wildcardPrefix):])
		switch {
		case err != nil:
			return "", err
		case strings.Count(under, ".") < 1:
			return "", fmt.Errorf("a wildcard over a whole top-level domain (%q): give at least two labels under the \"*.\", e.g. *.hmp-north.example", under)
		}
		if _, ok := hostIP(under); ok {
			return "", errors.New("a wildcard over an IP address: IP addresses are always allowed")
		}
		return wildcardPrefix + under, nil
	case strings.ContainsAny(h, "*?"):
		return "", errors.New(`a wildcard other than a leading "*.": list each name, give "*.domain" for every name under it, or "*" alone to allow any host (behind a proxy that checks it)`)
	case strings.ContainsAny(h, "/ \t"):
		return "", errors.New("not a host name (a path or a space in it)")
	}
	if ip, ok := hostIP(h); ok {
		return ip.String(), nil
	}
	if _, port, err := net.SplitHostPort(h); err == nil {
		return "", fmt.Errorf("has a port (%s): give the name without it, any port is allowed", port)
	}
	name := strings.ToLower(strings.TrimSuffix(h, "."))
	if len(name) > 253 {
		return "", fmt.Errorf("%d characters, a host name has at most 253", len(name))
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 {
			return "", errors.New("not a host name: each dot-separated part has 1 to 63 characters")
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return "", fmt.Errorf("not a host name: character %q (letters, digits, '-' and '_' only)", r)
			}
		}
	}
	return name, nil
}

// hostIP reports whether h is an IP literal, bracketed or not
// ("[::1]", "::1", "10.0.0.5"), and which; a zone (fe80::1%eth0) is
// kept.
func hostIP(h string) (netip.Addr, bool) {
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	ip, err := netip.ParseAddr(h)
	return ip, err == nil
}

// hostCheck is the dashboard's check of the Host header (Deps.AllowedHosts):
// the names it answers to besides IP literals.
type hostCheck struct {
	any   bool            // "*": every host
	names map[string]bool // lower case, no trailing dot
	under []string        // ".domain" of each "*.domain": names ending in it
}

// wildcardPrefix starts an allowed-hosts entry that allows every name
// under a domain.
const wildcardPrefix = "*."

// newHostCheck allows localhost, the machine's name hostname (and its
// first label, the short name; "" for none) and the names in allowed
// (checked as ParseAllowedHosts checks them).
func newHostCheck(allowed []string, hostname string) (hostCheck, error) {
	hc := hostCheck{names: map[string]bool{"localhost": true}}
	if name := strings.ToLower(strings.TrimSuffix(hostname, ".")); name != "" {
		hc.names[name] = true
		short, _, _ := strings.Cut(name, ".")
		hc.names[short] = true
	}
	for _, a := range allowed {
		h, err := normalAllowedHost(strings.TrimSpace(a))
		if err != nil {
			return hostCheck{}, fmt.Errorf("%w: %q: %v", ErrAllowedHosts, trimHost(a), err)
		}
		switch {
		case h == AnyHost:
			hc.any = true
		case strings.HasPrefix(h, wildcardPrefix):
			hc.under = append(hc.under, h[1:])
			continue
		}
		hc.names[h] = true
	}
	return hc, nil
}

// allows reports whether a request's Host header (with or without its
// port) is one the dashboard answers to: any IP literal, or a name
// allowed or under an allowed "*.domain", in any case, with or without a
// trailing dot. An empty Host (an
// HTTP/1.0 client that sent none) is not.
func (hc hostCheck) allows(hostHeader string) bool {
	if hc.any {
		return true
	}
	h := hostHeader
	if name, _, err := net.SplitHostPort(h); err == nil {
		h = name
	}
	if h == "" {
		return false
	}
	if _, ok := hostIP(h); ok {
		return true
	}
	name := strings.ToLower(strings.TrimSuffix(h, "."))
	if hc.names[name] {
		return true
	}
	for _, d := range hc.under {
		if len(name) > len(d) && strings.HasSuffix(name, d) {
			return true
		}
	}
	return false
}

// hostRefusalLogBurst is how many Host refusals are logged one by one in
// a hostRefusalLogPeriod; the rest are counted (the metric, and the next
// line logged says how many were not).
const (
	hostRefusalLogBurst  = 5
	hostRefusalLogPeriod = time.Minute
)

// hostRefusals logs the requests refused for their Host header at most
// hostRefusalLogBurst a hostRefusalLogPeriod, and counts every one.
type hostRefusals struct {
	log     *slog.Logger
	now     func() time.Time
	counter prometheus.Counter

	mu      sync.Mutex
	from    time.Time // when the current period began
	logged  int       // lines logged in it
	skipped int       // refusals not logged since the last line
}

// record counts a refusal of host from addr and logs it unless the
// period's lines are spent.
func (r *hostRefusals) record(host, addr, path string) {
	r.counter.Inc()
	now := r.now()
	r.mu.Lock()
	if now.Sub(r.from) >= hostRefusalLogPeriod || now.Before(r.from) {
		r.from, r.logged = now, 0
	}
	if r.logged >= hostRefusalLogBurst {
		r.skipped++
		r.mu.Unlock()
		return
	}
	r.logged++
	skipped := r.skipped
	r.skipped = 0
	r.mu.Unlock()
	r.log.Warn("dashboard: request refused (421): its Host is not one the dashboard answers to; if it is this dashboard's name, add it to "+AllowedHostsSetting,
		"host", trimHost(host), "addr", addr, "path", trimHost(path), "not_logged_before", skipped)
}

// checkHost answers 421 Misdirected Request, before anything else is
// done (no login, no /metrics), to a request whose Host header is not
// one the dashboard answers to (Deps.AllowedHosts): a web page that
// rebinds its own name to the dashboard's address (DNS rebinding) is
// same-origin with it in a control-room browser, and could spend that
// PC's login failures or read /metrics; its requests carry its own name.
// GET /healthz is not checked: it needs no login and says nothing a
// page could use (docs/deploy.md, section 7), and health probes reach
// it by whatever name their network gives (a container's service name,
// an HTTP/1.0 check with no Host).
func (s *server) checkHost(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if s.hosts.allows(r.Host) || c.Path() == "/healthz" {
			return next(c)
		}
		s.hostRefusals.record(r.Host, c.RealIP(), r.URL.Path)
		return c.String(http.StatusMisdirectedRequest, fmt.Sprintf(
			"421 Misdirected Request: this dashboard does not answer to the host %q. If that is its name, an administrator adds it to %s (comma-separated names; IP addresses, localhost and the machine's own name are always allowed).\n",
			trimHost(r.Host), AllowedHostsSetting))
	}
}

// trimHost shortens a host name, or another piece of a request, that a
// refusal or an error repeats to its first 100 bytes.
func trimHost(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}
