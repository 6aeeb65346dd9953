package agent

import (
	"errors"
	"time"

	"github.com/rfwarden/rfwarden/sensor/publish"
)

// maxBatch bounds the detections written with one fsync.
const maxBatch = 256

// batchQueue is what the enqueuer needs of the outbox: EnqueueBatch
// accepts a prefix of payloads durably and says how many.
type batchQueue interface {
	EnqueueBatch(payloads [][]byte) (int, error)
}

var _ batchQueue = (*publish.Outbox)(nil)

// holdPolicy is what the enqueuer does while the outbox cannot write.
type holdPolicy struct {
	maxHeld  int           // detections held in memory at most; beyond it the oldest are dropped
	retryMin time.Duration // the first wait before writing again, doubled after each refusal
	retryMax time.Duration // the longest wait
	stopWait time.Duration // how long it still tries once the agent stops
}

// defaultHold holds up to 8192 detections (about 4 MB; minutes of a busy
// wing) and tries again within 5 s of the disk taking writes; on a stop it
// tries for 5 s more (within systemd's 90 s stop timeout).
func defaultHold() holdPolicy {
	return holdPolicy{maxHeld: 8192, retryMin: 100 * time.Millisecond, retryMax: 5 * time.Second, stopWait: 5 * time.Second}
}

// diskState is how the enqueuer is getting on with the outbox's disk.
type diskState struct {
	err     error     // the last write refused; nil once one succeeds
	since   time.Time // the first refusal since the last success
	held    int       // detections held in memory, waiting for the disk
	dropped int64     // detections dropped since start: more than maxHeld were held, or some still at a stop
}

// enqueuer moves detections from the pending channel into the outbox in
// batches, one fsync per batch, so the sample loop never waits for the
// disk. While the outbox refuses writes (a full disk, EIO) it holds them
// in memory, up to hp.maxHeld (beyond that it drops the oldest, counted),
// goes on taking new ones, so that the sample loop does not block, and
// tries again after a wait that doubles from hp.retryMin to hp.retryMax,
// oldest first. It returns once pending is closed and every detection
// is in the outbox, or, if the disk still refuses them, hp.stopWait after
// pending closed: the detections still held are lost then, and logged.
func (a *Agent) enqueuer(q batchQueue, hp holdPolicy) {
	var held [][]byte // oldest first
	in := a.pending   // nil once closed
	var giveUp time.Time
	take := func(p []byte, ok bool) {
		if !ok {
			in, giveUp = nil, time.Now().Add(hp.stopWait)
			return
		}
		held = append(held, p)
		n := max(0, len(held)-hp.maxHeld)
		held = held[n:]
		a.holding(len(held), n)
	}
	wait := hp.retryMin
	for {
		if len(held) == 0 {
			if in == nil {
				return
			}
			p, ok := <-in
			take(p, ok)
		}
	more: // take what else is pending, without waiting (or dropping)
		for in != nil && len(held) < hp.maxHeld {
			select {
			case p, ok := <-in:
				take(p, ok)
			default:
				break more
			}
		}
		n, err := q.EnqueueBatch(held[:min(len(held), maxBatch)])
		held = held[n:]
		if errors.Is(err, publish.ErrEmptyRecord) || errors.Is(err, publish.ErrRecordTooLong) {
			// The outbox never takes this one: drop it, not those after it.
			a.log.Error("outbox refused a detection", "bytes", len(held[0]), "err", err)
			held, err = held[1:], nil
		}
		a.wrote(n, len(held), err, hp.maxHeld)
		if err == nil {
			wait = hp.retryMin
			continue
		}
		if in == nil && !time.Now().Before(giveUp) {
			a.lostAtStop(len(held))
			a.log.Error("outbox: detections lost: the disk still refuses them and the agent stops", "detections", len(held), "err", err)
			return
		}
		d := wait
		if in == nil {
			d = min(d, time.Until(giveUp))
		}
		t := time.NewTimer(d)
	pause: // taking new detections meanwhile
		for {
			select {
			case p, ok := <-in: // never, once in is nil
				take(p, ok)
			case <-t.C:
				break pause
			}
		}
		wait = min(2*wait, hp.retryMax)
	}
}

// wrote records the outcome of a write of the enqueuer: n detections
// written, held still waiting, err the write's error or nil.
func (a *Agent) wrote(n, held int, err error, maxHeld int) {
	a.mu.Lock()
	a.stats.Detections += int64(n)
	was, since := a.disk.err, a.disk.since
	a.disk.err, a.disk.held = err, held
	if err != nil && was == nil {
		a.disk.since = time.Now()
	}
	a.mu.Unlock()
	switch {
	case err != nil && was == nil:
		a.log.Error("outbox cannot write: holding detections in memory and trying again", "held", held, "max_held", maxHeld, "err", err)
	case err != nil:
		a.log.Debug("outbox still cannot write", "held", held, "err", err)
	case was != nil:
		a.log.Warn("outbox writes again", "after", time.Since(since).Round(time.Millisecond), "written", n, "held", held)
	}
}

// holding records that the enqueuer holds held detections after taking
// one, and dropped n of the oldest to stay within the bound. Health's
// count of those held follows each one taken, not only each write: the
// writes are retryMax (5 s) apart while the disk refuses them, and health
// had said "1 detections held in memory, 20 dropped" with a bound of 10
// (TestDiskFaultDropsBeyondBound).
func (a *Agent) holding(held, n int) {
	a.mu.Lock()
	a.disk.held = held
	a.disk.dropped += int64(n)
	first := n > 0 && a.disk.dropped == int64(n)
	a.mu.Unlock()
	if n == 0 {
		return
	}
	if a.met != nil {
		a.met.heldDropped.Add(float64(n))
	}
	if first {
		a.log.Error("outbox cannot write and the memory for detections is full: dropping the oldest", "dropped", n)
	}
}

// lostAtStop records that the enqueuer gave up on the n detections it
// still held when the agent stopped, the disk refusing them: lost, for the
// stop line (Stats.LostAtStop), and dropped, as every other detection lost
// undelivered is, in health's outbox_dropped, rfwarden_outbox_dropped_total
// and rfwarden_outbox_held_dropped_total. They were named in the stop line
// only (TestDiskFaultAtStop).
func (a *Agent) lostAtStop(n int) {
	a.mu.Lock()
	a.stats.LostAtStop += int64(n)
	a.disk.dropped += int64(n)
	a.disk.held = 0
	a.mu.Unlock()
	if a.met != nil {
		a.met.heldDropped.Add(float64(n))
	}
}
