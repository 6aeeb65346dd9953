package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

const eraseUsage = `usage: rfwarden erase [--db rfwarden.db] (--incident ID | --alert ID) [--snippets DIR | --no-snippets] [--backups DIR]... [--dry-run] [--yes] [--force]

Erase one case, at a data-protection officer's request: an incident
(--incident) or an alert that belongs to no incident (--alert), with its
alerts, their undelivered notifications (notify_outbox), their detections
(the SQLite detection table: fusion without InfluxDB) and the evidence
snippets of those detections (snippet-ID.sigmf-meta and .sigmf-data) in
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
(secure_delete) and the WAL checkpointed into the file. The files are
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
drained), the sensors' snippet folders (snippets can come back: delete
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
	hasOutbox     bool // the notify_outbox table exists
	hasDetection  bool // the detection table exists
	sensors       []string
	rooms         []string
	fromNS, toNS  int64    // the case's evidence window
	unfinished    []string // why the case is not finished: refused unless --force
	badIDs        []string // detection IDs no sensor makes: no snippet looked for
	dirs          []string // the snippet folders searched
	files         []string // snippet files there when the plan was read, to show
	noSnippets    bool     // --no-snippets: the snippet folder not searched
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
	fs.Usage = func() { fmt.Fprint(stderr, eraseUsage); fs.PrintDefaults() }
	dbPath := fs.String("db", dashboardEnv("RFW_DB", "rfwarden.db"), "SQLite database of fusion and the dashboard")
	incident := fs.String("incident", "", "the incident to erase, with its alerts")
	alertID := fs.String("alert", "", "the alert to erase (one of no incident)")
	snippets := fs.String("snippets", dashboardEnv("RFW_SNIPPET_DIR", ""), "evidence snippet folder (default: RFW_SNIPPET_DIR, the dashboard's)")
	noSnippets := fs.Bool("no-snippets", false, "erase without a snippet folder: its snippets of the case stay until erase is run again with --snippets")
	var backups dirList
	fs.Var(&backups, "backups", "a backup folder (rfwarden backup's DIR): its snippets/ copies go too; give it once per folder")
	dryRun := fs.Bool("dry-run", false, "print what would be erased; change nothing")
	yes := fs.Bool("yes", false, "erase without asking")
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
		return eraseDryRun(ctx, *dbPath, target, dirs, backups, *noSnippets, *force, stdout)
	}

	// nothing else holds the database, and nothing will while the case
	// is erased: fusion's locks, then SQLite's own
	release, err := lockFusions(*dbPath)
	if err != nil {
		return fmt.Errorf("erase: %w: fusion runs on %s; stop it, the dashboard and the backup timer first: %s", err, *dbPath, eraseStop)
	}
	defer release()
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
	printErasePlan(stdout, plan)
	if len(plan.unfinished) > 0 {
		if !*force {
			return fmt.Errorf("erase: refused: %s not finished: %s; finish it on the dashboard first (close the case, acknowledge the alert, or wait for it to resolve), or give --force",
				target, strings.Join(plan.unfinished, "; "))
		}
		fmt.Fprintf(stdout, "warning: erasing %s though it is not finished (--force)\n", target)
	}
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
	if err := checkpointErased(ctx, held); err != nil {
		fileErr = fmt.Errorf("the erased rows' content stays readable in %s until SQLite's next checkpoint (%w): fusion and the dashboard make one as they run", *dbPath, err)
		fmt.Fprintf(stdout, "warning: %v\n", fileErr)
	}
	held.Close()

	// the files, after the commit: a file left is named, never a row left
	// whose file is gone. Every name is tried, not only the files listed
	// at the prompt: the backup timer may have copied one since.
	deleted, failed := removeSnippets(snippetCandidates(plan.dirs, plan.detections))
	fmt.Fprintf(stdout, "deleted %d %s\n", deleted, plural(deleted, "snippet file", "snippet files"))
	for _, f := range failed {
		fmt.Fprintf(stdout, "could not delete %s: delete it by hand\n", f)
	}
	printNotErased(stdout, plan, backups)
	if len(failed) > 0 {
		return fmt.Errorf("erase: the rows of %s are erased, but %d snippet files could not be deleted; delete them by hand, or run rfwarden erase --%s %s again once they can be: %s",
			target, len(failed), target.kind, target.id, strings.Join(failed, "; "))
	}
	if fileErr != nil {
		return fmt.Errorf("erase: the rows of %s are erased, but %w", target, fileErr)
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
		switch _, err := os.Stat(snippets); {
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
		if _, err := os.Stat(b); err != nil {
			return nil, fmt.Errorf("backup folder: %w", err)
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
func eraseDryRun(ctx context.Context, path string, target eraseTarget, dirs, backups []string, noSnippets, force bool, stdout io.Writer) error {
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
	fmt.Fprintln(stdout, "dry run: nothing is changed")
	printErasePlan(stdout, plan)
	printNotErased(stdout, plan, backups)
	if len(plan.unfinished) > 0 && !force {
		return fmt.Errorf("erase: %s would be refused: not finished: %s (--force erases it anyway)", target, strings.Join(plan.unfinished, "; "))
	}
	return nil
}

// readErasePlan reads from q what erasing target takes, and looks for the
// snippet files of its detections in dirs.
func readErasePlan(ctx context.Context, q querier, target eraseTarget, dirs []string) (*erasePlan, error) {
	p := &erasePlan{target: target, shared: map[string][]string{}, dirs: dirs}
	tables, err := tableNames(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read the tables: %w", err)
	}
	p.hasOutbox, p.hasDetection = slices.Contains(tables, "notify_outbox"), slices.Contains(tables, "detection")
	c := &eraseCase{alerts: map[string]bool{}, detections: map[string]bool{}, rooms: map[string]bool{}, sensors: map[string]bool{}}
	switch target.kind {
	case "incident":
		err = readEraseIncident(ctx, q, p, c)
	case "alert":
		err = readEraseAlert(ctx, q, p, c)
	default:
		err = fmt.Errorf("erase %s: unknown kind", target)
	}
	if err != nil {
		return nil, err
	}
	if err := readEraseAlerts(ctx, q, p, c); err != nil {
		return nil, err
	}

	// evidence another case still names is kept
	candidates := slices.Sorted(maps.Keys(c.detections))
	incidentID := ""
	if target.kind == "incident" {
		incidentID = target.id
	}
	if p.shared, err = namedElsewhere(ctx, q, p.site, candidates, p.alerts, incidentID); err != nil {
		return nil, err
	}
	for _, d := range candidates {
		if _, kept := p.shared[d]; !kept {
			p.detections = append(p.detections, d)
		}
	}

	if err := readEraseDetectionRows(ctx, q, p, c); err != nil {
		return nil, err
	}
	if p.hasOutbox {
		err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_outbox WHERE site = ? AND alert_id IN (SELECT value FROM json_each(?))`, p.site, jsonList(p.alerts)).Scan(&p.outboxRows)
		if err != nil {
			return nil, fmt.Errorf("read the notification outbox: %w", err)
		}
	}
	// the snippet files, named only from IDs a sensor makes
	for _, d := range p.detections {
		if sensor, ok := detectionSensor(d); ok {
			c.sensors[sensor] = true
		} else {
			p.badIDs = append(p.badIDs, d)
		}
	}
	if p.files, err = existingFiles(snippetCandidates(dirs, p.detections)); err != nil {
		return nil, err
	}
	p.sensors = slices.Sorted(maps.Keys(c.sensors))
	p.rooms = slices.Sorted(maps.Keys(c.rooms))
	return p, nil
}

// eraseCase is what reading a case collects on its way to its plan: the
// IDs of its alerts and detections (before the shared ones are kept), its
// rooms and sensors, and the incident's own times.
type eraseCase struct {
	alerts, detections, rooms, sensors map[string]bool
	openedNS, updatedNS                int64 // the incident's; 0 for an alert
}

// notFound is the error of p's target not being in the database.
func (p *erasePlan) notFound() error {
	return fmt.Errorf("%s is %w: nothing to erase (erased before? the audit log's erase.%s rows say; deleted by retention at alert_days; or a mistyped ID)", p.target, errCaseGone, p.target.kind)
}

// widen widens p's evidence window to take from..to; a time not known
// (0 or less) is left out.
func (p *erasePlan) widen(from, to int64) {
	if from <= 0 || to <= 0 {
		return
	}
	if p.fromNS == 0 || from < p.fromNS {
		p.fromNS = from
	}
	if to > p.toNS {
		p.toNS = to
	}
}

// readEraseIncident reads the incident p erases into p (site, state,
// whether finished) and c (its alerts, listed or naming it, detections,
// rooms and times).
func readEraseIncident(ctx context.Context, q querier, p *erasePlan, c *eraseCase) error {
	var body string
	err := q.QueryRowContext(ctx, `SELECT site, body FROM incident WHERE id = ?`, p.target.id).Scan(&p.site, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return p.notFound()
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", p.target, err)
	}
	var inc store.Incident
	if err := json.Unmarshal([]byte(body), &inc); err != nil {
		return fmt.Errorf("read %s: %w", p.target, err)
	}
	p.state = inc.State
	if inc.State != store.IncidentClosed {
		p.unfinished = append(p.unfinished, fmt.Sprintf("incident %s is %s", p.target.id, inc.State))
	}
	for _, a := range inc.Alerts {
		c.alerts[a] = true
	}
	// the alerts that name it, though it may not list them
	naming, err := queryStrings(ctx, q, `SELECT id FROM alert WHERE site = ? AND json_extract(body, '$.incident') = ?`, p.site, p.target.id)
	if err != nil {
		return fmt.Errorf("read the alerts of %s: %w", p.target, err)
	}
	for _, a := range naming {
		c.alerts[a] = true
	}
	for _, d := range inc.Detections {
		c.detections[d] = true
	}
	for _, r := range inc.Rooms {
		c.rooms[r] = true
	}
	c.openedNS, c.updatedNS = inc.OpenedNS, inc.UpdatedNS
	return nil
}

// readEraseAlert reads the alert of no incident p erases into p (site,
// whether finished) and c; an alert of an incident is refused.
func readEraseAlert(ctx context.Context, q querier, p *erasePlan, c *eraseCase) error {
	var body string
	err := q.QueryRowContext(ctx, `SELECT site, body FROM alert WHERE id = ?`, p.target.id).Scan(&p.site, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return p.notFound()
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", p.target, err)
	}
	var a event.Alert
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		return fmt.Errorf("read %s: %w", p.target, err)
	}
	// an incident that names it or lists it: the case is the incident
	cases, err := queryStrings(ctx, q, `SELECT id FROM incident WHERE id = ?
		UNION SELECT i.id FROM incident AS i, json_each(i.body, '$.alerts') AS j WHERE j.value = ?`, a.Incident, p.target.id)
	if err != nil {
		return fmt.Errorf("read the incidents of %s: %w", p.target, err)
	}
	if len(cases) > 0 {
		return fmt.Errorf("refused: alert %q is part of incident %s: its case is erased as a whole, with rfwarden erase --incident %s", p.target.id, strings.Join(cases, ", "), cases[0])
	}
	c.alerts[p.target.id] = true
	if a.State == event.AlertResolved && a.AckNS == 0 {
		p.unfinished = append(p.unfinished, fmt.Sprintf("alert %s: nobody acknowledged it", p.target.id))
	}
	return nil
}

// readEraseAlerts reads the alerts of c, of p's site, into p (stored or
// missing, whether finished, the evidence window) and their evidence and
// rooms into c; then widens the window to the incident's own opening.
func readEraseAlerts(ctx context.Context, q querier, p *erasePlan, c *eraseCase) error {
	for _, id := range slices.Sorted(maps.Keys(c.alerts)) {
		var body string
		err := q.QueryRowContext(ctx, `SELECT body FROM alert WHERE id = ? AND site = ?`, id, p.site).Scan(&body)
		if errors.Is(err, sql.ErrNoRows) {
			p.missingAlerts = append(p.missingAlerts, id)
			continue
		}
		if err != nil {
			return fmt.Errorf("read alert %q: %w", id, err)
		}
		var a event.Alert
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			return fmt.Errorf("read alert %q: %w", id, err)
		}
		p.alerts = append(p.alerts, id)
		if a.State == event.AlertPending || a.State == event.AlertFiring {
			p.unfinished = append(p.unfinished, fmt.Sprintf("alert %s is %s", id, a.State))
		}
		for _, d := range a.Evidence {
			c.detections[d] = true
		}
		if a.Room != "" {
			c.rooms[a.Room] = true
		}
		p.widen(a.ActiveNS-int64(eraseWindow), a.UpdatedNS+int64(eraseWindow))
	}
	// the incident's own opening too: the alert that opened it may be
	// pruned (alert_days), its detections still listed; its end when
	// the stored alerts may not span the case
	if len(p.alerts) == 0 || len(p.missingAlerts) > 0 {
		p.widen(c.openedNS-int64(eraseWindow), c.updatedNS+int64(eraseWindow))
	} else {
		p.widen(c.openedNS-int64(eraseWindow), c.openedNS+int64(eraseWindow))
	}
	return nil
}

// readEraseDetectionRows counts the SQLite detection rows of p's
// detections, and takes their sensors and rooms into c and their times
// into p's window.
func readEraseDetectionRows(ctx context.Context, q querier, p *erasePlan, c *eraseCase) error {
	if !p.hasDetection {
		return nil
	}
	rows, err := q.QueryContext(ctx, `SELECT sensor, room, time_ns FROM detection WHERE site = ? AND `+detectionOfSensor, p.site, detectionSensors(p.detections))
	if err != nil {
		return fmt.Errorf("read the detections: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sensor, room string
		var ns int64
		if err := rows.Scan(&sensor, &room, &ns); err != nil {
			return fmt.Errorf("read the detections: %w", err)
		}
		p.detectionRows++
		if sensor != "" {
			c.sensors[sensor] = true
		}
		if room != "" {
			c.rooms[room] = true
		}
		p.widen(ns, ns+1)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the detections: %w", err)
	}
	return nil
}

// existingFiles returns those of paths that exist (as any kind of file:
// a symbolic link is not followed).
func existingFiles(paths []string) ([]string, error) {
	var out []string
	for _, path := range paths {
		if _, err := os.Lstat(path); err == nil {
			out = append(out, path)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("snippet %s: %w", path, err)
		}
	}
	return out, nil
}

// namedElsewhere returns which of dets a case of site other than the
// alerts and the incident incidentID ("": none) names, as the evidence of
// an alert or the detections of an incident, and the cases naming each
// ("alert/ID", "incident/ID", sorted).
func namedElsewhere(ctx context.Context, q querier, site string, dets, alerts []string, incidentID string) (map[string][]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT 'alert/' || a.id, j.value FROM alert AS a, json_each(a.body, '$.evidence') AS j
		WHERE a.site = ?1 AND j.value IN (SELECT value FROM json_each(?2)) AND a.id NOT IN (SELECT value FROM json_each(?3))
		UNION SELECT 'incident/' || i.id, j.value FROM incident AS i, json_each(i.body, '$.detections') AS j
		WHERE i.site = ?1 AND j.value IN (SELECT value FROM json_each(?2)) AND i.id != ?4`,
		site, jsonList(dets), jsonList(alerts), incidentID)
	if err != nil {
		return nil, fmt.Errorf("read the other cases' evidence: %w", err)
	}
	defer rows.Close()
	named := map[string][]string{}
	for rows.Next() {
		var by, det string
		if err := rows.Scan(&by, &det); err != nil {
			return nil, fmt.Errorf("read the other cases' evidence: %w", err)
		}
		named[det] = append(named[det], by)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the other cases' evidence: %w", err)
	}
	for _, by := range named {
		slices.Sort(by)
	}
	return named, nil
}

// detectionOfSensor is the condition on a detection row (the table's key:
// site, sensor, id) that it is one of the detections detectionSensors
// names, its second parameter: of the sensor its ID names, or of no
// sensor (a row an older binary wrote); an ID no sensor makes, of any
// sensor, as the dashboard finds an alert's evidence by ID.
const detectionOfSensor = `EXISTS (SELECT 1 FROM json_each(?) AS j WHERE j.key = detection.id AND (j.value = '' OR detection.sensor IN (j.value, '')))`

// detectionSensors returns dets as a JSON object of each ID to the sensor
// that makes it ("" when none does: detectionSensor), for
// detectionOfSensor.
func detectionSensors(dets []string) string {
	m := make(map[string]string, len(dets))
	for _, d := range dets {
		m[d], _ = detectionSensor(d)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// snippetCandidates returns the snippet files a detection of dets may
// have in dirs, whether they exist or not: snippet-ID.sigmf-meta and
// .sigmf-data of each ID a sensor makes (detectionSensor).
func snippetCandidates(dirs, dets []string) []string {
	var out []string
	for _, d := range dets {
		if _, ok := detectionSensor(d); !ok {
			continue
		}
		for _, dir := range dirs {
			for _, ext := range []string{".sigmf-meta", ".sigmf-data"} {
				out = append(out, filepath.Join(dir, "snippet-"+d+ext))
			}
		}
	}
	return out
}

// removeSnippets deletes each of paths that exists and returns how many
// it deleted and the ones it could not, with why: a file already gone is
// neither.
func removeSnippets(paths []string) (deleted int, failed []string) {
	for _, p := range paths {
		switch err := os.Remove(p); {
		case err == nil:
			deleted++
		case errors.Is(err, os.ErrNotExist):
		default:
			failed = append(failed, fmt.Sprintf("%s (%v)", p, err))
		}
	}
	return deleted, failed
}

// detectionSensor returns the sensor whose detection ID id is, when it is
// one (event.DetectionOf: SENSOR-BOOT-START-SEQ, SENSOR a site ID of
// letters, digits, '-' and '_'): only such an ID is made into a snippet's
// file name, which then stays in its folder.
func detectionSensor(id string) (string, bool) {
	parts := strings.Split(id, "-")
	if len(parts) < 4 {
		return "", false
	}
	sensor := strings.Join(parts[:len(parts)-3], "-")
	name := "snippet-" + id + ".sigmf-meta"
	if !event.ValidID(sensor) || !event.DetectionOf(sensor, id) || !filepath.IsLocal(name) || filepath.Base(name) != name {
		return "", false
	}
	return sensor, true
}

// eraseRecord is what the audit row of an erase says: IDs and counts,
// no content.
type eraseRecord struct {
	Site          string   `json:"site"`
	Alerts        []string `json:"alerts"`
	OutboxRows    int64    `json:"outbox_rows"`
	Detections    []string `json:"detections"`
	DetectionRows int64    `json:"detection_rows"`
	SnippetFiles  int      `json:"snippet_files"` // found when the plan was read; all their names are tried after the commit
	KeptShared    []string `json:"kept_shared,omitempty"`
	Forced        []string `json:"forced,omitempty"`
}

// executeErase deletes the rows of plan from db in one transaction with
// its audit row, by who at now, and says what it deleted.
func executeErase(ctx context.Context, db *sql.DB, p *erasePlan, who string, now time.Time) (string, error) {
	// durable at the commit, as the store's own writes are (db is one
	// connection: holdDatabase)
	if _, err := db.ExecContext(ctx, `PRAGMA synchronous = FULL`); err != nil {
		return "", fmt.Errorf("synchronous: %w", err)
	}
	// the pages the deletes free are overwritten with zeros, not left
	// readable in the file: on this connection, the one the transaction
	// runs on (db is one connection), checked
	var secure int
	if err := db.QueryRowContext(ctx, `PRAGMA secure_delete = ON`).Scan(&secure); err != nil {
		return "", fmt.Errorf("secure_delete: %w", err)
	}
	if secure != 1 {
		return "", fmt.Errorf("secure_delete is %d after setting it on: the erased content would stay readable in the file", secure)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	alertsJSON := jsonList(p.alerts)
	del := func(what, q string, args ...any) (int64, error) {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return 0, fmt.Errorf("delete the %s: %w", what, err)
		}
		return res.RowsAffected()
	}
	var done []string
	if p.target.kind == "incident" {
		if _, err := del("incident", `DELETE FROM incident WHERE id = ? AND site = ?`, p.target.id, p.site); err != nil {
			return "", err
		}
		done = append(done, "1 incident")
	}
	nAlerts, err := del("alerts", `DELETE FROM alert WHERE site = ? AND id IN (SELECT value FROM json_each(?))`, p.site, alertsJSON)
	if err != nil {
		return "", err
	}
	done = append(done, fmt.Sprintf("%d %s", int(nAlerts), plural(int(nAlerts), "alert", "alerts")))
	var nOutbox, nDets int64
	if p.hasOutbox {
		if nOutbox, err = del("outbox rows", `DELETE FROM notify_outbox WHERE site = ? AND alert_id IN (SELECT value FROM json_each(?))`, p.site, alertsJSON); err != nil {
			return "", err
		}
		done = append(done, fmt.Sprintf("%d %s", int(nOutbox), plural(int(nOutbox), "outbox row", "outbox rows")))
	}
	if p.hasDetection {
		if nDets, err = del("detections", `DELETE FROM detection WHERE site = ? AND `+detectionOfSensor, p.site, detectionSensors(p.detections)); err != nil {
			return "", err
		}
		done = append(done, fmt.Sprintf("%d %s", int(nDets), plural(int(nDets), "detection row", "detection rows")))
	}
	rec := eraseRecord{Site: p.site, Alerts: nonNil(p.alerts), OutboxRows: nOutbox, Detections: nonNil(p.detections), DetectionRows: nDets,
		SnippetFiles: len(p.files), KeptShared: slices.Sorted(maps.Keys(p.shared)), Forced: p.unfinished}
	after, err := json.Marshal(rec)
	if err != nil {
		return "", fmt.Errorf("audit: %w", err)
	}
	if err := store.AuditInTx(ctx, tx, store.AuditEntry{TimeNS: now.UnixNano(), User: who, Action: "erase." + p.target.kind,
		Object: p.target.kind + "/" + p.target.id, After: string(after)}); err != nil {
		return "", err
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("commit: %w", err)
	}
	return strings.Join(done, ", "), nil
}

// checkpointErased copies the pages an erase zeroed (secure_delete) from
// the WAL into the database file held as db, where the erased content
// still is until then, and empties the WAL. A database not in WAL mode
// has nothing to do.
func checkpointErased(ctx context.Context, db *sql.DB) error {
	var busy, walPages, copied int
	if err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &walPages, &copied); err != nil {
		return fmt.Errorf("WAL checkpoint: %w", err)
	}
	if busy != 0 {
		return errors.New("WAL checkpoint: busy, not finished")
	}
	return nil
}

// printErasePlan prints what erasing the case takes and what it keeps.
func printErasePlan(w io.Writer, p *erasePlan) {
	fmt.Fprintf(w, "%s of site %s (%s):\n", p.target, p.site, orDefault(p.state, "no incident"))
	fmt.Fprintf(w, "  %d %s: %s\n", len(p.alerts), plural(len(p.alerts), "alert", "alerts"), orDefault(strings.Join(p.alerts, ", "), "none"))
	if len(p.missingAlerts) > 0 {
		fmt.Fprintf(w, "  alerts it lists that are not stored for its site (deleted before): %s\n", strings.Join(p.missingAlerts, ", "))
	}
	if p.hasOutbox {
		fmt.Fprintf(w, "  %d %s (their undelivered notifications)\n", p.outboxRows, plural(p.outboxRows, "outbox row", "outbox rows"))
	}
	fmt.Fprintf(w, "  %d %s: %s\n", len(p.detections), plural(len(p.detections), "detection", "detections"), orDefault(strings.Join(p.detections, ", "), "none"))
	if p.hasDetection {
		why := ""
		if p.detectionRows < len(p.detections) {
			why = " (the others: InfluxDB holds them, or history_days deleted them)"
		}
		fmt.Fprintf(w, "  %d %s of them in SQLite%s\n", p.detectionRows, plural(p.detectionRows, "detection row", "detection rows"), why)
	}
	for _, d := range slices.Sorted(maps.Keys(p.shared)) {
		fmt.Fprintf(w, "  kept, another case names it: detection %s (%s), with its snippets\n", d, strings.Join(p.shared[d], ", "))
	}
	if len(p.badIDs) > 0 {
		quoted := make([]string, len(p.badIDs))
		for i, d := range p.badIDs {
			quoted[i] = fmt.Sprintf("%q", d)
		}
		fmt.Fprintf(w, "  not a sensor's detection ID, so no snippet file looked for: %s\n", strings.Join(quoted, ", "))
	}
	fmt.Fprintf(w, "  %d %s:\n", len(p.files), plural(len(p.files), "snippet file", "snippet files"))
	for _, f := range p.files {
		fmt.Fprintf(w, "    %s\n", f)
	}
	for _, u := range p.unfinished {
		fmt.Fprintf(w, "  not finished: %s\n", u)
	}
}

// printNotErased says what erase does not reach, and how to erase it.
func printNotErased(w io.Writer, p *erasePlan, backups []string) {
	fmt.Fprintln(w, "not erased by this command (docs/data-protection.md, Erasure):")
	if p.fromNS > 0 {
		from := time.Unix(0, p.fromNS).UTC().Format(time.RFC3339Nano)
		to := time.Unix(0, p.toNS).UTC().Format(time.RFC3339Nano)
		fmt.Fprintln(w, "  - InfluxDB, when fusion.yaml sets influx.url: it deletes by time and tags only, taking the room's other")
		fmt.Fprintln(w, "    detections and locations of that time too (or wait for its retention policy); at the influx shell, in influx.database:")
		rooms := p.rooms
		if len(rooms) == 0 {
			fmt.Fprintln(w, "    (no room known: these take every room's)")
			rooms = []string{""}
		} else {
			// fusion stores an unlocated detection's empty room as "_"
			// (fusion/store: point): these take every unlocated one
			rooms = append(slices.Clone(rooms), "_")
		}
		for _, m := range []string{"detection", "location"} {
			for _, r := range rooms {
				where := fmt.Sprintf(`"site" = '%s'`, influxQuote(p.site))
				if r != "" {
					where += fmt.Sprintf(` AND "room" = '%s'`, influxQuote(r))
				}
				fmt.Fprintf(w, "      DELETE FROM %q WHERE %s AND time >= '%s' AND time < '%s'\n", m, where, from, to)
			}
		}
		fmt.Fprintln(w, "    ('_' is the room of the detections and locations no room was found for.) Fusion's InfluxDB spool (influx.spool_dir)")
		fmt.Fprintln(w, "    may still hold some, written once fusion runs again: run these after it drained (fusion's /healthz says")
		fmt.Fprintln(w, "    influx_spooled 0, or rfw_fusion_influx_spooled_batches is 0), or run them again then")
	}
	if p.noSnippets && len(p.detections) > 0 {
		fmt.Fprintf(w, "  - the snippet folder (--no-snippets): the snippets of the detections above; rfwarden erase --%s %s --snippets DIR deletes them later (its audit row names them)\n", p.target.kind, p.target.id)
	}
	if len(p.detections) > 0 {
		fmt.Fprintf(w, "  - the sensors' snippet folders (snippets.dir, with .keep and .sent) on %s: the snippets of the detections above\n", orDefault(strings.Join(p.sensors, ", "), "the sensors"))
		fmt.Fprintln(w, "    Snippets can come back: a sensor re-uploads a kept snippet it has not sent yet, and the broker keeps those sent")
		fmt.Fprintln(w, "    while the dashboard was stopped for its persistent session: delete them on the sensors first, and once the")
		fmt.Fprintf(w, "    dashboard runs again, run rfwarden erase --%s %s --snippets DIR again: it deletes what came back\n", p.target.kind, p.target.id)
	}
	if len(backups) == 0 {
		fmt.Fprintln(w, "  - the backup folders' snippets/ copies: not searched (no --backups), and rfwarden restore --snippets would copy")
		fmt.Fprintf(w, "    them back: run rfwarden erase --%s %s --backups DIR (rfwarden backup's folder) to delete them\n", p.target.kind, p.target.id)
	}
	var copies []string
	for _, b := range backups {
		ents, _ := os.ReadDir(b)
		for _, e := range ents {
			if isBackupName(e.Name()) {
				copies = append(copies, filepath.Join(b, e.Name()))
			}
		}
	}
	if len(copies) > 0 {
		fmt.Fprintf(w, "  - the database copies in the backup folders hold these rows until they rotate out (--keep): %s; delete them or let them rotate\n", strings.Join(copies, ", "))
	} else {
		fmt.Fprintln(w, "  - the database copies in the backup folders hold these rows until they rotate out (--keep): delete them or let them rotate")
	}
	fmt.Fprintln(w, "  - copies taken off the host: off-host backups, copied snippet folders, exported incident bundles")
	fmt.Fprintln(w, "  - the SQLite locations of its tracks and the heatmap counts (history_days), the audit rows about it (audit_days)")
	fmt.Fprintln(w, "  - the handheld search outcomes (SQLite dashboard_search_outcomes: time, user, room, note), linked to no case:")
	fmt.Fprintln(w, "    those of its rooms and time go at RFW_SEARCH_DAYS, or delete them by hand with the services stopped")
}

// influxQuote escapes s for a single-quoted InfluxQL string.
func influxQuote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}

// queryStrings returns the one column of the rows of query.
func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// jsonList returns ids as a JSON array, for json_each.
func jsonList(ids []string) string {
	b, _ := json.Marshal(nonNil(ids))
	return string(b)
}

// nonNil returns s, or an empty list for nil: a JSON array, never null
// (json_each of null has no rows, but the audit row says [] for none).
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
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

// eraseLeft is what an erase of a case left, found after: the snippet
// files of the detections its audit rows name (erase.incident,
// erase.alert), when erase ran without the snippet folder, crashed
// between its commit and the files, or could not delete one.
type eraseLeft struct {
	target     eraseTarget
	site       string
	audits     []string            // the erase's audit rows: "audit row ID of TIME"
	detections []string            // detection IDs they name, sorted
	shared     map[string][]string // detection ID a case stored since names -> those cases: kept
	dirs       []string            // the snippet folders searched
	files      []string            // snippet files there when read, to show
}

// readFollowUp reads from q the audit rows of an erase of target, which
// is not in the database (gone, the error saying so), and looks for the
// snippet files of their detections in dirs. Without such a row, or with
// no file left, it returns gone, or an error saying that.
func readFollowUp(ctx context.Context, q querier, target eraseTarget, dirs []string, gone error) (*eraseLeft, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, time_ns, after FROM audit WHERE action = ? AND object = ? ORDER BY id`,
		"erase."+target.kind, target.kind+"/"+target.id)
	if err != nil {
		return nil, fmt.Errorf("read the audit log's erase.%s rows: %w", target.kind, err)
	}
	defer rows.Close()
	l := &eraseLeft{target: target, dirs: dirs, shared: map[string][]string{}}
	detSet := map[string]bool{}
	for rows.Next() {
		var id, ns int64
		var after string
		if err := rows.Scan(&id, &ns, &after); err != nil {
			return nil, fmt.Errorf("read the audit log's erase.%s rows: %w", target.kind, err)
		}
		var rec eraseRecord
		if err := json.Unmarshal([]byte(after), &rec); err != nil {
			return nil, fmt.Errorf("audit row %d (erase.%s of %s): %w", id, target.kind, target, err)
		}
		if l.site != "" && rec.Site != l.site {
			return nil, fmt.Errorf("audit rows of erase.%s of %s name two sites, %s and %s: delete their snippets by hand", target.kind, target, l.site, rec.Site)
		}
		l.site = rec.Site
		l.audits = append(l.audits, fmt.Sprintf("audit row %d of %s", id, time.Unix(0, ns).UTC().Format(time.RFC3339)))
		for _, d := range rec.Detections {
			detSet[d] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the audit log's erase.%s rows: %w", target.kind, err)
	}
	rows.Close()
	if len(l.audits) == 0 {
		return nil, gone
	}
	// a case stored since that names one keeps it
	candidates := slices.Sorted(maps.Keys(detSet))
	if l.shared, err = namedElsewhere(ctx, q, l.site, candidates, nil, ""); err != nil {
		return nil, err
	}
	for _, d := range candidates {
		if _, kept := l.shared[d]; !kept {
			l.detections = append(l.detections, d)
		}
	}
	if l.files, err = existingFiles(snippetCandidates(dirs, l.detections)); err != nil {
		return nil, err
	}
	if len(l.files) == 0 {
		return nil, fmt.Errorf("%s is %w: nothing to erase: erased before (%s), and none of its snippet files is left in %s",
			target, errCaseGone, strings.Join(l.audits, ", "), orDefault(strings.Join(dirs, ", "), "the folders given (none)"))
	}
	return l, nil
}

// printFollowUp prints what is left of an erased case and goes now.
func printFollowUp(w io.Writer, l *eraseLeft) {
	fmt.Fprintf(w, "%s of site %s is not in the database: erased before (%s); left of it:\n", l.target, l.site, strings.Join(l.audits, ", "))
	for _, d := range slices.Sorted(maps.Keys(l.shared)) {
		fmt.Fprintf(w, "  kept, a case stored since names it: detection %s (%s), with its snippets\n", d, strings.Join(l.shared[d], ", "))
	}
	fmt.Fprintf(w, "  %d %s of its detections:\n", len(l.files), plural(len(l.files), "snippet file", "snippet files"))
	for _, f := range l.files {
		fmt.Fprintf(w, "    %s\n", f)
	}
}

// eraseFollowUp deletes what an erase of target left (readFollowUp), in
// the database held as db, after asking unless yes, and audits it as
// erase.KIND.files with counts only. gone is the error of target not
// being in the database.
func eraseFollowUp(ctx context.Context, db *sql.DB, target eraseTarget, dirs []string, gone error, yes bool, stdout io.Writer) error {
	l, err := readFollowUp(ctx, db, target, dirs, gone)
	if err != nil {
		return fmt.Errorf("erase: %w", err)
	}
	printFollowUp(stdout, l)
	if !yes {
		if err := eraseConfirm(ctx, "delete these files?", stdout); err != nil {
			return fmt.Errorf("erase: %w", err)
		}
	}
	deleted, failed := removeSnippets(snippetCandidates(l.dirs, l.detections))
	after, err := json.Marshal(struct {
		Site         string `json:"site"`
		SnippetFiles int    `json:"snippet_files"`
		Failed       int    `json:"failed,omitempty"`
	}{l.site, deleted, len(failed)})
	if err != nil {
		return fmt.Errorf("erase: audit: %w", err)
	}
	action := "erase." + target.kind + ".files"
	tx, err := db.BeginTx(ctx, nil)
	if err == nil {
		err = store.AuditInTx(ctx, tx, store.AuditEntry{TimeNS: time.Now().UnixNano(), User: consoleActor(osConsoleEnv()), Action: action,
			Object: target.kind + "/" + target.id, After: string(after)})
		if err == nil {
			err = tx.Commit()
		} else {
			tx.Rollback()
		}
	}
	fmt.Fprintf(stdout, "deleted %d %s left of erased %s", deleted, plural(deleted, "snippet file", "snippet files"), target)
	if err != nil {
		fmt.Fprintf(stdout, "; not audited: %v\n", err)
	} else {
		fmt.Fprintf(stdout, "; audited as %s\n", action)
	}
	for _, f := range failed {
		fmt.Fprintf(stdout, "could not delete %s: delete it by hand\n", f)
	}
	switch {
	case len(failed) > 0:
		return fmt.Errorf("erase: %d snippet files left of erased %s could not be deleted; delete them by hand: %s", len(failed), target, strings.Join(failed, "; "))
	case err != nil:
		return fmt.Errorf("erase: the snippet files left of erased %s are deleted, but not audited as %s: %w", target, action, err)
	}
	return nil
}
