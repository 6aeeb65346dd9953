package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/mosquittotest"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestFusionTLSTrustHint: fusion connecting to a broker whose certificate
// no CA it trusts signs (no ca_file: the system's store) warns with a hint
// naming fusion.yaml's ca_file (docs/deploy.md section 2). It logged "tls:
// failed to verify certificate: x509: certificate signed by unknown
// authority" and nothing more.
func TestFusionTLSTrustHint(t *testing.T) {
	addr := mosquittotest.UntrustedTLS(t)
	var logs syncbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	m, err := connectFusion("ssl://"+addr, "rfwarden-fusion", "", "", "", "hmp-north", []string{"s1"}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer m.close(0, 0)
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(logs.String(), "cannot connect to the MQTT broker"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no warning of the failed connection:\n%s", logs.String())
		}
	}
	got := logs.String()
	for _, want := range []string{"certificate signed by unknown authority", "hint=", "give the site CA in ca_file"} {
		if !strings.Contains(got, want) {
			t.Errorf("fusion's warning lacks %q:\n%s", want, got)
		}
	}
}
