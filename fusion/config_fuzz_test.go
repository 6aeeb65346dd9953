package fusion

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoadFileConfig: fusion.yaml is typed by a site's administrator;
// whatever its bytes, LoadFileConfig returns a config or an error, never
// panics, and a config it accepts keeps the bounds it documents.
func FuzzLoadFileConfig(f *testing.F) {
	shipped, err := os.ReadFile(filepath.Join("..", "deploy", "config", "fusion.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(shipped)
	for _, s := range []string{
		"site: wing.yaml\n",
		"site: wing.yaml\nwebhook:\n  url: http://10.0.0.5/hook\n  allow_http: true\n",
		"site: wing.yaml\nnotify:\n  max_age: 1ms\n  stale_after: 24h\n",
		"site: wing.yaml\nalert_days: -1\naudit_days: 30\n",
		"site: wing.yaml\ninflux:\n  spool_max_bytes: -1\n",
		"site: wing.yaml\nsyslog:\n  network: tcp\n  addr: \"[::1]:6514\"\n",
		"site: [\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := LoadFileConfig(bytes.NewReader(b), t.TempDir())
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatal("an error with no text")
			}
			return
		}
		if c.AuditDays != -1 && (c.AlertDays == -1 || c.AuditDays < c.AlertDays) {
			t.Errorf("accepted audit_days %d shorter than alert_days %d", c.AuditDays, c.AlertDays)
		}
		if c.HistoryDays == 0 || c.AlertDays == 0 || c.AuditDays == 0 {
			t.Errorf("accepted a retention of 0 days: %d %d %d", c.HistoryDays, c.AlertDays, c.AuditDays)
		}
	})
}
