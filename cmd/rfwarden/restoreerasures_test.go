package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A DPO erases a case at a data subject's request (rfwarden erase), and
// an admin restores a backup (docs/deploy.md, section 4). A backup made
// before the erase holds the case: the restore erases it again from the
// restored database (its incident, alerts, outbox and detection rows; a
// detection another case names stays), keeps the erase.* audit rows,
// names each erasure it re-applied, and does not copy the case's
// snippets back from the backup folder. An erasure the backup already has
// is neither re-applied nor copied twice. The erase row kept lets erase,
// run again, delete the copies left in the backup folder.
func TestRestoreReappliesErasures(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name        string
		erase       []string // the erase, after the backup unless eraseFirst
		eraseFirst  bool     // the erase before the backup: the backup has it
		nightlyToo  bool     // the erase deletes the nightly folder's snippet copies too
		object      string   // the erase's audit object
		goneAlerts  []string // not in the restored database
		goneInc     string
		goneDets    []string // detection IDs not in the restored database, nor their snippets in the live folder
		keptDets    []string // in the restored database: another case names them
		wantOut     []string // in the restore's output
		notOut      []string // not in it
		nightlyLeft bool     // the nightly folder keeps the erased case's snippet copies (erase did not search it)
		garble      bool     // the erase's audit record does not read: the case as the backup holds it goes
		oldSchema   bool     // the backup was made by a release before 2026-12-05 (oldReleaseSchema)
	}{
		{name: "incident erased since the backup", erase: []string{"--incident", "INC-A"}, nightlyToo: true, object: "incident/INC-A",
			goneAlerts: []string{"A1", "A2"}, goneInc: "INC-A", goneDets: []string{detA1, detA2}, keptDets: []string{detShared},
			wantOut: []string{"re-applied", `erase.incident of incident/INC-A`, "1 incident, 2 alerts, 2 outbox rows, 2 detection rows", "detections " + detShared}},
		{name: "alert erased since the backup, its copies left in the backup folder", erase: []string{"--alert", "S1"}, object: "alert/S1",
			goneAlerts: []string{"S1"}, goneDets: []string{detS1}, nightlyLeft: true,
			wantOut: []string{"re-applied", "erase.alert of alert/S1", "1 alert, 1 outbox row, 1 detection row", "rfwarden erase --alert S1 --backups"}},
		{name: "an erasure whose record does not read", erase: []string{"--incident", "INC-A"}, nightlyToo: true, garble: true, object: "incident/INC-A",
			goneAlerts: []string{"A1", "A2"}, goneInc: "INC-A", goneDets: []string{detA1, detA2}, keptDets: []string{detShared},
			wantOut: []string{"re-applied", "1 incident, 2 alerts, 2 outbox rows, 2 detection rows", "WARNING: an erasure made since the backup is not fully re-applied", "record does not read"}},
		{name: "erased before the backup", erase: []string{"--incident", "INC-A"}, eraseFirst: true, nightlyToo: false, object: "incident/INC-A",
			goneAlerts: []string{"A1", "A2"}, goneInc: "INC-A", goneDets: []string{detA1, detA2}, keptDets: []string{detShared},
			notOut: []string{"re-applied", "not fully re-applied"}},
		{name: "incident erased since a backup of an older release", erase: []string{"--incident", "INC-A"}, nightlyToo: true, object: "incident/INC-A", oldSchema: true,
			goneAlerts: []string{"A1", "A2"}, goneInc: "INC-A", goneDets: []string{detA1, detA2}, keptDets: []string{detShared},
			wantOut: []string{"re-applied", `erase.incident of incident/INC-A`, "1 incident, 2 alerts, 2 outbox rows, 2 detection rows"},
			notOut:  []string{"not fully re-applied"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := makeEraseFixture(t)
			nightly := filepath.Join(f.dir, "nightly")
			erase := func() {
				t.Helper()
				args := tc.erase
				if tc.nightlyToo {
					args = append(slices.Clone(args), "--backups", nightly)
				}
				if out, err := eraseRun(f, append(slices.Clone(args), "--yes")...); err != nil {
					t.Fatalf("erase: %v\n%s", err, out)
				}
			}
			if tc.eraseFirst {
				erase()
			}
			baks := []string{backupOnce(t, f.db, nightly, "--snippets", f.snippets)}
			if tc.oldSchema {
				oldReleaseSchema(t, baks[0])
			}
			if !tc.eraseFirst {
				erase()
			}
			if tc.garble {
				db, err := sql.Open("sqlite", "file:"+f.db)
				if err != nil {
					t.Fatal(err)
				}
				_, err = db.Exec(`UPDATE audit SET after = 'garbled' WHERE object = ?`, tc.object)
				db.Close()
				if err != nil {
					t.Fatal(err)
				}
			}
			var stdout, stderr strings.Builder
			if err := run(ctx, []string{"restore", "--db", f.db, "--site", restoreSite, "--snippets", f.snippets, baks[0]}, &stdout, &stderr); err != nil {
				t.Fatalf("restore: %v\n%s%s", err, stdout.String(), stderr.String())
			}
			out := stdout.String() + stderr.String()
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("the restore's output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.notOut {
				if strings.Contains(out, w) {
					t.Errorf("the restore's output has %q:\n%s", w, out)
				}
			}

			st := readEraseState(t, f)
			if tc.goneInc != "" && slices.Contains(st.incidents, tc.goneInc) {
				t.Errorf("erased incident %s is back: %v", tc.goneInc, st.incidents)
			}
			for _, a := range tc.goneAlerts {
				if slices.Contains(st.alerts, a) || slices.Contains(st.outbox, a) {
					t.Errorf("erased alert %s is back: alerts %v, outbox %v", a, st.alerts, st.outbox)
				}
			}
			for _, d := range tc.goneDets {
				if slices.Contains(st.detections, "hmp-test/"+d) {
					t.Errorf("erased detection %s is back: %v", d, st.detections)
				}
				for _, file := range snippetFiles(false, d) {
					if _, err := os.Lstat(filepath.Join(f.dir, file)); err == nil {
						t.Errorf("the restore copied erased %s back", file)
					}
				}
			}
			for _, d := range tc.keptDets {
				if !slices.Contains(st.detections, "hmp-test/"+d) {
					t.Errorf("detection %s, which another case names, is gone: %v", d, st.detections)
				}
			}
			// the other cases are restored
			for _, a := range []string{"B1", "S2"} {
				if !slices.Contains(st.alerts, a) {
					t.Errorf("alert %s, not erased, is not restored: %v", a, st.alerts)
				}
			}
			var eraseRows, restoreRows int
			for _, a := range st.audit {
				if strings.Contains(a, " erase."+strings.SplitN(tc.object, "/", 2)[0]+" "+tc.object+" ") {
					eraseRows++
				}
				if strings.Contains(a, " db.restore.erasures ") {
					restoreRows++
				}
			}
			if eraseRows != 1 {
				t.Errorf("the restored audit log has %d erase rows of %s, want 1:\n%s", eraseRows, tc.object, strings.Join(st.audit, "\n"))
			}
			if want := len(tc.wantOut) > 0; (restoreRows == 1) != want {
				t.Errorf("the restored audit log has %d db.restore.erasures rows, want one: %v:\n%s", restoreRows, want, strings.Join(st.audit, "\n"))
			}

			copies := snippetFiles(false, tc.goneDets...)
			for i := range copies {
				copies[i] = filepath.Join(nightly, "snippets", filepath.Base(copies[i]))
			}
			for _, c := range copies {
				if _, err := os.Lstat(c); (err == nil) != tc.nightlyLeft {
					t.Errorf("backup copy %s: %v; want it there: %v", c, err, tc.nightlyLeft)
				}
			}
			if !tc.nightlyLeft {
				return
			}
			// erase, run again, finds the case erased from the row kept
			// and deletes the copies the restore named
			out, err := eraseRun(f, append(slices.Clone(tc.erase), "--backups", nightly, "--yes")...)
			if err != nil {
				t.Fatalf("erase again: %v\n%s", err, out)
			}
			for _, c := range copies {
				if _, err := os.Lstat(c); err == nil {
					t.Errorf("erase run again left backup copy %s:\n%s", c, out)
				}
			}
		})
	}
}

// oldReleaseSchema turns the database at path into one a release before
// 2026-12-05 made (f44bbd5's schema, the rows kept): detections keyed by
// ID alone, with no sensor or lead column, the audit log without
// addresses, locations without their head columns. Of two sensors' detections
// of one ID it keeps one, as that release did.
func oldReleaseSchema(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE detection_old (
			id TEXT PRIMARY KEY,
			site TEXT NOT NULL,
			time_ns INTEGER NOT NULL,
			room TEXT NOT NULL,
			authorised INTEGER NOT NULL,
			body TEXT NOT NULL
		)`,
		`INSERT OR IGNORE INTO detection_old(id, site, time_ns, room, authorised, body) SELECT id, site, time_ns, room, authorised, body FROM detection`,
		`DROP TABLE detection`,
		`ALTER TABLE detection_old RENAME TO detection`,
		`CREATE INDEX detection_site_time ON detection(site, time_ns)`,
		`ALTER TABLE audit DROP COLUMN addr`,
		`ALTER TABLE location DROP COLUMN track`,
		`ALTER TABLE location DROP COLUMN class`,
		`ALTER TABLE location DROP COLUMN link`,
		`ALTER TABLE location DROP COLUMN authorised`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("old schema: %s: %v", q, err)
		}
	}
}

// Restored on a host that lost its database, nothing says what was
// erased since the backup: the restore says so with a WARNING, and the
// case is back (docs/deploy.md, section 4).
func TestRestoreWithoutCurrentDatabaseWarnsOfErasures(t *testing.T) {
	ctx := context.Background()
	f := makeEraseFixture(t)
	nightly := filepath.Join(f.dir, "nightly")
	var stdout, stderr strings.Builder
	if err := run(ctx, []string{"backup", "--db", f.db, nightly}, &stdout, &stderr); err != nil {
		t.Fatalf("backup: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	baks, err := filepath.Glob(filepath.Join(nightly, "rfwarden-*.db"))
	if err != nil || len(baks) != 1 {
		t.Fatalf("backups %v, %v; want one", baks, err)
	}
	if out, err := eraseRun(f, "--incident", "INC-A", "--yes"); err != nil {
		t.Fatalf("erase: %v\n%s", err, out)
	}
	for _, ext := range []string{"", "-wal", "-shm"} { // the disk lost
		if err := os.Remove(f.db + ext); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	stdout.Reset()
	if err := run(ctx, []string{"restore", "--db", f.db, "--site", restoreSite, baks[0]}, &stdout, &stderr); err != nil {
		t.Fatalf("restore: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "WARNING: no current database to read") {
		t.Errorf("the restore does not warn that erasures since the backup are not re-applied:\n%s", stdout.String())
	}
	if st := readEraseState(t, f); !slices.Contains(st.incidents, "INC-A") {
		t.Errorf("INC-A, erased after the backup, with no database left saying so: incidents %v; want it back, as the warning says", st.incidents)
	}
}

// A backup an older release made is restored with its own schema when no
// erasure since needs re-applying (restored for a rollback, the older
// binary gets its tables back, docs/deploy.md section 5), and brought up
// to this release's schema when one does (TestRestoreReappliesErasures).
func TestRestoreOlderBackupSchema(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		eraseSince bool
		wantSensor bool // the restored detection table has the sensor column
	}{
		{name: "no erasure since: its own schema", eraseSince: false, wantSensor: false},
		{name: "an erasure since: this release's schema", eraseSince: true, wantSensor: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := makeEraseFixture(t)
			nightly := filepath.Join(f.dir, "nightly")
			var stdout, stderr strings.Builder
			if err := run(ctx, []string{"backup", "--db", f.db, nightly}, &stdout, &stderr); err != nil {
				t.Fatalf("backup: %v\n%s%s", err, stdout.String(), stderr.String())
			}
			baks, err := filepath.Glob(filepath.Join(nightly, "rfwarden-*.db"))
			if err != nil || len(baks) != 1 {
				t.Fatalf("backups %v, %v; want one", baks, err)
			}
			oldReleaseSchema(t, baks[0])
			if tc.eraseSince {
				if out, err := eraseRun(f, "--incident", "INC-A", "--yes"); err != nil {
					t.Fatalf("erase: %v\n%s", err, out)
				}
			}
			stdout.Reset()
			stderr.Reset()
			if err := run(ctx, []string{"restore", "--db", f.db, "--site", restoreSite, baks[0]}, &stdout, &stderr); err != nil {
				t.Fatalf("restore: %v\n%s%s", err, stdout.String(), stderr.String())
			}
			out := stdout.String() + stderr.String()
			if got := strings.Contains(out, "the backup is an older release's"); got != tc.wantSensor {
				t.Errorf("output says the backup was upgraded: %v, want %v:\n%s", got, tc.wantSensor, out)
			}
			db, err := sql.Open("sqlite", "file:"+f.db+"?mode=ro")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var n int
			if err := db.QueryRow(`SELECT COUNT(*) FROM pragma_table_info('detection') WHERE name = 'sensor'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if (n == 1) != tc.wantSensor {
				t.Errorf("restored detection table has the sensor column: %v, want %v", n == 1, tc.wantSensor)
			}
			var detections int
			if err := db.QueryRow(`SELECT COUNT(*) FROM detection`).Scan(&detections); err != nil || detections == 0 {
				t.Errorf("restored detections: %d, %v; want the backup's", detections, err)
			}
		})
	}
}
