package main

import (
	"os"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

// TestEraseKeptNotifications: the notifications fusion keeps beside its
// database when it stops with the outbox unwritable
// (rfwarden.db.notify-held.SITE.OUTPUT.jsonl) carry their alerts' rooms
// and notes, and the next start delivers them; erase deleted the alerts'
// outbox rows and left these, so an erased case went to the webhook
// after all. They are erased with the case; another alert's, another
// site's and a line that is not an alert stay, and a file left empty is
// removed.
func TestEraseKeptNotifications(t *testing.T) {
	f := makeEraseFixture(t)
	line := func(site, id, room string) string {
		b, err := event.Encode(event.Alert{Schema: event.SchemaVersion, ID: id, Site: site, Rule: "phone", Severity: "critical", State: "firing",
			Room: room, Summary: "phone in " + room, ActiveNS: 1, UpdatedNS: 2})
		if err != nil {
			t.Fatal(err)
		}
		return string(b) + "\n"
	}
	webhook := f.db + ".notify-held.hmp-test.webhook.jsonl"
	syslog := f.db + ".notify-held.hmp-test.syslog.jsonl"
	other := f.db + ".notify-held.other-site.webhook.jsonl"
	write := func(path, content string) {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(webhook, line("hmp-test", "A1", "cell-1")+"not json\n"+line("hmp-test", "B1", "cell-2")+line("hmp-test", "A2", "cell-1"))
	write(syslog, line("hmp-test", "A1", "cell-1"))
	write(other, line("other-site", "A1", "cell-1"))
	out, err := eraseRun(f, "--incident", "INC-A", "--yes")
	if err != nil {
		t.Fatalf("erase: %v\n%s", err, out)
	}
	if want := "erased 3 notifications kept for delivery at fusion's last stop"; !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	got, err := os.ReadFile(webhook)
	if err != nil {
		t.Fatal(err)
	}
	if want := "not json\n" + line("hmp-test", "B1", "cell-2"); string(got) != want {
		t.Errorf("webhook keep file:\n%s\nwant\n%s", got, want)
	}
	if _, err := os.Stat(syslog); !os.IsNotExist(err) {
		t.Errorf("syslog keep file, left empty: %v; want it removed", err)
	}
	if got, _ := os.ReadFile(other); string(got) != line("other-site", "A1", "cell-1") {
		t.Errorf("another site's keep file changed: %q", got)
	}
}
