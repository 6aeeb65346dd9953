package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// readErasePlan reads from q what erasing target takes, and looks for the
// snippet files of its detections in dirs.
func readErasePlan(ctx context.Context, q querier, target eraseTarget, dirs []string) (*erasePlan, error) {
	p := &erasePlan{target: target, shared: map[string][]string{}, dirs: dirs}
	tables, err := tableNames(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read the tables: %w", err)
	}
	p.hasOutbox, p.hasDetection = slices.Contains(tables, "notify_outbox"), slices.Contains(tables, "detection")
	p.hasAckHeld = slices.Contains(tables, "ack_held")
	if slices.Contains(tables, "intake_journal") {
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM intake_journal`).Scan(&p.journaled); err != nil {
			return nil, fmt.Errorf("read fusion's intake journal: %w", err)
		}
	}
	c := newEraseCase()
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
	if err := readEraseCase(ctx, q, p, c); err != nil {
		return nil, err
	}
	return p, nil
}

// newEraseCase returns an empty eraseCase.
func newEraseCase() *eraseCase {
	return &eraseCase{alerts: map[string]bool{}, detections: map[string]bool{}, rooms: map[string]bool{}, sensors: map[string]bool{}}
}

// readEraseCase reads into p the rest of the case c begun (its incident
// or alert read, p.site known): its stored alerts and their evidence, the
// evidence another case keeps, the detection and outbox rows, the
// snippet files in p.dirs, its sensors and rooms.
func readEraseCase(ctx context.Context, q querier, p *erasePlan, c *eraseCase) error {
	if err := readEraseAlerts(ctx, q, p, c); err != nil {
		return err
	}

	// evidence another case still names is kept
	candidates := slices.Sorted(maps.Keys(c.detections))
	incidentID := ""
	if p.target.kind == "incident" {
		incidentID = p.target.id
	}
	var err error
	if p.shared, err = namedElsewhere(ctx, q, p.site, candidates, p.alerts, incidentID); err != nil {
		return err
	}
	for _, d := range candidates {
		if _, kept := p.shared[d]; !kept {
			p.detections = append(p.detections, d)
		}
	}

	if err := readEraseDetectionRows(ctx, q, p, c); err != nil {
		return err
	}
	if p.hasOutbox {
		err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_outbox WHERE site = ? AND alert_id IN (SELECT value FROM json_each(?))`, p.site, jsonList(p.alerts)).Scan(&p.outboxRows)
		if err != nil {
			return fmt.Errorf("read the notification outbox: %w", err)
		}
	}
	if p.hasAckHeld {
		err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM ack_held WHERE site = ? AND alert_id IN (SELECT value FROM json_each(?))`, p.site, jsonList(p.alerts)).Scan(&p.heldAcks)
		if err != nil {
			return fmt.Errorf("read the held acknowledgements: %w", err)
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
	if p.files, err = existingFiles(snippetCandidates(p.dirs, p.detections)); err != nil {
		return err
	}
	p.sensors = slices.Sorted(maps.Keys(c.sensors))
	p.rooms = slices.Sorted(maps.Keys(c.rooms))
	return nil
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
	naming, err := store.QueryStrings(ctx, q, `SELECT id FROM alert WHERE site = ? AND json_extract(body, '$.incident') = ?`, p.site, p.target.id)
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
	cases, err := store.QueryStrings(ctx, q, `SELECT id FROM incident WHERE id = ?
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
		if a.Track != "" && !slices.Contains(p.tracks, a.Track) {
			p.tracks = append(p.tracks, a.Track)
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
	rows, err := q.QueryContext(ctx, `SELECT id, sensor, room, time_ns FROM detection WHERE site = ? AND `+detectionOfSensor, p.site, detectionSensors(p.detections))
	if err != nil {
		return fmt.Errorf("read the detections: %w", err)
	}
	defer rows.Close()
	found := map[string]bool{}
	defer func() { p.roomsKnown = len(p.detections) > 0 && len(found) == len(p.detections) }()
	for rows.Next() {
		var id, sensor, room string
		var ns int64
		if err := rows.Scan(&id, &sensor, &room, &ns); err != nil {
			return fmt.Errorf("read the detections: %w", err)
		}
		found[id] = true
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
