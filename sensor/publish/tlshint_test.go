package publish

import (
	"context"
	"crypto/tls"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/mosquittotest"
	"github.com/rfwarden/rfwarden/internal/mqttlink"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestPahoTLSHintNamesCAFile: given a broker whose certificate the
// sensor's CA does not sign, when the client tries to connect, expect the
// warning's hint to name the node's setting (Options.Keys, node.yaml's
// mqtt.ca_file) where the site CA goes; it had no hint.
func TestPahoTLSHintNamesCAFile(t *testing.T) {
	addr := mosquittotest.UntrustedTLS(t)
	var logs syncbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := NewPaho(Options{BrokerURL: "ssl://" + addr, ClientID: "s1", TLS: &tls.Config{MinVersion: tls.VersionTLS12},
		Logger: log, Keys: mqttlink.Keys{URL: "mqtt.url", CA: "mqtt.ca_file"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err == nil {
		t.Fatal("connected to a broker whose certificate no trusted CA signs")
	}
	if got := logs.String(); !strings.Contains(got, "give the site CA in mqtt.ca_file") {
		t.Errorf("the warning does not say where the site CA goes:\n%s", got)
	}
}
