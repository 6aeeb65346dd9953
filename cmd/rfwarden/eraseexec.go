package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/english"
)

// eraseRecord is what the audit row of an erase says: IDs and counts,
// no content.
type eraseRecord struct {
	Site          string   `json:"site"`
	Alerts        []string `json:"alerts"`
	OutboxRows    int64    `json:"outbox_rows"`
	HeldAcks      int64    `json:"held_acks,omitempty"` // the dashboard's acknowledgements of its alerts not yet announced to fusion
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
	n, err := deleteCaseRows(ctx, tx, p)
	if err != nil {
		return "", err
	}
	rec := eraseRecord{Site: p.site, Alerts: nonNil(p.alerts), OutboxRows: n.outbox, HeldAcks: n.held, Detections: nonNil(p.detections), DetectionRows: n.detections,
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
	return n.String(), nil
}

// erasedRows counts the rows an erase of a case deleted.
type erasedRows struct {
	incident                              bool // the case is an incident (its row deleted, if stored)
	hasOutbox, hasDetection               bool // the tables exist
	incidents, alerts, outbox, detections int64
	held                                  int64 // held acknowledgements (ack_held)
}

// String says what was deleted: "1 incident, 2 alerts, 0 outbox rows,
// 3 detection rows" (the outbox and detections only where their tables
// exist; held acknowledgements only when there were some).
func (n erasedRows) String() string {
	var done []string
	if n.incident {
		done = append(done, fmt.Sprintf("%d %s", n.incidents, english.Plural(n.incidents, "incident", "incidents")))
	}
	done = append(done, fmt.Sprintf("%d %s", n.alerts, english.Plural(n.alerts, "alert", "alerts")))
	if n.hasOutbox {
		done = append(done, fmt.Sprintf("%d %s", n.outbox, english.Plural(n.outbox, "outbox row", "outbox rows")))
	}
	if n.hasDetection {
		done = append(done, fmt.Sprintf("%d %s", n.detections, english.Plural(n.detections, "detection row", "detection rows")))
	}
	if n.held > 0 {
		done = append(done, fmt.Sprintf("%d %s", n.held, english.Plural(n.held, "held acknowledgement", "held acknowledgements")))
	}
	return strings.Join(done, ", ")
}

// deleteCaseRows deletes in tx the rows of p's case: its incident (of an
// incident's case), its alerts, their outbox rows and held
// acknowledgements, and its detections' rows, and counts them.
func deleteCaseRows(ctx context.Context, tx *sql.Tx, p *erasePlan) (erasedRows, error) {
	n := erasedRows{incident: p.target.kind == "incident", hasOutbox: p.hasOutbox, hasDetection: p.hasDetection}
	alertsJSON := jsonList(p.alerts)
	del := func(what, q string, args ...any) (int64, error) {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return 0, fmt.Errorf("delete the %s: %w", what, err)
		}
		return res.RowsAffected()
	}
	var err error
	if n.incident {
		if n.incidents, err = del("incident", `DELETE FROM incident WHERE id = ? AND site = ?`, p.target.id, p.site); err != nil {
			return n, err
		}
	}
	if n.alerts, err = del("alerts", `DELETE FROM alert WHERE site = ? AND id IN (SELECT value FROM json_each(?))`, p.site, alertsJSON); err != nil {
		return n, err
	}
	if p.hasOutbox {
		if n.outbox, err = del("outbox rows", `DELETE FROM notify_outbox WHERE site = ? AND alert_id IN (SELECT value FROM json_each(?))`, p.site, alertsJSON); err != nil {
			return n, err
		}
	}
	if p.hasAckHeld {
		// the dashboard's acknowledgements of them not yet announced to
		// fusion, with who and the note: nothing left to announce
		if n.held, err = del("held acknowledgements", `DELETE FROM ack_held WHERE site = ? AND alert_id IN (SELECT value FROM json_each(?))`, p.site, alertsJSON); err != nil {
			return n, err
		}
	}
	if p.hasDetection {
		if n.detections, err = del("detections", `DELETE FROM detection WHERE site = ? AND `+detectionOfSensor, p.site, detectionSensors(p.detections)); err != nil {
			return n, err
		}
	}
	return n, nil
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
	fmt.Fprintf(stdout, "deleted %d %s left of erased %s", deleted, english.Plural(deleted, "snippet file", "snippet files"), target)
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
