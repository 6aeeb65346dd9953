package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/store"
)

const backupUsage = `usage: rfwarden backup [--db rfwarden.db] [--keep 14] [--snippets DIR] DIR

Copy the SQLite state (users, registry, alerts, incidents, audit log, and
the time series when no InfluxDB is used) into DIR as
rfwarden-<UTC time>.db while fusion and the dashboard run: a consistent,
compacted snapshot (VACUUM INTO), checked (integrity_check) before it is
given its name, mode 0600. Then only the newest --keep backups in DIR stay;
rotation counts and removes only files named as it names them.
The notifications fusion held at its last stop, the outbox unwritable
(rfwarden.db.notify-held.SITE.OUTPUT.jsonl beside the database), are
copied beside the backup under its name, and rotate with it.
A damaged database is refused; one damaged only where the copy does not
read (its free pages) is backed up, reported (quick_check) as damaged,
and no old backup is removed.
With --snippets (by default RFW_SNIPPET_DIR, as the dashboard's environment
file sets it), the evidence snippets in that folder that DIR/snippets/
does not hold yet are copied there too (never replacing one; only
snippet-*.sigmf-meta and -data, counted as files: not a sensor's .keep
and .sent markers, in a snippet folder the sensors share); with
--keep, a copy whose snippet the folder no longer held when the oldest
backup kept was made is removed (only snippet-*.sigmf-meta and -data).
Restore: rfwarden restore; docs/deploy.md, section 4.
`

// backupPrefix, backupTime and backupSuffix name the backups:
// rfwarden-20261203T033012.345Z.db. Rotation counts only these names.
const (
	backupPrefix = "rfwarden-"
	backupTime   = "20060102T150405.000Z"
	backupSuffix = ".db"
)

// backupSnippets is the folder in a backup folder holding the copies of
// the evidence snippets.
const backupSnippets = "snippets"

// cmdBackup writes a checked online backup of the SQLite state.
func cmdBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, backupUsage); printDefaults(fs) }
	dbPath := fs.String("db", dashboardEnv("RFW_DB", "rfwarden.db"), "SQLite database of fusion and the dashboard")
	keep := fs.Int("keep", 14, "backups to keep in DIR, newest first (0: keep all)")
	snippets := fs.String("snippets", dashboardEnv("RFW_SNIPPET_DIR", ""), "also copy the evidence snippets of this folder not yet in DIR/snippets/ there (default: RFW_SNIPPET_DIR, the dashboard's)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if err := flagAfterArg(fs); err != nil {
		return err
	}
	if *keep < 0 {
		return fmt.Errorf("backup: --keep %d is negative: give the backups to keep in DIR, or 0 to keep all", *keep)
	}
	if flagSet(fs, "snippets") && *snippets != "" {
		// named on the command line, it must be there: checked before the
		// copy (a mistyped one failed after it, and again at rotating)
		switch fi, err := os.Stat(*snippets); {
		case errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("backup: --snippets %s does not exist: give the dashboard's RFW_SNIPPET_DIR, or leave --snippets out", *snippets)
		case err != nil:
			return fmt.Errorf("backup: --snippets: %w", err)
		case !fi.IsDir():
			return fmt.Errorf("backup: --snippets %s is not a folder: give the dashboard's RFW_SNIPPET_DIR", *snippets)
		}
	}
	switch fs.NArg() {
	case 0:
		return usageErr(stderr, fs.Usage, "backup: give the folder DIR to write the backup into (e.g. /var/backups/rfwarden)")
	case 1:
	default:
		return usageErr(stderr, fs.Usage, "backup: give one DIR, got %d: %q", fs.NArg(), strings.Join(fs.Args(), " "))
	}
	dir := fs.Arg(0)
	info, err := existingDB(*dbPath)
	if errors.Is(err, store.ErrNewerSchema) {
		// copied all the same: the copy is exact, and a newer binary
		// restores it (an older one's restore refuses it)
		fmt.Fprintf(stdout, "note: %v; backing it up all the same\n", err)
		info, err = os.Stat(*dbPath)
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	start := time.Now()
	name := filepath.Join(dir, backupPrefix+start.UTC().Format(backupTime)+backupSuffix)
	if _, err := os.Stat(name); err == nil {
		return fmt.Errorf("backup: %s exists already", name)
	}
	size := info.Size()
	if wal, err := os.Stat(*dbPath + "-wal"); err == nil {
		size += wal.Size() // pages not yet checkpointed into the file
	}
	fmt.Fprintf(stdout, "backing up %s (%.1f MB with its WAL) to %s\n", *dbPath, float64(size)/1e6, name)
	tmp := name + ".partial"
	os.Remove(tmp) // a crashed run's leftover
	problems, err := writeBackup(ctx, *dbPath, tmp, name)
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	out, _ := os.Stat(name)
	fmt.Fprintf(stdout, "wrote %s (%.1f MB, integrity ok) in %v\n", name, float64(out.Size())/1e6, time.Since(start).Round(time.Millisecond))
	// an old backup that cannot be removed never stops the snippets
	// being backed up: both run, and both their errors are returned
	var errs []error
	if err := backupKept(*dbPath, name, stdout); err != nil {
		errs = append(errs, fmt.Errorf("backup: %w", err))
	}
	if len(problems) > 0 {
		// every row was read into the copy, but the database itself is
		// damaged where the copy does not read it (an index, free
		// pages): the older backups stay, and the run fails
		errs = append(errs, fmt.Errorf("backup: database %q: %w (quick_check: %s): every row was read, and %s holds them, checked: stop fusion and the dashboard and restore it (rfwarden restore; docs/deploy.md, section 4); no old backup was removed",
			*dbPath, store.ErrDamaged, strings.Join(problems, "; "), name))
	} else if *keep > 0 {
		removed, err := rotateBackups(dir, *keep)
		for _, r := range removed {
			fmt.Fprintf(stdout, "removed old backup %s\n", r)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("backup: rotate: %w", err))
		}
	}
	if *snippets != "" {
		if _, err := os.Stat(*snippets); errors.Is(err, os.ErrNotExist) && !flagSet(fs, "snippets") {
			// RFW_SNIPPET_DIR: the dashboard makes it when the first
			// snippet arrives (a folder named on the command line must exist)
			fmt.Fprintf(stdout, "snippets: %s (RFW_SNIPPET_DIR) does not exist yet: none to copy\n", *snippets)
		} else {
			copies := filepath.Join(dir, backupSnippets)
			// the snippets only: not a sensor's .keep and .sent markers
			// beside them (a folder the sensors share, as the demo's)
			copied, had, err := copyNewFiles(*snippets, copies, func(name string) bool { return !isSnippetCopy(name) })
			fmt.Fprintf(stdout, "snippets: %d copied, %d already in %s (files snippet-*.sigmf-meta and -data)\n", copied, had, copies)
			if err != nil {
				errs = append(errs, fmt.Errorf("backup: snippets: %w", err))
			}
			if oldest, ok := oldestBackup(dir); ok && *keep > 0 {
				removed, err := rotateSnippetCopies(*snippets, copies, oldest, start)
				fmt.Fprintf(stdout, "snippets: %d copies no kept backup needs removed\n", len(removed))
				if err != nil {
					errs = append(errs, fmt.Errorf("backup: rotate snippets: %w", err))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// writeBackup snapshots src into tmp, makes it private and gives it its
// name, and returns what quick_check found wrong in src (snapshot); on
// error the caller removes tmp.
func writeBackup(ctx context.Context, src, tmp, name string) ([]string, error) {
	problems, err := snapshot(ctx, src, tmp)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return nil, err
	}
	return problems, os.Rename(tmp, name)
}

// snapshot writes a compacted copy of the database at src to dst in one
// read transaction (VACUUM INTO), checks the copy, and returns what
// SQLite's quick_check finds wrong in src: the copy reads every row of
// every table, but not src's indexes or free pages, and rebuilds them,
// so a database damaged there copied without a word while fusion failed
// on it. A page the copy reads damaged (a file cut short) is an error
// wrapping store.ErrDamaged.
func snapshot(ctx context.Context, src, dst string) ([]string, error) {
	db, err := sql.Open("sqlite", store.FileURI(src)+"?mode=ro&_pragma=busy_timeout(30000)")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", src, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return nil, fmt.Errorf("copy %s: %w", src, store.Damaged(err))
	}
	cp, err := sql.Open("sqlite", store.FileURI(dst)+"?mode=ro")
	if err != nil {
		return nil, fmt.Errorf("open the copy: %w", err)
	}
	defer cp.Close()
	if err := integrityCheck(ctx, cp); err != nil {
		return nil, fmt.Errorf("check the copy: %w", err)
	}
	problems, err := store.Problems(ctx, db, `PRAGMA quick_check`)
	if err != nil {
		return []string{store.Damaged(err).Error()}, nil
	}
	return problems, nil
}

// backupKept copies the notifications fusion held at its last stop
// (fusion.KeepFiles: rfwarden.db.notify-held.SITE.OUTPUT.jsonl beside the
// database db) beside the backup name, named as it is
// (rfwarden-TIME.db.notify-held.SITE.OUTPUT.jsonl), mode 0600: not in
// the database, and fusion queues them at its next start. Rotation
// removes them with their backup, and restore puts them back.
func backupKept(db, name string, stdout io.Writer) error {
	kept, err := fusion.KeepFiles(db)
	if err != nil || len(kept) == 0 {
		return err
	}
	var errs []error
	for _, k := range kept {
		dst := name + strings.TrimPrefix(filepath.Base(k), filepath.Base(db))
		if err := copyFileNew(k, dst); err != nil {
			errs = append(errs, fmt.Errorf("copy the notifications fusion held at its stop: %w", err))
			continue
		}
		fmt.Fprintf(stdout, "wrote %s (notifications fusion held at its stop, queued at its next start)\n", dst)
	}
	return errors.Join(errs...)
}

// isBackupName reports whether name is exactly one rotation made:
// rfwarden-<UTC time as backupTime>.db. A file an operator named
// rfwarden-pre-upgrade.db is not one, and is never counted or removed.
func isBackupName(name string) bool {
	_, ok := backupStamp(name)
	return ok
}

// backupStamp returns the time in a backup's name, and whether name is
// one (isBackupName).
func backupStamp(name string) (time.Time, bool) {
	stamp, ok := strings.CutPrefix(name, backupPrefix)
	if !ok {
		return time.Time{}, false
	}
	if stamp, ok = strings.CutSuffix(stamp, backupSuffix); !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(backupTime, stamp)
	if err != nil || t.Format(backupTime) != stamp {
		return time.Time{}, false
	}
	return t, true
}

// removeBackup removes an old backup (a test makes it fail).
var removeBackup = os.Remove

// rotateBackups removes all but the newest keep backups in dir (by name,
// which sorts by time) and returns what it removed. Only files named as
// backups are named (isBackupName) count; any other file is left alone.
func rotateBackups(dir string, keep int) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && isBackupName(n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var removed []string
	var errs []error
	for len(names) > keep {
		p := filepath.Join(dir, names[0])
		if err := removeBackup(p); err != nil {
			errs = append(errs, err)
		} else {
			removed = append(removed, p)
			kept, err := fusion.KeepFiles(p)
			for _, k := range kept {
				err = errors.Join(err, os.Remove(k))
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		names = names[1:]
	}
	return removed, errors.Join(errs...)
}

// oldestBackup returns the time of the oldest backup in dir (by its name),
// false when there is none.
func oldestBackup(dir string) (time.Time, bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return time.Time{}, false
	}
	for _, e := range entries { // ReadDir sorts by name, which sorts by time
		if t, ok := backupStamp(e.Name()); ok && e.Type().IsRegular() {
			return t, true
		}
	}
	return time.Time{}, false
}

// isSnippetCopy reports whether name is a snippet file as the dashboard
// saves them (snippet-NAME.sigmf-meta or .sigmf-data): the only copies
// rotateSnippetCopies counts or removes.
func isSnippetCopy(name string) bool {
	return strings.HasPrefix(name, "snippet-") && (strings.HasSuffix(name, ".sigmf-meta") || strings.HasSuffix(name, ".sigmf-data"))
}

// rotateSnippetCopies keeps the snippet copies in copies as long as the
// backups kept: each copy's modification time records when a backup run
// last saw its snippet in the live folder (set to run for those live
// holds now), and a copy last seen before oldest, the time of the oldest
// backup kept, is removed: its snippet was gone (deleted by the
// dashboard's retention) when every kept backup was made. It returns what
// it removed.
func rotateSnippetCopies(live, copies string, oldest, run time.Time) ([]string, error) {
	entries, err := os.ReadDir(copies)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		n := e.Name()
		if !e.Type().IsRegular() || !isSnippetCopy(n) {
			continue
		}
		p := filepath.Join(copies, n)
		if _, err := os.Lstat(filepath.Join(live, n)); err == nil {
			if err := os.Chtimes(p, run, run); err != nil {
				errs = append(errs, err)
			}
			continue
		} else if !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err) // not known to be gone: kept
			continue
		}
		fi, err := e.Info()
		if err != nil || !fi.ModTime().Before(oldest) {
			continue
		}
		if err := os.Remove(p); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, p)
	}
	return removed, errors.Join(errs...)
}

// dbMissing says, after a database path with no file (RFW_DB, --db),
// where the database comes from.
const dbMissing = "fusion creates it when it first starts (on a new installation, start fusion first)"

// existingDB checks that the database a command was given (RFW_DB, --db)
// is there and is rfwarden's (store.CheckDatabase), in one line naming
// the setting and the path: opening a mistyped path would create an
// empty database, an empty file would become one, and another program's
// database would be given rfwarden's tables. A missing file's error
// wraps fs.ErrNotExist.
func existingDB(path string) (os.FileInfo, error) {
	if err := store.CheckDatabase(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("RFW_DB (--db): %w: %s", err, dbMissing)
		}
		return nil, fmt.Errorf("RFW_DB (--db): %w", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("RFW_DB (--db): %w", err)
	}
	return info, nil
}

// flagSet reports whether flag name was given on fs's command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
