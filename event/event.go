package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/rfwarden/rfwarden/internal/jsondup"
)

// SchemaVersion is the version of every payload this package encodes. Decoders
// refuse any other version.
const SchemaVersion = 1

// MaxPayloadBytes bounds every payload a decoder accepts.
const MaxPayloadBytes = 64 << 10

// Links a detection can be on.
const (
	LinkUplink   = "uplink"
	LinkDownlink = "downlink"
	LinkTDD      = "tdd"
	LinkUnknown  = "unknown"
)

// Classes of emitter a detection can be labelled with.
const (
	ClassGSM        = "gsm"
	ClassUMTS       = "umts"
	ClassLTE        = "lte"
	ClassNR         = "nr"
	ClassWiFi       = "wifi"
	ClassBluetooth  = "bluetooth"
	ClassDroneID    = "droneid"
	ClassDroneVideo = "drone_video"
	ClassRCFHSS     = "rc_fhss"
	ClassFPVAnalog  = "fpv_analog"
	ClassUnknown    = "unknown"
)

// Classes lists every valid class, in a stable order.
var Classes = []string{ClassGSM, ClassUMTS, ClassLTE, ClassNR, ClassWiFi, ClassBluetooth,
	ClassDroneID, ClassDroneVideo, ClassRCFHSS, ClassFPVAnalog, ClassUnknown}

// DroneClasses are the classes of a drone or its controller (DroneID,
// drone video, RC hops, analog FPV), in a stable order: alert rules
// treat them as a drone, and a registry entry without a class does not
// authorise them.
var DroneClasses = []string{ClassDroneID, ClassDroneVideo, ClassRCFHSS, ClassFPVAnalog}

// DroneClass reports whether class is one of DroneClasses.
func DroneClass(class string) bool { return slices.Contains(DroneClasses, class) }

// Links lists every valid link, in a stable order.
var Links = []string{LinkUplink, LinkDownlink, LinkTDD, LinkUnknown}

// Alertable reports whether fusion's default rules may alert on an
// emission of class on link, as a phone or a drone: a phone class on any
// link but downlink; an unnamed emission in a cellular uplink or TDD band
// (the classifiers could not tell LTE from NR: fusion treats it as a
// phone); every drone class. Sensors save IQ snippets of these, and the
// dashboard's search list ranks rooms by them.
func Alertable(class, link string) bool {
	switch class {
	case ClassGSM, ClassUMTS, ClassLTE, ClassNR:
		return link != LinkDownlink
	case ClassUnknown:
		return link == LinkUplink || link == LinkTDD
	}
	return DroneClass(class)
}

// ErrSchema is wrapped by every decoding error caused by the payload's content.
var ErrSchema = errors.New("event schema")

// Detection is one emission heard by one sensor: published on
// rfw/v1/{site}/sensor/{sensor}/detection, QoS 1, one per message.
type Detection struct {
	Schema      int     `json:"schema"`
	ID          string  `json:"id"`     // unique; ingest is idempotent by ID
	Site        string  `json:"site"`   // site ID
	Sensor      string  `json:"sensor"` // sensor ID
	TimeNS      int64   `json:"time_ns"`
	DurationNS  int64   `json:"duration_ns"`
	CenterHz    float64 `json:"center_hz"`
	BandwidthHz float64 `json:"bandwidth_hz"`
	PowerDBm    float64 `json:"power_dbm"` // signal power in its band while on, noise removed
	PeakDBm     float64 `json:"peak_dbm,omitempty"`
	SNRDB       float64 `json:"snr_db"`
	DutyCycle   float64 `json:"duty_cycle,omitempty"` // 0..1
	BurstCount  int     `json:"burst_count,omitempty"`
	PeriodNS    int64   `json:"period_ns,omitempty"`
	Band        string  `json:"band"`
	Link        string  `json:"link"`
	Class       string  `json:"class"`
	Confidence  float64 `json:"confidence"` // 0..1
	// Provenance: where in the sensor's sample stream the emission lies.
	SampleStart int64  `json:"sample_start"`
	SampleCount int64  `json:"sample_count"`
	Snippet     string `json:"snippet,omitempty"` // reference to a saved SigMF snippet
	// Label is the classifier's text for the emission, e.g. "LTE/NR uplink
	// (LTE B3 UL, 15 kHz SCS)": signal metadata only, at most MaxLabelLen
	// bytes of printable UTF-8. It says what Class cannot: a class the
	// schema does not list (LTE or NR, not told apart) or a caveat ("weak",
	// "cut by the capture edge").
	Label string `json:"label,omitempty"`
}

// MaxLabelLen bounds Detection.Label.
const MaxLabelLen = 128

// Time returns the capture time of the detection's first sample.
func (d Detection) Time() time.Time { return time.Unix(0, d.TimeNS).UTC() }

// Physical ranges of a detection's measurements (Detection.Validate).
// Anything outside is not a radio emission any sensor here reports, and
// some of it breaks arithmetic downstream: a 5e-324 Hz centre made the
// locator's free-space loss -Inf and its coordinates NaN.
const (
	// MinCenterHz and MaxCenterHz bound Detection.CenterHz: below 1 kHz is
	// not radio any receiver here tunes to.
	MinCenterHz = 1e3
	MaxCenterHz = 1e12
	// MaxBandwidthHz bounds Detection.BandwidthHz, which is 0 (unknown) or
	// at least 1 Hz: no sensor resolves a narrower emission.
	MaxBandwidthHz = 1e10
	// MinPowerDBm and MaxPowerDBm bound Detection.PowerDBm and PeakDBm:
	// +100 dBm (10 MW) at an antenna port is a broken or hostile sensor.
	// The lower bound is loose: a noiseless simulated capture reports
	// floors near -360 dBm.
	MinPowerDBm = -400.0
	MaxPowerDBm = 100.0
	// MinSNRDB and MaxSNRDB bound Detection.SNRDB (the same noiseless
	// captures give SNRs over 300 dB).
	MinSNRDB = -400.0
	MaxSNRDB = 400.0
)

// Validate reports the first problem with d, naming the field.
func (d Detection) Validate() error {
	switch {
	case d.Schema != SchemaVersion:
		return schemaErr("schema: got %d, want %d", d.Schema, SchemaVersion)
	case !ValidEventID(d.ID):
		return schemaErr("id: must be 1..128 printable characters")
	case !validID(d.Site):
		return schemaErr("site: %q is not a valid ID", d.Site)
	case !validID(d.Sensor):
		return schemaErr("sensor: %q is not a valid ID", d.Sensor)
	case d.TimeNS <= 0:
		return schemaErr("time_ns: must be positive")
	case d.DurationNS < 0:
		return schemaErr("duration_ns: must not be negative")
	case !finite(d.CenterHz) || d.CenterHz < MinCenterHz || d.CenterHz > MaxCenterHz:
		return schemaErr("center_hz: %v out of range [%g, %g] Hz", d.CenterHz, MinCenterHz, MaxCenterHz)
	case !finite(d.BandwidthHz) || d.BandwidthHz < 0 || d.BandwidthHz > MaxBandwidthHz || (d.BandwidthHz > 0 && d.BandwidthHz < 1):
		return schemaErr("bandwidth_hz: %v out of range (0, or [1, %g] Hz)", d.BandwidthHz, MaxBandwidthHz)
	case !finite(d.PowerDBm) || d.PowerDBm < MinPowerDBm || d.PowerDBm > MaxPowerDBm:
		return schemaErr("power_dbm: %v out of range [%g, %g] dBm", d.PowerDBm, MinPowerDBm, MaxPowerDBm)
	case !finite(d.PeakDBm) || d.PeakDBm < MinPowerDBm || d.PeakDBm > MaxPowerDBm:
		return schemaErr("peak_dbm: %v out of range [%g, %g] dBm", d.PeakDBm, MinPowerDBm, MaxPowerDBm)
	case !finite(d.SNRDB) || d.SNRDB < MinSNRDB || d.SNRDB > MaxSNRDB:
		return schemaErr("snr_db: %v out of range [%g, %g] dB", d.SNRDB, MinSNRDB, MaxSNRDB)
	case !finite(d.DutyCycle) || d.DutyCycle < 0 || d.DutyCycle > 1:
		return schemaErr("duty_cycle: %v not in [0,1]", d.DutyCycle)
	case !finite(d.Confidence) || d.Confidence < 0 || d.Confidence > 1:
		return schemaErr("confidence: %v not in [0,1]", d.Confidence)
	case !slices.Contains(Links, d.Link):
		return schemaErr("link: %q is not one of %v", d.Link, Links)
	case !slices.Contains(Classes, d.Class):
		return schemaErr("class: %q is not one of %v", d.Class, Classes)
	case len(d.Band) > MaxBandLen || !printable(d.Band):
		return schemaErr("band: not printable UTF-8 of at most %d bytes", MaxBandLen)
	case d.SampleStart < 0 || d.SampleCount < 0:
		return schemaErr("sample_start/sample_count: must not be negative")
	case d.BurstCount < 0 || d.PeriodNS < 0:
		return schemaErr("burst_count/period_ns: must not be negative")
	case len(d.Snippet) > 512:
		return schemaErr("snippet: longer than 512 characters")
	case len(d.Label) > MaxLabelLen:
		return schemaErr("label: longer than %d bytes", MaxLabelLen)
	case !printable(d.Label):
		return schemaErr("label: not printable UTF-8")
	}
	return nil
}

// Sensor states carried by Health.State; anything but StateOK makes the
// sensor's zone unknown on the dashboard.
const (
	StateOK         = "ok"
	StateTampered   = "tampered"   // noise floor collapsed: antenna removed or covered
	StateJammed     = "jammed"     // broadband rise of the noise floor
	StateOverloaded = "overloaded" // persistent ADC clipping
	StateStalled    = "stalled"    // the sample stream stopped
	StateDegraded   = "degraded"   // e.g. outbox over quota, dropping oldest
)

// States lists every valid health state.
var States = []string{StateOK, StateTampered, StateJammed, StateOverloaded, StateStalled, StateDegraded}

// Health is published every 10 s on rfw/v1/{site}/sensor/{sensor}/health.
type Health struct {
	Schema         int                   `json:"schema"`
	Site           string                `json:"site"`
	Sensor         string                `json:"sensor"`
	TimeNS         int64                 `json:"time_ns"`
	State          string                `json:"state"`
	Reasons        []string              `json:"reasons,omitempty"`
	NoiseFloorDBm  map[string]float64    `json:"noise_floor_dbm,omitempty"` // per band
	RevisitS       map[string]float64    `json:"revisit_s,omitempty"`       // achieved revisit per band
	GainDB         map[string]float64    `json:"gain_db,omitempty"`         // receive gain now applied per band (AGC)
	ScanBandsHz    map[string][2]float64 `json:"scan_bands_hz,omitempty"`   // scan plan: band → [low, high] Hz
	AGCChanges     int64                 `json:"agc_changes,omitempty"`     // gain changes the AGC made since start
	DroppedSamples int64                 `json:"dropped_samples"`
	OverloadCount  int64                 `json:"overload_count"`
	USBErrors      int64                 `json:"usb_errors"`
	OutboxDepth    int64                 `json:"outbox_depth"`
	OutboxDropped  int64                 `json:"outbox_dropped"`
	ClockOffsetS   float64               `json:"clock_offset_s"`
	Version        string                `json:"version"`
}

// Bounds of a health report's text and numbers (Health.Validate), wide
// enough for what any sensor reports. A band key is bounded as a
// detection's band (MaxBandLen).
const (
	// MaxReasonLen bounds each of Health.Reasons, in bytes: the agent's
	// longest name a band, a disk error with its path, or the receiver's
	// latest error (ClipText cuts them to it).
	MaxReasonLen = 1024
	// MaxVersionLen bounds Health.Version, in bytes.
	MaxVersionLen = 128
	// MaxRevisitS bounds Health.RevisitS, and MaxClockOffsetS the size
	// of Health.ClockOffsetS: two times Unix nanoseconds in an int64 can
	// hold are at most about 9.2e9 s apart. (An agent reports a band it
	// has not yet revisited with the time since its clock's zero, 1.8e9 s
	// on a clock from 1970.)
	MaxRevisitS     = 1e10
	MaxClockOffsetS = 1e10
)

// MaxBandLen bounds a band's name: Detection.Band and a health report's
// band keys.
const MaxBandLen = 64

// bandKeys refuses, naming field, a key of m that cannot be a band's
// name: 1..MaxBandLen bytes of printable UTF-8.
func bandKeys[V any](field string, m map[string]V) error {
	for k := range m {
		if k == "" || len(k) > MaxBandLen || !printable(k) {
			return schemaErr("%s: band %.40q is not 1..%d bytes of printable UTF-8", field, k, MaxBandLen)
		}
	}
	return nil
}

// Validate reports the first problem with h, naming the field. Its time
// is only checked to be positive: fusion estimates each sensor's clock
// from these reports (docs/events.md).
func (h Health) Validate() error {
	switch {
	case h.Schema != SchemaVersion:
		return schemaErr("schema: got %d, want %d", h.Schema, SchemaVersion)
	case !validID(h.Site):
		return schemaErr("site: %q is not a valid ID", h.Site)
	case !validID(h.Sensor):
		return schemaErr("sensor: %q is not a valid ID", h.Sensor)
	case h.TimeNS <= 0:
		return schemaErr("time_ns: must be positive")
	case !slices.Contains(States, h.State):
		return schemaErr("state: %q is not one of %v", h.State, States)
	case !finite(h.ClockOffsetS) || math.Abs(h.ClockOffsetS) > MaxClockOffsetS:
		return schemaErr("clock_offset_s: %v out of range [%g, %g] s", h.ClockOffsetS, -MaxClockOffsetS, MaxClockOffsetS)
	case len(h.NoiseFloorDBm) > 256 || len(h.RevisitS) > 256 || len(h.GainDB) > 256 || len(h.ScanBandsHz) > 256 || len(h.Reasons) > 32:
		return schemaErr("too many bands or reasons")
	case len(h.Version) > MaxVersionLen || !printable(h.Version):
		return schemaErr("version: not printable UTF-8 of at most %d bytes", MaxVersionLen)
	}
	for i, r := range h.Reasons {
		if len(r) > MaxReasonLen || !printable(r) {
			return schemaErr("reasons[%d]: not printable UTF-8 of at most %d bytes", i, MaxReasonLen)
		}
	}
	// Counts since start, or of the outbox: a negative one was stored by
	// fusion and shown on the dashboard until 2026-12-06.
	for _, c := range []struct {
		field string
		n     int64
	}{
		{"dropped_samples", h.DroppedSamples}, {"overload_count", h.OverloadCount}, {"usb_errors", h.USBErrors},
		{"outbox_depth", h.OutboxDepth}, {"outbox_dropped", h.OutboxDropped}, {"agc_changes", h.AGCChanges},
	} {
		if c.n < 0 {
			return schemaErr("%s: %d is negative (a count)", c.field, c.n)
		}
	}
	for _, err := range []error{bandKeys("noise_floor_dbm", h.NoiseFloorDBm), bandKeys("revisit_s", h.RevisitS),
		bandKeys("gain_db", h.GainDB), bandKeys("scan_bands_hz", h.ScanBandsHz)} {
		if err != nil {
			return err
		}
	}
	for k, v := range h.NoiseFloorDBm {
		if !finite(v) || v < MinPowerDBm || v > MaxPowerDBm {
			return schemaErr("noise_floor_dbm[%q]: %v out of range [%g, %g] dBm", k, v, MinPowerDBm, MaxPowerDBm)
		}
	}
	for k, v := range h.RevisitS {
		if !finite(v) || v < 0 || v > MaxRevisitS {
			return schemaErr("revisit_s[%q]: %v out of range [0, %g] s", k, v, MaxRevisitS)
		}
	}
	for k, v := range h.GainDB {
		if !finite(v) || v < 0 || v > 200 {
			return schemaErr("gain_db[%q]: %v out of range", k, v)
		}
	}
	for k, r := range h.ScanBandsHz {
		if !finite(r[0]) || !finite(r[1]) || r[0] <= 0 || r[1] <= r[0] || r[1] > 1e12 {
			return schemaErr("scan_bands_hz[%q]: [%v, %v] is not a frequency range (0 < low < high ≤ 1e12 Hz)", k, r[0], r[1])
		}
	}
	return nil
}

// Status values, retained on rfw/v1/{site}/sensor/{sensor}/status; StatusOffline
// is also the sensor's MQTT last will.
const (
	StatusOnline  = "online"
	StatusOffline = "offline"
)

// Spectrum is a downsampled PSD for the waterfall, QoS 0 on
// rfw/v1/{site}/sensor/{sensor}/spectrum.
type Spectrum struct {
	Schema       int       `json:"schema"`
	Site         string    `json:"site"`
	Sensor       string    `json:"sensor"`
	TimeNS       int64     `json:"time_ns"`
	CenterHz     float64   `json:"center_hz"`
	SampleRateHz float64   `json:"sample_rate_hz"`
	PowerDBm     []float32 `json:"power_dbm"` // bins from lowest to highest frequency
}

// Validate reports the first problem with s, naming the field.
func (s Spectrum) Validate() error {
	switch {
	case s.Schema != SchemaVersion:
		return schemaErr("schema: got %d, want %d", s.Schema, SchemaVersion)
	case !validID(s.Site) || !validID(s.Sensor):
		return schemaErr("site/sensor: not valid IDs")
	case s.TimeNS <= 0:
		return schemaErr("time_ns: must be positive")
	case !finite(s.CenterHz) || s.CenterHz <= 0 || !finite(s.SampleRateHz) || s.SampleRateHz <= 0:
		return schemaErr("center_hz/sample_rate_hz: out of range")
	case len(s.PowerDBm) == 0 || len(s.PowerDBm) > 4096:
		return schemaErr("power_dbm: need 1..4096 bins, got %d", len(s.PowerDBm))
	}
	for i, v := range s.PowerDBm {
		if !finite(float64(v)) {
			return schemaErr("power_dbm[%d]: not finite", i)
		}
	}
	return nil
}

// Alert states, in the order an alert moves through them.
const (
	AlertPending  = "pending"
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

// Severities of an alert.
const (
	SeverityInfo     = "info"
	SeverityWarning  = "warning"
	SeverityCritical = "critical"
)

// Alert is one alert state change, published by fusion on rfw/v1/{site}/alert.
type Alert struct {
	Schema int    `json:"schema"`
	ID     string `json:"id"`
	Site   string `json:"site"`
	Rule   string `json:"rule"`
	// RuleKind is the kind of the rule that raised the alert, as fusion's
	// alert rules name it (unauthorised_uplink, drone, sensor_offline,
	// sensor_health, sensor_clock): a drone rule may alert on any class,
	// so the class alone does not say whose alert it is. Alerts made
	// before 2026-12-07 have none.
	RuleKind    string             `json:"rule_kind,omitempty"`
	Severity    string             `json:"severity"`
	State       string             `json:"state"`
	Summary     string             `json:"summary"`
	Room        string             `json:"room,omitempty"`
	Zone        string             `json:"zone,omitempty"`
	Sensor      string             `json:"sensor,omitempty"`
	Track       string             `json:"track,omitempty"`
	Class       string             `json:"class,omitempty"`
	Incident    string             `json:"incident,omitempty"`
	Probability float64            `json:"probability,omitempty"`
	Confidence  float64            `json:"confidence,omitempty"` // classifiers' confidence in Class, 0..1: the highest of its fixes'
	RoomProbs   map[string]float64 `json:"room_probs,omitempty"`
	Evidence    []string           `json:"evidence,omitempty"` // detection IDs
	ActiveNS    int64              `json:"active_ns"`          // when the condition began
	UpdatedNS   int64              `json:"updated_ns"`         // this state change
	AckBy       string             `json:"ack_by,omitempty"`
	AckNote     string             `json:"ack_note,omitempty"`
	AckNS       int64              `json:"ack_ns,omitempty"`
	// Escalations counts the reminders fusion has published because the
	// alert stayed firing with nobody acknowledging it (its rule's
	// escalate_after); EscalatedNS is when the latest was sent.
	Escalations int   `json:"escalations,omitempty"`
	EscalatedNS int64 `json:"escalated_ns,omitempty"`
	// LastFixNS, Band, Label and FreqHz are kept by the store (and shown
	// by the dashboard's API) for a restarted fusion; fusion does not
	// publish them (alert.Published): a decoder older than them refuses
	// them. Alerts stored before 2026-12-05 have none.
	//
	// LastFixNS is, of a location alert (a phone's or a drone's), the
	// capture time of its latest fix: written with the alert, and alone
	// as its fixes go on, at most every quarter of a drone rule's
	// reannounce_after (a minute for a phone's), and when fusion stops. A
	// restarted fusion judges a drone's gap from it (its updated_ns
	// stands in when there is none).
	LastFixNS int64 `json:"last_fix_ns,omitempty"`
	// Band, Label and FreqHz describe, of a phone's alert (an
	// unauthorised-uplink rule's), the emission of its latest fix: the
	// sensor's band (Detection.Band, "LTE B3 UL"), the classifier's label
	// (Detection.Label) and the centre frequency. Signal metadata only,
	// never content or identity of traffic: a restarted fusion tells two
	// phones of one class in one room apart by them.
	Band   string  `json:"band,omitempty"`
	Label  string  `json:"label,omitempty"`
	FreqHz float64 `json:"freq_hz,omitempty"`
}

// Validate reports the first problem with a, naming the field.
func (a Alert) Validate() error {
	switch {
	case a.Schema != SchemaVersion:
		return schemaErr("schema: got %d, want %d", a.Schema, SchemaVersion)
	case !ValidEventID(a.ID):
		return schemaErr("id: must be 1..128 printable characters")
	case !validID(a.Site):
		return schemaErr("site: %q is not a valid ID", a.Site)
	case a.Rule == "":
		return schemaErr("rule: missing")
	case a.RuleKind != "" && !validID(a.RuleKind):
		return schemaErr("rule_kind: %q is not a rule kind (letters, digits, - and _, at most 64)", a.RuleKind)
	case !slices.Contains([]string{SeverityInfo, SeverityWarning, SeverityCritical}, a.Severity):
		return schemaErr("severity: %q unknown", a.Severity)
	case !slices.Contains([]string{AlertPending, AlertFiring, AlertResolved}, a.State):
		return schemaErr("state: %q unknown", a.State)
	case !finite(a.Probability) || a.Probability < 0 || a.Probability > 1:
		return schemaErr("probability: %v not in [0,1]", a.Probability)
	case !finite(a.Confidence) || a.Confidence < 0 || a.Confidence > 1:
		return schemaErr("confidence: %v not in [0,1]", a.Confidence)
	case a.Escalations < 0:
		return schemaErr("escalations: %d is negative", a.Escalations)
	// A state change's times are always set; those that may be absent
	// (not acknowledged, no reminder sent, no fix stored) are 0 then.
	// Until 2026-12-06 none was checked and a negative one decoded.
	case a.ActiveNS <= 0:
		return schemaErr("active_ns: %d is not positive", a.ActiveNS)
	case a.UpdatedNS <= 0:
		return schemaErr("updated_ns: %d is not positive", a.UpdatedNS)
	case a.AckNS < 0:
		return schemaErr("ack_ns: %d is negative (0: not acknowledged)", a.AckNS)
	case a.EscalatedNS < 0:
		return schemaErr("escalated_ns: %d is negative (0: no reminder sent)", a.EscalatedNS)
	case a.LastFixNS < 0:
		return schemaErr("last_fix_ns: %d is negative", a.LastFixNS)
	case len(a.Band) > MaxBandLen || !printable(a.Band):
		return schemaErr("band: not printable UTF-8 of at most %d bytes", MaxBandLen)
	case len(a.Label) > MaxLabelLen || !printable(a.Label):
		return schemaErr("label: not printable UTF-8 of at most %d bytes", MaxLabelLen)
	case !finite(a.FreqHz) || a.FreqHz < 0:
		return schemaErr("freq_hz: %v not a frequency", a.FreqHz)
	}
	return nil
}

// Commands a sensor takes on its rfw/v1/{site}/sensor/{sensor}/cmd topic.
const (
	// CmdKeep asks the sensor to keep the IQ snippets of the detections
	// named: they are evidence of an alert, and must outlive the rotation
	// that makes room for new snippets.
	CmdKeep = "keep"
	// CmdSession is fusion's session marker, retained on each sensor's
	// cmd topic: fusion's persistent session has subscribed to the
	// sensor's detections on this broker, so the broker queues them for
	// fusion from now on. A sensor publishes no detection on a connection
	// until the marker has arrived on it. A retained message lives as long
	// as the broker state that holds fusion's session: a broker that loses
	// its state (a restart without persistence) loses both.
	CmdSession = "session"
)

// MaxCommandDetections bounds Command.Detections.
const MaxCommandDetections = 256

// Command is fusion's request to one sensor, published on
// rfw/v1/{site}/sensor/{sensor}/cmd, QoS 1.
type Command struct {
	Schema     int      `json:"schema"`
	Site       string   `json:"site"`
	Sensor     string   `json:"sensor"`
	TimeNS     int64    `json:"time_ns"`
	Cmd        string   `json:"cmd"`
	Alert      string   `json:"alert,omitempty"`  // the alert that asks (CmdKeep)
	Detections []string `json:"detections"`       // detection IDs (CmdKeep)
	Fusion     string   `json:"fusion,omitempty"` // fusion's MQTT client ID (CmdSession)
}

// Validate reports the first problem with c, naming the field.
func (c Command) Validate() error {
	switch {
	case c.Schema != SchemaVersion:
		return schemaErr("schema: got %d, want %d", c.Schema, SchemaVersion)
	case !validID(c.Site):
		return schemaErr("site: %q is not a valid ID", c.Site)
	case !validID(c.Sensor):
		return schemaErr("sensor: %q is not a valid ID", c.Sensor)
	case c.TimeNS <= 0:
		return schemaErr("time_ns: must be positive")
	case c.Cmd != CmdKeep && c.Cmd != CmdSession:
		return schemaErr("cmd: %q is not one of [%s %s]", c.Cmd, CmdKeep, CmdSession)
	case len(c.Alert) > 128:
		return schemaErr("alert: longer than 128 characters")
	case len(c.Fusion) > 128 || !printable(c.Fusion):
		return schemaErr("fusion: not printable UTF-8 of at most 128 bytes")
	case c.Cmd == CmdSession && (c.Fusion == "" || len(c.Detections) > 0 || c.Alert != ""):
		return schemaErr("session: must name fusion's client ID and no alert or detections")
	case c.Cmd == CmdKeep && c.Fusion != "":
		return schemaErr("fusion: only a session command names fusion")
	case c.Cmd == CmdKeep && (len(c.Detections) == 0 || len(c.Detections) > MaxCommandDetections):
		return schemaErr("detections: must name 1..%d detection IDs", MaxCommandDetections)
	}
	for i, id := range c.Detections {
		if id == "" || len(id) > 128 || !printable(id) {
			return schemaErr("detections[%d]: must be 1..128 printable characters", i)
		}
	}
	return nil
}

// Location is one localisation of an emitter track, published by fusion on
// rfw/v1/{site}/location, QoS 0, for live floor plans: a lost one is
// replaced by the track's next fix, and the history is in the store.
type Location struct {
	Schema     int     `json:"schema"`
	Site       string  `json:"site"`
	Track      string  `json:"track"`
	Class      string  `json:"class"`
	Link       string  `json:"link"`
	TimeNS     int64   `json:"time_ns"` // the located emission's start
	Floor      string  `json:"floor"`
	Room       string  `json:"room"` // most likely room
	RoomProb   float64 `json:"room_prob"`
	XM         float64 `json:"x_m"` // site coordinates, metres
	YM         float64 `json:"y_m"`
	SemiMajorM float64 `json:"semi_major_m"` // 95% ellipse
	SemiMinorM float64 `json:"semi_minor_m"`
	AngleRad   float64 `json:"angle_rad"` // of the major axis from +x, counter-clockwise
	Authorised bool    `json:"authorised"`
}

// Validate reports the first problem with l, naming the field.
func (l Location) Validate() error {
	switch {
	case l.Schema != SchemaVersion:
		return schemaErr("schema: got %d, want %d", l.Schema, SchemaVersion)
	case !validID(l.Site):
		return schemaErr("site: %q is not a valid ID", l.Site)
	case l.Track == "" || len(l.Track) > 128 || !printable(l.Track):
		return schemaErr("track: must be 1..128 printable characters")
	case !slices.Contains(Classes, l.Class):
		return schemaErr("class: %q unknown", l.Class)
	case !slices.Contains(Links, l.Link):
		return schemaErr("link: %q unknown", l.Link)
	case l.TimeNS <= 0:
		return schemaErr("time_ns: must be positive")
	case len(l.Floor) > 128 || len(l.Room) > 128 || !printable(l.Floor) || !printable(l.Room):
		return schemaErr("floor, room: at most 128 printable characters")
	case !finite(l.RoomProb) || l.RoomProb < 0 || l.RoomProb > 1:
		return schemaErr("room_prob: %v not in [0,1]", l.RoomProb)
	case !finite(l.XM) || !finite(l.YM) || !finite(l.AngleRad):
		return schemaErr("x_m, y_m, angle_rad: must be finite")
	case !finite(l.SemiMajorM) || !finite(l.SemiMinorM) || l.SemiMajorM < 0 || l.SemiMinorM < 0:
		return schemaErr("semi_major_m, semi_minor_m: must be finite and not negative")
	}
	return nil
}

// MaxAckNote bounds Ack.Note (and the note a dashboard accepts), in
// characters (Unicode code points; UTF-8 bounds the bytes to four times
// as many).
const MaxAckNote = 2000

// Ack is a person's acknowledgement of an alert, published by the
// dashboard that took it on rfw/v1/{site}/ack, QoS 1, after storing it.
// Fusion, which owns the alert's publication, then publishes the alert
// again with the acknowledgement, so every other dashboard and every
// output (MQTT, webhook, syslog) learns of it. With a store, fusion takes
// the acknowledgement from the store, and the message only says where to
// look.
type Ack struct {
	Schema int    `json:"schema"`
	Site   string `json:"site"`
	Alert  string `json:"alert"` // the alert's ID
	By     string `json:"by"`    // the dashboard user
	Note   string `json:"note,omitempty"`
	AckNS  int64  `json:"ack_ns"`
}

// Validate reports the first problem with a, naming the field.
func (a Ack) Validate() error {
	switch {
	case a.Schema != SchemaVersion:
		return schemaErr("schema: got %d, want %d", a.Schema, SchemaVersion)
	case !validID(a.Site):
		return schemaErr("site: %q is not a valid ID", a.Site)
	case a.Alert == "" || len(a.Alert) > 128 || !printable(a.Alert):
		return schemaErr("alert: must be 1..128 printable characters")
	case a.By == "" || len(a.By) > 128 || !printable(a.By):
		return schemaErr("by: must be 1..128 printable characters")
	case !utf8.ValidString(a.Note) || utf8.RuneCountInString(a.Note) > MaxAckNote || !printable(strings.NewReplacer("\n", "", "\t", "").Replace(a.Note)):
		return schemaErr("note: must be at most %d characters of UTF-8, no control characters but line breaks and tabs", MaxAckNote)
	case a.AckNS <= 0:
		return schemaErr("ack_ns: must be positive")
	}
	return nil
}

// Validator is implemented by every payload type.
type Validator interface{ Validate() error }

// Encode validates v and marshals it as JSON.
func Encode(v Validator) ([]byte, error) {
	if err := v.Validate(); err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return json.Marshal(v)
}

// Decode strictly decodes one JSON payload into v (a pointer to a payload type)
// and validates it. Unknown fields, a key given twice in one object,
// trailing data, oversized payloads and bytes that are not UTF-8 are
// errors.
func Decode[T Validator](data []byte, v *T) error {
	if len(data) > MaxPayloadBytes {
		return schemaErr("payload of %d bytes exceeds %d", len(data), MaxPayloadBytes)
	}
	// encoding/json turns invalid UTF-8 into U+FFFD, so two detection IDs
	// that differ only there ("ab\xff\xfe", "ab\xc0\xc1") decoded alike,
	// and fusion dropped the second as a duplicate of the first.
	if !utf8.Valid(data) {
		return schemaErr("payload is not valid UTF-8 (at byte %d)", invalidUTF8At(data))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrSchema, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return schemaErr("trailing data after JSON object")
	}
	// encoding/json keeps a repeated key's last value: {"id":"dupkey",
	// ..., "id":"dupkey2"} was stored as dupkey2, and a "sensor" given
	// twice was judged on the second.
	// (decoded whole above: valid JSON, so not checked as JSON again)
	var dup *jsondup.Error
	if errors.As(jsondup.CheckDecoded(data), &dup) {
		return schemaErr("%s: the key appears twice in one object, and which value is meant is ambiguous", dup.Path)
	}
	return (*v).Validate()
}

// DecodeDetection strictly decodes and validates a detection payload.
func DecodeDetection(data []byte) (Detection, error) {
	var d Detection
	err := Decode(data, &d)
	return d, err
}

// DecodeHealth strictly decodes and validates a health payload.
func DecodeHealth(data []byte) (Health, error) {
	var h Health
	err := Decode(data, &h)
	return h, err
}

// DecodeAlert strictly decodes and validates an alert payload.
func DecodeAlert(data []byte) (Alert, error) {
	var a Alert
	err := Decode(data, &a)
	return a, err
}

// DecodeStoredAlert decodes and validates an alert rfwarden wrote itself
// and reads back later (fusion's notification outbox and the file it keeps
// them in at a stop), as DecodeAlert does, except that a field this
// binary does not know is ignored: a newer fusion's alerts (rule_kind was
// added on 2026-12-07) queued in the database must still be delivered by
// an older one after a rollback. Outside payloads (MQTT) stay strict.
func DecodeStoredAlert(data []byte) (Alert, error) {
	var a Alert
	if len(data) > MaxPayloadBytes {
		return a, schemaErr("payload of %d bytes exceeds %d", len(data), MaxPayloadBytes)
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return a, fmt.Errorf("%w: %v", ErrSchema, err)
	}
	return a, a.Validate()
}

// DecodeSpectrum strictly decodes and validates a spectrum payload.
func DecodeSpectrum(data []byte) (Spectrum, error) {
	var s Spectrum
	err := Decode(data, &s)
	return s, err
}

// DecodeLocation strictly decodes and validates a location payload.
func DecodeLocation(data []byte) (Location, error) {
	var l Location
	err := Decode(data, &l)
	return l, err
}

// DecodeCommand strictly decodes and validates a command payload.
func DecodeCommand(data []byte) (Command, error) {
	var c Command
	err := Decode(data, &c)
	return c, err
}

// DecodeAck strictly decodes and validates an acknowledgement payload.
func DecodeAck(data []byte) (Ack, error) {
	var a Ack
	err := Decode(data, &a)
	return a, err
}

// invalidUTF8At returns the offset of the first byte of data that does
// not begin a valid UTF-8 sequence, or len(data).
func invalidUTF8At(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(data)
}

func schemaErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSchema, fmt.Sprintf(format, args...))
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// ClipLabel returns s as a valid Detection.Label: without control
// characters or invalid UTF-8, cut at a character boundary to at most
// MaxLabelLen bytes.
func ClipLabel(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			continue
		}
		if b.Len()+utf8.RuneLen(r) > MaxLabelLen {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ClipText returns s as printable UTF-8 of at most maxBytes bytes, for a
// health report's reasons (MaxReasonLen) and version (MaxVersionLen):
// control characters (the newlines of a joined error) become spaces,
// invalid UTF-8 is dropped, and it is cut at a character boundary.
func ClipText(s string, maxBytes int) string {
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError {
			continue
		}
		if unicode.IsControl(r) {
			r = ' '
		}
		if b.Len()+utf8.RuneLen(r) > maxBytes {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// printable reports that s is valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// ValidEventID reports whether s can be a detection's or an alert's ID:
// 1..128 printable characters (no control character, valid UTF-8).
func ValidEventID(s string) bool { return s != "" && len(s) <= 128 && printable(s) }

// ValidID reports whether s can be a site or sensor ID: 1..64 characters of
// [A-Za-z0-9_-], so it is safe as an MQTT topic level and a file name.
func ValidID(s string) bool { return validID(s) }

func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) < 0
}
