package mqttlink

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

// tlsHandshakeError makes a TLS server on 127.0.0.1 with a self-signed
// certificate valid from notBefore to notAfter, connects to it as
// serverName with the certificate as the only root when trusted (the
// system's roots otherwise), and returns the client's error, wrapped as
// paho wraps it.
func tlsHandshakeError(t *testing.T, trusted bool, serverName string, notBefore, notAfter time.Time) error {
	t.Helper()
	cert, server := selfSigned(t, "broker", notBefore, notAfter)
	addr := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{server}})
	cfg := &tls.Config{ServerName: serverName}
	if trusted {
		cfg.RootCAs = x509.NewCertPool()
		cfg.RootCAs.AddCert(cert)
	}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err == nil {
		c.Close()
		t.Fatal("the handshake succeeded")
	}
	return fmt.Errorf("network Error : %w", err)
}

// serveTLS listens on 127.0.0.1 with cfg until the test ends, makes the
// TLS handshake with the first client, and returns the address.
func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err == nil {
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// TestTLSHint: a broker certificate a service does not trust is logged
// with what to do (Link.Failed's hint), naming the service's CA setting
// (fusion's ca_file too, which it had none of until 2026-12-07). Fusion
// logged "x509: certificate signed by unknown authority" and nothing more.
func TestTLSHint(t *testing.T) {
	now := time.Now()
	unknownCA := tlsHandshakeError(t, false, "127.0.0.1", now.Add(-time.Hour), now.Add(time.Hour))
	otherName := tlsHandshakeError(t, true, "broker.example", now.Add(-time.Hour), now.Add(time.Hour))
	expired := tlsHandshakeError(t, true, "127.0.0.1", now.Add(-2*time.Hour), now.Add(-time.Hour))
	fusion := Keys{URL: "broker", CA: "ca_file"}
	sensor := Keys{URL: "mqtt.url", CA: "mqtt.ca_file"}
	dashboard := Keys{URL: "RFW_MQTT (--mqtt)", CA: "RFW_MQTT_CA (--mqtt-ca)"}
	tests := []struct {
		name string
		err  error
		keys Keys
		want []string
		not  []string
	}{
		{"fusion, CA unknown", unknownCA, fusion, []string{"not signed by a CA this host trusts", "give the site CA in ca_file"}, []string{"update-ca-certificates"}},
		{"sensor, CA unknown", unknownCA, sensor, []string{"not signed by a CA this host trusts", "give the site CA in mqtt.ca_file"}, []string{"update-ca-certificates"}},
		{"dashboard, CA unknown", unknownCA, dashboard, []string{"give the site CA in RFW_MQTT_CA (--mqtt-ca)"}, nil},
		{"no keys, CA unknown", unknownCA, Keys{}, []string{"give the site CA (docs/deploy.md section 2)"}, nil},
		{"fusion, another host's certificate", otherName, fusion, []string{"does not name the host of the broker URL (broker)", "subjectAltName"}, nil},
		{"sensor, expired", expired, sensor, []string{"expired", "renew it"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := New(Options{Name: "fusion", Broker: "ssl://127.0.0.1:8883", Keys: tt.keys,
				Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))})
			l.Failed(tt.err)
			got := buf.String()
			if !strings.Contains(got, "hint=") {
				t.Fatalf("the warning has no hint (error %v):\n%s", tt.err, got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("the warning lacks %q:\n%s", w, got)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("the warning has %q:\n%s", n, got)
				}
			}
		})
	}
}

// selfSigned returns a self-signed CA certificate valid from notBefore to
// notAfter, usable for clients and servers (for eku alone if given), with
// its key.
func selfSigned(t *testing.T, cn string, notBefore, notAfter time.Time, eku ...x509.ExtKeyUsage) (*x509.Certificate, tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: notBefore, NotAfter: notAfter, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, IsCA: true, BasicConstraintsValid: true}
	if eku != nil {
		tmpl.ExtKeyUsage = eku
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// clientCertRefusal makes a TLS server on 127.0.0.1 that requires a
// client certificate signed by trusted (as Mosquitto's
// require_certificate does), connects to it with client (none if nil) and
// returns the error of the first read, after the handshake, wrapped as
// paho wraps it: the broker's alert refusing the client's certificate.
func clientCertRefusal(t *testing.T, trusted *x509.Certificate, client *tls.Certificate) error {
	t.Helper()
	now := time.Now()
	serverCA, server := selfSigned(t, "broker", now.Add(-time.Hour), now.Add(time.Hour))
	clientCAs := x509.NewCertPool()
	clientCAs.AddCert(trusted)
	addr := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{server}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCAs})
	cfg := &tls.Config{RootCAs: x509.NewCertPool(), ServerName: "127.0.0.1"}
	cfg.RootCAs.AddCert(serverCA)
	if client != nil { // sent even when the broker names other CAs, as OpenSSL clients do
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return client, nil }
	}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err == nil {
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		_, err = c.Read(make([]byte, 1)) // TLS 1.3: the server's verdict arrives after the client's handshake
	}
	if err == nil {
		t.Fatal("the broker took the client certificate")
	}
	return fmt.Errorf("network Error : %w", err)
}

// TestTLSHintOwnCertificate: a broker refusing the node's own certificate
// (expired, of another CA, not for clients, or none sent where one is
// required) is logged
// with what to do, naming mqtt.cert_file; until 2026-12-07 the node
// logged "remote error: tls: expired certificate" and nothing more. Its
// short reason (Summary, the /healthz of the sensor, fusion and the
// dashboard) says the broker refused the certificate, and names the
// setting: until 2026-12-07 it said "connection failed (the log has the
// error)".
func TestTLSHintOwnCertificate(t *testing.T) {
	now := time.Now()
	siteCA, _ := selfSigned(t, "site CA", now.Add(-time.Hour), now.Add(time.Hour))
	expiredCert, expired := selfSigned(t, "s10", now.Add(-2*time.Hour), now.Add(-time.Hour))
	_, otherCA := selfSigned(t, "s10", now.Add(-time.Hour), now.Add(time.Hour))
	serverOnlyCert, serverOnly := selfSigned(t, "s10", now.Add(-time.Hour), now.Add(time.Hour), x509.ExtKeyUsageServerAuth)
	sensor := Keys{URL: "mqtt.url", CA: "mqtt.ca_file", Cert: "mqtt.cert_file"}
	const want = "the broker refused this node's certificate (mqtt.cert_file): renew it, or check this node's clock"
	const short = "the broker refused this node's certificate (mqtt.cert_file)"
	tests := []struct {
		name  string
		err   error
		keys  Keys
		alert string
		want  string
		short string // Summary
	}{
		{"expired", clientCertRefusal(t, expiredCert, &expired), sensor, "expired certificate", want, short},
		{"another CA", clientCertRefusal(t, siteCA, &otherCA), sensor, "unknown certificate authority", want, short},
		{"not for clients", clientCertRefusal(t, serverOnlyCert, &serverOnly), sensor, "bad certificate", want, short},
		{"none sent", clientCertRefusal(t, siteCA, nil), sensor, "certificate required", want, short},
		{"fusion, none sent", clientCertRefusal(t, siteCA, nil), Keys{URL: "broker", CA: "ca_file"}, "certificate required",
			"this service does not send: connect to the broker's listener for passwords",
			"the broker refused the connection: it asks for a client certificate, which this service does not send"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(tt.err.Error(), tt.alert) {
				t.Fatalf("the broker's alert is %v, want %q", tt.err, tt.alert)
			}
			if got := Hint(tt.err, tt.keys, ""); !strings.Contains(got, tt.want) {
				t.Errorf("Hint(%v) = %q, want %q", tt.err, got, tt.want)
			}
			if got := Summary(tt.err, tt.keys); got != tt.short {
				t.Errorf("Summary(%v) = %q, want %q", tt.err, got, tt.short)
			}
		})
	}
	if got := Hint(fmt.Errorf("network Error : %w", &net.OpError{Op: "remote error", Err: tls.AlertError(80)}), sensor, ""); got != "" {
		t.Errorf("Hint of an internal-error alert = %q, want none", got)
	}
}
