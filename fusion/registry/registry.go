package registry

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rfwarden/rfwarden/dsp/bandplan"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/firmware/hackrf"
	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/english"
	"github.com/rfwarden/rfwarden/internal/typedtext"
)

// ErrInvalid is wrapped by every validation error of an entry.
var ErrInvalid = errors.New("registry: invalid entry")

// ErrConflict is wrapped by the error of an update whose Revision is not
// the stored entry's: someone changed it since it was read.
var ErrConflict = errors.New("registry: entry changed since it was read")

// ErrInForce is wrapped by the error of a Delete refused because the
// entry still authorises, or will: it must be expired first.
var ErrInForce = errors.New("registry: entry still authorises")

// Kinds lists every valid device kind.
var Kinds = []string{KindStaffRadio, KindInCellTablet, KindKiosk, KindOfficialPhone, KindWiFiAP, KindBodyCamera, KindAuthorisedDrone}

// Registry is the authorised-device list kept in SQLite, with an in-memory
// copy for matching on the hot path. Every change is written to the audit log
// with the entry before and after, in the change's transaction: the two are
// stored together or not at all (write). Safe for concurrent use.
//
// Fusion and the dashboard each open their own Registry on the one
// database. A Registry sees its own changes at once, another's at its next
// Refresh (Follow calls it periodically): triggers count every change to
// the entries' table, by any writer, in registry_version.
type Registry struct {
	db      *sql.DB
	audit   store.Auditor
	txAudit txAuditor      // audit, when it writes in db's transactions; nil: it audits after the commit
	loc     *time.Location // site local time, for weekly schedules
	log     *slog.Logger
	now     func() time.Time // the system's clock (Options.Now)
	site    *site.Site       // rooms and zones entries may name; nil: unchecked
	drone   []bandplan.Band  // the default band plan's drone bands, for droneWarning
	// cellular are the default band plan's GSM, UMTS, LTE and NR bands,
	// for droneWarning
	cellular []bandplan.Band
	// uplinks are those of cellular that phones send in (uplink or TDD),
	// for phoneWarning
	uplinks []bandplan.Band

	mu      sync.RWMutex
	entries []Entry          // sorted by ID
	version int64            // registry_version when entries were read
	logged  map[int64]string // each entry's load problem as last logged, so a reload does not log it again
}

// schema creates the entries' table and the change counter its triggers
// keep (idempotent: fusion and a dashboard may start together).
var schema = []string{
	`CREATE TABLE IF NOT EXISTS registry_entry (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS registry_version (id INTEGER PRIMARY KEY CHECK (id = 1), v INTEGER NOT NULL)`,
	`INSERT OR IGNORE INTO registry_version (id, v) VALUES (1, 0)`,
	`CREATE TRIGGER IF NOT EXISTS registry_entry_insert AFTER INSERT ON registry_entry BEGIN UPDATE registry_version SET v = v + 1; END`,
	`CREATE TRIGGER IF NOT EXISTS registry_entry_update AFTER UPDATE ON registry_entry BEGIN UPDATE registry_version SET v = v + 1; END`,
	`CREATE TRIGGER IF NOT EXISTS registry_entry_delete AFTER DELETE ON registry_entry BEGIN UPDATE registry_version SET v = v + 1; END`,
}

// Options tune a Registry. Zero fields take the defaults on each field.
type Options struct {
	// Location is the site's local time, in which weekly schedules are
	// read; UTC when nil.
	Location *time.Location
	// Logger gets the entries that load but do not decode, break the
	// rules or name unknown places (each once, not at every reload);
	// quiet when nil.
	Logger *slog.Logger
	// Now is the system's clock (the one fusion and the dashboard use: the
	// demo's is simulated), for a new entry's missing valid_from and the
	// audit trail's times; time.Now when nil.
	Now func() time.Time
	// Site, when known, is the site model whose rooms and zones an entry
	// may name; nil: names are not checked.
	Site *site.Site
}

// Open loads the registry from db (creating its table) and audits changes
// through audit. When audit is the store whose database db is (fusion,
// the dashboard and the demo pass db.DB() and db), each change and its
// audit row are written in one transaction; any other Auditor (a test
// fake) is called after the change is committed, so a failed audit leaves
// the change stored and unaudited, and is logged at Open.
func Open(ctx context.Context, db *sql.DB, audit store.Auditor, opts Options) (*Registry, error) {
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	for _, q := range schema {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("create registry tables: %w", err)
		}
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	r := &Registry{db: db, audit: audit, loc: loc, log: lg, now: now, site: opts.Site}
	plan := bandplan.Default()
	r.drone = plan.DroneBands()
	for _, b := range plan.Bands() {
		if slices.ContainsFunc([]string{"gsm", "umts", "lte", "nr"}, b.HasTech) {
			r.cellular = append(r.cellular, b)
			if b.Link == bandplan.LinkUplink || b.Link == bandplan.LinkTDD {
				r.uplinks = append(r.uplinks, b)
			}
		}
	}
	if ta, ok := audit.(txAuditor); ok && ta.DB() == db {
		r.txAudit = ta
	} else {
		lg.Warn("registry: the audit log is not in the registry's database: a change is audited after it is stored, and a failed audit leaves it unaudited")
	}
	if err := r.reload(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// loadProblem is something wrong with a stored entry that a load logs.
type loadProblem struct {
	id    int64
	key   string // what is wrong: logged again only when it changes
	level slog.Level
	msg   string
	args  []any
}

// reload reads every entry and the change counter, in one transaction so
// the two agree. An entry that does not decode or breaks the rules is
// listed with its Problem and authorises nothing; one bad row neither
// stops fusion or the dashboard starting nor keeps the other entries (a
// revoked one) from loading. Each such entry is logged when a load first
// finds it (or its problem changes), not at every reload. The error is the
// database's.
func (r *Registry) reload(ctx context.Context) error {
	tx, err := r.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}) // deferred: a read takes no write lock (the store begins others IMMEDIATE)
	if err != nil {
		return fmt.Errorf("load registry: %w", err)
	}
	defer tx.Rollback() // read only
	var version int64
	if err := tx.QueryRowContext(ctx, `SELECT v FROM registry_version WHERE id = 1`).Scan(&version); err != nil {
		return fmt.Errorf("load registry version: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, body FROM registry_entry ORDER BY id`)
	if err != nil {
		return fmt.Errorf("load registry: %w", err)
	}
	defer rows.Close()
	var es []Entry
	var found []loadProblem
	for rows.Next() {
		var id int64
		var body string
		if err := rows.Scan(&id, &body); err != nil {
			return fmt.Errorf("load registry: %w", err)
		}
		e, err := r.decodeStored(id, body)
		if err != nil {
			found = append(found, loadProblem{id: id, key: e.Problem, level: slog.LevelError,
				msg: "registry: stored entry does not decode and authorises nothing until it is saved anew", args: []any{"id", id, "err", err}})
			es = append(es, e)
			continue
		}
		switch {
		case e.UnknownPlaces != nil:
			found = append(found, loadProblem{id: id, key: e.Problem, level: slog.LevelWarn,
				msg: "registry: entry names places the site model has not, and authorises nothing there", args: []any{"id", id, "name", e.Name, "problem", e.Problem}})
		case e.Problem != "":
			found = append(found, loadProblem{id: id, key: e.Problem, level: slog.LevelError,
				msg: "registry: entry breaks the rules and authorises nothing until it is fixed", args: []any{"id", id, "name", e.Name, "problem", e.Problem}})
		}
		es = append(es, e)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load registry: %w", err)
	}
	now := r.now()
	for i, e := range es {
		if w := r.overlapWarning(e, es, now); w != "" {
			e.Warnings = append(e.Warnings, w)
			es[i] = e
		}
		if e.Problem == "" && len(e.Warnings) > 0 {
			found = append(found, loadProblem{id: e.ID, key: strings.Join(e.Warnings, "; "), level: slog.LevelWarn,
				msg: "registry: entry authorises other than it may seem", args: []any{"id", e.ID, "name", e.Name, "warning", strings.Join(e.Warnings, "; ")}})
		}
	}
	var fresh []loadProblem
	logged := make(map[int64]string, len(found))
	r.mu.Lock()
	r.entries, r.version = es, version
	for _, p := range found {
		if r.logged[p.id] != p.key {
			fresh = append(fresh, p)
		}
		logged[p.id] = p.key
	}
	r.logged = logged
	r.mu.Unlock()
	for _, p := range fresh {
		r.log.Log(ctx, p.level, p.msg, p.args...)
	}
	return nil
}

// decodeStored returns the entry stored as body under id, as a load lists
// it, with its Revision. One that does not decode (a hand edit, a torn
// write) has its ID and what did decode, and its Problem says so: listed,
// so an admin sees it and saves it anew, it authorises nothing; the error
// is the decoder's. One stored before a rule it breaks has its Problem
// too (an alarm too many beats a silenced site). One that keeps the rules
// but names rooms or zones the site model has not (a wing renamed since
// it was saved) has its Problem and UnknownPlaces (placesProblem): it
// authorised nothing there without a sign on any screen.
func (r *Registry) decodeStored(id int64, body string) (Entry, error) {
	var e Entry
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		e.ID, e.Problem, e.Revision = id, fmt.Sprintf("stored entry does not decode (%v): save it anew, in full, to replace it", err), revisionOf(body)
		return e, err
	}
	e.ID, e.Revision, e.Problem, e.UnknownPlaces = id, revisionOf(body), "", nil
	if err := e.Validate(); err != nil {
		e.Problem = strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": ")
		return e, nil
	}
	e.Problem, e.UnknownPlaces = r.placesProblem(e)
	e.Warnings = r.warnings(e)
	return e, nil
}

// warnings returns e's Warnings (nil when it has none).
func (r *Registry) warnings(e Entry) []string {
	var ws []string
	for _, w := range []string{r.phoneWarning(e), r.techClassWarning(e), r.droneWarning(e), droneSiteWarning(e)} {
		if w != "" {
			ws = append(ws, w)
		}
	}
	return ws
}

// overlapWarning names, for a live entry with no Problem, the other live
// entries with no Problem in es of its kind whose class, band, places
// and validity overlap its own (overlaps): each authorises what the other
// does where they meet, so expiring or narrowing one leaves the other
// authorising there. "" when there are none. It is a warning, not a
// refusal: an entry renewed ahead of its predecessor's end overlaps it on
// purpose. Until 2026-12-07 such entries were taken with no word
// (TestOverlapWarning).
func (r *Registry) overlapWarning(e Entry, es []Entry, now time.Time) string {
	if e.Problem != "" || !isLive(e, now) {
		return ""
	}
	var others []string
	for _, o := range es {
		if o.ID != e.ID && o.Kind == e.Kind && o.Problem == "" && isLive(o, now) && r.overlaps(e, o) {
			others = append(others, fmt.Sprintf("entry %d %q (%s–%s MHz)", o.ID, o.Name, mhz(o.Signature.FreqMinHz), mhz(o.Signature.FreqMaxHz)))
		}
	}
	if len(others) == 0 {
		return ""
	}
	return fmt.Sprintf("overlaps %s: the same kind of device (%s) in an overlapping band and places, so expiring or narrowing one leaves the other authorising there; "+
		"keep one, or set their bands or places apart", english.Some(others, 3), e.Kind)
}

// overlaps reports whether a and b may authorise one detection: their
// classes (one empty, or the same), bands, validity and places meet
// (either names none, they share a room or a zone, or one's room lies in
// the other's zone, as the site model has it). Weekly schedules are not
// compared.
func (r *Registry) overlaps(a, b Entry) bool {
	sa, sb := a.Signature, b.Signature
	switch {
	case sa.Class != "" && sb.Class != "" && sa.Class != sb.Class:
		return false
	case max(sa.FreqMinHz, sb.FreqMinHz) >= min(sa.FreqMaxHz, sb.FreqMaxHz):
		return false
	case !a.ValidUntil.IsZero() && !a.ValidUntil.After(b.ValidFrom), !b.ValidUntil.IsZero() && !b.ValidUntil.After(a.ValidFrom):
		return false
	}
	anywhere := func(e Entry) bool { return len(e.Rooms) == 0 && len(e.Zones) == 0 }
	inZones := func(rooms, zones []string) bool {
		return r.site != nil && slices.ContainsFunc(rooms, func(id string) bool { return slices.Contains(zones, r.site.ZoneOf(id)) })
	}
	return anywhere(a) || anywhere(b) ||
		slices.ContainsFunc(a.Rooms, func(id string) bool { return slices.Contains(b.Rooms, id) }) ||
		slices.ContainsFunc(a.Zones, func(z string) bool { return slices.Contains(b.Zones, z) }) ||
		inZones(a.Rooms, b.Zones) || inZones(b.Rooms, a.Zones)
}

// isPhoneClass reports whether class is one a phone's uplink is reported
// as: a cellular one (alert.PhoneClasses, the classes the phone rules
// alert on), or unknown when the classifier does not confirm its
// numerology (docs/alerts.md: leave an official phone's class empty).
// The list is alert's own, so the two cannot drift apart.
func isPhoneClass(class string) bool {
	return class == event.ClassUnknown || slices.Contains(alert.PhoneClasses, class)
}

// phoneWarning says, for an entry that may authorise a phone's uplink (no
// class, or a phone class: isPhoneClass) whose band overlaps a cellular
// uplink band of the default band plan (uplink or TDD), and that names no
// rooms or zones, zones holding cells, or cells, that it authorises phone
// uplinks in every cell on the site (or of those zones, or the cells it
// names): a phone used in any of them on that band raises no alert. ""
// otherwise. Such an entry ("the new staff phones", official_phone,
// 1710–1785 MHz, anywhere) is what a site registers for staff phones that
// roam the whole site, and one naming cells ("official_phone", 832–862
// MHz, the ten cells of a landing) is an in-cell phone system's, so it is
// taken, with this warning, not refused: a contraband phone on the band in
// those cells cannot be told from the system's own. Until 2026-12-07 an
// entry naming cells one by one passed silently, and the whole LTE B20
// uplink so registered in ten cells authorised the contraband handset in
// one of them (TestPhoneBandWarning). Where the registry has no site model
// (Options.Site nil) only an entry with no places is warned of, rooms and
// zones being unchecked.
func (r *Registry) phoneWarning(e Entry) string {
	s := e.Signature
	if s.Class != "" && !isPhoneClass(s.Class) {
		return ""
	}
	names := r.uplinksOf(s)
	if len(names) == 0 {
		return ""
	}
	class := "no signature class"
	if s.Class != "" {
		class = "class " + s.Class
	}
	var where string
	cellsOnly := false
	switch {
	case len(e.Rooms) == 0 && len(e.Zones) == 0:
		where = "every cell on the site (it names no rooms or zones)"
	case r.site == nil:
		return ""
	default:
		var wheres, zones []string
		cells := 0
		for _, z := range e.Zones {
			n := 0
			for _, rm := range r.site.Rooms {
				if rm.Zone == z && rm.Kind == site.KindCell {
					n++
				}
			}
			if n > 0 {
				zones, cells = append(zones, z), cells+n
			}
		}
		if len(zones) > 0 {
			wheres = append(wheres, fmt.Sprintf("every cell of zones %s (%d cells)", strings.Join(zones, ", "), cells))
		}
		var named []string
		for _, id := range e.Rooms {
			if rm, ok := r.site.Room(id); ok && rm.Kind == site.KindCell {
				named = append(named, id)
			}
		}
		if len(named) > 0 {
			wheres = append(wheres, fmt.Sprintf("the %d %s it names (%s)", len(named), english.Plural(len(named), "cell", "cells"), english.Some(named, 5)))
		}
		if len(wheres) == 0 {
			return ""
		}
		where, cellsOnly = strings.Join(wheres, " and "), len(zones) == 0
	}
	if cellsOnly {
		remedy := "it cannot tell the system's own phones from a contraband phone on that band there"
		if s.FreqMaxHz-s.FreqMinHz > maxCarrierHz {
			remedy = fmt.Sprintf("register the system's own carrier (its channel, e.g. 10 MHz), not the whole band (%s MHz wide)", mhz(s.FreqMaxHz-s.FreqMinHz))
		}
		return fmt.Sprintf("authorises phone uplinks in %s: %s, and its band %s–%s MHz overlaps cellular uplinks (%s), "+
			"so a contraband phone there on that band raises no alert; %s",
			where, class, mhz(s.FreqMinHz), mhz(s.FreqMaxHz), strings.Join(names, "; "), remedy)
	}
	return fmt.Sprintf("authorises phone uplinks in %s: %s, and its band %s–%s MHz overlaps cellular uplinks (%s), "+
		"so a phone used there on those bands raises no alert; keep it only for phones that must be used anywhere (staff phones that roam the site), "+
		"else give it the rooms or zones where they are used", where, class, mhz(s.FreqMinHz), mhz(s.FreqMaxHz), strings.Join(names, "; "))
}

// techClassWarning says, for an entry whose class names a cellular
// technology a classifier seldom confirms in a handset's uplink (lte, nr,
// umts) and whose band overlaps a cellular uplink band, that it may
// authorise few or none of the phone's detections, and what to do; ""
// otherwise. A handset's uplink whose LTE or NR numerology the classifier
// does not confirm (a burst too short, a band LTE and NR share: LTE B20,
// B3, B1, B7 and more) is published with class unknown ("LTE/NR uplink"),
// and a handset falls back between technologies: an in-cell phone system
// registered with class lte over LTE B20 matched none of 168 detections
// of its phones, which kept raising alerts. docs/alerts.md said to leave
// the class empty; until 2026-12-07 nothing told the admin who did not
// (TestTechClassWarning).
func (r *Registry) techClassWarning(e Entry) string {
	s := e.Signature
	if !slices.Contains([]string{event.ClassLTE, event.ClassNR, event.ClassUMTS}, s.Class) {
		return ""
	}
	names := r.uplinksOf(s)
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf("class %s over cellular uplinks (%s) may authorise few or none of a phone's uplink detections: "+
		"a handset's uplink is published with class %s (\"LTE/NR uplink\") whenever the classifier does not confirm its numerology (short bursts, a band LTE and NR share), "+
		"and a handset falls back between technologies, so the phones it is meant for raise alerts; "+
		"leave the class empty (any class but a drone one) and let the band and rooms do the work",
		s.Class, strings.Join(names, "; "), event.ClassUnknown)
}

// maxCarrierHz is the widest single LTE carrier (20 MHz): an entry naming
// cells over a wider stretch of a cellular uplink registers more than an
// in-cell system's own carrier (phoneWarning).
const maxCarrierHz = 20e6

// uplinksOf names the cellular uplink (or TDD) bands of the default band
// plan that s's band overlaps, the names of one range together (DCS-1800
// UL, LTE B3 UL and NR n3 UL are all 1710–1785 MHz): "DCS-1800 UL, LTE B3
// UL, NR n3 UL 1710–1785 MHz"; nil when it overlaps none.
func (r *Registry) uplinksOf(s Signature) []string {
	var ranges []string
	byRange := map[string][]string{}
	for _, b := range r.uplinks {
		if max(s.FreqMinHz, b.LowHz) < min(s.FreqMaxHz, b.HighHz) {
			rg := mhz(b.LowHz) + "–" + mhz(b.HighHz) + " MHz"
			if byRange[rg] == nil {
				ranges = append(ranges, rg)
			}
			byRange[rg] = append(byRange[rg], b.Name)
		}
	}
	names := make([]string, len(ranges))
	for i, rg := range ranges {
		names[i] = strings.Join(byRange[rg], ", ") + " " + rg
	}
	return names
}

// droneWarning says, for an entry with no signature class that is not
// KindAuthorisedDrone and whose band overlaps drone bands of the default
// band plan (bandplan.DroneBands), that it authorises no drone there
// (authorisesClass) and how to authorise one; "" otherwise, and when the
// overlap lies all in cellular bands (a phone's entry, left class-less as
// docs/alerts.md advises). Such an entry
// (a Wi-Fi access point or a CCTV bridge at 2.4 or 5.8 GHz saved with the
// class left empty) authorised every drone, drone video and RC fix in its
// band before; the warning tells its author what it no longer does.
func (r *Registry) droneWarning(e Entry) string {
	s := e.Signature
	if s.Class != "" || e.Kind == KindAuthorisedDrone {
		return ""
	}
	var names []string
	for _, b := range r.drone {
		lo, hi := max(s.FreqMinHz, b.LowHz), min(s.FreqMaxHz, b.HighHz)
		// where the overlap is all in cellular bands (an official phone
		// over E-GSM-900 UL, 880–915 MHz, meets ISM 915 only there), the
		// entry is a phone's, whose class docs/alerts.md says to leave
		// empty: no warning
		if lo < hi && !covered(r.cellular, lo, hi) {
			names = append(names, fmt.Sprintf("%s %s–%s MHz", b.Name, mhz(b.LowHz), mhz(b.HighHz)))
		}
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf("no signature class, and its band %s–%s MHz overlaps drone bands (%s): it authorises no drone-class fix there "+
		"(classes %s: DroneID, drone video, RC controller, analog FPV), so what it sends, when classified as one "+
		"(an alarm pendant or remote as %s), raises a critical drone alert wherever it is located; %s",
		mhz(s.FreqMinHz), mhz(s.FreqMaxHz), strings.Join(names, ", "),
		strings.Join(event.DroneClasses, ", "), event.ClassRCFHSS, droneGapRemedy)
}

// droneGapRemedy is what to do about a class-less entry in a drone band
// (droneWarning, LogDroneGaps). It asks for the entry's rooms or zones
// with the class: until 2026-12-06 it advised "set class rc_fhss" alone,
// and a pendant's entry so changed, naming no places, authorised every
// RC controller in its band on the site, a hostile pilot's outside the
// wall included (droneSiteWarning).
var droneGapRemedy = fmt.Sprintf("set class %s and the rooms or zones where it is used to keep authorising it there as an RC device "+
	"(with no rooms or zones it authorises every RC controller in its band on the site, a hostile drone's included), "+
	"or kind %s with the rooms or zones where the site's own drone flies; "+
	"an access point or bridge names the class it sends (%s)", event.ClassRCFHSS, KindAuthorisedDrone, event.ClassWiFi)

// droneSiteWarning says, for an entry that authorises a drone class (its
// signature names one, or it is KindAuthorisedDrone with no class:
// authorisesClass) and names no rooms or zones, that it authorises every
// drone of that class in its band anywhere on the site, outside the wall
// included (in its weekly hours, when it has some): a hostile drone, or
// its pilot's controller, there on that band raises no alert. "" otherwise.
// Such an entry (the site's inspection drone, authorised_drone over
// 2.4 GHz; alarm pendants given class rc_fhss at 868 MHz) is taken, with
// this warning, as phoneWarning's are: until 2026-12-06 it was taken
// with no word (TestSiteWideDroneEntryWarned).
func droneSiteWarning(e Entry) string {
	if len(e.Rooms) > 0 || len(e.Zones) > 0 {
		return ""
	}
	s := e.Signature
	var cs []string // the drone classes it authorises, as Match does
	for _, c := range event.DroneClasses {
		if e.authorisesClass(c) {
			cs = append(cs, c)
		}
	}
	var what string
	switch len(cs) {
	case 0:
		return ""
	case 1:
		what = "class " + cs[0]
	default:
		what = "classes " + strings.Join(cs, ", ")
	}
	when, names := "at every hour", "rooms, zones or schedule"
	if len(e.Schedule) > 0 {
		when, names = "in its weekly hours", "rooms or zones"
	}
	return fmt.Sprintf("authorises every drone emission of %s in its band %s–%s MHz anywhere on the site, outside the wall included, %s "+
		"(it names no %s): a hostile drone or its pilot's controller there on that band raises no alert; "+
		"give it the rooms or zones where it flies or is used, and its hours",
		what, mhz(s.FreqMinHz), mhz(s.FreqMaxHz), when, names)
}

// LogDroneGaps logs, in one WARN line, every loaded entry that has no
// signature class and a band overlapping a drone band (droneWarning: it
// authorises no drone class, and the default drone rule holds in every
// room), with what to do, and returns how many there are; it logs nothing
// when there are none. Fusion calls it once at start: after the upgrade
// that made class-less entries stop authorising drone classes, a staff
// alarm pendant at 868 MHz classified rc_fhss became a critical drone
// alert wherever it went, and the only sign was a WARN line per entry
// among the start-up lines.
func (r *Registry) LogDroneGaps(ctx context.Context, log *slog.Logger) int {
	r.mu.RLock()
	var names []string
	for _, e := range r.entries {
		if e.Problem == "" && r.droneWarning(e) != "" {
			names = append(names, fmt.Sprintf("%d %q (%s–%s MHz)", e.ID, e.Name, mhz(e.Signature.FreqMinHz), mhz(e.Signature.FreqMaxHz)))
		}
	}
	r.mu.RUnlock()
	if len(names) == 0 {
		return 0
	}
	log.Log(ctx, slog.LevelWarn, "registry: entries with no signature class in a drone band authorise no drone-class fix: "+
		"each of their emissions classified as one raises a critical drone alert wherever it is located",
		"count", len(names), "entries", strings.Join(names, "; "), "remedy", droneGapRemedy)
	return len(names)
}

// covered reports whether bands cover all of [lowHz, highHz].
func covered(bands []bandplan.Band, lowHz, highHz float64) bool {
	for at := lowHz; at < highHz; {
		next := at
		for _, b := range bands {
			if b.LowHz <= at && b.HighHz > next {
				next = b.HighHz
			}
		}
		if next == at {
			return false
		}
		at = next
	}
	return true
}

// mhz is hz in MHz, as short as it is exact (2483.5).
func mhz(hz float64) string { return strconv.FormatFloat(hz/1e6, 'f', -1, 64) }

// Refresh reloads the entries if anything changed them since this Registry
// last read them (another process: fusion and the dashboard each have
// one), and reports whether it did. An entry that does not decode is no
// error: it is listed with its Problem (reload). The error is the
// database's.
func (r *Registry) Refresh(ctx context.Context) (bool, error) {
	var v int64
	if err := r.db.QueryRowContext(ctx, `SELECT v FROM registry_version WHERE id = 1`).Scan(&v); err != nil {
		return false, fmt.Errorf("read registry version: %w", err)
	}
	r.mu.RLock()
	same := v == r.version
	r.mu.RUnlock()
	if same {
		return false, nil
	}
	return true, r.reload(ctx)
}

// Follow calls Refresh every period until ctx ends, and tells report of
// each reload and each error (report may be nil).
func (r *Registry) Follow(ctx context.Context, every time.Duration, report func(reloaded bool, err error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		reloaded, err := r.Refresh(ctx)
		if ctx.Err() != nil {
			return
		}
		if report != nil && (reloaded || err != nil) {
			report(reloaded, err)
		}
	}
}

// Len returns how many entries are loaded (expired ones, and those with
// a Problem, included).
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.entries)
}

// MaxBandHz is the widest frequency range an entry may authorise: a Wi-Fi
// access point's whole 5 GHz band (5150-5895 MHz) fits. Zero bounds are not
// open: an entry with no band, or one wider than this, would authorise
// emissions it was never meant to (one with none authorised every phone
// and drone on the site).
const MaxBandHz = 1e9

// Validate reports the first problem with e, naming the field. Its name
// and notes must be typed text (checkText: no control characters or
// bidirectional overrides, a name that shows something, notes of at most
// MaxNotes characters). The signature must have a band: 0 < freq_min_hz < freq_max_hz <=
// freq_min_hz + MaxBandHz, within what rfwarden's sensors receive
// (hackrf.MinCenterHz..hackrf.MaxCenterHz, 1 MHz to 6 GHz: an entry
// beyond it authorises nothing a sensor hears, and is a unit mistake).
// Its bandwidth bounds are 0 (open) or up to
// event.MaxBandwidthHz, its power bounds nil (open) or within a
// detection's (event.MinPowerDBm..event.MaxPowerDBm), each finite and the
// minimum not above the maximum.
func (e Entry) Validate() error {
	if err := e.checkText(); err != nil {
		return err
	}
	s := e.Signature
	switch {
	case !slices.Contains(Kinds, e.Kind):
		return fmt.Errorf("%w: kind %q is not one of %v", ErrInvalid, e.Kind, Kinds)
	case s.Class != "" && !slices.Contains(event.Classes, s.Class):
		return fmt.Errorf("%w: signature class %q is not one of %v", ErrInvalid, s.Class, event.Classes)
	// The negated comparisons refuse NaN too (CSV numbers may be "NaN").
	case !(s.FreqMinHz > 0):
		return fmt.Errorf("%w: signature freq_min_hz is %v: an entry needs its band, 0 < freq_min_hz < freq_max_hz, at most %v Hz wide", ErrInvalid, s.FreqMinHz, MaxBandHz)
	case s.FreqMinHz < hackrf.MinCenterHz || s.FreqMinHz > hackrf.MaxCenterHz:
		return receivableErr("freq_min_hz", s.FreqMinHz)
	case !(s.FreqMaxHz > s.FreqMinHz):
		return fmt.Errorf("%w: signature freq_max_hz is %v, not above freq_min_hz %v", ErrInvalid, s.FreqMaxHz, s.FreqMinHz)
	case s.FreqMaxHz > hackrf.MaxCenterHz:
		return receivableErr("freq_max_hz", s.FreqMaxHz)
	case !(s.FreqMaxHz-s.FreqMinHz <= MaxBandHz):
		return fmt.Errorf("%w: signature freq_max_hz %v is more than %v Hz above freq_min_hz %v", ErrInvalid, s.FreqMaxHz, MaxBandHz, s.FreqMinHz)
	// A NaN bound compares false and an infinite one bounds nothing, so
	// either authorised any bandwidth or power (CSV numbers may be "NaN"
	// or "Inf"); between is false for NaN.
	case !between(s.BandwidthMinHz, 0, event.MaxBandwidthHz):
		return fmt.Errorf("%w: signature bandwidth_min_hz is %v: need 0..%g Hz (0: no lower bound)", ErrInvalid, s.BandwidthMinHz, event.MaxBandwidthHz)
	case !between(s.BandwidthMaxHz, 0, event.MaxBandwidthHz):
		return fmt.Errorf("%w: signature bandwidth_max_hz is %v: need 0..%g Hz (0: no upper bound)", ErrInvalid, s.BandwidthMaxHz, event.MaxBandwidthHz)
	case s.BandwidthMaxHz > 0 && s.BandwidthMinHz > s.BandwidthMaxHz:
		return fmt.Errorf("%w: signature bandwidth_min_hz %v is above bandwidth_max_hz %v", ErrInvalid, s.BandwidthMinHz, s.BandwidthMaxHz)
	case s.PowerMinDBm != nil && !between(*s.PowerMinDBm, event.MinPowerDBm, event.MaxPowerDBm):
		return fmt.Errorf("%w: signature power_min_dbm is %v: need %g..%g dBm, as a detection's power (left out: no lower bound)", ErrInvalid, *s.PowerMinDBm, event.MinPowerDBm, event.MaxPowerDBm)
	case s.PowerMaxDBm != nil && !between(*s.PowerMaxDBm, event.MinPowerDBm, event.MaxPowerDBm):
		return fmt.Errorf("%w: signature power_max_dbm is %v: need %g..%g dBm, as a detection's power (left out: no upper bound)", ErrInvalid, *s.PowerMaxDBm, event.MinPowerDBm, event.MaxPowerDBm)
	case s.PowerMinDBm != nil && s.PowerMaxDBm != nil && *s.PowerMinDBm > *s.PowerMaxDBm:
		return fmt.Errorf("%w: signature power_min_dbm %v is above power_max_dbm %v", ErrInvalid, *s.PowerMinDBm, *s.PowerMaxDBm)
	case !e.ValidUntil.IsZero() && e.ValidUntil.Before(e.ValidFrom):
		return fmt.Errorf("%w: valid_until is before valid_from", ErrInvalid)
	}
	for i, w := range e.Schedule {
		if err := w.validate(); err != nil {
			return fmt.Errorf("%w: schedule[%d]: %w", ErrInvalid, i, err)
		}
	}
	return nil
}

// validate reports the first field of w out of range, with its value and
// the range: a weekday 0 (Sunday) to 6, a start 0 to 1439 minutes after
// midnight, an end after the start and at most 2880 (the next day's
// midnight). The weekday is printed as a number: time.Weekday's String
// has no name for 9, and fmt printed "%!Weekday(9)".
func (w Window) validate() error {
	switch {
	case w.Weekday < time.Sunday || w.Weekday > time.Saturday:
		return fmt.Errorf("weekday %d: use 0 (Sunday) to 6 (Saturday)", int(w.Weekday))
	case w.StartMin < 0 || w.StartMin >= 24*60:
		return fmt.Errorf("start_min %d: use 0 to %d (minutes after midnight)", w.StartMin, 24*60-1)
	case w.EndMin <= w.StartMin || w.EndMin > 48*60:
		return fmt.Errorf("end_min %d: use %d to %d (minutes after midnight, after start_min %d; past 1440 it runs into the next day)", w.EndMin, w.StartMin+1, 48*60, w.StartMin)
	}
	return nil
}

// receivableErr is the error of a signature's band edge field, hz, that
// lies outside what rfwarden's sensors receive; the value in MHz, in
// exponent form when far out (1e+09 MHz, 1e-306 MHz).
func receivableErr(field string, hz float64) error {
	return fmt.Errorf("%w: signature %s is %s MHz, outside the %s–%s MHz rfwarden's sensors receive (a HackRF One's tuning range; %s is in Hz)",
		ErrInvalid, field, strconv.FormatFloat(hz/1e6, 'g', -1, 64), mhz(hackrf.MinCenterHz), mhz(hackrf.MaxCenterHz), field)
}

// MaxName bounds an entry's Name, in characters (Unicode code points).
const MaxName = 200

// MaxNotes bounds an entry's Notes, in characters (Unicode code points;
// UTF-8 bounds the bytes to four times as many), as an acknowledgement's
// note (event.MaxAckNote) and a search's outcome are bounded.
const MaxNotes = 2000

// checkText refuses e's name and notes unless they are typed text
// (typedtext.Check), read as they are stored (typedtext.Normal: a note's
// "\r\n" is its "\n"): a name of 1..MaxName characters on one line that
// shows something (typedtext.Blank: a zero-width space is no name),
// notes of at most MaxNotes characters, their lines and tabs allowed; no
// other control character and no bidirectional override in either (a
// name that reads otherwise than it holds, an escape sequence written
// raw into the CSV export).
func (e Entry) checkText() error {
	if typedtext.Blank(e.Name) {
		return fmt.Errorf("%w: name is missing (it shows nothing): give 1..%d characters", ErrInvalid, MaxName)
	}
	if err := typedtext.Check(normalName(e.Name), MaxName, false); err != nil {
		return fmt.Errorf("%w: name: %w", ErrInvalid, err)
	}
	if err := typedtext.Check(typedtext.Normal(e.Notes), MaxNotes, true); err != nil {
		return fmt.Errorf("%w: notes: %w", ErrInvalid, err)
	}
	return nil
}

// normalText returns e with its name and notes as they are stored
// (typedtext.Normal: line breaks "\n", the spaces round them trimmed), as
// Add, Update and the CSV import (ParseCSV) take them: a note typed with
// "\r\n" (a browser form's line break) and stored so came back from its
// CSV export as "\n" (encoding/csv reads "\r\n" so), and importing the
// export unedited updated the entry.
func (e Entry) normalText() Entry {
	e.Name, e.Notes = normalName(e.Name), typedtext.Normal(e.Notes)
	return e
}

// normalName is a name as it is stored: typedtext.Normal, and a tab in it
// a space (a name pasted from a spreadsheet carries one; refused as a
// control character, an entry stored with one before names were checked
// would have authorised nothing until an admin saved it again).
func normalName(name string) string {
	return strings.ReplaceAll(typedtext.Normal(name), "\t", " ")
}

// between reports whether lo <= v <= hi; false for NaN.
func between(v, lo, hi float64) bool { return v >= lo && v <= hi }

// check validates e and, where the site is known, the rooms and zones it
// names.
func (r *Registry) check(e Entry) error {
	if err := e.Validate(); err != nil {
		return err
	}
	return r.checkPlaces(e)
}

// checkPlaces reports the rooms and zones e names that the site model has
// not (nil when the registry knows no site): such an entry authorises
// nothing there, so a typo would mean alarms for an authorised device.
func (r *Registry) checkPlaces(e Entry) error {
	if what, _, _ := r.unknownPlaces(e); what != "" {
		return fmt.Errorf("%w: %s not in site %q's model", ErrInvalid, what, r.site.ID)
	}
	return nil
}

// unknownPlaces returns the rooms and zones e names that the site model
// has not, as text (`rooms ["X"] and zones ["Y"]`) and as a list ("room
// X", "zone Y"), and those it names that the model has (none of either
// when the registry knows no site).
func (r *Registry) unknownPlaces(e Entry) (what string, unknown, known []string) {
	if r.site == nil {
		return "", nil, nil
	}
	zones := map[string]bool{}
	for _, rm := range r.site.Rooms {
		zones[rm.Zone] = true
	}
	var badRooms, badZones []string
	for _, id := range e.Rooms {
		if _, ok := r.site.Room(id); !ok {
			badRooms = append(badRooms, id)
			unknown = append(unknown, "room "+id)
		} else {
			known = append(known, id)
		}
	}
	for _, z := range e.Zones {
		if z == "" || !zones[z] {
			badZones = append(badZones, z)
			unknown = append(unknown, "zone "+z)
		} else {
			known = append(known, z)
		}
	}
	var errs []string
	if len(badRooms) > 0 {
		errs = append(errs, fmt.Sprintf("rooms %q", badRooms))
	}
	if len(badZones) > 0 {
		errs = append(errs, fmt.Sprintf("zones %q", badZones))
	}
	return strings.Join(errs, " and "), unknown, known
}

// placesProblem is the Problem of a stored entry that names rooms or
// zones the site model has not (a wing renamed or removed since it was
// saved), and those places; "" and nil when it names none. Such an entry
// authorises nothing in them, as before (a place the model has not is
// never where a detection is located), and still authorises in the places
// it names that the model has: a radio of a renamed wing is unauthorised
// there, but a tablet also registered in a cell that still exists stays
// authorised in it. Making the whole entry authorise nothing would raise
// alarms for devices where they are allowed; the Problem says which
// places, so an admin sees it and saves the entry with the model's names.
// An entry left naming none of the model's places authorises nothing (not
// "anywhere", as one naming no place at all does).
func (r *Registry) placesProblem(e Entry) (string, []string) {
	what, unknown, known := r.unknownPlaces(e)
	if what == "" {
		return "", nil
	}
	if len(known) == 0 {
		return fmt.Sprintf("%s not in site %q's model (renamed or removed since the entry was saved): it names no place the model has, so it authorises nothing; save it with the model's names to fix it",
			what, r.site.ID), unknown
	}
	return fmt.Sprintf("%s not in site %q's model (renamed or removed since the entry was saved): it authorises nothing there, and still authorises in its other places (%s); save it with the model's names to fix it",
		what, r.site.ID, strings.Join(known, ", ")), unknown
}

// List returns every entry, expired ones and those with a Problem
// included, by ID.
func (r *Registry) List(ctx context.Context) ([]Entry, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.entries), nil
}

// Get returns one entry.
func (r *Registry) Get(ctx context.Context, id int64) (Entry, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, e := range r.entries {
		if e.ID == id {
			return e, nil
		}
	}
	return Entry{}, fmt.Errorf("registry entry %d: %w", id, store.ErrNotFound)
}

// Add validates and stores a new entry added by user, and audits it, in
// one transaction: an entry whose audit row cannot be stored is not
// stored either. A live entry (not ended) that is a live one's (the same
// name, case and spacing aside, kind, signature and places: deviceKey)
// is refused, as the CSV import refuses such a row (ErrConflict, naming
// the entry): the check reads the entries as stored in the transaction,
// so of two Adds of one entry at once one is refused. A missing ValidFrom is now on the registry's clock
// (Options.Now). Times are stored in UTC, the name and notes as
// typedtext.Normal makes them (normalText).
func (r *Registry) Add(ctx context.Context, e Entry, user string) (Entry, error) {
	e, err := r.prepareAdd(e, user)
	if err != nil {
		return Entry{}, err
	}
	var added Entry
	if _, err := r.write(ctx, "add registry entry", func(c *change) error {
		live, err := c.liveDevices(ctx, nil)
		if err != nil {
			return fmt.Errorf("add registry entry: %w", err)
		}
		if err := refuseLive(live, e, r.now()); err != nil {
			return err
		}
		added, err = c.insert(ctx, e, user)
		return err
	}); err != nil {
		return Entry{}, err
	}
	return r.asLoaded(added), nil
}

// asLoaded returns e with the Warnings of the registry's loaded copy of
// it, when it holds e as stored (the same Revision): those compare it
// with the other entries (overlapWarning), which a change's own cannot
// before it is committed and loaded. e as it is otherwise (a reload that
// failed).
func (r *Registry) asLoaded(e Entry) Entry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if i := slices.IndexFunc(r.entries, func(l Entry) bool { return l.ID == e.ID }); i >= 0 && r.entries[i].Revision == e.Revision {
		e.Warnings = r.entries[i].Warnings
	}
	return e
}

// prepareAdd returns e as Add stores it (added by user, times in UTC, a
// missing ValidFrom now), or why it may not be.
func (r *Registry) prepareAdd(e Entry, user string) (Entry, error) {
	e = e.normalText()
	e.ValidFrom, e.ValidUntil = e.ValidFrom.UTC(), e.ValidUntil.UTC()
	if e.ValidFrom.IsZero() {
		e.ValidFrom = r.now().UTC()
	}
	e.AddedBy, e.Problem, e.UnknownPlaces = user, "", nil
	if err := r.check(e); err != nil {
		return Entry{}, err
	}
	e.ID, e.Warnings = 0, r.warnings(e)
	return e, nil
}

// Update replaces entry e.ID with e, keeping who added it (user, when
// that is not known), and audits it, in one transaction: a change whose
// audit row cannot be stored is not stored either. An e.Revision other
// than the stored entry's, as read in that transaction, is refused
// (ErrConflict). An update that changes nothing is neither written nor
// audited. A missing ValidFrom is the stored one's, or now on the
// registry's clock when that is missing too (a stored entry that did not
// decode). Times are stored in UTC, the name and notes as
// typedtext.Normal makes them (normalText).
//
// A change that makes the entry a live one's device (the same name, case
// and spacing aside, kind, signature and places: deviceKey), while it is
// live itself, is refused as Add refuses one (ErrConflict, naming the
// other entry), checked in the transaction: two identical live entries,
// of which an admin later expires one while the other goes on
// authorising. An entry that was that device already (two stored before
// Add refused them) may still be changed otherwise, and ended.
func (r *Registry) Update(ctx context.Context, e Entry, user string) (Entry, error) {
	var got Entry
	if _, err := r.write(ctx, fmt.Sprintf("update registry entry %d", e.ID), func(c *change) error {
		var err error
		if got, _, err = c.update(ctx, e, user); err != nil {
			return err
		}
		return c.refuseDuplicates(ctx, nil)
	}); err != nil {
		return Entry{}, err
	}
	return r.asLoaded(got), nil
}

// update is Update in c, but for the check of its device against the
// other live entries, which it leaves to c.refuseDuplicates (adding the
// entry to c.fresh when it became a live device it was not); changed
// reports whether it wrote anything.
func (c *change) update(ctx context.Context, e Entry, user string) (_ Entry, changed bool, _ error) {
	old, before, decoded, err := c.read(ctx, e.ID)
	if err != nil {
		return Entry{}, false, err
	}
	if e.Revision != "" && e.Revision != old.Revision {
		return Entry{}, false, fmt.Errorf("%w: entry %d was changed (revision %s) after it was read (revision %s): read it again and redo the change", ErrConflict, e.ID, old.Revision, e.Revision)
	}
	e = e.normalText()
	e.ValidFrom, e.ValidUntil = e.ValidFrom.UTC(), e.ValidUntil.UTC()
	e.AddedBy, e.Problem, e.UnknownPlaces = old.AddedBy, "", nil
	if e.AddedBy == "" {
		e.AddedBy = user // a stored entry that did not decode: who added it is not known
	}
	if e.ValidFrom.IsZero() {
		e.ValidFrom = old.ValidFrom
	}
	if e.ValidFrom.IsZero() {
		e.ValidFrom = c.r.now().UTC()
	}
	if err := c.r.check(e); err != nil {
		return Entry{}, false, err
	}
	e.Warnings = c.r.warnings(e)
	if string(encode(e)) == before {
		return old, false, nil // the audit trail holds real changes only
	}
	e, err = c.replace(ctx, e, before, user, "registry.update", "update")
	if err != nil {
		return Entry{}, false, err
	}
	now := c.r.now()
	if isLive(e, now) && (!decoded || !isLive(old, now) || keyOf(old) != keyOf(e)) {
		c.fresh = append(c.fresh, e)
	}
	return e, true, nil
}

// Expire revokes entry id from at on (the entry stays, listed as
// expired, until an admin deletes it: Delete), and audits it, in one transaction: an
// expiry whose audit row cannot be stored is not stored either. at is now
// or a time past on the registry's clock (Options.Now): an end to come is
// set as valid_until (Update). An entry not yet started at at is
// cancelled: it ends at its start, valid_from left as it is. Expire only
// ever brings an end forward. It refuses, wrapping ErrInvalid and naming
// the times, a zero at or one after now, an at before the start of an
// entry already in force (moving valid_from back would rewrite what it
// authorised), an entry that already ends by at, and an entry with a
// Problem (it authorises nothing already; an admin fixes it, or retires
// it, by saving it in full with Update). The entry is judged as stored
// in the transaction. A refusal changes and audits nothing.
func (r *Registry) Expire(ctx context.Context, id int64, user string, at time.Time) (Entry, error) {
	if at.IsZero() {
		return Entry{}, fmt.Errorf("%w: expire registry entry %d: no expiry time", ErrInvalid, id)
	}
	var got Entry
	if _, err := r.write(ctx, fmt.Sprintf("expire registry entry %d", id), func(c *change) error {
		var err error
		got, err = c.expire(ctx, id, user, at)
		return err
	}); err != nil {
		return Entry{}, err
	}
	return got, nil
}

// expire is Expire in c.
func (c *change) expire(ctx context.Context, id int64, user string, at time.Time) (Entry, error) {
	e, before, decoded, err := c.read(ctx, id)
	if err != nil {
		return Entry{}, err
	}
	if !decoded {
		return Entry{}, fmt.Errorf("%w: registry entry %d does not decode, so it has no validity to end (it authorises nothing): save it anew, in full, to replace it", ErrInvalid, id)
	}
	if e.Problem != "" && e.UnknownPlaces == nil { // unknown places: it still authorises in the others
		return Entry{}, fmt.Errorf("%w: registry entry %d authorises nothing until it is fixed (%s): save it in full, with a valid_until to retire it", ErrInvalid, id, e.Problem)
	}
	at, now := at.UTC(), c.r.now().UTC()
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	until := at
	switch {
	case at.After(now):
		return Entry{}, fmt.Errorf("%w: expire registry entry %d at %s: that is after now, %s: Expire ends an entry now or from a time past; set its valid_until to end it later", ErrInvalid, id, stamp(at), stamp(now))
	case at.Before(e.ValidFrom) && !e.ValidFrom.After(now):
		return Entry{}, fmt.Errorf("%w: expire registry entry %d at %s: that is before its valid_from %s, and it has been in force since; ending it earlier would rewrite what it authorised", ErrInvalid, id, stamp(at), stamp(e.ValidFrom))
	case at.Before(e.ValidFrom):
		until = e.ValidFrom // not started: cancelled, it never takes effect
	}
	if !e.ValidUntil.IsZero() && !until.Before(e.ValidUntil) {
		return Entry{}, fmt.Errorf("%w: registry entry %d already ends at %s (valid_until), not after %s: Expire never extends an entry", ErrInvalid, id, stamp(e.ValidUntil), stamp(until))
	}
	e.ValidUntil = until
	return c.replace(ctx, e, before, user, "registry.expire", "expire")
}

// Delete removes entry id, deleted by user, and audits it
// (registry.delete on registry/ID, with no before or after: the entry's
// earlier audit rows hold what it was, until the audit log's retention
// deletes them), in one transaction: a deletion whose audit row cannot
// be stored is not made. Only an entry that authorises nothing, now or
// later, on the registry's clock (Options.Now) may be deleted: one that
// has ended (valid_until at or before now, or a cancelled one that ends
// at its start), or one whose stored body does not decode or breaks a
// rule (its Problem, other than unknown places: it authorises nothing
// already). Deleting any other would end an authorisation without an
// expiry in the audit trail, and at one click make its device an alarm
// wherever it goes; such a deletion is refused, wrapping ErrInForce and
// naming its end (expire it first). IDs are never used again (the table's
// AUTOINCREMENT), so the audit trail's registry/ID keeps naming the
// deleted entry alone. The entry is judged as stored in the transaction;
// another process's Registry sees the deletion at its next Refresh.
func (r *Registry) Delete(ctx context.Context, id int64, user string) error {
	_, err := r.write(ctx, fmt.Sprintf("delete registry entry %d", id), func(c *change) error {
		return c.delete(ctx, id, user)
	})
	return err
}

// delete is Delete in c.
func (c *change) delete(ctx context.Context, id int64, user string) error {
	e, _, decoded, err := c.read(ctx, id)
	if err != nil {
		return err
	}
	now := c.r.now().UTC()
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	broken := !decoded || (e.Problem != "" && e.UnknownPlaces == nil)
	ended := !e.ValidUntil.IsZero() && (!e.ValidUntil.After(now) || !e.ValidUntil.After(e.ValidFrom))
	switch {
	case broken || ended:
	case e.ValidUntil.IsZero():
		return fmt.Errorf("%w: delete registry entry %d: it has no end (valid_until) and authorises now or later: expire it first, then delete it", ErrInForce, id)
	default:
		return fmt.Errorf("%w: delete registry entry %d: it authorises until %s (valid_until), after now, %s: expire it first, then delete it", ErrInForce, id, stamp(e.ValidUntil), stamp(now))
	}
	if _, err := c.tx.ExecContext(ctx, `DELETE FROM registry_entry WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete registry entry %d: %w", id, err)
	}
	c.wrote = true
	return c.auditRow(ctx, store.AuditEntry{TimeNS: now.UnixNano(), User: user, Action: "registry.delete", Object: objectName(id)})
}

// History returns the audit trail of entry id, newest first: its changes
// (registry.*), not the reads of it (view.registry), which only the
// audit log shows.
func (r *Registry) History(ctx context.Context, id int64) ([]store.AuditEntry, error) {
	return r.audit.AuditLog(ctx, store.AuditFilter{Object: objectName(id), Prefix: "registry."})
}

// DeletedNames returns the names of the entries deleted (Delete), each
// as its audit trail last stored it before the deletion (the after of its
// newest registry.* row that has one); a deleted entry whose earlier rows
// the audit log's retention has removed is not named. The demo reads it
// so as not to register again a device an admin deleted.
func (r *Registry) DeletedNames(ctx context.Context) (map[string]bool, error) {
	dels, err := r.audit.AuditLog(ctx, store.AuditFilter{Prefix: "registry.delete"})
	if err != nil {
		return nil, fmt.Errorf("read deleted registry entries: %w", err)
	}
	names := map[string]bool{}
	for _, d := range dels {
		trail, err := r.audit.AuditLog(ctx, store.AuditFilter{Object: d.Object, Prefix: "registry.", BeforeID: d.ID})
		if err != nil {
			return nil, fmt.Errorf("read the audit trail of deleted %s: %w", d.Object, err)
		}
		for _, a := range trail { // newest first
			var e Entry
			if a.After != "" && json.Unmarshal([]byte(a.After), &e) == nil {
				names[e.Name] = true
				break
			}
		}
	}
	return names, nil
}

// encode returns e as stored: without Problem and Warnings, which are
// worked out anew at each load.
func encode(e Entry) []byte {
	e.Problem, e.Revision, e.UnknownPlaces, e.Warnings = "", "", nil, nil
	b, _ := json.Marshal(e)
	return b
}

// revisionOf names a stored body: the first 8 bytes of its SHA-256, in hex.
func revisionOf(body string) string {
	h := sha256.Sum256([]byte(body))
	return hex.EncodeToString(h[:8])
}

func objectName(id int64) string { return fmt.Sprintf("registry/%d", id) }

// RoomShare is how likely, against the fix's most likely room, the most
// likely of an entry's rooms must be for the entry to authorise the fix
// there: the share at which alert summaries name another room as nearly as
// likely (alert.RunnerUpShare; a fusion test keeps the two equal).
const RoomShare = 0.5

// FixShare is the least share of a fix's probability (summed over its
// rooms) that an entry's rooms must hold, together, for the entry to
// authorise the fix there (Entry.allows). It comes from the geometry of a
// wing: a fix that cannot tell a cell from the cells beside it spreads
// over the cell and its two neighbours, the most rooms a fix may tie over
// and still name one (store.MaxPlacedTie, 3: the alert's room and the two
// its summary names beside it), each about a third, a little less where
// some spills onto the landing. A quarter, one room's share of a fix
// spread evenly over one room more than that, keeps those and refuses a
// fix that cannot tell many rooms apart: one sensor's ring of ten cells
// at 9% each no longer authorises a tablet registered in one of them.
const FixShare = 1.0 / (store.MaxPlacedTie + 1)

// Place is where localisation put a detection, as matching reads it.
type Place struct {
	Room  string   // the most likely room, "" when not located
	Zones []string // the zones of Room
	// RoomProbs is the fix's probability of each room
	// (locate.Result.RoomProbs); nil or empty when not located, and then
	// Room and Zones alone decide.
	RoomProbs map[string]float64
	// ZoneOf returns a room's zone ("" for none; site.Site.ZoneOf), so
	// that every room of RoomProbs can count for an entry's zones; nil:
	// only Room's Zones do.
	ZoneOf func(room string) string
}

// Match returns the first entry (lowest ID) that authorises detection d,
// located at p, at time at: the signature fits, the room or zone is
// allowed, at lies in the validity window and in the weekly schedule.
// Entries with a Problem authorise nothing, but for those whose only
// problem is rooms or zones the site model has not (UnknownPlaces): they
// authorise in the others (placesProblem).
func (r *Registry) Match(d event.Detection, p Place, at time.Time) (Entry, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, e := range r.entries {
		if (e.Problem == "" || e.UnknownPlaces != nil) && e.Matches(d, p, at, r.loc) {
			return e, true
		}
	}
	return Entry{}, false
}

// StillAuthorises reports whether entry id, as the registry holds it now
// (an entry revoked, expired or edited since is judged as it is now),
// authorises detection d located at p at time at, p being a vague fix of
// a track that a fix of its own the entry authorised moments before
// (fusion keeps the track's authorisation so, for a bounded time): as
// Match does, but p need not hold FixShare of its probability in the
// entry's rooms. It must still not rule them out (RoomShare): a fix one
// sensor made, which cannot tell many cells apart, stays the registered
// device's, but a fix that places it elsewhere is not. An entry with a
// Problem authorises nothing here but as Match lets it.
func (r *Registry) StillAuthorises(id int64, d event.Detection, p Place, at time.Time) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	i := slices.IndexFunc(r.entries, func(e Entry) bool { return e.ID == id })
	if i < 0 {
		return false
	}
	e := r.entries[i]
	return (e.Problem == "" || e.UnknownPlaces != nil) && e.matches(d, p, at, r.loc, false)
}

// Matches reports whether e authorises d located at p at time at, reading
// the weekly schedule in loc.
func (e Entry) Matches(d event.Detection, p Place, at time.Time, loc *time.Location) bool {
	return e.matches(d, p, at, loc, true)
}

// matches is Matches; fixShare false waives FixShare (StillAuthorises).
func (e Entry) matches(d event.Detection, p Place, at time.Time, loc *time.Location, fixShare bool) bool {
	if at.Before(e.ValidFrom) || (!e.ValidUntil.IsZero() && !at.Before(e.ValidUntil)) {
		return false
	}
	if !e.authorisesClass(d.Class) || !e.Signature.fits(d) {
		return false
	}
	if (len(e.Rooms) > 0 || len(e.Zones) > 0) && !e.allows(p, fixShare, event.DroneClass(d.Class)) {
		return false
	}
	return inSchedule(e.Schedule, at.In(loc))
}

// allows reports whether p may be in one of e's rooms or zones. Located
// (RoomProbs), it is when the location neither rules them out nor is too
// vague to tell them from many others. The most likely of e's rooms (its
// Rooms, and the rooms of its Zones) must be at least RoomShare times as
// likely as the most likely room of all: a fix that cannot tell the
// registered cell from the one beside it then leaves the device
// authorised, where the top room alone made a tablet unauthorised
// whenever a vague fix put another cell first; a confident fix elsewhere
// (top 60%, the registered cell 5%) does not. And e's rooms together must
// hold at least FixShare of the fix's probability: a fix that spreads over
// many rooms alike (one sensor heard the emission: "position unknown, 10
// cells alike", 9% each) says nothing of which of them holds the device,
// and authorised every phone on a tablet's band heard that way anywhere
// among them until 2026-12-06. Such a fix of a registered device is
// unauthorised too: that is the price (docs/alerts.md). Not located, p's
// Room or Zones must be e's. fixShare false waives the FixShare rule
// (StillAuthorises).
//
// For a drone class (drone true: DroneID, drone video, RC controller,
// analog FPV) the fix must also tell e's rooms from every room outside
// them: the most likely room outside e's must be under RoomShare times
// the most likely of e's, the share at which an alert's summary names it
// as nearly as likely ("or perimeter PERIM"). The rule above was made for
// a tablet in a cell, where a fix that cannot tell its cell from the next
// costs a false phone alert; for a drone it made a yard-only entry (the
// site's inspection drone) authorise a hostile drone over the perimeter
// strip, and its pilot outside the wall, whenever the yard sensor alone
// heard them ("PERIM 38%, or YARD 38%": most drones are heard by one
// sensor, docs/localisation.md) until 2026-12-06. A false alarm on the
// site's own drone, which staff know is up, costs far less than a missed
// drop (TestYardDroneEntryAuthorisesNoDroneOverPerimeter).
func (e Entry) allows(p Place, fixShare, drone bool) bool {
	inTop := func() bool {
		if p.Room != "" && slices.Contains(e.Rooms, p.Room) {
			return true
		}
		for _, z := range p.Zones {
			if slices.Contains(e.Zones, z) {
				return true
			}
		}
		return false
	}
	if len(p.RoomProbs) == 0 {
		return inTop()
	}
	top := inTop()
	var topP, bestP, otherP, held, total float64
	for room, prob := range p.RoomProbs {
		if !(prob > 0) {
			continue
		}
		total += prob
		topP = max(topP, prob)
		if (room == p.Room && top) || slices.Contains(e.Rooms, room) ||
			(len(e.Zones) > 0 && p.ZoneOf != nil && slices.Contains(e.Zones, p.ZoneOf(room))) {
			held += prob
			bestP = max(bestP, prob)
		} else {
			otherP = max(otherP, prob)
		}
	}
	if drone && otherP >= RoomShare*bestP {
		return false
	}
	return bestP > 0 && bestP >= RoomShare*topP && (!fixShare || held >= FixShare*total)
}

// fits reports whether d lies within s's band, bandwidth and power
// bounds; its class is Entry.authorisesClass's.
func (s Signature) fits(d event.Detection) bool {
	lo, hi := d.CenterHz-d.BandwidthHz/2, d.CenterHz+d.BandwidthHz/2
	// The emission must lie within the signature's frequency range, with a
	// tolerance of a tenth of its bandwidth for measurement error.
	tol := d.BandwidthHz / 10
	if s.FreqMinHz > 0 && lo < s.FreqMinHz-tol {
		return false
	}
	if s.FreqMaxHz > 0 && hi > s.FreqMaxHz+tol {
		return false
	}
	if s.BandwidthMinHz > 0 && d.BandwidthHz < s.BandwidthMinHz {
		return false
	}
	if s.BandwidthMaxHz > 0 && d.BandwidthHz > s.BandwidthMaxHz {
		return false
	}
	if s.PowerMinDBm != nil && d.PowerDBm < *s.PowerMinDBm {
		return false
	}
	if s.PowerMaxDBm != nil && d.PowerDBm > *s.PowerMaxDBm {
		return false
	}
	return true
}

// inSchedule reports whether local time t falls in one of the weekly windows.
// A window may run past midnight (EndMin up to 2880) into the next day.
func inSchedule(ws []Window, t time.Time) bool {
	if len(ws) == 0 {
		return true
	}
	minute := t.Hour()*60 + t.Minute()
	day := t.Weekday()
	prev := (day + 6) % 7
	for _, w := range ws {
		if w.Weekday == day && minute >= w.StartMin && minute < w.EndMin {
			return true
		}
		if w.Weekday == prev && w.EndMin > 24*60 && minute+24*60 < w.EndMin {
			return true
		}
	}
	return false
}
