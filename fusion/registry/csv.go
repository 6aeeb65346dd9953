package registry

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// csvHeader is the column order of exported and imported CSV.
var csvHeader = []string{"id", "name", "kind", "class", "freq_min_hz", "freq_max_hz", "bandwidth_min_hz", "bandwidth_max_hz",
	"power_min_dbm", "power_max_dbm", "rooms", "zones", "schedule", "valid_from", "valid_until", "added_by", "notes"}

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
		e.ValidFrom.UTC().Format(time.RFC3339Nano), until, TextCell(e.AddedBy), TextCell(e.Notes)}
}

// formulaStart are the first characters that make a spreadsheet read a
// cell as a formula (CSV injection).
const formulaStart = "=+-@\t\r"

// TextCell keeps free text a text when the CSV is opened in a spreadsheet:
// a value starting like a formula gets a leading apostrophe, which
// untextCell removes on import, so export and import round-trip.
func TextCell(v string) string {
	if v != "" && strings.ContainsRune(formulaStart, rune(v[0])) {
		return "'" + v
	}
	return v
}

func untextCell(v string) string {
	if len(v) > 1 && v[0] == '\'' && strings.ContainsRune(formulaStart, rune(v[1])) {
		return v[1:]
	}
	return v
}

// ImportOptions tune ImportCSV.
type ImportOptions struct{ Force bool }

// ImportResult counts what an import did with its rows.
type ImportResult struct {
	Imported  int `json:"imported"`  // Added + Updated: the rows stored
	Added     int `json:"added"`     // rows stored as new entries
	Updated   int `json:"updated"`   // rows that changed the entry their id names
	Unchanged int `json:"unchanged"` // rows equal to the entry their id names: neither written nor audited
}

// ImportCSV reads entries in ExportCSV's format and adds them as user (a row
// whose id names an existing entry updates it, as Update without a
// revision: a row that changes nothing is neither written nor audited; a
// row without valid_from is valid from now on the registry's clock). It is
// all or nothing. The whole file is checked first: one bad row, named by
// its line, imports nothing. Then every row, with its audit row, is
// written in one transaction: when the database refuses one (a full disk,
// SQLITE_BUSY past the busy timeout, a cancelled request), nothing is
// imported, the error names the row's line and the cause, and importing
// the file again adds no row twice. It returns how many rows were added,
// updated and left unchanged (none with an error, but for an Auditor
// outside the transaction that failed after the commit: see Open).
func (r *Registry) ImportCSV(ctx context.Context, in io.Reader, user string, opts ImportOptions) (ImportResult, error) {
	rows, err := parseCSV(in, r.now().UTC(), r.checkPlaces)
	if err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	stored, err := r.write(ctx, "registry csv import", func(c *change) error {
		res = ImportResult{}
		for _, row := range rows {
			if err := c.importRow(ctx, row.e, user, &res); err != nil {
				return fmt.Errorf("registry csv line %d: %w", row.line, err)
			}
		}
		return nil
	})
	if err != nil && !stored {
		return ImportResult{}, err
	}
	res.Imported = res.Added + res.Updated
	return res, err
}

// importRow is ImportCSV of one row in c: it updates the entry its id
// names, or adds it, and counts it in res.
func (c *change) importRow(ctx context.Context, e Entry, user string, res *ImportResult) error {
	if e.ID != 0 {
		_, changed, err := c.update(ctx, e, user)
		if err == nil {
			if changed {
				res.Updated++
			} else {
				res.Unchanged++
			}
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	e, err := c.r.prepareAdd(e, user)
	if err != nil {
		return err
	}
	if _, err = c.insert(ctx, e, user); err != nil {
		return err
	}
	res.Added++
	return nil
}

// ParseCSV reads and validates entries in ExportCSV's format; an entry with
// no valid_from gets now. Errors name the line and column.
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
}

// parseCSV is ParseCSV, with check (when not nil) run on each entry too,
// keeping each entry's line.
func parseCSV(in io.Reader, now time.Time, check func(Entry) error) ([]csvRow, error) {
	br := bufio.NewReader(io.LimitReader(in, 16<<20))
	if b, err := br.Peek(len(utf8BOM)); err == nil && string(b) == utf8BOM {
		br.Discard(len(utf8BOM)) // Excel's "CSV UTF-8" starts with one
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = len(csvHeader)
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("registry csv: header: %w", err)
	}
	for i, h := range csvHeader {
		if strings.TrimSpace(strings.ToLower(head[i])) != h {
			return nil, fmt.Errorf("registry csv: header column %d is %q, want %q", i+1, head[i], h)
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
		if e.ValidFrom.IsZero() {
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
		rows = append(rows, csvRow{line: line, e: e})
	}
	return rows, nil
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
	return e, nil
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
