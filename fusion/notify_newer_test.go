package fusion

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"testing"
	"testing/synctest"
)

// TestNotifierDeliversNewerAlerts: a notification a newer fusion kept
// (here in the keep file of its last stop), carrying a field this binary
// does not know, is still delivered after a rollback; the strict decoder
// refused it as "unknown field", so a rolled-back fusion dropped queued
// critical notifications. A line that is no alert is still skipped.
func TestNotifierDeliversNewerAlerts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		db, path := notifyDBFile(t)
		body, err := json.Marshal(alertAs("a", "critical", "firing", 1_800_000_001_000_000_000))
		if err != nil {
			t.Fatal(err)
		}
		newer := append(body[:len(body)-1:len(body)-1], `,"field_of_a_newer_fusion":{"x":1}}`...)
		keep := path + ".notify-held.hmp-test.webhook.jsonl"
		if err := os.WriteFile(keep, append(append(newer, '\n'), "not an alert\n"...), 0o600); err != nil {
			t.Fatal(err)
		}
		pub := &recPub{}
		n, err := OpenNotifier(ctx, db, NotifyOptions{Site: "hmp-test", Output: "webhook", Next: pub, InFlight: 1})
		if err != nil {
			t.Fatal(err)
		}
		stop := runNotifier(t, n)
		drain(t, n)
		stop()
		if got := pub.states(); !slices.Equal(got, []string{"a/firing"}) {
			t.Errorf("delivered %v, want a/firing (the newer fusion's alert)", got)
		}
	})
}
