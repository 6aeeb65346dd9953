package main

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/dashboard"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/sensor/sim"
)

// TestDemoStart: a demo on a --dir that holds data continues after the
// newest stored time, as the banner says; a second run used to start the
// simulated clock at the seed's default start again and replay the same
// minutes over the first run's alerts, heatmap and audit. An explicit
// --start at or before the stored data is refused.
func TestDemoStart(t *testing.T) {
	w := sim.StandardWing(1)
	def, err := demoStart(demoOptions{}, w, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !def.After(w.Start) {
		t.Fatalf("default start %v not after the scenario's start %v", def, w.Start)
	}
	stored := time.Date(2026, 1, 15, 21, 4, 58, 131e6, time.UTC)
	whole := time.Date(2026, 1, 15, 21, 4, 58, 0, time.UTC)
	next := time.Date(2026, 1, 15, 21, 4, 59, 0, time.UTC)
	tests := []struct {
		name    string
		start   string
		stored  time.Time
		want    time.Time
		wantErr string
	}{
		{"fresh dir, default", "", time.Time{}, def, ""},
		{"fresh dir, --start", "2026-03-01T10:00:00Z", time.Time{}, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), ""},
		{"stored data, no --start: the next whole second after it", "", stored, next, ""},
		{"stored data on a whole second", "", whole, next, ""},
		{"--start after the stored data", "2026-03-01T10:00:00+01:00", stored, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), ""},
		{"--start before the stored data", def.Format(time.RFC3339), stored, time.Time{}, "is not after " + stored.Format(time.RFC3339Nano) + ", the newest time stored in --dir"},
		{"--start at the stored data", stored.Format(time.RFC3339Nano), stored, time.Time{}, "is not after " + stored.Format(time.RFC3339Nano) + ", the newest time stored in --dir"},
		{"bad --start", "21:04", time.Time{}, time.Time{}, "--start"},
		// ~8000 years on spun the simulator for hours, deaf to Ctrl-C
		{"--start outside the simulated clock", "9999-12-31T23:59:59Z", time.Time{}, time.Time{}, "--start 9999-12-31T23:59:59Z is outside the simulated clock: give one from 1970-01-01T00:00:00Z up to, not including, 2200-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := demoStart(demoOptions{start: tt.start}, w, tt.stored)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, %v; want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// TestDemoStoredUntil: the newest time a demo's database holds, whichever
// table of those its services write on the simulated clock holds it: the
// data fusion writes and alerts (not the audit log nor the accounts, which
// console tools stamp with the wall clock: TestDemoContinuesAfterData).
func TestDemoStoredUntil(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2026, 1, 15, 21, 4, 26, 0, time.UTC)
	latest := base.Add(40*time.Second + 123*time.Millisecond)
	tests := []struct {
		name  string
		write func(t *testing.T, db *store.SQLite, at time.Time)
	}{
		{"detection", func(t *testing.T, db *store.SQLite, at time.Time) {
			d := event.Detection{Schema: event.SchemaVersion, ID: "d-" + at.String(), Site: "hmp-demo", Sensor: "s1", TimeNS: at.UnixNano(),
				CenterHz: 1750e6, BandwidthHz: 1e6, PowerDBm: -60, Class: event.ClassLTE, Link: event.LinkUplink}
			demoCheck(t, db.WriteDetections(ctx, []store.DetectionRecord{{Detection: d}}))
		}},
		{"location", func(t *testing.T, db *store.SQLite, at time.Time) {
			demoCheck(t, db.WriteLocations(ctx, []store.LocationRecord{{Site: "hmp-demo", Track: "t1", TimeNS: at.UnixNano()}}))
		}},
		{"health", func(t *testing.T, db *store.SQLite, at time.Time) {
			demoCheck(t, db.WriteHealth(ctx, []event.Health{{Schema: event.SchemaVersion, Site: "hmp-demo", Sensor: "s1", TimeNS: at.UnixNano(), State: event.StateOK}}))
		}},
		{"alert", func(t *testing.T, db *store.SQLite, at time.Time) {
			demoCheck(t, db.UpsertAlert(ctx, event.Alert{ID: "a-" + at.String(), Site: "hmp-demo", Rule: "r", Severity: event.SeverityWarning,
				State: event.AlertResolved, ActiveNS: base.UnixNano(), UpdatedNS: at.UnixNano()}))
		}},
	}
	// The demo's clock when it last stopped, which may be after anything
	// in the database: the sensors' outboxes in the folder hold what they
	// had not sent, and deliver it at the next start.
	t.Run("clock at the last stop", func(t *testing.T) {
		db := openDemoTestStore(t)
		for _, tt := range tests {
			tt.write(t, db, base)
		}
		dir := t.TempDir()
		demoCheck(t, saveDemoClock(dir, latest))
		got, err := demoStoredUntil(ctx, db.DB(), dir)
		if err != nil || !got.Equal(latest) {
			t.Fatalf("got %v, %v; want the saved clock %v", got, err, latest)
		}
		demoCheck(t, os.WriteFile(filepath.Join(dir, demoClockFile), []byte("yesterday\n"), 0o600))
		if got, err := demoStoredUntil(ctx, db.DB(), dir); err == nil || !strings.Contains(err.Error(), demoClockFile) {
			t.Errorf("a clock file reading \"yesterday\": got %v, %v; want an error naming it", got, err)
		}
		// past 2262 UnixNano wraps: 2700 read as 2115, 9999 as nothing
		for _, far := range []string{"2300-01-01T00:00:00Z", "2700-01-01T00:00:00Z", "9999-12-31T00:00:00Z", "0001-01-01T00:00:00Z"} {
			demoCheck(t, os.WriteFile(filepath.Join(dir, demoClockFile), []byte(far+"\n"), 0o600))
			if got, err := demoStoredUntil(ctx, db.DB(), dir); err == nil || !strings.Contains(err.Error(), "outside 1970-2199") {
				t.Errorf("a clock file reading %s: got %v, %v; want it refused as outside 1970-2199", far, got, err)
			}
		}
	})
	t.Run("nothing stored", func(t *testing.T) {
		db := openDemoTestStore(t)
		got, err := demoStoredUntil(ctx, db.DB(), t.TempDir())
		if err != nil || !got.IsZero() {
			t.Fatalf("got %v, %v; want zero", got, err)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDemoTestStore(t)
			for _, other := range tests {
				other.write(t, db, base) // everything, earlier
			}
			tt.write(t, db, latest)
			got, err := demoStoredUntil(ctx, db.DB(), t.TempDir())
			if err != nil || !got.Equal(latest) {
				t.Fatalf("got %v, %v; want %v (the %s)", got, err, latest, tt.name)
			}
		})
	}
}

// TestDemoContinuesAfterData: a folder restored, or whose accounts
// `rfwarden users` changed, months after its data continues after its
// data, not after the wall-clock times of the audit rows and accounts
// those console tools wrote; it jumped ~11 months (history_days then
// deleted every restored detection, fusion refused the sensors' outboxes
// as hours behind, and an alert left open logged escalations=93885). An
// account's password reset on the wall clock still refuses the sessions
// issued before it, and does not refuse the demo's logins.
func TestDemoContinuesAfterData(t *testing.T) {
	ctx := context.Background()
	data := time.Date(2026, 1, 15, 21, 4, 26, 0, time.UTC)
	wall := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	db := openDemoTestStore(t)
	d := event.Detection{Schema: event.SchemaVersion, ID: "d1", Site: "hmp-demo", Sensor: "s1", TimeNS: data.UnixNano(),
		CenterHz: 1750e6, BandwidthHz: 1e6, PowerDBm: -60, Class: event.ClassLTE, Link: event.LinkUplink}
	demoCheck(t, db.WriteDetections(ctx, []store.DetectionRecord{{Detection: d}}))
	demoCheck(t, db.WriteLocations(ctx, []store.LocationRecord{{Site: "hmp-demo", Track: "t1", TimeNS: data.UnixNano()}}))
	// a login of the demo's run, on its clock
	now := data.Add(-time.Hour)
	users, err := dashboard.NewUsers(ctx, db.DB(), demoUsersOptions(func() time.Time { return now }, 1))
	demoCheck(t, err)
	demoCheck(t, users.Create(ctx, "officer", "a long enough password", dashboard.RoleOfficer))
	old, err := users.Login(ctx, "127.0.0.1", "officer", "a long enough password")
	demoCheck(t, err)
	// the console tools, months later on the wall clock
	now = wall
	demoCheck(t, db.Audit(ctx, store.AuditEntry{TimeNS: wall.UnixNano(), User: "root", Action: "db.restore", Object: "db/rfwarden.db"}))
	demoCheck(t, users.Create(ctx, "admin2", "another long password", dashboard.RoleAdmin))
	pw, err := users.ResetPassword(ctx, "officer")
	demoCheck(t, err)
	demoCheck(t, db.Audit(ctx, store.AuditEntry{TimeNS: wall.UnixNano(), User: "root", Action: "user.password.reset", Object: "user/officer"}))

	stored, err := demoStoredUntil(ctx, db.DB(), t.TempDir())
	if err != nil || !stored.Equal(data) {
		t.Fatalf("stored until %v, %v; want the data's %v, not the console tools' wall clock %v", stored, err, data, wall)
	}
	start, err := demoStart(demoOptions{}, sim.StandardWing(1), stored)
	demoCheck(t, err)
	demoCheck(t, demoAccountsOnClock(ctx, db.DB(), start))
	now = start.Add(time.Minute)
	demoUsers, err := dashboard.NewUsers(ctx, db.DB(), demoUsersOptions(func() time.Time { return now }, 1))
	demoCheck(t, err)
	s, err := demoUsers.Login(ctx, "127.0.0.1", "officer", pw)
	if err != nil {
		t.Fatalf("login on the demo's clock after a wall-clock reset: %v", err)
	}
	// a fresh Users reads the sessions from the database, as after a restart
	check, err := dashboard.NewUsers(ctx, db.DB(), demoUsersOptions(func() time.Time { return now }, 1))
	demoCheck(t, err)
	if _, open := check.Session(s.Token); !open {
		t.Errorf("the session issued on the demo's clock at %v is refused: the wall-clock reset still revokes it", now)
	}
	if _, open := check.Session(old.Token); open {
		t.Errorf("the session issued before the reset is open again")
	}
}

// TestDemoRerunSameDir runs the demo twice on one --dir, as a reviewer
// did, with the security manager expiring ap-landing's entry in between.
// The second run added the six registry entries again (its own
// ap-landing, unexpired, authorised the access point again), replayed the
// first run's simulated minutes over its data, and the admin account and
// its user.create audit row carried the wall clock among simulated times.
func TestDemoRerunSameDir(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo twice")
	}
	ctx := context.Background()
	dir := t.TempDir()
	o := demoOptions{listen: "127.0.0.1:0", speed: 1, seed: 1, dir: dir, rateHz: 10e6, duration: time.Second,
		offlineAfter: time.Minute, statusEvery: time.Minute}
	run := func(o demoOptions) (demoInfo, string, error) {
		var info demoInfo
		var out strings.Builder
		err := runDemo(ctx, o, &syncWriter{w: &out}, io.Discard, func(i demoInfo) { info = i })
		return info, out.String(), err
	}
	first, _, err := run(o)
	if err != nil {
		t.Fatalf("first run: %v", err)
	}

	db := openDemoDB(t, dir)
	// The admin and its audit row are stamped by the demo's clock.
	var createdNS, auditNS int64
	demoCheck(t, db.DB().QueryRowContext(ctx, `SELECT created_ns FROM dashboard_users WHERE name = 'admin'`).Scan(&createdNS))
	demoCheck(t, db.DB().QueryRowContext(ctx, `SELECT time_ns FROM audit WHERE action = 'user.create' AND object = 'user/admin'`).Scan(&auditNS))
	runEnd := first.Start.Add(time.Hour) // far beyond the one simulated second, far before the wall clock
	for name, ns := range map[string]int64{"admin's created_ns": createdNS, "its user.create audit row": auditNS} {
		if at := time.Unix(0, ns).UTC(); at.Before(first.Start) || at.After(runEnd) {
			t.Errorf("%s %v: not on the demo's clock (run from %v)", name, at, first.Start)
		}
	}
	// The security manager expires ap-landing.
	st, err := site.Load(strings.NewReader(string(sim.StandardWing(1).SiteYAML())))
	demoCheck(t, err)
	reg, err := registry.Open(ctx, db.DB(), db, registry.Options{Location: time.UTC, Now: func() time.Time { return first.Start.Add(time.Second) }, Site: st})
	demoCheck(t, err)
	expired := entriesNamed(t, reg, "ap-landing")
	if len(expired) != 1 {
		t.Fatalf("first run: %d entries named ap-landing, want 1", len(expired))
	}
	_, err = reg.Expire(ctx, expired[0].ID, "security", first.Start.Add(time.Second))
	demoCheck(t, err)
	stored, err := demoStoredUntil(ctx, db.DB(), dir)
	demoCheck(t, err)
	db.Close()
	// The first run's clock at its stop, saved: its sensors' outboxes may
	// hold detections later than anything in the database.
	if end := first.Start.Add(o.duration); stored.Before(end) {
		t.Errorf("stored until %v, before the first run's end (at least %v)", stored, end)
	}

	// The first password was printed once: the second run gives a new
	// one on the demo's clock (`rfwarden users reset-password` would stamp
	// the wall clock, months from the scenario's times).
	o.newAdmin = true
	second, out, err := run(o)
	o.newAdmin = false
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if second.Password == "" || !strings.Contains(out, "admin / "+second.Password+" (a new password") {
		t.Errorf("second run with --new-admin-password: password %q, banner:\n%s", second.Password, out)
	}
	if !second.Start.After(stored) {
		t.Errorf("second run started at %v, not after the first run's data (until %v)", second.Start, stored)
	}
	if want := "continuing after " + stored.Format(time.RFC3339Nano) + " stored in " + dir; !strings.Contains(out, want) {
		t.Errorf("banner does not say %q:\n%s", want, out)
	}
	// its last line says where the state it continued is kept
	if want := "simulated 1s done; state kept in " + dir + " (start again with --dir " + dir + " to continue)"; !strings.Contains(out, want) {
		t.Errorf("the second run did not say %q when it stopped:\n%s", want, out)
	}

	db = openDemoDB(t, dir)
	reg, err = registry.Open(ctx, db.DB(), db, registry.Options{Location: time.UTC, Now: func() time.Time { return second.Start }, Site: st})
	demoCheck(t, err)
	list, err := reg.List(ctx)
	demoCheck(t, err)
	if len(list) != 6 {
		t.Errorf("after two runs the registry has %d entries, want the demo's 6", len(list))
	}
	if got := entriesNamed(t, reg, "ap-landing"); len(got) != 1 || got[0].ValidUntil.IsZero() {
		t.Errorf("ap-landing after the second run: %+v, want the one entry, expired", got)
	}
	var regAdds int64
	demoCheck(t, db.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit WHERE action = 'registry.add'`).Scan(&regAdds))
	if regAdds != 6 {
		t.Errorf("%d registry.add audit rows after two runs, want 6", regAdds)
	}
	var resetNS int64
	demoCheck(t, db.DB().QueryRowContext(ctx, `SELECT time_ns FROM audit WHERE action = 'user.password.reset' AND object = 'user/admin'`).Scan(&resetNS))
	if at := time.Unix(0, resetNS).UTC(); at.Before(second.Start) || at.After(second.Start.Add(time.Hour)) {
		t.Errorf("the admin's new password audited at %v, not on the second run's clock (from %v)", at, second.Start)
	}
	db.Close()

	// A --start over the stored data is refused, and says why.
	o.start = first.Start.Format(time.RFC3339)
	if _, _, err := run(o); err == nil || !strings.Contains(err.Error(), "the newest time stored in") {
		t.Errorf("third run with --start %s: %v, want it refused", o.start, err)
	}
}

// openDemoDB opens the SQLite database of a demo's state folder.
func openDemoDB(t *testing.T, dir string) *store.SQLite {
	t.Helper()
	db, err := store.OpenSQLite(filepath.Join(dir, "rfwarden.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestDemoPortTaken: a demo whose dashboard port is taken fails before it
// makes its admin account (whose password it would never print), saves no
// clock and stores no time at all (README.md): the same --start is taken
// again, and the next run's banner does not say it continues after a run
// that never ran. The failed run's clock was refused as "not after"
// until 2026-12-05, and until 2026-12-06 its registry entries and their
// audit rows, written before the port was tried, were. The error says
// that --listen moves the dashboard (until 2026-12-07 it did not).
func TestDemoPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	demoCheck(t, err)
	defer ln.Close()
	dir := t.TempDir()
	const start = "2026-01-15T21:00:00Z"
	o := demoOptions{listen: ln.Addr().String(), speed: 1, seed: 1, dir: dir, rateHz: 10e6, duration: time.Second,
		offlineAfter: time.Minute, statusEvery: time.Minute, start: start}
	err = runDemo(context.Background(), o, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "listen on "+o.listen) || !strings.Contains(err.Error(), "with --listen") {
		t.Fatalf("demo on a taken port: %v, want it to name the port and --listen, which moves it", err)
	}
	if _, err := os.Stat(filepath.Join(dir, demoClockFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a demo that did not start saved its clock (%v)", err)
	}
	db := openDemoDB(t, dir)
	var admins int
	if err := db.DB().QueryRow(`SELECT COUNT(*) FROM dashboard_users`).Scan(&admins); err == nil && admins != 0 {
		t.Errorf("a demo that did not start made %d accounts", admins)
	}
	stored, err := demoStoredUntil(context.Background(), db.DB(), dir)
	demoCheck(t, err)
	if !stored.IsZero() {
		t.Errorf("a demo that did not start left the stored time %s in --dir: the next run continues after it", stored.Format(time.RFC3339Nano))
	}
	if _, err := demoStart(demoOptions{start: start}, sim.StandardWing(1), stored); err != nil {
		t.Errorf("the same --start after a demo that did not start: %v", err)
	}
}

// TestDemoInterruptedBeforeBanner: a Ctrl-C that landed after the demo's
// start-up had written its registry entries (after fusion connected) but
// before its banner still printed the banner, then stopped "interrupted"
// and saved a clock at about its start, though README.md says a run that
// did not start saves no clock; the registry entries' audit rows and an
// admin account whose password was printed nowhere stayed, and the next
// run continued after them. Now a run interrupted before its banner
// prints none, says it was interrupted before it started, saves no clock
// and stores no time: the entries and the account are written last,
// uninterrupted, right before the banner. The context is cancelled by
// the test hook beforeBanner, once fusion is connected and the rest of
// the start-up done.
func TestDemoInterruptedBeforeBanner(t *testing.T) {
	dir := t.TempDir()
	const start = "2026-01-15T21:00:00Z"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := demoOptions{listen: "127.0.0.1:0", speed: 1, seed: 1, dir: dir, rateHz: 2e6, duration: time.Minute,
		offlineAfter: time.Hour, statusEvery: time.Hour, start: start, beforeBanner: cancel}
	var out strings.Builder
	readyCalled := false
	if err := runDemo(ctx, o, &syncWriter{w: &out}, io.Discard, func(demoInfo) { readyCalled = true }); err != nil {
		t.Fatalf("interrupted demo: %v, want no error (as an interrupted run)", err)
	}
	if strings.Contains(out.String(), "Watch the Alerts page") || readyCalled {
		t.Errorf("interrupted before its banner, it printed the banner (ready called: %v):\n%s", readyCalled, out.String())
	}
	if !strings.Contains(out.String(), "interrupted before it started") {
		t.Errorf("it does not say it was interrupted before it started:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, demoClockFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a demo interrupted before it started saved its clock (%v)", err)
	}
	db := openDemoDB(t, dir)
	var admins int
	if err := db.DB().QueryRow(`SELECT COUNT(*) FROM dashboard_users`).Scan(&admins); err == nil && admins != 0 {
		t.Errorf("a demo interrupted before it started made %d accounts (their password printed nowhere)", admins)
	}
	stored, err := demoStoredUntil(context.Background(), db.DB(), dir)
	demoCheck(t, err)
	if !stored.IsZero() {
		t.Errorf("a demo interrupted before it started left the stored time %s in a fresh --dir: the next run continues after it", stored.Format(time.RFC3339Nano))
	}
}
