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
)

// eraseActions are the audit actions of rfwarden erase: an erasure of a
// case (erase.incident, erase.alert), and a later run deleting the
// snippet files it left (….files).
var eraseActions = []string{"erase.incident", "erase.alert", "erase.incident.files", "erase.alert.files"}

// auditRow is one row of the audit log, as a restore copies it.
type auditRow struct {
	id                                  int64
	timeNS                              int64
	user, action, object, before, after string
}

// String names the row: "audit row 12 (erase.incident of incident/INC-A,
// 2026-12-01T10:00:00Z, by console:dpo)".
func (r auditRow) String() string {
	return fmt.Sprintf("audit row %d (%s of %s, %s, by %s)", r.id, r.action, r.object,
		time.Unix(0, r.timeNS).UTC().Format(time.RFC3339), r.user)
}

// restoredErasures is what a restore did of the erasures the current
// database's audit log holds.
type restoredErasures struct {
	reapplied []string // each erasure re-applied, with what its re-application deleted
	failed    []string // each erasure that could not be re-applied in full, and why
	// erased: the detection IDs the restored audit log's erasures name
	// and no case of the restored database names, with the case of the
	// erasure naming them: their snippets are not copied back
	erased map[string]eraseTarget
	// alerts: the alerts of the erasures re-applied, by site: their
	// notifications kept with the backup are not restored
	alerts map[string][]string
}

// reapplyErasures keeps the erasures made since the backup (rfwarden
// erase, audited in the current database, cur) in the restored copy cp:
// the erase.* audit rows cp lacks are copied into it (under their own ID
// when cp has no row of that ID), and the rows of each erased case the
// backup holds are deleted again as erase deleted them (its incident,
// alerts, outbox rows and detection rows; the pages freed overwritten),
// and each is printed. An erase row whose record does not read is still
// re-applied to what the backup's case names, and said so loudly. It
// returns what it did, and the erased detections whose snippets a
// restore must not copy back.
func reapplyErasures(ctx context.Context, cp, cur *sql.DB, stdout io.Writer) (restoredErasures, error) {
	res := restoredErasures{erased: map[string]eraseTarget{}, alerts: map[string][]string{}}
	var rows []auditRow
	var err error
	if cur != nil {
		if rows, err = readEraseRows(ctx, cur); err != nil {
			return res, fmt.Errorf("read the current audit log's erasures: %w", err)
		}
	} else {
		fmt.Fprintln(stdout, "WARNING: no current database to read (none, or it does not open): an erasure made since the backup (rfwarden erase) is not re-applied, "+
			"and its case is back; its erase.incident and erase.alert audit rows (in a kept copy of the database, if any) name the cases to erase again")
	}
	have, err := readEraseRows(ctx, cp)
	if err != nil {
		return res, fmt.Errorf("read the backup's erasures: %w", err)
	}
	inBackup := func(r auditRow) bool {
		return slices.ContainsFunc(have, func(h auditRow) bool {
			return h.timeNS == r.timeNS && h.action == r.action && h.object == r.object && h.after == r.after
		})
	}
	// the pages the deletes free are overwritten with zeros (cp is one
	// connection)
	var secure int
	if err := cp.QueryRowContext(ctx, `PRAGMA secure_delete = ON`).Scan(&secure); err != nil || secure != 1 {
		return res, fmt.Errorf("secure_delete on the backup's copy: %d, %v: the erased content would stay readable in the file", secure, err)
	}
	tx, err := cp.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	for _, r := range rows {
		if inBackup(r) {
			continue // erased before the backup: the backup has it erased
		}
		if err := copyAuditRow(ctx, tx, r); err != nil {
			return res, fmt.Errorf("copy %s into the restored audit log: %w", r, err)
		}
		if strings.HasSuffix(r.action, ".files") {
			continue
		}
		done, err := reapplyErasure(ctx, tx, r, res.alerts)
		if done != "" {
			res.reapplied = append(res.reapplied, fmt.Sprintf("%s: %s", r, done))
		}
		if err != nil {
			res.failed = append(res.failed, fmt.Sprintf("%s: %v", r, err))
		}
	}
	if err := erasedDetections(ctx, tx, res.erased); err != nil {
		return res, err
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("commit: %w", err)
	}
	if len(res.reapplied) > 0 {
		fmt.Fprintln(stdout, "erasures made since the backup, re-applied to it (their audit rows kept):")
		for _, s := range res.reapplied {
			fmt.Fprintf(stdout, "  %s\n", s)
		}
	}
	for _, s := range res.failed {
		fmt.Fprintf(stdout, "WARNING: an erasure made since the backup is not fully re-applied: %s\n", s)
	}
	return res, nil
}

// readEraseRows reads the erase.* audit rows of q, by ID.
func readEraseRows(ctx context.Context, q querier) ([]auditRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, time_ns, user, action, object, before, after FROM audit
		WHERE action IN (SELECT value FROM json_each(?)) ORDER BY id`, jsonList(eraseActions))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []auditRow
	for rows.Next() {
		var r auditRow
		if err := rows.Scan(&r.id, &r.timeNS, &r.user, &r.action, &r.object, &r.before, &r.after); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// copyAuditRow inserts r into the audit log of tx: under its own ID
// unless a row there has it, else under the next.
func copyAuditRow(ctx context.Context, tx *sql.Tx, r auditRow) error {
	var taken int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit WHERE id = ?`, r.id).Scan(&taken); err != nil {
		return err
	}
	id := sql.NullInt64{Int64: r.id, Valid: taken == 0}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit(id, time_ns, user, action, object, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, r.timeNS, r.user, r.action, r.object, r.before, r.after)
	return err
}

// reapplyErasure deletes in tx what the erasure r (erase.incident or
// erase.alert) erased, as rfwarden erase would erase the case now: the
// case as tx holds it (the incident, its alerts, listed or naming it, or
// the alert), with the alerts and detections r's record names, less the
// evidence another case of tx names. It says what it deleted ("" when
// tx holds nothing of the case). A record that does not read leaves the
// case as tx holds it, and an error saying so after it is deleted.
func reapplyErasure(ctx context.Context, tx *sql.Tx, r auditRow, alerts map[string][]string) (string, error) {
	kind, id, ok := strings.Cut(r.object, "/")
	if !ok || id == "" || "erase."+kind != r.action {
		return "", fmt.Errorf("its object %q names no %s: what it erased is not known; erase the case again by hand after the restore", r.object, strings.TrimPrefix(r.action, "erase."))
	}
	target := eraseTarget{kind, id}
	var rec eraseRecord
	recErr := json.Unmarshal([]byte(r.after), &rec)
	if recErr != nil {
		rec = eraseRecord{}
		recErr = fmt.Errorf("its record does not read (%v): only what the backup's %s names is erased again; check its other alerts and detections by hand", recErr, target)
	}
	p := &erasePlan{target: target, shared: map[string][]string{}, site: rec.Site}
	tables, err := tableNames(ctx, tx)
	if err != nil {
		return "", fmt.Errorf("read the tables: %w", err)
	}
	p.hasOutbox, p.hasDetection = slices.Contains(tables, "notify_outbox"), slices.Contains(tables, "detection")
	c := newEraseCase()
	for _, a := range rec.Alerts {
		c.alerts[a] = true
	}
	for _, d := range rec.Detections {
		c.detections[d] = true
	}
	switch kind {
	case "incident":
		site := p.site
		err := readEraseIncident(ctx, tx, p, c)
		if errors.Is(err, errCaseGone) {
			p.site = site // not in the backup: its alerts and detections may be
		} else if err != nil {
			return "", err
		}
	default:
		c.alerts[id] = true
		if p.site == "" {
			err := tx.QueryRowContext(ctx, `SELECT site FROM alert WHERE id = ?`, id).Scan(&p.site)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return "", fmt.Errorf("read %s: %w", target, err)
			}
		}
	}
	if p.site == "" {
		return "", recErr // nothing of it in the backup (or, no record, nothing to go by)
	}
	if err := readEraseCase(ctx, tx, p, c); err != nil {
		return "", err
	}
	alerts[p.site] = append(alerts[p.site], slices.Sorted(maps.Keys(c.alerts))...)
	alerts[p.site] = append(alerts[p.site], p.alerts...)
	n, err := deleteCaseRows(ctx, tx, p)
	if err != nil {
		return "", err
	}
	if n.incidents+n.alerts+n.outbox+n.detections+n.held == 0 {
		return "", recErr
	}
	done := "deleted " + n.String()
	if kept := slices.Sorted(maps.Keys(p.shared)); len(kept) > 0 {
		done += fmt.Sprintf(" (kept, another case of the backup names them: detections %s)", strings.Join(kept, ", "))
	}
	return done, recErr
}

// erasedDetections puts into erased the detections the erase.incident
// and erase.alert rows of tx's audit log name and no alert or incident of
// tx names, each with the erasure naming it.
func erasedDetections(ctx context.Context, tx *sql.Tx, erased map[string]eraseTarget) error {
	rows, err := readEraseRows(ctx, tx)
	if err != nil {
		return fmt.Errorf("read the restored audit log's erasures: %w", err)
	}
	bySite := map[string][]string{}
	by := map[string]eraseTarget{}
	for _, r := range rows {
		var rec eraseRecord
		if strings.HasSuffix(r.action, ".files") || json.Unmarshal([]byte(r.after), &rec) != nil {
			continue
		}
		kind, id, _ := strings.Cut(r.object, "/")
		for _, d := range rec.Detections {
			bySite[rec.Site] = append(bySite[rec.Site], d)
			by[d] = eraseTarget{kind, id}
		}
	}
	for site, dets := range bySite {
		named, err := namedElsewhere(ctx, tx, site, dets, nil, "")
		if err != nil {
			return err
		}
		for _, d := range dets {
			if _, kept := named[d]; !kept {
				erased[d] = by[d]
			}
		}
	}
	return nil
}
