package fusion

import (
	"slices"
	"time"
)

// clockSamples is how many of a sensor's latest health reports its clock
// estimate reads: a minute of reports at the agent's 10 s interval.
const clockSamples = 6

// clockFresh is how recent a sensor's estimate must be to count in the
// site's median: a sensor gone quiet keeps no say in the others' offsets.
const clockFresh = 5 * time.Minute

// clockSpacing and clockSteady decide which health reports feed a clock
// estimate. A report counts only when the sensor's report before it (since
// fusion started, or since the sensor was forgotten) reached fusion at
// least clockSpacing earlier, and the two reached it as far apart as they
// were sent, within clockSteady: they waited alike. Both stamps come from
// the sensor's clock, so its offset cancels in that comparison, and it
// tells a queueing delay from an offset where a report's age alone
// cannot: the reports the broker kept for fusion's persistent session
// while fusion was away (a restart, a broker outage) arrive within
// milliseconds of each other however far apart they were sent, and the
// first live report after them arrives sooner after the last queued one
// than it was sent. clockSpacing is the agent's least health interval
// (1 s), clockSteady well under it and above a site network's jitter.
const (
	clockSpacing = time.Second
	clockSteady  = 500 * time.Millisecond
)

// clockWatch estimates each sensor's clock offset from the arrival of its
// health reports. A report stamped at sent by the sensor's clock, received
// at recv by fusion's (Message.Received: before it waits in Run's queue),
// gives sent − recv = offset − delay, where the delay (network, broker) is
// never negative: the largest of the sensor's last clockSamples is its
// estimate, short of the offset by the least delay among them
// (milliseconds on a site network). Health goes out live, never from the
// sensor's outbox, so reports are not days late after an outage; but the
// broker queues them for fusion's persistent session while fusion is away,
// so only reports that waited no longer than the one before them count
// (clockSteady), and a sensor has no estimate until two such have come.
//
// A clock that steps (NTP, a manual set) by more than clockSteady reads at
// the step as a report that waited that much more or less than the one
// before it, and gives no sample. The next sample that differs from the
// estimate by more than clockSteady, after such a report, restarts the
// ring: the clock stepped, and the samples before it are of the old clock.
// Without that a step back showed only once the clockSamples larger samples
// before it had left the ring, a minute later, while a step ahead showed
// at once (the estimate is their largest). A step is told from a delay
// on the way by which of the two intervals moved: a step moves the
// stamps' interval while the report arrives on the sensor's beat (a
// whole number of its usual intervals, every: one report may be lost), a
// delay the arrival while the stamps keep theirs. A
// delay, one report's or one that lasts, restarts nothing: the largest
// sample ignores it for clockSamples reports, as before 2026-12-08.
//
// What association needs is that the sensors agree with each other: it
// groups detections by their capture times. So the alert reads each
// sensor's offset from the median of all of them (relative), which a
// backlog at the broker or in fusion (every report late alike) or fusion's
// own clock being off does not move. Not safe for concurrent use.
type clockWatch struct {
	sensors map[string]*clockEst
	// site caches the median of the fresh estimates (siteMedian): read at
	// every detection (skew), it changes only with a sample, a sensor
	// forgotten, or an estimate aging out of clockFresh.
	site siteClock
}

// siteClock is the median of the sensors' fresh estimates as of at: n of
// them, the oldest of which ages out after until. at zero: not computed
// since the estimates changed.
type siteClock struct {
	median    time.Duration
	n         int
	at, until time.Time
}

type clockEst struct {
	samples []time.Duration // ring of sent − recv, at most clockSamples
	next    int
	at      time.Time // fusion's time of the latest sample
	// the latest report, counted or not, that the next one is compared with
	lastSent, lastRecv time.Time
	// a report since the latest sample came after its sensor's usual
	// interval, as fusion received it, but stamped more than clockSteady
	// from it: the sensor's clock stepped (observe)
	jumped bool
	// every is the latest steady interval between two reports (their
	// spacing by fusion's clock, which their stamps' matched): the
	// sensor's health interval, against which a step is told from a delay
	// (onBeat)
	every time.Duration
}

// estimate is the largest sample: the report that waited least. Only for
// a clockEst with samples.
func (c *clockEst) estimate() time.Duration { return slices.Max(c.samples) }

// observe records a health report of sensor stamped sent and received at
// recv, and returns the sensor's estimated offset (positive: its clock is
// ahead of fusion's), and false while it has none: no report yet that
// waited as long as the one before it (clockSteady).
func (w *clockWatch) observe(sensor string, sent, recv time.Time) (time.Duration, bool) {
	if w.sensors == nil {
		w.sensors = map[string]*clockEst{}
	}
	c := w.sensors[sensor]
	if c == nil {
		c = &clockEst{}
		w.sensors[sensor] = c
	}
	steady := false
	if !c.lastRecv.IsZero() {
		dRecv, dSent := recv.Sub(c.lastRecv), sent.Sub(c.lastSent)
		steady = dRecv >= clockSpacing && (dRecv-dSent).Abs() <= clockSteady
		// A clock stepped by d moves the stamps' interval by d while the
		// report arrives on time; a delay on the way (a congested link,
		// the broker) moves the arrival while the stamps keep their
		// interval. Only the first is a step (review of 2026-12-08: a link
		// delaying three reports by 2 s restarted the ring and read as a
		// clock 2 s behind for 30 s).
		if !steady && onBeat(dRecv, c.every) && !onBeat(dSent, c.every) {
			c.jumped = true
		}
		if steady && (c.every <= 0 || !onBeat(dRecv, c.every) || dRecv < c.every) {
			// the beat: a gap of whole beats (a report lost) keeps it,
			// where taking the gap for the beat missed the next step
			// (review of 2026-12-08)
			c.every = dRecv
		}
	}
	c.lastSent, c.lastRecv = sent, recv
	if steady {
		s := sent.Sub(recv)
		if c.jumped && len(c.samples) > 0 && (s-c.estimate()).Abs() > clockSteady {
			c.samples, c.next = c.samples[:0], 0 // the clock stepped: its earlier samples are of the old clock
		}
		c.jumped = false
		if len(c.samples) < clockSamples {
			c.samples = append(c.samples, s)
		} else {
			c.samples[c.next] = s
			c.next = (c.next + 1) % clockSamples
		}
		c.at = recv
		w.site.at = time.Time{}
	}
	if len(c.samples) == 0 {
		return 0, false
	}
	return c.estimate(), true
}

// onBeat reports whether d is, within clockSteady, a whole number of
// intervals every (one or more: a report lost on the way leaves a gap of
// two); false while every is unknown.
func onBeat(d, every time.Duration) bool {
	if every <= 0 {
		return false
	}
	k := max((d+every/2)/every, 1)
	return (d - k*every).Abs() <= clockSteady
}

// relative returns sensor's estimated offset less the median of the
// estimates of every sensor with a sample within clockFresh of now (its own
// included), and false when it has no estimate or fewer than two sensors
// have one: alone, a sensor agrees with itself.
func (w *clockWatch) relative(sensor string, now time.Time) (time.Duration, bool) {
	own, ok := w.sensors[sensor]
	if !ok || len(own.samples) == 0 {
		return 0, false
	}
	med, n := w.siteMedian(now)
	if n < 2 {
		return 0, false
	}
	return own.estimate() - med, true
}

// siteMedian returns the median of the estimates of every sensor with a
// sample within clockFresh of now, and how many there are (0: none, and
// the median 0). It computes them again only when a sample came or a
// sensor was forgotten since, or one of them has aged out (or now is
// before the time they were computed at: a clock stepped back).
func (w *clockWatch) siteMedian(now time.Time) (time.Duration, int) {
	c := &w.site
	if !c.at.IsZero() && !now.Before(c.at) && !now.After(c.until) {
		return c.median, c.n
	}
	var all []time.Duration
	*c = siteClock{at: now}
	for _, e := range w.sensors {
		if len(e.samples) == 0 || now.Sub(e.at) > clockFresh {
			continue
		}
		all = append(all, e.estimate())
		if until := e.at.Add(clockFresh); c.until.IsZero() || until.Before(c.until) {
			c.until = until
		}
	}
	c.n = len(all)
	if c.n > 0 {
		c.median = median(all)
	} else {
		c.until = now // nothing to age out; computed again at the next call
	}
	return c.median, c.n
}

// skewSamples is how many samples a sensor's estimate must hold before
// association corrects its detections' stamps by it (skew): three reports
// that waited alike (20 s at the agent's 10 s interval, since fusion first
// heard the sensor or its clock stepped). The estimate is their largest,
// so one or two reports that waited alike for a congested link would read
// as the clock behind by that wait; three over 20 s seldom all do. Until
// then association groups by the sensor's own stamps, as without an
// estimate.
const skewSamples = 3

// skew returns how far sensor's clock is off the others' (relative, as of
// now: positive ahead) when association is to correct its detections'
// stamps by it: its estimate is steady (skewSamples) and off by more than
// threshold either way. Otherwise 0: no estimate, too new, or jitter
// within threshold, which changes nothing. The engine gives half the
// association window for threshold (Engine.groupTime).
func (w *clockWatch) skew(sensor string, now time.Time, threshold time.Duration) time.Duration {
	c, ok := w.sensors[sensor]
	if !ok || len(c.samples) < skewSamples {
		return 0
	}
	if _, n := w.siteMedian(now); n < skewSensors {
		return 0
	}
	rel, known := w.relative(sensor, now)
	if !known || rel.Abs() <= threshold {
		return 0
	}
	return rel
}

// skewSensors is how many sensors must have a fresh estimate before
// association corrects any by it (skew): the median of three or more
// stands with the sensors that agree, while that of two is their mean,
// which would move the sensor whose clock is right half way to the one
// that is wrong (review of 2026-12-08). With two, the sensor-clock alert
// still says one is off; association groups by their own stamps.
const skewSensors = 3

// forget drops a sensor's estimate (it went offline: when it comes back
// its clock may have been set).
func (w *clockWatch) forget(sensor string) {
	delete(w.sensors, sensor)
	w.site.at = time.Time{}
}
