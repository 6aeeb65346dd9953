package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/internal/english"
)

// printErasePlan prints what erasing the case takes and what it keeps.
func printErasePlan(w io.Writer, p *erasePlan) {
	fmt.Fprintf(w, "%s of site %s (%s):\n", p.target, p.site, orDefault(p.state, "no incident"))
	fmt.Fprintf(w, "  %d %s: %s\n", len(p.alerts), english.Plural(len(p.alerts), "alert", "alerts"), orDefault(strings.Join(p.alerts, ", "), "none"))
	if len(p.missingAlerts) > 0 {
		fmt.Fprintf(w, "  alerts it lists that are not stored for its site (deleted before): %s\n", strings.Join(p.missingAlerts, ", "))
	}
	if p.hasOutbox {
		fmt.Fprintf(w, "  %d %s (their undelivered notifications)\n", p.outboxRows, english.Plural(p.outboxRows, "outbox row", "outbox rows"))
	}
	if p.journaled > 0 {
		fmt.Fprintf(w, "  warning: %s\n", journalWaits(p.journaled))
	}
	if p.heldAcks > 0 {
		fmt.Fprintf(w, "  %d %s (the dashboard's, not yet announced to fusion: who acknowledged and the note)\n", p.heldAcks, english.Plural(p.heldAcks, "held acknowledgement", "held acknowledgements"))
	}
	fmt.Fprintf(w, "  %d %s: %s\n", len(p.detections), english.Plural(len(p.detections), "detection", "detections"), orDefault(strings.Join(p.detections, ", "), "none"))
	if p.hasDetection {
		why := ""
		if p.detectionRows < len(p.detections) {
			why = " (the others: InfluxDB holds them, or history_days deleted them)"
		}
		fmt.Fprintf(w, "  %d %s of them in SQLite%s\n", p.detectionRows, english.Plural(p.detectionRows, "detection row", "detection rows"), why)
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
	fmt.Fprintf(w, "  %d %s:\n", len(p.files), english.Plural(len(p.files), "snippet file", "snippet files"))
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
		fmt.Fprintln(w, "    detections and locations of that time too (or wait for its retention policy); to InfluxDB's /query (curl, docs/deploy.md §6), in influx.database:")
		rooms := p.rooms
		switch {
		case len(rooms) == 0:
			fmt.Fprintln(w, "    (no room known: these take every room's)")
			rooms = []string{""}
		case !p.roomsKnown && p.influxRead:
			fmt.Fprintf(w, "    (InfluxDB (--influx) holds %d of its %d detections: the rooms of the others are not known (its retention policy deleted\n", p.influxFound, len(p.detections))
			fmt.Fprintln(w, "    them, or fusion's spool still holds them), nor where a moved alert was before: these take every room's detections and locations of that time)")
			rooms = []string{""}
		case !p.roomsKnown:
			// an alert keeps only its latest room, an incident the rooms
			// it was told: a case that moved had its earlier detections
			// placed elsewhere, which only their rows (here, not with
			// InfluxDB) tell
			fmt.Fprintf(w, "    (the rooms of its detections are not known here: an alert keeps only its latest room (%s), and one that moved had its\n", strings.Join(rooms, ", "))
			fmt.Fprintln(w, "    earlier detections placed elsewhere: these take every room's detections and locations of that time; give --influx URL")
			fmt.Fprintln(w, "    (fusion.yaml's influx.url) to read the rooms there and take only theirs)")
			rooms = []string{""}
		default:
			if p.influxRead && p.influxFound == len(p.detections) {
				fmt.Fprintf(w, "    (the rooms its %d detections and its tracks' locations were placed in, read in InfluxDB: --influx)\n", len(p.detections))
			}
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
		if slices.Contains(rooms, "_") {
			fmt.Fprintln(w, "    ('_' is the room of the detections and locations no room was found for.)")
		}
		fmt.Fprintln(w, "    Fusion's InfluxDB spool (influx.spool_dir)")
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
		fmt.Fprintln(w, "  - the backup folders' snippets/ copies: not searched (no --backups; rfwarden restore --snippets copies none of them")
		fmt.Fprintf(w, "    back, and names them): run rfwarden erase --%s %s --backups DIR (rfwarden backup's folder) to delete them\n", p.target.kind, p.target.id)
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
	fmt.Fprintln(w, "    (rfwarden restore of one erases the case again, from this erase's audit row, while audit_days keeps it)")
	fmt.Fprintln(w, "  - copies taken off the host: off-host backups, copied snippet folders, exported incident bundles")
	fmt.Fprintln(w, "  - the SQLite locations of its tracks and the heatmap counts (history_days), the audit rows about it (audit_days)")
	fmt.Fprintln(w, "  - the handheld search outcomes (SQLite dashboard_search_outcomes: time, user, room, note), linked to no case:")
	fmt.Fprintln(w, "    those of its rooms and time go at RFW_SEARCH_DAYS, or delete them by hand with the services stopped")
}

// influxQuote escapes s for a single-quoted InfluxQL string.
func influxQuote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}

// printFollowUp prints what is left of an erased case and goes now.
func printFollowUp(w io.Writer, l *eraseLeft) {
	fmt.Fprintf(w, "%s of site %s is not in the database: erased before (%s); left of it:\n", l.target, l.site, strings.Join(l.audits, ", "))
	for _, d := range slices.Sorted(maps.Keys(l.shared)) {
		fmt.Fprintf(w, "  kept, a case stored since names it: detection %s (%s), with its snippets\n", d, strings.Join(l.shared[d], ", "))
	}
	fmt.Fprintf(w, "  %d %s of its detections:\n", len(l.files), english.Plural(len(l.files), "snippet file", "snippet files"))
	for _, f := range l.files {
		fmt.Fprintf(w, "    %s\n", f)
	}
}
