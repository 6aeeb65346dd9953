package registry

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// csvHeader is the column order of exported and imported CSV. The last
// column, revision (the entry's Revision when it was exported), may be
// left out on import: files written by hand, or exported before it was
// added.
var csvHeader = []string{"id", "name", "kind", "class", "freq_min_hz", "freq_max_hz", "bandwidth_min_hz", "bandwidth_max_hz",
	"power_min_dbm", "power_max_dbm", "rooms", "zones", "schedule", "valid_from", "valid_until", "added_by", "notes", "revision"}

// revisionCol is the revision column's index in csvHeader.
const revisionCol = 17

var dayNames = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// ExportCSV writes every entry as CSV with a header row. Lists are separated
// by "|"; schedules read like "Mon 08:00-20:00|Tue 22:00-30:00" (end may pass midnight).
// Times are RFC 3339 in UTC to the nanosecond, as stored: to the second,
// an unchanged file imported again changed (and audited) every entry.
func (r *Registry) ExportCSV(ctx context.Context, w io.Writer) error {
	es, err := r.List(ctx)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, e := range es {
		if err := cw.Write(entryRow(e)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func entryRow(e Entry) []string {
	f := func(v float64) string {
		if v == 0 {
			return ""
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	p := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	var sched []string
	for _, w := range e.Schedule {
		sched = append(sched, fmt.Sprintf("%s %02d:%02d-%02d:%02d", dayNames[w.Weekday], w.StartMin/60, w.StartMin%60, w.EndMin/60, w.EndMin%60))
	}
	until := ""
	if !e.ValidUntil.IsZero() {
		until = e.ValidUntil.UTC().Format(time.RFC3339Nano)
	}
	s := e.Signature
	return []string{strconv.FormatInt(e.ID, 10), TextCell(e.Name), e.Kind, s.Class, f(s.FreqMinHz), f(s.FreqMaxHz), f(s.BandwidthMinHz), f(s.BandwidthMaxHz),
		p(s.PowerMinDBm), p(s.PowerMaxDBm), strings.Join(e.Rooms, "|"), strings.Join(e.Zones, "|"), strings.Join(sched, "|"),
		e.ValidFrom.UTC().Format(time.RFC3339Nano), until, TextCell(e.AddedBy), TextCell(e.Notes), e.Revision}
}

// formulaStart are the first characters that make a spreadsheet read a
// cell as a formula (CSV injection).
const formulaStart = "=+-@\t\r"

// TextCell keeps free text a text when the CSV is opened in a spreadsheet:
// a value starting like a formula gets a leading apostrophe, which
// untextCell removes on import, so export and import round-trip. So does
// a value whose apostrophes stand before such a start ("'=x" exports
// with a second apostrophe): untextCell took its own apostrophe off, and
// it came back as the formula "=x" (TestTextCellRoundTrip).
func TextCell(v string) string {
	if strings.ContainsRune(formulaStart, rune(afterApostrophes(v))) {
		return "'" + v
	}
	return v
}

// untextCell undoes TextCell: one apostrophe off a value whose
// apostrophes stand before a formula's start.
func untextCell(v string) string {
	if v != "" && v[0] == '\'' && strings.ContainsRune(formulaStart, rune(afterApostrophes(v))) {
		return v[1:]
	}
	return v
}

// afterApostrophes returns the first byte of v after its leading
// apostrophes, 0 when there is none.
func afterApostrophes(v string) byte {
	v = strings.TrimLeft(v, "'")
	if v == "" {
		return 0
	}
	return v[0]
}

// ImportOptions tune ImportCSV.
type ImportOptions struct {
	// Force lets a row without a revision clear, or move later, the
	// valid_until of the entry it updates: authorise again a device whose
	// authorisation was ended (an expiry). Without it such a row is
	// refused (ErrConflict). It does not override a revision: a row whose
	// revision is not the entry's is refused all the same.
	Force bool
}

// ImportResult counts what an import did with its rows.
type ImportResult struct {
	Imported  int `json:"imported"`  // Added + Updated: the rows stored
	Added     int `json:"added"`     // rows stored as new entries
	Updated   int `json:"updated"`   // rows that changed the entry their id names
	Unchanged int `json:"unchanged"` // rows equal to the entry their id names: neither written nor audited
	// Warnings are the Warnings of the entries the rows added or updated,
	// each "line N: entry ID "name": ..." (an entry that authorises phone
	// uplinks in every cell, or no drone in a drone band); none: omitted.
	Warnings []string `json:"warnings,omitempty"`
}

// storedRow is an entry an import stored, from CSV line line.
type storedRow struct {
	line int
	e    Entry
}

// ImportCSV reads entries in ExportCSV's format and adds them as user. A
// row whose id names an existing entry updates it, as Update; a row that
// changes nothing is neither written nor audited (counted as unchanged);
// a row without valid_from is valid from now on the registry's clock. A
// row's revision (ExportCSV writes each entry's) must be the entry's
// current one, else the import is refused (ErrConflict, naming the line,
// the entry and its last change): the entry was expired or edited after
// the file was exported. A row without a revision may not clear or move
// later an entry's valid_until unless opts.Force: an old file would
// otherwise quietly authorise again a device expired since.
//
// A row without an id is a new device; one that is the same device (same
// name, case and spacing aside, kind and signature: class, band,
// bandwidth and power bounds; see sameDevice) as another row of the file
// or as a live entry (not expired; ErrConflict, naming its id) is
// refused, so importing a file again adds nothing twice. Rooms, zones,
// schedule, validity and notes do not count: they say where and when the
// device is authorised, not which it is. Two rows with one id are refused
// too (the last one won). A row whose id names an entry deleted here
// (registry.delete in the audit log) is refused (ErrConflict, naming the
// deletion): the file was exported before, and it would bring the entry
// back.
//
// It is all or nothing. The whole file is checked first: one bad row,
// named by its line, imports nothing. Then every row, with its audit row,
// is written in one transaction: when the database refuses one (a full
// disk, SQLITE_BUSY past the busy timeout, a cancelled request) or a row
// conflicts with the entries as stored, nothing is imported, the error
// names the row's line and the cause, and importing the file again adds
// no row twice. It returns how many rows were added, updated and left
// unchanged (none with an error, but for an Auditor outside the
// transaction that failed after the commit: see Open).
func (r *Registry) ImportCSV(ctx context.Context, in io.Reader, user string, opts ImportOptions) (ImportResult, error) {
	rows, err := parseCSV(in, r.now().UTC(), r.checkPlaces)
	if err != nil {
		return ImportResult{}, err
	}
	deleted, err := r.deletedIDs(ctx, rows)
	if err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	var imported []storedRow // the entries the rows added or updated, warned of once loaded
	stored, err := r.write(ctx, "registry csv import", func(c *change) error {
		res, c.imported = ImportResult{}, nil
		defer func() { imported = c.imported }()
		live, err := c.liveDevices(ctx, rows)
		if err != nil {
			return fmt.Errorf("registry csv import: %w", err)
		}
		lines, added := map[int64]int{}, map[int64]bool{} // by the ID each row stored
		for _, row := range rows {
			id, add, err := c.importRow(ctx, row, user, opts, live, deleted, &res)
			if err != nil {
				var stale *staleRowError
				if errors.As(err, &stale) {
					stale.line = row.line
					return stale // its text is worked out once the history can be read
				}
				return fmt.Errorf("registry csv line %d: %w", row.line, err)
			}
			lines[id], added[id] = row.line, add
		}
		// the file as a whole leaves no two live entries of one device:
		// a row naming entry 2 that makes it entry 1's device, or a row
		// with an id this register has not (added) beside the row of
		// entry 1, which the live entries above leave out
		if err := c.refuseDuplicates(ctx, added); err != nil {
			var dup *duplicateError
			if errors.As(err, &dup) {
				return fmt.Errorf("registry csv line %d: %w", lines[dup.id], err)
			}
			return fmt.Errorf("registry csv import: %w", err)
		}
		return nil
	})
	if err != nil && !stored {
		var stale *staleRowError
		if errors.As(err, &stale) {
			if h, herr := r.History(context.WithoutCancel(ctx), stale.id); herr == nil && len(h) > 0 {
				stale.last = describeChange(h[0])
			}
		}
		return ImportResult{}, err
	}
	res.Imported = res.Added + res.Updated
	res.warn(r, imported)
	return res, err
}

// deletedIDs returns the deletion (registry.delete) of each entry that a
// row names by id and this registry has not, by ID: such a row is
// refused, not added again (a file exported before an admin deleted the
// entry brought it back). The audit log is read before the import's
// transaction, which a test's single-connection database could not
// share; the transaction's own read of each entry decides whether it is
// there.
func (r *Registry) deletedIDs(ctx context.Context, rows []csvRow) (map[int64]store.AuditEntry, error) {
	deleted := map[int64]store.AuditEntry{}
	for _, row := range rows {
		id := row.e.ID
		if id == 0 {
			continue
		}
		if _, err := r.Get(ctx, id); err == nil {
			continue
		}
		h, err := r.audit.AuditLog(ctx, store.AuditFilter{Object: objectName(id), Prefix: "registry.delete", Limit: 1})
		if err != nil {
			return nil, fmt.Errorf("registry csv import: read the deletions: %w", err)
		}
		if len(h) > 0 {
			deleted[id] = h[0]
		}
	}
	return deleted, nil
}

// liveDevices returns the entries as stored in c that are live (not
// expired now) and not named by an id of rows, by device (keyOf): the
// entries a row without an id, or an Add, must not add again. An entry a
// row names is the row's, which the file's own check (parseCSV) compares,
// and the import's last check (refuseDuplicates) as the file leaves it.
func (c *change) liveDevices(ctx context.Context, rows []csvRow) (map[deviceKey]int64, error) {
	named := map[int64]bool{}
	for _, row := range rows {
		if row.e.ID != 0 {
			named[row.e.ID] = true
		}
	}
	byDevice, err := c.liveByDevice(ctx)
	if err != nil {
		return nil, err
	}
	live := map[deviceKey]int64{}
	for key, ids := range byDevice {
		for _, id := range ids {
			if !named[id] {
				live[key] = id
				break
			}
		}
	}
	return live, nil
}

// importRow is ImportCSV of one row in c: it updates the entry its id
// names, or adds it unless it is a live entry's device, and counts it in
// res. It returns the ID of the entry the row is, and whether it added it.
func (c *change) importRow(ctx context.Context, row csvRow, user string, opts ImportOptions, live map[deviceKey]int64, deleted map[int64]store.AuditEntry, res *ImportResult) (id int64, added bool, _ error) {
	e := row.e
	if e.ID != 0 {
		old, _, _, err := c.read(ctx, e.ID)
		switch {
		case errors.Is(err, store.ErrNotFound) && deleted[e.ID].Action != "":
			d := deleted[e.ID]
			return 0, false, conflictf("entry %d was deleted by %s at %s (registry.delete): this file was exported before; remove the row, or clear its id to add the device as a new entry",
				e.ID, d.User, time.Unix(0, d.TimeNS).UTC().Format(time.RFC3339))
		case errors.Is(err, store.ErrNotFound):
			// not in this register (a file from another site, say): added
		case err != nil:
			return 0, false, err
		default:
			if row.nowFrom {
				// no valid_from: the stored one stays (update), rather
				// than an entry due to start later being authorised now
				e.ValidFrom = time.Time{}
			}
			if err := checkImportRow(old, e, opts); err != nil {
				return 0, false, err
			}
			got, changed, err := c.update(ctx, e, user)
			if err != nil {
				return 0, false, err
			}
			if changed {
				res.Updated++
				c.imported = append(c.imported, storedRow{row.line, got})
			} else {
				res.Unchanged++
			}
			return e.ID, false, nil
		}
	}
	if err := refuseLive(live, e, c.r.now()); err != nil {
		return 0, false, err
	}
	e, err := c.r.prepareAdd(e, user)
	if err != nil {
		return 0, false, err
	}
	stored, err := c.insert(ctx, e, user)
	if err != nil {
		return 0, false, err
	}
	// a later row of the file for the same device is refused as one for
	// a live entry is (rows whose ids this register has not are added);
	// an expired one is history, as liveDevices leaves it out: an export
	// lists a device's expired entry before its renewal. The entries the
	// file names are left out of live, so the last check
	// (refuseDuplicates) compares the added one with them too.
	if isLive(stored, c.r.now()) {
		live[keyOf(stored)] = stored.ID
		c.fresh = append(c.fresh, stored)
	}
	res.Added++
	c.imported = append(c.imported, storedRow{row.line, stored})
	return stored.ID, true, nil
}

// warn sets res.Warnings to the Warnings of the entries the import
// stored as r loaded them (asLoaded), each naming its line.
func (res *ImportResult) warn(r *Registry, stored []storedRow) {
	res.Warnings = nil
	for _, st := range stored {
		e := r.asLoaded(st.e)
		for _, w := range e.Warnings {
			res.Warnings = append(res.Warnings, fmt.Sprintf("line %d: entry %d %q: %s", st.line, e.ID, e.Name, w))
		}
	}
}

// checkImportRow refuses (ErrConflict) row, which updates old as stored,
// when its revision is not old's, or, without a revision and unless
// forced, when it would clear or move later old's valid_until.
func checkImportRow(old, row Entry, opts ImportOptions) error {
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	switch {
	case row.Revision != "" && row.Revision != old.Revision:
		return &staleRowError{id: old.ID}
	case row.Revision != "" || opts.Force || old.ValidUntil.IsZero():
		return nil
	case row.ValidUntil.IsZero():
		return conflictf("entry %d ends at %s (valid_until), and this row, which has no revision, has no valid_until: "+
			"importing it would authorise the device again. Export again (an export carries each entry's revision), "+
			"or, to end the expiry on purpose, import with force (?force=1; the Registry page's \"undo expiries\" box)", old.ID, stamp(old.ValidUntil))
	case row.ValidUntil.After(old.ValidUntil):
		return conflictf("entry %d ends at %s (valid_until), and this row, which has no revision, ends it later, at %s: "+
			"importing it would authorise the device for longer. Export again (an export carries each entry's revision), "+
			"or, to extend it on purpose, import with force (?force=1; the Registry page's \"undo expiries\" box)", old.ID, stamp(old.ValidUntil), stamp(row.ValidUntil))
	}
	return nil
}

// staleRowError is a row whose revision is not its entry's: the entry
// changed after the file was exported. ImportCSV names the change (last)
// from the entry's history once the transaction is over.
type staleRowError struct {
	line int
	id   int64
	last string // "expired by bob at 2026-12-07T00:00:00Z"; "" when not known
}

func (e *staleRowError) Error() string {
	what := ""
	if e.last != "" {
		what = " (" + e.last + ")"
	}
	return fmt.Sprintf("registry csv line %d: entry %d was changed after this file was exported%s: export again, and redo your changes in the new file", e.line, e.id, what)
}

func (e *staleRowError) Unwrap() error { return ErrConflict }

// describeChange says what audit row a did to an entry, and who and when.
func describeChange(a store.AuditEntry) string {
	verb := map[string]string{"registry.add": "added", "registry.update": "updated", "registry.expire": "expired"}[a.Action]
	if verb == "" {
		verb = a.Action
	}
	return fmt.Sprintf("%s by %s at %s", verb, a.User, time.Unix(0, a.TimeNS).UTC().Format(time.RFC3339))
}

// conflictError is an error that wraps ErrConflict without repeating its
// text.
type conflictError struct{ msg string }

func (e *conflictError) Error() string { return e.msg }
func (e *conflictError) Unwrap() error { return ErrConflict }

func conflictf(format string, args ...any) error {
	return &conflictError{msg: fmt.Sprintf(format, args...)}
}

// alreadyRegistered is the refusal of a new entry (an Add, an imported
// row without an id) that is live entry id's device (keyOf).
// refuseLive refuses (alreadyRegistered) adding e when e is live at now
// and the device (keyOf) of live entry live[keyOf(e)]. An entry that has
// ended already is history, not a second authorisation, and is added
// (Add, and a CSV row whatever its place in the file: a renewal listed
// before its expired entry was refused it).
func refuseLive(live map[deviceKey]int64, e Entry, now time.Time) error {
	if !isLive(e, now) {
		return nil
	}
	if id, ok := live[keyOf(e)]; ok {
		return alreadyRegistered(id)
	}
	return nil
}

func alreadyRegistered(id int64) error {
	return conflictf("already in the register as entry %d (the same name, kind, signature and places): give its id to update it", id)
}

// deviceKey is what makes two entries one entry for an import: the name
// (case and spacing aside), the kind, the signature and the places (rooms
// and zones, in any order). Places count because a site may register one
// kind of device once per wing under one name ("Staff radio", zone
// wing-a; the same, zone wing-b); schedule, validity and notes do not:
// they say when, and a row differing only there is the same entry
// imported twice.
type deviceKey struct {
	name, kind, class        string
	fmin, fmax, bwmin, bwmax float64
	pmin, pmax               string // "" for no bound
	places                   string // sorted rooms, then sorted zones
}

func keyOf(e Entry) deviceKey {
	p := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'g', -1, 64)
	}
	places := func(v []string) string { return strings.Join(slices.Sorted(slices.Values(v)), "\x00") }
	s := e.Signature
	return deviceKey{name: strings.ToLower(strings.Join(strings.Fields(e.Name), " ")), kind: e.Kind, class: s.Class,
		fmin: s.FreqMinHz, fmax: s.FreqMaxHz, bwmin: s.BandwidthMinHz, bwmax: s.BandwidthMaxHz, pmin: p(s.PowerMinDBm), pmax: p(s.PowerMaxDBm),
		places: places(e.Rooms) + "\x01" + places(e.Zones)}
}

// ParseCSV reads and validates entries in ExportCSV's format (with or
// without its last column, revision, which sets each entry's Revision; a
// leading UTF-8 byte order mark is skipped); an entry with no valid_from
// gets now, and each name and notes are as they are stored (normalText). Two rows with one id, and a row without an id that is the
// same device (keyOf) as another, are refused. Errors name the line and
// column.
func ParseCSV(in io.Reader, now time.Time) ([]Entry, error) {
	rows, err := parseCSV(in, now, nil)
	if err != nil {
		return nil, err
	}
	es := make([]Entry, len(rows))
	for i, row := range rows {
		es[i] = row.e
	}
	return es, nil
}

// utf8BOM is the byte order mark some spreadsheets write first.
const utf8BOM = "\ufeff"

// csvRow is an entry read from a CSV file, and the line it starts on.
type csvRow struct {
	line int
	e    Entry
	// nowFrom: the row had no valid_from, and e has now for it. An added
	// entry starts now; an updated one keeps its stored start.
	nowFrom bool
}

// parseCSV is ParseCSV, with check (when not nil) run on each entry too,
// keeping each entry's line.
func parseCSV(in io.Reader, now time.Time, check func(Entry) error) ([]csvRow, error) {
	br := bufio.NewReader(io.LimitReader(in, 16<<20))
	if b, err := br.Peek(len(utf8BOM)); err == nil && string(b) == utf8BOM {
		br.Discard(len(utf8BOM)) // Excel's "CSV UTF-8" starts with one
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = 0 // every row as many as the header
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("registry csv: header: %w", err)
	}
	if len(head) != len(csvHeader) && len(head) != revisionCol {
		return nil, fmt.Errorf("registry csv: header has %d columns, want %d (%s; the last, revision, may be left out)", len(head), len(csvHeader), strings.Join(csvHeader, ","))
	}
	for i, h := range head {
		if strings.TrimSpace(strings.ToLower(h)) != csvHeader[i] {
			return nil, fmt.Errorf("registry csv: header column %d is %q, want %q", i+1, h, csvHeader[i])
		}
	}
	var rows []csvRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("registry csv: %w", err)
		}
		line, _ := cr.FieldPos(0)
		e, err := parseRow(rec)
		if err != nil {
			return nil, fmt.Errorf("registry csv line %d: %w", line, err)
		}
		nowFrom := e.ValidFrom.IsZero()
		if nowFrom {
			e.ValidFrom = now
		}
		if err := e.Validate(); err != nil {
			return nil, fmt.Errorf("registry csv line %d: %w", line, err)
		}
		if check != nil {
			if err := check(e); err != nil {
				return nil, fmt.Errorf("registry csv line %d: %w", line, err)
			}
		}
		rows = append(rows, csvRow{line: line, e: e, nowFrom: nowFrom})
	}
	if err := checkDuplicates(rows); err != nil {
		return nil, err
	}
	return rows, nil
}

// checkDuplicates refuses two rows with one id (the last silently won),
// and a row without an id that is the same device (keyOf) as another row:
// it would be added twice, or next to the entry the other row updates.
func checkDuplicates(rows []csvRow) error {
	byID := map[int64]int{}
	byDevice := map[deviceKey][]csvRow{}
	for _, row := range rows {
		if row.e.ID != 0 {
			if first, ok := byID[row.e.ID]; ok {
				return fmt.Errorf("registry csv line %d: %w: entry %d is on line %d too: one row per entry", row.line, ErrInvalid, row.e.ID, first)
			}
			byID[row.e.ID] = row.line
		}
		byDevice[keyOf(row.e)] = append(byDevice[keyOf(row.e)], row)
	}
	for _, row := range rows {
		if row.e.ID != 0 {
			continue
		}
		for _, other := range byDevice[keyOf(row.e)] {
			switch {
			case other.line == row.line:
			case other.e.ID != 0:
				return fmt.Errorf("registry csv line %d: %w: the same entry (name, kind, signature and places) as line %d, entry %d, and no id: drop it, or change that row", row.line, ErrInvalid, other.line, other.e.ID)
			default:
				return fmt.Errorf("registry csv line %d: %w: the same entry (name, kind, signature and places) as line %d, neither with an id: drop one of them", row.line, ErrInvalid, other.line)
			}
		}
	}
	return nil
}

func parseRow(rec []string) (Entry, error) {
	var e Entry
	var err error
	num := func(col int) float64 {
		if err != nil || strings.TrimSpace(rec[col]) == "" {
			return 0
		}
		var v float64
		v, err = strconv.ParseFloat(strings.TrimSpace(rec[col]), 64)
		if err != nil {
			err = fmt.Errorf("column %s: %q is not a number", csvHeader[col], rec[col])
		}
		return v
	}
	ptr := func(col int) *float64 {
		if strings.TrimSpace(rec[col]) == "" {
			return nil
		}
		v := num(col)
		return &v
	}
	if s := strings.TrimSpace(rec[0]); s != "" {
		if e.ID, err = strconv.ParseInt(s, 10, 64); err != nil {
			return e, fmt.Errorf("column id: %q is not an integer", s)
		}
	}
	e.Name, e.Kind = untextCell(strings.TrimSpace(rec[1])), strings.TrimSpace(rec[2])
	e.Signature = Signature{Class: strings.TrimSpace(rec[3]), FreqMinHz: num(4), FreqMaxHz: num(5), BandwidthMinHz: num(6), BandwidthMaxHz: num(7),
		PowerMinDBm: ptr(8), PowerMaxDBm: ptr(9)}
	if err != nil {
		return e, err
	}
	e.Rooms, e.Zones = splitList(rec[10]), splitList(rec[11])
	for _, w := range splitList(rec[12]) {
		win, err := parseWindow(w)
		if err != nil {
			return e, fmt.Errorf("column schedule: %w", err)
		}
		e.Schedule = append(e.Schedule, win)
	}
	for col, dst := range map[int]*time.Time{13: &e.ValidFrom, 14: &e.ValidUntil} {
		if s := strings.TrimSpace(rec[col]); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return e, fmt.Errorf("column %s: %q is not RFC 3339 time", csvHeader[col], s)
			}
			*dst = t.UTC()
		}
	}
	e.Notes = untextCell(rec[16])
	if len(rec) > revisionCol {
		e.Revision = strings.TrimSpace(rec[revisionCol])
	}
	return e.normalText(), nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseWindow reads "Mon 08:00-20:00".
func parseWindow(s string) (Window, error) {
	day, span, ok := strings.Cut(strings.TrimSpace(s), " ")
	if !ok {
		return Window{}, fmt.Errorf("%q: want \"Mon 08:00-20:00\"", s)
	}
	wd := -1
	for i, n := range dayNames {
		if strings.EqualFold(n, day) {
			wd = i
		}
	}
	a, b, ok := strings.Cut(strings.TrimSpace(span), "-")
	if wd < 0 || !ok {
		return Window{}, fmt.Errorf("%q: want \"Mon 08:00-20:00\"", s)
	}
	start, err1 := parseHHMM(a)
	end, err2 := parseHHMM(b)
	if err1 != nil || err2 != nil {
		return Window{}, fmt.Errorf("%q: bad time of day", s)
	}
	return Window{Weekday: time.Weekday(wd), StartMin: start, EndMin: end}, nil
}

func parseHHMM(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return 0, fmt.Errorf("no colon")
	}
	hh, err := strconv.Atoi(h)
	if err != nil {
		return 0, err
	}
	mm, err := strconv.Atoi(m)
	if err != nil || mm < 0 || mm > 59 || hh < 0 || hh > 48 {
		return 0, fmt.Errorf("out of range")
	}
	return hh*60 + mm, nil
}
