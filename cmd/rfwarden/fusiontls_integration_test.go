//go:build integration

package main

import (
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/mosquittotest"
)

// TestFusionHealthzBrokerCertificateNotTrusted: given a real mosquitto
// on 127.0.0.1 serving TLS with a self-signed certificate that fusion
// does not trust (fusion has the system's roots), expect fusion's
// /healthz 503 with broker_connected false and broker_error "TLS
// certificate not trusted", and no client connected at the broker: the
// handshake fails before any CONNECT. Until 2026-12-06 only unit tests
// (redact.TestNetError with Go's own TLS server, mqttlink.Summary with
// built errors) covered the words; this is paho against mosquitto's
// OpenSSL. The broker's certificate is right but for trust: a client
// that trusts it completes the handshake.
func TestFusionHealthzBrokerCertificateNotTrusted(t *testing.T) {
	certFile, keyFile, pool := mosquittotest.SelfSignedCert(t)
	b := mosquittotest.StartTLS(t, certFile, keyFile)
	httpAddr := freeTCPAddr(t)
	_, _, stderr, stop := runFusion(t, b.URL, "http_addr: "+httpAddr+"\n", nil)
	defer stop()
	body := waitFusionHealth(t, httpAddr, http.StatusServiceUnavailable, []string{`"broker_error"`}, 30*time.Second, stderr)
	var h fusionHealth
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatalf("/healthz %q: %v", body, err)
	}
	if h.State != "degraded" || h.BrokerConnected || h.BrokerError != "TLS certificate not trusted" {
		t.Errorf("/healthz state %q, broker_connected %v, broker_error %q; want degraded, false, %q\n%s",
			h.State, h.BrokerConnected, h.BrokerError, "TLS certificate not trusted", body)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	// mosquitto logs "New client connected from ..." for each CONNECT it
	// takes; a failed handshake is "New connection from ..." and an
	// OpenSSL error.
	if log := b.Stderr(); strings.Contains(log, "New client connected") || !strings.Contains(log, "New connection from 127.0.0.1") {
		t.Errorf("mosquitto's log: want connections and no client connected:\n%s", log)
	}
	if !strings.Contains(stderr.String(), "certificate") {
		t.Errorf("fusion's log does not name the certificate:\n%s", stderr.String())
	}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", strings.TrimPrefix(b.URL, "ssl://"), &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatalf("a client trusting the broker's certificate: %v; the broker's TLS does not work, not only fusion's trust", err)
	}
	c.Close()
}
