package fusion

import "sync"

// BacklogDegraded is the backlog past which fusion's /healthz is degraded
// (HTTP 503): twice the ingest queue (Config.Queue's default, 4096). Up to
// a full queue is a burst being worked through (a sensor's outbox sent
// after a reconnect); past twice that, as many messages again wait behind
// the queue, and fusion is behind for good: at a site's 40-120
// detections/s a minute or more of detections, alerts that late, their
// memory (docs/scaling.md), and, with the demo's embedded broker, the
// 8192 messages in flight past which it drops them.
const BacklogDegraded = 8192

// Backlog is how many messages Run has received and not yet handled: those
// in its ingest queue, those waiting behind it (a queue of Config.Queue
// messages is full; the rest wait in a list, in arrival order) and the one
// being handled. None of them is acknowledged yet, so the broker
// (mosquitto, the persistent session) delivers them again if fusion stops.
// It is exported as rfw_fusion_backlog_messages and in fusion's /healthz.
func (e *Engine) Backlog() int64 { return e.met.backlog.Load() }

// inbox holds the messages Run has received and not yet handled, each with
// its acknowledgement, in arrival order. The subscription's handler
// appends and returns at once, without acknowledging: it has no bound, so
// a message waiting behind a full queue costs its entry here, not a
// handler goroutine blocked until there is room (a soak of the demo held
// 9,906 of them; BenchmarkBacklogWaiting). Paho's router goes on reading
// the connection (pings, acknowledgements) either way. Run takes messages
// out with pop, acknowledging each once handled.
type inbox struct {
	mu     sync.Mutex
	items  []queued
	head   int  // items[head:] wait
	closed bool // Run has returned: push takes nothing more
	// ready holds a token while messages wait, for Run's select.
	ready chan struct{}
}

// keepCap is the most entries an empty inbox keeps room for.
const keepCap = 4096

func newInbox() *inbox { return &inbox{ready: make(chan struct{}, 1)} }

// push appends q and returns how many messages waited before it; false
// once Run has returned (the message stays unacknowledged, for the broker
// to deliver again).
func (b *inbox) push(q queued) (int, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, false
	}
	n := len(b.items) - b.head
	b.items = append(b.items, q)
	b.signal()
	return n, true
}

// pop takes out the oldest message; false when none waits.
func (b *inbox) pop() (queued, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.head == len(b.items) {
		b.signal()
		return queued{}, false
	}
	q := b.items[b.head]
	b.items[b.head] = queued{} // its payload and acknowledgement are Run's now
	b.head++
	switch {
	case b.head == len(b.items):
		b.items, b.head = b.items[:0], 0
		if cap(b.items) > keepCap {
			b.items = nil // a backlog's list goes with it
		}
	case b.head >= 1024 && b.head*2 >= len(b.items):
		// the waiting half moves to the front, so a long backlog
		// flowing through does not grow the list for ever
		n := copy(b.items, b.items[b.head:])
		clear(b.items[n:])
		b.items, b.head = b.items[:n], 0
	}
	b.signal()
	return q, true
}

// len is how many messages wait.
func (b *inbox) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.items) - b.head
}

// close refuses what comes after and forgets what waits (unacknowledged:
// the broker delivers it again), returning how many that were.
func (b *inbox) close() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(b.items) - b.head
	b.closed, b.items, b.head = true, nil, 0
	b.signal()
	return n
}

// signal leaves a token in ready exactly while messages wait. b.mu is held.
func (b *inbox) signal() {
	if len(b.items) > b.head {
		select {
		case b.ready <- struct{}{}:
		default:
		}
		return
	}
	select {
	case <-b.ready:
	default:
	}
}
