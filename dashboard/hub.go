package dashboard

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/retrylog"
)

// Message kinds sent on the live feed; they are the SSE event names.
const (
	MsgAlert    = "alert"
	MsgHealth   = "health"
	MsgStatus   = "status"
	MsgSpectrum = "spectrum"
	MsgLocation = "location"
	MsgFeed     = "feed" // the dashboard's own feed from the broker: FeedState
)

// Message is one live update fanned out by the Hub.
type Message struct {
	Kind   string          // one of the Msg* constants
	Sensor string          // sensor ID for health, status and spectrum; "" otherwise
	Data   json.RawMessage // JSON body
}

// SensorState is the latest known state of one sensor, kept by the Hub.
type SensorState struct {
	Site            string        `json:"site"`
	Sensor          string        `json:"sensor"`
	Status          string        `json:"status"` // online, offline or the health state (tampered, jammed, ...)
	LastHeartbeatNS int64         `json:"last_heartbeat_ns"`
	Health          *event.Health `json:"health,omitempty"`
	// Maintenance is the sensor's maintenance window, while one lasts (the
	// sensors list adds it from the store; the hub never sets it).
	Maintenance *store.Maintenance `json:"maintenance,omitempty"`
}

// Subscription selects which messages a client receives. Empty Kinds means
// all kinds; spectrum messages are only sent when Sensor is set and matches.
type Subscription struct {
	Kinds  map[string]bool
	Sensor string
}

func (s Subscription) wants(m Message) bool {
	if len(s.Kinds) > 0 && !s.Kinds[m.Kind] {
		return false
	}
	if m.Kind == MsgSpectrum && (s.Sensor == "" || s.Sensor != m.Sensor) {
		return false
	}
	return true
}

type hubClient struct {
	sub Subscription
	ch  chan Message
}

// Hub fans live updates out to Server-Sent-Event clients. Each client has a
// bounded buffer; a client whose buffer is full is dropped (its channel
// closed) so publishers never block. The zero value is not usable; call NewHub.
type Hub struct {
	bufLen int
	now    func() time.Time

	mu      sync.Mutex
	clients map[*hubClient]struct{}
	sensors map[string]*SensorState // key site/sensor
	dropped int64
	onDrop  func()

	// known holds the site model's sensors (key site/sensor) once SetSite
	// gave it; nil: any sensor, up to MaxHubSensors.
	known   map[string]bool
	ignored int64 // status and health messages of sensors not kept
	// ignoredLogged are the sensors whose first ignored message was logged
	// (at most maxIgnoredLogged); lastIgnoredLog rate-limits the rest.
	ignoredLogged  map[string]bool
	lastIgnoredLog time.Time
	log            *slog.Logger
	// shown holds the tracks whose fixes the feed sent (key site/track),
	// with the time of the newest: a track that turns authorised is taken
	// off the maps once (PublishLocation). shownSweepAt is the size at
	// which the tracks not located for shownTrackAge are forgotten.
	shown        map[string]int64
	shownSweepAt int

	// site is SetSite's site ID ("" for any): fusion statuses of other
	// sites are refused. fusion holds fusion's state by site
	// (publishFusionStatus); subscribedAt is when the live feed last
	// subscribed, subscriptions how many times (FeedSubscribing).
	site   string
	fusion map[string]fusionHeard
	// zone and zoneName are the dashboard's own time zone and its IANA
	// name (SetZone), against which fusion's (event.FusionStatus.TimeZone)
	// is compared: FusionState.ZoneDiffers.
	zone          *time.Location
	zoneName      string
	zoneCmp       map[string]bool // zoneDiffersLocked's answers by fusion's zone
	subscribedAt  time.Time
	subscriptions int
	badMessages   int64 // HandleMQTT's refusals
	// badLogs rate-limits the log of HandleMQTT's refusals, by kind and
	// sensor (noteBadLocked): bounded by the sensors kept.
	badLogs retrylog.Keyed
}

// shownTrackAge is how long the Hub remembers a track it sent, to take it
// off the maps should it turn authorised: the longest the page draws one
// (GET /locations' longest window, a week).
const shownTrackAge = 7 * 24 * time.Hour

// maxShownTracks bounds the tracks the Hub remembers; beyond it (a week of
// more than this many tracks) the oldest are forgotten, and a track of
// those that turns authorised ages off the maps instead.
const maxShownTracks = 100000

// MaxHubSensors bounds the sensors a Hub keeps state for when it does not
// know the site model (SetSite): far more than a site has, few enough
// that a client publishing status under made-up sensor IDs cannot fill
// memory or the sensors list (70,000 did). Messages of sensors beyond it
// are ignored and counted (IgnoredSensorMessages).
const MaxHubSensors = 4096

// maxIgnoredLogged bounds the ignored sensors logged one by one; beyond
// it, one line a minute says how many messages were ignored.
const maxIgnoredLogged = 64

// NewHub returns a Hub whose clients each buffer up to bufLen messages
// (64 when bufLen <= 0).
func NewHub(bufLen int) *Hub {
	if bufLen <= 0 {
		bufLen = 64
	}
	return &Hub{bufLen: bufLen, now: time.Now, clients: map[*hubClient]struct{}{}, sensors: map[string]*SensorState{},
		ignoredLogged: map[string]bool{}, log: slog.New(slog.DiscardHandler), shown: map[string]int64{}, shownSweepAt: 4096,
		fusion: map[string]fusionHeard{}}
}

// SetSite restricts the sensors the Hub keeps state for, and sends on the
// live feed, to those of the site model st (the messages of others are
// ignored and counted, as fusion ignores them), and forgets any other
// sensor it kept. A nil st lifts the restriction.
func (h *Hub) SetSite(st *site.Site) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if st == nil {
		h.known, h.site = nil, ""
		return
	}
	h.site = st.ID
	for k := range h.fusion {
		if k != st.ID {
			delete(h.fusion, k)
		}
	}
	h.known = make(map[string]bool, len(st.Sensors))
	for _, sn := range st.Sensors {
		h.known[st.ID+"/"+sn.ID] = true
	}
	for k := range h.sensors {
		if !h.known[k] {
			delete(h.sensors, k)
		}
	}
}

// SetLogger sets where the Hub logs the sensors it ignores; nil discards.
func (h *Hub) SetLogger(l *slog.Logger) {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	h.mu.Lock()
	h.log = l
	h.mu.Unlock()
}

// IgnoredSensorMessages returns how many status and health messages were
// ignored because their sensor is not in the site model (SetSite) or, with
// none, because MaxHubSensors sensors are kept already.
func (h *Hub) IgnoredSensorMessages() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ignored
}

// Subscribe registers a client. The returned channel is closed when cancel
// is called or when the client falls behind and is dropped.
func (h *Hub) Subscribe(sub Subscription) (msgs <-chan Message, cancel func()) {
	c := &hubClient{sub: sub, ch: make(chan Message, h.bufLen)}
	h.mu.Lock()
	h.clients[c] = struct{}{}
	h.mu.Unlock()
	return c.ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.clients[c]; ok {
			delete(h.clients, c)
			close(c.ch)
		}
	}
}

// SetClock makes now the Hub's clock: when a sensor was last heard, since
// when fusion has been in its state. A dashboard on a clock of its own
// (Deps.Now: the demo's simulated clock) gives the Hub the same, so that
// the live feed's now_ns and fusion's since_ns are on one clock: the
// demo's feed said now in January and fusion online since December
// until 2026-12-07 (TestDemoFusionOnline).
func (h *Hub) SetClock(now func() time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.now = now
}

// Clients returns the number of subscribed clients.
func (h *Hub) Clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// Dropped returns how many clients were dropped for being too slow.
func (h *Hub) Dropped() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.dropped
}

func (h *Hub) publish(m Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		if !c.sub.wants(m) {
			continue
		}
		select {
		case c.ch <- m:
		default:
			delete(h.clients, c)
			close(c.ch)
			h.dropped++
			if h.onDrop != nil {
				h.onDrop()
			}
		}
	}
}

func (h *Hub) publishJSON(kind, sensor string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return // event types always marshal; NaN is rejected by Validate upstream
	}
	h.publish(Message{Kind: kind, Sensor: sensor, Data: b})
}

// PublishAlert sends an alert (new, changed or acknowledged) to all clients.
func (h *Hub) PublishAlert(a event.Alert) { h.publishJSON(MsgAlert, "", a) }

// locationGone is the live feed's location message for a track shown on
// the maps that turned authorised (fusion matched it to the registry
// after its first fixes): the page takes it off, and learns nothing of
// where it is, what it is or which room.
type locationGone struct {
	Site       string `json:"site"`
	Track      string `json:"track"`
	TimeNS     int64  `json:"time_ns"`
	Authorised bool   `json:"authorised"` // always true
}

// PublishLocation sends a located emitter (as a Location) to all
// clients, but for an authorised device's (a staff radio): the map never
// draws those, and every screen was sent the staff's movements. The
// first authorised fix of a track whose fixes were sent goes out as a
// removal alone (locationGone: the track and time, no place), or the
// track stayed on every map until it aged out.
func (h *Hub) PublishLocation(l store.LocationRecord) {
	key := l.Site + "/" + l.Track
	h.mu.Lock()
	_, wasShown := h.shown[key]
	switch {
	case l.Authorised:
		delete(h.shown, key)
	case l.TimeNS >= h.shown[key]:
		h.rememberShownLocked(key, l.TimeNS)
	}
	h.mu.Unlock()
	if l.Authorised {
		if wasShown {
			h.publishJSON(MsgLocation, "", locationGone{Site: l.Site, Track: l.Track, TimeNS: l.TimeNS, Authorised: true})
		}
		return
	}
	h.publishJSON(MsgLocation, "", LocationOf(l))
}

// rememberShownLocked records that the feed sent a fix of the track key at
// timeNS, forgetting the tracks not located for shownTrackAge before it
// (and, past maxShownTracks, the oldest) when the map has grown.
func (h *Hub) rememberShownLocked(key string, timeNS int64) {
	h.shown[key] = timeNS
	if len(h.shown) < h.shownSweepAt {
		return
	}
	cutoff := timeNS - int64(shownTrackAge)
	for k, t := range h.shown {
		if t < cutoff {
			delete(h.shown, k)
		}
	}
	if len(h.shown) > maxShownTracks {
		times := make([]int64, 0, len(h.shown))
		for _, t := range h.shown {
			times = append(times, t)
		}
		sort.Slice(times, func(i, j int) bool { return times[i] > times[j] })
		keep := times[maxShownTracks/2] // the newest half stays
		for k, t := range h.shown {
			if t < keep {
				delete(h.shown, k)
			}
		}
	}
	h.shownSweepAt = max(4096, 2*len(h.shown))
}

// PublishFeed sends the state of the dashboard's feed from the broker to
// all clients.
func (h *Hub) PublishFeed(st FeedState) { h.publishJSON(MsgFeed, "", st) }

// PublishSpectrum sends a spectrum frame to the clients watching its sensor.
func (h *Hub) PublishSpectrum(s event.Spectrum) { h.publishJSON(MsgSpectrum, s.Sensor, s) }

// PublishHealth records and sends a sensor health report.
func (h *Hub) PublishHealth(hl event.Health) {
	h.mu.Lock()
	st := h.sensorLocked(hl.Site, hl.Sensor)
	if st == nil {
		h.mu.Unlock()
		return
	}
	cp := hl
	st.Health = &cp
	st.LastHeartbeatNS = hl.TimeNS
	st.Status = hl.State
	if hl.State == event.StateOK {
		st.Status = event.StatusOnline
	}
	h.mu.Unlock()
	h.publishJSON(MsgHealth, hl.Sensor, hl)
}

// PublishStatus records and sends a sensor's online/offline status (from its
// retained MQTT status topic and last will).
func (h *Hub) PublishStatus(site, sensor, status string) {
	h.mu.Lock()
	st := h.sensorLocked(site, sensor)
	if st == nil {
		h.mu.Unlock()
		return
	}
	if status != event.StatusOnline || st.Health == nil || st.Health.State == event.StateOK {
		st.Status = status
	} else {
		st.Status = st.Health.State
	}
	if status == event.StatusOnline {
		st.LastHeartbeatNS = h.now().UnixNano()
	}
	cp := *st
	h.mu.Unlock()
	h.publishJSON(MsgStatus, sensor, cp)
}

// sensorLocked returns the state of sensor at site, new if need be, or nil
// when the Hub does not keep it: not in the site model, or, without one,
// MaxHubSensors kept already. It counts and logs the message ignored then.
func (h *Hub) sensorLocked(site, sensor string) *SensorState {
	k := site + "/" + sensor
	if st, ok := h.sensors[k]; ok {
		return st
	}
	if (h.known != nil && !h.known[k]) || (h.known == nil && len(h.sensors) >= MaxHubSensors) {
		h.ignoreLocked(k)
		return nil
	}
	st := &SensorState{Site: site, Sensor: sensor, Status: event.StatusOnline}
	h.sensors[k] = st
	return st
}

// ignoreLocked counts a message of the sensor k that is not kept and logs
// it: the first of each of the first maxIgnoredLogged sensors, then at most
// one line a minute.
func (h *Hub) ignoreLocked(k string) {
	h.ignored++
	why := "not in the site model"
	if h.known == nil {
		why = fmt.Sprintf("the dashboard keeps at most %d sensors without a site model", MaxHubSensors)
	}
	if !h.ignoredLogged[k] && len(h.ignoredLogged) < maxIgnoredLogged {
		h.ignoredLogged[k] = true
		h.log.Warn("live feed: ignoring a sensor", "sensor", k, "why", why)
		return
	}
	if now := h.now(); now.Sub(h.lastIgnoredLog) >= time.Minute {
		h.lastIgnoredLog = now
		h.log.Warn("live feed: ignoring sensors", "latest", k, "why", why, "messages_ignored", h.ignored)
	}
}

// Sensors returns the latest state of every sensor seen, sorted by ID.
func (h *Hub) Sensors() []SensorState {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]SensorState, 0, len(h.sensors))
	for _, s := range h.sensors {
		cp := *s
		if s.Health != nil {
			hc := *s.Health
			cp.Health = &hc
		}
		out = append(out, cp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Site+"/"+out[i].Sensor < out[j].Site+"/"+out[j].Sensor })
	return out
}
