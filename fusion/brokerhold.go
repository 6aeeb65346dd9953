package fusion

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// BrokerGrace is how long after fusion's own broker connection comes back
// the sensors' "offline" statuses are held rather than raised: a broker
// that restarts sends every sensor's last will as it shuts down, keeps
// them retained, and the sensors take their reconnect backoff to say
// "online" again. Raised, each became a sensor-offline alert that fired
// after its 30 s for every sensor of the site at once.
const BrokerGrace = time.Minute

// brokerSettle is how long before fusion notices its broker connection
// lost an "offline" status counts as the broker's shutdown (wills arrive
// as it closes its connections, just before fusion's own drops).
const brokerSettle = 10 * time.Second

// BrokerState reports whether fusion's own broker connection is up, and
// since when (its last connection; zero while down); cmd/rfwarden passes
// its MQTT link's.
type BrokerState func() (connected bool, since time.Time)

// brokerHold holds sensors' offline statuses while fusion's broker
// connection is down and for BrokerGrace after it is back (SetBrokerState).
// Guarded by Engine.mu.
type brokerHold struct {
	state BrokerState // nil: never hold
	// held: sensors whose offline status is held, since when
	held map[string]time.Time
	// passed: sensors whose offline status went to the alert engine, when
	// (kept for brokerSettle)
	passed map[string]time.Time
	// down: Tick saw the connection down (logged once per outage)
	down bool
	// first is when fusion first connected: until the connection is made
	// again after that (a later since) there is no grace, so the
	// retained will of a sensor that died while fusion was stopped is
	// raised as fusion starts.
	first time.Time
}

// SetBrokerState makes the engine hold the sensors' offline statuses while
// f reports fusion's broker connection down and for BrokerGrace after it
// is back (not after its first connection), and withdraw those that reached it brokerSettle before the
// connection was seen lost: a broker restart raised sensor-offline for
// every sensor. Withdrawn within the alert engine's settle, such an alert
// was never announced (alert.Engine.SetSettle). A sensor still offline when the grace ends is raised
// then, its rule's For running from then. Call before Run.
func (e *Engine) SetBrokerState(f BrokerState) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.hold.state = f
}

// holding reports whether offline statuses are held at now, and whether
// fusion's connection is up (one reading of the state). Caller holds mu.
func (e *Engine) holding(now time.Time) (hold, up bool) {
	if e.hold.state == nil {
		return false, false
	}
	up, since := e.hold.state()
	if e.hold.first.IsZero() {
		e.hold.first = since
	}
	return !up || since.After(e.hold.first) && now.Sub(since) < BrokerGrace, up
}

// statusOffline takes a sensor's offline status at now: it returns true
// when held (the alert engine is not told). Caller holds mu.
func (e *Engine) statusOffline(sensor string, now time.Time) bool {
	if hold, _ := e.holding(now); hold {
		if e.hold.held == nil {
			e.hold.held = map[string]time.Time{}
		}
		if _, ok := e.hold.held[sensor]; !ok {
			e.hold.held[sensor] = now
		}
		return true
	}
	if e.hold.state != nil {
		if e.hold.passed == nil {
			e.hold.passed = map[string]time.Time{}
		}
		e.hold.passed[sensor] = now
	}
	return false
}

// statusOnline forgets a held offline status. Caller holds mu.
func (e *Engine) statusOnline(sensor string) {
	delete(e.hold.held, sensor)
	delete(e.hold.passed, sensor)
}

// tickHold, at each Tick: when the connection is seen down, withdraws the
// offline statuses passed within brokerSettle (the broker's shutdown) and
// holds them; when the grace is over, raises those still held.
func (e *Engine) tickHold(ctx context.Context, now time.Time) error {
	e.mu.Lock()
	if e.hold.state == nil {
		e.mu.Unlock()
		return nil
	}
	hold, up := e.holding(now) // notes the first connection
	var withdraw, raise []string
	switch {
	case !up && e.hold.first.IsZero(): // not connected yet
	case !up:
		if !e.hold.down {
			e.hold.down = true
			e.log.Warn("fusion lost the broker: sensors' offline statuses are held until it is back for " + BrokerGrace.String())
		}
		for s, at := range e.hold.passed {
			if now.Sub(at) <= brokerSettle {
				withdraw = append(withdraw, s)
				if e.hold.held == nil {
					e.hold.held = map[string]time.Time{}
				}
				e.hold.held[s] = at
			}
		}
		clear(e.hold.passed)
	case !hold:
		e.hold.down = false
		for s := range e.hold.held {
			raise = append(raise, s)
		}
		clear(e.hold.held)
	}
	for s, at := range e.hold.passed {
		if now.Sub(at) > brokerSettle {
			delete(e.hold.passed, s)
		}
	}
	e.mu.Unlock()
	var errs []error
	for _, s := range withdraw {
		errs = append(errs, e.alerts.ObserveStatus(ctx, s, event.StatusOnline, now))
	}
	if len(raise) > 0 {
		e.log.Info("fusion's broker connection is back: sensors still offline are raised", slog.Any("sensors", raise))
	}
	for _, s := range raise {
		errs = append(errs, e.alerts.ObserveStatus(ctx, s, event.StatusOffline, now))
	}
	return errors.Join(errs...)
}
