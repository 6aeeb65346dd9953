package alert

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/internal/yamlstrict"
)

// Rule kinds.
const (
	KindUnauthorisedUplink = "unauthorised_uplink" // unauthorised uplink located in a room of RoomKinds
	KindDrone              = "drone"               // drone class located anywhere, or in a room of RoomKinds when given
	KindDroneDrop          = "drone_drop"          // links a drone and a later phone within Window and RadiusM of its path
	KindSensorOffline      = "sensor_offline"      // status offline (the sensor's last will)
	KindSensorHealth       = "sensor_health"       // health state in States
	KindSensorClock        = "sensor_clock"        // clock off the other sensors' by more than MaxOffset
)

// Duration is a time.Duration written in YAML as "30s", "2m".
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(b []byte) error {
	s := string(bytes.Trim(bytes.TrimSpace(b), `"'`))
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	if v < 0 {
		return fmt.Errorf("duration %q: negative", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a Go duration string.
func (d Duration) MarshalYAML() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Rule is one alerting rule.
type Rule struct {
	Name         string   `yaml:"name"`
	Kind         string   `yaml:"kind"`
	Severity     string   `yaml:"severity"`      // info, warning, critical
	For          Duration `yaml:"for"`           // condition must hold this long before firing (a location alert: seen again at least this long after first)
	ResolveAfter Duration `yaml:"resolve_after"` // resolved when not seen for this long; default 2m
	RoomKinds    []string `yaml:"room_kinds"`    // for uplink rules (required) and drone rules (none: every room)
	Classes      []string `yaml:"classes"`       // event classes; defaults per kind
	MinProb      float64  `yaml:"min_prob"`      // minimum room probability; default 0.3
	States       []string `yaml:"states"`        // for sensor_health; default tampered, jammed, overloaded, stalled
	Window       Duration `yaml:"window"`        // for drone_drop; default 10m
	RadiusM      float64  `yaml:"radius_m"`      // for drone_drop: phone's room to the drone's path; default DefaultDropRadiusM
	// MaxOffset is, for sensor_clock, how far a sensor's clock may be from
	// the median of the site's sensors' (fusion's estimate from their
	// health reports' arrival); default 250ms, half the default
	// association window: detections of one emission stamped further
	// apart are not grouped, and the emitter is located from fewer sensors.
	MaxOffset Duration `yaml:"max_offset"`
	// ReannounceAfter is, for drone rules, how long a firing alert that
	// someone has acknowledged must go without a fix before a fix makes
	// it a new alert (the acknowledged one resolved, its acknowledgement
	// kept): the drone is back, and the control room is told again.
	// 0 is the default, 45s; else at least 10s.
	ReannounceAfter Duration `yaml:"reannounce_after"`
	// VisitSeparationM is, for drone rules, how far in metres a
	// drone-class fix must be from every link of every open visit of the
	// rule (the latest fix of each of its tracks) to open a visit of its
	// own, its own alert: a second aircraft. 0 is the default,
	// DefaultVisitSeparationM; else at least MinVisitSeparationM.
	VisitSeparationM float64 `yaml:"visit_separation_m"`
	// EscalateAfter publishes a firing alert again, its escalations
	// counted, every EscalateAfter that nobody acknowledges it; 0 never.
	// At least 30 s; not for drone_drop (its alerts are the drone's).
	EscalateAfter Duration `yaml:"escalate_after"`
	// RepeatCount and RepeatWindow are, for unauthorised_uplink rules,
	// how many alerts of the rule in one room (or of one track) that
	// never fired make the next one fire at once, and within how long:
	// the RepeatCount-th pending alert there within RepeatWindow fires,
	// its summary saying why ("heard 3 times in 20 min, each shorter than
	// the 10 s hold"). A phone used only for SMS sends 2 s of uplink
	// every few minutes, each burst a pending alert that resolves unfired
	// (For is held within one alert). 0 is the default
	// (DefaultRepeatCount, DefaultRepeatWindow); RepeatOff (repeat_count:
	// off) never; else a count of at least 2 and a window of at least
	// (count-1) x resolve_after and at most MaxRepeatWindow.
	RepeatCount  Count    `yaml:"repeat_count"`
	RepeatWindow Duration `yaml:"repeat_window"`
	// AckLasts is, for unauthorised_uplink and drone rules, how long an
	// acknowledgement silences a firing alert whose phone or drone is
	// still heard: a fix AckLasts or more after the acknowledgement
	// resolves the acknowledged alert (its acknowledgement kept) and
	// raises a new one, which fires at once and joins its case. 0 is the
	// default, DefaultAckLasts for a phone rule, DefaultDroneAckLasts for
	// a drone rule; else at least MinAckLasts (there is no "off").
	AckLasts Duration `yaml:"ack_lasts"`
}

// Count is a rule's repeat_count: a whole number, or "off" (RepeatOff).
type Count int

// RepeatOff is a repeat_count of "off": alerts that never fired make no
// later one fire.
const RepeatOff Count = -1

// UnmarshalYAML parses a whole number or "off".
func (n *Count) UnmarshalYAML(b []byte) error {
	s := string(bytes.Trim(bytes.TrimSpace(b), `"'`))
	if s == "off" {
		*n = RepeatOff
		return nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		return fmt.Errorf("count %q: a whole number of at least 2, or off", s)
	}
	*n = Count(v)
	return nil
}

// MarshalYAML writes the count, or "off".
func (n Count) MarshalYAML() ([]byte, error) {
	if n == RepeatOff {
		return []byte("off"), nil
	}
	return []byte(strconv.Itoa(int(n))), nil
}

// Anywhere reports whether r is a drone rule with no room_kinds, which
// holds wherever the drone is located (every room of the site model).
func (r *Rule) Anywhere() bool { return r.Kind == KindDrone && len(r.RoomKinds) == 0 }

// Config is the alerting configuration.
type Config struct {
	Rules []Rule `yaml:"rules"`
}

// PhoneClasses are the classes treated as a phone uplink.
var PhoneClasses = []string{event.ClassGSM, event.ClassUMTS, event.ClassLTE, event.ClassNR}

// DroneClasses are the classes treated as a drone.
var DroneClasses = event.DroneClasses

// DefaultEscalateAfter is how long the built-in critical rules let a firing
// alert go unacknowledged before they publish it again.
const DefaultEscalateAfter = Duration(5 * time.Minute)

// DefaultDropRadiusM is a drone_drop rule's radius_m when it gives none:
// how close to where the drone went a phone's room must be to join its
// drop. It takes in the cells at the window a drone hovered by, their
// neighbours and those across the landing, within a drone fix's error;
// 60 m, the default until 2026-12-05, took in the whole wing.
const DefaultDropRadiusM = 10.0

// DefaultReannounceAfter is a drone rule's reannounce_after when it gives
// none: a drone back after three quarters of a minute unheard is a new
// approach (a drone hovering is located every few seconds).
const DefaultReannounceAfter = 45 * time.Second

// DefaultVisitSeparationM is a drone rule's visit_separation_m when it
// gives none. A drone's fixes are 35 m RMSE (docs/localisation.md,
// TestStandardWingFewSensors: 36.7 m heard by one sensor), so two fixes of
// one aircraft's links differ by about 50 m RMSE, 100 m at worst in
// practice, and its controller is with the pilot, often 100 m or more
// away (the demo's, 120 m outside the wall); 200 m takes all of that in
// as one visit, and is still less than a prison's width (300-600 m), so a
// decoy at one side and a drop drone at the other are two.
const DefaultVisitSeparationM = 200.0

// MinVisitSeparationM is the least visit_separation_m a drone rule may
// set: below it one drone's links, its fixes 35 m out each, would be
// split into visits of their own, each alerting.
const MinVisitSeparationM = 100.0

// DefaultRepeatCount and DefaultRepeatWindow are an unauthorised_uplink
// rule's repeat_count and repeat_window when it gives none: the third
// alert of one room (or track) within 30 minutes, none of them held for
// the rule's for, fires. A phone used only for SMS or background data
// sends a burst of uplink every few minutes (messaging keep-alives and
// push every 3-15 min), each shorter than the 10 s hold and farther apart
// than resolve_after (2 min), so each was a pending alert that resolved
// unfired: with these, bursts every 3 minutes fire at the third (6 min),
// every 10 minutes at the third (20 min), every 15 at the third (30 min).
// Authorised devices are left out before the rules, so the cost is an
// unauthorised emission located three times in one cell in half an
// hour: not a stray false alarm, which is one sighting. Two would fire a
// phone heard once and once more in reply.
const (
	DefaultRepeatCount  Count = 3
	DefaultRepeatWindow       = 30 * time.Minute
)

// MaxRepeatWindow is the longest repeat_window: the dashboard's incident
// shows the detections of an hour before its opening, so the bursts an
// alert fired on are shown with it, and the engine keeps no longer a
// record of the alerts that never fired.
const MaxRepeatWindow = time.Hour

// DefaultAckLasts is an unauthorised_uplink rule's ack_lasts when it gives
// none. An acknowledgement says the control room is dealing with the
// phone: calling staff, locking the landing down and searching a cell
// takes tens of minutes, and reminding them meanwhile would only teach
// them to acknowledge without looking. A phone still in use an hour after
// its acknowledgement was not found (or nobody looked: an acknowledgement
// needs no note), and the control room hears of it again, as a new alert
// in the same case. Until 2026-12-06 an acknowledged phone's alert
// stayed silent for as long as the phone kept being used.
const DefaultAckLasts = time.Hour

// DefaultDroneAckLasts is a drone rule's ack_lasts when it gives none:
// a drone still heard ten minutes after its alert was acknowledged is
// announced again. A drone is rarer and more urgent than a phone, and
// stays less long: a small drone flies 20 to 40 minutes on a battery,
// so a phone's hour would never come while one hovers, and a drone
// acknowledged as it came stayed silent for the rest of its flight
// (until 2026-12-06). Ten minutes is long enough for the response an
// acknowledgement starts (staff to the yard or the wing the drone is
// over, the police called), and a drone still there after it is
// waiting for a drop to be picked up, or watching the response, and
// the control room must hear of it again. It is MinAckLasts: a shorter
// one would repeat the alarm while staff are still on their way.
const DefaultDroneAckLasts = 10 * time.Minute

// MinAckLasts is the least ack_lasts a rule may set: a search takes
// longer than that, and a shorter one would raise the phone (or drone)
// anew while staff are at the cell door.
const MinAckLasts = 10 * time.Minute

// DefaultMaxOffset is a sensor_clock rule's max_offset when it gives none.
const DefaultMaxOffset = 250 * time.Millisecond

// MaxClockOffset returns the largest max_offset of c's sensor_clock rules
// (DefaultMaxOffset for one that gives none), or 0 when c has none: how
// far off the other sensors' a sensor's clock may be before it is
// alarmed.
func (c Config) MaxClockOffset() time.Duration {
	var m time.Duration
	for _, r := range c.Rules {
		if r.Kind != KindSensorClock {
			continue
		}
		off := time.Duration(r.MaxOffset)
		if off == 0 {
			off = DefaultMaxOffset
		}
		m = max(m, off)
	}
	return m
}

// alertsOn reports whether r is a location rule that alerts on an
// unauthorised emission of class on link, wherever it is (its rooms
// aside): an unauthorised_uplink rule on an uplink, TDD or unknown link of
// one of its classes (class unknown on an uplink or TDD link only:
// unnamed energy elsewhere is not a phone), a drone rule on one of its
// classes. ObserveLocation and TrackHold judge by it.
func (r *Rule) alertsOn(class, link string) bool {
	switch {
	case r.Kind != KindUnauthorisedUplink && r.Kind != KindDrone, !slices.Contains(r.Classes, class):
		return false
	case r.Kind == KindDrone:
		return true
	case link != event.LinkUplink && link != event.LinkTDD && link != event.LinkUnknown:
		return false
	}
	return class != event.ClassUnknown || link == event.LinkUplink || link == event.LinkTDD
}

// TrackHold returns how long fusion's tracker must hold a track of class
// on link unheard for a phone alert of c that is still open to follow it
// when it is heard again: the longest resolve_after of c's
// unauthorised_uplink rules that alert on class and link (alertsOn; a
// rule's default when it gives none), 0 when none does. A phone alert is
// its track's (one per track and room), and the tracker ends a track
// after its gap (fusion.Config.TrackGap, 2 min): a phone back in its cell
// after 5 minutes had a new track, and a second alert beside its first,
// still open for a resolve_after of 10 minutes. Drone rules are left out:
// a drone alert is its visit's, which a new track joins by where it is
// (droneVisit).
func (c Config) TrackHold(class, link string) time.Duration {
	var m time.Duration
	for _, r := range c.Rules {
		if r.Kind != KindUnauthorisedUplink {
			continue
		}
		r.applyDefaults() // a copy: a hand-built Config may lack them
		if r.alertsOn(class, link) {
			m = max(m, time.Duration(r.ResolveAfter))
		}
	}
	return m
}

// DefaultConfig returns the rules of ../shared/DESIGN.md §5.
func DefaultConfig() Config {
	c := Config{Rules: []Rule{
		{Name: "unauthorised-uplink-in-cell", Kind: KindUnauthorisedUplink, Severity: event.SeverityCritical,
			For: Duration(10 * time.Second), RoomKinds: []string{site.KindCell}, EscalateAfter: DefaultEscalateAfter},
		// The perimeter is the sterile strip between the yard fence and
		// the outer wall, inside the secure line: nobody's phone belongs
		// there (an accomplice, a thrown-over phone in use). Until
		// 2026-12-06 this rule left it out, and a phone located there
		// raised nothing. Outside the wall is public land: left out.
		{Name: "unauthorised-uplink", Kind: KindUnauthorisedUplink, Severity: event.SeverityWarning,
			For: Duration(30 * time.Second), RoomKinds: []string{site.KindLanding, site.KindOffice, site.KindYard, site.KindPerimeter}},
		// A drone alerts wherever it is located: a drop is flown to a cell
		// window, and an inmate may fly one from a cell (its controller
		// located there). Until 2026-12-05 this rule named the perimeter,
		// the yard and outside, and those raised nothing.
		{Name: "drone", Kind: KindDrone, Severity: event.SeverityCritical, EscalateAfter: DefaultEscalateAfter},
		{Name: "drone-drop", Kind: KindDroneDrop, Severity: event.SeverityCritical},
		{Name: "sensor-offline", Kind: KindSensorOffline, Severity: event.SeverityWarning, For: Duration(30 * time.Second)},
		{Name: "sensor-health", Kind: KindSensorHealth, Severity: event.SeverityWarning, For: Duration(30 * time.Second)},
		{Name: "sensor-clock", Kind: KindSensorClock, Severity: event.SeverityWarning, For: Duration(time.Minute)},
	}}
	for i := range c.Rules {
		c.Rules[i].applyDefaults()
	}
	return c
}

func (r *Rule) applyDefaults() {
	if r.Severity == "" {
		r.Severity = event.SeverityWarning
	}
	if r.ResolveAfter == 0 {
		r.ResolveAfter = Duration(2 * time.Minute)
	}
	if r.MinProb == 0 {
		r.MinProb = 0.3
	}
	switch r.Kind {
	case KindUnauthorisedUplink:
		if r.RepeatCount == 0 {
			r.RepeatCount = DefaultRepeatCount
		}
		if r.RepeatWindow == 0 && r.RepeatCount != RepeatOff {
			r.RepeatWindow = Duration(DefaultRepeatWindow)
		}
		if r.AckLasts == 0 {
			r.AckLasts = Duration(DefaultAckLasts)
		}
		if r.Classes == nil {
			// An emission the classifiers could not name but that the band
			// plan puts in a cellular uplink is a handset of some generation
			// (e.g. "LTE or NR"): it counts, on uplink/TDD links only.
			r.Classes = append(slices.Clone(PhoneClasses), event.ClassUnknown)
		}
	case KindDrone:
		if r.Classes == nil {
			r.Classes = DroneClasses
		}
		if r.ReannounceAfter == 0 {
			r.ReannounceAfter = Duration(DefaultReannounceAfter)
		}
		if r.AckLasts == 0 {
			r.AckLasts = Duration(DefaultDroneAckLasts)
		}
		if r.VisitSeparationM == 0 {
			r.VisitSeparationM = DefaultVisitSeparationM
		}
	case KindSensorHealth:
		if r.States == nil {
			r.States = []string{event.StateTampered, event.StateJammed, event.StateOverloaded, event.StateStalled}
		}
	case KindSensorClock:
		if r.MaxOffset == 0 {
			r.MaxOffset = Duration(DefaultMaxOffset)
		}
	case KindDroneDrop:
		if r.Window == 0 {
			r.Window = Duration(10 * time.Minute)
		}
		if r.RadiusM == 0 {
			r.RadiusM = DefaultDropRadiusM
		}
	}
}

// ErrConfig is wrapped by every configuration validation error.
var ErrConfig = errors.New("invalid alert config")

// LoadConfig reads rules from strict YAML, fills unset fields with their
// defaults and validates the result. A document with no rules is refused:
// the defaults are DefaultConfig, not an empty file.
func LoadConfig(r io.Reader) (Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return Config{}, fmt.Errorf("read alert config: %w", err)
	}
	var c Config
	if err := yamlstrict.Decode(data, &c); err != nil {
		return Config{}, fmt.Errorf("decode alert config: %w", err)
	}
	if len(c.Rules) == 0 {
		// An empty file or rules: [] ran fusion with no alerting at all,
		// not even sensor-offline.
		return Config{}, fmt.Errorf("%w: no alert rules: remove the alerts file setting to use the defaults, or list rules", ErrConfig)
	}
	for i := range c.Rules {
		c.Rules[i].applyDefaults()
	}
	if err := c.Validate(); err != nil {
		// the rule's setting at its line in data (a default has none)
		var re *ruleError
		if errors.As(err, &re) && re.rule >= 0 {
			return Config{}, fmt.Errorf("%w: %w", ErrConfig, yamlstrict.At(data, fmt.Sprintf("rules[%d].%s", re.rule, re.key), re.msg))
		}
		return Config{}, err
	}
	return c, nil
}

// ruleError is a rule's setting that does not validate: rule is its index
// in rules, key its name in the file (min_prob, for); text is the error's
// own (after ErrConfig), msg what LoadConfig shows at the key's line.
type ruleError struct {
	rule      int
	key       string
	text, msg string
}

func (e *ruleError) Error() string { return ErrConfig.Error() + ": " + e.text }
func (e *ruleError) Unwrap() error { return ErrConfig }

// bad is an error about r's setting key.
func (r *Rule) bad(key, format string, args ...any) error {
	msg := fmt.Sprintf("rule %q: ", r.Name) + fmt.Sprintf(format, args...)
	return &ruleError{rule: -1, key: key, text: msg, msg: msg}
}

// MaxRuleDuration is the longest for, resolve_after, window, max_offset,
// reannounce_after and escalate_after a rule may set; MaxAckLasts the
// longest ack_lasts. A longer one never comes in practice (an alert that
// never fires, never resolves or is never raised again), and one near
// the largest time.Duration overflowed when added to a time.
const (
	MaxRuleDuration = 24 * time.Hour
	MaxAckLasts     = 7 * 24 * time.Hour
)

// Validate reports the first problem with c, naming the rule.
func (c Config) Validate() error {
	names := map[string]bool{}
	for i, r := range c.Rules {
		if r.Name == "" {
			return &ruleError{rule: i, key: "name", text: fmt.Sprintf("rules[%d]: name missing", i), msg: "missing"}
		}
		if names[r.Name] {
			return &ruleError{rule: i, key: "name", text: fmt.Sprintf("rules[%d]: duplicate name %q", i, r.Name), msg: fmt.Sprintf("duplicate name %q", r.Name)}
		}
		names[r.Name] = true
		if err := r.validate(); err != nil {
			var re *ruleError
			if errors.As(err, &re) {
				re.rule = i
			}
			return err
		}
	}
	return nil
}

// validate reports the first problem with r, its defaults applied.
func (r *Rule) validate() error {
	for _, d := range []struct {
		key string
		v   Duration
		max time.Duration
	}{
		{"for", r.For, MaxRuleDuration},
		{"resolve_after", r.ResolveAfter, MaxRuleDuration},
		{"window", r.Window, MaxRuleDuration},
		{"max_offset", r.MaxOffset, MaxRuleDuration},
		{"reannounce_after", r.ReannounceAfter, MaxRuleDuration},
		{"escalate_after", r.EscalateAfter, MaxRuleDuration},
		{"ack_lasts", r.AckLasts, MaxAckLasts},
	} {
		if time.Duration(d.v) > d.max {
			return r.bad(d.key, "%s %v: at most %v", d.key, time.Duration(d.v), d.max)
		}
	}
	if r.Kind == KindSensorHealth && slices.Contains(r.States, event.StateOK) {
		return r.bad("states", "states: %q is a healthy sensor's state: the rule would fire for every sensor that works", event.StateOK)
	}
	if !slices.Contains([]string{KindUnauthorisedUplink, KindDrone, KindDroneDrop, KindSensorOffline, KindSensorHealth, KindSensorClock}, r.Kind) {
		return r.bad("kind", "kind %q unknown", r.Kind)
	}
	if !slices.Contains([]string{event.SeverityInfo, event.SeverityWarning, event.SeverityCritical}, r.Severity) {
		return r.bad("severity", "severity %q unknown", r.Severity)
	}
	switch {
	case r.EscalateAfter != 0 && r.Kind == KindDroneDrop:
		return r.bad("escalate_after", "escalate_after: a drone_drop rule raises no alerts of its own")
	case r.EscalateAfter != 0 && time.Duration(r.EscalateAfter) < 30*time.Second:
		return r.bad("escalate_after", "escalate_after %v: use 0 (never) or at least 30s", time.Duration(r.EscalateAfter))
	}
	switch {
	case r.ReannounceAfter != 0 && r.Kind != KindDrone:
		return r.bad("reannounce_after", "reannounce_after is for drone rules only")
	case r.ReannounceAfter != 0 && time.Duration(r.ReannounceAfter) < 10*time.Second:
		return r.bad("reannounce_after", "reannounce_after %v: at least 10s (a drone is located every few seconds)", time.Duration(r.ReannounceAfter))
	}
	if err := r.validatePhone(); err != nil {
		return err
	}
	switch {
	case r.VisitSeparationM != 0 && r.Kind != KindDrone:
		return r.bad("visit_separation_m", "visit_separation_m is for drone rules only")
	case r.VisitSeparationM != 0 && !(r.VisitSeparationM >= MinVisitSeparationM && r.VisitSeparationM <= math.MaxFloat64):
		return r.bad("visit_separation_m", "visit_separation_m %v: at least %.0f (one drone's fixes scatter 35 m and more, docs/localisation.md)",
			r.VisitSeparationM, MinVisitSeparationM)
	}
	switch {
	case r.MaxOffset != 0 && r.Kind != KindSensorClock:
		return r.bad("max_offset", "max_offset is for sensor_clock rules only")
	case r.Kind == KindSensorClock && time.Duration(r.MaxOffset) < 10*time.Millisecond:
		return r.bad("max_offset", "max_offset %v: at least 10ms (the estimate is good to a few ms)", time.Duration(r.MaxOffset))
	}
	if !(r.MinProb >= 0 && r.MinProb <= 1) { // NaN too
		return r.bad("min_prob", "min_prob %v not in [0,1]", r.MinProb)
	}
	if r.Kind == KindDroneDrop && !(r.RadiusM > 0 && r.RadiusM <= math.MaxFloat64) {
		// NaN or below 0 (0 took the default) matched no phone
		return r.bad("radius_m", "radius_m %v: a distance in metres above 0", r.RadiusM)
	}
	located := r.Kind == KindUnauthorisedUplink || r.Kind == KindDrone
	switch {
	case r.Kind == KindUnauthorisedUplink && len(r.RoomKinds) == 0:
		// A drone rule without room_kinds covers every room (Rule.Anywhere).
		return r.bad("room_kinds", "room_kinds missing")
	case !located && len(r.RoomKinds) > 0:
		return r.bad("room_kinds", "room_kinds is for unauthorised_uplink and drone rules only")
	case !located && len(r.Classes) > 0:
		return r.bad("classes", "classes is for unauthorised_uplink and drone rules only")
	case r.Kind != KindSensorHealth && len(r.States) > 0:
		return r.bad("states", "states is for sensor_health rules only")
	}
	// Each value a list names must be one the site, the classifiers
	// (event.Classes) or the sensors' health (event.States) can give:
	// a typo ("cells") made a rule that never fires.
	lists := []struct {
		key, what string
		given     []string
		valid     []string
	}{
		{"room_kinds", "room kind", r.RoomKinds, site.Kinds},
		{"classes", "class", r.Classes, event.Classes},
		{"states", "health state", r.States, event.States},
	}
	for _, l := range lists {
		for _, v := range l.given {
			if !slices.Contains(l.valid, v) {
				return r.bad(l.key, "%s: %q is not a %s (%s)", l.key, v, l.what, strings.Join(l.valid, ", "))
			}
		}
	}
	return nil
}

// validatePhone checks the settings of unauthorised_uplink rules alone
// (repeat_count, repeat_window) and ack_lasts, which drone rules take
// too, their defaults applied.
func (r *Rule) validatePhone() error {
	if r.AckLasts != 0 && r.Kind != KindUnauthorisedUplink && r.Kind != KindDrone {
		return r.bad("ack_lasts", "ack_lasts is for unauthorised_uplink and drone rules only")
	}
	if r.Kind == KindDrone {
		d := *r // a hand-built rule (New validates before it applies defaults)
		d.applyDefaults()
		if time.Duration(d.AckLasts) < MinAckLasts {
			return r.bad("ack_lasts", "ack_lasts %v: at least %v (the response takes longer: a drone raised anew while staff are on their way)",
				time.Duration(d.AckLasts), MinAckLasts)
		}
	}
	if r.Kind != KindUnauthorisedUplink {
		if r.RepeatCount != 0 || r.RepeatWindow != 0 {
			return r.bad("repeat_count", "repeat_count and repeat_window are for unauthorised_uplink rules only")
		}
		return nil
	}
	if r.RepeatCount == RepeatOff && r.RepeatWindow != 0 {
		return r.bad("repeat_window", "repeat_window %v with repeat_count off: leave repeat_window out", time.Duration(r.RepeatWindow))
	}
	d := *r // a hand-built rule (New validates before it applies defaults)
	d.applyDefaults()
	count, window := d.RepeatCount, time.Duration(d.RepeatWindow)
	switch {
	case count != RepeatOff && count < 2:
		return r.bad("repeat_count", "repeat_count %d: at least 2, or off (1 would fire at every sighting: set for: 0s for that)", count)
	case count != RepeatOff && window > MaxRepeatWindow:
		return r.bad("repeat_window", "repeat_window %v: at most %v (an incident shows the detections of the hour before it)", window, MaxRepeatWindow)
	case count != RepeatOff && window < time.Duration(count-1)*time.Duration(d.ResolveAfter):
		// A phone heard again within resolve_after continues its alert:
		// count alerts of one track take (count-1) x resolve_after at
		// least, and a shorter window would never see them.
		return r.bad("repeat_window", "repeat_window %v: at least %v (repeat_count %d less one, times resolve_after %v: a phone heard again sooner continues its alert)",
			window, time.Duration(count-1)*time.Duration(d.ResolveAfter), count, time.Duration(d.ResolveAfter))
	case time.Duration(d.AckLasts) < MinAckLasts:
		return r.bad("ack_lasts", "ack_lasts %v: at least %v (a search takes longer: a phone raised anew while staff are at the door)", time.Duration(d.AckLasts), MinAckLasts)
	}
	return nil
}

// MissingKinds returns, for each location rule of c (unauthorised_uplink,
// drone) that names a room kind s has no room of, those kinds, by rule
// name: valid kinds, but the rule cannot fire in them at this site (and
// not at all when it names none of the site's).
func (c Config) MissingKinds(s *site.Site) map[string][]string {
	has := map[string]bool{}
	for _, rm := range s.Rooms {
		has[rm.Kind] = true
	}
	var missing map[string][]string
	for _, r := range c.Rules {
		for _, k := range r.RoomKinds {
			if !has[k] {
				if missing == nil {
					missing = map[string][]string{}
				}
				missing[r.Name] = append(missing[r.Name], k)
			}
		}
	}
	return missing
}
