package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestDashboardHelp: `rfwarden dashboard --help` says what the command
// does and how to call it, as the other commands do, and succeeds. It
// printed only "Usage of dashboard:" and the flags, and exited 1.
func TestDashboardHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"dashboard", "--help"}, &stdout, &stderr); err != nil {
		t.Errorf("dashboard --help: %v, want success", err)
	}
	out := stderr.String()
	for _, want := range []string{"usage: rfwarden dashboard [flags]", "RFW_MQTT_PASSWORD", "RFW_METRICS_TOKEN", "RFW_ALLOWED_HOSTS", "-db"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Usage of dashboard") {
		t.Errorf("help is the flag package's default:\n%s", out)
	}
}
