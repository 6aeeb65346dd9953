package event_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

// TestAlertRuleKind: an alert's rule_kind (its rule's kind, since
// 2026-12-07) decodes, is optional (older alerts have none), and one that
// is no rule kind's name (a control sequence the dashboard would show) is
// refused naming rule_kind.
func TestAlertRuleKind(t *testing.T) {
	valid := event.Alert{Schema: 1, ID: "a1", Site: "a", Rule: "video-links", Severity: event.SeverityCritical,
		State: event.AlertFiring, Class: event.ClassWiFi, ActiveNS: 1767308400000000000, UpdatedNS: 1767308460000000000}
	for _, tc := range []struct {
		name, kind string
		ok         bool
	}{
		{"none", "", true},
		{"drone", "drone", true},
		{"phone", "unauthorised_uplink", true},
		{"control sequence", "drone\u001b[2J", false},
		{"space", "drone rule", false},
		{"too long", strings.Repeat("d", 65), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := valid
			a.RuleKind = tc.kind
			b, err := json.Marshal(a) // as a publisher that does not validate sends it
			if err != nil {
				t.Fatal(err)
			}
			got, err := event.DecodeAlert(b)
			switch {
			case tc.ok && (err != nil || got.RuleKind != tc.kind):
				t.Errorf("DecodeAlert(%s) = rule_kind %q, %v; want %q", b, got.RuleKind, err, tc.kind)
			case !tc.ok && (err == nil || !errors.Is(err, event.ErrSchema) || !strings.Contains(err.Error(), "rule_kind:")):
				t.Errorf("DecodeAlert(%s) = %v, want a schema error naming rule_kind", b, err)
			}
		})
	}
}
