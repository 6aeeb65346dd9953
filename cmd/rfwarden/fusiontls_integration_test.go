//go:build integration

package main

import (
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/mosquittotest"
)

// TestFusionHealthzBrokerCertificateNotTrusted: given a real mosquitto
// on 127.0.0.1 serving TLS with a self-signed certificate that fusion
// does not trust (no ca_file: the system's roots), expect fusion's
// /healthz 503 with broker_connected false and broker_error "TLS
// certificate not trusted (ca_file)", and no client connected at the broker: the
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
	if h.State != "degraded" || h.BrokerConnected || h.BrokerError != "TLS certificate not trusted (ca_file)" {
		t.Errorf("/healthz state %q, broker_connected %v, broker_error %q; want degraded, false, %q\n%s",
			h.State, h.BrokerConnected, h.BrokerError, "TLS certificate not trusted (ca_file)", body)
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

// TestFusionTrustsCAFile: given a real mosquitto on 127.0.0.1 serving TLS
// under a certificate no system store trusts, and fusion.yaml's ca_file
// naming that certificate's CA (relative to fusion.yaml, as its other
// paths), expect fusion connected (/healthz broker_connected). Until
// 2026-12-07 fusion had no CA setting: only update-ca-certificates or
// SSL_CERT_FILE made it trust the site CA.
func TestFusionTrustsCAFile(t *testing.T) {
	certFile, keyFile, _ := mosquittotest.SelfSignedCert(t)
	b := mosquittotest.StartTLS(t, certFile, keyFile)
	ca, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	httpAddr := freeTCPAddr(t)
	_, _, stderr, stop := runFusion(t, b.URL, "http_addr: "+httpAddr+"\nca_file: ca.pem\n", func(dir string) {
		if err := os.WriteFile(filepath.Join(dir, "ca.pem"), ca, 0o644); err != nil {
			t.Fatal(err)
		}
	})
	defer stop()
	waitFusionHealth(t, httpAddr, http.StatusOK, []string{`"broker_connected":true`}, 30*time.Second, stderr)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
