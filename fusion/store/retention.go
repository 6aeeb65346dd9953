package store

import (
	"context"
	"fmt"
	"time"
)

// PrunedAlerts counts the rows one PruneAlerts deleted.
type PrunedAlerts struct {
	Alerts    int64
	Incidents int64
}

// openCaseAlerts selects the IDs of the alerts of open incidents: those an
// open incident lists, and those that name one (event.Alert.Incident).
// It reads the open incidents by the index incident_open and the alerts
// naming them by alert_incident, not every incident and alert kept
// (soak test, 2026-12-06); "+i.id" compares the ID without the column's
// text affinity, as the index's expression has none, so SQLite uses it.
var openCaseAlerts = `SELECT j.value FROM incident AS i, json_each(i.body, '$.alerts') AS j
	WHERE ` + incidentOpen("i") + `
	UNION SELECT a.id FROM incident AS i CROSS JOIN alert AS a
	WHERE ` + incidentOpen("i") + ` AND ` + alertIncident("a") + ` = +i.id`

// pruneAlerts selects site's resolved alerts updated before a time but
// those of open cases, by the index alert_site_state.
var pruneAlerts = `SELECT rowid FROM alert WHERE site = ? AND state = 'resolved' AND updated_ns < ?
	AND id NOT IN (` + openCaseAlerts + `) LIMIT ?`

// PruneAlerts deletes site's resolved alerts and closed incidents last
// updated before before: the alerts and cases retention (fusion.yaml's
// alert_days) no longer keeps, with their room probabilities, tracks and
// evidence lists. An alert that is pending or firing, an alert of an open
// incident (listed by it or naming it) and an open incident are never
// deleted, however old; a resolved alert nobody acknowledged goes with the
// others (its evidence snippets are kept until then: ProtectedDetections).
// Rows are deleted in batches of pruneBatch.
func (s *SQLite) PruneAlerts(ctx context.Context, site string, before time.Time) (PrunedAlerts, error) {
	var out PrunedAlerts
	cut := before.UnixNano()
	n, err := s.deleteBatches(ctx, `DELETE FROM alert WHERE rowid IN (`+pruneAlerts+`)`, site, cut)
	out.Alerts = n
	if err != nil {
		return out, fmt.Errorf("prune alerts of %s: %w", site, err)
	}
	n, err = s.deleteBatches(ctx, `DELETE FROM incident WHERE rowid IN (`+pruneIncidents+`)`, site, cut)
	out.Incidents = n
	if err != nil {
		return out, fmt.Errorf("prune incidents of %s: %w", site, err)
	}
	return out, nil
}

// The rows retention deletes, a batch (LIMIT) at a time, each found by an
// index on time (incident_site_updated, audit_time): most hours none is
// due, and finding none must not read every row kept (soak test,
// 2026-12-06).
var (
	// site's closed incidents updated before a time
	pruneIncidents = `SELECT rowid FROM incident WHERE site = ? AND updated_ns < ?
		AND json_extract(body, '$.state') = 'closed' LIMIT ?`
	// the audit rows written before a time
	pruneAuditRows = `SELECT id FROM audit WHERE time_ns < ? LIMIT ?`
	// the audit rows of views but snippet downloads, before a time
	pruneAuditViews = `SELECT id FROM audit WHERE time_ns < ? AND ` + auditView + ` LIMIT ?`
)

// PruneAudit deletes the audit rows written before before, and the rows of
// views (actions "view.*": an alert, incident, heatmap or registry looked
// at) written before viewBefore, which may be later; but for downloads of
// evidence snippets (view.snippet: raw IQ leaving the system), which are
// kept as long as every other row. A zero time deletes nothing by it.
// The audit log has no site: it is the whole database's. Rows are deleted
// in batches of pruneBatch; it returns how many it deleted.
func (s *SQLite) PruneAudit(ctx context.Context, before, viewBefore time.Time) (int64, error) {
	var total int64
	if !before.IsZero() {
		n, err := s.deleteBatches(ctx, `DELETE FROM audit WHERE id IN (`+pruneAuditRows+`)`, before.UnixNano())
		total += n
		if err != nil {
			return total, fmt.Errorf("prune audit: %w", err)
		}
	}
	if !viewBefore.IsZero() {
		n, err := s.deleteBatches(ctx, `DELETE FROM audit WHERE id IN (`+pruneAuditViews+`)`, viewBefore.UnixNano())
		total += n
		if err != nil {
			return total, fmt.Errorf("prune audit views: %w", err)
		}
	}
	return total, nil
}

// deleteBatches runs q, a DELETE whose last argument is a LIMIT, with
// args and pruneBatch until it deletes fewer than pruneBatch rows, each
// batch its own transaction, and returns how many rows it deleted.
func (s *SQLite) deleteBatches(ctx context.Context, q string, args ...any) (int64, error) {
	var total int64
	args = append(args, pruneBatch)
	for {
		res, err := s.exec(ctx, q, args...)
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}

// ProtectedDetections returns the IDs of the detections whose evidence
// snippets retention must keep, of site ("" every site): the evidence of
// every alert that is pending or firing, of every alert not acknowledged,
// and of every alert of an open incident, and the detections of every
// open incident. An open case's evidence is so never deleted, nor an
// alert's before staff have seen it; a resolved, unacknowledged alert
// stops protecting its evidence when PruneAlerts deletes it.
func (s *SQLite) ProtectedDetections(ctx context.Context, site string) (map[string]bool, error) {
	q, args := protectedQuery(site)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("protected detections: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("protected detections: %w", err)
		}
		out[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("protected detections: %w", err)
	}
	return out, nil
}

// CaseChanges returns a number that changes whenever an alert or incident
// is stored, changed or deleted, by any process writing the store (an
// older binary too: it is counted by triggers, table case_change). A
// reader of ProtectedDetections that reads CaseChanges before it and finds
// the same number later may use its answer still (dashboard: the evidence
// quota at every snippet); one that finds another must read again.
func (s *SQLite) CaseChanges(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT n FROM case_change WHERE id = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("case changes: %w", err)
	}
	return n, nil
}

// protectedQuery is ProtectedDetections' query and its arguments.
func protectedQuery(site string) (string, []any) {
	// Three parts, each read by an index (historyIndexes), so the time
	// follows the open cases and the alerts not settled, not the history
	// kept: a condition "OR a.id IN (...)" or "? = '' OR site = ?" read
	// every alert and incident (soak test, 2026-12-06).
	var siteA, siteI string
	var args []any
	if site != "" {
		siteA, siteI = ` AND a.site = ?`, ` AND i.site = ?`
		args = []any{site, site, site}
	}
	q := `SELECT j.value FROM alert AS a, json_each(a.body, '$.evidence') AS j WHERE ` + alertUnsettled("a") + siteA + `
		UNION SELECT j.value FROM (` + openCaseAlerts + `) AS c CROSS JOIN alert AS a ON a.id = c.value, json_each(a.body, '$.evidence') AS j WHERE 1` + siteA + `
		UNION SELECT j.value FROM incident AS i, json_each(i.body, '$.detections') AS j WHERE ` + incidentOpen("i") + siteI
	return q, args
}
