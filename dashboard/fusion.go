package dashboard

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rfwarden/rfwarden/event"
)

// The states of fusion as the dashboard hears it on its status topic
// (event.FusionStatusTopic; FusionState.State).
const (
	FusionOnline = "online" // its latest status says online
	// FusionOffline: it stopped (event.FusionStopped), or the broker lost
	// its connection and sent its last will (event.FusionLost): no alert
	// can be raised, and the alerts shown stay as they were.
	FusionOffline = "offline"
	// FusionDeaf: its latest status says online with a problem
	// (event.FusionStatus.Problem): connected, and the broker refused a
	// subscription of its, so it hears nothing there and raises no alert
	// from it. Until 2026-12-07 the dashboard said online.
	FusionDeaf = "deaf"
	// FusionUnheard: no status of fusion has arrived FusionWordWait after
	// the live feed subscribed. The broker sends the retained status on
	// every subscription, so fusion never announced itself on this broker
	// (not started, older than the dashboard, or the broker's ACL
	// withholds the topic from the dashboard), or the broker lost it in a
	// restart while fusion was down.
	FusionUnheard = "unheard"
)

// FusionWordWait is how long after its live feed subscribed the dashboard
// waits for fusion's status before it says it has had no word
// (FusionUnheard): a retained status arrives at once.
const FusionWordWait = 30 * time.Second

// MaxFusionSites bounds the sites whose fusion status a Hub keeps: a
// dashboard of one site (SetSite) keeps that site's only; one of every
// site keeps the first this many.
const MaxFusionSites = 64

// FusionState is fusion's liveness for one site as the dashboard heard it,
// on the live feed's event feed (FeedState.Fusion) and for /healthz.
type FusionState struct {
	State string `json:"state"` // FusionOnline, FusionOffline, FusionDeaf or FusionUnheard
	Site  string `json:"site,omitempty"`
	// SinceNS is when it took this state: online, when the dashboard
	// heard it; offline, when fusion stopped (its own clock, if not later
	// than the dashboard's) or when the dashboard heard its last will;
	// unheard, when the live feed subscribed. On the Hub's clock.
	SinceNS int64 `json:"since_ns,omitempty"`
	// Reason says why it is offline: event.FusionStopped or
	// event.FusionLost.
	Reason string `json:"reason,omitempty"`
	// Problem says why it is deaf, as fusion said it: "subscription
	// refused: rfw/v1/hmp/sensor/+/+: ...".
	Problem string `json:"problem,omitempty"`
	// TimeZone is the IANA name of the zone fusion said it runs in
	// (event.FusionStatus.TimeZone; "" from a fusion older than
	// 2026-12-07 or one that cannot name its zone), and ZoneDiffers says
	// that its clock rules differ from the dashboard's zone (Hub.SetZone)
	// within the next year: fusion matches the registry's weekly hours in
	// its zone while the Registry page shows them, and every time, in the
	// dashboard's, so one of the two hosts is set wrong (docs/deploy.md,
	// "Site time"). Until 2026-12-07 nothing said so.
	TimeZone    string `json:"time_zone,omitempty"`
	ZoneDiffers bool   `json:"zone_differs,omitempty"`
}

// SetZone gives the Hub the dashboard's own time zone and its IANA name
// (internal/zonename; "" when it has none), against which each fusion
// status's zone is compared (FusionState.ZoneDiffers).
func (h *Hub) SetZone(loc *time.Location, name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.zone, h.zoneName, h.zoneCmp = loc, name, nil
}

// zoneDiffersLocked is zoneDiffers of fusion's zone tz against the
// Hub's (SetZone), false while the Hub has none: it is worked out when
// the states are read, not when a status arrives, so a status heard
// before SetZone (the demo's fusion announces itself before its
// dashboard is made) is compared all the same; each zone's answer is
// kept until SetZone. Caller holds mu.
func (h *Hub) zoneDiffersLocked(tz string) bool {
	if tz == "" || h.zone == nil {
		return false
	}
	if d, ok := h.zoneCmp[tz]; ok {
		return d
	}
	if h.zoneCmp == nil {
		h.zoneCmp = map[string]bool{}
	}
	d := zoneDiffers(h.zone, h.zoneName, tz, h.now())
	h.zoneCmp[tz] = d
	return d
}

// zoneDiffers reports whether the zone fusion names (an IANA name) keeps
// other clocks than the dashboard's zone loc, named name, on any day of
// the year from now: the same name, or another of the same rules
// ("GB" and "Europe/London", "UTC" and "Etc/UTC"), agree; a name this
// host cannot load differs when the names differ. Empty fusion, or no
// zone of the dashboard's (nil loc), says nothing: false.
func zoneDiffers(loc *time.Location, name, fusion string, now time.Time) bool {
	if fusion == "" || fusion == name || loc == nil {
		return false
	}
	fl, err := time.LoadLocation(fusion)
	if err != nil {
		return true
	}
	// each day at noon UTC for a year: summer time starts and ends on
	// different days in different zones (Europe and North America weeks
	// apart), never for less than a day
	day := time.Date(now.Year(), now.Month(), now.Day(), 12, 0, 0, 0, time.UTC)
	for i := 0; i <= 366; i++ {
		t := day.AddDate(0, 0, i)
		_, a := t.In(loc).Zone()
		_, b := t.In(fl).Zone()
		if a != b {
			return true
		}
	}
	return false
}

// FeedSubscribing records that the live feed subscribes (each time it
// connects): the broker sends fusion's retained status on every
// subscription, so one is expected anew within FusionWordWait. Call it
// before subscribing, so a status arriving with the subscription's answer
// counts for it. A site whose status does not come again is FusionUnheard
// then: a broker restarted without its retained messages while fusion was
// down (the same host rebooting) would have left the dashboard saying
// online, the last it heard, for ever.
func (h *Hub) FeedSubscribing() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subscribedAt = h.now()
	h.subscriptions++
}

// fusionHeard is the latest status of a site's fusion and the live feed
// subscription it came on (Hub.subscriptions at the time).
type fusionHeard struct {
	state        FusionState
	subscription int
}

// publishFusionStatus records fusion's status s, heard now.
func (h *Hub) publishFusionStatus(s event.FusionStatus) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.site != "" && s.Site != h.site {
		return fmt.Errorf("fusion status of site %q: the dashboard shows site %q", s.Site, h.site)
	}
	prev, known := h.fusion[s.Site]
	if !known && len(h.fusion) >= MaxFusionSites {
		return fmt.Errorf("fusion status of site %q: the dashboard keeps at most %d sites' (MaxFusionSites)", s.Site, MaxFusionSites)
	}
	now := h.now().UnixNano()
	next := FusionState{State: FusionOnline, Site: s.Site, SinceNS: now, TimeZone: s.TimeZone}
	switch {
	case s.Status == event.StatusOffline:
		next.State, next.Reason = FusionOffline, s.Reason
		if s.TimeNS > 0 && s.TimeNS < now {
			next.SinceNS = s.TimeNS
		}
	case s.Problem != "":
		next.State, next.Problem = FusionDeaf, s.Problem
	}
	if known && prev.state.State == next.State && prev.state.Reason == next.Reason && prev.state.Problem == next.Problem {
		next.SinceNS = prev.state.SinceNS // said again (a reconnection of fusion or of the feed): since stays
	}
	h.fusion[s.Site] = fusionHeard{state: next, subscription: h.subscriptions}
	return nil
}

// FusionStates returns fusion's state for each site heard, by site: its
// latest status, or FusionUnheard since the live feed subscribed when it
// has not come again FusionWordWait after; one FusionUnheard when none
// was heard then; none before (or with no live feed).
func (h *Hub) FusionStates() []FusionState {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.fusionStatesLocked()
}

func (h *Hub) fusionStatesLocked() []FusionState {
	waited := !h.subscribedAt.IsZero() && h.now().Sub(h.subscribedAt) >= FusionWordWait
	unheard := FusionState{State: FusionUnheard, Site: h.site, SinceNS: h.subscribedAt.UnixNano()}
	if len(h.fusion) == 0 {
		if !waited {
			return nil
		}
		return []FusionState{unheard}
	}
	out := make([]FusionState, 0, len(h.fusion))
	for site, f := range h.fusion {
		st := f.state
		if waited && f.subscription < h.subscriptions {
			st = unheard
			st.Site = site
		}
		st.ZoneDiffers = h.zoneDiffersLocked(st.TimeZone)
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b FusionState) int { return strings.Compare(a.Site, b.Site) })
	return out
}

// FusionOnline reports whether FusionStates says online, every site's:
// not offline, not deaf, not unheard.
func (h *Hub) FusionOnline() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	states := h.fusionStatesLocked()
	for _, f := range states {
		if f.State != FusionOnline {
			return false
		}
	}
	return len(states) > 0
}

// BadFeedMessages returns how many messages HandleMQTT refused (a
// payload that does not decode, a topic it does not know).
func (h *Hub) BadFeedMessages() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.badMessages
}

// FeedCollectors returns, for a dashboard with a live feed,
// prefix_fusion_online (1 while fusion was heard online, 0 while it is
// offline, deaf or not heard) and prefix_feed_bad_messages_total.
func (h *Hub) FeedCollectors(prefix string) []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: prefix + "_fusion_online",
			Help: "1 while fusion's latest status on the live feed says online, 0 while it says offline (stopped, or its last will: the broker lost its connection), online and deaf (the broker refused a subscription of fusion's) or none was heard: no alert can be raised then."},
			func() float64 {
				if h.FusionOnline() {
					return 1
				}
				return 0
			}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: prefix + "_feed_bad_messages_total",
			Help: "Messages on the live feed dropped because their payload does not decode or their topic is not one the dashboard reads (each is logged)."},
			func() float64 { return float64(h.BadFeedMessages()) }),
	}
}
