package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// erasedMark is in every text field of the case a realistic fixture's
// erase deletes (labels, summaries, notes), keptMark in the other cases'.
const (
	erasedMark = "zqxerased"
	keptMark   = "zqxkept"
)

// realisticCase is one case of makeRealisticDB: an incident, its alerts
// and their detections' IDs.
type realisticCase struct {
	incident   string
	alerts     []string
	detections []string
}

// makeRealisticDB builds at path, through the store's own write paths as
// fusion makes them (no secure_delete), a database of many pages: cases
// whose detections are written interleaved in time, in batches, between
// updates of their alerts (each stored several times, its summary
// growing), then each incident closed. The case of index erased has
// erasedMark in its text; the others keptMark.
func makeRealisticDB(t *testing.T, path string, erased int) []realisticCase {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const cases, alertsPer, detsPer, revisions = 4, 3, 60, 5
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC).UnixNano()
	mark := func(c int) string {
		if c == erased {
			return erasedMark
		}
		return keptMark
	}
	cs := make([]realisticCase, cases)
	for c := range cs {
		cs[c].incident = fmt.Sprintf("INC-R%d", c)
		for a := range alertsPer {
			cs[c].alerts = append(cs[c].alerts, fmt.Sprintf("AL-R%d-%d", c, a))
		}
	}
	alert := func(c, a, rev int, dets []string) event.Alert {
		state := event.AlertFiring
		if rev == revisions-1 {
			state = event.AlertResolved
		}
		return event.Alert{Schema: 1, ID: cs[c].alerts[a], Site: "hmp-test", Rule: "phone", Severity: event.SeverityCritical, State: state,
			Room: fmt.Sprintf("cell-%d", c), Incident: cs[c].incident, Evidence: dets,
			Summary:  fmt.Sprintf("%s phone in cell %d, alert %d, revision %d: %s", mark(c), c, a, rev, strings.Repeat(mark(c)+" ", rev*8)),
			ActiveNS: base, UpdatedNS: base + int64(rev)*int64(time.Minute),
			AckNS: base + int64(time.Hour), AckBy: "ops", AckNote: mark(c) + " searched the cell"}
	}
	seq := 0
	for rev := range revisions {
		// a batch of every case's detections, interleaved in time
		var recs []store.DetectionRecord
		for i := range detsPer / revisions {
			for c := range cs {
				seq++
				id := fmt.Sprintf("s%d-0123456789ab-%d-%d", c%2+1, 1000, seq)
				cs[c].detections = append(cs[c].detections, id)
				recs = append(recs, store.DetectionRecord{Detection: event.Detection{Schema: 1, ID: id, Site: "hmp-test", Sensor: fmt.Sprintf("s%d", c%2+1),
					TimeNS: base + int64(seq)*int64(time.Second), CenterHz: 1.75e9, BandwidthHz: 5e6, PowerDBm: -60, SNRDB: 20,
					Band: "LTE B3", Link: "uplink", Class: "lte", Confidence: 0.9, Snippet: "snippet-" + id,
					Label: fmt.Sprintf("%s LTE B3 UL detection %d of case %d, %d", mark(c), i, c, seq)}, Room: fmt.Sprintf("cell-%d", c)})
			}
		}
		if err := db.WriteDetections(ctx, recs); err != nil {
			t.Fatal(err)
		}
		for c := range cs {
			for a := range cs[c].alerts {
				if err := db.UpsertAlert(ctx, alert(c, a, rev, cs[c].detections)); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.UpsertIncident(ctx, store.Incident{ID: cs[c].incident, Site: "hmp-test", Kind: "illicit_phone",
				Summary: fmt.Sprintf("%s phone in cell %d, revision %d", mark(c), c, rev), State: store.IncidentOpen,
				OpenedNS: base, UpdatedNS: base + int64(rev)*int64(time.Minute), Alerts: cs[c].alerts, Detections: cs[c].detections,
				Rooms: []string{fmt.Sprintf("cell-%d", c)}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for c := range cs {
		if _, err := db.CloseIncident(ctx, cs[c].incident, "ops", "not_found", mark(c)+" nothing found", time.Unix(0, base+int64(time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	return cs
}

// makeRealisticFixture makes a realistic database (makeRealisticDB, its
// case 1 to erase) with an empty snippet and backup folder.
func makeRealisticFixture(t *testing.T) (eraseFixture, []realisticCase) {
	t.Helper()
	dir := t.TempDir()
	f := eraseFixture{dir: dir, db: filepath.Join(dir, "rfwarden.db"), snippets: filepath.Join(dir, "snippets"), backups: filepath.Join(dir, "backups")}
	for _, d := range []string{f.snippets, f.backups} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return f, makeRealisticDB(t, f.db, 1)
}

// backupOnce backs the database db up into the folder dir, which holds
// no backup yet, with rfwarden backup and args (--snippets), and returns
// the backup's path.
func backupOnce(t *testing.T, db, dir string, args ...string) string {
	t.Helper()
	var stdout, stderr strings.Builder
	if err := run(context.Background(), append(append([]string{"backup", "--db", db}, args...), dir), &stdout, &stderr); err != nil {
		t.Fatalf("backup: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	baks, err := filepath.Glob(filepath.Join(dir, "rfwarden-*.db"))
	if err != nil || len(baks) != 1 {
		t.Fatalf("backups %v, %v; want one", baks, err)
	}
	return baks[0]
}

// fileCounts counts each of marks in the database at path and its -wal
// and -journal, as raw bytes.
func fileCounts(t *testing.T, path string, marks []string) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, p := range []string{path, path + "-wal", path + "-journal"} {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range marks {
			n[m] += bytes.Count(b, []byte(m))
		}
	}
	return n
}

// checkNothingErasedLeft fails unless the database at path holds (file,
// -wal, -journal) none of erasedMark and each of the erased case's IDs no
// more often than a compacted copy of it (VACUUM INTO) does: there, only
// in the erase's audit row, which names them.
func checkNothingErasedLeft(t *testing.T, path string, erased realisticCase) {
	t.Helper()
	marks := append([]string{erasedMark, erased.incident}, erased.alerts...)
	marks = append(marks, erased.detections...)
	compact := filepath.Join(t.TempDir(), "compact.db")
	db, err := sql.Open("sqlite", store.FileURI(path)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`VACUUM INTO ?`, compact)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	want, got := fileCounts(t, compact, marks), fileCounts(t, path, marks)
	if want[erasedMark] != 0 {
		t.Fatalf("the erase left %d rows holding %q", want[erasedMark], erasedMark)
	}
	left := 0
	for _, m := range marks {
		if got[m] > want[m] {
			left++
			if left <= 5 {
				t.Errorf("%s holds %q %d times, a compacted copy %d: erased content left readable in the file", filepath.Base(path), m, got[m], want[m])
			}
		}
	}
	if left > 5 {
		t.Errorf("... and %d strings more of the erased case", left-5)
	}
}

// An erase leaves nothing of the erased case readable in the database's
// bytes, in a database fusion grew to many pages (older row versions of
// its updates and page splits in the unallocated space of live pages):
// after the erase the file holds none of its text, and its IDs only as
// often as a compacted copy does (in the audit row); the other cases stay
// readable through the store.
func TestEraseLeavesNothingInFile(t *testing.T) {
	f, cs := makeRealisticFixture(t)
	if fi, err := os.Stat(f.db); err != nil || fi.Size() < 50*4096 {
		t.Fatalf("the fixture is not many pages (%v, %v): the test tests nothing", fi, err)
	}
	if n := fileCounts(t, f.db, []string{erasedMark})[erasedMark]; n == 0 {
		t.Fatal("the fixture holds no erased mark before the erase: the test tests nothing")
	}
	out, err := eraseRun(f, "--incident", cs[1].incident, "--yes")
	if err != nil {
		t.Fatalf("erase: %v\n%s", err, out)
	}
	if !strings.Contains(out, "compacted") {
		t.Errorf("erase does not say it compacted the database:\n%s", out)
	}
	checkNothingErasedLeft(t, f.db, cs[1])
	// the other cases, through the store
	db, err := store.OpenSQLite(f.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	alerts, err := db.Alerts(ctx, store.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 9 {
		t.Errorf("%d alerts after the erase, want the other cases' 9", len(alerts))
	}
	for _, a := range alerts {
		if !strings.Contains(a.Summary, keptMark) || len(a.Evidence) != 60 {
			t.Errorf("alert %s after the erase: summary %q, %d detections", a.ID, a.Summary, len(a.Evidence))
		}
	}
	var dets int
	if err := db.DB().QueryRow(`SELECT COUNT(*) FROM detection WHERE CAST(body AS TEXT) LIKE ?`, "%"+keptMark+"%").Scan(&dets); err != nil {
		t.Fatal(err)
	}
	if dets != 180 {
		t.Errorf("%d detection rows of the other cases after the erase, want 180", dets)
	}
}

// Without the free disk the compaction after it needs, erase refuses
// before erasing anything, naming what it needs; with it, it erases.
func TestEraseRefusesWithoutSpaceToCompact(t *testing.T) {
	f := makeEraseFixture(t)
	before := readEraseState(t, f)
	fi, err := os.Stat(f.db)
	if err != nil {
		t.Fatal(err)
	}
	old := freeBytes
	defer func() { freeBytes = old }()
	freeBytes = func(string) (int64, error) { return fi.Size() - 1, nil }
	// the dry run says so too
	if out, err := eraseRun(f, "--incident", "INC-A", "--dry-run"); err == nil || !strings.Contains(err.Error(), "would be refused") || !strings.Contains(err.Error(), "VACUUM") {
		t.Errorf("dry run with too little free disk: %v, want would be refused, naming VACUUM\n%s", err, out)
	}
	out, err := eraseRun(f, "--incident", "INC-A", "--yes")
	if err == nil || !strings.Contains(err.Error(), "refused") || !strings.Contains(err.Error(), "VACUUM") || !strings.Contains(err.Error(), "nothing erased") {
		t.Fatalf("erase with too little free disk: %v, want refused, naming VACUUM and nothing erased\n%s", err, out)
	}
	if after := readEraseState(t, f); !slices.Equal(after.alerts, before.alerts) || !slices.Equal(after.files, before.files) || !slices.Equal(after.audit, before.audit) {
		t.Errorf("refused, the erase changed the database or files:\nbefore %+v\nafter  %+v", before, after)
	}
	freeBytes = func(string) (int64, error) { return 3 * fi.Size(), nil }
	if out, err := eraseRun(f, "--incident", "INC-A", "--yes"); err != nil {
		t.Fatalf("erase with room: %v\n%s", err, out)
	}
}

// A restore of a backup made before an erase re-applies it and leaves
// nothing of the erased case readable in the restored database's bytes
// (the backup's compact copy, rebalanced by the re-applied deletes).
func TestRestoreReapplyLeavesNothingInFile(t *testing.T) {
	ctx := context.Background()
	f, cs := makeRealisticFixture(t)
	bak := backupOnce(t, f.db, f.backups)
	if out, err := eraseRun(f, "--incident", cs[1].incident, "--yes"); err != nil {
		t.Fatalf("erase: %v\n%s", err, out)
	}
	var stdout, stderr strings.Builder
	if err := run(ctx, []string{"restore", "--db", f.db, "--site", restoreSite, bak}, &stdout, &stderr); err != nil {
		t.Fatalf("restore: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if out := stdout.String(); !strings.Contains(out, "re-applied") || !strings.Contains(out, "compacted") {
		t.Errorf("the restore does not say it re-applied the erasure and compacted the copy:\n%s", out)
	}
	checkNothingErasedLeft(t, f.db, cs[1])
}
