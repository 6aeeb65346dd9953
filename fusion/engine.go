package fusion

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/fusion/locate"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/retrylog"
)

// Authorizer tells whether a detection, located at a place (its most likely
// room and the probability of each), is an authorised device (implemented
// by *registry.Registry).
type Authorizer interface {
	Match(d event.Detection, p registry.Place, at time.Time) (registry.Entry, bool)
}

// trackAuthorizer is an Authorizer that also says whether the entry that
// authorised a track by a fix of its own still authorises a later, vague
// fix of the track (implemented by *registry.Registry,
// StillAuthorises). With an Authorizer that lacks it every fix is judged
// alone.
type trackAuthorizer interface {
	StillAuthorises(id int64, d event.Detection, p registry.Place, at time.Time) bool
}

var _ trackAuthorizer = (*registry.Registry)(nil)

// AuthorisedTrackHold is how long after a fix the registry authorised
// on its own (Authorizer.Match) a track's later vague fixes stay
// authorised by the same entry (trackAuthorizer): fixes whose rooms
// cannot be told apart, the entry's rooms among them but under
// registry.FixShare of the fix, as one sensor alone makes while the
// others are tuned to other bands. A fix that rules the entry's rooms
// out (registry.RoomShare: it places the device elsewhere) ends it, and
// so does any fix the entry does not authorise so. Sensors revisit each
// uplink band every 2-3 s (docs/deploy.md), so a registered device in
// use in its cell is placed again by the sensors around it within a few
// seconds, and each such fix holds the track's authorisation again for
// 30 s: ten revisits, three times the cell rule's 10 s hold. Past it the
// track's fixes are judged alone again.
const AuthorisedTrackHold = 30 * time.Second

// AuthorisedPowerTolDB is how far the power at which a sensor hears a
// vague fix may be from the median of the powers at which it heard the
// track's fixes the registry authorised on its own (within
// AuthorisedTrackHold) for the fix to keep the track's authorisation:
// twice the propagation model's default shadowing (locate.Model,
// ShadowingDB 4 dB). The tracker takes a phone on the registered
// device's very carrier, heard between the device's bursts by one
// sensor, for the device's track (its vague fix is within 12 m plus 30
// m of uncertainty of the device's fixes); heard by that sensor where
// the device is heard, its fix says the same, and nothing tells the two
// apart, but a phone kept faint, or farther off, is heard weaker and
// is judged alone (TestRedPhoneCannotBorrowTabletsAuthorisation).
const AuthorisedPowerTolDB = 8.0

// TimeSeries is the part of store.TimeSeries the engine writes to.
type TimeSeries interface {
	WriteDetections(ctx context.Context, recs []store.DetectionRecord) error
	WriteLocations(ctx context.Context, recs []store.LocationRecord) error
	WriteHealth(ctx context.Context, recs []event.Health) error
}

var _ TimeSeries = store.TimeSeries(nil)

// Config tunes the engine. Zero fields take the defaults on each field.
type Config struct {
	AssocWindow  time.Duration // detections of one emission arrive within this; default 500ms
	FreqTolHz    float64       // extra frequency tolerance for association; default 200 kHz
	TrackGap     time.Duration // a track ends when unheard this long, a phone's not before its alert rules' resolve_after (alert.Config.TrackHold); default 2m
	TrackRadiusM float64       // position continuity of a track; default 12
	LocateEvery  time.Duration // re-locate a track at most this often; 0 = every group
	SeenIDs      int           // detections (sensor and event ID) remembered for idempotency; default 200000
	SeenFile     string        // where seen IDs persist across restarts; "" = memory only
	BatchSize    int           // store records buffered before a write; default 512
	Model        locate.Model  // propagation model
	Alerts       *alert.Config // nil = alert.DefaultConfig()
	Queue        int           // Run's ingest queue: past it messages wait behind it (rfw_fusion_ingest_queue_full_total); default 4096
	TickEvery    time.Duration // Run's tick period; default 1s
	Subscription string        // Run's topic filter; default SiteTopic(site ID)

	// TrackHopSpanHz holds the classes that hop by design, each with the
	// span of its hops: a group of such a class continues a track of its
	// class when the two together span no more. A group of any other class
	// continues a track only on the track's channel: its spectrum touching
	// the spectrum the track's groups cover (FreqTolHz allowed), the two
	// together no wider than the class's widest carrier, and not heard by
	// one sensor in the same capture as the track's latest group apart from
	// it, both detections lasting two LTE symbols or more
	// (docs/localisation.md, "Tracks"). nil = Bluetooth and RC
	// controllers 83.5 MHz (the 2.4 GHz ISM band), DroneID and drone video
	// 125 MHz (5725-5850 MHz).
	TrackHopSpanHz map[string]float64

	// MaxAhead: Handle refuses (dead letter, reason "time") a detection
	// stamped more than this ahead of the engine's clock (Deps.Clock, the
	// demo's simulated clock included). Default MaxAheadFactor times the
	// largest max_offset of the sensor_clock alert rules, and at least
	// MinMaxAhead (30 s): a sensor whose clock runs that far ahead of the
	// others' is already alarmed, but a central host whose own clock lags
	// the nodes' by a second must not lose every detection. One stamped in
	// 2200 made a track and an alert that never expired and swallowed every
	// later detection of its channel. Negative disables.
	MaxAhead time.Duration
	// MaxAge: Handle refuses a detection stamped more than this before the
	// engine's clock (a clock never set: 1970). Default DefaultMaxAge, the
	// store's default history (cmd/rfwarden sets history_days): an older
	// detection would be pruned within the hour. A sensor's outbox
	// (bounded by its disk quota, not by age) sending again after an
	// outage of days is well inside it. Negative disables.
	MaxAge time.Duration

	// Localisation from few sensors (docs/localisation.md).
	// LocateMinSensors is the fewest distinct sensors an emission needs to
	// be located; default 1. With fewer than locate.MinSensors the room
	// probabilities rest on the EIRP bounds and on the sensors that were
	// listening and did not hear it, and are spread accordingly.
	LocateMinSensors int
	// ListenWindow: a sensor that showed it was listening at the emission's
	// frequency within this of the emission and did not hear it counts as
	// silent; default 30s (three health intervals); negative disables
	// negative information. It shows it by a detection within ListenSpanHz
	// (default 2 MHz, the narrowest span a sensor captures) centred on the
	// emission's frequency, a detection with the same band label, or a
	// health report listing a scan band whose range (the report's own
	// scan_bands_hz, which rfwarden sensors send, else ScanBandsHz: band
	// name → [low, high] Hz, for sensors that do not) is around the
	// frequency or whose name is the emission's band label. A band whose
	// range neither gives says nothing about frequencies: conservative,
	// fewer silences.
	ListenWindow time.Duration
	ListenSpanHz float64
	// SilentMaxRevisit: a listening sensor whose last health report gives
	// the band a revisit time longer than this does not count as silent
	// (it was likely tuned elsewhere while the group's detections could
	// join it). Default twice AssocWindow, the span of detection times one
	// group takes; negative disables the check. Nor does one whose revisit
	// time is longer than the emission has been heard (since its track's
	// first group, or since it was heard again after SilentMaxRevisit plus
	// AssocWindow unheard; the group's AssocWindow included): it may not
	// have come back to the band since the handset came on.
	SilentMaxRevisit time.Duration
	// PowerWindow: the power a sensor reports for a located emission is
	// the median of its detections of the same track within this before
	// the group (the group's own included), so one biased reading does not
	// move the location: a fragment of a few detector frames at a dwell's
	// edge reads several dB low (its edge frames are part noise). Default
	// 5s; negative disables. Used only when the group's class and frequency
	// match exactly one track (two phones on one channel share no history).
	PowerWindow time.Duration
	// BorrowWindow: a group is located with, besides its own detections,
	// each other sensor's median power over its detections of the same
	// class, link and channel within this of the group (borrow.go): sensors
	// that scan seldom hear one handset within the same AssocWindow.
	// Default 3s (a scan revisit); negative disables. Not for drones.
	BorrowWindow time.Duration
	// AlertSettle: a new phone alert (an unauthorised-uplink rule's) is
	// announced pending this long after its track's first fix, in the
	// room its fixes name then (alert.Engine.SetSettle): a track's first
	// fix has only the sensors tuned to the band in its first half
	// second, and named another room than the later ones often. Its
	// active time stays the first fix's, so it fires no later. Default
	// BorrowWindow (by when every scanning sensor that hears the handset
	// has reported it and its power is lent); negative announces at the
	// first fix, as every phone alert was until 2026-12-06. A new
	// sensor-offline alert waits as long for its sensor to come back
	// (a broker restart's wills) before it is announced.
	AlertSettle time.Duration
	// PlaceMinProb: a located emission's detections are stored in its most
	// likely room (the heatmap's counts, the search list's recent activity)
	// only when the fix gives that room at least this probability and no
	// more than store.MaxPlacedTie rooms tie for most likely (store.Places,
	// the alert engine's rule for naming a room) and, under 50%, that room
	// is at least twice the next (store.Counts); a vaguer fix stores them
	// with no room. Its location record keeps every room's
	// probability, which is what alerts and the search list weigh. Default
	// store.DefaultPlaceMinProb (0.1); negative places every fix. The
	// dashboard must be given the same (dashboard.Deps.PlaceMinProb). A fix from one sensor that says little
	// (a drone's controller outside the walls, heard by the yard sensor
	// alone, 4% on each of 20 rooms) otherwise painted the room that won
	// the tie, one cell of the wing, as the hottest on the floor plan.
	PlaceMinProb float64
	ScanBandsHz  map[string][2]float64
	// NoiseDBmPerMHz is the assumed noise density of a sensor, default
	// -100 dBm/MHz (the simulator's, a HackRF-class front end with ~14 dB
	// noise figure); SensorNoiseDBmPerMHz overrides it per sensor.
	NoiseDBmPerMHz       float64
	SensorNoiseDBmPerMHz map[string]float64
	// DetectSNRDB is the SNR a sensor needs to report; default 6.
	DetectSNRDB float64
	// MissProb is the chance a listening sensor misses an emission it would
	// have heard (off the band at that instant of its scan); default 0.1.
	MissProb float64
	// MaxTxDBmByClass bounds the EIRP by class; nil = handset power
	// classes (gsm 33, umts 24, lte 23, nr 26 dBm), others the model's.
	MaxTxDBmByClass map[string]float64
	// IndoorPriorByClass weights the prior of cells, landings and offices
	// by class; nil = 0.05 for drone broadcasts (droneid, drone_video,
	// fpv_analog), which come from the aircraft outdoors; others 1.
	IndoorPriorByClass map[string]float64
}

func (c Config) withDefaults() Config {
	if c.AssocWindow == 0 {
		c.AssocWindow = 500 * time.Millisecond
	}
	if c.FreqTolHz == 0 {
		c.FreqTolHz = 200e3
	}
	if c.TrackGap == 0 {
		c.TrackGap = 2 * time.Minute
	}
	if c.TrackRadiusM == 0 {
		c.TrackRadiusM = 12
	}
	if c.TrackHopSpanHz == nil {
		c.TrackHopSpanHz = defaultHopSpanHz
	}
	if c.SeenIDs == 0 {
		c.SeenIDs = 200_000
	}
	if c.BatchSize == 0 {
		c.BatchSize = 512
	}
	if c.Queue == 0 {
		c.Queue = 4096
	}
	if c.TickEvery == 0 {
		c.TickEvery = time.Second
	}
	if c.LocateMinSensors == 0 {
		c.LocateMinSensors = 1
	}
	if c.ListenWindow == 0 {
		c.ListenWindow = 30 * time.Second
	}
	if c.PowerWindow == 0 {
		c.PowerWindow = 5 * time.Second
	}
	if c.BorrowWindow == 0 {
		c.BorrowWindow = 3 * time.Second
	}
	if c.AlertSettle == 0 {
		c.AlertSettle = max(c.BorrowWindow, 0)
	}
	if c.PlaceMinProb == 0 {
		c.PlaceMinProb = store.DefaultPlaceMinProb
	}
	if c.SilentMaxRevisit == 0 {
		c.SilentMaxRevisit = 2 * c.AssocWindow
	}
	if c.ListenSpanHz == 0 {
		c.ListenSpanHz = 2e6
	}
	if c.NoiseDBmPerMHz == 0 {
		c.NoiseDBmPerMHz = -100
	}
	if c.DetectSNRDB == 0 {
		c.DetectSNRDB = 6
	}
	if c.MissProb == 0 {
		c.MissProb = locate.DefaultMissProb
	}
	if c.MaxTxDBmByClass == nil {
		c.MaxTxDBmByClass = defaultMaxTxDBm
	}
	if c.IndoorPriorByClass == nil {
		c.IndoorPriorByClass = defaultIndoorPrior
	}
	if c.MaxAhead == 0 {
		ac := alert.DefaultConfig()
		if c.Alerts != nil {
			ac = *c.Alerts
		}
		c.MaxAhead = max(MaxAheadFactor*ac.MaxClockOffset(), MinMaxAhead)
	}
	if c.MaxAge == 0 {
		c.MaxAge = DefaultMaxAge
	}
	return c
}

// MaxAheadFactor times the sensor_clock alert's max_offset, but at least
// MinMaxAhead, is how far ahead of fusion's clock a detection may be
// stamped (Config.MaxAhead).
const (
	MaxAheadFactor = 4
	MinMaxAhead    = 30 * time.Second
)

// DefaultMaxAge is Config.MaxAge's default: 90 days, fusion's default
// history_days.
const DefaultMaxAge = 90 * 24 * time.Hour

// Deps are the engine's collaborators. Site is required; the rest may be nil.
type Deps struct {
	Site       *site.Site
	Authorizer Authorizer
	TimeSeries TimeSeries
	AlertStore store.AlertStore
	// Maintenance, when not nil, holds the sensors' maintenance windows,
	// read every MaintenanceEvery: no sensor alert is raised for a sensor
	// in maintenance.
	Maintenance store.MaintenanceStore
	Publisher   alert.Publisher
	// Keeper, when not nil, is asked to keep the evidence live alerts gain
	// between their publications (alert.Engine.SetKeeper); Publisher asks
	// for the evidence each publication names (KeepPublisher). It is
	// called holding the engine's lock and must not block (AsyncKeeper).
	Keeper     alert.EvidenceKeeper
	Clock      func() time.Time
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// TrackPrefix names this engine's run in its track IDs,
	// "trk-<prefix>-<n>". Default: the engine's start (Clock at New) in
	// base-36 Unix milliseconds, so that a restarted fusion does not give
	// its predecessor's IDs to other emitters. Set it when fusions that
	// write one database may start in the same millisecond, or when Clock
	// starts at the same time each run (a simulation). At most 32 letters,
	// digits, '.', '_' or '-'.
	TrackPrefix string
	// Journal, when not nil, is the durable intake journal (the SQLite
	// store): Run acknowledges a detection message only once it is in it,
	// and replays it at its start (Journal).
	Journal Journal
}

// Message is one MQTT message.
type Message struct {
	Topic   string
	Payload []byte
	// Received is when the message reached fusion, before it waited in
	// Run's queue (zero: when Handle sees it). A sensor's clock is
	// estimated from its health reports' arrival.
	Received time.Time
	// seq is the message's place in the intake journal (Journal), 0 when
	// it has none: its detection pins the journal until it is stored.
	seq int64
}

type metrics struct {
	detections prometheus.Counter
	duplicates prometheus.Counter
	deadLetter *prometheus.CounterVec
	groups     prometheus.Counter
	locations  prometheus.Counter
	dropped    prometheus.Counter
	alerts     *prometheus.CounterVec
	reminders  *prometheus.CounterVec
	moves      *prometheus.CounterVec
	acks       *prometheus.CounterVec
	clock      *prometheus.GaugeVec
	maint      prometheus.Gauge
	// storeDropped counts records dropped after the store failed for
	// maxBuffered batches, by what (detections, locations).
	storeDropped *prometheus.CounterVec
	// invalid counts records dropped because no store can hold them
	// (store.ErrInvalidRecord: a NaN), by what; locateInvalid counts
	// fixes dropped because the locator returned a non-finite value.
	invalid       *prometheus.CounterVec
	locateInvalid prometheus.Counter
	// lost counts, by sensor, the detections fusion never received (a gap
	// in a sensor boot's SEQs, LossGrace old); late those of them that
	// arrived after all (seqgap.go).
	lost, late *prometheus.CounterVec
	// journalReplayed counts the messages replayed from the intake
	// journal at the start; journalFailures its failed appends.
	journalReplayed, journalFailures prometheus.Counter
	// backlog is Engine.Backlog, exported as the gauge backlogGauge.
	backlog      atomic.Int64
	backlogGauge prometheus.GaugeFunc
}

func newMetrics(r prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		detections: prometheus.NewCounter(prometheus.CounterOpts{Name: "rfw_fusion_detections_total", Help: "Detections accepted."}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "rfw_fusion_duplicates_total", Help: "Detections dropped as already seen (by sensor and event ID)."}),
		deadLetter: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rfw_fusion_dead_letter_total", Help: "Messages rejected, by reason."}, []string{"reason"}),
		groups:     prometheus.NewCounter(prometheus.CounterOpts{Name: "rfw_fusion_groups_total", Help: "Associated emissions."}),
		locations:  prometheus.NewCounter(prometheus.CounterOpts{Name: "rfw_fusion_locations_total", Help: "Localisations."}),
		dropped:    prometheus.NewCounter(prometheus.CounterOpts{Name: "rfw_fusion_ingest_queue_full_total", Help: "Times a message found the ingest queue full and waited (back-pressure; nothing is dropped)."}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rfw_fusion_alerts_total",
			Help: "Alert state changes published, by rule, severity and state (pending, firing, resolved)."}, []string{"rule", "severity", "state"}),
		reminders: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rfw_fusion_alert_reminders_total",
			Help: "Firing alerts published again because nobody had acknowledged them (escalate_after), by rule and severity."}, []string{"rule", "severity"}),
		moves: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rfw_fusion_alert_moves_total",
			Help: "Pending alerts published again in the room their track moved to (at most one every 10 s per alert), by rule and severity."}, []string{"rule", "severity"}),
		acks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rfw_fusion_acks_total",
			Help: "Acknowledgements, by result: published (the alert went out again with it), known (a dashboard announced one fusion had, or for an alert it no longer holds)."}, []string{"result"}),
		clock: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rfw_fusion_sensor_clock_offset_seconds",
			Help: "Each online sensor's clock against fusion's, estimated from its health reports' arrival (positive: ahead; short of the truth by the least delay of its last six reports)."}, []string{"sensor"}),
	}
	m.storeDropped = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rfw_fusion_store_dropped_total",
		Help: "Records dropped because the store kept failing (the newest are kept for the next try), by what."}, []string{"what"})
	m.maint = prometheus.NewGauge(prometheus.GaugeOpts{Name: "rfw_fusion_sensors_in_maintenance",
		Help: "Sensors in a maintenance window (no sensor alerts raised for them), as fusion last read them."})
	m.invalid = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rfw_fusion_store_invalid_total",
		Help: "Records dropped because no store can hold them (a NaN or infinite value), by what; the rest of their batch is written."}, []string{"what"})
	m.locateInvalid = prometheus.NewCounter(prometheus.CounterOpts{Name: "rfw_fusion_locate_invalid_total",
		Help: "Fixes dropped because the locator returned a non-finite position, angle or room probability (the emission's detections are stored unlocated)."})
	m.lost = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rfw_fusion_detections_lost_total",
		Help: "Detections fusion never received, by sensor: missing from a sensor boot's sequence numbers for 2 minutes (fusion.LossGrace) after a later one arrived."}, []string{"sensor"})
	m.late = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rfw_fusion_detections_late_total",
		Help: "Detections counted in rfw_fusion_detections_lost_total that arrived after all, by sensor."}, []string{"sensor"})
	m.journalReplayed = prometheus.NewCounter(prometheus.CounterOpts{Name: "rfw_fusion_journal_replayed_total",
		Help: "Detection messages handled again at the start from the intake journal: acknowledged to the broker, maybe not stored, when fusion last stopped without a flush (kill -9, power cut); those the store held already count as duplicates."})
	m.journalFailures = prometheus.NewCounter(prometheus.CounterOpts{Name: "rfw_fusion_journal_append_failures_total",
		Help: "Appends to the intake journal that failed (disk full, database locked): their detections are handled and acknowledged without it, so a kill -9 before they are stored loses them."})
	m.backlogGauge = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rfw_fusion_backlog_messages",
		Help: "Messages received and not yet handled (the ingest queue, those waiting behind it, the one in hand), all unacknowledged; /healthz is degraded past 8192 (fusion.BacklogDegraded)."},
		func() float64 { return float64(m.backlog.Load()) })
	for _, c := range []prometheus.Collector{m.detections, m.duplicates, m.deadLetter, m.groups, m.locations, m.dropped, m.alerts, m.reminders, m.moves, m.acks, m.clock, m.maint, m.storeDropped, m.invalid, m.locateInvalid, m.lost, m.late, m.journalReplayed, m.journalFailures, m.backlogGauge} {
		if err := r.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}

// zero makes every labelled counter's series whose label values are
// known at start, at 0: the dead-letter reasons, each rule's alerts (by
// state), reminders and moves, both ack results, and what the store
// drops. Prometheus' increase() needs a series before its first
// increment; one that appeared at 1 showed no increase, so the first
// dead letter or reminder paged nobody.
func (m *metrics) zero(rules []alert.Rule) {
	for _, r := range deadLetterReasons {
		m.deadLetter.WithLabelValues(r)
	}
	for _, r := range rules {
		for _, st := range []string{event.AlertPending, event.AlertFiring, event.AlertResolved} {
			m.alerts.WithLabelValues(r.Name, r.Severity, st)
		}
		m.reminders.WithLabelValues(r.Name, r.Severity)
		m.moves.WithLabelValues(r.Name, r.Severity)
	}
	for _, r := range []string{"published", "known"} {
		m.acks.WithLabelValues(r)
	}
	for _, w := range []string{"detections", "locations"} {
		m.storeDropped.WithLabelValues(w)
		m.invalid.WithLabelValues(w)
	}
}

// countingPublisher counts the alert publications by why they were made
// (state changes, reminders, room moves, acknowledgements), then passes them on to
// next (nil: none).
type countingPublisher struct {
	next alert.Publisher
	met  *metrics
}

var _ alert.WhyPublisher = countingPublisher{}

// PublishAlert implements alert.Publisher: a publication of no stated
// reason counts as a state change.
func (p countingPublisher) PublishAlert(ctx context.Context, a event.Alert) error {
	return p.PublishAlertWhy(ctx, alert.WhyState, a)
}

// PublishAlertWhy implements alert.WhyPublisher.
func (p countingPublisher) PublishAlertWhy(ctx context.Context, why alert.Why, a event.Alert) error {
	switch why {
	case alert.WhyReminder:
		p.met.reminders.WithLabelValues(a.Rule, a.Severity).Inc()
	case alert.WhyAck:
		p.met.acks.WithLabelValues("published").Inc()
	case alert.WhyMoved:
		p.met.moves.WithLabelValues(a.Rule, a.Severity).Inc()
	case alert.WhySummary:
		// not counted: its state did not change
	default:
		p.met.alerts.WithLabelValues(a.Rule, a.Severity, a.State).Inc()
	}
	if p.next == nil {
		return nil
	}
	return p.next.PublishAlert(ctx, a)
}

// Engine is the fusion pipeline. Handle and Tick may be called from several
// goroutines; they are serialised.
type Engine struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	locator *locate.Locator
	alerts  *alert.Engine
	seen    *seenSet
	met     *metrics
	zoneOf  map[string]string // room ID -> zone, for the registry's Place

	mu      sync.Mutex
	assoc   associator
	tracker tracker
	listen  listening
	recent  recentDets  // detections other groups may borrow (borrow.go)
	clocks  clockWatch  // the sensors' clock offsets
	hold    brokerHold  // offline statuses held while fusion's broker is away (brokerhold.go)
	losses  lossTracker // gaps in the sensors' SEQs: detections never received (seqgap.go)
	// maintRead is when Tick last read the maintenance windows.
	maintRead time.Time
	detBuf    []store.DetectionRecord
	heldBack  int // records kept after a failed write: the size flush waits for a batch more
	locBuf    []store.LocationRecord
	drops     map[string]*dropLog // by what: the records dropOldestOf dropped and has not logged
	last      []LocatedEmission   // most recent located emissions, for tests and the demo
	// jpins holds, by seenKey, the journal seq of each detection Run
	// journaled that may not be stored yet (journalFloor prunes it);
	// flushes counts the flushes that emptied detBuf.
	jpins   map[string]int64
	flushes uint64
	// alerted holds the IDs of the detections the intake journal's replay
	// found in a stored alert's evidence (journaler.markAlerted): their
	// group's fix is not alerted on again. processGroup deletes them.
	alerted map[string]bool
}

// dropLog rate-limits dropOldestOf's lines for one kind of record: a
// store that keeps failing drops some at every tick.
type dropLog struct {
	rl retrylog.Log
	n  int // records dropped since the last line
}

// LocatedEmission is one associated emission after localisation.
type LocatedEmission struct {
	Track      string
	Class      string
	Time       time.Time
	Result     locate.Result
	Authorised bool
}

// New builds an engine. It loads the seen-ID file when configured.
func New(cfg Config, deps Deps) (*Engine, error) {
	cfg = cfg.withDefaults()
	if deps.Site == nil {
		return nil, errors.New("fusion: Deps.Site is required")
	}
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	if deps.TrackPrefix == "" {
		deps.TrackPrefix = trackPrefix(deps.Clock())
	} else if err := checkTrackPrefix(deps.TrackPrefix); err != nil {
		return nil, fmt.Errorf("fusion: %w", err)
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Registerer == nil {
		deps.Registerer = prometheus.NewRegistry()
	}
	loc, err := locate.New(deps.Site, cfg.Model)
	if err != nil {
		return nil, fmt.Errorf("fusion: %w", err)
	}
	ac := alert.DefaultConfig()
	if cfg.Alerts != nil {
		ac = *cfg.Alerts
	}
	met, err := newMetrics(deps.Registerer)
	if err != nil {
		return nil, fmt.Errorf("fusion: %w", err)
	}
	ae, err := alert.New(ac, deps.Site, deps.AlertStore, countingPublisher{deps.Publisher, met}, deps.Logger)
	if err != nil {
		return nil, fmt.Errorf("fusion: %w", err)
	}
	met.zero(ae.Rules())
	for _, sn := range deps.Site.Sensors {
		met.lost.WithLabelValues(sn.ID)
		met.late.WithLabelValues(sn.ID)
	}
	ae.SetPlaceMinProb(cfg.PlaceMinProb) // an alert names no room the store would not
	// A new phone alert is announced once its track's fixes have had
	// AlertSettle to gather every scanning sensor's power (alert.SetSettle).
	ae.SetSettle(cfg.AlertSettle)
	warnMissingKinds(deps.Logger, ac, deps.Site, cfg.Alerts == nil)
	if deps.Keeper != nil {
		ae.SetKeeper(deps.Keeper)
	}
	e := &Engine{cfg: cfg, deps: deps, log: deps.Logger, locator: loc, alerts: ae, seen: newSeenSet(cfg.SeenIDs), met: met,
		assoc:   associator{window: cfg.AssocWindow, tolHz: cfg.FreqTolHz},
		tracker: tracker{gap: cfg.TrackGap, radiusM: cfg.TrackRadiusM, tolHz: cfg.FreqTolHz, hopSpanHz: cfg.TrackHopSpanHz, prefix: deps.TrackPrefix, hold: ac.TrackHold},
		recent:  recentDets{window: cfg.BorrowWindow, tolHz: cfg.FreqTolHz}, zoneOf: map[string]string{}}
	for _, rm := range deps.Site.Rooms {
		e.zoneOf[rm.ID] = rm.Zone
	}
	if cfg.SeenFile != "" {
		n, err := e.seen.load(cfg.SeenFile)
		if err != nil {
			return nil, fmt.Errorf("fusion: %w", err)
		}
		switch {
		case n.damaged > 0:
			// not an older file (its lines are IDs): its bare-looking
			// lines are damage too
			e.log.Warn("seen file damaged: fusion starts without the detection IDs its damaged lines held, so a detection delivered again across this restart is handled again; the file is written anew when fusion stops",
				"file", cfg.SeenFile, "damaged_lines", n.damaged+n.bare, "ids_used", n.used)
		case n.bare > 0:
			e.log.Warn("seen IDs saved before detections were told apart by sensor are not used: a detection delivered again across this restart is handled again",
				"file", cfg.SeenFile, "ids", n.bare)
		}
	}
	return e, nil
}

// Alerts returns the alert engine (for acknowledgements and zone status).
func (e *Engine) Alerts() *alert.Engine { return e.alerts }

// Locator returns the engine's locator.
func (e *Engine) Locator() *locate.Locator { return e.locator }

// ErrRejected is wrapped by errors for messages that were dead-lettered.
var ErrRejected = errors.New("message rejected")

// deadLetterReasons are the reasons reject counts a dead letter under,
// each counted at 0 from the start (newMetrics): a Prometheus increase()
// rule sees a series only from its first sample, so a counter that first
// appeared at 1 never showed an increase and its first dead letter paged
// nobody. A new reason goes here.
var deadLetterReasons = []string{"topic", "site", "sensor", "decode", "mismatch", "time", "kind", "ack"}

func (e *Engine) reject(reason string, err error) error {
	e.met.deadLetter.WithLabelValues(reason).Inc()
	return &rejection{reason: reason, err: err}
}

// rejection is the error of a dead letter: its reason (deadLetterReasons)
// and why. It is ErrRejected (errors.Is).
type rejection struct {
	reason string
	err    error
}

func (r *rejection) Error() string {
	return fmt.Sprintf("%v (%s): %v", ErrRejected, r.reason, r.err)
}

func (r *rejection) Unwrap() []error { return []error{ErrRejected, r.err} }

// Handle processes one message. Bad messages are counted as dead letters and
// returned as an error wrapping ErrRejected; duplicates return nil.
func (e *Engine) Handle(ctx context.Context, msg Message) error {
	if msg.Topic == event.AckTopic(e.deps.Site.ID) {
		return e.handleAck(ctx, msg.Payload)
	}
	siteID, sensorID, kind, err := event.ParseSensorTopic(msg.Topic)
	if err != nil {
		return e.reject("topic", err)
	}
	if siteID != e.deps.Site.ID {
		return e.reject("site", fmt.Errorf("topic site %q is not %q", siteID, e.deps.Site.ID))
	}
	if kind == event.KindCmd {
		// Fusion's own publication (session markers, keeps), retained:
		// never a dead letter, also that of a sensor since removed from
		// the site file, whose marker the broker sends at every start
		// (it was counted and warned of at each until 2026-12-07).
		return nil
	}
	if _, ok := e.deps.Site.Sensor(sensorID); !ok {
		return e.reject("sensor", fmt.Errorf("sensor %q not in the site model: add it to the site file's sensors: and restart fusion (it reads the site file only when it starts; docs/deploy.md section 3)", sensorID))
	}
	switch kind {
	case event.KindDetection:
		d, err := event.DecodeDetection(msg.Payload)
		if err != nil {
			return e.reject("decode", err)
		}
		if d.Sensor != sensorID || d.Site != siteID {
			return e.reject("mismatch", fmt.Errorf("payload %s/%s differs from topic %s/%s", d.Site, d.Sensor, siteID, sensorID))
		}
		if err := e.checkTime(d.TimeNS); err != nil {
			e.mu.Lock()
			e.arrivedLocked(d) // received: not lost
			e.mu.Unlock()
			return e.reject("time", fmt.Errorf("detection %q of sensor %s: %w", d.ID, d.Sensor, err))
		}
		return e.handleDetection(ctx, d, msg.seq)
	case event.KindHealth:
		h, err := event.DecodeHealth(msg.Payload)
		if err != nil {
			return e.reject("decode", err)
		}
		if h.Sensor != sensorID || h.Site != siteID {
			return e.reject("mismatch", fmt.Errorf("payload %s/%s differs from topic %s/%s", h.Site, h.Sensor, siteID, sensorID))
		}
		now, recv := e.deps.Clock(), msg.Received
		if recv.IsZero() {
			recv = now
		}
		e.mu.Lock()
		e.listen.health(h, e.cfg.ScanBandsHz)
		offset, estimated := e.clocks.observe(h.Sensor, time.Unix(0, h.TimeNS), recv)
		rel, known := e.clocks.relative(h.Sensor, now)
		e.mu.Unlock()
		if estimated {
			e.met.clock.WithLabelValues(h.Sensor).Set(offset.Seconds())
		}
		var errs []error
		if e.deps.TimeSeries != nil {
			errs = append(errs, e.deps.TimeSeries.WriteHealth(ctx, []event.Health{h}))
		}
		errs = append(errs, e.alerts.ObserveHealth(ctx, h, now), e.alerts.ObserveClock(ctx, h.Sensor, rel, known, e.refusal(offset, estimated), now))
		return errors.Join(errs...)
	case event.KindStatus:
		s := string(msg.Payload)
		if s != event.StatusOnline && s != event.StatusOffline {
			return e.reject("decode", fmt.Errorf("status %q is not online or offline", truncate(s, 32)))
		}
		now := e.deps.Clock()
		held := false
		e.mu.Lock()
		if s == event.StatusOffline {
			e.listen.forget(sensorID)
			e.clocks.forget(sensorID)
			held = e.statusOffline(sensorID, now)
		} else {
			e.statusOnline(sensorID)
		}
		e.mu.Unlock()
		if s == event.StatusOffline {
			e.met.clock.DeleteLabelValues(sensorID)
		}
		if held {
			return nil
		}
		return e.alerts.ObserveStatus(ctx, sensorID, s, now)
	case event.KindSpectrum:
		return nil // not fusion's business
	}
	return e.reject("kind", fmt.Errorf("topic kind %q unknown", truncate(kind, 32)))
}

// checkTime refuses a time stamp more than MaxAhead ahead of the engine's
// clock or more than MaxAge behind it, saying how far and what to do.
func (e *Engine) checkTime(ns int64) error {
	at := time.Unix(0, ns).UTC()
	d := at.Sub(e.deps.Clock())
	way, limit := e.timeBounds(d)
	if way == "" {
		return nil
	}
	return fmt.Errorf("time_ns %d (%s) is %v %s fusion's clock, more than %v: the sensor's clock is wrong, or fusion's: %s", ns, at.Format(time.RFC3339Nano), d.Abs().Round(time.Millisecond), way, limit, clockAdvice)
}

// clockAdvice says what to do about a clock fusion finds wrong
// (docs/deploy.md, Clocks).
const clockAdvice = "check the NTP client of the sensor's node and of fusion's host (chronyc tracking, or timedatectl timesync-status; docs/deploy.md, Clocks)"

// timeBounds says whether a time stamp d ahead of the engine's clock
// (negative: behind) is out of checkTime's bounds: "ahead of" or "behind",
// and the bound it is past (MaxAhead, MaxAge); "" within them.
func (e *Engine) timeBounds(d time.Duration) (way string, limit time.Duration) {
	switch {
	case e.cfg.MaxAhead > 0 && d > e.cfg.MaxAhead:
		return "ahead of", e.cfg.MaxAhead
	case e.cfg.MaxAge > 0 && d < -e.cfg.MaxAge:
		return "behind", e.cfg.MaxAge
	}
	return "", 0
}

// refusal says how a sensor whose clock is offset from the engine's by
// its estimate (clockWatch.observe) stands against checkTime's bounds, for
// its sensor-clock alert (alert.Engine.ObserveClock, which says fusion
// refuses its detections only well past the bound): the nearer bound, as
// the alert's summary says it, and how far past it the estimate is
// (negative: within it); none when there is no estimate or no bound.
func (e *Engine) refusal(offset time.Duration, estimated bool) alert.ClockRefusal {
	var r alert.ClockRefusal
	if !estimated {
		return r
	}
	for _, b := range []struct {
		way         string
		limit, past time.Duration
	}{{"ahead of", e.cfg.MaxAhead, offset - e.cfg.MaxAhead}, {"behind", e.cfg.MaxAge, -offset - e.cfg.MaxAge}} {
		if b.limit > 0 && (r.Why == "" || b.past > r.Past) {
			r = alert.ClockRefusal{Why: fmt.Sprintf("stamped more than %v %s fusion's clock", b.limit, b.way), Past: b.past}
		}
	}
	return r
}

// handleAck publishes again, with its acknowledgement, an alert a
// dashboard has acknowledged (alert.Engine.Acknowledged).
func (e *Engine) handleAck(ctx context.Context, payload []byte) error {
	n, err := event.DecodeAck(payload)
	if err != nil {
		return e.reject("decode", fmt.Errorf("ack: %w", err))
	}
	if n.Site != e.deps.Site.ID {
		return e.reject("mismatch", fmt.Errorf("ack of site %q on site %q's topic", n.Site, e.deps.Site.ID))
	}
	published, err := e.alerts.Acknowledged(ctx, n)
	switch {
	case errors.Is(err, alert.ErrAckNotStored), errors.Is(err, alert.ErrAckUnknown):
		return e.reject("ack", err)
	case err == nil && !published: // a publication is counted as it goes out
		e.met.acks.WithLabelValues("known").Inc()
	}
	return err
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// HandleDetection processes one decoded, validated detection. A
// detection whose sensor and ID were seen already (QoS 1 redelivery) is
// dropped; another sensor's with the same ID is not. It is stored, and
// given as evidence, with its sensor's own stamp; association groups it by
// that stamp corrected for its sensor's clock when fusion knows the clock
// is off the others' (groupTime).
func (e *Engine) HandleDetection(ctx context.Context, d event.Detection) error {
	return e.handleDetection(ctx, d, 0)
}

// handleDetection is HandleDetection for a detection whose message is
// seq in the intake journal (0: none), which it pins until stored.
func (e *Engine) handleDetection(ctx context.Context, d event.Detection, seq int64) error {
	if !e.seen.add(d.Sensor, d.ID) {
		e.met.duplicates.Inc()
		return nil
	}
	e.met.detections.Inc()
	e.mu.Lock()
	defer e.mu.Unlock()
	if seq > 0 {
		if e.jpins == nil {
			e.jpins = map[string]int64{}
		}
		e.jpins[seenKey(d.Sensor, d.ID)] = seq
	}
	e.arrivedLocked(d)
	e.listen.detection(d, e.cfg.ListenSpanHz, e.cfg.ListenWindow)
	at := e.groupTime(d)
	e.recent.add(d, at)
	closed := e.assoc.add(d, at)
	return e.process(ctx, closed)
}

// groupTime returns d's time for association and borrowing: its stamp,
// less its sensor's clock offset from the other sensors' when fusion's
// estimate of it is steady and more than half the association window
// (clockWatch.skew), so a sensor whose clock is seconds behind has its
// detections grouped with the others' of the same emission instead of
// alone, located at the sensor and alerting in its cell. Half the window:
// a skew below it leaves the other half for the spread of the sensors'
// stamps of one emission, and groups as before (the 300 ms ahead of
// TestOneSensorSkewKeepsGroups did); the estimate is good to milliseconds,
// so one above it is the clock, not the network. The offset is the one
// the sensor-clock alert reads, which still fires past its max_offset
// (default 250 ms). Only grouping reads the corrected time: the
// detection stored and given as evidence keeps its own stamp, and a group
// takes the corrected time of the detection that opened it as its time
// (the fix's and the alert's). Caller holds mu.
func (e *Engine) groupTime(d event.Detection) time.Time {
	return d.Time().Add(-e.clocks.skew(d.Sensor, e.deps.Clock(), e.assoc.window/2))
}

// arrivedLocked notes d's SEQ in its sensor boot's (lossTracker), when
// its ID is one a sensor makes. Caller holds mu.
func (e *Engine) arrivedLocked(d event.Detection) {
	boot, seq, ok := event.DetectionSeq(d.Sensor, d.ID)
	if !ok {
		return
	}
	late, lost := e.losses.arrive(d.Sensor, boot, seq, e.deps.Clock().UnixNano())
	if late {
		e.met.late.WithLabelValues(d.Sensor).Inc()
	}
	for _, l := range lost {
		e.met.lost.WithLabelValues(l.sensor).Add(float64(l.n))
	}
}

// DetectionsLost returns the sensors of which fusion counted detections
// it never received since it started (rfw_fusion_detections_lost_total),
// and whether each did within LossRecent: /healthz is degraded meanwhile.
func (e *Engine) DetectionsLost() []SensorLoss {
	now := e.deps.Clock()
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.losses.report(now.UnixNano())
}

// tickLossesLocked counts the SEQs missing for LossGrace as lost and logs
// each sensor's losses, at most once per LossLogEvery. Caller holds mu.
func (e *Engine) tickLossesLocked(now time.Time) {
	for _, l := range e.losses.settle(now.UnixNano()) {
		e.met.lost.WithLabelValues(l.sensor).Add(float64(l.n))
	}
	for _, l := range e.losses.due(now.UnixNano()) {
		e.log.Warn("detections lost: never received by fusion", "sensor", l.sensor, "lost", l.n, "boot", l.boot,
			"first_seq", l.lo, "last_seq", l.hi, "lost_since_start", l.total, "missing_for", LossGrace)
	}
}

// Tick closes groups older than the association window at now, advances
// alert states, and writes buffered records.
func (e *Engine) Tick(ctx context.Context, now time.Time) error {
	e.mu.Lock()
	errs := []error{e.process(ctx, e.assoc.flush(now))}
	e.tracker.expire(now)
	e.tickLossesLocked(now)
	errs = append(errs, e.flushLocked(ctx))
	readMaint := e.deps.Maintenance != nil && (e.maintRead.IsZero() || now.Sub(e.maintRead) >= MaintenanceEvery || now.Before(e.maintRead))
	if readMaint {
		e.maintRead = now
	}
	e.mu.Unlock()
	if readMaint {
		errs = append(errs, e.readMaintenance(ctx, now))
	}
	errs = append(errs, e.tickHold(ctx, now), e.alerts.Tick(ctx, now))
	return errors.Join(errs...)
}

// MaintenanceEvery is how often Tick reads the sensors' maintenance
// windows from Deps.Maintenance (the dashboard writes them there).
const MaintenanceEvery = 5 * time.Second

// readMaintenance hands the windows lasting past now to the alert engine.
// When the store cannot be read the windows known stay.
func (e *Engine) readMaintenance(ctx context.Context, now time.Time) error {
	ms, err := e.deps.Maintenance.Maintenance(ctx, e.deps.Site.ID, now)
	if err != nil {
		return fmt.Errorf("read sensors' maintenance: %w", err)
	}
	until := make(map[string]time.Time, len(ms))
	for _, m := range ms {
		until[m.Sensor] = time.Unix(0, m.UntilNS)
	}
	e.alerts.SetMaintenance(until)
	e.met.maint.Set(float64(len(until)))
	return nil
}

// process locates, authorises and alerts on closed groups. Caller holds mu.
func (e *Engine) process(ctx context.Context, groups []*group) error {
	var errs []error
	for _, g := range groups {
		e.met.groups.Inc()
		errs = append(errs, e.processGroup(ctx, g))
	}
	if len(e.detBuf) >= e.cfg.BatchSize+e.heldBack || len(e.locBuf) >= e.cfg.BatchSize+e.heldBack {
		errs = append(errs, e.flushLocked(ctx))
	}
	return errors.Join(errs...)
}

func (e *Engine) processGroup(ctx context.Context, g *group) error {
	strongest := g.dets[0]
	for _, d := range g.dets[1:] {
		if d.PowerDBm > strongest.PowerDBm {
			strongest = d
		}
	}
	tr := e.tracker.match(g, "", site.Point{}, false, 0)
	var res locate.Result
	located := false
	var rt *track // a track whose position this group may reuse (locate_every)
	if e.cfg.LocateEvery > 0 {
		rt = e.tracker.reusable(tr, g)
	}
	if rt != nil && g.start.Sub(rt.lastLoc) < e.cfg.LocateEvery {
		tr = rt
		res = locate.Result{Floor: tr.floor, Pos: tr.pos}
		for r, p := range tr.roomProbs {
			res.Rooms = append(res.Rooms, locate.RoomProb{Room: r, Prob: p})
		}
		sort.Slice(res.Rooms, func(i, j int) bool { return res.Rooms[i].Prob > res.Rooms[j].Prob })
		located = true
	} else if len(g.dets) >= e.cfg.LocateMinSensors {
		q := e.query(g)
		if e.cfg.PowerWindow > 0 {
			if only := e.tracker.only(g); only != nil {
				only.robustPowers(q.Heard, g, e.cfg.PowerWindow)
			}
		}
		e.recent.lend(&q, g)
		r, err := e.locator.LocateQuery(q)
		if err == nil && !e.finiteFix(g, r) {
			err = errNonFiniteFix
		}
		if err == nil {
			res, located = r, true
			e.met.locations.Inc()
			tr = e.tracker.match(g, r.Floor, r.Pos, true, r.Ellipse.SemiMajorM)
		} else if !errors.Is(err, locate.ErrTooFewSensors) && !errors.Is(err, errNonFiniteFix) {
			e.log.Warn("locate", "err", err)
		}
	}
	if tr == nil {
		tr = e.tracker.newTrack(g)
	}
	tr.heard(g, e.heardPause())
	if e.cfg.PowerWindow > 0 {
		tr.notePowers(g, e.cfg.PowerWindow)
	}
	room, prob := res.Room()
	if located && (res.Pos != tr.pos || !tr.located || tr.lastLoc.IsZero() || g.start.Sub(tr.lastLoc) >= e.cfg.LocateEvery) {
		tr.floor, tr.pos, tr.located, tr.room, tr.roomProb = res.Floor, res.Pos, true, room, prob
		tr.slackM = min(res.Ellipse.SemiMajorM, MaxTrackSlackM)
		tr.roomProbs = res.RoomProbs()
		tr.lastLoc = g.start
	}
	zone := ""
	if room != "" {
		zone = e.deps.Site.ZoneOf(room)
	}
	authorised := false
	if e.deps.Authorizer != nil {
		var zones []string
		if zone != "" {
			zones = []string{zone}
		}
		// Every room of the fix counts: a vague one must not make an
		// authorised device unauthorised because another room came first,
		// nor one of many rooms alike authorise a device of one of them
		// (registry.RoomShare, registry.FixShare).
		// Only that an entry matched is kept, not which: a stored
		// detection names no registry entry (docs/data-protection.md).
		p := registry.Place{Room: room, Zones: zones, RoomProbs: res.RoomProbs(), ZoneOf: func(r string) string { return e.zoneOf[r] }}
		ent, matched := e.matchGroup(g, p)
		authorised = e.trackAuthorised(tr, g, ent, matched, located, p)
	}
	ids := make([]string, len(g.dets))
	sensors := make([]string, len(g.dets))
	placed, placedProb := placement(room, prob, res.RoomProbs(), e.cfg.PlaceMinProb) // the room its detections are counted in
	// alerted: a stored alert names one of them (replayed from the
	// intake journal, journaler.markAlerted).
	alerted := false
	for i, d := range g.dets {
		if e.alerted[d.ID] {
			alerted = true
			delete(e.alerted, d.ID)
		}
		ids[i] = d.ID
		sensors[i] = d.Sensor
		// The first detection of a located emission (its time the group's
		// start, the location's time) is the lead: the heatmap counts the
		// emission once by it. One never located has no room to count in
		// and no lead, as the stores' upgrades (a lead per location) see it.
		e.detBuf = append(e.detBuf, store.DetectionRecord{Detection: d, Floor: res.Floor, Room: placed, RoomProb: placedProb,
			Track: tr.id, Authorised: authorised, Lead: i == 0 && located})
	}
	if !located {
		return nil
	}
	slices.Sort(sensors)
	e.locBuf = append(e.locBuf, store.LocationRecord{Site: e.deps.Site.ID, Track: tr.id, Class: g.class, Link: g.link,
		TimeNS: g.start.UnixNano(), Floor: res.Floor, Room: room, RoomProb: prob, RoomProbs: res.RoomProbs(),
		XM: res.Pos.X, YM: res.Pos.Y, SemiMajorM: finiteOr0(res.Ellipse.SemiMajorM), SemiMinorM: finiteOr0(res.Ellipse.SemiMinorM),
		AngleRad: res.Ellipse.AngleRad, Sensors: sensors, Authorised: authorised})
	le := LocatedEmission{Track: tr.id, Class: g.class, Time: g.start, Result: res, Authorised: authorised}
	if len(e.last) >= 1024 {
		e.last = slices.Delete(e.last, 0, 512)
	}
	e.last = append(e.last, le)
	if alerted {
		return nil
	}
	return e.alerts.ObserveLocation(ctx, alert.Location{Track: tr.id, Class: g.class, Link: g.link, Room: room, Prob: prob,
		RoomProbs: res.RoomProbs(), Pos: res.Pos, Authorised: authorised, Evidence: ids, At: g.start, Label: strongest.Label,
		Band: strongest.Band, FreqHz: g.centerHz, Confidence: strongest.Confidence, Sensors: slices.Compact(slices.Clone(sensors))})
}

// matchGroup returns the registry entry that authorises group g located
// at p (Authorizer.Match), and whether one does: the strongest of its
// reads that is not another's misread decides (authorisingRead). Until
// 2026-12-08 the group's strongest read decided, whatever it was, and a
// sensor beside a staff radio, saturated, read its 16 kHz carrier
// 2.6-7.5 MHz wide: the emission was stored unauthorised with the narrow
// reads of every other sensor, which fitted the radio's entry
// (TestStaffRadioSaturatedReadAuthorised).
func (e *Engine) matchGroup(g *group, p registry.Place) (registry.Entry, bool) {
	var ent registry.Entry
	i := authorisingRead(g.dets, func(_ int, d event.Detection) bool {
		var ok bool
		ent, ok = e.deps.Authorizer.Match(d, p, g.start)
		return ok
	})
	if i < 0 {
		return registry.Entry{}, false
	}
	return ent, true
}

// misreadWidthFactor is how many times wider than another read of the
// same emission a read must be, its band holding that read's, to count as
// its misread (authorisingRead): a sensor that the emission saturates
// spreads a 16 kHz TETRA carrier, which the demo's sensors read 229 kHz
// wide, over 2.6-7.5 MHz (10-30 times).
const misreadWidthFactor = 2

// misread reports whether w is a misread of n, two reads of one emission:
// at least misreadWidthFactor times wider, its band holding n's, as a
// sensor the emission saturates reads it.
func misread(w, n event.Detection) bool {
	// a read of unknown bandwidth (0, as the schema allows) is no one's
	// misread and has none: every read is twice as wide as nothing, and
	// the weakest read of unknown width took the decision (review of
	// 2026-12-08)
	return n.BandwidthHz > 0 && w.BandwidthHz > 0 && w.BandwidthHz >= misreadWidthFactor*n.BandwidthHz &&
		w.CenterHz-w.BandwidthHz/2 <= n.CenterHz-n.BandwidthHz/2 && w.CenterHz+w.BandwidthHz/2 >= n.CenterHz+n.BandwidthHz/2
}

// authorisingRead returns the index of the read of dets (one emission's
// reads, one per sensor) that decides whether the emission is authorised
// when it is, fits telling whether a read is authorised on its own (called
// once, for that read), or -1 when it is not: the strongest read that is
// not a misread of another read of the group (misread) decides, as the
// strongest read decided before 2026-12-08. A saturated sensor's smear no
// longer decides, either way: it does not make a registered radio
// unauthorised, nor does a smear that happens to reach into an entry's
// band authorise the other emitter the clean reads show
// (TestContrabandBesideStaffRadioStaysUnauthorised). One sensor alone, or
// every read a misread of none, is judged by its strongest read.
func authorisingRead(dets []event.Detection, fits func(i int, d event.Detection) bool) int {
	best := -1
	for i, w := range dets {
		if best >= 0 && w.PowerDBm <= dets[best].PowerDBm {
			continue
		}
		smear := false
		for j, n := range dets {
			smear = smear || (j != i && misread(w, n))
		}
		if !smear {
			best = i
		}
	}
	if best < 0 || !fits(best, dets[best]) {
		return -1
	}
	return best
}

// trackAuthorised returns whether group g of track tr, located at p
// (located false: not located), is authorised, matched (matchGroup)
// telling whether entry ent authorised it on its own, and keeps tr's
// authorisation (AuthorisedTrackHold): a fix an entry bound to rooms or
// zones authorised on its own holds the track's authorisation by that
// entry from g's start, with the powers its sensors heard it at; a
// located fix it did not authorise is authorised when the track's
// authorisation holds (within AuthorisedTrackHold of the last fix that
// gave it), its sensors heard the track's authorised fixes at about the
// power they hear it at (AuthorisedPowerTolDB), and the entry authorises
// its reads with registry.FixShare waived (trackAuthorizer: the fix does
// not rule the entry's rooms out), by the rule matchGroup applies
// (authorisingRead); a fix that fails those ends the track's
// authorisation. Until 2026-12-06 each fix was judged alone, and a
// registered tablet heard by one sensor, its fix spread over ten cells,
// raised a critical alert.
func (e *Engine) trackAuthorised(tr *track, g *group, ent registry.Entry, matched, located bool, p registry.Place) bool {
	ta, ok := e.deps.Authorizer.(trackAuthorizer)
	at := g.start
	still := func(_ int, d event.Detection) bool { return ta.StillAuthorises(tr.authBy, d, p, at) }
	switch {
	case !ok || !located:
		return matched
	case matched:
		if len(ent.Rooms) > 0 || len(ent.Zones) > 0 { // an entry for anywhere needs no hold
			tr.noteAuthorised(g, ent.ID)
		}
		return true
	case tr.authAt.IsZero():
		return false
	case at.Sub(tr.authAt) <= AuthorisedTrackHold && tr.heardAsAuthorised(g) && authorisingRead(g.dets, still) >= 0:
		return true
	}
	if at.Sub(tr.authAt) <= AuthorisedTrackHold {
		e.log.Info("registered device's track: a fix its entry does not authorise ends its authorisation",
			"track", tr.id, "room", p.Room, "sensors", len(g.dets), "since_authorised", at.Sub(tr.authAt).Round(time.Millisecond))
	}
	tr.authBy, tr.authAt, tr.authPowers = 0, time.Time{}, nil
	return false
}

// placement returns the room a fix's detections are stored in, and its
// probability: room, the fix's most likely (prob), when the fix counts
// there (store.Counts: store.Places, over every room, the rule by which
// the alert engine names a room, and under 50% twice the next room),
// else none ("", 0). Until 2026-12-05 fusion placed a fix whatever its
// ties, and with four cells at 20% the heatmap counted one while its
// alert said "position unknown"; until 2026-12-07 a fix at 11% against
// 9% was counted in the 11% room.
func placement(room string, prob float64, probs map[string]float64, minProb float64) (string, float64) {
	if !store.Counts(probs, prob, minProb) {
		return "", 0
	}
	return room, prob
}

// errNonFiniteFix marks a fix finiteFix refused.
var errNonFiniteFix = errors.New("non-finite fix")

// finiteFix reports whether r's position, ellipse angle and room
// probabilities are finite, and counts and logs a fix that is not: such a
// fix is dropped (the group is stored unlocated), since a NaN location
// cannot be stored, published or compared.
func (e *Engine) finiteFix(g *group, r locate.Result) bool {
	ok := finite(r.Pos.X) && finite(r.Pos.Y) && finite(r.Ellipse.AngleRad)
	for _, rp := range r.Rooms {
		ok = ok && finite(rp.Prob)
	}
	if !ok {
		e.met.locateInvalid.Inc()
		e.log.Warn("locate: fix with a non-finite value dropped", "class", g.class, "center_hz", g.centerHz,
			"sensors", len(g.dets), "x_m", r.Pos.X, "y_m", r.Pos.Y, "angle_rad", r.Ellipse.AngleRad)
	}
	return ok
}

func finiteOr0(v float64) float64 {
	if !finite(v) {
		return 0
	}
	return v
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Located returns the most recent located emissions, oldest first.
func (e *Engine) Located() []LocatedEmission {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.last)
}

// Flush writes buffered records to the time series store.
func (e *Engine) Flush(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.flushLocked(ctx)
}

func (e *Engine) flushLocked(ctx context.Context) error {
	if e.deps.TimeSeries == nil {
		e.detBuf, e.locBuf = e.detBuf[:0], e.locBuf[:0]
		e.flushes++
		return nil
	}
	// A failed write keeps its records for the next flush (a database
	// locked past its busy timeout, a full disk): they were acknowledged to
	// the broker. Past maxBuffered batches the oldest go, counted.
	var errs []error
	defer func() {
		// While the store fails, a full batch is tried again only once
		// another batch has come (or at the next Tick), not on every
		// message: each try may wait out a database's busy timeout.
		e.heldBack = 0
		if len(errs) > 0 {
			e.heldBack = max(len(e.detBuf), len(e.locBuf))
		}
	}()
	if len(e.detBuf) > 0 {
		if kept, err := writeBatch(ctx, e, "detections", e.detBuf, store.DetectionRecord.Check, e.deps.TimeSeries.WriteDetections); err != nil {
			errs = append(errs, fmt.Errorf("write detections (%d kept for the next try): %w", len(kept), err))
			e.detBuf = dropOldestOf(e, kept, "detections")
		} else {
			e.detBuf = make([]store.DetectionRecord, 0, e.cfg.BatchSize) // the store may keep the slice
			e.flushes++
			e.storeRecovered("detections")
		}
	}
	if len(e.locBuf) > 0 {
		if kept, err := writeBatch(ctx, e, "locations", e.locBuf, store.LocationRecord.Check, e.deps.TimeSeries.WriteLocations); err != nil {
			errs = append(errs, fmt.Errorf("write locations (%d kept for the next try): %w", len(kept), err))
			e.locBuf = dropOldestOf(e, kept, "locations")
		} else {
			e.locBuf = make([]store.LocationRecord, 0, e.cfg.BatchSize)
			e.storeRecovered("locations")
		}
	}
	return errors.Join(errs...)
}

// writeBatch writes buf with write. A record no store can hold is dropped,
// counted and logged, never kept: one refused by check before the write,
// and, when the store refuses the batch for its content
// (store.ErrInvalidRecord), one it refuses when the batch is written
// again a record at a time. One bad record used to fail its batch, which
// was kept and tried again at every flush with every later record joining
// it: nothing was stored again. A write that fails otherwise (the store
// down, locked or full) returns the records to keep for the next try and
// its error.
func writeBatch[T any](ctx context.Context, e *Engine, what string, buf []T, check func(T) error, write func(context.Context, []T) error) ([]T, error) {
	var bad []error
	good := buf
	for i, r := range buf {
		if err := check(r); err != nil {
			if len(bad) == 0 {
				good = append(make([]T, 0, len(buf)), buf[:i]...)
			}
			bad = append(bad, err)
		} else if len(bad) > 0 {
			good = append(good, r)
		}
	}
	defer func() { e.dropInvalid(what, bad) }()
	if len(good) == 0 {
		return nil, nil
	}
	err := write(ctx, good)
	if err == nil || !errors.Is(err, store.ErrInvalidRecord) {
		if err != nil {
			return good, err
		}
		return nil, nil
	}
	var kept []T
	var errs []error
	for _, r := range good {
		switch err := write(ctx, []T{r}); {
		case err == nil:
		case errors.Is(err, store.ErrInvalidRecord):
			bad = append(bad, err)
		default:
			kept = append(kept, r)
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return kept, errs[0]
	}
	return nil, nil
}

// dropInvalid counts and logs the records of what dropped because no
// store can hold them: one line per batch, with the first reason.
func (e *Engine) dropInvalid(what string, errs []error) {
	if len(errs) == 0 {
		return
	}
	e.met.invalid.WithLabelValues(what).Add(float64(len(errs)))
	e.log.Error("records no store can hold dropped; the rest of their batch is written", "what", what, "n", len(errs), "first", errs[0])
}

// maxBuffered bounds, in batches, the records kept while the store fails.
const maxBuffered = 64

// dropOldestOf keeps the newest maxBuffered batches of buf, counting and
// logging what it drops: the first drop, then at most a line a minute
// with the records dropped since the last (a store that keeps failing
// drops some at every tick). Caller holds mu.
func dropOldestOf[T any](e *Engine, buf []T, what string) []T {
	limit := maxBuffered * e.cfg.BatchSize
	if len(buf) <= limit {
		return buf
	}
	n := len(buf) - limit
	e.met.storeDropped.WithLabelValues(what).Add(float64(n))
	if e.drops == nil {
		e.drops = map[string]*dropLog{}
	}
	d := e.drops[what]
	if d == nil {
		d = &dropLog{}
		e.drops[what] = d
	}
	d.n += n
	if log, _ := d.rl.FailedAs(what, e.deps.Clock()); log {
		e.log.Error("store failing: oldest records dropped", "what", what, "n", d.n, "kept_batches", maxBuffered)
		d.n = 0
	}
	return append(buf[:0:0], buf[n:]...)
}

// storeRecovered notes that the records of what were written: drops
// not logged yet are logged, and the next drop is logged at once. Caller
// holds mu.
func (e *Engine) storeRecovered(what string) {
	d := e.drops[what]
	if d == nil {
		return
	}
	if d.n > 0 {
		e.log.Error("store failing: oldest records dropped", "what", what, "n", d.n, "kept_batches", maxBuffered)
	}
	delete(e.drops, what)
}

// Close closes every group still open, flushes buffered records, stores
// the last fix of every live phone and drone alert (alert.Engine.
// StoreLastFixes: the next run judges a drone's gap from it) and saves
// the seen IDs. Every group: also one stamped ahead of fusion's clock (a
// sensor whose clock runs fast), which a Tick a window ahead, as Close did,
// left open: its detections are acknowledged and their IDs are saved as
// seen, so the broker would not bring them again.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	err := e.process(ctx, e.assoc.flushAll())
	e.mu.Unlock()
	now := e.deps.Clock()
	// A phone alert still settling is announced now, not forgotten
	// (alert.Engine.AnnounceSettling), then every live alert's latest fix
	// is stored for the next run.
	errs := []error{err, e.Tick(ctx, now), e.alerts.AnnounceSettling(ctx, now), e.alerts.StoreLastFixes(ctx)}
	if e.cfg.SeenFile != "" {
		errs = append(errs, e.seen.save(e.cfg.SeenFile))
	}
	return errors.Join(errs...)
}
