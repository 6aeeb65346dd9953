package fusion

import (
	"strings"
	"testing"
)

// TestLoadFileConfigRetention: alert_days, audit_days and audit_view_days
// default to a year, six years and a year; 0 is refused (-1 keeps
// everything); the audit is never kept for less than the alerts it
// records, nor views longer than the rest of the audit. Each refusal
// names the line of the setting the file gives.
func TestLoadFileConfigRetention(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		given                  string
		alert, audit, viewDays int
		wantErr                string
	}{
		{"defaults", "", 365, 2190, 365, ""},
		{"all set", "alert_days: 30\naudit_days: 400\naudit_view_days: 90\n", 30, 400, 90, ""},
		{"keep everything", "alert_days: -1\naudit_days: -1\naudit_view_days: -1\n", -1, -1, -1, ""},
		{"views kept for ever need the audit kept for ever", "audit_view_days: -1\n", 0, 0, 0, "[2:18] audit_view_days: -1 (for ever) keeps views longer than audit_days 2190"},
		{"audit shorter than alerts", "alert_days: 400\naudit_days: 300\n", 0, 0, 0, "[3:13] audit_days: 300 is shorter than alert_days 400"},
		{"alerts kept for ever, audit not", "alert_days: -1\n", 0, 0, 0, "[2:13] alert_days: -1 (for ever) is longer than audit_days 2190"},
		{"views longer than audit", "audit_days: 400\naudit_view_days: 500\n", 0, 0, 0, "[3:18] audit_view_days: 500 keeps views longer than audit_days 400"},
		{"zero alert days", "alert_days: 0\n", 0, 0, 0, "[2:13] alert_days: 0:"},
		{"zero audit days", "audit_days: 0\n", 0, 0, 0, "[2:13] audit_days: 0:"},
		{"zero view days", "audit_view_days: 0\n", 0, 0, 0, "[2:18] audit_view_days: 0:"},
		{"too many", "alert_days: 200000\naudit_days: -1\n", 0, 0, 0, "[2:13] alert_days: 200000 is more than 36500"},
		{"below -1", "alert_days: -5\n", 0, 0, 0, "[2:13] alert_days: -5 is negative"},
		{"not a number", "audit_days: long\n", 0, 0, 0, "audit_days"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadFileConfig(strings.NewReader("site: wing.yaml\n"+tc.given), "/etc/rfwarden")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.AlertDays != tc.alert || c.AuditDays != tc.audit || c.AuditViewDays != tc.viewDays {
				t.Errorf("alert_days %d, audit_days %d, audit_view_days %d; want %d, %d, %d",
					c.AlertDays, c.AuditDays, c.AuditViewDays, tc.alert, tc.audit, tc.viewDays)
			}
		})
	}
}
