package fusion

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/rfwarden/rfwarden/event"
)

// Liveness announces fusion's liveness on event.FusionStatusTopic of its
// site, retained, QoS 1, as a sensor announces its own on its status topic:
// online at every connection (Online, from the client's OnConnect), offline
// as its MQTT last will (SetWill: the broker sends it when it loses the
// connection, a crash, SIGKILL, the host or the network down), and offline
// at a clean stop (Stopped, before disconnecting: a clean disconnect
// discards the will). The dashboard follows it: before, fusion down left
// every dashboard saying ok while no alert could be raised.
//
// Online carries Problem's answer: connected and deaf on a filter the
// broker refused (Resubscriber.Refused), the dashboard is not healthy
// either. Call Online again each time that answer changes
// (Resubscriber.Changed). Use a Liveness through a pointer: it
// serialises its publications, each reading Problem when it is made, so
// the latest the broker retains says how fusion is now.
type Liveness struct {
	Site    string
	Timeout time.Duration    // how long Stopped waits for the broker; default 2 s
	Now     func() time.Time // nil: time.Now
	Log     *slog.Logger     // nil: slog.Default()
	// Problem, when not nil, says why fusion is connected and hears
	// nothing on a filter (event.FusionStatus.Problem), "" while it
	// hears all it subscribed to: Resubscriber.Refused.
	Problem func() string
	// TimeZone is the IANA name of the zone fusion runs in
	// (internal/zonename), in which it matches the registry's weekly
	// hours: every status carries it (event.FusionStatus.TimeZone), so a
	// dashboard in another zone says so. "" when it has none.
	TimeZone string

	mu      sync.Mutex // one publication at a time
	stopped bool       // Stopped ran: Online publishes nothing more
}

// SetProblem sets Problem on a Liveness in use (its OnConnect handler may
// be reading it).
func (l *Liveness) SetProblem(problem func() string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.Problem = problem
}

// Topic is the status topic of l's site.
func (l *Liveness) Topic() string { return event.FusionStatusTopic(l.Site) }

// SetWill sets o's last will: offline, event.FusionLost, retained, QoS 1.
func (l *Liveness) SetWill(o *mqtt.ClientOptions) error {
	b, err := event.Encode(event.FusionStatus{Schema: event.SchemaVersion, Site: l.Site, Status: event.StatusOffline, Reason: event.FusionLost, TimeZone: l.TimeZone})
	if err != nil {
		return fmt.Errorf("fusion status will: %w", err)
	}
	o.SetBinaryWill(l.Topic(), b, 1, true)
	return nil
}

// Online publishes online, retained, with Problem's answer (clipped to
// event.MaxProblemLen), and returns without waiting (an OnConnect
// handler must not block); a goroutine logs a failure.
func (l *Liveness) Online(c mqtt.Client) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		// a sensor's message ending a silence, a subscription granted or
		// a reconnection after the stop's offline: an online retained
		// then, and discarded will, left dashboards saying online
		return
	}
	problem := ""
	if l.Problem != nil {
		problem = event.ClipText(l.Problem(), event.MaxProblemLen)
	}
	b, err := l.payload(event.StatusOnline, "", problem)
	if err != nil {
		l.logger().Error("mqtt: fusion's online status not published", "err", err)
		return
	}
	if problem != "" {
		l.logger().Warn("mqtt: fusion announces itself online and deaf: dashboards say so until it hears again what it subscribed to", "topic", l.Topic(), "problem", problem)
	}
	tok := c.Publish(l.Topic(), 1, true, b) // queued in order under l.mu
	go func() {
		if err := waitToken(context.Background(), tok, l.Timeout, "fusion status online"); err != nil {
			l.logger().Warn("mqtt: fusion's online status not published: dashboards may say fusion is offline until its next connection", "topic", l.Topic(), "err", err)
		}
	}()
}

// Stopped publishes offline, event.FusionStopped, retained, and waits for
// the broker to take it (at most Timeout): call it before a clean
// disconnect. Not connected, it publishes nothing: the broker has sent the
// will already, or will when it finds the connection gone. Online
// publishes nothing after it.
func (l *Liveness) Stopped(c mqtt.Client) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
	if !c.IsConnectionOpen() {
		return nil
	}
	b, err := l.payload(event.StatusOffline, event.FusionStopped, "")
	if err != nil {
		return err
	}
	timeout := l.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	return waitToken(context.Background(), c.Publish(l.Topic(), 1, true, b), timeout, "fusion status offline")
}

func (l *Liveness) payload(status, reason, problem string) ([]byte, error) {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	return event.Encode(event.FusionStatus{Schema: event.SchemaVersion, Site: l.Site, Status: status, Reason: reason, Problem: problem, TimeZone: l.TimeZone, TimeNS: now().UnixNano()})
}

func (l *Liveness) logger() *slog.Logger {
	if l.Log == nil {
		return slog.Default()
	}
	return l.Log
}
