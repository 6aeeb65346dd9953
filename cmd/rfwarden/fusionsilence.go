package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion"
)

// defaultSensorSilence is how long fusion may be connected to its broker
// without a message from any sensor before it says so: every sensor
// publishes health every 10 s by default (sensor health.interval) and a
// retained status that arrives as fusion subscribes.
const defaultSensorSilence = 2 * time.Minute

// sensorSilenceHint is what the silence points at first. Mosquitto 2.0
// grants a subscription its ACL does not allow and then withholds the
// messages, so a stale ACL shows only as this silence.
const sensorSilenceHint = "check that the broker's ACL lets fusion's user read rfw/v1/+/sensor/# " +
	"(deploy/mosquitto/rfwarden.acl, docs/deploy.md §7), and that the sensors run"

// sensorSilence notices fusion connected to its broker and hearing no
// sensor at all for after (since the connection was made, or since the
// last sensor message): a broker that grants fusion's subscription and
// withholds the messages (a stale ACL), or no sensor running. It is
// degraded health (reason), and a warning logged when it starts and then
// at most once a minute while it lasts (watch). Per-sensor silence is the
// alert engine's (sensor-offline); this is the case where every sensor
// would be reported offline though they may all be running. Safe for
// concurrent use.
type sensorSilence struct {
	after       time.Duration    // ≤ 0: never silent
	connectedAt func() time.Time // the current connection's start; zero while not connected
	now         func() time.Time // nil: time.Now
	log         *slog.Logger
	// changed, when not nil, is called when a silence begins (check
	// logs it first) and when it ends (heard): fusion announces itself
	// deaf, then plain online again (fusion.Liveness.Online).
	changed func()

	mu     sync.Mutex
	last   time.Time // the last sensor message
	logged time.Time // when the current silence was last logged; zero: not logged
	silent bool      // at the last check or message: a silence began and has not ended
}

func (s *sensorSilence) clock() time.Time {
	if s.now == nil {
		return time.Now()
	}
	return s.now()
}

// heard records a message on topic, a sensor's when it is one of a
// sensor's own topics (not a command to it, which fusion itself sends).
func (s *sensorSilence) heard(topic string) {
	if _, _, kind, err := event.ParseSensorTopic(topic); err != nil || kind == event.KindCmd {
		return
	}
	now := s.clock()
	s.mu.Lock()
	s.last = now
	ended := !s.logged.IsZero()
	s.logged, s.silent = time.Time{}, false
	s.mu.Unlock()
	if ended {
		s.log.Warn("fusion: sensor messages arrive again", "topic", topic)
		if s.changed != nil {
			s.changed()
		}
	}
}

// silentFor returns how long fusion has been connected without a sensor
// message, when that is after or more; false otherwise.
func (s *sensorSilence) silentFor(now time.Time) (time.Duration, bool) {
	if s.after <= 0 {
		return 0, false
	}
	since := s.connectedAt()
	if since.IsZero() {
		return 0, false // not connected: /healthz says so already
	}
	s.mu.Lock()
	if s.last.After(since) {
		since = s.last
	}
	s.mu.Unlock()
	d := now.Sub(since)
	return d, d >= s.after
}

// reason is the health reason while fusion hears no sensor; "" otherwise.
func (s *sensorSilence) reason() string {
	if _, silent := s.silentFor(s.clock()); !silent {
		return ""
	}
	return fmt.Sprintf("connected to the broker but no sensor message for %v: %s", s.after, sensorSilenceHint)
}

// check logs the silence at warning level when it starts, then at most
// once a minute while it lasts, and calls changed when it begins. A
// silence also ends with the connection (fusion announces itself at the
// next one).
func (s *sensorSilence) check() {
	now := s.clock()
	d, silent := s.silentFor(now)
	s.mu.Lock()
	began := silent && !s.silent
	s.silent = silent
	if !silent {
		s.mu.Unlock()
		return
	}
	due := s.logged.IsZero() || now.Sub(s.logged) >= time.Minute
	if due {
		s.logged = now
	}
	s.mu.Unlock()
	if due {
		s.log.Warn(fmt.Sprintf("fusion: connected to the MQTT broker but no sensor message for %v", s.after),
			"silent_for", d.Round(time.Second), "hint", sensorSilenceHint)
	}
	if began && s.changed != nil {
		s.changed()
	}
}

// watch checks the silence every a few times per after until ctx ends.
func (s *sensorSilence) watch(ctx context.Context) {
	if s.after <= 0 {
		return
	}
	t := time.NewTicker(min(max(s.after/8, 10*time.Millisecond), 5*time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.check()
		}
	}
}

// heardSubscriber is fusion's subscriber, telling silence of each message
// before the engine gets it.
type heardSubscriber struct {
	fusion.PahoSubscriber
	silence *sensorSilence
}

var (
	_ fusion.Subscriber    = heardSubscriber{}
	_ fusion.AckSubscriber = heardSubscriber{}
)

// Subscribe implements fusion.Subscriber.
func (h heardSubscriber) Subscribe(topic string, qos byte, handler func(string, []byte)) error {
	return h.PahoSubscriber.Subscribe(topic, qos, func(t string, p []byte) {
		h.silence.heard(t)
		handler(t, p)
	})
}

// SubscribeAck implements fusion.AckSubscriber.
func (h heardSubscriber) SubscribeAck(topic string, qos byte, handler func(string, []byte, func())) error {
	return h.PahoSubscriber.SubscribeAck(topic, qos, func(t string, p []byte, ack func()) {
		h.silence.heard(t)
		handler(t, p, ack)
	})
}
