package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/english"
)

const eraseUsage = `usage: rfwarden erase [--db rfwarden.db] (--incident ID | --alert ID) [--snippets DIR | --no-snippets] [--backups DIR]... [--influx URL] [--dry-run] [--yes] [--force]

Erase one case, at a data-protection officer's request: an incident
(--incident) or an alert that belongs to no incident (--alert), with its
alerts, their undelivered notifications (notify_outbox) and
acknowledgements (ack_held), their detections
(the SQLite detection table: fusion without InfluxDB) and the evidence
snippets of those detections (snippet-ID.sigmf-meta and .sigmf-data, and
a sensor's snippet-ID.keep and .sent markers) in
--snippets and in the snippets/ of each --backups folder. Stop fusion,
the dashboard and the backup timer first (systemctl stop rfwarden-fusion
rfwarden-dashboard rfwarden-backup.timer rfwarden-backup.service): erase
refuses while any of them, or another rfwarden command, holds the database
(fusion would write the case back; a backup would copy its snippets
again). --dry-run prints what would go and changes nothing; it may run
while they do.

The rows go in one transaction with one audit row (erase.incident or
erase.alert, by "console:<account> (sudo by <caller>, ...)") naming the
IDs and counts erased, no content; the pages freed are overwritten
(secure_delete). After the commit the database is compacted (VACUUM: the
file rewritten whole, so that no older version of an erased row stays in
its pages; it takes as long as a backup) and its WAL emptied into it; it
needs free disk of the database's size for the WAL and again for
SQLite's temporary copy (SQLITE_TMPDIR, TMPDIR, /var/tmp), and erase
refuses before erasing without it. The files are
deleted after it commits, each name tried again (one copied since the
prompt goes too); any that could not be is named, and erase fails.
Without a snippet folder (no --snippets, no RFW_SNIPPET_DIR: sudo drops
it) erase refuses, unless --no-snippets. Run again for a case erased
before, erase deletes the snippet files still left of the detections its
audit row names (after --no-snippets, a crash, a file it could not
delete), audited as erase.incident.files (or erase.alert.files), counts
only. A detection another case still names (another incident's, or
another alert's evidence) is kept, with its snippets, and listed: erase
that case too and it goes then. A detection ID no sensor makes is never
made into a file name.
A case not finished is refused unless --force: an open incident, a
pending or firing alert, an alert of no incident that nobody acknowledged.
An alert of an incident is erased with its incident (--incident). Without
--yes, erase asks on a terminal (Ctrl-C there erases nothing), and
refuses when not on one.

Not reached, and printed at the end of every erase and dry run: InfluxDB
(the DELETE statements to run are printed, for the case's rooms and the
unlocated "_", from the incident's opening; after fusion's InfluxDB spool
drained. The rooms are those of its detections' SQLite rows, or with
--influx those InfluxDB holds its detections and its tracks' locations in;
when they are not known, the statements take every room's), the sensors' snippet folders (snippets can come back: delete
them there first), the backup folders' snippets/ without --backups, the
database copies in the backup folders (they go as they rotate out,
--keep), copies taken off the host, the case's locations and heatmap
counts (history_days), the search outcomes (RFW_SEARCH_DAYS) and the
audit rows about it (audit_days).
Run it as the services' user (sudo -u rfwarden). docs/data-protection.md, Erasure.
`

// eraseStop is the command that stops what would hold the database or
// write the case back while erase runs.
const eraseStop = "systemctl stop rfwarden-fusion rfwarden-dashboard rfwarden-backup.timer rfwarden-backup.service"

// eraseStdin is where erase reads its confirmation, and eraseTerminal
// reports whether that is a terminal (a test sets both).
var (
	eraseStdin    io.Reader = os.Stdin
	eraseTerminal           = func() bool { return isTerminal(os.Stdin) }
)

// eraseWindow is how far before an alert became active and after its last
// change its detections are looked for: the dashboard's evidence window.
const eraseWindow = 10 * time.Minute

// dirList is a flag that may be given once per folder.
type dirList []string

func (d *dirList) String() string { return strings.Join(*d, ", ") }

// Set adds one folder.
func (d *dirList) Set(s string) error {
	if s == "" {
		return errors.New("empty folder name")
	}
	*d = append(*d, s)
	return nil
}

// eraseTarget is what erase was asked to erase: kind "incident" or
// "alert", and its ID.
type eraseTarget struct{ kind, id string }

func (t eraseTarget) String() string { return fmt.Sprintf("%s %q", t.kind, t.id) }

// erasePlan is what erasing a case takes, read from the database, and what
// it leaves.
type erasePlan struct {
	target        eraseTarget
	site          string
	state         string              // the incident's or the alert's
	alerts        []string            // the case's stored alerts, sorted
	missingAlerts []string            // alerts the incident lists that are not stored (for its site)
	detections    []string            // detection IDs erased, sorted
	shared        map[string][]string // detection ID kept -> the other cases naming it ("incident/ID", "alert/ID")
	detectionRows int                 // rows of detections in the SQLite detection table
	outboxRows    int
	heldAcks      int  // held acknowledgements of its alerts (ack_held)
	hasOutbox     bool // the notify_outbox table exists
	hasDetection  bool // the detection table exists
	hasAckHeld    bool // the ack_held table exists (the dashboard's acknowledgements not yet announced)
	journaled     int  // detections in fusion's intake journal, a kill -9 left unstored: refused until its next start stores them
	sensors       []string
	rooms         []string // of its incident, its alerts' latest and its detections' SQLite rows
	// roomsKnown: every detection of the case has an SQLite row, so rooms
	// holds every room its detections were placed in; otherwise (InfluxDB
	// holds them, or history_days deleted them) the rooms of those before
	// an alert moved are not known
	roomsKnown bool
	tracks     []string // its alerts' tracks, for their locations in InfluxDB
	// influxRead: InfluxDB was read for the rooms (--influx), and held
	// influxFound of the case's detections
	influxRead   bool
	influxFound  int
	fromNS, toNS int64    // the case's evidence window
	unfinished   []string // why the case is not finished: refused unless --force
	badIDs       []string // detection IDs no sensor makes: no snippet looked for
	dirs         []string // the snippet folders searched
	files        []string // snippet files there when the plan was read, to show
	noSnippets   bool     // --no-snippets: the snippet folder not searched
}

// errCaseGone is the error of a case not in the database.
var errCaseGone = errors.New("not in the database")

// querier is a database or a transaction on it.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// cmdErase erases one case (an incident or an alert of none) from the
// SQLite state and its snippets from the snippet and backup folders.
func cmdErase(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("erase", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, eraseUsage); printDefaults(fs) }
	dbPath := fs.String("db", dashboardEnv("RFW_DB", "rfwarden.db"), "SQLite database of fusion and the dashboard")
	incident := fs.String("incident", "", "the incident to erase, with its alerts")
	alertID := fs.String("alert", "", "the alert to erase (one of no incident)")
	snippets := fs.String("snippets", dashboardEnv("RFW_SNIPPET_DIR", ""), "evidence snippet folder (default: RFW_SNIPPET_DIR, the dashboard's)")
	noSnippets := fs.Bool("no-snippets", false, "erase without a snippet folder: its snippets of the case stay until erase is run again with --snippets")
	var backups dirList
	fs.Var(&backups, "backups", "a backup folder (rfwarden backup's DIR): its snippets/ copies go too; give it once per folder")
	dryRun := fs.Bool("dry-run", false, "print what would be erased; change nothing")
	yes := fs.Bool("yes", false, "erase without asking")
	influx := eraseInflux{password: os.Getenv("RFW_INFLUX_PASSWORD")}
	fs.StringVar(&influx.url, "influx", dashboardEnv("RFW_INFLUX_URL", ""), "InfluxDB URL (fusion.yaml's influx.url): read there the rooms the case's detections and locations were placed in, for the DELETE statements printed; password from RFW_INFLUX_PASSWORD")
	fs.StringVar(&influx.database, "influx-db", dashboardEnv("RFW_INFLUX_DB", "rfwarden"), "InfluxDB database (fusion.yaml's influx.database)")
	fs.StringVar(&influx.rp, "influx-rp", dashboardEnv("RFW_INFLUX_RP", "autogen"), "InfluxDB retention policy (fusion.yaml's influx.retention_policy)")
	fs.StringVar(&influx.user, "influx-user", dashboardEnv("RFW_INFLUX_USER", ""), "InfluxDB username (fusion.yaml's influx.username)")
	force := fs.Bool("force", false, "erase a case not finished: an open incident, a pending or firing alert, an alert nobody acknowledged")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() != 0 || (*incident == "") == (*alertID == "") {
		fmt.Fprintln(stderr, "erase: give one of --incident ID or --alert ID")
		fs.Usage()
		return errUsage
	}
	if *noSnippets && flagSet(fs, "snippets") {
		fmt.Fprintln(stderr, "erase: give --snippets DIR or --no-snippets, not both")
		fs.Usage()
		return errUsage
	}
	// checked as the dashboard checks them: a URL no query can reach, or
	// no database, failed only once the case was read
	if influx.url != "" {
		if err := fusion.CheckInfluxURL(influx.url); err != nil {
			return fmt.Errorf("erase: RFW_INFLUX_URL (--influx): %w", err)
		}
		if influx.database == "" {
			return errors.New("erase: RFW_INFLUX_DB (--influx-db) is empty: give fusion.yaml's influx.database (default rfwarden)")
		}
	}
	target := eraseTarget{"incident", *incident}
	if *alertID != "" {
		target = eraseTarget{"alert", *alertID}
	}
	if !*dryRun && !*yes && !eraseTerminal() {
		return fmt.Errorf("erase: not run on a terminal, so nobody can confirm: give --yes to erase %s (or --dry-run to see what would go)", target)
	}
	if _, err := existingDB(*dbPath); err != nil {
		return fmt.Errorf("erase: %w", err)
	}
	if *noSnippets {
		*snippets = ""
	}
	dirs, err := eraseDirs(fs, *snippets, *noSnippets, backups, stdout)
	if err != nil {
		return fmt.Errorf("erase: %w", err)
	}
	if *dryRun {
		if err := eraseUpgrade(ctx, *dbPath, true, stdout); err != nil {
			return fmt.Errorf("erase: %w", err)
		}
		return eraseDryRun(ctx, *dbPath, target, dirs, backups, *noSnippets, *force, influx, stdout)
	}

	// nothing else holds the database, and nothing will while the case
	// is erased: fusion's locks, then SQLite's own
	release, err := lockFusions(*dbPath)
	if err != nil {
		return fmt.Errorf("erase: %w: fusion runs on %s; stop it, the dashboard and the backup timer first: %s", err, *dbPath, eraseStop)
	}
	defer release()
	if err := eraseUpgrade(ctx, *dbPath, false, stdout); err != nil {
		return fmt.Errorf("erase: %w", err)
	}
	held, err := holdDatabase(ctx, *dbPath)
	switch {
	case errors.Is(err, errInUse):
		return fmt.Errorf("erase: %s is in use by another process (the dashboard, fusion, the backup timer's rfwarden backup, or another rfwarden command): stop them first: %s", *dbPath, eraseStop)
	case err != nil:
		return fmt.Errorf("erase: open %s: %w", *dbPath, err)
	}
	defer held.Close()
	plan, err := readErasePlan(ctx, held, target, dirs)
	if errors.Is(err, errCaseGone) {
		// erased before: the snippets it left, if any
		return eraseFollowUp(ctx, held, target, dirs, err, *yes, stdout)
	}
	if err != nil {
		return fmt.Errorf("erase: %w", err)
	}
	plan.noSnippets = *noSnippets
	influx.lookUp(ctx, plan, stdout)
	printErasePlan(stdout, plan)
	if plan.journaled > 0 {
		return fmt.Errorf("erase: refused: %s: %s", plan.target, journalWaits(plan.journaled))
	}
	if len(plan.unfinished) > 0 {
		if !*force {
			return fmt.Errorf("erase: refused: %s not finished: %s; finish it on the dashboard first (close the case, acknowledge the alert, or wait for it to resolve), or give --force",
				target, strings.Join(plan.unfinished, "; "))
		}
		fmt.Fprintf(stdout, "warning: erasing %s though it is not finished (--force)\n", target)
	}
	// the compaction after it needs free disk: refused before, not
	// found short after the rows are gone
	size, err := checkCompactSpace(*dbPath)
	if err != nil {
		return fmt.Errorf("erase: refused: %w (nothing erased)", err)
	}
	fmt.Fprintf(stdout, "after the erase, the database (%d bytes) is compacted (VACUUM: rewritten whole, so that nothing erased stays readable in it)\n", size)
	if !*yes {
		if err := eraseConfirm(ctx, "erase all of the above?", stdout); err != nil {
			return fmt.Errorf("erase: %w", err)
		}
	}
	erased, err := executeErase(ctx, held, plan, consoleActor(osConsoleEnv()), time.Now())
	if err != nil {
		return fmt.Errorf("erase: %w (nothing erased)", err)
	}
	fmt.Fprintf(stdout, "erased %s of site %s: %s; audited as erase.%s\n", target, plan.site, erased, target.kind)
	var fileErr error
	if took, err := compactErased(ctx, held); err != nil {
		fileErr = fmt.Errorf("older versions of the erased rows may stay readable in %s: compacting it failed (%w); with the services still stopped, free disk space and run: sudo -u rfwarden sqlite3 %s 'VACUUM; PRAGMA wal_checkpoint(TRUNCATE);'", *dbPath, err, *dbPath)
		fmt.Fprintf(stdout, "warning: %v\n", fileErr)
	} else {
		fmt.Fprintf(stdout, "compacted %s (VACUUM) in %s: nothing erased is left readable in it\n", *dbPath, took.Round(time.Millisecond))
	}
	held.Close()

	// the files, after the commit: a file left is named, never a row left
	// whose file is gone. Every name is tried, not only the files listed
	// at the prompt: the backup timer may have copied one since.
	deleted, failed := removeSnippets(snippetCandidates(plan.dirs, plan.detections))
	fmt.Fprintf(stdout, "deleted %d %s\n", deleted, english.Plural(deleted, "snippet file", "snippet files"))
	for _, f := range failed {
		fmt.Fprintf(stdout, "could not delete %s: delete it by hand\n", f)
	}
	// the notifications fusion kept at its last stop, the outbox then
	// unwritable, are delivered at its next start: their alerts' rooms,
	// users and notes
	keptN, keptFiles, keptErr := fusion.EraseKept(*dbPath, plan.site, plan.alerts)
	if keptN > 0 {
		fmt.Fprintf(stdout, "erased %d %s kept for delivery at fusion's last stop (%s)\n", keptN, english.Plural(keptN, "notification", "notifications"), strings.Join(keptFiles, ", "))
	}
	if keptErr != nil {
		fmt.Fprintf(stdout, "warning: %v\n", keptErr)
	}
	printNotErased(stdout, plan, backups)
	if keptErr != nil {
		return fmt.Errorf("erase: the rows of %s are erased, but %w: delete its alerts' lines from the file by hand before fusion starts, or it delivers them", target, keptErr)
	}
	if len(failed) > 0 {
		return fmt.Errorf("erase: the rows of %s are erased, but %d snippet files could not be deleted; delete them by hand, or run rfwarden erase --%s %s again once they can be: %s",
			target, len(failed), target.kind, target.id, strings.Join(failed, "; "))
	}
	if fileErr != nil {
		return fmt.Errorf("erase: the rows of %s are erased, but %w", target, fileErr)
	}
	return nil
}

// eraseUpgrade brings the database at path up to this release's schema
// (upgradeStore) when an older release made it and no fusion has opened
// it since (a binary upgraded with fusion stopped): erase reads the
// columns the upgrade adds (detection.sensor), and failed on an SQL error
// naming one. A dry run changes nothing: it refuses such a database,
// saying so.
func eraseUpgrade(ctx context.Context, path string, dryRun bool, stdout io.Writer) error {
	db, err := sql.Open("sqlite", store.FileURI(path)+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	missing, err := olderSchema(ctx, db)
	db.Close()
	switch {
	case err != nil:
		return fmt.Errorf("read %s: %w", path, err)
	case missing == "":
		return nil
	case dryRun:
		return fmt.Errorf("%s is an older release's database, not upgraded yet (it lacks %s): a dry run changes nothing; start fusion once, which upgrades it, or erase without --dry-run, which upgrades it first", path, missing)
	}
	fmt.Fprintf(stdout, "%s is an older release's database (it lacks %s): bringing it up to this release's schema first, as fusion does at its start\n", path, missing)
	if err := upgradeStore(path, stdout); err != nil {
		return fmt.Errorf("bring %s up to this release's schema: %w", path, err)
	}
	return nil
}

// eraseDirs returns the snippet folders erase deletes snippets in: the
// snippet folder and each backup folder's snippets/. No snippet folder is
// refused unless noSnippets. A folder
// named on the command line must exist (a mistyped one would leave its
// copies); RFW_SNIPPET_DIR, the default, may not exist yet.
func eraseDirs(fs *flag.FlagSet, snippets string, noSnippets bool, backups []string, stdout io.Writer) ([]string, error) {
	var dirs []string
	if snippets != "" {
		switch fi, err := os.Stat(snippets); {
		case err == nil && !fi.IsDir():
			// a file was taken, and the erase went on
			name := "--snippets"
			if !flagSet(fs, "snippets") {
				name = "RFW_SNIPPET_DIR"
			}
			return nil, fmt.Errorf("%s %s is not a folder: give the evidence snippet folder, the dashboard's RFW_SNIPPET_DIR (e.g. /var/lib/rfwarden/snippets)", name, snippets)
		case err == nil:
			dirs = append(dirs, snippets)
		case errors.Is(err, os.ErrNotExist) && !flagSet(fs, "snippets"):
			fmt.Fprintf(stdout, "snippets: %s (RFW_SNIPPET_DIR) does not exist yet: none to delete\n", snippets)
		default:
			return nil, fmt.Errorf("snippet folder: %w", err)
		}
	} else if noSnippets {
		fmt.Fprintln(stdout, "warning: --no-snippets: the snippet folder is not searched; its snippets of the case stay until rfwarden erase is run again with --snippets")
	} else {
		return nil, errors.New("no snippet folder: neither --snippets nor RFW_SNIPPET_DIR names one (sudo -u drops RFW_SNIPPET_DIR), and the case's snippets would stay with no row left to find them by: " +
			"give --snippets DIR (the dashboard's RFW_SNIPPET_DIR, e.g. /var/lib/rfwarden/snippets), or --no-snippets to erase without it (rfwarden erase --snippets DIR with the same ID deletes them later)")
	}
	for _, b := range backups {
		if fi, err := os.Stat(b); err != nil {
			return nil, fmt.Errorf("backup folder: %w", err)
		} else if !fi.IsDir() {
			// --backups state.db was taken, and the erase went on
			return nil, fmt.Errorf("--backups %s is not a folder: give the folder rfwarden backup writes to (its DIR), once per folder", b)
		}
		// searched even when it does not exist yet: the backup timer may
		// make it while erase waits for its confirmation
		dirs = append(dirs, filepath.Join(b, backupSnippets))
	}
	return dirs, nil
}

// eraseDryRun prints what erasing target would take, reading the database
// at path in one read-only transaction, and changes nothing. It fails as
// the erase would for a case not finished.
func eraseDryRun(ctx context.Context, path string, target eraseTarget, dirs, backups []string, noSnippets, force bool, influx eraseInflux, stdout io.Writer) error {
	// read-write, but query_only: a read-only connection cannot remove
	// the -wal and -shm its reads make, and would leave them (owned by its
	// user) beside a database nothing else has open
	db, err := sql.Open("sqlite", store.FileURI(path)+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		return fmt.Errorf("erase: open %s: %w", path, err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("erase: read %s: %w", path, err)
	}
	defer tx.Rollback()
	plan, err := readErasePlan(ctx, tx, target, dirs)
	if errors.Is(err, errCaseGone) {
		f, err := readFollowUp(ctx, tx, target, dirs, err)
		if err != nil {
			return fmt.Errorf("erase: %w", err)
		}
		fmt.Fprintln(stdout, "dry run: nothing is changed")
		printFollowUp(stdout, f)
		return nil
	}
	if err != nil {
		return fmt.Errorf("erase: %w", err)
	}
	plan.noSnippets = noSnippets
	influx.lookUp(ctx, plan, stdout)
	fmt.Fprintln(stdout, "dry run: nothing is changed")
	printErasePlan(stdout, plan)
	printNotErased(stdout, plan, backups)
	if len(plan.unfinished) > 0 && !force {
		return fmt.Errorf("erase: %s would be refused: not finished: %s (--force erases it anyway)", target, strings.Join(plan.unfinished, "; "))
	}
	size, err := checkCompactSpace(path)
	if err != nil {
		return fmt.Errorf("erase: %s would be refused: %w", target, err)
	}
	fmt.Fprintf(stdout, "after the erase, the database (%d bytes now) would be compacted (VACUUM: rewritten whole, so that nothing erased stays readable in it)\n", size)
	return nil
}

// eraseConfirm asks question on stdout and reads the answer from
// eraseStdin: nil when it is "yes". Cancelled (Ctrl-C: the signal context
// catches SIGINT, so the read would go on), it says nothing was erased
// and returns an error; the read is left to end with the process.
func eraseConfirm(ctx context.Context, question string, stdout io.Writer) error {
	fmt.Fprintf(stdout, "%s type yes to go on: ", question)
	answer, in := make(chan string, 1), eraseStdin
	go func() {
		line, _ := bufio.NewReader(in).ReadString('\n')
		answer <- line
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(stdout)
		fmt.Fprintln(stdout, "interrupted: nothing erased")
		return fmt.Errorf("interrupted at the confirmation (%w): nothing erased", context.Cause(ctx))
	case line := <-answer:
		if strings.TrimSpace(line) != "yes" {
			fmt.Fprintln(stdout)
			return errors.New("not confirmed: nothing erased")
		}
		return nil
	}
}

// journalWaits says why an erase waits while fusion's intake journal
// holds n detections: its next start stores them (and may alert on
// them), after the erase, and would bring back what the erase deleted.
func journalWaits(n int) string {
	return fmt.Sprintf("fusion stopped without storing %d %s it had taken in (a kill -9 or a power cut): they wait in its intake journal and are stored at its next start, which would bring back what this erase deletes; start fusion once (it stores them at its start), stop it, then erase",
		n, english.Plural(n, "detection", "detections"))
}
