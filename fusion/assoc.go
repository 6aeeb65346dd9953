package fusion

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/locate"
	"github.com/rfwarden/rfwarden/fusion/site"
)

// group is one emission heard by one or more sensors: detections of the same
// class whose times fall within the association window of the first and
// whose frequency ranges overlap.
type group struct {
	class    string
	link     string
	centerHz float64
	bwHz     float64
	start    time.Time
	dets     []event.Detection
}

// overlaps reports whether d can be g's emission heard by another sensor:
// the same class and link, and frequencies within half the wider
// bandwidth plus tolHz. The link matters for class unknown, which holds
// both an uplink the classifiers could not name ("LTE/NR uplink") and a
// sensor's noise blip: in the demo a 12 µs blip from the office sensor
// joined the first group of an LTE handset two floors away and moved its
// first fix to another landing.
func (g *group) overlaps(d event.Detection, tolHz float64) bool {
	return d.Class == g.class && g.onChannel(d.Link, d.CenterHz, d.BandwidthHz, tolHz)
}

// onChannel reports whether an emission on link at centerHz, bwHz wide, is
// on g's channel: the same link, and centres within half the wider of the
// two bandwidths plus tolHz.
func (g *group) onChannel(link string, centerHz, bwHz, tolHz float64) bool {
	return link == g.link && math.Abs(centerHz-g.centerHz) <= max(g.bwHz, bwHz)/2+tolHz
}

// hasSensor reports whether the group already holds a detection of sensor.
func (g *group) hasSensor(sensor string) bool {
	for _, d := range g.dets {
		if d.Sensor == sensor {
			return true
		}
	}
	return false
}

// associator builds groups from a stream of detections. Not safe for
// concurrent use (the engine serialises).
type associator struct {
	window time.Duration
	tolHz  float64
	open   []*group
	// latest holds each sensor's latest stamp, in the order first heard:
	// streamTime reads the stream's time from them.
	latest []sensorStamp
}

// sensorStamp is the stamp of a sensor's latest detection.
type sensorStamp struct {
	sensor string
	at     time.Time
}

// maxStreamSensors bounds associator.latest: Handle takes only the site
// model's sensors, but HandleDetection takes any.
const maxStreamSensors = 1024

// add puts d into an open group or opens a new one, and returns the groups
// that the stream's time has closed (closePast).
func (a *associator) add(d event.Detection) []*group {
	t := d.Time()
	closed := a.closePast(d.Sensor, t)
	for _, g := range a.open {
		if g.overlaps(d, a.tolHz) && !g.hasSensor(d.Sensor) && t.Sub(g.start) < a.window && t.Sub(g.start) > -a.window {
			g.dets = append(g.dets, d)
			return closed
		}
	}
	// Room for a few sensors at once: regrowing a slice of detections
	// (224 bytes each) one doubling at a time showed in the engine's profile.
	dets := append(make([]event.Detection, 0, 4), d)
	a.open = append(a.open, &group{class: d.Class, link: d.Link, centerHz: d.CenterHz, bwHz: d.BandwidthHz, start: t, dets: dets})
	return closed
}

// closePast notes that sensor's latest detection is stamped t, and closes
// and returns the open groups the stream's time has moved past: those
// opened a window or more before the stream's time (streamTime: the
// second newest of the sensors' latest stamps, which two sensors agree
// the stream has reached), and those of sensor's own opened a window or
// more before t (its own clock has moved on, whatever the others'). A
// group stamped after t, or long before it, stays open for the detections
// of its own stream; fusion's clock closes what is left (Tick's flush,
// and Run's groupCloser a window after a group arrives).
//
// Until 2026-12-08 each detection closed every group a window or more
// from its own stamp, before or after it (flush(t)). One sensor's clock
// 600 ms behind the others' then split each emission three ways, {s1,s2}
// {s3} {s4,s5,s6}: s3's detection, arriving between s2's and s4's, closed
// the group of s1 and s2, and s4's closed s3's. Ten seconds behind, the
// same left s4, s5 and s6 alone, and their fixes alerted in the wrong
// cell; and a sensor sending its outbox after an outage (hour-old
// detections) split every live group of the site while it drained
// (TestOneSensorSkewKeepsGroups). A single sensor cannot move the
// stream's time: ahead, it is not the second newest, and behind or
// backlogged, its latest stamp is not among the newest.
func (a *associator) closePast(sensor string, t time.Time) []*group {
	stream := a.streamTime(sensor, t)
	return a.closeWhere(func(g *group) bool {
		return !stream.IsZero() && stream.Sub(g.start) >= a.window || t.Sub(g.start) >= a.window && g.hasSensor(sensor)
	})
}

// closeWhere closes and returns, in the order opened, the open groups
// done reports.
func (a *associator) closeWhere(done func(*group) bool) []*group {
	var closed []*group
	keep := a.open[:0]
	for _, g := range a.open {
		if done(g) {
			closed = append(closed, g)
		} else {
			keep = append(keep, g)
		}
	}
	clear(a.open[len(keep):])
	a.open = keep
	return closed
}

// streamTime notes that sensor's latest detection is stamped t and
// returns the second newest of the sensors' latest stamps (zero while
// fewer than two sensors have been heard). Each sensor's latest stamp,
// not its newest: a clock stepped back (NTP correcting it), or a run
// replayed from its start again, takes the stream's time back with it
// once two sensors have, instead of leaving it ahead and every later
// group closed as it opens.
func (a *associator) streamTime(sensor string, t time.Time) time.Time {
	i := slices.IndexFunc(a.latest, func(s sensorStamp) bool { return s.sensor == sensor })
	switch {
	case i >= 0:
		a.latest[i].at = t
	case len(a.latest) < maxStreamSensors:
		a.latest = append(a.latest, sensorStamp{sensor: sensor, at: t})
	default: // forget the sensor whose latest stamp is the oldest
		oldest := 0
		for j, s := range a.latest {
			if s.at.Before(a.latest[oldest].at) {
				oldest = j
			}
		}
		a.latest[oldest] = sensorStamp{sensor: sensor, at: t}
	}
	var first, second time.Time
	for _, s := range a.latest {
		switch {
		case s.at.After(first):
			first, second = s.at, first
		case s.at.After(second):
			second = s.at
		}
	}
	return second
}

// flush closes and returns the groups opened more than the window before
// now, and the groups stamped more than the window after now: a sensor whose
// clock runs ahead (or jumped forward) must not have its detections held
// until fusion's clock gets there, nor lost when fusion stops before that.
// Tick calls it with fusion's clock; a detection's own stamp closes
// nothing ahead of it (closePast).
func (a *associator) flush(now time.Time) []*group {
	return a.closeWhere(func(g *group) bool {
		d := now.Sub(g.start)
		return d >= a.window || d <= -a.window
	})
}

// flushAll closes and returns every open group (fusion is stopping).
func (a *associator) flushAll() []*group {
	closed := a.open
	a.open = nil
	return closed
}

// track is one emitter followed over successive groups.
type track struct {
	id    string
	class string
	link  string
	// loHz and hiHz are the track's channel: the spectrum its groups
	// cover, from its first group's (tracker.carries).
	loHz, hiHz float64
	// last is its latest group (the one at lastSeen).
	last      *group
	floor     string
	pos       site.Point
	located   bool
	room      string
	roomProb  float64
	roomProbs map[string]float64
	slackM    float64 // uncertainty of the last location (95% semi-major, capped)
	lastSeen  time.Time
	// since is when the track was first heard, or heard again after a
	// pause (track.heard): how long the sensors have had to hear it.
	since time.Time
	// gap is how long it may go unheard and still be continued
	// (tracker.gapFor, fixed when it starts: its class and link are).
	gap     time.Duration
	lastLoc time.Time
	powers  map[string][]timedPower // per sensor, its recent detections' powers, oldest first
	// authBy is the ID of the registry entry that authorised one of the
	// track's fixes on its own, at authAt, the latest such fix (zero:
	// none, or a later fix the entry did not authorise): its vague fixes
	// are authorised for AuthorisedTrackHold after (trackAuthorised).
	// authPowers holds, per sensor, the powers it heard those fixes at
	// within AuthorisedTrackHold of the latest, oldest first.
	authBy     int64
	authAt     time.Time
	authPowers map[string][]timedPower
}

// noteAuthorised notes that registry entry id authorised group g of t on
// its own (trackAuthorised): from g's start t is held authorised by it,
// and its sensors' powers are kept with those of its other such fixes of
// the last AuthorisedTrackHold. A late group (before the latest such
// fix) does not move the hold back.
func (t *track) noteAuthorised(g *group, id int64) {
	if t.authBy != id {
		t.authBy, t.authAt, t.authPowers = id, g.start, nil
	}
	if g.start.After(t.authAt) {
		t.authAt = g.start
	}
	if t.authPowers == nil {
		t.authPowers = map[string][]timedPower{}
	}
	for _, d := range g.dets {
		h := append(t.authPowers[d.Sensor], timedPower{at: g.start, dBm: d.PowerDBm})
		i := 0
		for i < len(h) && (t.authAt.Sub(h[i].at) > AuthorisedTrackHold || len(h)-i > maxPowersPerSensor) {
			i++
		}
		t.authPowers[d.Sensor] = append(h[:0], h[i:]...)
	}
}

// heardAsAuthorised reports whether each sensor that heard g heard t's
// fixes authorised on their own (noteAuthorised) within
// AuthorisedTrackHold before g, at a median power within
// AuthorisedPowerTolDB of g's.
func (t *track) heardAsAuthorised(g *group) bool {
	for _, d := range g.dets {
		var v []float64
		for _, p := range t.authPowers[d.Sensor] {
			if g.start.Sub(p.at) <= AuthorisedTrackHold {
				v = append(v, p.dBm)
			}
		}
		if len(v) == 0 || math.Abs(d.PowerDBm-median(v)) > AuthorisedPowerTolDB {
			return false
		}
	}
	return true
}

// timedPower is one detection's power at its time.
type timedPower struct {
	at  time.Time
	dBm float64
}

// maxPowersPerSensor bounds a track's power history per sensor.
const maxPowersPerSensor = 15

// notePowers adds the powers of g's detections to t's history, dropping
// those older than window before g.
func (t *track) notePowers(g *group, window time.Duration) {
	if t.powers == nil {
		t.powers = map[string][]timedPower{}
	}
	for _, d := range g.dets {
		h := append(t.powers[d.Sensor], timedPower{at: d.Time(), dBm: d.PowerDBm})
		i := 0
		for i < len(h) && (g.start.Sub(h[i].at) > window || len(h)-i > maxPowersPerSensor) {
			i++
		}
		t.powers[d.Sensor] = append(h[:0], h[i:]...)
	}
	for sn, h := range t.powers { // sensors that no longer hear the track
		if len(h) == 0 || g.start.Sub(h[len(h)-1].at) > window {
			delete(t.powers, sn)
		}
	}
}

// robustPowers sets each of heard's powers (the measurements of g) to the
// median of that sensor's detections of t within window before g and its
// own.
func (t *track) robustPowers(heard []locate.Measurement, g *group, window time.Duration) {
	var buf [maxPowersPerSensor + 1]float64
	for i, m := range heard {
		v := append(buf[:0], m.PowerDBm)
		for _, p := range t.powers[m.Sensor] {
			if d := g.start.Sub(p.at); d <= window && d >= -window {
				v = append(v, p.dBm)
			}
		}
		if len(v) < 2 {
			continue
		}
		heard[i].PowerDBm = median(v)
	}
}

// median sorts v in place and returns its median: the middle value, or
// the mean of the two middle ones. v must not be empty.
func median[T ~int64 | ~float64](v []T) T {
	slices.Sort(v)
	if len(v)%2 == 0 {
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return v[len(v)/2]
}

// MaxTrackSlackM caps how much a location's uncertainty widens the track
// continuity radius.
const MaxTrackSlackM = 30

// floorGapM is the distance a change of floor counts for when uncertain
// locations are matched across floors.
const floorGapM = 3.5

// tracker links groups into tracks by class, frequency and position
// continuity.
type tracker struct {
	gap     time.Duration // a track ends when not seen for this long (at least; see hold)
	radiusM float64       // a located group joins a track within this distance
	// tolHz: a group of a class that keeps its channel joins a track when
	// its spectrum touches the track's, tolHz allowed (Config.FreqTolHz).
	tolHz float64
	// hopSpanHz holds the classes that hop, and the span their hops cover
	// (Config.TrackHopSpanHz).
	hopSpanHz map[string]float64
	// hold, when not nil, returns how long a track of a class on a link
	// must last unheard for a phone alert still open to follow it
	// (alert.Config.TrackHold: the longest resolve_after of the rules that
	// alert on it); a track of it ends after the longer of that and gap.
	// A phone back in its cell after more than gap and less than its
	// alert's resolve_after had a new track, and a second alert beside its
	// first, still open.
	hold func(class, link string) time.Duration
	// prefix names this run in its track IDs, "trk-<prefix>-<n>" (see
	// trackPrefix): the count alone starts at 1 again when fusion
	// restarts, and a new emitter took the ID of one that the last run
	// followed (the dashboard, which keys its floor plan and search by
	// track, drew the two as one).
	prefix string
	next   int
	tracks []*track
}

// maxTrackPrefix bounds Deps.TrackPrefix.
const maxTrackPrefix = 32

// trackPrefix returns the default track ID prefix of an engine started
// at start: its Unix milliseconds in base 36 (8 characters until 2059),
// 0 for a clock before 1970.
func trackPrefix(start time.Time) string {
	return strconv.FormatInt(max(start.UnixMilli(), 0), 36)
}

// checkTrackPrefix reports a prefix that would make track IDs hard to read
// or to put in a URL, a syslog parameter or a CSS selector: empty, longer
// than maxTrackPrefix, or with a character other than an ASCII letter,
// digit, '.', '_' or '-'.
func checkTrackPrefix(p string) error {
	if p == "" || len(p) > maxTrackPrefix {
		return fmt.Errorf("track prefix %q: want 1 to %d characters", p, maxTrackPrefix)
	}
	for _, c := range p {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("track prefix %q: only letters, digits, '.', '_' and '-'", p)
		}
	}
	return nil
}

// match returns the track g continues, or nil. pos is used when located;
// slackM is its uncertainty (95% semi-major). Two locations are the same
// emitter when they lie within radiusM plus both uncertainties: a phone heard
// by one sensor is placed only roughly, and without the slack each of its
// groups would start a track (and an alert) of its own. Across floors only
// uncertain locations can match. A track unheard for longer than the
// tracker's plain gap (held longer for its alert rules, gapFor) is
// continued only by a located group near its located track.
func (tr *tracker) match(g *group, floor string, pos site.Point, located bool, slackM float64) *track {
	var best *track
	bestD := math.Inf(1)
	for _, t := range tr.tracks {
		if !tr.carries(t, g) {
			continue
		}
		if !(located && t.located) && g.start.Sub(t.lastSeen) > tr.gap {
			// Held past the plain gap (gapFor: its alert rules'
			// resolve_after) only for a fix near it: a group not
			// located, or a track never located, says nothing of
			// where, and until 2026-12-05 one every few minutes kept
			// any held track of its channel alive site-wide.
			continue
		}
		d := 0.0
		if located && t.located {
			slack := min(slackM, MaxTrackSlackM) + min(t.slackM, MaxTrackSlackM)
			d = math.Hypot(pos.X-t.pos.X, pos.Y-t.pos.Y)
			if t.floor != floor {
				if slack <= floorGapM {
					continue
				}
				d = math.Hypot(d, floorGapM)
			}
			if d > tr.radiusM+slack {
				continue
			}
		}
		if d < bestD {
			best, bestD = t, d
		}
	}
	return best
}

// reusable returns the located track whose last position g may take
// without being located (Config.LocateEvery), or nil; t is the track
// match found for g unlocated. A class that keeps its channel reuses t. A
// class that hops (hopSpanHz) reuses a located track that carries g only
// when the sensors that heard g are those that heard the track's latest
// group, the strongest the same (sameHearing): a hopper's track spans its
// class's whole hop band, so every controller, DroneID, drone video or
// Bluetooth group on site matched the first such track, took its
// position, and was never located itself (two controllers at the two
// ends of the wing made one track and one alert).
func (tr *tracker) reusable(t *track, g *group) *track {
	if _, hops := tr.hopSpanHz[g.class]; !hops {
		if t != nil && t.located {
			return t
		}
		return nil
	}
	for _, c := range tr.tracks {
		if c.located && tr.carries(c, g) && sameHearing(c.last, g) {
			return c
		}
	}
	return nil
}

// sameHearing reports whether g and h were heard by the same sensors,
// the same one the strongest: an emission from the same place, as far as
// the sensors can tell without locating it.
func sameHearing(g, h *group) bool {
	if g == nil || len(g.dets) != len(h.dets) || strongestSensor(g) != strongestSensor(h) {
		return false
	}
	for _, d := range h.dets {
		if !g.hasSensor(d.Sensor) {
			return false
		}
	}
	return true
}

// strongestSensor returns the sensor of g's strongest detection.
func strongestSensor(g *group) string {
	best := g.dets[0]
	for _, d := range g.dets[1:] {
		if d.PowerDBm > best.PowerDBm {
			best = d
		}
	}
	return best.Sensor
}

// carries reports that t may continue g: same class and link (see
// group.overlaps), seen within t's gap (tracker.gapFor), and on t's
// channel.
//
// A class that hops by design (hopSpanHz: Bluetooth, RC controllers, drone
// video and DroneID) is on t's channel when g and the spectrum t's groups
// cover span no more than the class's hop span together. Any other class keeps its channel (a phone's uplink
// carrier during a call, a staff radio's, an access point's): g is on it
// when its spectrum (its centre ± half its bandwidth) touches t's, tolHz
// allowed, and the two together are no wider than the class's widest
// carrier (maxWidthHz; g inside t's spectrum always is): a sensor whose
// tuning is narrower than the emission hears a fragment of it, centred on
// the part it hears, and a track that kept only its first group's centre
// made a track (and an alert) per fragment. Nor is g on it when a sensor
// that heard t's latest group heard g at the same time, on a spectrum
// apart from that group's: one capture holding both is two emitters, unless
// one of the two detections is a piece of a burst, too short to tell
// (isPiece).
// Before, g matched within 20 MHz of t's latest centre and t took each
// group's centre as its own: with phones 2 MHz apart a track walked from
// uplink to uplink across the wing and took several phones' fixes, and
// their alerts jumped between cells while other cells had none.
func (tr *tracker) carries(t *track, g *group) bool {
	if t.class != g.class || t.link != g.link || g.start.Sub(t.lastSeen) > t.gap {
		return false
	}
	lo, hi := channel(g)
	if span, hops := tr.hopSpanHz[g.class]; hops {
		return math.Max(hi, t.hiHz)-math.Min(lo, t.loHz) <= span
	}
	if lo > t.hiHz+tr.tolHz || hi < t.loHz-tr.tolHz {
		return false // apart
	}
	if (lo < t.loHz || hi > t.hiHz) && math.Max(hi, t.hiHz)-math.Min(lo, t.loHz) > tr.maxWidth(g.class) {
		return false
	}
	return !t.last.heardWith(g, tr.tolHz)
}

// continues reports whether detection d may be of the track open alert a
// follows, as far as a stored alert tells (journaler.markAlerted): a is a
// phone's (it has a track and its latest fix's centre frequency, which a
// drone's lacks), of d's class, active when d was taken, d's spectrum
// touches a's latest fix's centre, tolHz allowed (for a class that hops,
// within its hop span), as carries links a group to a track, and d's
// sensor is one of heardBy, the sensors that heard a's stored evidence
// (nil: not known, any sensor). Neither position nor link is stored with
// an alert. The sensors tell apart phones on one carrier (LTE and NR
// handsets on one cell share its uplink centre) heard by sensors apart:
// until 2026-12-07 a second phone on the carrier, in a cell across the
// wing, its detections in the journal only, counted as alerted already
// and was not alerted at the replay (TestJournalReplayAlertsOnce). Two
// such phones heard by the same sensors are not told apart by it.
func (tr *tracker) continues(a event.Alert, heardBy map[string]bool, d event.Detection) bool {
	if a.Track == "" || a.FreqHz <= 0 || a.Class != d.Class || d.TimeNS < a.ActiveNS {
		return false
	}
	if heardBy != nil && !heardBy[d.Sensor] {
		return false
	}
	off := math.Abs(d.CenterHz - a.FreqHz)
	if span, hops := tr.hopSpanHz[d.Class]; hops {
		return off <= span
	}
	return off <= d.BandwidthHz/2+tr.tolHz
}

// heardWith reports whether a sensor that heard g heard h in the same
// capture (their detections overlap in time) on a spectrum apart from g's
// (not touching, tolHz allowed): two emissions at once. A piece (see
// isPiece) shows no second emission: the sensor's detector cuts the
// spectrum of so few samples of one burst into pieces apart.
func (g *group) heardWith(h *group, tolHz float64) bool {
	if g == nil || math.Abs(g.centerHz-h.centerHz) <= (g.bwHz+h.bwHz)/2+tolHz {
		return false
	}
	for _, a := range g.dets {
		for _, b := range h.dets {
			if a.Sensor == b.Sensor && !isPiece(a) && !isPiece(b) &&
				a.TimeNS < b.TimeNS+max(b.DurationNS, 1) && b.TimeNS < a.TimeNS+max(a.DurationNS, 1) {
				return true
			}
		}
	}
	return false
}

// minApartNS is how long each of two detections one sensor made in the
// same capture must last for their spectra apart to show two emitters
// (group.heardWith): two LTE symbols of 15 kHz SCS, 2 × 66.67 µs, the
// shortest emission the classifiers test a cellular numerology on (a
// shorter one is at best "unconfirmed: too short", docs/classifiers.md,
// cellular-short).
const minApartNS = 133_334

// isPiece reports whether d is a piece of a burst: a detection of known
// duration shorter than minApartNS (a frame or two of the sensor's
// detector, 12.8 µs at 10 Msps) that the classifiers could not name: its
// class unknown, or its label saying so ("unconfirmed: too short", the
// cellular-short classifier's, which a detection carries as class
// unknown; pieceLabel). A short detection of a named class (an NR short
// PUCCH or SRS, a Wi-Fi ACK, a GSM burst the detector cut) is an emission
// the classifiers recognised: two of them apart in one capture are two
// emitters (when isPiece came in, 2026-12-05, it took any short
// detection for a piece, and lost those). The spectrum of so few samples of a
// handset's SC-FDMA burst dips and peaks across the carrier, and the
// detector reports the parts over its threshold as detections of their
// own, apart but inside the carrier: the demo's LTE handset in L2-S02
// (4.4 MHz wide) was once heard by s1 as 25.6 µs at 1748.04-1749.58 MHz
// and, 12.8 µs later, 12.8 µs at 1745.58-1746.89 MHz. Taken for another
// emitter heard at once, the second piece made a track of its own in the
// phone's cell, which took the phone's later fixes, and a second critical
// alert there (TestBurstPiecesOneAlert). Two phones that share a carrier
// are each heard for a subframe (1 ms) and more: still two emitters.
func isPiece(d event.Detection) bool {
	short := d.DurationNS > 0 && d.DurationNS < minApartNS
	return short && (d.Class == event.ClassUnknown || strings.Contains(d.Label, pieceLabel))
}

// pieceLabel is what the label of a burst too short for the classifiers
// to confirm says (dsp/classify, cellular-short: "LTE/NR uplink (LTE B3
// UL, unconfirmed: too short)"; docs/classifiers.md).
const pieceLabel = "unconfirmed: too short"

// maxWidth returns the widest spectrum a track of class may cover: its
// widest carrier, with tolHz either side (maxWidthHz, default 20 MHz).
func (tr *tracker) maxWidth(class string) float64 {
	w, ok := maxWidthHz[class]
	if !ok {
		w = 20e6
	}
	return w + 2*tr.tolHz
}

// channel returns the spectrum g's emission holds for its track: g's
// band, but for a class that keeps its channel (maxWidthHz) heard more
// than twice as wide as its widest carrier, that carrier's width about
// g's centre. Such a band is the carrier spread by the receiver that
// heard it: a GSM handset 2 m from a sensor, clipping it at -46 dBm before
// its AGC turned the gain down, was heard 1.5 MHz wide, wider than a GSM
// track may span (maxWidth), and started a second track (and alert, and
// case) for the handset, whose other sensors heard it 0.23-0.37 MHz wide
// (the demo's L2-N07 handset at s7; TestTrackerChannel).
func channel(g *group) (lo, hi float64) {
	bw := g.bwHz
	if w, ok := maxWidthHz[g.class]; ok && bw > 2*w {
		bw = w
	}
	return g.centerHz - bw/2, g.centerHz + bw/2
}

// maxWidthHz is the widest carrier of each class that keeps its channel:
// the most one track of it may span. A GSM carrier is 200 kHz, UMTS 5 MHz,
// LTE 20 MHz, NR 100 MHz (n78), Wi-Fi 160 MHz, analogue FPV video 20 MHz;
// others (class unknown) 20 MHz.
var maxWidthHz = map[string]float64{
	event.ClassGSM:       200e3,
	event.ClassUMTS:      5e6,
	event.ClassLTE:       20e6,
	event.ClassNR:        100e6,
	event.ClassWiFi:      160e6,
	event.ClassFPVAnalog: 20e6,
}

// defaultHopSpanHz is Config.TrackHopSpanHz's default: the classes that
// hop by design, each with the widest band it hops over. Bluetooth (79
// 1-MHz channels, 2402-2480 MHz) and RC controllers (ExpressLRS-like, the
// 2.4 GHz ISM band) hop over 2400-2483.5 MHz; DroneID and a drone's video
// link (OcuSync-like) over a band of at most 125 MHz (5725-5850 MHz; the
// 2.4 GHz band is narrower).
var defaultHopSpanHz = map[string]float64{
	event.ClassBluetooth:  83.5e6,
	event.ClassRCFHSS:     83.5e6,
	event.ClassDroneID:    125e6,
	event.ClassDroneVideo: 125e6,
}

// only returns the one live track of g's class whose frequency matches g,
// or nil when there is none or more than one.
func (tr *tracker) only(g *group) *track {
	var found *track
	for _, t := range tr.tracks {
		if !tr.carries(t, g) {
			continue
		}
		if found != nil {
			return nil
		}
		found = t
	}
	return found
}

func (tr *tracker) newTrack(g *group) *track {
	tr.next++
	id := "trk-" + strconv.Itoa(tr.next)
	if tr.prefix != "" {
		id = "trk-" + tr.prefix + "-" + strconv.Itoa(tr.next)
	}
	lo, hi := channel(g)
	t := &track{id: id, class: g.class, link: g.link, loHz: lo, hiHz: hi, last: g,
		lastSeen: g.start, since: g.start, gap: tr.gapFor(g.class, g.link)}
	tr.tracks = append(tr.tracks, t)
	return t
}

// gapFor returns how long a track of class on link may go unheard and
// still be continued: the tracker's gap, or longer when an alert rule
// would hold its phone alert open longer (hold).
func (tr *tracker) gapFor(class, link string) time.Duration {
	if tr.hold == nil {
		return tr.gap
	}
	return max(tr.gap, tr.hold(class, link))
}

// heard notes that t continues in g: a group after more than pause
// unheard starts t's time heard again (a handset back after a pause is
// new to the sensors: while it was off they heard nothing wherever they
// were), and a late group moves it back.
func (t *track) heard(g *group, pause time.Duration) {
	switch {
	case g.start.Sub(t.lastSeen) > pause:
		t.since = g.start
	case g.start.Before(t.since):
		t.since = g.start
	}
	lo, hi := channel(g)
	t.loHz, t.hiHz = min(t.loHz, lo), max(t.hiHz, hi)
	if !g.start.Before(t.lastSeen) {
		// A late group (an outbox sending again) does not age the track.
		t.lastSeen, t.last = g.start, g
	}
}

// heardSince returns since when the emission of g has been heard: the
// earliest time heard of the live tracks that may continue g (see
// carries) and were heard within pause before it, else g's own start (a
// new emitter). With two emitters on one channel the older counts.
func (tr *tracker) heardSince(g *group, pause time.Duration) time.Time {
	since := g.start
	for _, t := range tr.tracks {
		if tr.carries(t, g) && g.start.Sub(t.lastSeen) <= pause && t.since.Before(since) {
			since = t.since
		}
	}
	return since
}

// expire drops tracks not seen for their gap before now, and tracks last
// seen more than their gap after now: stamped by a sensor clock far ahead
// (HandleDetection does not check times; Handle does), such a track lived
// until fusion's clock got there, and every later emission on its channel
// joined it.
func (tr *tracker) expire(now time.Time) {
	keep := tr.tracks[:0]
	for _, t := range tr.tracks {
		if d := now.Sub(t.lastSeen); d <= t.gap && d >= -t.gap {
			keep = append(keep, t)
		}
	}
	clear(tr.tracks[len(keep):])
	tr.tracks = keep
}
