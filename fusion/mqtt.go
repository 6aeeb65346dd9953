package fusion

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/mqttlink"
	"github.com/rfwarden/rfwarden/internal/retrylog"
)

// SiteTopic is the subscription of a site's fusion engine: the sensor
// topics of that site only, so the sites of a regional broker stay apart.
// One engine must see every detection of its site (association needs all
// the sensors that heard an emission), so a site runs one active engine.
//
// It is a plain filter, not a shared group: mosquitto keeps a persistent
// session's plain subscription, and the messages queued for it, across its
// own restart, but forgets a shared ($share/...) one, and what reached the
// broker before fusion subscribed again was lost (a restarted sensor
// sending its outbox lost a dozen detections that way). Config.Subscription
// overrides it (docs/scaling.md).
func SiteTopic(siteID string) string {
	return event.TopicPrefix + "/" + siteID + "/sensor/+/+"
}

// Subscriber is the seam over an MQTT client: Subscribe registers handler
// for topic at QoS qos. The handler runs on the client's goroutine and must
// not block.
type Subscriber interface {
	Subscribe(topic string, qos byte, handler func(topic string, payload []byte)) error
}

// AckSubscriber is a Subscriber whose handler is also given the message's
// acknowledgement, to call once fusion has handled the message. Run prefers
// it: a message still in Run's queue when fusion stops is then not
// acknowledged, and the broker delivers it again to the persistent session
// instead of losing it.
type AckSubscriber interface {
	SubscribeAck(topic string, qos byte, handler func(topic string, payload []byte, ack func())) error
}

type queued struct {
	msg Message
	ack func()
}

func noAck() {}

// Subscription is the topic filter Run subscribes to.
func (e *Engine) Subscription() string {
	if e.cfg.Subscription != "" {
		return e.cfg.Subscription
	}
	return SiteTopic(e.deps.Site.ID)
}

// AckSubscription is the topic filter of the site's acknowledgements
// (event.AckTopic), in the shared group of Subscription when it has one.
func (e *Engine) AckSubscription() string {
	t := event.AckTopic(e.deps.Site.ID)
	if rest, ok := strings.CutPrefix(e.Subscription(), "$share/"); ok {
		if group, _, ok := strings.Cut(rest, "/"); ok {
			return "$share/" + group + "/" + t
		}
	}
	return t
}

// Run subscribes to its site's topic (SiteTopic, or Config.Subscription)
// and its acknowledgements (AckSubscription) at QoS 1 and processes messages until ctx is
// done. The subscription handler only appends each message to Run's
// inbox, in arrival order, and returns (a message finding the ingest
// queue of Config.Queue full waits behind it, in the inbox too). With an
// AckSubscriber a message is acknowledged only after Handle, and, with a
// Deps.Journal, a detection message only once the journal holds it: Run
// takes what has arrived (up to JournalBatch messages), journals its
// detections in one transaction, then handles and acknowledges them, and
// at its start replays what a stop without a flush left in the journal,
// before it subscribes. A timer closes each
// association group when its window ends (so an emission is located and
// alerted on AssocWindow after its first detection, not at the next tick),
// and a ticker (TickEvery) advances alerts, expires tracks and writes
// buffered records. On exit it flushes and saves the seen IDs.
func (e *Engine) Run(ctx context.Context, sub Subscriber) error {
	// The handler only appends the message, with its acknowledgement, to
	// the inbox and returns: paho runs each handler on its own goroutine
	// (order does not matter here), and one that waited for room in a
	// bounded queue held that goroutine and its stack for as long (9,906
	// of them in a soak of the demo). The broker does not hold a slow
	// fusion's backlog (mosquitto 2.0.11 stops holding to
	// max_inflight_messages once acknowledgements flow), so it waits here,
	// unacknowledged, in arrival order (docs/scaling.md). When fusion
	// stops, what still waits is not acknowledged, so the broker delivers
	// it again to the persistent session. (Dropping here lost detections
	// under load: see fusion/loadtest.)
	e.seedLosses(ctx) // before the first detection arrives
	// Work begun (a message, a close, a tick) is finished with its store
	// writes even when ctx ends meanwhile: a cancelled context would fail
	// the alert's store write after its state had changed.
	work := context.WithoutCancel(ctx)
	// What a kill -9 left in the intake journal is handled before
	// anything new: it was acknowledged, and the broker has it no more.
	jr := newJournaler(e)
	if err := jr.replay(work); err != nil {
		return err
	}
	in := newInbox()
	defer func() { e.met.backlog.Add(-int64(in.close())) }()
	enqueue := func(topic string, payload []byte, ack func()) {
		e.met.backlog.Add(1) // until handled (Engine.Backlog)
		m := Message{Topic: topic, Payload: payload, Received: e.deps.Clock()}
		waiting, ok := in.push(queued{m, ack})
		switch {
		case !ok:
			e.met.backlog.Add(-1) // Run has returned; not acknowledged: the broker has it
		case waiting >= e.cfg.Queue:
			e.met.dropped.Inc() // counts messages that found the ingest queue full and wait behind it
		}
	}
	for _, topic := range []string{e.Subscription(), e.AckSubscription()} {
		var err error
		if as, ok := sub.(AckSubscriber); ok {
			err = as.SubscribeAck(topic, 1, enqueue)
		} else {
			err = sub.Subscribe(topic, 1, func(topic string, payload []byte) { enqueue(topic, payload, noAck) })
		}
		if err != nil {
			return fmt.Errorf("subscribe %s: %w", topic, err)
		}
	}
	tick := time.NewTicker(e.cfg.TickEvery)
	defer tick.Stop()
	// closer fires when the first open group's window ends; armed is that
	// time (zero: not armed).
	closer := time.NewTimer(time.Hour)
	closer.Stop()
	defer closer.Stop()
	var armed time.Time
	closes := groupCloser{opened: map[*group]time.Time{}}
	arm := func() {
		now := e.deps.Clock()
		due, ok := closes.next(e, now)
		if !ok || !armed.IsZero() && !due.Before(armed) {
			return
		}
		armed = due
		closer.Reset(max(due.Sub(now), 0))
	}
	// A store that keeps failing (a full disk, a database locked for
	// good) fails every tick and many messages: each is logged when its
	// cause first appears or changes, then at most once a minute with how
	// many were not (retrylog.Log, as InfluxDB's sender does), and the
	// tick's recovery once. It logged a line a tick, 3600 an hour.
	var tickLog, workLog retrylog.Log
	dead := deadLetterLog{site: e.deps.Site, log: e.log}
	warnWork := func(msg string, err error, args ...any) {
		if log, skipped := workLog.FailedAs(failureKey(err), e.deps.Clock()); log {
			e.log.Warn(msg, append(args, "err", err, "failures_not_logged", skipped)...)
		}
	}
	handle := func(q queued) {
		m := q.msg
		if err := e.Handle(work, m); err != nil && !errors.Is(err, ErrRejected) {
			warnWork("handle", err, "topic", m.Topic)
		} else if err != nil {
			e.log.Debug("dead letter", "topic", shortTopic(m.Topic), "err", err)
			dead.note(m.Topic, err, e.deps.Clock())
		}
	}
	// take journals and handles up to n messages waiting in the inbox
	// (journaler.take), one without a journal, and returns how many.
	batch := make([]queued, 0, JournalBatch)
	take := func(n int) int {
		if jr.j == nil {
			n = 1 // nothing to share: a tick or a stop waits for no more
		}
		batch = batch[:0]
		for len(batch) < n {
			q, ok := in.pop()
			if !ok {
				break
			}
			batch = append(batch, q)
		}
		jr.take(work, ctx.Done(), batch, handle)
		clear(batch) // their payloads and acknowledgements go
		jr.release(work, false)
		return len(batch)
	}
	stop := func() error {
		err := e.Close(work)
		jr.release(work, true) // what Close stored
		return err
	}
	doTick := func() {
		now := e.deps.Clock()
		if err := e.Tick(work, now); err != nil {
			if log, skipped := tickLog.FailedAs(failureKey(err), now); log {
				e.log.Warn("tick", "err", err, "failures_not_logged", skipped)
			}
		} else if n, since := tickLog.Recovered(); n > 0 {
			e.log.Warn("tick: succeeds again", "failed_ticks", n, "failing_for", now.Sub(since).Round(time.Second))
		}
		closes.prune(e)
		jr.release(work, true)
	}
	arm() // the groups replay opened
	for {
		if ctx.Err() != nil { // select picks at random among ready cases
			return stop()
		}
		select {
		case <-ctx.Done():
			return stop()
		case <-in.ready:
			take(JournalBatch)
			arm()
		case <-closer.C:
			armed = time.Time{}
			// What has arrived may still join a group: the ingest
			// queue's worth of it (Config.Queue) is handled first.
			for left := min(in.len(), e.cfg.Queue); left > 0; {
				if ctx.Err() != nil {
					// stopping: what is left stays unacknowledged, and the
					// broker delivers it again to the persistent session;
					// a full queue took a minute to drain before the stop
					// (TestRunStopsWhileDrainingBacklog)
					break
				}
				// A tick falling due meanwhile is not held back: a
				// backlog (a persistent session's after a restart) fills
				// the queue, and handling all of it held the store
				// writes and alert timers for as long, 20 s under load
				// (TestRunTicksWhileDrainingBacklog).
				select {
				case <-tick.C:
					doTick()
				default:
				}
				n := take(min(left, JournalBatch))
				if n == 0 {
					break
				}
				left -= n
			}
			if err := closes.closeDue(work, e, e.deps.Clock()); err != nil {
				warnWork("close groups", err)
			}
			jr.release(work, false) // a batch the groups filled and flushed
			arm()
		case <-tick.C:
			doTick()
			arm()
		}
	}
}

// groupCloser closes association groups in Run when their window ends by
// fusion's clock, so an emission is located and alerted on about AssocWindow
// after its first detection arrives rather than at the next tick (or when
// the detections' stamps show the stream has moved past it,
// associator.closePast). A group's window
// counts from its arrival at fusion (see due). Only Run's goroutine uses it.
type groupCloser struct {
	opened map[*group]time.Time // when Run first saw each open group, by fusion's clock
}

// next records newly opened groups as opened at now and returns when the
// first open group is due to close; false when none is open.
func (c *groupCloser) next(e *Engine, now time.Time) (time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var first time.Time
	for _, g := range e.assoc.open {
		op, ok := c.opened[g]
		if !ok {
			op = now
			c.opened[g] = now
		}
		due := c.due(op, e.assoc.window)
		if first.IsZero() || due.Before(first) {
			first = due
		}
	}
	return first, !first.IsZero()
}

// due is when a group first seen by Run at op closes: one window after
// op, whatever its detections' stamps say. Late detections (an outbox
// replaying, a backlog at the broker) and ones stamped ahead of fusion's
// clock (a sensor whose clock runs fast) both get a whole window to find
// each other; closing a group stamped ahead at once made each of its
// detections a group of one.
func (c *groupCloser) due(op time.Time, window time.Duration) time.Time {
	return op.Add(window)
}

// closeDue closes and processes (locates, authorises, alerts on) the groups
// due at now; store writes and alert timers stay on Tick.
func (c *groupCloser) closeDue(ctx context.Context, e *Engine, now time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var closed []*group
	keep := e.assoc.open[:0]
	for _, g := range e.assoc.open {
		op, ok := c.opened[g]
		if !ok {
			op = now
		}
		if due := c.due(op, e.assoc.window); !due.After(now) {
			closed = append(closed, g)
			delete(c.opened, g)
		} else {
			keep = append(keep, g)
		}
	}
	clear(e.assoc.open[len(keep):])
	e.assoc.open = keep
	return e.process(ctx, closed)
}

// prune forgets groups that are no longer open (closed by a later
// detection or by Tick).
func (c *groupCloser) prune(e *Engine) {
	e.mu.Lock()
	defer e.mu.Unlock()
	open := make(map[*group]bool, len(e.assoc.open))
	for _, g := range e.assoc.open {
		open[g] = true
	}
	for g := range c.opened {
		if !open[g] {
			delete(c.opened, g)
		}
	}
}

// PahoSubscriber adapts a connected paho client to Subscriber and
// AckSubscriber. Use a persistent session (CleanSession false, a stable
// client ID) so QoS 1 messages queue while fusion restarts, a Resubscriber so
// a broker restart that forgets the subscription does not leave fusion deaf,
// and SetAutoAckDisabled(true) so messages are acknowledged after fusion has
// handled them (with auto-ack paho acknowledges when the handler returns,
// and a message queued but not handled when fusion stops is lost).
type PahoSubscriber struct {
	Client      mqtt.Client
	Timeout     time.Duration // default 10s
	Resubscribe *Resubscriber // nil: subscribe once
	// Retained, when not nil, is given each retained message before its
	// handler (SessionMarker.ClearStale); it must not block.
	Retained func(mqtt.Client, mqtt.Message)
}

var (
	_ Subscriber    = PahoSubscriber{}
	_ AckSubscriber = PahoSubscriber{}
)

// Subscribe implements Subscriber.
func (p PahoSubscriber) Subscribe(topic string, qos byte, handler func(string, []byte)) error {
	return p.subscribe(topic, qos, func(_ mqtt.Client, m mqtt.Message) { handler(m.Topic(), m.Payload()) })
}

// SubscribeAck implements AckSubscriber.
func (p PahoSubscriber) SubscribeAck(topic string, qos byte, handler func(string, []byte, func())) error {
	return p.subscribe(topic, qos, func(_ mqtt.Client, m mqtt.Message) { handler(m.Topic(), m.Payload(), m.Ack) })
}

// subscribe subscribes and waits for the broker's answer. With a
// Resubscriber, a subscription the connection's loss interrupted (the
// connection dropped between connecting and subscribing) is not an
// error: the Resubscriber has recorded it first, and makes it on the next
// connection. A subscription the broker refuses (its ACL: the SUBACK
// failure code 0x80, which paho does not report as an error) is one. A
// SUBACK code MQTT 3.1.1 does not have (mochi 2.7.9 answers 0x91, packet
// identifier in use, to a SUBSCRIBE under the ID of a delivery in flight,
// and paho reports it as the QoS granted) is logged at warning level and
// the subscription made again, under paho's next ID, up to
// mqttlink.SubscribeAttempts times in all (then it is an error): fusion ran without its subscription to
// acknowledgements that way, silently (TestSubscribeOverDeliveryID).
func (p PahoSubscriber) subscribe(topic string, qos byte, cb mqtt.MessageHandler) error {
	if p.Retained != nil {
		handle := cb
		cb = func(c mqtt.Client, m mqtt.Message) {
			if m.Retained() {
				p.Retained(c, m)
			}
			handle(c, m)
		}
	}
	if p.Resubscribe != nil {
		for _, m := range p.Resubscribe.add(topic, qos, cb) {
			go cb(p.Client, m) // arrived before the subscription: handle now
		}
	}
	to := p.Timeout
	if to == 0 {
		to = 10 * time.Second
	}
	subscribe := func() mqtt.Token { return p.Client.Subscribe(topic, qos, cb) }
	err := mqttlink.AwaitGranted(subscribe(), subscribe, to, p.logger(), topic)
	if err == nil {
		if p.Resubscribe != nil && p.Resubscribe.Subscribed != nil {
			go p.Resubscribe.Subscribed(p.Client, topic)
		}
		return nil
	}
	if p.Resubscribe != nil && mqttlink.LeftToReconnect(p.Client, err) {
		// paho's "not currently connected and ResumeSubs not set" says
		// only this, in its own words: it was logged at warning level at
		// every start, fusion subscribing before its first connection
		// (it does not wait for a broker that may be away), when nothing
		// is wrong. A broker that cannot be reached is warned of by the
		// link (mqttlink.Link.Failed), with its reason.
		if p.Resubscribe.connected() {
			p.Resubscribe.logger().Warn("mqtt: the connection to the broker is down; subscribing once it is back", "topic", topic)
		} else {
			p.Resubscribe.logger().Info("mqtt: not connected to the broker yet; subscribing once connected", "topic", topic)
		}
		return nil
	}
	return err
}

func (p PahoSubscriber) logger() *slog.Logger {
	if p.Resubscribe != nil {
		return p.Resubscribe.logger()
	}
	return slog.Default()
}

// Resubscriber remembers the subscriptions made through a PahoSubscriber and
// makes them again each time the client (re)connects. Paho does not
// resubscribe by itself when the session is persistent, and a broker may
// forget a persistent session's subscription when it restarts: mosquitto 2.0
// restores plain subscriptions from its persistence file but not shared
// ($share/...) ones. Messages that reach the broker before the subscription
// is made again have no subscriber and are not queued for fusion.
//
// It is also the client's default publish handler: a persistent session's
// queued messages arrive right after CONNACK, before Run has subscribed and
// paho has a route for them. Default keeps those (unacknowledged) and hands
// them to the first matching subscription made afterwards.
type Resubscriber struct {
	Log *slog.Logger // nil: slog.Default()
	// Subscribed, when not nil, is called each time the broker has
	// acknowledged (and not refused) a subscription made through a
	// PahoSubscriber or made again by OnConnect, with its filter, on a
	// goroutine of its own: SessionMarker.Subscribed publishes fusion's
	// session marker there.
	Subscribed func(c mqtt.Client, filter string)
	// Changed, when not nil, is called each time what Refused says
	// changes (a subscription refused when fusion connected again, or
	// granted after a refusal), on the goroutine that learned it:
	// Liveness.Online announces fusion deaf, or hearing again, there.
	Changed func(c mqtt.Client)

	mu       sync.Mutex
	subs     []resub
	pending  []mqtt.Message
	dropped  int // pending messages dropped past MaxPending
	connects int // OnConnect calls
	// refused holds, by filter, why the broker did not grant a
	// subscription OnConnect made again (Refused); cleared when it does.
	refused map[string]error
}

// Refused says which subscriptions the broker did not grant when fusion
// connected again and why, "" when it granted them all: "subscription
// refused: rfw/v1/hmp/sensor/+/+: the broker refused it (SUBACK 0x80:
// its ACL?)". fusion's /healthz is degraded while it is not "": the
// connection is up, and fusion hears nothing on that filter. Until
// 2026-12-07 only the log said so; /healthz said ok until no sensor had
// been heard for a while (sensor_silence).
func (r *Resubscriber) Refused() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.refused) == 0 {
		return ""
	}
	var parts []string
	for _, f := range slices.Sorted(maps.Keys(r.refused)) {
		parts = append(parts, f+": "+r.refused[f].Error())
	}
	return "subscription refused: " + strings.Join(parts, "; ")
}

// noteGranted records whether the broker granted filter (err nil), and
// reports whether that changed what Refused says.
func (r *Resubscriber) noteGranted(filter string, err error) (changed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	prev, was := r.refused[filter]
	if err == nil {
		delete(r.refused, filter)
		return was
	}
	if r.refused == nil {
		r.refused = map[string]error{}
	}
	r.refused[filter] = err
	return !was || prev.Error() != err.Error()
}

type resub struct {
	topic string
	qos   byte
	cb    mqtt.MessageHandler
}

// add records a subscription and returns the pending messages it matches.
func (r *Resubscriber) add(topic string, qos byte, cb mqtt.MessageHandler) []mqtt.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.subs = append(r.subs, resub{topic, qos, cb})
	var match, keep []mqtt.Message
	for _, m := range r.pending {
		if TopicMatches(topic, m.Topic()) {
			match = append(match, m)
		} else {
			keep = append(keep, m)
		}
	}
	r.pending = keep
	return match
}

// OnConnect is a paho OnConnectHandler: set it with
// ClientOptions.SetOnConnectHandler. It subscribes again without waiting for
// the broker's answer (paho handlers must not block); a goroutine per
// subscription logs a refusal or failure, and makes again one answered
// with a SUBACK code MQTT 3.1.1 does not have (PahoSubscriber.subscribe).
// A connection after the first is logged at warning level: the
// connection had been lost (a broker restart, the network, or another
// client with the same client ID).
func (r *Resubscriber) OnConnect(c mqtt.Client) {
	r.mu.Lock()
	subs := append([]resub(nil), r.subs...)
	r.connects++
	again := r.connects > 1
	r.mu.Unlock()
	log := r.logger()
	if again {
		log.Warn("mqtt: connected to the broker again after losing the connection; subscribing again", "subscriptions", len(subs),
			"hint", "a connection lost again and again may be another client with the same client ID")
	}
	for _, s := range subs {
		subscribe := func() mqtt.Token { return c.Subscribe(s.topic, s.qos, s.cb) }
		tok := subscribe()
		go func() {
			err := mqttlink.AwaitGranted(tok, subscribe, time.Minute, log, s.topic)
			if err != nil && mqttlink.LeftToReconnect(c, err) {
				// the connection went before the broker answered: the
				// next connection subscribes again. Not a refusal: it was
				// recorded as one ("subscription refused: ...: not
				// currently connected", TestResubscribeRefusedIsKnown
				// failing on a busy machine), and fusion announced
				// itself deaf.
				log.Warn("mqtt: the connection to the broker went while subscribing again; subscribing once it is back", "topic", s.topic)
				return
			}
			if r.noteGranted(s.topic, err) && r.Changed != nil {
				r.Changed(c)
			}
			if err != nil {
				log.Error("mqtt: subscribing again after connecting", "topic", s.topic, "err", err)
				return
			}
			if r.Subscribed != nil {
				r.Subscribed(c, s.topic)
			}
		}()
	}
}

// connected reports whether the client has connected at least once
// (OnConnect has run).
func (r *Resubscriber) connected() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.connects > 0
}

func (r *Resubscriber) logger() *slog.Logger {
	if r.Log == nil {
		return slog.Default()
	}
	return r.Log
}

// Default is a paho default publish handler: set it with
// ClientOptions.SetDefaultPublishHandler. A message no route matched goes to
// a recorded subscription that matches it, else waits for one. The broker's
// in-flight window bounds how many can wait.
func (r *Resubscriber) Default(c mqtt.Client, m mqtt.Message) {
	r.mu.Lock()
	for _, s := range r.subs {
		if TopicMatches(s.topic, m.Topic()) {
			r.mu.Unlock()
			s.cb(c, m)
			return
		}
	}
	if len(r.pending) >= MaxPending {
		// A persistent session can hold an old subscription no one makes
		// again (the subscription filter changed): its messages, QoS 0
		// ones unbounded by the in-flight window, would pile up here for
		// ever. The oldest go (a QoS 1 one, unacknowledged, comes again
		// after a reconnect).
		r.pending[0] = nil
		r.pending = r.pending[1:]
		r.dropped++
		if r.dropped == 1 || r.dropped%1000 == 0 {
			r.logger().Warn("mqtt: messages no subscription takes; oldest dropped", "dropped", r.dropped, "topic", m.Topic())
		}
	}
	r.pending = append(r.pending, m)
	r.mu.Unlock()
}

// MaxPending bounds the messages a Resubscriber keeps for a subscription
// not made yet.
const MaxPending = 10000

// TopicMatches reports whether topic matches the MQTT subscription filter
// (with + and # wildcards; a $share/{group}/ prefix is ignored).
func TopicMatches(filter, topic string) bool {
	if rest, ok := strings.CutPrefix(filter, "$share/"); ok {
		if _, f, ok := strings.Cut(rest, "/"); ok {
			filter = f
		}
	}
	fs, ts := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, f := range fs {
		if f == "#" {
			return true
		}
		if i >= len(ts) || f != "+" && f != ts[i] {
			return false
		}
	}
	return len(fs) == len(ts)
}

// MQTTPublisher publishes alert state changes on event.AlertTopic(site), QoS 1.
type MQTTPublisher struct {
	Client  tokenPublisher
	Timeout time.Duration // default 10s
}

// PublishAlert implements alert.Publisher.
func (p MQTTPublisher) PublishAlert(ctx context.Context, a event.Alert) error {
	b, err := event.Encode(a)
	if err != nil {
		return err
	}
	return waitToken(ctx, p.Client.Publish(event.AlertTopic(a.Site), 1, false, b), p.Timeout, "alert "+a.ID)
}
