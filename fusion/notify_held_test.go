package fusion

import (
	"context"
	"database/sql"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// fillDisk makes fusion's state database refuse every write to the
// outbox as a full disk does ("database or disk is full"), until the
// function it returns is called.
func fillDisk(t *testing.T, db *sql.DB) (free func()) {
	t.Helper()
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS fops_disk_full (x INTEGER)`,
		`INSERT INTO fops_disk_full VALUES (1)`,
		`CREATE TRIGGER IF NOT EXISTS fops_full_insert BEFORE INSERT ON notify_outbox WHEN EXISTS (SELECT 1 FROM fops_disk_full) BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`,
		`CREATE TRIGGER IF NOT EXISTS fops_full_update BEFORE UPDATE ON notify_outbox WHEN EXISTS (SELECT 1 FROM fops_disk_full) BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		t.Helper()
		if _, err := db.Exec(`DELETE FROM fops_disk_full`); err != nil {
			t.Fatal(err)
		}
	}
}

// recPub is an output that takes every delivery, recording it.
type recPub struct {
	mu  sync.Mutex
	got []event.Alert
}

func (p *recPub) PublishAlert(_ context.Context, a event.Alert) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, a)
	return nil
}

// states returns ID/state of each delivery, in order.
func (p *recPub) states() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var s []string
	for _, a := range p.got {
		s = append(s, a.ID+"/"+a.State)
	}
	return s
}

// TestFopsTransitionPublishedAfterOutboxFailed: the disk of fusion's
// database fills while a phone's alert goes pending and then firing; the
// webhook's outbox refuses both publications. Space returns and the phone
// is still there. Until 2026-12-06 the notifier returned the error, the
// alert engine never tried the publication again, and the webhook heard of
// the alert only at its first reminder or its resolution. Now the notifier
// holds both in memory, /healthz says so, and they are queued and delivered,
// in order, once the outbox can be written. (The review's test had the
// alert engine retry a failing publisher; the retry is the notifier's, so
// the test runs the real one with its outbox on a "full disk".)
func TestFopsTransitionPublishedAfterOutboxFailed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		db, pub := notifyDB(t), &recPub{}
		var logs syncbuf.Buffer
		n, err := OpenNotifier(ctx, db, NotifyOptions{Site: "hmp-test", Output: "webhook", Next: pub,
			Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		s, err := site.LoadFile("../testdata/sites/wing.yaml")
		if err != nil {
			t.Fatal(err)
		}
		e, err := alert.New(alert.DefaultConfig(), s, nil, n, nil)
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Unix(1_800_000_000, 0)
		for _, sn := range s.Sensors {
			if err := e.ObserveStatus(ctx, sn.ID, event.StatusOnline, t0); err != nil {
				t.Fatal(err)
			}
		}
		defer runNotifier(t, n)()
		free := fillDisk(t, db)
		loc := alert.Location{Track: "t1", Class: event.ClassLTE, Link: event.LinkUplink, Room: "B2-14", Prob: 0.8, Evidence: []string{"d1"}}
		for _, s := range []int{0, 11} { // pending, then firing: both refused by the outbox
			loc.At = t0.Add(time.Duration(s) * time.Second)
			if err := e.ObserveLocation(ctx, loc); err != nil {
				t.Fatalf("at %d s: %v (the notifier holds what its outbox refuses)", s, err)
			}
		}
		time.Sleep(3 * time.Second) // the notifier tries again each second
		synctest.Wait()
		h, err := n.Health(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if h.Held != 2 || h.State != event.StateDegraded || !strings.HasPrefix(h.LastError, "the outbox cannot be written") {
			t.Errorf("health with the outbox refusing: held %d, state %s, last error %q; want 2 held, degraded, the outbox cannot be written", h.Held, h.State, h.LastError)
		}
		if got := testutil.ToFloat64(n.Collectors()[7]); got != 2 {
			t.Errorf("rfw_fusion_notify_held %v, want 2", got)
		}
		free() // space again; the phone is still heard every 5 s
		for s := 12; s <= 72; s++ {
			now := t0.Add(time.Duration(s) * time.Second)
			if s%5 == 0 {
				loc.At = now
				if err := e.ObserveLocation(ctx, loc); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.Tick(ctx, now); err != nil {
				t.Fatal(err)
			}
		}
		drain(t, n)
		var got []string
		for _, a := range pub.got {
			if a.Track == "t1" {
				got = append(got, a.State)
			}
		}
		if !slices.Equal(got, []string{event.AlertPending, event.AlertFiring}) {
			t.Errorf("the webhook got t1's alert as %v; want pending then firing, both refused by the full outbox first", got)
		}
		if h, _ := n.Health(ctx); h.Held != 0 || h.Dropped != 0 {
			t.Errorf("after space returned: held %d, dropped %d; want none", h.Held, h.Dropped)
		}
		if c := strings.Count(logs.String(), "the outbox cannot be written"); c != 1 {
			t.Errorf("the outage logged %d times, want once:\n%s", c, logs.String())
		}
		if !strings.Contains(logs.String(), "the outbox is written again") {
			t.Errorf("no line saying the outbox is written again:\n%s", logs.String())
		}
	})
}

// TestNotifierHeldBounded: while the outbox cannot be written the
// notifier holds at most MaxHeld publications, in order, collapsing a
// repeat of an alert's state as the outbox does; past the bound the
// oldest is dropped, each logged, and counted; and what is still held
// when fusion stops is kept in a file for the next start.
func TestNotifierHeldBounded(t *testing.T) {
	pubs := []event.Alert{
		alertAs("a", event.SeverityWarning, event.AlertPending, 1),
		alertAs("b", event.SeverityWarning, event.AlertPending, 2),
		alertAs("a", event.SeverityWarning, event.AlertFiring, 3),
		alertAs("a", event.SeverityWarning, event.AlertFiring, 4), // a reminder: replaces the held firing
		alertAs("c", event.SeverityCritical, event.AlertPending, 5),
		alertAs("b", event.SeverityWarning, event.AlertResolved, 6),
	}
	for _, tt := range []struct {
		name        string
		maxHeld     int
		freeBefore  bool // space returns before fusion stops
		wantHeld    int64
		wantDropped float64
		wantGot     []string
		wantLog     string
	}{
		{name: "all held then delivered", maxHeld: 10, freeBefore: true, wantHeld: 5, wantDropped: 0,
			wantGot: []string{"c/pending", "a/pending", "b/pending", "a/firing", "b/resolved"}, wantLog: "the outbox is written again"},
		{name: "past the bound the oldest dropped", maxHeld: 3, freeBefore: true, wantHeld: 3, wantDropped: 2,
			wantGot: []string{"c/pending", "a/firing", "b/resolved"}, wantLog: "the oldest are dropped"},
		// TestNotifierHeldKeptAtStop has their restart, and the stop with
		// nowhere to keep them
		{name: "kept at a stop with the disk still full", maxHeld: 10, wantHeld: 5, wantDropped: 0,
			wantLog: "they are kept in a file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				db, pub := notifyDB(t), &recPub{}
				var logs syncbuf.Buffer
				n, err := OpenNotifier(ctx, db, NotifyOptions{Site: "hmp-test", Output: "webhook", Next: pub, MaxHeld: tt.maxHeld, InFlight: 1,
					Logger: slog.New(slog.NewTextHandler(&logs, nil))})
				if err != nil {
					t.Fatal(err)
				}
				free := fillDisk(t, db)
				// All six are published before the notifier runs: its
				// tries to write the held ones (which the bound does not
				// drop while they are being written) would otherwise
				// interleave with the publications by chance, and which
				// were dropped would be the scheduler's choice (held 4,
				// c/pending dropped, once in CI).
				for _, a := range pubs {
					if err := n.PublishAlert(ctx, a); err != nil {
						t.Fatal(err)
					}
				}
				stop := runNotifier(t, n)
				time.Sleep(2 * time.Second)
				synctest.Wait()
				if h, _ := n.Health(ctx); h.Held != tt.wantHeld {
					t.Errorf("held %d, want %d", h.Held, tt.wantHeld)
				}
				if tt.freeBefore {
					free()
					drain(t, n)
				}
				stop()
				if got := pub.states(); !slices.Equal(got, tt.wantGot) {
					t.Errorf("delivered %v, want %v", got, tt.wantGot)
				}
				if got := testutil.ToFloat64(n.Collectors()[8]); got != tt.wantDropped {
					t.Errorf("dropped_total{reason=outbox_unwritable} %v, want %v", got, tt.wantDropped)
				}
				if h, _ := n.Health(ctx); h.Held != 0 || h.Dropped != int64(tt.wantDropped) {
					t.Errorf("after the stop: held %d, dropped %d; want 0 and %v", h.Held, h.Dropped, tt.wantDropped)
				}
				if !strings.Contains(logs.String(), tt.wantLog) {
					t.Errorf("log has no %q:\n%s", tt.wantLog, logs.String())
				}
				// each publication dropped is logged, naming its alert
				if c := strings.Count(logs.String(), "level=ERROR msg=\"notifier: too many publications held"); c != int(tt.wantDropped) {
					t.Errorf("%d drops logged, want %v:\n%s", c, tt.wantDropped, logs.String())
				}
			})
		})
	}
}
