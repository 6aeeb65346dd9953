package embroker

import (
	"log/slog"
	"sync"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/system"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rfwarden/rfwarden/internal/retrylog"
)

// Options are who StartWith lets in and what it reports the broker's
// drops to.
type Options struct {
	// Logins, when not nil, are the only clients let in: username to
	// password (compared in constant time), each allowed the topics ACL
	// gives it (nil: none). Nil Logins: anyone, every topic.
	Logins map[string]string
	ACL    *ACL
	// Logger gets a warning when the broker drops messages: the first
	// drop at once, then at most one line a minute with how many were
	// dropped since (retrylog.Log). Nil: slog.Default() at the time of
	// each warning.
	Logger *slog.Logger
	// Registerer, when not nil, gets the counter
	// rfw_embroker_dropped_messages_total{reason}.
	Registerer prometheus.Registerer
}

// Drop reasons, the counter's reason label, from mochi's Info counters:
//   - inflight_quota (Info.InflightDropped): a QoS 1 or 2 message to a
//     client holding MaximumInflight (8192) unacknowledged, or out of
//     packet IDs; fusion behind by that much loses detections here.
//   - client_buffer (Info.MessagesDropped): a message to a client whose
//     outbound buffer (mochi's ClientNetWriteBufferSize packets) is full.
//
// Not counted: a message dropped when its client's clean session ends
// (the client asked for that), and one mochi expires after a day in
// flight (OnQosDropped, which mochi 2.7.9 calls for both, twice for an
// expiry).
const (
	reasonInflightQuota = "inflight_quota"
	reasonClientBuffer  = "client_buffer"
)

// dropHook is a mochi hook reading the server's drop counters at each
// $SYS tick (once a second, on mochi's event loop): mochi has no hook
// for the in-flight quota's drop (server.go: "add hook?"), and logs it
// once per message at warning level in a log that Start discards, so a
// demo falling behind lost detections without a word (soak test
// 2026-12-06, TestStartDropsAreNotSilent).
type dropHook struct {
	mochi.HookBase
	log     *slog.Logger
	dropped *prometheus.CounterVec // nil: no registerer

	mu       sync.Mutex
	inflight int64 // Info.InflightDropped last seen
	buffer   int64 // Info.MessagesDropped last seen
	unlogged int64 // dropped since the last warning
	retry    retrylog.Log
}

func newDropHook(o Options) (*dropHook, error) {
	h := &dropHook{log: o.Logger}
	if o.Registerer != nil {
		h.dropped = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rfw_embroker_dropped_messages_total",
			Help: "Messages the embedded broker dropped instead of delivering, by reason: inflight_quota (a client holding 8192 QoS 1 messages unacknowledged, e.g. fusion behind) or client_buffer (a client's outbound buffer full).",
		}, []string{"reason"})
		for _, r := range []string{reasonInflightQuota, reasonClientBuffer} {
			h.dropped.WithLabelValues(r) // present at 0 for increase()
		}
		if err := o.Registerer.Register(h.dropped); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// ID implements mochi.Hook.
func (h *dropHook) ID() string { return "rfwarden-drops" }

// Provides implements mochi.Hook.
func (h *dropHook) Provides(b byte) bool { return b == mochi.OnSysInfoTick }

// OnSysInfoTick implements mochi.Hook.
func (h *dropHook) OnSysInfoTick(info *system.Info) {
	h.observe(info.InflightDropped, info.MessagesDropped, time.Now())
}

// observe takes the broker's drop totals at now, counts what is new and
// warns (rate-limited).
func (h *dropHook) observe(inflight, buffer int64, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	newInflight, newBuffer := max(inflight-h.inflight, 0), max(buffer-h.buffer, 0)
	h.inflight, h.buffer = inflight, buffer
	if newInflight+newBuffer == 0 {
		return
	}
	if h.dropped != nil {
		h.dropped.WithLabelValues(reasonInflightQuota).Add(float64(newInflight))
		h.dropped.WithLabelValues(reasonClientBuffer).Add(float64(newBuffer))
	}
	h.unlogged += newInflight + newBuffer
	if log, _ := h.retry.FailedAs("dropped", now); !log {
		return
	}
	lg := h.log
	if lg == nil {
		lg = slog.Default()
	}
	lg.Warn("embedded broker: dropped messages instead of delivering them (a subscriber, e.g. fusion, is 8192 messages behind: detections are lost)",
		"dropped", h.unlogged, "inflight_quota_total", inflight, "client_buffer_total", buffer,
		"hint", "the demo's embedded broker serves what one machine keeps up with: a lower --speed, or a real mosquitto (docs/scaling.md)")
	h.unlogged = 0
}
