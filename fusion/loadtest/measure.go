package loadtest

import (
	"bytes"
	"context"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/rusage"
)

// tracker records, per planned detection, when it was published, delivered
// to fusion's client and stored. Slot (i, j) is sensor i's j-th detection.
// All methods are safe for concurrent use and lock-free.
type tracker struct {
	prefix  string // "lt-<nonce>-"
	sensors int
	slots   int // per sensor

	pubNS     []atomic.Int64 // when Publish was called
	deliverNS []atomic.Int64 // first arrival at fusion's client
	storeNS   []atomic.Int64 // first committed write
	acks      []atomic.Bool
	delivers  []atomic.Int32
	stores    []atomic.Int32

	published, acked, pubErrors atomic.Int64
	delivered, deliverDups      atomic.Int64
	stored, storeDups           atomic.Int64
	unknown, storeErrors        atomic.Int64
	lastStoreNS                 atomic.Int64
}

func newTracker(nonce string, sensors, slots int) *tracker {
	n := sensors * slots
	return &tracker{prefix: "lt-" + nonce + "-", sensors: sensors, slots: slots,
		pubNS: make([]atomic.Int64, n), deliverNS: make([]atomic.Int64, n), storeNS: make([]atomic.Int64, n),
		acks: make([]atomic.Bool, n), delivers: make([]atomic.Int32, n), stores: make([]atomic.Int32, n)}
}

// id returns the detection ID of slot (i, j).
func (t *tracker) id(i, j int) string {
	return t.prefix + strconv.Itoa(i) + "-" + strconv.Itoa(j)
}

// index parses an ID made by id; ok is false for anything else.
func (t *tracker) index(id string) (int, bool) {
	rest, ok := strings.CutPrefix(id, t.prefix)
	if !ok {
		return 0, false
	}
	a, b, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	i, err1 := strconv.Atoi(a)
	j, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || i < 0 || i >= t.sensors || j < 0 || j >= t.slots {
		return 0, false
	}
	return i*t.slots + j, true
}

func (t *tracker) publishing(i, j int, now time.Time) {
	t.pubNS[i*t.slots+j].Store(now.UnixNano())
	t.published.Add(1)
}

// payloadID extracts the "id" field of a detection's JSON without decoding
// the rest (this runs on the MQTT client's goroutine for every message).
func payloadID(payload []byte) string {
	const key = `"id":"`
	k := bytes.Index(payload, []byte(key))
	if k < 0 {
		return ""
	}
	rest := payload[k+len(key):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return ""
	}
	return string(rest[:end])
}

// deliveredMsg records a message's arrival at fusion's client.
func (t *tracker) deliveredMsg(payload []byte, now time.Time) {
	x, ok := t.index(payloadID(payload))
	if !ok {
		t.unknown.Add(1)
		return
	}
	if t.delivers[x].Add(1) == 1 {
		t.deliverNS[x].Store(now.UnixNano())
		t.delivered.Add(1)
	} else {
		t.deliverDups.Add(1)
	}
}

// storedIDs records a committed write of detections.
func (t *tracker) storedIDs(recs []store.DetectionRecord, now time.Time) {
	for _, r := range recs {
		x, ok := t.index(r.ID)
		if !ok {
			continue
		}
		if t.stores[x].Add(1) == 1 {
			t.storeNS[x].Store(now.UnixNano())
			t.stored.Add(1)
		} else {
			t.storeDups.Add(1)
		}
	}
	t.lastStoreNS.Store(now.UnixNano())
}

// latencies returns the sorted latencies from pubNS to to, in seconds.
func (t *tracker) latencies(to []atomic.Int64) []float64 {
	var out []float64
	for x := range t.pubNS {
		p, q := t.pubNS[x].Load(), to[x].Load()
		if p != 0 && q != 0 {
			out = append(out, float64(q-p)/1e9)
		}
	}
	slices.Sort(out)
	return out
}

// alertLog times alerts: each alert's first message on the alert topic
// against the publish time of the earliest detection in its evidence (the
// detections of the emission that opened it). Safe for concurrent use.
type alertLog struct {
	t *tracker

	mu       sync.Mutex
	seen     map[string]bool // alert IDs
	firstNS  []int64         // per alert, first arrival minus earliest evidence publish
	messages int64
	bad      int64 // undecodable messages
	untimed  int64 // alerts with no evidence published by this run
	firing   int64 // alerts seen firing
	lastNS   int64 // arrival of the latest message
}

func newAlertLog(t *tracker) *alertLog { return &alertLog{t: t, seen: map[string]bool{}} }

// message records one message of the alert topic arriving at now.
func (a *alertLog) message(payload []byte, now time.Time) {
	al, err := event.DecodeAlert(payload)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.messages++
	a.lastNS = now.UnixNano()
	if err != nil {
		a.bad++
		return
	}
	if al.State == event.AlertFiring {
		a.firing++ // QoS 1 may repeat a message; counted as sent
	}
	if a.seen[al.ID] {
		return
	}
	a.seen[al.ID] = true
	var first int64
	for _, id := range al.Evidence {
		if x, ok := a.t.index(id); ok {
			if p := a.t.pubNS[x].Load(); p != 0 && (first == 0 || p < first) {
				first = p
			}
		}
	}
	if first == 0 {
		a.untimed++
		return
	}
	a.firstNS = append(a.firstNS, now.UnixNano()-first)
}

// summary returns the alert counts and the latency of first appearances.
func (a *alertLog) summary() (alerts, messages, firing, untimed, bad int64, lat Latency) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := make([]float64, len(a.firstNS))
	for i, ns := range a.firstNS {
		s[i] = float64(ns) / 1e9
	}
	slices.Sort(s)
	return int64(len(a.seen)), a.messages, a.firing, a.untimed, a.bad, summarise(s)
}

// count returns the number of distinct alerts seen so far.
func (a *alertLog) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.seen)
}

// quietFor reports whether no alert message arrived within d before now.
func (a *alertLog) quietFor(d time.Duration, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return now.UnixNano()-a.lastNS >= int64(d)
}

// Latency summarises a latency distribution in milliseconds.
type Latency struct {
	Count int     `json:"count"`
	P50MS float64 `json:"p50_ms"`
	P95MS float64 `json:"p95_ms"`
	P99MS float64 `json:"p99_ms"`
	MaxMS float64 `json:"max_ms"`
}

// summarise takes sorted seconds; percentiles are nearest-rank.
func summarise(sorted []float64) Latency {
	if len(sorted) == 0 {
		return Latency{}
	}
	q := func(p float64) float64 {
		r := int(float64(len(sorted))*p+0.999999) - 1
		return sorted[min(max(r, 0), len(sorted)-1)] * 1e3
	}
	return Latency{Count: len(sorted), P50MS: q(0.50), P95MS: q(0.95), P99MS: q(0.99), MaxMS: sorted[len(sorted)-1] * 1e3}
}

// recordingStore wraps the engine's time series store and reports every
// committed detection write to the tracker.
type recordingStore struct {
	fusion.TimeSeries
	t *tracker
}

func (r recordingStore) WriteDetections(ctx context.Context, recs []store.DetectionRecord) error {
	err := r.TimeSeries.WriteDetections(ctx, recs)
	if err != nil {
		r.t.storeErrors.Add(1)
		return err
	}
	r.t.storedIDs(recs, time.Now())
	return nil
}

// ackSubscriber is what fusion.PahoSubscriber offers: both subscription
// styles. Engine.Run prefers SubscribeAck (acknowledge after handling).
type ackSubscriber interface {
	fusion.Subscriber
	fusion.AckSubscriber
}

// tapSubscriber passes every message to tap before the engine's handler,
// keeping the inner subscriber's acknowledgement style, and closes
// subscribed once the engine's subscription is in place.
type tapSubscriber struct {
	inner      ackSubscriber
	tap        func(topic string, payload []byte)
	subscribed chan struct{}
	once       *sync.Once
}

var _ ackSubscriber = tapSubscriber{}

func newTapSubscriber(inner ackSubscriber, tap func(string, []byte)) tapSubscriber {
	return tapSubscriber{inner: inner, tap: tap, subscribed: make(chan struct{}), once: new(sync.Once)}
}

func (s tapSubscriber) done(err error) error {
	if err == nil {
		s.once.Do(func() { close(s.subscribed) })
	}
	return err
}

func (s tapSubscriber) Subscribe(topic string, qos byte, handler func(string, []byte)) error {
	return s.done(s.inner.Subscribe(topic, qos, func(tp string, p []byte) {
		s.tap(tp, p)
		handler(tp, p)
	}))
}

func (s tapSubscriber) SubscribeAck(topic string, qos byte, handler func(string, []byte, func())) error {
	return s.done(s.inner.SubscribeAck(topic, qos, func(tp string, p []byte, ack func()) {
		s.tap(tp, p)
		handler(tp, p, ack)
	}))
}

// usage returns the process's user and system CPU seconds and peak RSS in
// bytes; zeros where the system cannot tell (rusage.ErrUnsupported).
func usage() (userS, sysS float64, maxRSSBytes int64) {
	u, err := rusage.Self()
	if err != nil {
		return 0, 0, 0
	}
	return u.User.Seconds(), u.System.Seconds(), u.MaxRSSBytes
}

// heapBytes returns the bytes of live and not yet swept heap objects.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
