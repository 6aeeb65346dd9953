package dashboard

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/mqttlink"
)

// FeedTopics are the MQTT topic filters, of every site, whose messages
// HandleMQTT understands.
var FeedTopics = FeedTopicsFor("")

// FeedTopicsFor returns the FeedTopics of one site ("" for every site): a
// dashboard shows one site, and another site's tracks on a broker they
// share would be drawn on its floors.
func FeedTopicsFor(site string) []string {
	if site == "" {
		site = "+"
	}
	p := event.TopicPrefix + "/" + site
	return []string{p + "/alert", p + "/location", p + "/sensor/+/" + event.KindHealth,
		p + "/sensor/+/" + event.KindStatus, p + "/sensor/+/" + event.KindSpectrum, p + "/fusion/status"}
}

// HandleMQTT decodes one MQTT message (alert, location, health, status,
// spectrum or fusion's status) and publishes it on the Hub (fusion's
// status is kept: FusionStates). It never blocks; bad topics or payloads
// give an error naming the problem, publish nothing, are counted
// (BadFeedMessages) and logged (SetLogger) as noteBadLocked says.
// Detections are ignored (the dashboard shows what fusion made of them).
func (h *Hub) HandleMQTT(topic string, payload []byte) error {
	err := h.handleMQTT(topic, payload)
	if err != nil {
		h.mu.Lock()
		h.badMessages++
		h.noteBadLocked(topic, err)
		h.mu.Unlock()
	}
	return err
}

// noteBadLocked logs the bad message err, on topic, at warn, few enough
// for the default log level, as fusion logs its dead letters: each kind
// of message (alert, location, fusion status, or a sensor's status,
// health or spectrum, or a topic of none) from each sensor the Hub keeps
// (or from anywhere, for a topic naming none of them) when it first
// comes, then at most once a minute saying how many were not logged
// (retrylog). Every one is still logged at debug and counted. Until
// 2026-12-07 each was logged at warn: a misbehaving or hostile publisher
// on a topic the dashboard reads could fill the journal
// (TestBadFeedMessagesWarnOncePerMinute). The caller holds h.mu.
func (h *Hub) noteBadLocked(topic string, err error) {
	key := badMessageKind(topic)
	if site, sensor, kind, perr := event.ParseSensorTopic(topic); perr == nil && kind == key {
		k := site + "/" + sensor
		if h.known[k] || h.known == nil && h.sensors[k] != nil { // bounded by the site model, or MaxHubSensors
			key += "/" + k
		}
	}
	topic, why := clip(topic, maxLoggedTopic), clip(err.Error(), maxLoggedErr)
	h.log.Debug("live feed: bad message refused", "topic", topic, "err", why)
	if log, skipped := h.badLogs.FailedAs(key, h.now()); log {
		h.log.Warn("live feed: bad message refused", "topic", topic, "err", why, "refused_not_logged", skipped)
	}
}

// badMessageKind names the kind of message topic carries, one of a few
// (the topic is the sender's, and its last level anything): "alert",
// "location", "fusion status", a sensor topic's kind, or "topic".
func badMessageKind(topic string) string {
	if rest, ok := strings.CutPrefix(topic, event.TopicPrefix+"/"); ok {
		for _, k := range []struct{ suffix, kind string }{{"/fusion/status", "fusion status"}, {"/alert", "alert"}, {"/location", "location"}} {
			if site, ok := strings.CutSuffix(rest, k.suffix); ok && event.ValidID(site) {
				return k.kind
			}
		}
	}
	if _, _, kind, err := event.ParseSensorTopic(topic); err == nil {
		switch kind {
		case event.KindStatus, event.KindHealth, event.KindSpectrum:
			return kind
		}
	}
	return "topic"
}

// maxLoggedTopic bounds a topic quoted in the log, in bytes: a topic is
// the sender's, up to 64 KiB, and the '+' levels of the feed's filters
// take any text; maxLoggedErr bounds an error, which may quote it.
const (
	maxLoggedTopic = 128
	maxLoggedErr   = 512
)

// clip is s as the log quotes it: at most most bytes and "…".
func clip(s string, most int) string {
	if len(s) > most {
		return strings.ToValidUTF8(s[:most], "") + "…"
	}
	return s
}

func (h *Hub) handleMQTT(topic string, payload []byte) error {
	if rest, ok := strings.CutPrefix(topic, event.TopicPrefix+"/"); ok {
		if site, ok := strings.CutSuffix(rest, "/fusion/status"); ok && event.ValidID(site) {
			s, err := event.DecodeFusionStatus(payload)
			if err != nil {
				return fmt.Errorf("fusion status on %q: %w", topic, err)
			}
			if s.Site != site {
				return fmt.Errorf("fusion status on %q: site %q does not match the topic", topic, s.Site)
			}
			return h.publishFusionStatus(s)
		}
		if site, ok := strings.CutSuffix(rest, "/alert"); ok && event.ValidID(site) {
			a, err := event.DecodeAlert(payload)
			if err != nil {
				return fmt.Errorf("alert on %q: %w", topic, err)
			}
			if a.Site != site {
				return fmt.Errorf("alert on %q: site %q does not match the topic", topic, a.Site)
			}
			h.PublishAlert(a)
			return nil
		}
		if site, ok := strings.CutSuffix(rest, "/location"); ok && event.ValidID(site) {
			l, err := event.DecodeLocation(payload)
			if err != nil {
				return fmt.Errorf("location on %q: %w", topic, err)
			}
			if l.Site != site {
				return fmt.Errorf("location on %q: site %q does not match the topic", topic, l.Site)
			}
			h.PublishLocation(store.LocationRecord{Site: l.Site, Track: l.Track, Class: l.Class, Link: l.Link, TimeNS: l.TimeNS,
				Floor: l.Floor, Room: l.Room, RoomProb: l.RoomProb, XM: l.XM, YM: l.YM, SemiMajorM: l.SemiMajorM,
				SemiMinorM: l.SemiMinorM, AngleRad: l.AngleRad, Authorised: l.Authorised})
			return nil
		}
	}
	site, sensor, kind, err := event.ParseSensorTopic(topic)
	if err != nil {
		return err
	}
	switch kind {
	case event.KindStatus:
		s := strings.TrimSpace(string(payload))
		if s != event.StatusOnline && s != event.StatusOffline {
			return fmt.Errorf("status on %q: %q is neither online nor offline", topic, trimForErr(s))
		}
		h.PublishStatus(site, sensor, s)
	case event.KindHealth:
		hl, err := event.DecodeHealth(payload)
		if err != nil {
			return fmt.Errorf("health on %q: %w", topic, err)
		}
		if hl.Site != site || hl.Sensor != sensor {
			return fmt.Errorf("health on %q: site/sensor %s/%s do not match the topic", topic, hl.Site, hl.Sensor)
		}
		h.PublishHealth(hl)
	case event.KindSpectrum:
		sp, err := event.DecodeSpectrum(payload)
		if err != nil {
			return fmt.Errorf("spectrum on %q: %w", topic, err)
		}
		if sp.Site != site || sp.Sensor != sensor {
			return fmt.Errorf("spectrum on %q: site/sensor %s/%s do not match the topic", topic, sp.Site, sp.Sensor)
		}
		h.PublishSpectrum(sp)
	case event.KindDetection, event.KindCmd:
		return nil
	default:
		return fmt.Errorf("topic %q: unknown kind %q", topic, kind)
	}
	return nil
}

// trimForErr shortens a value the client sent for an error that quotes
// it: its first 64 characters and "…". A query parameter, path or ID of
// megabytes was quoted whole (TestErrorsQuoteShort).
func trimForErr(s string) string {
	const most = 64 // characters
	n := 0
	for i := range s {
		if n == most {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// The states of the dashboard's own live feed from the broker
// (FeedState.State).
const (
	FeedConnected = "connected" // Deps.Feed is connected
	FeedDown      = "down"      // Deps.Feed is not connected: nothing arrives live
	// FeedRefused: Deps.Feed is connected, but the broker has not granted
	// its subscription (SubscribingLink: its ACL refused the topics, or it
	// did not answer): nothing arrives live until an admin mends the
	// broker's ACL. It read "down" like a broken link that mends itself.
	FeedRefused = "refused"
	FeedNone    = "none" // no Deps.Feed: the dashboard hears nothing live
)

// FeedState is the state of the dashboard's live feed from the broker
// (Deps.Feed) as GET /events tells the page (event: feed): when the
// stream opens, whenever it changes, and with each keep-alive. An open
// stream is not a live page: a dashboard that hears nothing from the
// broker sends nothing on it.
type FeedState struct {
	State string `json:"state"` // FeedConnected, FeedDown, FeedRefused or FeedNone
	// SinceNS is when it took this state, as the dashboard saw it (it
	// reads the connection every second; since the dashboard started, for
	// the state it started in), on the server's clock; 0 for FeedNone.
	SinceNS int64 `json:"since_ns,omitempty"`
	// Reason says why it is down, with the latest connection error, or
	// why the subscription was not granted (FeedRefused).
	Reason string `json:"reason,omitempty"`
	// NowNS is the server's clock when the event was sent (the demo's is
	// simulated): the page ages the floor plan's markers on it.
	NowNS int64 `json:"now_ns"`
	// Fusion is fusion's liveness, as its status topic says
	// (Hub.FusionStates): one per site heard, or one FusionUnheard; none
	// while the dashboard waits for the first word (FusionWordWait) or
	// has no feed. The page shows a banner while one is not online: no
	// new alert can be raised then. Before 2026-12-07 the dashboard did
	// not know, and said "live" with old alerts firing while fusion was
	// stopped.
	Fusion []FusionState `json:"fusion,omitempty"`
}

// feedPollEvery is how often a feedWatch reads its Link.
const feedPollEvery = time.Second

// feedWatch follows Deps.Feed: its state, since when, and why; on each
// change it publishes the new state on the Hub (MsgFeed). It reads the
// link every feedPollEvery while some live stream wants the feed's state
// (watch), and when asked (State): a dashboard nobody watches runs no
// goroutine for it.
type feedWatch struct {
	link Link
	now  func() time.Time
	hub  *Hub

	// obs serialises refresh: a reading of the link and the state it
	// gives are recorded and published together, so an older reading
	// cannot land after a newer one (the poll and a stream opening read
	// at once)
	obs      sync.Mutex
	mu       sync.Mutex
	cur      FeedState // NowNS unset
	watchers int
	stop     chan struct{} // closed when the last watcher leaves
}

// newFeedWatch reads link's state now.
func newFeedWatch(link Link, now func() time.Time, hub *Hub) *feedWatch {
	w := &feedWatch{link: link, now: now, hub: hub, cur: FeedState{State: FeedNone}}
	if link != nil {
		w.observe()
	}
	return w
}

// watch counts a live stream that follows the feed's state: the first
// starts reading the link every feedPollEvery and publishing its
// changes; the returned func ends the watch, and the last to end stops
// the reading.
func (w *feedWatch) watch() (end func()) {
	if w.link == nil {
		return func() {}
	}
	w.mu.Lock()
	w.watchers++
	if w.watchers == 1 {
		w.stop = make(chan struct{})
		go w.poll(w.stop)
	}
	w.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			w.mu.Lock()
			w.watchers--
			if w.watchers == 0 {
				close(w.stop)
			}
			w.mu.Unlock()
		})
	}
}

// poll reads the link every feedPollEvery until stop is closed.
func (w *feedWatch) poll(stop chan struct{}) {
	t := time.NewTicker(feedPollEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			w.refresh()
		}
	}
}

// observe reads the link and records its state; changed reports a new
// state or reason.
func (w *feedWatch) observe() (st FeedState, changed bool) {
	next := FeedState{State: FeedConnected}
	if !w.link.IsConnected() {
		next = FeedState{State: FeedDown, Reason: w.link.Reason()}
		if s, ok := w.link.(SubscribingLink); ok && s.SubscriptionRefused() {
			next.State = FeedRefused
		}
	}
	next.Fusion = w.hub.FusionStates()
	now := w.now()
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.cur.State != next.State:
		next.SinceNS = now.UnixNano()
	case mqttlink.ReasonKey(w.cur.Reason) != mqttlink.ReasonKey(next.Reason):
		// a new cause (each attempt's own local port is not one)
		next.SinceNS = w.cur.SinceNS
	case !slices.Equal(w.cur.Fusion, next.Fusion):
		// fusion's state changed, the feed's did not
		next.SinceNS, next.Reason = w.cur.SinceNS, w.cur.Reason
	default:
		st = w.cur
		st.NowNS = now.UnixNano()
		return st, false
	}
	w.cur = next
	st = next
	st.NowNS = now.UnixNano()
	return st, true
}

// State reads the link and returns the feed's state, NowNS set to the
// server's clock now.
func (w *feedWatch) State() FeedState {
	if w.link == nil {
		return FeedState{State: FeedNone, NowNS: w.now().UnixNano()}
	}
	return w.refresh()
}

// refresh reads the link, records its state and publishes it when it
// changed (the other streams learn it from this reading), and returns it.
func (w *feedWatch) refresh() FeedState {
	w.obs.Lock()
	defer w.obs.Unlock()
	st, changed := w.observe()
	if changed {
		w.hub.PublishFeed(st)
	}
	return st
}
