package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"

	"github.com/rfwarden/rfwarden/dashboard"
	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/atomicfile"
	"github.com/rfwarden/rfwarden/internal/english"
	"github.com/rfwarden/rfwarden/internal/statelock"
)

const restoreUsage = `usage: rfwarden restore [--db rfwarden.db] [--site site.yaml] [--force] [--snippets DIR] [--keep-backup-accounts] BACKUP.db

Put a backup (rfwarden backup) in place of the SQLite state. Stop fusion and
the dashboard first: restore refuses while either holds the database.

It checks the backup (integrity_check, and that it holds rfwarden's
tables) and names the site(s) its alerts, incidents and detections belong
to. A backup of another site than --site's id (or, without --site, than the
current database's) is refused unless --force. A damaged backup is always
refused, and so is one a newer rfwarden made (its schema version is higher
than this binary knows: restore it with the newer binary); the current
database may be a newer one's (a rollback restores a backup taken before
the upgrade). The current database (with its WAL) is kept beside it as
DB.before-restore-<UTC time>; the backup takes its place in one rename,
mode 0600. With --snippets, the evidence snippets of the backup folder's
snippets/ that the folder lacks are copied back (never replacing one).
The notifications fusion held at its stop kept with the backup
(BACKUP.db.notify-held.SITE.OUTPUT.jsonl) are put back beside the
database, after any held there, for fusion to queue at its next start;
those of an alert erased since the backup are left out.

The restore is audited in the restored database (db.restore: who, the
backup and its time, the current audit log's rows the backup lacks, which
stay in the kept copy). An account disabled, given a new password or a
lower role since the backup, or deleted since (a user.delete audit row the
backup lacks), is listed (printed, and audited as db.restore.accounts)
and stays so, unless --keep-backup-accounts. A registry entry deleted
since (registry.delete) is deleted again (db.restore.registry). The
backup's sessions end (everyone logs in again). A restore that, carrying
the accounts forward, would leave no enabled admin is refused: give one of
the backup's admins its role back first (rfwarden users enable NAME, or
role NAME admin) or use --keep-backup-accounts. A backup with an older
accounts table is brought up to the current one; one an older release
made is brought up to this release's schema (each upgrade logged) when
erasures made since must be re-applied to it, and otherwise keeps its own
(restored for a rollback, the older binary gets its tables back).

An erasure made since the backup (rfwarden erase: the current audit log's
erase.incident and erase.alert rows) is re-applied to it before it takes
the database's place: the backup's rows of the erased case go again as
erase took them (pages overwritten, the copy compacted after: VACUUM,
refused without the free disk it takes), each erasure is printed with what
went, the erase.* rows are copied into the restored log (so erase, run
again, still finds the case erased) and db.restore.erasures records it.
One that cannot be re-applied in full is printed as a WARNING, and so is
a current database that does not open (nothing says what was erased);
a log that cannot be read refuses the restore. --snippets copies back no
snippet of a detection an erasure in the restored log names: those left
in the backup folder are named, with the erase command deleting them.
Run it as the services' user (sudo -u rfwarden). docs/deploy.md, section 4.
`

// sqliteBusy is SQLite's primary result code SQLITE_BUSY.
const sqliteBusy = 5

// rfwardenTables are tables every rfwarden database has (fusion and the
// dashboard both create them): a file without them is not one.
var rfwardenTables = []string{"alert", "audit", "detection", "incident"}

// siteTables are the tables whose rows carry their site, with what their
// rows are called in a report (singular, plural).
var siteTables = []struct{ table, one, many string }{
	{"alert", "alert", "alerts"},
	{"incident", "incident", "incidents"},
	{"detection", "detection", "detections"},
	{"location", "location", "locations"},
	{"health", "health report", "health reports"},
	{"spectrum", "spectrum", "spectra"},
	{"heat_quarter", "heat-map quarter hour", "heat-map quarter hours"},
	{"sensor_maintenance", "maintenance window", "maintenance windows"},
	{"phone_repeat", "phone burst or case", "phone bursts and cases"},
	{"ack_held", "held acknowledgement", "held acknowledgements"},
}

// restoreDBNamed refuses a restore that would make a new database at
// the default path, rfwarden.db in the working folder, when neither --db
// nor RFW_DB named it: run from the wrong folder, the backup went there
// and the services kept their database as it was, while the restore
// said "restored". A database named by --db or RFW_DB may be new (a
// restore onto a new host), and so may the default once it exists.
func restoreDBNamed(fs *flag.FlagSet, db string) error {
	named := false
	fs.Visit(func(f *flag.Flag) { named = named || f.Name == "db" })
	if _, env := os.LookupEnv("RFW_DB"); named || env {
		return nil
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	where, err := filepath.Abs(db)
	if err != nil {
		where = db
	}
	return fmt.Errorf("restore: no --db given, and there is no %s here (%s): give the database the services use, e.g. --db /var/lib/rfwarden/rfwarden.db (RFW_DB in dashboard.env, fusion.yaml's db); on a new host too, --db names where it goes", db, where)
}

// newestBackupHint names the newest backup in dir (by its name, which
// sorts by time) to restore, or says how backups are named when it holds
// none.
func newestBackupHint(dir string) string {
	entries, _ := os.ReadDir(dir)
	for _, e := range slices.Backward(entries) { // ReadDir sorts by name
		if isBackupName(e.Name()) && e.Type().IsRegular() {
			return fmt.Sprintf("e.g. the newest, %s", filepath.Join(dir, e.Name()))
		}
	}
	return fmt.Sprintf("one rfwarden backup wrote (%s<UTC time>%s); %s holds none", backupPrefix, backupSuffix, dir)
}

// cmdRestore puts a checked backup in place of the SQLite state, keeping
// the current database.
func cmdRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, restoreUsage); printDefaults(fs) }
	dbPath := fs.String("db", dashboardEnv("RFW_DB", "rfwarden.db"), "SQLite database of fusion and the dashboard, to replace")
	sitePath := fs.String("site", dashboardEnv("RFW_SITE", ""), "site model YAML: the backup must be of its site (without it: of the current database's)")
	force := fs.Bool("force", false, "restore a backup of another site")
	snippets := fs.String("snippets", "", "evidence snippet folder (RFW_SNIPPET_DIR): copy back the backup folder's snippets/ it lacks")
	keepAccounts := fs.Bool("keep-backup-accounts", false, "restore the accounts as the backup has them: by default one disabled, given a new password or a lower role since stays so")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if err := flagAfterArg(fs); err != nil {
		return err
	}
	switch fs.NArg() {
	case 0:
		return usageErr(stderr, fs.Usage, "restore: give the BACKUP.db file to restore (one rfwarden backup wrote, e.g. /var/backups/rfwarden/rfwarden-20261203T033012.345Z.db)")
	case 1:
	default:
		return usageErr(stderr, fs.Usage, "restore: give one BACKUP.db, got %d: %q", fs.NArg(), strings.Join(fs.Args(), " "))
	}
	backup, db := fs.Arg(0), *dbPath
	bi, err := os.Stat(backup)
	if err != nil {
		return fmt.Errorf("restore: backup: %w", err)
	}
	if bi.IsDir() {
		// SQLite reported "integrity check: disk I/O error (10)"
		return fmt.Errorf("restore: %s is a folder: give one backup file in it, %s", backup, newestBackupHint(backup))
	}
	if err := restoreDBNamed(fs, db); err != nil {
		return err
	}
	if di, err := os.Stat(db); err == nil && os.SameFile(bi, di) {
		return fmt.Errorf("restore: %s is the database itself", backup)
	}
	if *snippets != "" {
		// checked before anything is replaced: the restore was made and
		// then failed on it, naming no flag
		from := filepath.Join(filepath.Dir(backup), backupSnippets)
		if fi, err := os.Stat(from); err != nil || !fi.IsDir() {
			return fmt.Errorf("restore: --snippets %s: the backup's folder has no %s/ to copy back (its backups were made without --snippets): leave --snippets out, or restore the snippets from where you copied them", *snippets, backupSnippets)
		}
	}

	// 1. the backup: sound, rfwarden's, and of this site
	sites, err := inspectBackup(ctx, backup)
	if err != nil {
		return fmt.Errorf("restore: backup %s: %w", backup, err)
	}
	fmt.Fprintf(stdout, "backup %s: integrity ok, %s\n", backup, describeSites(sites))
	want, whose, err := expectedSites(ctx, *sitePath, db, stdout)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if len(want) > 0 && len(sites) > 0 && !anyOf(sites, want) {
		msg := fmt.Sprintf("backup %s holds site %s, not %s (%s)", backup, strings.Join(siteNames(sites), ", "), strings.Join(want, ", "), whose)
		if !*force {
			return fmt.Errorf("restore: %s: is it this site's backup? --force restores it anyway", msg)
		}
		fmt.Fprintf(stdout, "warning: %s; restoring it anyway (--force)\n", msg)
	}

	// 2. nothing else holds the current database, and nothing will
	// while it is replaced: fusion's locks, then SQLite's own
	release, err := lockFusions(db)
	if err != nil {
		return fmt.Errorf("restore: %w: fusion runs on %s; stop it and the dashboard first: systemctl stop rfwarden-fusion rfwarden-dashboard", err, db)
	}
	defer release()
	cur, err := os.Stat(db)
	exists := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	if !exists {
		if _, err := os.Stat(db + "-wal"); err == nil {
			return fmt.Errorf("restore: %s-wal exists without its database: move it away first (SQLite would apply it to the backup)", db)
		}
	}
	var held *sql.DB
	var file *os.File // the database's file, open while it is held
	if exists {
		// An empty file is the loss a restore mends (a failed copy, a
		// full disk): SQLite reads it as a database without tables, so
		// the restore was refused for want of its audit log, and the
		// hold had made it an SQLite database. Nothing in it to hold or
		// read; it is kept as it is.
		empty := errors.Is(store.CheckDatabase(db), store.ErrEmpty)
		if !empty {
			held, err = holdDatabase(ctx, db)
		}
		switch {
		case empty:
			fmt.Fprintf(stdout, "warning: the current database is an empty file; keeping it as it is\n")
		case errors.Is(err, errInUse):
			return fmt.Errorf("restore: %s is in use by another process (the dashboard or fusion): stop them first: systemctl stop rfwarden-dashboard rfwarden-fusion", db)
		case err != nil:
			// a file SQLite cannot open is no service's database: it is kept as it is
			fmt.Fprintf(stdout, "warning: the current database does not open (%v); keeping its files as they are\n", err)
		}
		if held != nil {
			// Any close of any descriptor of the file drops all this
			// process's POSIX locks on it, SQLite's own: the current
			// database is read through this one, closed only after the
			// hold ends.
			if file, err = os.Open(db); err != nil {
				held.Close()
				return fmt.Errorf("restore: %w", err)
			}
			defer func() {
				held.Close()
				file.Close()
			}()
			restoreStep("held")
		}
	}

	// 3. the backup, copied beside the database: the rename is atomic
	start := time.Now()
	tmp := db + ".restoring"
	os.Remove(tmp) // a crashed run's leftover
	if err := prepareRestore(ctx, backup, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore: %w", err)
	}
	keep := db + ".before-restore-" + start.UTC().Format(backupTime)
	// 3b. what the backup lacks of the current database: its audit rows
	// since, recorded; accounts revoked since, carried forward
	erasures, err := reconcileRestore(ctx, restoreNote{db: db, tmp: tmp, backup: backup, current: held, kept: keep, keepAccounts: *keepAccounts,
		who: consoleActor(osConsoleEnv()), now: start}, stdout)
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore: %w", err)
	}

	// 4. the current database, kept with its WAL
	if exists {
		kept, err := keepCurrent(ctx, held, file, db, keep)
		if err != nil {
			os.Remove(tmp)
			return fmt.Errorf("restore: keep the current database: %w", err)
		}
		fmt.Fprintf(stdout, "kept the current database as %s (%.1f MB)\n", strings.Join(kept, " and "), float64(cur.Size())/1e6)
		restoreStep("kept")
	}

	// 5. in place, while the current database is held: its WAL goes
	// first, or SQLite would apply it to the backup. Leaving WAL mode
	// removes it, and a connection that opened the old file meanwhile
	// (waiting for the lock) can never write to it once it is replaced
	// (SQLite refuses writes to a moved database in rollback mode). Then
	// the backup is renamed in, and only then is the hold given up.
	if held != nil {
		if err := leaveWAL(ctx, held); err != nil {
			fmt.Fprintf(stdout, "warning: the current database does not leave WAL mode (%v); its WAL is removed (it is kept with the copy)\n", err)
		}
	}
	for _, ext := range []string{"-wal", "-shm"} {
		if err := os.Remove(db + ext); err != nil && !errors.Is(err, os.ErrNotExist) {
			os.Remove(tmp)
			return fmt.Errorf("restore: %w", err)
		}
	}
	restoreStep("replace")
	if err := os.Rename(tmp, db); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore: %w", err)
	}
	restoreStep("renamed")
	if err := atomicfile.SyncDir(filepath.Dir(db)); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if held != nil {
		held.Close()
		file.Close()
		restoreStep("released")
	}
	fmt.Fprintf(stdout, "restored %s to %s (mode 0600) in %v\n", backup, db, time.Since(start).Round(time.Millisecond))
	restored, err := restoreKept(backup, db, erasures.alerts, stdout)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}

	if *snippets != "" {
		from := filepath.Join(filepath.Dir(backup), backupSnippets)
		skipped := map[eraseTarget]bool{} // the erased cases whose snippets are not copied back
		copied, had, err := copyNewFiles(from, *snippets, func(name string) bool {
			if !isSnippetCopy(name) {
				return true // a sensor's .keep or .sent an older backup copied: not a snippet
			}
			by, ok := erasures.erased[snippetDetection(name)]
			if ok {
				skipped[by] = true
			}
			return ok
		})
		fmt.Fprintf(stdout, "snippets: %d copied, %d already in %s\n", copied, had, *snippets)
		if len(skipped) > 0 {
			var cmds []string
			for _, c := range slices.SortedFunc(maps.Keys(skipped), func(a, b eraseTarget) int { return strings.Compare(a.String(), b.String()) }) {
				cmds = append(cmds, fmt.Sprintf("rfwarden erase --%s %s --backups %s", c.kind, c.id, filepath.Dir(backup)))
			}
			fmt.Fprintf(stdout, "warning: snippets: %s holds copies of erased cases' snippets: not copied back; delete them: %s\n",
				from, strings.Join(cmds, "; "))
		}
		if err != nil {
			return fmt.Errorf("restore: snippets: %w", err)
		}
	}
	if os.Geteuid() == 0 {
		fmt.Fprintf(stdout, "warning: %s\n", rootOwnedWarning(append([]string{db}, restored...)))
	}
	fmt.Fprintf(stdout, "next: systemctl start rfwarden-fusion rfwarden-dashboard, then log in and check the alerts and the registry\n")
	return nil
}

// restoreKept puts the notifications fusion held at its stop that were
// kept with backup (backupKept) beside the restored database db, named as
// fusion keeps them, after those a file there holds already: fusion
// queues them at its next start, as it would have the backup's. Those of
// an alert erased since the backup (alerts, by site) are removed again.
// It returns the files it wrote.
func restoreKept(backup, db string, alerts map[string][]string, stdout io.Writer) (written []string, _ error) {
	kept, err := fusion.KeepFiles(backup)
	if err != nil || len(kept) == 0 {
		return nil, err
	}
	for _, k := range kept {
		dst := db + strings.TrimPrefix(filepath.Base(k), filepath.Base(backup))
		data, err := os.ReadFile(k)
		if err != nil {
			return written, fmt.Errorf("read the notifications kept with the backup: %w", err)
		}
		had, err := os.ReadFile(dst)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return written, fmt.Errorf("read the notifications fusion held at its stop: %w", err)
		}
		if len(had) > 0 && !bytes.HasSuffix(had, []byte("\n")) {
			had = append(had, '\n')
		}
		if err := atomicfile.Write(dst, append(had, data...), 0o600); err != nil {
			return written, fmt.Errorf("restore the notifications kept with the backup: %w", err)
		}
		written = append(written, dst)
		fmt.Fprintf(stdout, "restored %s to %s (notifications fusion held at its stop, queued at its next start)\n", k, dst)
	}
	for _, site := range slices.Sorted(maps.Keys(alerts)) {
		n, files, err := fusion.EraseKept(db, site, alerts[site])
		if err != nil {
			return written, err
		}
		if n > 0 {
			fmt.Fprintf(stdout, "erased again: %d %s of alerts erased since the backup, from %s\n", n, english.Plural(n, "notification", "notifications"), strings.Join(files, ", "))
		}
	}
	return written, nil
}

// rootOwnedWarning is what restore, run as root, says of the files it
// wrote (root's, mode 0600): the services' user must own each, or fusion
// stops at its start on the first it cannot read. It named the database
// only, and fusion then refused the held notifications restored beside it.
func rootOwnedWarning(files []string) string {
	return fmt.Sprintf("run as root, %s %s to root: chown rfwarden:rfwarden %s before starting the services",
		strings.Join(files, ", "), english.Plural(len(files), "belongs", "belong"), strings.Join(files, " "))
}

// inspectBackup checks the database at path (integrity_check, rfwarden's
// tables, a schema this binary knows: store.CheckSchema) and returns, per site, how many rows of each site table it holds.
func inspectBackup(ctx context.Context, path string) (map[string]map[string]int, error) {
	db, err := sql.Open("sqlite", store.FileURI(path)+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := integrityCheck(ctx, db); err != nil {
		return nil, err
	}
	tables, err := tableNames(ctx, db)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, t := range rfwardenTables {
		if !slices.Contains(tables, t) {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("not an rfwarden database: it lacks the tables %s", strings.Join(missing, ", "))
	}
	// this binary's fusion and dashboard would refuse it once restored,
	// and the restore writes into it with this release's columns
	if err := store.CheckSchema(ctx, db); err != nil {
		return nil, err
	}
	return siteRows(ctx, db, tables)
}

// integrityCheck runs SQLite's integrity_check on db.
func integrityCheck(ctx context.Context, db *sql.DB) error {
	problems, err := store.Problems(ctx, db, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("fails its integrity check: %s", strings.Join(problems, "; "))
	}
	return nil
}

// tableNames returns the names of the tables of q's database.
func tableNames(ctx context.Context, q querier) ([]string, error) {
	return store.QueryStrings(ctx, q, `SELECT name FROM sqlite_master WHERE type = 'table'`)
}

// siteRows counts the rows of each site in the site tables among tables.
func siteRows(ctx context.Context, db *sql.DB, tables []string) (map[string]map[string]int, error) {
	sites := map[string]map[string]int{}
	for _, st := range siteTables {
		if !slices.Contains(tables, st.table) {
			continue
		}
		rows, err := db.QueryContext(ctx, `SELECT site, count(*) FROM `+st.table+` GROUP BY site`)
		if err != nil {
			return nil, fmt.Errorf("read the sites of %s: %w", st.table, err)
		}
		for rows.Next() {
			var s string
			var n int
			if err := rows.Scan(&s, &n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read the sites of %s: %w", st.table, err)
			}
			if sites[s] == nil {
				sites[s] = map[string]int{}
			}
			sites[s][st.table] = n
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("read the sites of %s: %w", st.table, err)
		}
	}
	return sites, nil
}

func siteNames(sites map[string]map[string]int) []string {
	var names []string
	for s := range sites {
		names = append(names, s)
	}
	slices.Sort(names)
	return names
}

// describeSites says whose rows a database holds: "site hmp-a: 3 alerts,
// 1 incident".
func describeSites(sites map[string]map[string]int) string {
	if len(sites) == 0 {
		return "no alerts, incidents or detections of any site (its site cannot be checked)"
	}
	var parts []string
	for _, s := range siteNames(sites) {
		var counts []string
		for _, st := range siteTables {
			switch n := sites[s][st.table]; n {
			case 0:
			case 1:
				counts = append(counts, "1 "+st.one)
			default:
				counts = append(counts, fmt.Sprintf("%d %s", n, st.many))
			}
		}
		parts = append(parts, fmt.Sprintf("site %s: %s", s, strings.Join(counts, ", ")))
	}
	return strings.Join(parts, "; ")
}

func anyOf(sites map[string]map[string]int, want []string) bool {
	for _, w := range want {
		if _, ok := sites[w]; ok {
			return true
		}
	}
	return false
}

// expectedSites returns the site(s) the backup must be of, and whose they
// are: the site file's id, or, without one, the sites of the current
// database (none when it is missing or unreadable: nothing to compare).
func expectedSites(ctx context.Context, sitePath, dbPath string, stdout io.Writer) ([]string, string, error) {
	if sitePath != "" {
		st, err := site.LoadFile(sitePath)
		if err != nil {
			return nil, "", err
		}
		return []string{st.ID}, "the id of " + sitePath, nil
	}
	if _, err := os.Stat(dbPath); err != nil {
		return nil, "", nil
	}
	db, err := sql.Open("sqlite", store.FileURI(dbPath)+"?mode=ro&_pragma=busy_timeout(10000)")
	if err == nil {
		defer db.Close()
		var tables []string
		var sites map[string]map[string]int
		if tables, err = tableNames(ctx, db); err == nil {
			sites, err = siteRows(ctx, db, tables)
		}
		if err == nil {
			return siteNames(sites), "the current database's; no --site given", nil
		}
	}
	fmt.Fprintf(stdout, "warning: cannot read the sites of the current database (%v) and no --site given: the backup's site is not checked\n", err)
	return nil, "", nil
}

// lockFusions takes the locks every fusion on the database at db holds
// (db.fusion-SITE.lock, statelock) that exist, so that none runs or starts
// while the database is replaced. The release function gives them up.
func lockFusions(db string) (func() error, error) {
	dir, base := filepath.Split(db)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, base+".fusion-") && strings.HasSuffix(n, ".lock") {
			paths = append(paths, filepath.Join(dir, n))
		}
	}
	return statelock.AcquireAll(paths...)
}

// restoreStep is called as a restore passes its steps (held, kept,
// replace, renamed, released): a test checks their order and what another
// connection sees at each.
var restoreStep = func(step string) {}

var errInUse = errors.New("in use")

// holdDatabase opens the database at path in SQLite's exclusive locking
// mode and takes its lock: errInUse when another connection (the dashboard,
// fusion, rfwarden users) has it open. Until the returned handle is closed
// no other can open it.
func holdDatabase(ctx context.Context, path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", store.FileURI(path)+"?_pragma=busy_timeout(0)&_pragma=locking_mode(EXCLUSIVE)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	// In WAL mode every open connection holds a shared lock on the file;
	// this exclusive one waits for none.
	_, err = db.ExecContext(ctx, `BEGIN EXCLUSIVE`)
	if err == nil {
		_, err = db.ExecContext(ctx, `COMMIT`) // the exclusive locking mode keeps the lock
	}
	if err != nil {
		db.Close()
		var se *sqlite.Error
		if errors.As(err, &se) && se.Code()&0xff == sqliteBusy {
			return nil, errInUse
		}
		return nil, err
	}
	return db, nil
}

// leaveWAL switches the database held (holdDatabase) to rollback journal
// mode, which checkpoints and removes its WAL, and takes the exclusive
// lock again: it stays held.
func leaveWAL(ctx context.Context, held *sql.DB) error {
	var mode string
	if err := held.QueryRowContext(ctx, `PRAGMA journal_mode=DELETE`).Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "delete") {
		return fmt.Errorf("journal mode %s, not delete", mode)
	}
	if _, err := held.ExecContext(ctx, `BEGIN EXCLUSIVE`); err != nil {
		return err
	}
	_, err := held.ExecContext(ctx, `COMMIT`)
	return err
}

// prepareRestore writes a checked copy of backup to tmp (snapshot: the
// backup's WAL, if it has one, is included), private and on disk. The
// backup itself passed integrity_check (inspectBackup).
func prepareRestore(ctx context.Context, backup, tmp string) error {
	if _, err := snapshot(ctx, backup, tmp); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	return syncFile(tmp)
}

// keepCurrent copies the database at db (and its WAL, when the checkpoint
// through held could not empty it) to keep, mode 0600, and returns the
// files it wrote. held is the database, held exclusively, and file its
// file, which the copy reads (closing a descriptor of it would give up
// the lock); both nil when SQLite cannot open it: the files are copied as
// they are.
func keepCurrent(ctx context.Context, held *sql.DB, file *os.File, db, keep string) ([]string, error) {
	if held != nil {
		// best effort: a damaged database is kept with its WAL instead
		held.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	}
	var kept []string
	for _, ext := range []string{"", "-wal"} {
		fi, err := os.Stat(db + ext)
		if ext != "" && (errors.Is(err, os.ErrNotExist) || err == nil && fi.Size() == 0) {
			continue
		}
		if err != nil {
			return kept, err
		}
		if ext == "" && file != nil {
			err = copyNew(io.NewSectionReader(file, 0, fi.Size()), keep)
		} else {
			err = copyFileNew(db+ext, keep+ext)
		}
		if err != nil {
			return kept, err
		}
		kept = append(kept, keep+ext)
	}
	return kept, nil
}

// snippetDetection returns the detection ID of a snippet file's name
// (snippet-ID.sigmf-meta or .sigmf-data), or "".
func snippetDetection(name string) string {
	for _, ext := range []string{".sigmf-meta", ".sigmf-data"} {
		if id, ok := strings.CutSuffix(name, ext); ok {
			if id, ok := strings.CutPrefix(id, "snippet-"); ok {
				return id
			}
		}
	}
	return ""
}

// copyNewFiles copies the regular files of src that dst lacks into dst
// (created 0700), under the same names, and returns how many it copied
// and how many dst had already. It never replaces a file in dst, and
// copies none skip says to (nil: none). Hidden
// files and folders (the dashboard's .incoming- stages) and subfolders are
// skipped. A copy is written under a hidden name and linked into place, so
// an interrupted one is never taken for a copied file.
func copyNewFiles(src, dst string, skip func(name string) bool) (copied, had int, err error) {
	entries, err := os.ReadDir(src)
	if err != nil {
		return 0, 0, err
	}
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return 0, 0, err
	}
	var errs []error
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, ".") || !e.Type().IsRegular() || skip != nil && skip(n) {
			continue
		}
		to := filepath.Join(dst, n)
		if _, err := os.Lstat(to); err == nil {
			had++
			continue
		}
		tmp := filepath.Join(dst, "."+n+".partial")
		os.Remove(tmp)
		err := copyFileNew(filepath.Join(src, n), tmp)
		if err == nil {
			err = atomicfile.LinkNew(tmp, to)
		}
		os.Remove(tmp)
		switch {
		case errors.Is(err, os.ErrExist):
			had++ // arrived meanwhile
		case err != nil:
			errs = append(errs, err)
		default:
			copied++
		}
	}
	if copied > 0 {
		errs = append(errs, atomicfile.SyncDir(dst))
	}
	return copied, had, errors.Join(errs...)
}

// copyFileNew copies src to dst, which must not exist, mode 0600, and
// syncs it.
func copyFileNew(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return copyNew(in, dst)
}

// copyNew writes what in holds to dst, which must not exist, mode 0600,
// and syncs it.
func copyNew(in io.Reader, dst string) (err error) {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(dst)
		}
	}()
	if _, err := io.Copy(out, in); err != nil {
		return err
	}
	return out.Sync()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// restoreNote is what reconcileRestore needs of a restore.
type restoreNote struct {
	db           string  // the database restored
	tmp          string  // the backup's copy, to be renamed over the database
	backup       string  // the backup restored
	current      *sql.DB // the current database, held; nil when there is none or it does not open
	kept         string  // where the current database is kept
	keepAccounts bool    // --keep-backup-accounts
	who          string  // consoleActor
	now          time.Time
}

// accountState is what a restore compares of an account.
type accountState struct {
	hash, role            string
	disabledNS, revokedNS int64
	mustChange            int
}

// auditState is the extent of a database's audit log.
type auditState struct {
	rows   int
	lastID int64
}

// reconcileRestore makes the restored copy n.tmp tell what the restore
// did, before it takes the database's place: the accounts disabled, given
// another password or a lower role in the current database since the
// backup are listed, printed and, unless n.keepAccounts, carried forward
// (a restore re-enabled an account disabled since, with no trace); the
// backup's sessions end; its audit log's ID sequence moves past the
// current log's last ID, so the rows the backup lacks are a visible gap,
// and a db.restore row (and db.restore.accounts, when accounts differ)
// says who restored which backup of when, and which rows of the log
// before are not in it (they stay in the kept copy). The erasures made
// since the backup are re-applied to the copy (reapplyErasures), and a
// db.restore.erasures row names them; what it returns says which
// detections' snippets were erased. The copy is synced again after.
func reconcileRestore(ctx context.Context, n restoreNote, stdout io.Writer) (er restoredErasures, err error) {
	// a backup made by an older release has its tables as that release
	// left them (before 2026-12-05: detections keyed by ID alone, no
	// audit addresses): when erasures made since must be re-applied to
	// it, the copy is brought up to this release's schema first, as
	// fusion would at its next start, so that they find the columns they
	// read. Otherwise it keeps its schema: restored for a rollback, the
	// older binary gets its own tables back.
	missing, err := backupNeedsUpgrade(ctx, n.tmp, n.current)
	if err != nil {
		return er, err
	}
	if missing != "" {
		fmt.Fprintf(stdout, "the backup is an older release's (it lacks %s): brought up to this release's schema to re-apply the erasures made since, as fusion does at its start\n", missing)
		if err := upgradeBackupCopy(n.tmp, stdout); err != nil {
			return er, err
		}
	}
	// DELETE journal mode: the copy is renamed over the database alone,
	// with no WAL beside it
	cp, err := sql.Open("sqlite", store.FileURI(n.tmp)+"?_pragma=journal_mode(DELETE)&_pragma=busy_timeout(10000)")
	if err != nil {
		return er, fmt.Errorf("open the backup's copy: %w", err)
	}
	defer cp.Close()
	cp.SetMaxOpenConns(1)
	bakAudit, err := readAuditState(ctx, cp)
	if err != nil {
		return er, fmt.Errorf("read the backup's audit log: %w", err)
	}
	// a backup made by an older dashboard lacks account columns the
	// comparison and carrying forward need: the copy gets them first
	bakTables, err := tableNames(ctx, cp)
	if err != nil {
		return er, fmt.Errorf("read the backup's tables: %w", err)
	}
	if slices.Contains(bakTables, "dashboard_users") {
		if err := dashboard.UpgradeAccountsTable(ctx, cp); err != nil {
			return er, fmt.Errorf("bring the backup's accounts table up to date: %w", err)
		}
	}
	bakAccounts, err := readAccountStates(ctx, cp)
	if err != nil {
		return er, fmt.Errorf("read the backup's accounts: %w", err)
	}
	var before string
	var changes []string
	var curAccounts map[string]accountState
	switch {
	case n.current == nil:
		before = "no current database (or one that does not open): nothing of it compared"
	default:
		cur, err := readAuditState(ctx, n.current)
		if err != nil {
			return er, fmt.Errorf("read the current audit log: %w", err)
		}
		since, err := readAuditRange(ctx, n.current, bakAudit.lastID)
		if err != nil {
			return er, fmt.Errorf("read the current audit log: %w", err)
		}
		before = fmt.Sprintf("current database: %d audit rows, last id %d; %s not in the backup, kept in %s",
			cur.rows, cur.lastID, since, filepath.Base(n.kept))
		if since != "no audit rows" {
			fmt.Fprintf(stdout, "warning: the current database's %s are not in the backup: they stay in %s\n", since, n.kept)
		}
		queued, err := notificationsSince(ctx, n.current, cp, bakTables)
		if err != nil {
			return er, fmt.Errorf("compare the notifications queued: %w", err)
		}
		if queued != "" {
			fmt.Fprintf(stdout, "warning: the current database's %s, queued since the backup and not yet delivered, are not in the backup: the restored fusion will not send them; they stay in %s (rfwarden restore of that file brings them back)\n", queued, n.kept)
		}
		if curAccounts, err = readAccountStates(ctx, n.current); err != nil {
			return er, fmt.Errorf("read the current accounts: %w", err)
		}
		// the restored log's next rows follow the current log's last
		if _, err := cp.ExecContext(ctx, `UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'audit'`, cur.lastID); err != nil {
			return er, fmt.Errorf("move the audit sequence on: %w", err)
		}
	}
	names := slices.Sorted(maps.Keys(curAccounts))
	for _, name := range names {
		c, b := curAccounts[name], bakAccounts[name]
		if _, inBackup := bakAccounts[name]; !inBackup {
			continue // made since: it is not in the backup at all
		}
		var what []string
		if c.disabledNS != 0 && b.disabledNS == 0 {
			what = append(what, "disabled")
		}
		if c.hash != b.hash {
			what = append(what, "password changed")
		}
		if !dashboard.RoleAtLeast(c.role, b.role) {
			what = append(what, fmt.Sprintf("role %s (%s in the backup)", c.role, b.role))
		}
		if len(what) == 0 {
			continue
		}
		changes = append(changes, name+": "+strings.Join(what, ", ")+" since the backup")
		if n.keepAccounts {
			continue
		}
		_, err := cp.ExecContext(ctx, `UPDATE dashboard_users SET disabled_ns = CASE WHEN ?2 != 0 AND disabled_ns = 0 THEN ?2 ELSE disabled_ns END,
			hash = ?3, must_change = ?4, role = CASE WHEN ?6 THEN ?5 ELSE role END, revoked_ns = max(revoked_ns, ?7) WHERE name = ?1`,
			name, c.disabledNS, c.hash, c.mustChange, c.role, !dashboard.RoleAtLeast(c.role, b.role), c.revokedNS)
		if err != nil {
			return er, fmt.Errorf("carry account %s forward: %w", name, err)
		}
	}
	// Accounts deleted since the backup (a user.delete row in the current
	// log's rows the backup lacks, and no account of that name now) are
	// deleted again: the restore brought a departed officer's account
	// back, with its old password.
	if n.current != nil {
		gone, err := deletedAccountsSince(ctx, n.current, bakAudit.lastID)
		if err != nil {
			return er, fmt.Errorf("read the current audit log: %w", err)
		}
		for _, name := range gone {
			if _, inBackup := bakAccounts[name]; !inBackup {
				continue
			}
			if _, now := curAccounts[name]; now {
				continue // made again since: compared above
			}
			changes = append(changes, name+": deleted since the backup")
			if n.keepAccounts {
				continue
			}
			if _, err := cp.ExecContext(ctx, `DELETE FROM dashboard_users WHERE name = ?`, name); err != nil {
				return er, fmt.Errorf("carry the deletion of account %s forward: %w", name, err)
			}
		}
	}
	// Registry entries deleted since the backup (registry.delete rows the
	// backup lacks) are deleted again: an entry an admin deleted (a
	// departed officer's name and notes) came back with the restore.
	var regGone []string
	if n.current != nil && slices.Contains(bakTables, "registry_entry") {
		ids, err := deletedRegistryEntriesSince(ctx, n.current, bakAudit.lastID)
		if err != nil {
			return er, fmt.Errorf("read the current audit log: %w", err)
		}
		for _, id := range ids {
			res, err := cp.ExecContext(ctx, `DELETE FROM registry_entry WHERE id = ?`, id)
			if err != nil {
				return er, fmt.Errorf("carry the deletion of registry entry %d forward: %w", id, err)
			}
			if k, _ := res.RowsAffected(); k > 0 {
				regGone = append(regGone, strconv.FormatInt(id, 10))
			}
		}
		if len(regGone) > 0 {
			fmt.Fprintf(stdout, "registry entries deleted since the backup, deleted again: %s\n", strings.Join(regGone, ", "))
		}
		// the restored registry's next IDs follow the current one's last,
		// so no ID of an entry added (or deleted) since is used again
		var seq int64
		err = n.current.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'registry_entry'`).Scan(&seq)
		if err != nil {
			return er, fmt.Errorf("read the current registry's last ID: %w", err)
		}
		if _, err := cp.ExecContext(ctx, `UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'registry_entry'`, seq); err != nil {
			return er, fmt.Errorf("move the registry's ID sequence on: %w", err)
		}
	}
	verdict := "carried forward"
	if n.keepAccounts {
		verdict = "kept as in the backup (--keep-backup-accounts)"
	}
	if len(changes) > 0 {
		fmt.Fprintf(stdout, "warning: accounts revoked since the backup, %s:\n", verdict)
		for _, c := range changes {
			fmt.Fprintf(stdout, "  %s\n", c)
		}
	}
	if err := checkAdmins(ctx, cp, n, bakAccounts, curAccounts, stdout); err != nil {
		return er, err
	}
	// the erasures made since the backup: the backup's rows of each erased
	// case go again, their audit rows are kept
	if er, err = reapplyErasures(ctx, cp, n.current, stdout); err != nil {
		return er, fmt.Errorf("refused: the erasures made since the backup (rfwarden erase) cannot be re-applied, and the backup would bring the erased cases back: %w", err)
	}
	// The backup's sessions may have been logged out since: all end.
	tables, err := tableNames(ctx, cp)
	if err != nil {
		return er, fmt.Errorf("read the backup's tables: %w", err)
	}
	if slices.Contains(tables, "dashboard_sessions") {
		res, err := cp.ExecContext(ctx, `DELETE FROM dashboard_sessions`)
		if err != nil {
			return er, fmt.Errorf("end the backup's sessions: %w", err)
		}
		if k, _ := res.RowsAffected(); k > 0 {
			fmt.Fprintf(stdout, "ended the backup's %d sessions: everyone logs in again\n", k)
		}
	}
	after := fmt.Sprintf("backup %s (%s), %d audit rows, last id %d", filepath.Base(n.backup), backupTaken(n.backup), bakAudit.rows, bakAudit.lastID)
	object := "db/" + filepath.Base(n.db)
	rows := []struct{ action, before, after string }{{"db.restore", before, after}}
	if len(changes) > 0 {
		rows = append(rows, struct{ action, before, after string }{"db.restore.accounts", "", strings.Join(changes, "; ") + "; " + verdict})
	}
	if len(er.reapplied)+len(er.failed) > 0 {
		what := "re-applied: " + orDefault(strings.Join(er.reapplied, "; "), "none")
		if len(er.failed) > 0 {
			what += "; not fully re-applied: " + strings.Join(er.failed, "; ")
		}
		rows = append(rows, struct{ action, before, after string }{"db.restore.erasures", "", what})
	}
	if len(regGone) > 0 {
		rows = append(rows, struct{ action, before, after string }{"db.restore.registry", "", "entries deleted since the backup, deleted again: " + strings.Join(regGone, ", ")})
	}
	for _, r := range rows {
		if _, err := cp.ExecContext(ctx, `INSERT INTO audit(time_ns, user, action, object, before, after) VALUES (?, ?, ?, ?, ?, ?)`,
			n.now.UnixNano(), n.who, r.action, object, r.before, r.after); err != nil {
			return er, fmt.Errorf("audit the restore: %w", err)
		}
	}
	// each entry deleted again has its registry.delete row in the
	// restored log too (the first is in the gap): its history ends so,
	// and an import of a CSV exported before is refused as for any
	// deleted entry
	for _, id := range regGone {
		if _, err := cp.ExecContext(ctx, `INSERT INTO audit(time_ns, user, action, object, before, after) VALUES (?, ?, 'registry.delete', ?, '', ?)`,
			n.now.UnixNano(), n.who, "registry/"+id, "deleted since the backup; deleted again by the restore of "+filepath.Base(n.backup)); err != nil {
			return er, fmt.Errorf("audit the restore: %w", err)
		}
	}
	// the deletes re-applied rebalanced pages, leaving older copies of
	// the erased rows in their unused space: the copy is rewritten
	if len(er.reapplied) > 0 {
		if _, err := checkCompactSpace(n.tmp); err != nil {
			return er, fmt.Errorf("refused: the erasures made since the backup are re-applied to its copy, but %w", err)
		}
		took, err := compactErased(ctx, cp)
		if err != nil {
			return er, fmt.Errorf("refused: the erasures made since the backup are re-applied to its copy, but compacting it failed, and older versions of the erased rows would stay readable in it: %w", err)
		}
		fmt.Fprintf(stdout, "compacted the restored copy (VACUUM) in %s: nothing erased is left readable in it\n", took.Round(time.Millisecond))
	}
	if err := cp.Close(); err != nil {
		return er, fmt.Errorf("close the backup's copy: %w", err)
	}
	return er, syncFile(n.tmp)
}

// upgradeBackupCopy opens the backup's copy at tmp as fusion's store
// (upgradeStore), which upgrades the schema of a backup an older release
// made, logging each upgrade to stdout, and closes it: its WAL is
// checkpointed and removed, and reconcileRestore reopens the file in
// DELETE journal mode. A backup of this release is left as it is.
func upgradeBackupCopy(tmp string, stdout io.Writer) error {
	if err := upgradeStore(tmp, stdout); err != nil {
		return fmt.Errorf("bring the backup's copy up to this release's schema: %w", err)
	}
	return nil
}

// backupNeedsUpgrade returns what the backup's copy at tmp lacks of this
// release's schema (olderSchema) when the current database cur has
// erasures the copy lacks, which reapplyErasures re-applies with this
// release's columns; "" when it lacks nothing, or has no erasure to
// re-apply.
func backupNeedsUpgrade(ctx context.Context, tmp string, cur *sql.DB) (string, error) {
	if cur == nil {
		return "", nil
	}
	cp, err := sql.Open("sqlite", store.FileURI(tmp)+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		return "", fmt.Errorf("open the backup's copy: %w", err)
	}
	defer cp.Close()
	missing, err := olderSchema(ctx, cp)
	if err != nil || missing == "" {
		return "", err
	}
	since, err := readEraseRows(ctx, cur)
	if err != nil {
		return "", fmt.Errorf("read the current audit log's erasures: %w", err)
	}
	have, err := readEraseRows(ctx, cp)
	if err != nil {
		return "", fmt.Errorf("read the backup's erasures: %w", err)
	}
	for _, r := range since {
		if !slices.ContainsFunc(have, func(h auditRow) bool {
			return h.timeNS == r.timeNS && h.action == r.action && h.object == r.object && h.after == r.after
		}) {
			return missing, nil
		}
	}
	return "", nil
}

// upgradeStore opens the database at path as fusion's store
// (store.OpenSQLiteLog), which brings an older release's schema up to
// this one's as fusion does at its start, logging each upgrade to
// stdout, and closes it. A database of this release is left as it is.
func upgradeStore(path string, stdout io.Writer) error {
	st, err := store.OpenSQLiteLog(path, slog.New(slog.NewTextHandler(stdout, nil)))
	if err != nil {
		return err
	}
	if err := st.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}

// olderSchema names what the database q lacks of this release's schema
// (the columns and tables store.OpenSQLite adds to an older release's
// database), "" when it lacks none of them.
func olderSchema(ctx context.Context, q querier) (string, error) {
	var missing []string
	for _, c := range []struct{ table, column string }{
		{"detection", "sensor"}, {"detection", "lead"}, {"audit", "addr"}, {"location", "authorised"},
	} {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?`, c.table, c.column).Scan(&n); err != nil {
			return "", fmt.Errorf("read the columns of %s: %w", c.table, err)
		}
		if n == 0 {
			missing = append(missing, c.table+"."+c.column)
		}
	}
	return strings.Join(missing, ", "), nil
}

// checkAdmins refuses a restore whose accounts, carried forward, leave no
// enabled admin though the backup has one (its admins were disabled or
// given a lower role since, and those made since are not in the backup):
// nobody could manage accounts on the dashboard, and the dashboard makes
// no new admin while a disabled one exists. The error names the remedies:
// give one of the backup's admins its role back in the current database
// and restore again, or --keep-backup-accounts. A backup with no enabled
// admin of its own is restored with a warning naming rfwarden users.
func checkAdmins(ctx context.Context, cp *sql.DB, n restoreNote, bak, cur map[string]accountState, stdout io.Writer) error {
	if len(bak) == 0 {
		return nil // no accounts: the dashboard makes an admin at start
	}
	var enabled int
	if err := cp.QueryRowContext(ctx, `SELECT COUNT(*) FROM dashboard_users WHERE role = ? AND disabled_ns = 0`, dashboard.RoleAdmin).Scan(&enabled); err != nil {
		return fmt.Errorf("count the restored admins: %w", err)
	}
	if enabled > 0 {
		return nil
	}
	var remedies []string
	for _, name := range slices.Sorted(maps.Keys(bak)) {
		b := bak[name]
		if b.role != dashboard.RoleAdmin || b.disabledNS != 0 {
			continue
		}
		c, ok := cur[name]
		if !ok {
			continue
		}
		var cmds []string
		if c.disabledNS != 0 {
			cmds = append(cmds, fmt.Sprintf("rfwarden users --db %s enable %s", n.db, name))
		}
		if c.role != dashboard.RoleAdmin {
			cmds = append(cmds, fmt.Sprintf("rfwarden users --db %s role %s admin", n.db, name))
		}
		if len(cmds) > 0 {
			remedies = append(remedies, strings.Join(cmds, " and "))
		}
	}
	if !n.keepAccounts && len(remedies) > 0 {
		return fmt.Errorf("refused: carried forward, the accounts leave no enabled admin "+
			"(the backup's admins were disabled or given a lower role since; accounts made since are not in the backup), so nobody could manage accounts: "+
			"either give one of the backup's admins its role back in the current database first (%s) and restore again, "+
			"or restore with --keep-backup-accounts (the accounts as the backup has them) and revoke those listed above again with rfwarden users",
			strings.Join(remedies, "; or "))
	}
	var names []string
	for _, name := range slices.Sorted(maps.Keys(bak)) {
		if bak[name].role == dashboard.RoleAdmin {
			names = append(names, name)
		}
	}
	fix := "rfwarden users --db " + n.db + " role NAME admin"
	if len(names) > 0 {
		fix = "rfwarden users --db " + n.db + " enable " + names[0]
	}
	fmt.Fprintf(stdout, "warning: the restored database has no enabled admin: nobody can manage accounts until one is enabled, after the restore: %s\n", fix)
	return nil
}

// backupTaken says when the backup at path was taken: the time in its
// name (rfwarden backup's), else its file's modification time.
func backupTaken(path string) string {
	if t, ok := backupStamp(filepath.Base(path)); ok {
		return "taken " + t.UTC().Format(time.RFC3339)
	}
	if fi, err := os.Stat(path); err == nil {
		return "file modified " + fi.ModTime().UTC().Format(time.RFC3339)
	}
	return "time unknown"
}

// readAuditState counts the audit rows of db and reads its last ID.
func readAuditState(ctx context.Context, db *sql.DB) (auditState, error) {
	var a auditState
	err := db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(id), 0) FROM audit`).Scan(&a.rows, &a.lastID)
	return a, err
}

// readAuditRange describes the audit rows of db after ID afterID: "2
// audit rows (ids 4..5)", or "no audit rows".
func readAuditRange(ctx context.Context, db *sql.DB, afterID int64) (string, error) {
	var k int
	var lo, hi int64
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MIN(id), 0), COALESCE(MAX(id), 0) FROM audit WHERE id > ?`, afterID).Scan(&k, &lo, &hi); err != nil {
		return "", err
	}
	switch k {
	case 0:
		return "no audit rows", nil
	case 1:
		return fmt.Sprintf("1 audit row (id %d)", lo), nil
	}
	return fmt.Sprintf("%d audit rows (ids %d..%d)", k, lo, hi), nil
}

// notificationsSince describes the notifications (notify_outbox) of cur
// queued after the last of the backup's bak (its tables bakTables), not
// yet delivered: "3 notifications (webhook 2, syslog 1)", or "" when
// there are none. An explorer's restore of a day-old backup set 34 aside
// without a word while it named the audit rows (2026-12-08).
func notificationsSince(ctx context.Context, cur, bak *sql.DB, bakTables []string) (string, error) {
	curTables, err := tableNames(ctx, cur)
	if err != nil || !slices.Contains(curTables, "notify_outbox") {
		return "", err
	}
	var last int64
	if slices.Contains(bakTables, "notify_outbox") {
		if err := bak.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM notify_outbox`).Scan(&last); err != nil {
			return "", err
		}
	}
	rows, err := cur.QueryContext(ctx, `SELECT output, COUNT(*) FROM notify_outbox WHERE seq > ? GROUP BY output ORDER BY output`, last)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	total := 0
	var parts []string
	for rows.Next() {
		var output string
		var k int
		if err := rows.Scan(&output, &k); err != nil {
			return "", err
		}
		total += k
		parts = append(parts, fmt.Sprintf("%s %d", output, k))
	}
	if err := rows.Err(); err != nil || total == 0 {
		return "", err
	}
	return fmt.Sprintf("%d %s (%s)", total, english.Plural(total, "notification", "notifications"), strings.Join(parts, ", ")), nil
}

// deletedAccountsSince returns the names of the accounts deleted
// (user.delete on user/NAME) in db's audit rows after ID afterID, sorted.
func deletedAccountsSince(ctx context.Context, db *sql.DB, afterID int64) ([]string, error) {
	return store.QueryStrings(ctx, db, `SELECT DISTINCT substr(object, 6) FROM audit WHERE id > ? AND action = 'user.delete' AND object LIKE 'user/%' ORDER BY 1`, afterID)
}

// deletedRegistryEntriesSince returns the IDs of the registry entries
// deleted (registry.delete on registry/ID) in db's audit rows after ID
// afterID, in order.
func deletedRegistryEntriesSince(ctx context.Context, db *sql.DB, afterID int64) ([]int64, error) {
	objects, err := store.QueryStrings(ctx, db, `SELECT DISTINCT object FROM audit WHERE id > ? AND action = 'registry.delete' AND object LIKE 'registry/%'`, afterID)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, object := range objects {
		if id, err := strconv.ParseInt(strings.TrimPrefix(object, "registry/"), 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// readAccountStates reads the dashboard accounts of db, by name (none
// when it has no accounts table).
func readAccountStates(ctx context.Context, db *sql.DB) (map[string]accountState, error) {
	tables, err := tableNames(ctx, db)
	if err != nil || !slices.Contains(tables, "dashboard_users") {
		return nil, err
	}
	// a table an older dashboard made lacks some of the account columns
	// (the current database's is read as it is): each missing one reads 0
	cols := []string{"hash", "role"}
	for _, c := range []string{"disabled_ns", "revoked_ns", "must_change"} {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('dashboard_users') WHERE name = ?`, c).Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			c = "0"
		}
		cols = append(cols, c)
	}
	rows, err := db.QueryContext(ctx, `SELECT name, `+strings.Join(cols, ", ")+` FROM dashboard_users`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]accountState{}
	for rows.Next() {
		var name string
		var a accountState
		if err := rows.Scan(&name, &a.hash, &a.role, &a.disabledNS, &a.revokedNS, &a.mustChange); err != nil {
			return nil, err
		}
		out[name] = a
	}
	return out, rows.Err()
}
