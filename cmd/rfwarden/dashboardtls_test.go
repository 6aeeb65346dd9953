package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestDashboardTLSCheckedBeforeAdmin: docs/deploy.md says the first
// start "that gets as far as serving (its site file, InfluxDB, TLS and
// broker settings loaded and checked)" creates admin, and "a start that
// fails on its configuration creates nothing". With RFW_TLS_CERT naming
// a file that does not exist, the dashboard created admin, printed its
// one-time password and "dashboard on https://...", and only then exited
// with "open ...: no such file or directory" (the certificate was first
// read by ServeTLS). The fixed start prints no password, and its error
// names the setting.
func TestDashboardTLSCheckedBeforeAdmin(t *testing.T) {
	dir := t.TempDir()
	_, cert, key := nodePKI(t, dir)
	other := filepath.Join(dir, "other")
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}
	_, _, otherKey := nodePKI(t, other)
	for _, tc := range []struct {
		name, cert, key, want string
	}{
		{"missing certificate", filepath.Join(dir, "missing.pem"), filepath.Join(dir, "missing-key.pem"), "no such file or directory"},
		{"key of another certificate", cert, otherKey, "private key does not match public key"},
		{"certificate as key", cert, cert, "RFW_TLS_KEY"},
		{"key as certificate", key, key, "RFW_TLS_CERT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var out bytes.Buffer
			err := cmdDashboard(ctx, []string{"--listen", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "d.db"), "--site", "../../testdata/sites/minimal.yaml",
				"--tls-cert", tc.cert, "--tls-key", tc.key}, &out, io.Discard)
			if err == nil {
				t.Fatal("started with TLS files that do not make a key pair")
			}
			for _, w := range []string{"RFW_TLS_CERT (--tls-cert)", tc.want} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(out.String(), "created user admin") || strings.Contains(out.String(), "dashboard on ") {
				t.Errorf("a start that failed on its TLS files (%v) printed %q: the admin password is spent and the banner says it serves", err, out.String())
			}
		})
	}
}

// TestDashboardServesTLS: with a certificate and its key the dashboard
// serves HTTPS with them (loaded at start, before admin is created).
func TestDashboardServesTLS(t *testing.T) {
	dir := t.TempDir()
	_, cert, key := nodePKI(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errOut syncbuf.Buffer
	done := make(chan error, 1)
	go func() {
		done <- cmdDashboard(ctx, []string{"--listen", "127.0.0.1:0", "--db", filepath.Join(dir, "d.db"), "--create-db", "--site", "../../testdata/sites/minimal.yaml",
			"--tls-cert", cert, "--tls-key", key}, &out, &errOut)
	}()
	var addr string
	for addr == "" {
		select {
		case err := <-done:
			t.Fatalf("dashboard ended: %v; stderr %s", err, errOut.String())
		case <-ctx.Done():
			t.Fatalf("no banner; stdout %q", out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if _, rest, ok := strings.Cut(out.String(), "dashboard on https://"); ok {
			addr, _, _ = strings.Cut(rest, "\n")
		}
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // a test certificate for another name
	resp, err := client.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("GET https://%s/healthz: %v", addr, err)
	}
	resp.Body.Close()
	if resp.TLS == nil || len(resp.TLS.PeerCertificates) == 0 || resp.TLS.PeerCertificates[0].Subject.CommonName != "wing-a-1" {
		t.Errorf("served certificate %+v, want the one of --tls-cert (CN wing-a-1)", resp.TLS)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("dashboard: %v", err)
	}
}
