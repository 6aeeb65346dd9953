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
// give an error naming the problem, publish nothing and are counted
// (BadFeedMessages). Detections are ignored (the dashboard shows what
// fusion made of them).
func (h *Hub) HandleMQTT(topic string, payload []byte) error {
	err := h.handleMQTT(topic, payload)
	if err != nil {
		h.mu.Lock()
		h.badMessages++
		h.mu.Unlock()
	}
	return err
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
