package store

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// ErrNotFound is returned when a requested record does not exist.
var ErrNotFound = errors.New("store: not found")

// DetectionRecord is a detection as fusion stored it: the sensor's event plus
// where fusion placed it and whether the registry authorised it.
type DetectionRecord struct {
	event.Detection
	Floor    string  `json:"floor,omitempty"`
	Room     string  `json:"room,omitempty"`      // most likely room, "" when not located
	RoomProb float64 `json:"room_prob,omitempty"` // probability of Room
	Track    string  `json:"track,omitempty"`     // emitter track ID
	// Authorised: the emission matched a registry entry. Which entry is
	// not stored (docs/data-protection.md): detections stored before
	// 2026-12-06 hold it in their body as registry_id, which nothing
	// reads, decoding drops, and retention removes with the rows.
	Authorised bool `json:"authorised"`
	// Lead marks the one detection of its emission (the group of
	// detections fusion associated as one transmission, located together)
	// that the heatmap counts: an emission heard by five sensors is one
	// transmission, not five. Fusion marks the group's first detection,
	// whose time is the group's and its location's. Detections stored
	// before 2026-12-05 carry none (see SQLite's upgrade).
	Lead bool `json:"lead,omitempty"`
}

// DefaultPlaceMinProb is the least probability a fix must give its most
// likely room for fusion to store the fix's detections in that room (and
// so count the emission on the heatmap); fusion.Config.PlaceMinProb's default. The
// dashboard outlines no room for a fix below it.
const DefaultPlaceMinProb = 0.1

// TieTolerance is how close, as a share of the larger, two room
// probabilities must be to tie. A weak fix ties rooms exactly but for
// rounding: one sensor and no silences give every grid point whose range
// the transmit-power bounds allow the same likelihood, so every room
// wholly within that range the same probability (the demo's drone
// controller, heard by s5 alone: twelve rooms at 4.42% each, equal to
// 1e-12).
const TieTolerance = 1e-9

// Tied reports whether room probability p ties with top, the larger:
// within TieTolerance of it, as a share of top.
func Tied(p, top float64) bool {
	return p >= top-TieTolerance*top
}

// MaxPlacedTie is how many rooms may tie for a fix's most likely (within
// TieTolerance) for the fix to place its emitter in one of them (Places):
// the alert's room and the two its summary names beside it
// (alert.MaxRunnersUp). Five cells at 20% each cannot all be named, and
// naming one is a coin toss.
const MaxPlacedTie = 3

// WeakPlaceProb and PlaceMargin: a fix whose most likely room is under
// WeakPlaceProb likely (the emitter is then more likely elsewhere) counts
// its emission in that room only when the room is at least PlaceMargin
// times as likely as the next room not tied with it (Counts). On the
// standard wing's evaluations (docs/localisation.md, "A weak fix counts
// only with a margin") fixes under 50% whose top room was under twice the
// next were right less often than wrong, and in the demo one-sensor fixes
// of the LTE B20 phone in L1-S03 were counted in L2-N05 at 11% against 9%.
const (
	WeakPlaceProb = 0.5
	PlaceMargin   = 2.0
)

// Places reports whether a fix whose room probabilities are probs, the
// most likely of the rooms ofRoom accepts (nil: every room) topP likely,
// places its emitter in that room: topP is at least minProb (negative:
// every fix is placed), and no more than MaxPlacedTie rooms ofRoom
// accepts tie with it. It is the rule by which the alert engine names a
// room (alert.Engine, with the rule's room kinds) and the first half of
// Counts, by which fusion stores a fix's detections in its room; until
// 2026-12-05 fusion had no tie rule, and with four cells at 20% the floor
// plan counted one while the alert said "position unknown".
func Places(probs map[string]float64, topP, minProb float64, ofRoom func(id string) bool) bool {
	if minProb < 0 {
		return true
	}
	if topP < minProb {
		return false
	}
	n := 0
	for id, p := range probs {
		if Tied(p, topP) && (ofRoom == nil || ofRoom(id)) {
			n++
		}
	}
	return n <= MaxPlacedTie
}

// Counts reports whether fusion stores the detections of a fix whose room
// probabilities are probs, the most likely topP likely, in that room, so
// that the heatmap and the search list count the emission there: Places
// holds over every room and so does Distinct (negative minProb: every fix
// counts). Until 2026-12-07 a fix at 11% against 9% was counted in the
// 11% room.
func Counts(probs map[string]float64, topP, minProb float64) bool {
	if !Places(probs, topP, minProb, nil) {
		return false
	}
	return minProb < 0 || Distinct(probs, topP, nil)
}

// Distinct reports whether the most likely of the rooms ofRoom accepts
// (nil: every room), topP likely in a fix whose room probabilities are
// probs, stands out from the rest: topP is at least WeakPlaceProb, or at
// least PlaceMargin times the most likely room ofRoom accepts that does
// not tie with it. It is the margin of Counts, and the alert engine asks
// it, over the rule's room kinds, of the fix that first names a phone
// alert's room (alert.Engine).
func Distinct(probs map[string]float64, topP float64, ofRoom func(id string) bool) bool {
	if topP >= WeakPlaceProb {
		return true
	}
	next := 0.0
	for id, p := range probs {
		if !Tied(p, topP) && (ofRoom == nil || ofRoom(id)) {
			next = max(next, p)
		}
	}
	return topP >= PlaceMargin*next
}

// LocationRecord is one localisation of an emitter track.
type LocationRecord struct {
	Site       string             `json:"site"`
	Track      string             `json:"track"`
	Class      string             `json:"class"`
	Link       string             `json:"link"`
	TimeNS     int64              `json:"time_ns"`
	Floor      string             `json:"floor"`
	Room       string             `json:"room"`
	RoomProb   float64            `json:"room_prob"`
	RoomProbs  map[string]float64 `json:"room_probs,omitempty"`
	XM         float64            `json:"x_m"`
	YM         float64            `json:"y_m"`
	SemiMajorM float64            `json:"semi_major_m"` // 95% ellipse
	SemiMinorM float64            `json:"semi_minor_m"`
	AngleRad   float64            `json:"angle_rad"` // of the major axis from +x, counter-clockwise
	Sensors    []string           `json:"sensors,omitempty"`
	Authorised bool               `json:"authorised"`
}

// HeatKind selects the emissions a heatmap counts (by their lead detection).
type HeatKind int

const (
	// HeatAll counts every emission.
	HeatAll HeatKind = iota
	// HeatUnauthorised leaves out emissions the registry authorised.
	HeatUnauthorised
	// HeatTargets counts unauthorised emissions of what fusion may alert
	// on (event.Alertable: a phone off the downlink, a drone): where
	// phones are used, without the mast's downlink, Wi-Fi or unnamed
	// energy.
	HeatTargets
)

// Counts reports whether a heatmap of kind k counts r: its emission's
// lead detection (Lead), of the kind.
func (k HeatKind) Counts(r DetectionRecord) bool {
	if !r.Lead {
		return false
	}
	switch k {
	case HeatUnauthorised:
		return !r.Authorised
	case HeatTargets:
		return !r.Authorised && event.Alertable(r.Class, r.Link)
	}
	return true
}

// String names k as the dashboard's heatmap query does.
func (k HeatKind) String() string {
	switch k {
	case HeatUnauthorised:
		return "unauthorised"
	case HeatTargets:
		return "targets"
	}
	return "all"
}

// HeatBucket is the span a HeatCell counts: a quarter of an hour, so that
// the dashboard can tell the local hour of day of every cell in any site
// zone (every zone's offset from UTC is a whole number of quarter hours:
// Asia/Kolkata +5:30, Asia/Kathmandu +5:45, Australia/Adelaide +9:30 and
// +10:30; clock hours in UTC put local 05:00-05:29 in Kolkata under 4).
const HeatBucket = 15 * time.Minute

// HeatCell counts emissions (located transmissions, each once however
// many sensors heard it: DetectionRecord.Lead) in one room over one
// HeatBucket.
type HeatCell struct {
	Room  string    `json:"room"`
	Start time.Time `json:"start"` // UTC, truncated to HeatBucket
	Count int64     `json:"count"`
}

// TimeSeries holds the high-volume history: detections, locations, sensor
// health and spectrum summaries. It is implemented over InfluxDB 1.8 and over
// SQLite (when no InfluxDB is configured); one conformance test runs against both.
type TimeSeries interface {
	WriteDetections(ctx context.Context, recs []DetectionRecord) error
	WriteLocations(ctx context.Context, recs []LocationRecord) error
	WriteHealth(ctx context.Context, recs []event.Health) error
	WriteSpectrum(ctx context.Context, recs []event.Spectrum) error
	// Flush blocks until everything written so far is durable in the backend.
	Flush(ctx context.Context) error

	// Heatmap counts the emissions of kind (their lead detections) per
	// room and HeatBucket in [from, to).
	Heatmap(ctx context.Context, site string, from, to time.Time, kind HeatKind) ([]HeatCell, error)
	// Detections returns detections in [from, to), newest first, at most limit.
	Detections(ctx context.Context, site string, from, to time.Time, limit int) ([]DetectionRecord, error)
	// Locations returns locations in [from, to), newest first, at most limit.
	Locations(ctx context.Context, site string, from, to time.Time, limit int) ([]LocationRecord, error)
	// HealthSeries returns one sensor's health reports in [from, to), oldest first.
	HealthSeries(ctx context.Context, site, sensor string, from, to time.Time) ([]event.Health, error)
	Close() error
}

// MaxIDs is the most IDs one DetectionsByID call takes (an alert keeps at
// most 50 evidence detections, an incident a few hundred).
const MaxIDs = 1000

// AlertFilter selects alerts; zero fields match everything.
type AlertFilter struct {
	Site     string
	State    string // pending, firing, resolved
	Severity string
	Rule     string
	Zone     string
	Since    time.Time // updated at or after Since; zero: no start
	Until    time.Time // updated before Until; zero: no end
	Unacked  bool
	Limit    int
}

// IncidentFilter selects a site's incidents by when they were last
// updated: at or after Since, before Until (zero: no end), at most Limit
// (the store's most for 0), and by State.
type IncidentFilter struct {
	Site  string // "" for every site
	State string // IncidentOpen, IncidentClosed; "" for both
	Since time.Time
	Until time.Time
	Limit int
}

// Incident links alerts and detections that belong to one event, such as a
// drone drop followed by a new phone inside.
type Incident struct {
	ID         string   `json:"id"`
	Site       string   `json:"site"`
	Kind       string   `json:"kind"` // e.g. "drone_drop", "illicit_phone"
	Summary    string   `json:"summary"`
	State      string   `json:"state"` // open, closed
	OpenedNS   int64    `json:"opened_ns"`
	UpdatedNS  int64    `json:"updated_ns"`
	Alerts     []string `json:"alerts"`
	Detections []string `json:"detections"`
	Rooms      []string `json:"rooms,omitempty"`
	// DroneAlerts are, of a drone_drop incident, its alerts raised by a
	// drone rule (whatever their class: a rule may watch any), not those
	// of the phones that joined it: closing the case acknowledges these.
	// Incidents stored before 2026-12-05 have none.
	DroneAlerts []string `json:"drone_alerts,omitempty"`
	// Continues is, of a case fusion opened for the firing alerts of a
	// case retention deleted (alert_days after staff closed it, while
	// they still fired), that case's ID, as long as no other alert has
	// joined it: fusion closes it once they have all resolved, as the
	// deleted case, closed, would have stayed. Empty for any other case,
	// and cleared when staff reopen it (ReopenIncident): then it is
	// theirs to close.
	Continues string `json:"continues,omitempty"`
	// The latest closure by staff (CloseIncident): when, by whom, with
	// which outcome (IncidentOutcomes) and note. An incident a new alert
	// joins after it was closed, or that staff reopen (ReopenIncident), is
	// open again, ReopenedNS saying when (and ReopenedBy who, when staff
	// did); the closure fields then tell how it was closed before.
	ClosedNS   int64  `json:"closed_ns,omitempty"`
	ClosedBy   string `json:"closed_by,omitempty"`
	Outcome    string `json:"outcome,omitempty"`
	Note       string `json:"note,omitempty"`
	ReopenedNS int64  `json:"reopened_ns,omitempty"`
	ReopenedBy string `json:"reopened_by,omitempty"`
	// History is every closure and reopening of the incident, oldest
	// first, as the store made them (CloseIncident, ReopenIncident, and a
	// new alert joining a closed case): the closure fields above are only
	// the latest. Incidents closed before 2026-12-07 have none.
	History []IncidentChange `json:"history,omitempty"`
}

// IncidentChange is one closure or reopening of an incident
// (Incident.History): when, by whom (a user, or "fusion" when a new alert
// reopened it), Action (IncidentClosed, or IncidentReopened), the outcome
// of a closure (IncidentOutcomes) and the note: the closure's, or why the
// case was reopened.
type IncidentChange struct {
	AtNS    int64  `json:"at_ns"`
	By      string `json:"by"`
	Action  string `json:"action"`
	Outcome string `json:"outcome,omitempty"`
	Note    string `json:"note,omitempty"`
}

// Incident states.
const (
	IncidentOpen   = "open"
	IncidentClosed = "closed"
)

// IncidentReopened is the Action of an IncidentChange that opened a
// closed incident again.
const IncidentReopened = "reopened"

// IncidentOutcomes are the outcomes an incident can be closed with: the
// device or package was found; searched and nothing found; no contraband
// (a false alarm); an authorised device (its registry entry to be added);
// anything else (the note says what).
var IncidentOutcomes = []string{"found", "not_found", "false_alarm", "authorised", "other"}

// ErrClosed is returned by CloseIncident for an incident already closed.
var ErrClosed = errors.New("store: already closed")

// ErrOpen is returned by ReopenIncident for an incident that is open.
var ErrOpen = errors.New("store: not closed")

// AlertStore keeps alerts and incidents (SQLite).
type AlertStore interface {
	// UpsertAlert stores a by ID, replacing an older state of the same alert.
	UpsertAlert(ctx context.Context, a event.Alert) error
	Alert(ctx context.Context, id string) (event.Alert, error)
	Alerts(ctx context.Context, f AlertFilter) ([]event.Alert, error)
	// Ack records an acknowledgement and returns the updated alert.
	Ack(ctx context.Context, id, user, note string, at time.Time) (event.Alert, error)
	// UpsertIncident stores inc by ID. Its state, closure, reopening and
	// History are the store's: those inc carries (a copy fusion took back
	// from the store) are ignored. A closure stored for it (by
	// CloseIncident) is kept, and stands unless inc was updated after it
	// and lists an alert the stored incident does not (a new alert joined
	// the case: it is open again). A write after the closure that brings
	// only more detections (its alerts' later evidence) leaves the closed
	// incident as it is.
	UpsertIncident(ctx context.Context, inc Incident) error
	// CloseIncident closes an open incident with one of IncidentOutcomes,
	// adding the closure to its History, and returns it (ErrNotFound,
	// ErrClosed).
	CloseIncident(ctx context.Context, id, user, outcome, note string, at time.Time) (Incident, error)
	// ReopenIncident opens a closed incident again, by user at at (a case
	// closed in error, or to close it with another outcome), keeping its
	// closure for the record and note (why) in its History, and returns
	// it (ErrNotFound, ErrOpen).
	ReopenIncident(ctx context.Context, id, user, note string, at time.Time) (Incident, error)
	Incident(ctx context.Context, id string) (Incident, error)
	Incidents(ctx context.Context, f IncidentFilter) ([]Incident, error)
}

// LastFixStore is an AlertStore that can store the last fix of an open
// alert alone (event.Alert.LastFixNS), without writing the rest of it
// (SQLite): fusion keeps a live alert's last fix in the store between
// its writes, at most every fraction of its rule's reannounce_after, and
// when it stops, for a restarted fusion to judge a drone's gap by.
type LastFixStore interface {
	// StoreLastFix stores lastFixNS as the last fix of alert id when the
	// store holds it open (pending or firing) with an earlier one (or
	// none); else it leaves it as it is. It changes nothing else of the
	// alert: not its updated_ns, nor an acknowledgement stored meanwhile.
	StoreLastFix(ctx context.Context, id string, lastFixNS int64) error
}

// IncidentUpdater is an AlertStore that can store an incident only over
// the one it holds (SQLite): fusion writes an incident it has stored
// once so, and an incident the store no longer holds was deleted (by
// retention, alert_days after it was closed, or by rfwarden erase), not
// brought back as a new, open case with no closure or History, as
// UpsertIncident would (it cannot tell an incident never stored from one
// deleted).
type IncidentUpdater interface {
	// UpdateIncident stores inc as UpsertIncident does when the store
	// holds an incident of its ID; else it stores nothing and returns
	// ErrNotFound.
	UpdateIncident(ctx context.Context, inc Incident) error
}

// Maintenance is a sensor taken out of service by staff (an engineer at
// work on the node, a planned power cut) from FromNS until UntilNS: fusion
// raises no new sensor alert for it (offline, not heard, health, clock)
// while it lasts.
type Maintenance struct {
	Site    string `json:"site"`
	Sensor  string `json:"sensor"`
	FromNS  int64  `json:"from_ns"`
	UntilNS int64  `json:"until_ns"`
	By      string `json:"by"`
	Reason  string `json:"reason"`
}

// MaintenanceStore keeps the sensors' maintenance windows (SQLite).
type MaintenanceStore interface {
	// SetMaintenance stores m, replacing any window of the same sensor.
	SetMaintenance(ctx context.Context, m Maintenance) error
	// EndMaintenance ends sensor's window (ErrNotFound when it has none
	// that lasts past at).
	EndMaintenance(ctx context.Context, site, sensor string, at time.Time) error
	// Maintenance returns the site's windows that last past at, by sensor.
	Maintenance(ctx context.Context, site string, at time.Time) ([]Maintenance, error)
}

// AuditEntry is one audited action: who did what to which object, with the
// object's state before and after as JSON ("" when none).
type AuditEntry struct {
	ID     int64  `json:"id"`
	TimeNS int64  `json:"time_ns"`
	User   string `json:"user"`
	Action string `json:"action"` // e.g. "registry.add", "alert.ack", "login", "view.heatmap"
	Object string `json:"object"` // e.g. "registry/12", "alert/abc"
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
	// Addr is the client address the action came from (a dashboard
	// request's), "" when none: the console, fusion, a row written before
	// the audit log kept addresses.
	Addr string `json:"addr,omitempty"`
}

// AuditFilter selects audit entries; zero fields match everything.
type AuditFilter struct {
	User   string
	Object string // exact match
	Prefix string // action prefix, e.g. "registry."
	Since  time.Time
	Until  time.Time // rows before it
	// BeforeID keeps the rows of lower IDs (older: IDs grow), for paging
	// back from the last row of a page.
	BeforeID int64
	Limit    int
}

// auditAddrKey is the context key of WithAuditAddr.
type auditAddrKey struct{}

// WithAuditAddr returns ctx carrying addr, the client address of the
// request it serves: an audit row written under it that names no Addr
// records addr (a registry change made through the dashboard is audited
// by the registry, which knows no request).
func WithAuditAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, auditAddrKey{}, addr)
}

// AuditAddr returns the client address WithAuditAddr put in ctx, "" when
// none.
func AuditAddr(ctx context.Context) string {
	a, _ := ctx.Value(auditAddrKey{}).(string)
	return a
}

// Auditor appends to and reads the audit log (SQLite). Entries are never changed.
type Auditor interface {
	Audit(ctx context.Context, e AuditEntry) error
	AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}

// NewestFirst orders detections as both stores return them: newest
// first, then by ID, then by sensor.
func NewestFirst(out []DetectionRecord) {
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].TimeNS != out[j].TimeNS {
			return out[i].TimeNS > out[j].TimeNS
		}
		if out[i].ID != out[j].ID {
			return out[i].ID < out[j].ID
		}
		return out[i].Sensor < out[j].Sensor
	})
}
