package fusion

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestNotifierHeldKeptAtStop: fusion stops while its database refuses
// the outbox (the disk full, the file read-only), holding publications in
// memory. Until 2026-12-07 they were lost, logged as a count only ("lost=3"),
// without the alerts, rules or rooms. They are now written to the keep
// file beside the database (rfwarden.db.notify-held.SITE.OUTPUT.jsonl)
// and a restarted fusion queues them first and delivers them, in order;
// a restart that still cannot write the outbox keeps them there again.
// When the keep file cannot be written either, each publication is
// logged at error level naming its alert, rule, room, state and time,
// and counted in rfw_fusion_notify_dropped_total{reason="outbox_unwritable"}.
func TestNotifierHeldKeptAtStop(t *testing.T) {
	pubs := []event.Alert{
		alertAs("a", event.SeverityWarning, event.AlertPending, 1_800_000_001_000_000_000),
		alertAs("b", event.SeverityWarning, event.AlertPending, 1_800_000_002_000_000_000),
		alertAs("a", event.SeverityWarning, event.AlertFiring, 1_800_000_003_000_000_000),
	}
	for _, tt := range []struct {
		name        string
		blockKeep   bool // the keep file cannot be written either
		wantDropped float64
		wantGot     []string // delivered after the restart
	}{
		{name: "kept and delivered after the restart", wantGot: []string{"a/pending", "b/pending", "a/firing"}},
		{name: "nowhere to keep them", blockKeep: true, wantDropped: 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				db, path := notifyDBFile(t)
				keep := path + ".notify-held.hmp-test.webhook.jsonl"
				if tt.blockKeep {
					// a folder where the keep file's temporary file goes:
					// its write fails, as on a full disk (the tests run as root)
					if err := os.Mkdir(keep+".tmp", 0o700); err != nil {
						t.Fatal(err)
					}
				}
				pub := &recPub{}
				var logs syncbuf.Buffer
				open := func() *Notifier {
					n, err := OpenNotifier(ctx, db, NotifyOptions{Site: "hmp-test", Output: "webhook", Next: pub, InFlight: 1,
						Logger: slog.New(slog.NewTextHandler(&logs, nil))})
					if err != nil {
						t.Fatal(err)
					}
					return n
				}
				n := open() // creates the outbox
				free := fillDisk(t, db)
				stop := runNotifier(t, n)
				for _, a := range pubs {
					if err := n.PublishAlert(ctx, a); err != nil {
						t.Fatal(err)
					}
				}
				time.Sleep(2 * time.Second)
				synctest.Wait()
				stop() // the disk still full
				if got := testutil.ToFloat64(n.Collectors()[8]); got != tt.wantDropped {
					t.Errorf("dropped_total{reason=outbox_unwritable} %v, want %v", got, tt.wantDropped)
				}
				logged := logs.String()
				if tt.blockKeep {
					for _, a := range pubs {
						want := []string{"level=ERROR", "output=webhook", "alert=" + a.ID, "rule=" + a.Rule, "room=" + a.Room, "state=" + a.State,
							"updated=" + time.Unix(0, a.UpdatedNS).UTC().Format(time.RFC3339Nano)}
						if !slices.ContainsFunc(strings.Split(logged, "\n"), func(l string) bool {
							return !slices.ContainsFunc(want, func(w string) bool { return !strings.Contains(l, w) })
						}) {
							t.Errorf("no line logging %s/%s lost with %v:\n%s", a.ID, a.State, want, logged)
						}
					}
				} else if strings.Contains(logged, "level=ERROR") {
					t.Errorf("kept publications logged as lost:\n%s", logged)
				}

				// A restart with the disk still full keeps them again.
				n = open()
				stop = runNotifier(t, n)
				time.Sleep(2 * time.Second)
				synctest.Wait()
				stop()
				if got := pub.states(); len(got) != 0 {
					t.Fatalf("delivered %v with the outbox unwritable", got)
				}

				free()
				n = open()
				stop = runNotifier(t, n)
				drain(t, n)
				stop()
				if got := pub.states(); !slices.Equal(got, tt.wantGot) {
					t.Errorf("delivered after the restart %v, want %v", got, tt.wantGot)
				}
				if _, err := os.Stat(keep); !os.IsNotExist(err) {
					t.Errorf("keep file %s after its publications were queued: %v, want it removed", keep, err)
				}
			})
		})
	}
}

// notifyDBFile is a fresh fusion state database, and its file.
func notifyDBFile(t *testing.T) (*sql.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rfwarden.db")
	s, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.DB(), path
}

// TestNotifierKeptFileBadLine: a line of the keep file that is not an
// alert (the file edited by hand, cut short) is logged naming the file
// and line and skipped; the alerts around it are delivered.
func TestNotifierKeptFileBadLine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		db, path := notifyDBFile(t)
		var b []byte
		for i, line := range []string{"a", "", `{"id":`, "b"} {
			switch line {
			case "a", "b":
				p, err := event.Encode(alertAs(line, event.SeverityWarning, event.AlertFiring, int64(i+1)))
				if err != nil {
					t.Fatal(err)
				}
				b = append(b, p...)
			default:
				b = append(b, line...)
			}
			b = append(b, '\n')
		}
		keep := path + ".notify-held.hmp-test.webhook.jsonl"
		if err := os.WriteFile(keep, b, 0o600); err != nil {
			t.Fatal(err)
		}
		pub := &recPub{}
		var logs syncbuf.Buffer
		n, err := OpenNotifier(ctx, db, NotifyOptions{Site: "hmp-test", Output: "webhook", Next: pub, InFlight: 1,
			Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		stop := runNotifier(t, n)
		drain(t, n)
		stop()
		if got, want := pub.states(), []string{"a/firing", "b/firing"}; !slices.Equal(got, want) {
			t.Errorf("delivered %v, want %v", got, want)
		}
		if l := logs.String(); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "file="+keep) || !strings.Contains(l, "line=3") {
			t.Errorf("no error naming the file and line 3:\n%s", l)
		}
		if _, err := os.Stat(keep); !os.IsNotExist(err) {
			t.Errorf("keep file after its publications were queued: %v, want it removed", err)
		}
	})
}
