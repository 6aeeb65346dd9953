package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/statelock"
)

// eraseDetID returns the nth detection ID of sensor, named as sensors
// name them (event.DetectionOf).
func eraseDetID(sensor string, n int) string {
	return fmt.Sprintf("%s-0123456789ab-%d-%d", sensor, n*1000, n)
}

// Detection IDs of the erase fixture, by what they are evidence of.
var (
	detA1     = eraseDetID("s1", 1) // of alert A1 (incident INC-A)
	detA2     = eraseDetID("s2", 2) // of alert A2 (incident INC-A)
	detShared = eraseDetID("s1", 3) // of INC-A's A1 and INC-B's B1
	detB1     = eraseDetID("s2", 4) // of B1 (INC-B)
	detS1     = eraseDetID("s1", 5) // of S1, an alert of no incident, acknowledged
	detS2     = eraseDetID("s1", 6) // of S2, of no incident, nobody acknowledged it
	detS3     = eraseDetID("s1", 7) // of S3, firing
	detO1     = eraseDetID("s1", 8) // of O1 (INC-O, open)
)

// hostileIDs are detection IDs an incident's stored body names that no
// sensor makes: a snippet name made of them would leave the folder.
var hostileIDs = []string{"x/../../victim", "../victim", "snippet-../../victim"}

// eraseFixture is a database of site hmp-test with three incidents, their
// alerts, detections and notification outbox rows, and the snippets of
// every detection in a snippet folder and (some) in a backup folder.
type eraseFixture struct {
	dir, db, snippets, backups string
}

// allDetections are every detection of the fixture with a snippet.
var allDetections = []string{detA1, detA2, detShared, detB1, detS1, detS2, detS3, detO1}

func makeEraseFixture(t *testing.T) eraseFixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	f := eraseFixture{dir: dir, db: filepath.Join(dir, "rfwarden.db"), snippets: filepath.Join(dir, "snippets"), backups: filepath.Join(dir, "backups")}
	db, err := store.OpenSQLite(f.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC).UnixNano()
	var recs []store.DetectionRecord
	for i, id := range allDetections {
		sensor := strings.SplitN(id, "-", 2)[0]
		recs = append(recs, store.DetectionRecord{Detection: event.Detection{Schema: 1, ID: id, Site: "hmp-test", Sensor: sensor,
			TimeNS: base + int64(i)*int64(time.Second), Snippet: "snippet-" + id, Class: "lte"}, Room: "cell-1"})
	}
	// another site's detection of the same ID is not this case's
	recs = append(recs, store.DetectionRecord{Detection: event.Detection{Schema: 1, ID: detA1, Site: "hmp-other", Sensor: "s1", TimeNS: base}, Room: "cell-9"})
	if err := db.WriteDetections(ctx, recs); err != nil {
		t.Fatal(err)
	}
	ack := base + int64(time.Hour)
	alerts := []event.Alert{
		{ID: "A1", State: event.AlertResolved, Incident: "INC-A", Evidence: []string{detA1, detShared}, AckNS: ack, AckBy: "ops", AckNote: "searched cell 1"},
		{ID: "A2", State: event.AlertResolved, Incident: "INC-A", Evidence: []string{detA2}},
		{ID: "B1", State: event.AlertResolved, Incident: "INC-B", Evidence: []string{detB1, detShared}, AckNS: ack},
		{ID: "S1", State: event.AlertResolved, Evidence: []string{detS1}, AckNS: ack},
		{ID: "S2", State: event.AlertResolved, Evidence: []string{detS2}},
		{ID: "S3", State: event.AlertFiring, Evidence: []string{detS3}},
		{ID: "O1", State: event.AlertFiring, Incident: "INC-O", Evidence: []string{detO1}},
	}
	notifier, err := fusion.OpenNotifier(ctx, db.DB(), fusion.NotifyOptions{Site: "hmp-test", Output: "webhook", Next: nopPublisher{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		a.Schema, a.Site, a.Rule, a.Severity, a.Room = 1, "hmp-test", "phone", event.SeverityCritical, "cell-1"
		a.Summary = "phone in cell 1"
		a.ActiveNS, a.UpdatedNS = base, base+int64(10*time.Minute)
		if err := db.UpsertAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := notifier.PublishAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	// acknowledgements the dashboard has not announced to fusion yet
	for _, n := range []event.Ack{{Alert: "A1", Note: "searched cell 1"}, {Alert: "B1"}} {
		n.Schema, n.Site, n.By, n.AckNS = 1, "hmp-test", "ops", ack
		if ok, err := db.HoldAck(ctx, n, 10); !ok || err != nil {
			t.Fatalf("hold the acknowledgement of %s: %v, %v", n.Alert, ok, err)
		}
	}
	closed := func(inc store.Incident) store.Incident {
		inc.Site, inc.Kind, inc.Summary, inc.OpenedNS, inc.UpdatedNS = "hmp-test", "illicit_phone", "phone in cell 1", base, ack
		inc.State, inc.ClosedNS, inc.ClosedBy, inc.Outcome, inc.Rooms = store.IncidentClosed, ack, "ops", "not_found", []string{"cell-1"}
		return inc
	}
	open := closed(store.Incident{ID: "INC-O", Alerts: []string{"O1"}, Detections: []string{detO1}})
	open.State, open.ClosedNS, open.ClosedBy, open.Outcome = store.IncidentOpen, 0, "", ""
	for _, inc := range []store.Incident{
		closed(store.Incident{ID: "INC-A", Alerts: []string{"A1", "A2"}, Detections: []string{detA1, detA2, detShared}}),
		closed(store.Incident{ID: "INC-B", Alerts: []string{"B1"}, Detections: []string{detB1, detShared}}),
		closed(store.Incident{ID: "INC-H", Detections: hostileIDs}),
		open,
	} {
		if err := db.UpsertIncident(ctx, inc); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(filepath.Base(p)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range allDetections {
		for _, ext := range []string{".sigmf-meta", ".sigmf-data"} {
			write(filepath.Join(f.snippets, "snippet-"+id+ext))
			if id == detA1 || id == detShared || id == detB1 {
				write(filepath.Join(f.backups, "snippets", "snippet-"+id+ext))
			}
		}
	}
	write(filepath.Join(f.backups, "rfwarden-20261201T030000.000Z.db"))
	// what a hostile ID's snippet name would reach, joined to the folder
	write(filepath.Join(dir, "victim.sigmf-meta"))
	write(filepath.Join(dir, "victim.sigmf-data"))
	return f
}

// nopPublisher delivers nothing: the outbox rows stay queued.
type nopPublisher struct{}

func (nopPublisher) PublishAlert(context.Context, event.Alert) error { return nil }

// eraseState is what a fixture's database and folders hold.
type eraseState struct {
	incidents, alerts, outbox, held, detections, audit, files []string
}

// readEraseState reads what f holds now, each list sorted.
func readEraseState(t *testing.T, f eraseFixture) eraseState {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+f.db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	col := func(q string) []string {
		t.Helper()
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		slices.Sort(out)
		return out
	}
	var s eraseState
	s.incidents = col(`SELECT id FROM incident`)
	s.alerts = col(`SELECT id FROM alert`)
	s.outbox = col(`SELECT alert_id FROM notify_outbox`)
	s.held = col(`SELECT alert_id FROM ack_held`)
	s.detections = col(`SELECT site || '/' || id FROM detection`)
	s.audit = col(`SELECT id || ' ' || user || ' ' || action || ' ' || object || ' ' || after FROM audit`)
	filepath.WalkDir(f.dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && !strings.Contains(p, "rfwarden.db") {
			rel, _ := filepath.Rel(f.dir, p)
			s.files = append(s.files, rel)
		}
		return nil
	})
	slices.Sort(s.files)
	return s
}

// snippetFiles returns the files of the snippets of ids, in the snippet
// folder and, when backup, in the backup folder's snippets/.
func snippetFiles(backup bool, ids ...string) []string {
	var out []string
	for _, id := range ids {
		for _, ext := range []string{".sigmf-meta", ".sigmf-data"} {
			out = append(out, filepath.Join("snippets", "snippet-"+id+ext))
			if backup {
				out = append(out, filepath.Join("backups", "snippets", "snippet-"+id+ext))
			}
		}
	}
	return out
}

// without returns list less drop.
func without(list []string, drop ...string) []string {
	return slices.DeleteFunc(slices.Clone(list), func(s string) bool { return slices.Contains(drop, s) })
}

// eraseRun runs rfwarden erase on f with args (--db, --snippets and
// --backups first), not on a terminal.
func eraseRun(f eraseFixture, args ...string) (string, error) {
	return eraseRunTerminal(f, false, nil, args...)
}

// eraseRunTerminal is eraseRun, on a terminal when terminal, with stdin
// in.
func eraseRunTerminal(f eraseFixture, terminal bool, in io.Reader, args ...string) (string, error) {
	oldTerm, oldIn := eraseTerminal, eraseStdin
	eraseTerminal, eraseStdin = func() bool { return terminal }, in
	defer func() { eraseTerminal, eraseStdin = oldTerm, oldIn }()
	var stdout, stderr strings.Builder
	all := append([]string{"erase", "--db", f.db, "--snippets", f.snippets, "--backups", f.backups}, args...)
	err := run(context.Background(), all, &stdout, &stderr)
	return stdout.String() + stderr.String(), err
}

// A DPO erases a closed case: its incident, alerts, outbox rows, held
// acknowledgements, detections and their snippets (in the snippet folder and the backup
// folder) go, in one transaction with one audit row naming them by the
// console actor; another case's rows and files, and the evidence that
// case shares, stay. Run again, it says there is nothing to erase.
func TestEraseIncident(t *testing.T) {
	f := makeEraseFixture(t)
	before := readEraseState(t, f)
	out, err := eraseRun(f, "--incident", "INC-A", "--yes")
	if err != nil {
		t.Fatalf("erase: %v\n%s", err, out)
	}
	after := readEraseState(t, f)
	if want := without(before.incidents, "INC-A"); !slices.Equal(after.incidents, want) {
		t.Errorf("incidents: %v, want %v", after.incidents, want)
	}
	if want := without(before.alerts, "A1", "A2"); !slices.Equal(after.alerts, want) {
		t.Errorf("alerts: %v, want %v", after.alerts, want)
	}
	if want := without(before.outbox, "A1", "A2"); !slices.Equal(after.outbox, want) {
		t.Errorf("outbox: %v, want %v", after.outbox, want)
	}
	if want := without(before.held, "A1"); len(before.held) != 2 || !slices.Equal(after.held, want) {
		t.Errorf("held acknowledgements: %v, want %v", after.held, want)
	}
	if want := without(before.detections, "hmp-test/"+detA1, "hmp-test/"+detA2); !slices.Equal(after.detections, want) {
		t.Errorf("detections: %v, want %v", after.detections, want)
	}
	if want := without(before.files, snippetFiles(true, detA1, detA2)...); !slices.Equal(after.files, want) {
		t.Errorf("files: %v, want %v", after.files, want)
	}
	// one audit row, by the console, naming IDs and counts, no content
	if len(after.audit) != len(before.audit)+1 {
		t.Fatalf("audit rows: %v, want one more than %v", after.audit, before.audit)
	}
	row := after.audit[len(after.audit)-1]
	for _, want := range []string{" console:", " erase.incident incident/INC-A ", `"A1"`, `"A2"`, detA1, detA2, detShared, `"outbox_rows":2`, `"held_acks":1`, `"detection_rows":2`, `"snippet_files":6`} {
		if !strings.Contains(row, want) {
			t.Errorf("audit row %q lacks %q", row, want)
		}
	}
	for _, content := range []string{"phone in cell", "searched", "cell-1", "not_found"} {
		if strings.Contains(row, content) {
			t.Errorf("audit row %q holds content %q", row, content)
		}
	}
	for _, want := range []string{"INC-A", "2 alerts", "1 held acknowledgement (the dashboard's", "2 detection rows, 1 held acknowledgement", "kept", detShared, "INC-B", "deleted 6 snippet files",
		"not erased", `DELETE FROM "detection" WHERE "site" = 'hmp-test' AND "room" = 'cell-1' AND time >= '2026-11-20T09:50:00Z' AND time < '2026-11-20T10:20:00Z'`,
		"sensors' snippet folders", "s1, s2", "rfwarden-20261201T030000.000Z.db", "off the host"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// again: nothing to erase, nothing changed
	out, err = eraseRun(f, "--incident", "INC-A", "--yes")
	if err == nil || !strings.Contains(err.Error(), `incident "INC-A"`) || !strings.Contains(err.Error(), "nothing to erase") {
		t.Errorf("erase again: %v\n%s", err, out)
	}
	if again := readEraseState(t, f); !slices.Equal(again.audit, after.audit) || !slices.Equal(again.files, after.files) {
		t.Errorf("erase again changed something")
	}
	// the other case, erased next, takes the shared evidence now
	if out, err := eraseRun(f, "--incident", "INC-B", "--yes"); err != nil {
		t.Fatalf("erase INC-B: %v\n%s", err, out)
	}
	last := readEraseState(t, f)
	if want := without(after.files, snippetFiles(true, detB1, detShared)...); !slices.Equal(last.files, want) {
		t.Errorf("files after INC-B: %v, want %v", last.files, want)
	}
}

// An alert of no incident is erased with --alert, with its outbox rows,
// detections and snippets, audited as erase.alert.
func TestEraseAlert(t *testing.T) {
	f := makeEraseFixture(t)
	before := readEraseState(t, f)
	out, err := eraseRun(f, "--alert", "S1", "--yes")
	if err != nil {
		t.Fatalf("erase: %v\n%s", err, out)
	}
	after := readEraseState(t, f)
	if !slices.Equal(after.incidents, before.incidents) || !slices.Equal(after.alerts, without(before.alerts, "S1")) ||
		!slices.Equal(after.outbox, without(before.outbox, "S1")) || !slices.Equal(after.detections, without(before.detections, "hmp-test/"+detS1)) ||
		!slices.Equal(after.files, without(before.files, snippetFiles(false, detS1)...)) {
		t.Errorf("after erasing S1:\n%+v\nbefore:\n%+v", after, before)
	}
	if row := after.audit[len(after.audit)-1]; !strings.Contains(row, " erase.alert alert/S1 ") || !strings.Contains(row, detS1) {
		t.Errorf("audit row %q", row)
	}
}

// --dry-run prints what would go and changes nothing, even while the
// services hold the database.
func TestEraseDryRun(t *testing.T) {
	f := makeEraseFixture(t)
	before := readEraseState(t, f)
	dash, err := store.OpenSQLite(f.db)
	if err != nil {
		t.Fatal(err)
	}
	defer dash.Close()
	if _, err := dash.Alerts(context.Background(), store.AlertFilter{}); err != nil {
		t.Fatal(err)
	}
	out, err := eraseRun(f, "--incident", "INC-A", "--dry-run")
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	for _, want := range slices.Concat([]string{"dry run", "A1", "A2", detA1, detA2, "kept", detShared, "2 outbox rows", "2 detection rows", "not erased"},
		snippetFiles(true, detA1), snippetFiles(false, detA2)) {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	if after := readEraseState(t, f); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("dry run changed the state:\n%+v\nbefore:\n%+v", after, before)
	}
	// a dry run of a case that would be refused says so and fails
	out, err = eraseRun(f, "--incident", "INC-O", "--dry-run")
	if err == nil || !strings.Contains(err.Error(), "open") {
		t.Errorf("dry run of an open case: %v\n%s", err, out)
	}
}

// Refusals change nothing and name the problem; --force erases a case
// not finished (open, firing, not acknowledged).
func TestEraseRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		hold  func(t *testing.T, f eraseFixture) func()
		setup func(t *testing.T, f eraseFixture)
		want  []string // in the error; none: it succeeds
	}{
		{name: "unknown incident", args: []string{"--incident", "INC-X", "--yes"}, want: []string{`incident "INC-X"`, "nothing to erase"}},
		{name: "unknown alert", args: []string{"--alert", "X1", "--yes"}, want: []string{`alert "X1"`, "nothing to erase"}},
		{name: "open incident", args: []string{"--incident", "INC-O", "--yes"}, want: []string{"INC-O", "open", "O1", "firing", "--force"}},
		{name: "open incident forced", args: []string{"--incident", "INC-O", "--yes", "--force"}},
		{name: "firing alert", args: []string{"--alert", "S3", "--yes"}, want: []string{"S3", "firing", "--force"}},
		{name: "alert nobody acknowledged", args: []string{"--alert", "S2", "--yes"}, want: []string{"S2", "acknowledged", "--force"}},
		{name: "alert nobody acknowledged forced", args: []string{"--alert", "S2", "--yes", "--force"}},
		{name: "alert of an incident", args: []string{"--alert", "A1", "--yes", "--force"}, want: []string{"INC-A", "--incident INC-A"}},
		{name: "both", args: []string{"--incident", "INC-A", "--alert", "S1", "--yes"}, want: []string{"usage"}},
		{name: "neither", args: []string{"--yes"}, want: []string{"usage"}},
		{name: "not on a terminal without --yes", args: []string{"--incident", "INC-A"}, want: []string{"--yes", "terminal"}},
		{name: "missing backup folder", args: []string{"--incident", "INC-A", "--yes", "--backups", "/nonexistent/rfw-backups"}, want: []string{"/nonexistent/rfw-backups"}},
		{name: "missing snippet folder", args: []string{"--incident", "INC-A", "--yes", "--snippets", "/nonexistent/rfw-snippets"}, want: []string{"/nonexistent/rfw-snippets"}},
		{name: "dashboard holds the database", args: []string{"--incident", "INC-A", "--yes"},
			hold: func(t *testing.T, f eraseFixture) func() {
				db, err := store.OpenSQLite(f.db)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.Alerts(context.Background(), store.AlertFilter{}); err != nil {
					t.Fatal(err)
				}
				return func() { db.Close() }
			}, want: []string{"in use", "systemctl stop", "rfwarden-backup.timer", "another rfwarden command"}},
		// a kill -9 left detections in fusion's intake journal: its next
		// start stores them, after the erase (until 2026-12-07 erased)
		{name: "fusion's intake journal holds detections", args: []string{"--incident", "INC-A", "--yes", "--force"},
			hold: func(t *testing.T, f eraseFixture) func() {
				db, err := store.OpenSQLite(f.db)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				if err := db.AppendJournal(context.Background(), []store.JournalEntry{{Seq: 1, Topic: "rfw/v1/hmp-test/sensor/s1/detection", Payload: []byte(`{}`), ReceivedNS: 1}}); err != nil {
					t.Fatal(err)
				}
				return func() {}
			}, want: []string{"1 detection it had taken in", "intake journal", "start fusion once"}},
		{name: "fusion holds its lock", args: []string{"--incident", "INC-A", "--yes"},
			hold: func(t *testing.T, f eraseFixture) func() {
				l, err := statelock.Acquire(statelock.For(f.db + ".fusion-hmp-test"))
				if err != nil {
					t.Fatal(err)
				}
				return func() { l.Release() }
			}, want: []string{"fusion-hmp-test.lock", "systemctl stop", "rfwarden-backup.timer"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := makeEraseFixture(t)
			before := readEraseState(t, f)
			if tc.hold != nil {
				defer tc.hold(t, f)()
			}
			out, err := eraseRun(f, tc.args...)
			after := readEraseState(t, f)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("erase: %v\n%s", err, out)
				}
				if len(after.audit) != len(before.audit)+1 || !strings.Contains(after.audit[len(after.audit)-1], `"forced":`) {
					t.Errorf("a forced erase's audit row does not say it was forced: %v", after.audit)
				}
				return
			}
			if err == nil {
				t.Fatalf("erase succeeded:\n%s", out)
			}
			msg := err.Error()
			if msg == "usage" {
				msg = out
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("a refused erase changed the state:\n%+v\nbefore:\n%+v", after, before)
			}
		})
	}
}

// Detection IDs come from the database: one that is not a sensor's
// detection ID is never made into a path, so a stored "x/../../victim"
// deletes no file outside the snippet folder.
func TestEraseHostileSnippetID(t *testing.T) {
	f := makeEraseFixture(t)
	before := readEraseState(t, f)
	out, err := eraseRun(f, "--incident", "INC-H", "--yes")
	if err != nil {
		t.Fatalf("erase: %v\n%s", err, out)
	}
	after := readEraseState(t, f)
	if !slices.Equal(after.files, before.files) {
		t.Errorf("files: %v, want %v", after.files, before.files)
	}
	if !strings.Contains(out, "not a sensor's detection ID") || !strings.Contains(out, `"x/../../victim"`) {
		t.Errorf("output does not name the IDs not followed:\n%s", out)
	}
}

// On a terminal, erase asks first: anything but "yes" erases nothing.
func TestEraseConfirms(t *testing.T) {
	for _, tc := range []struct {
		name, answer string
		erased       bool
	}{{"no", "no\n", false}, {"empty line", "\n", false}, {"end of input", "", false}, {"yes", "yes\n", true}} {
		t.Run(tc.name, func(t *testing.T) {
			f := makeEraseFixture(t)
			out, err := eraseRunTerminal(f, true, strings.NewReader(tc.answer), "--incident", "INC-A")
			erased := !slices.Contains(readEraseState(t, f).incidents, "INC-A")
			if erased != tc.erased || (err == nil) != tc.erased {
				t.Errorf("answer %q: erased %v, err %v, want erased %v\n%s", tc.answer, erased, err, tc.erased, out)
			}
			if !strings.Contains(out, "yes") {
				t.Errorf("no question asked (%v):\n%s", err, out)
			}
		})
	}
}

// A snippet file that cannot be deleted is named and fails the command,
// after the rows are erased (committed) and the other files deleted.
func TestEraseFileNotDeleted(t *testing.T) {
	f := makeEraseFixture(t)
	stuck := filepath.Join(f.backups, "snippets", "snippet-"+detA1+".sigmf-data")
	if err := os.Remove(stuck); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(stuck, "inside"), 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := eraseRun(f, "--incident", "INC-A", "--yes")
	if err == nil || !strings.Contains(err.Error(), stuck) {
		t.Fatalf("erase: %v, want an error naming %s\n%s", err, stuck, out)
	}
	if !strings.Contains(out, stuck) {
		t.Errorf("output does not name %s:\n%s", stuck, out)
	}
	after := readEraseState(t, f)
	if slices.Contains(after.incidents, "INC-A") || slices.Contains(after.alerts, "A1") {
		t.Errorf("rows not erased: %+v", after)
	}
	for _, p := range snippetFiles(true, detA2) {
		if slices.Contains(after.files, p) {
			t.Errorf("%s not deleted", p)
		}
	}
	// once it can be, erase run again deletes it: the case is gone, its
	// audit row names the detections
	if err := os.RemoveAll(stuck); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stuck, []byte("iq"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = eraseRun(f, "--incident", "INC-A", "--yes")
	if err != nil || !strings.Contains(out, "deleted 1 snippet file") {
		t.Errorf("erase again: %v\n%s", err, out)
	}
	if _, err := os.Lstat(stuck); err == nil {
		t.Errorf("%s left after erasing again", stuck)
	}
}

// The erased rows' content does not stay readable in the database file:
// erase overwrites the pages it frees (secure_delete) and checkpoints the
// WAL into the file, so an erased alert's acknowledgement note and
// summary, which no other row holds, are in neither rfwarden.db nor its
// -wal afterwards.
func TestEraseSecureDelete(t *testing.T) {
	f := makeEraseFixture(t)
	db, err := store.OpenSQLite(f.db)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	alerts, err := db.Alerts(ctx, store.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		if a.ID == "A1" {
			a.Summary = "summary only A1 holds"
			if err := db.UpsertAlert(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	db.Close()
	secrets := []string{"searched cell 1", "summary only A1 holds"}
	for _, s := range secrets {
		if b, err := os.ReadFile(f.db); err != nil || !strings.Contains(string(b), s) {
			t.Fatalf("the fixture's %s does not hold %q before the erase (%v): the test tests nothing", f.db, s, err)
		}
	}
	readable := func(when string) {
		t.Helper()
		for _, p := range []string{f.db, f.db + "-wal", f.db + "-journal"} {
			b, err := os.ReadFile(p)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range secrets {
				if strings.Contains(string(b), s) {
					t.Errorf("%s: %s still holds %q (%d bytes)", when, filepath.Base(p), s, len(b))
				}
			}
		}
	}
	// as the command does it, the file read while the database is still
	// held: the WAL checkpointed into it
	held, err := holdDatabase(ctx, f.db)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	plan, err := readErasePlan(ctx, held, eraseTarget{"incident", "INC-A"}, []string{f.snippets})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := executeErase(ctx, held, plan, "console:test", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := checkpointErased(ctx, held); err != nil {
		t.Fatal(err)
	}
	readable("erased, the database still held")
	if err := held.Close(); err != nil {
		t.Fatal(err)
	}
	readable("erased and closed")
	// and the command itself
	if out, err := eraseRun(f, "--alert", "S1", "--yes"); err != nil {
		t.Fatalf("erase: %v\n%s", err, out)
	}
	readable("after rfwarden erase")
}

// copyingReader stands for the operator at the prompt while something
// else changes the folders (the backup timer, not stopped, copying a
// snippet into DIR/snippets/; a file deleted by hand): it does that, then
// answers yes.
type copyingReader struct {
	do   func()
	done bool
}

// Read does r.do once and answers yes; then end of input.
func (r *copyingReader) Read(p []byte) (int, error) {
	if r.done {
		return 0, io.EOF
	}
	r.done = true
	r.do()
	return copy(p, "yes\n"), nil
}

// The snippet files are listed for the prompt, but deleted by name after
// the commit: a copy the backup timer made in a backup folder's snippets/
// while erase waited at its prompt goes too, and a file gone meanwhile is
// not counted as deleted.
func TestEraseFilesChangedAtPrompt(t *testing.T) {
	for _, tc := range []struct {
		name        string
		change      func(t *testing.T, f eraseFixture) string // the file it adds or removes
		wantDeleted string
	}{
		{name: "backup copy made", change: func(t *testing.T, f eraseFixture) string {
			late := filepath.Join(f.backups, "snippets", "snippet-"+detA2+".sigmf-data")
			if err := os.WriteFile(late, []byte("iq"), 0o600); err != nil {
				t.Error(err) // not Fatal: erase reads its answer on a goroutine of its own
			}
			return late
		}, wantDeleted: "deleted 7 snippet files"},
		{name: "file deleted by hand", change: func(t *testing.T, f eraseFixture) string {
			gone := filepath.Join(f.snippets, "snippet-"+detA2+".sigmf-data")
			if err := os.Remove(gone); err != nil {
				t.Error(err)
			}
			return gone
		}, wantDeleted: "deleted 5 snippet files"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := makeEraseFixture(t)
			before := readEraseState(t, f)
			var changed string
			out, err := eraseRunTerminal(f, true, &copyingReader{do: func() { changed = tc.change(t, f) }}, "--incident", "INC-A")
			if err != nil {
				t.Fatalf("erase: %v\n%s", err, out)
			}
			if _, err := os.Lstat(changed); err == nil {
				t.Errorf("erase succeeded, but %s (a snippet of an erased detection) is still there\n%s", changed, out)
			}
			if after := readEraseState(t, f); !slices.Equal(after.files, without(before.files, snippetFiles(true, detA1, detA2)...)) {
				t.Errorf("files: %v\nbefore: %v", after.files, before.files)
			}
			if !strings.Contains(out, tc.wantDeleted) {
				t.Errorf("output lacks %q:\n%s", tc.wantDeleted, out)
			}
		})
	}
}

// Without a snippet folder (no --snippets, and sudo -u dropped
// RFW_SNIPPET_DIR) erase refuses, naming both remedies: the rows would
// go and their snippets stay with nothing left to find them by.
// --no-snippets erases the rows only; a later run with the folder finds
// the case gone but its erase.incident audit row there, deletes the
// snippets that row's detections left, says so and audits that too.
func TestEraseNoSnippetFolder(t *testing.T) {
	f := makeEraseFixture(t)
	t.Setenv("RFW_SNIPPET_DIR", "")
	before := readEraseState(t, f)
	runErase := func(args ...string) (string, error) {
		oldTerm := eraseTerminal
		eraseTerminal = func() bool { return false }
		defer func() { eraseTerminal = oldTerm }()
		var stdout, stderr strings.Builder
		err := run(context.Background(), append([]string{"erase", "--db", f.db, "--backups", f.backups}, args...), &stdout, &stderr)
		return stdout.String() + stderr.String(), err
	}
	out, err := runErase("--incident", "INC-A", "--yes")
	if err == nil {
		t.Fatalf("erase without a snippet folder succeeded:\n%s", out)
	}
	for _, want := range []string{"no snippet folder", "RFW_SNIPPET_DIR", "--snippets", "--no-snippets"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if after := readEraseState(t, f); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a refused erase changed the state:\n%+v\nbefore:\n%+v", after, before)
	}

	// the rows only (and the backup folder's copies)
	out, err = runErase("--incident", "INC-A", "--yes", "--no-snippets")
	if err != nil {
		t.Fatalf("erase --no-snippets: %v\n%s", err, out)
	}
	rowsGone := readEraseState(t, f)
	if slices.Contains(rowsGone.incidents, "INC-A") || !slices.Equal(rowsGone.files, without(before.files, filepath.Join("backups", "snippets", "snippet-"+detA1+".sigmf-meta"), filepath.Join("backups", "snippets", "snippet-"+detA1+".sigmf-data"))) {
		t.Errorf("after erase --no-snippets: %+v", rowsGone)
	}
	if _, notErased, _ := strings.Cut(out, "not erased by this command"); !strings.Contains(notErased, "--no-snippets") || !strings.Contains(notErased, "rfwarden erase --incident INC-A --snippets DIR") {
		t.Errorf("erase --no-snippets does not say the snippet folder was not searched, or how to do it later:\n%s", out)
	}

	// later, with the folder: a dry run shows them, the run deletes them
	out, err = eraseRun(f, "--incident", "INC-A", "--dry-run")
	if err != nil || !strings.Contains(out, "erased before") || !strings.Contains(out, filepath.Join(f.snippets, "snippet-"+detA2+".sigmf-data")) {
		t.Errorf("dry run of the follow-up: %v\n%s", err, out)
	}
	if again := readEraseState(t, f); fmt.Sprint(again) != fmt.Sprint(rowsGone) {
		t.Errorf("the follow-up's dry run changed the state")
	}
	out, err = eraseRun(f, "--incident", "INC-A", "--yes")
	if err != nil {
		t.Fatalf("follow-up: %v\n%s", err, out)
	}
	after := readEraseState(t, f)
	if want := without(before.files, snippetFiles(true, detA1, detA2)...); !slices.Equal(after.files, want) {
		t.Errorf("files after the follow-up: %v, want %v", after.files, want)
	}
	for _, want := range []string{"erased before", "deleted 4 snippet files", "erase.incident.files"} {
		if !strings.Contains(out, want) {
			t.Errorf("follow-up output lacks %q:\n%s", want, out)
		}
	}
	if len(after.audit) != len(rowsGone.audit)+1 {
		t.Fatalf("audit rows: %v, want one more than %v", after.audit, rowsGone.audit)
	}
	row := after.audit[len(after.audit)-1]
	if !strings.Contains(row, " erase.incident.files incident/INC-A ") || !strings.Contains(row, `"snippet_files":4`) || !strings.Contains(row, " console:") {
		t.Errorf("follow-up audit row %q", row)
	}
	// nothing left: nothing to erase, nothing audited
	out, err = eraseRun(f, "--incident", "INC-A", "--yes")
	if err == nil || !strings.Contains(err.Error(), "nothing to erase") {
		t.Errorf("follow-up again: %v\n%s", err, out)
	}
	if again := readEraseState(t, f); fmt.Sprint(again) != fmt.Sprint(after) {
		t.Errorf("a follow-up with nothing left changed the state")
	}
}

// The "not erased" list names what erase does not reach, with what to do:
// the backup folders' snippets/ when no --backups was given; InfluxDB
// DELETE statements whose window starts at the incident's opening (less
// the evidence window) though the alert that opened it was pruned, and
// that take the unlocated ("_") detections too; the search outcomes,
// fusion's InfluxDB spool and snippets that can come back.
func TestEraseNotReached(t *testing.T) {
	pruneOpener := func(t *testing.T, f eraseFixture) {
		db, err := store.OpenSQLite(f.db)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ctx := context.Background()
		inc, err := db.Incident(ctx, "INC-A")
		if err != nil {
			t.Fatal(err)
		}
		inc.OpenedNS -= int64(3 * time.Hour) // opened by A0, pruned since (alert_days)
		inc.Alerts = append([]string{"A0"}, inc.Alerts...)
		if err := db.UpsertIncident(ctx, inc); err != nil {
			t.Fatal(err)
		}
		if _, err := db.DB().Exec(`DELETE FROM detection`); err != nil { // InfluxDB holds them
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name          string
		args          []string // after --db
		setup         func(t *testing.T, f eraseFixture)
		want, notWant []string // in the not-erased list
	}{
		{name: "no --backups", args: []string{"--incident", "INC-A", "--yes"},
			want: []string{"backup folders' snippets/", "not searched", "rfwarden restore --snippets"}},
		{name: "with --backups", args: []string{"--incident", "INC-A", "--yes", "--backups", "backups"},
			notWant: []string{"not searched"}},
		{name: "opening alert pruned", args: []string{"--incident", "INC-A", "--dry-run"}, setup: pruneOpener,
			want:    []string{`DELETE FROM "detection" WHERE "site" = 'hmp-test' AND time >= '2026-11-20T06:50:00Z'`, "not known here"},
			notWant: []string{"time >= '2026-11-20T09:50:00Z'", `"room" = 'cell-1'`}},
		{name: "unlocated", args: []string{"--alert", "S1", "--dry-run"}, want: []string{
			`DELETE FROM "detection" WHERE "site" = 'hmp-test' AND "room" = '_' AND time >= '2026-11-20T09:50:00Z' AND time < '2026-11-20T10:20:00Z'`,
			`DELETE FROM "location" WHERE "site" = 'hmp-test' AND "room" = '_' AND time >= '2026-11-20T09:50:00Z' AND time < '2026-11-20T10:20:00Z'`}},
		{name: "elsewhere", args: []string{"--alert", "S1", "--dry-run"}, want: []string{
			"dashboard_search_outcomes", "RFW_SEARCH_DAYS", "influx.spool_dir", "influx_spooled",
			"persistent session", "re-upload", "delete them on the sensors first"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := makeEraseFixture(t)
			if tc.setup != nil {
				tc.setup(t, f)
			}
			oldTerm := eraseTerminal
			eraseTerminal = func() bool { return false }
			defer func() { eraseTerminal = oldTerm }()
			args := slices.Concat([]string{"erase", "--db", f.db, "--snippets", f.snippets}, tc.args)
			for i, a := range args {
				if a == "backups" {
					args[i] = f.backups
				}
			}
			var stdout, stderr strings.Builder
			if err := run(context.Background(), args, &stdout, &stderr); err != nil {
				t.Fatalf("erase: %v\n%s%s", err, stdout.String(), stderr.String())
			}
			_, notErased, _ := strings.Cut(stdout.String(), "not erased by this command")
			for _, w := range tc.want {
				if !strings.Contains(notErased, w) {
					t.Errorf("the not-erased list lacks %q:\n%s", w, notErased)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(notErased, w) {
					t.Errorf("the not-erased list has %q:\n%s", w, notErased)
				}
			}
		})
	}
}

// cancelAtPrompt keeps what is written and cancels a context once the
// confirmation question is written: Ctrl-C at the prompt.
type cancelAtPrompt struct {
	strings.Builder
	cancel context.CancelFunc
}

// Write keeps p and cancels at the question.
func (c *cancelAtPrompt) Write(p []byte) (int, error) {
	n, err := c.Builder.Write(p)
	if strings.Contains(c.String(), "type yes") {
		c.cancel()
	}
	return n, err
}

// Ctrl-C at the prompt (the signal context cancelled while erase waits
// for an answer that does not come) aborts: nothing erased, and erase
// says so and fails.
func TestEraseConfirmInterrupted(t *testing.T) {
	f := makeEraseFixture(t)
	before := readEraseState(t, f)
	stdin, typing := io.Pipe()
	defer typing.Close()
	oldTerm, oldIn := eraseTerminal, eraseStdin
	eraseTerminal, eraseStdin = func() bool { return true }, stdin
	defer func() { eraseTerminal, eraseStdin = oldTerm, oldIn }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout := &cancelAtPrompt{cancel: cancel}
	var stderr strings.Builder
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"erase", "--db", f.db, "--snippets", f.snippets, "--backups", f.backups, "--incident", "INC-A"}, stdout, &stderr)
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "nothing erased") {
			t.Errorf("erase interrupted at its prompt: %v, want an error saying nothing was erased", err)
		}
		if !strings.Contains(stdout.String(), "nothing erased") {
			t.Errorf("erase interrupted at its prompt does not say nothing was erased:\n%s", stdout.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("erase still waits at its prompt 20 s after Ctrl-C")
	}
	if after := readEraseState(t, f); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("an interrupted erase changed the state:\n%+v\nbefore:\n%+v", after, before)
	}
}

// An erase takes its site's rows only, and a detection row only of the
// sensor its ID names (the table's key is site, sensor, id; a row an
// older binary wrote has no sensor and goes too): another site's alert
// naming the incident stays, and so does another sensor's row of the
// same ID.
func TestEraseScoped(t *testing.T) {
	f := makeEraseFixture(t)
	db, err := store.OpenSQLite(f.db)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	other := event.Alert{Schema: 1, ID: "Y1", Site: "hmp-other", Rule: "phone", Severity: event.SeverityCritical, State: event.AlertResolved,
		Incident: "INC-A", AckNS: 1, ActiveNS: 1, UpdatedNS: 2}
	if err := db.UpsertAlert(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := db.WriteDetections(ctx, []store.DetectionRecord{
		{Detection: event.Detection{Schema: 1, ID: detA1, Site: "hmp-test", Sensor: "s9", TimeNS: 5}, Room: "cell-2"},
	}); err != nil {
		t.Fatal(err)
	}
	// as an older binary wrote it: no sensor
	if _, err := db.DB().Exec(`INSERT INTO detection(id, site, sensor, time_ns, room, authorised, body) VALUES (?, 'hmp-test', '', 6, 'cell-1', 0, '{}')`, detA2); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before := readEraseState(t, f)
	if out, err := eraseRun(f, "--incident", "INC-A", "--yes"); err != nil {
		t.Fatalf("erase: %v\n%s", err, out)
	}
	after := readEraseState(t, f)
	if want := without(before.alerts, "A1", "A2"); !slices.Equal(after.alerts, want) {
		t.Errorf("alerts: %v, want %v (another site's Y1 kept)", after.alerts, want)
	}
	s, err := sql.Open("sqlite", "file:"+f.db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var left []string
	rows, err := s.Query(`SELECT site || '/' || sensor || '/' || id FROM detection WHERE id IN (?, ?) ORDER BY 1`, detA1, detA2)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r string
		rows.Scan(&r)
		left = append(left, r)
	}
	if want := []string{"hmp-other/s1/" + detA1, "hmp-test/s9/" + detA1}; !slices.Equal(left, want) {
		t.Errorf("detection rows of the erased IDs left: %v, want %v", left, want)
	}
}

// A snippet that is a symbolic link out of the folder: the link goes, not
// what it points to.
func TestEraseSymlinkSnippet(t *testing.T) {
	f := makeEraseFixture(t)
	outside := filepath.Join(f.dir, "outside.bin")
	if err := os.WriteFile(outside, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(f.snippets, "snippet-"+detA2+".sigmf-data")
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	if out, err := eraseRun(f, "--incident", "INC-A", "--yes"); err != nil {
		t.Fatalf("erase: %v\n%s", err, out)
	}
	if _, err := os.Lstat(link); err == nil {
		t.Errorf("%s left", link)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("the file the link points to, outside the folder, is gone: %v", err)
	}
}

// A dry run with nothing else open writes nothing beside the database
// (no -wal, -shm or journal left, no file touched).
func TestEraseDryRunWritesNothing(t *testing.T) {
	f := makeEraseFixture(t)
	list := func() []string {
		t.Helper()
		ents, err := os.ReadDir(f.dir)
		if err != nil {
			t.Fatal(err)
		}
		var n []string
		for _, e := range ents {
			fi, err := e.Info()
			if err != nil {
				t.Fatal(err)
			}
			n = append(n, fmt.Sprintf("%s %d %s", e.Name(), fi.Size(), fi.ModTime()))
		}
		return n
	}
	before := list()
	if out, err := eraseRun(f, "--incident", "INC-A", "--dry-run"); err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if after := list(); !slices.Equal(before, after) {
		t.Errorf("the dry run changed the folder:\n%v\n%v", before, after)
	}
}

// IDs that are prefixes of others match exactly: erasing S1 and INC-A
// leaves S10 and its detection s1-…-10.
func TestErasePrefixIDs(t *testing.T) {
	f := makeEraseFixture(t)
	db, err := store.OpenSQLite(f.db)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d10 := eraseDetID("s1", 10)
	a := event.Alert{Schema: 1, ID: "S10", Site: "hmp-test", Rule: "phone", Severity: "info", State: event.AlertResolved, AckNS: 1, Incident: "INC-AB",
		Evidence: []string{d10}, ActiveNS: 1, UpdatedNS: 2}
	if err := db.UpsertAlert(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := db.WriteDetections(ctx, []store.DetectionRecord{{Detection: event.Detection{Schema: 1, ID: d10, Site: "hmp-test", Sensor: "s1", TimeNS: 5}}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, args := range [][]string{{"--alert", "S1", "--yes"}, {"--incident", "INC-A", "--yes"}} {
		if out, err := eraseRun(f, args...); err != nil {
			t.Fatalf("erase %v: %v\n%s", args, err, out)
		}
	}
	if after := readEraseState(t, f); !slices.Contains(after.alerts, "S10") || !slices.Contains(after.detections, "hmp-test/"+d10) {
		t.Errorf("a prefix matched more: alerts %v, detections %v", after.alerts, after.detections)
	}
}

// The binary is upgraded and a case erased before fusion has started on
// the database an older release left (its detections keyed by ID alone,
// no sensor column): erase brings it up to this release's schema first,
// as fusion would, saying so, and erases the case; a dry run, which
// changes nothing, refuses it, saying why. Both failed on the SQL error
// "no such column: sensor".
func TestEraseOlderReleaseDatabase(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		wantErr string   // in the error; "" for none
		wantOut []string // in the output
		erased  bool     // the case is gone after
	}{
		{name: "dry run", args: []string{"--incident", "INC-A", "--dry-run"},
			wantErr: "an older release's database, not upgraded yet (it lacks detection.sensor"},
		{name: "erase", args: []string{"--incident", "INC-A", "--yes"}, erased: true,
			wantOut: []string{"an older release's database (it lacks detection.sensor", "keying detections by site, sensor and ID", `erased incident "INC-A"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := makeEraseFixture(t)
			oldReleaseSchema(t, f.db)
			out, err := eraseRun(f, tc.args...)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("erase: %v\n%s", err, out)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("erase: error %v, want one with %q\n%s", err, tc.wantErr, out)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			st := readEraseState(t, f)
			for _, a := range []string{"A1", "A2"} {
				if slices.Contains(st.alerts, a) == tc.erased {
					t.Errorf("alert %s there: %v; want it erased: %v", a, st.alerts, tc.erased)
				}
			}
			for _, d := range []string{detA1, detA2} {
				if slices.Contains(st.detections, "hmp-test/"+d) == tc.erased {
					t.Errorf("detection %s there: %v; want it erased: %v", d, st.detections, tc.erased)
				}
			}
		})
	}
}

// TestEraseFolderFlagsRefuseFiles: `erase --backups FILE` (even the
// database itself) and `--snippets FILE` went on with the erase, exit 0.
// A path that is not a folder is refused naming the flag, and nothing
// is erased.
func TestEraseFolderFlagsRefuseFiles(t *testing.T) {
	for _, flag := range []string{"--backups", "--snippets"} {
		t.Run(flag, func(t *testing.T) {
			f := makeEraseFixture(t)
			file := f.db
			if flag == "--snippets" {
				file = filepath.Join(t.TempDir(), "notes.txt")
				if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			before := readEraseState(t, f)
			out, err := eraseRun(f, "--incident", "INC-A", "--yes", flag, file)
			want := flag + " " + file + " is not a folder"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err %v, want %q\n%s", err, want, out)
			}
			if after := readEraseState(t, f); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("a refused erase changed the state:\n%+v\nbefore:\n%+v", after, before)
			}
		})
	}
}
