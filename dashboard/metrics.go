package dashboard

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MinMetricsTokenLen is the shortest metrics bearer token New accepts.
const MinMetricsTokenLen = 16

// ErrMetricsToken is wrapped by ValidateMetricsToken's errors.
var ErrMetricsToken = errors.New("metrics token")

// ValidateMetricsToken checks a /metrics bearer token: empty (no token) or
// at least MinMetricsTokenLen characters of the RFC 6750 b64token syntax
// (letters, digits, - . _ ~ + / and trailing =), so it fits an
// Authorization header and Prometheus' authorization.credentials unchanged.
func ValidateMetricsToken(tok string) error {
	if tok == "" {
		return nil
	}
	if len(tok) < MinMetricsTokenLen {
		return fmt.Errorf("%w: %d characters, want at least %d", ErrMetricsToken, len(tok), MinMetricsTokenLen)
	}
	body := strings.TrimRight(tok, "=")
	if body == "" {
		return fmt.Errorf("%w: only '=' padding", ErrMetricsToken)
	}
	for i, r := range body {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~+/", r)
		if !ok {
			return fmt.Errorf("%w: character %q at %d, use letters, digits and - . _ ~ + / (e.g. openssl rand -hex 32)", ErrMetricsToken, r, i)
		}
	}
	return nil
}

// metrics serves Prometheus metrics. With Deps.MetricsToken set, a request
// must carry that bearer token. The comparison is of SHA-256 digests in
// constant time, so neither the token's content nor its length leaks
// through timing.
//
// Why /metrics is not behind the session login: Prometheus cannot log in
// with a password and a CSRF token, but it sends a bearer token
// (scrape_config authorization.credentials). The counters are not secret
// data yet are operational intelligence on a prison network (whether the
// control room has a live feed open, how busy the alert routes are), so a
// dashboard reachable beyond 127.0.0.1 should set a token.
func (s *server) metrics(c echo.Context) error {
	if s.d.MetricsToken != "" {
		got, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
		want := sha256.Sum256([]byte(s.d.MetricsToken))
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if subtle.ConstantTimeCompare(sum[:], want[:]) != 1 || !ok {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
			return httpError(http.StatusUnauthorized, "metrics need Authorization: Bearer <metrics token>")
		}
	}
	promhttp.HandlerFor(s.d.Metrics, promhttp.HandlerOpts{}).ServeHTTP(c.Response(), c.Request())
	return nil
}
