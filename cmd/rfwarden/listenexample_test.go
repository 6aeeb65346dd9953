package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/sensor/config"
)

// TestListenAddressExamplePort: a listen address that is not host:port is
// refused with an example on the service's own default port (the
// sensor's 9464, fusion's 9465, the dashboard's and the demo's 8080).
// Fusion's http_addr and the dashboard's --listen suggested 9464, the
// sensor's port.
func TestListenAddressExamplePort(t *testing.T) {
	node, err := os.ReadFile(filepath.Join("..", "..", "sensor", "config", "testdata", "http-no-port.bad.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("RFW_LISTEN", "")
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"sensor http_addr", func() error { _, err := config.Parse(node); return err }, "e.g. 127.0.0.1:9464, :9464 or [::1]:9464"},
		{"fusion http_addr", func() error {
			_, err := fusion.LoadFileConfig(strings.NewReader("site: site.yaml\nhttp_addr: localhost\n"), t.TempDir())
			return err
		}, "e.g. 127.0.0.1:9465, :9465 or [::1]:9465"},
		{"dashboard --listen", func() error {
			return cmdDashboard(context.Background(), []string{"--listen", "localhost"}, io.Discard, io.Discard)
		}, "e.g. 127.0.0.1:8080, :8080 or [::1]:8080"},
		{"demo --listen", func() error { _, err := parseDemoFlags([]string{"--listen", "localhost"}, io.Discard); return err },
			"e.g. 127.0.0.1:8080, :8080 or [::1]:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
}
