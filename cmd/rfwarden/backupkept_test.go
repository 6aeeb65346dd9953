package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

// TestBackupKeepsHeldNotifications: the notifications fusion held at its
// stop with the outbox unwritable are in a file beside the database
// (rfwarden.db.notify-held.SITE.OUTPUT.jsonl), not in it, and a backup
// left them out: a restore after the host was lost lost them. Given such
// a file, when the state is backed up, expect it copied beside the
// backup (rfwarden-TIME.db.notify-held.SITE.OUTPUT.jsonl, mode 0600);
// when that backup is restored, after fusion had queued (and removed)
// the file and a case was erased, expect the file back beside the
// database without the erased case's alert; and when rotation removes
// the backup, expect its copy removed with it.
func TestBackupKeepsHeldNotifications(t *testing.T) {
	ctx := context.Background()
	f := makeEraseFixture(t)
	line := func(id string) string {
		b, err := event.Encode(event.Alert{Schema: event.SchemaVersion, ID: id, Site: "hmp-test", Rule: "phone", Severity: "critical", State: "firing",
			Room: "cell-1", ActiveNS: 1, UpdatedNS: 2})
		if err != nil {
			t.Fatal(err)
		}
		return string(b) + "\n"
	}
	held := f.db + ".notify-held.hmp-test.webhook.jsonl"
	if err := os.WriteFile(held, []byte(line("A1")+line("B1")), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(f.dir, "nightly")
	backup := func() (string, string) {
		t.Helper()
		var stdout, stderr strings.Builder
		if err := run(ctx, []string{"backup", "--db", f.db, "--keep", "1", out}, &stdout, &stderr); err != nil {
			t.Fatalf("backup: %v\n%s%s", err, stdout.String(), stderr.String())
		}
		baks, _ := filepath.Glob(filepath.Join(out, "rfwarden-*.db"))
		return baks[len(baks)-1], stdout.String()
	}
	bak, said := backup()
	copied := bak + ".notify-held.hmp-test.webhook.jsonl"
	got, err := os.ReadFile(copied)
	if err != nil || string(got) != line("A1")+line("B1") {
		t.Fatalf("the held notifications beside the backup: %q, %v; want the file's two lines\n%s", got, err, said)
	}
	if fi, _ := os.Stat(copied); fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, want 0600", copied, fi.Mode().Perm())
	}
	if !strings.Contains(said, copied) {
		t.Errorf("the backup's output does not name %s:\n%s", copied, said)
	}

	// fusion started and queued them; then the host was lost, after a
	// case was erased
	if err := os.Remove(held); err != nil {
		t.Fatal(err)
	}
	if o, err := eraseRun(f, "--incident", "INC-A", "--yes"); err != nil {
		t.Fatalf("erase: %v\n%s", err, o)
	}
	var stdout, stderr strings.Builder
	if err := run(ctx, []string{"restore", "--db", f.db, "--site", restoreSite, bak}, &stdout, &stderr); err != nil {
		t.Fatalf("restore: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	got, err = os.ReadFile(held)
	if err != nil || string(got) != line("B1") {
		t.Errorf("the held notifications restored: %q, %v; want B1's alone (A1's case was erased since)\n%s", got, err, stdout.String())
	}
	for _, want := range []string{"restored " + copied + " to " + held, "erased again: 1 notification of alerts erased since the backup"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the restore's output lacks %q:\n%s", want, stdout.String())
		}
	}
	// run as root, the files it wrote are root's: the warning names the
	// held file too, which fusion, not root, must read at its start
	if want := "chown rfwarden:rfwarden " + f.db + " " + held + " before"; os.Geteuid() == 0 && !strings.Contains(stdout.String(), want) {
		t.Errorf("the restore's root warning lacks %q:\n%s", want, stdout.String())
	}

	// the next backup, with --keep 1, removes the first and its copy
	if err := os.Remove(held); err != nil {
		t.Fatal(err)
	}
	if next, _ := backup(); next == bak {
		t.Fatalf("the second backup is named as the first: %s", next)
	}
	if _, err := os.Stat(copied); !os.IsNotExist(err) {
		t.Errorf("%s after its backup was rotated away: %v, want it removed", copied, err)
	}
}
