package fusion

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/alert"
)

// tokenPublisher is the part of a paho client the alert publishers use.
type tokenPublisher interface {
	Publish(topic string, qos byte, retained bool, payload any) mqtt.Token
}

// KeepPublisher asks the sensors that heard an alert's evidence to keep
// those detections' IQ snippets (event.CmdKeep on each one's cmd topic, QoS
// 1), at every state change of an alert that has evidence, and (as an
// alert.EvidenceKeeper, KeepEvidence) for the evidence a live alert gains
// between its state changes. A sensor rotates
// its snippets to make room for new ones; the ones an alert cites are kept
// until someone removes them. A detection ID begins with its sensor's ID
// and "-": each ID goes to the sensors of Sensors it could belong to (the
// longest such ID, and any other that is a prefix of it too, so an ID is
// never lost to a look-alike sensor name; a sensor ignores IDs it has no
// snippet for). IDs of no known sensor are dropped.
type KeepPublisher struct {
	Client  tokenPublisher
	Sensors []string      // the site's sensor IDs
	Timeout time.Duration // per message; default 10s
	Now     func() time.Time
}

// PublishAlert implements alert.Publisher.
func (p KeepPublisher) PublishAlert(ctx context.Context, a event.Alert) error {
	by := EvidenceBySensor(a.Evidence, p.Sensors)
	sensors := make([]string, 0, len(by))
	for s := range by {
		sensors = append(sensors, s)
	}
	slices.Sort(sensors)
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	var errs []error
	for _, s := range sensors {
		ids := by[s]
		for len(ids) > 0 {
			n := min(len(ids), event.MaxCommandDetections)
			c := event.Command{Schema: event.SchemaVersion, Site: a.Site, Sensor: s, TimeNS: now().UnixNano(),
				Cmd: event.CmdKeep, Alert: a.ID, Detections: ids[:n]}
			ids = ids[n:]
			b, err := event.Encode(c)
			if err != nil {
				errs = append(errs, fmt.Errorf("keep command for sensor %s: %w", s, err))
				continue
			}
			tok := p.Client.Publish(event.SensorTopic(a.Site, s, event.KindCmd), 1, false, b)
			errs = append(errs, waitToken(ctx, tok, p.Timeout, "keep command for sensor "+s+" (alert "+a.ID+")"))
		}
	}
	return errors.Join(errs...)
}

// EvidenceBySensor groups detection IDs by the sensors they may come from
// (see KeepPublisher), in their order, without repeats.
func EvidenceBySensor(ids, sensors []string) map[string][]string {
	by := map[string][]string{}
	for _, id := range ids {
		for _, s := range sensors {
			if strings.HasPrefix(id, s+"-") && len(id) > len(s)+1 && !slices.Contains(by[s], id) {
				by[s] = append(by[s], id)
			}
		}
	}
	return by
}

// waitToken waits for tok until ctx ends or timeout (default 10s) passes.
func waitToken(ctx context.Context, tok mqtt.Token, timeout time.Duration, what string) error {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("publish %s: %w", what, err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return fmt.Errorf("publish %s: %w", what, fmt.Errorf("timeout after %v", timeout)) // the cause apart from what (failureKey)
	}
}

var _ alert.EvidenceKeeper = KeepPublisher{}

// KeepEvidence implements alert.EvidenceKeeper: it asks the sensors that
// heard ids, evidence a gained between its publications, to keep their
// snippets, as PublishAlert does for a's whole evidence.
func (p KeepPublisher) KeepEvidence(ctx context.Context, a event.Alert, ids []string) error {
	a.Evidence = ids
	return p.PublishAlert(ctx, a)
}

// AsyncKeeper is an alert.EvidenceKeeper that queues the keep commands
// for a KeepPublisher and sends them from its own goroutine, so the alert
// engine's Tick, which calls it holding the engine's lock, never waits for
// the broker. Its queue (an AsyncPublisher's) coalesces by alert: a
// request for an alert already waiting adds its detection IDs to the
// waiting one's (a keep command names its alert and the detections, and
// KeepPublisher splits them by sensor when it sends), so a broker away
// for long loses no detection and the queue holds one request per alert.
// Only a request of an alert not among the queue's full number is
// dropped (ErrQueueFull, logged and counted). Close stops the goroutine
// after sending what is queued.
type AsyncKeeper struct {
	q *AsyncPublisher
}

var _ alert.EvidenceKeeper = (*AsyncKeeper)(nil)

// NewAsyncKeeper starts sending k's keep commands through a queue of the
// given size (alerts with requests waiting).
func NewAsyncKeeper(k KeepPublisher, queue int, log *slog.Logger) *AsyncKeeper {
	return &AsyncKeeper{q: newAsync(k, queue, log, "keep command", unionEvidence)}
}

// unionEvidence adds a's evidence to q's, keeping q's order, without
// repeats.
func unionEvidence(q *event.Alert, a event.Alert) bool {
	for _, id := range a.Evidence {
		if !slices.Contains(q.Evidence, id) {
			q.Evidence = append(q.Evidence, id)
		}
	}
	return true
}

// KeepEvidence implements alert.EvidenceKeeper without blocking.
func (k *AsyncKeeper) KeepEvidence(ctx context.Context, a event.Alert, ids []string) error {
	// only what KeepPublisher reads: the engine goes on changing the rest
	return k.q.PublishAlert(ctx, event.Alert{Schema: a.Schema, ID: a.ID, Site: a.Site, Evidence: slices.Clone(ids)})
}

// Queued returns how many alerts' requests wait to be sent.
func (k *AsyncKeeper) Queued() int { return k.q.Queued() }

// Dropped returns how many requests found the queue full and were dropped.
func (k *AsyncKeeper) Dropped() uint64 { return k.q.Dropped() }

// Close sends the queued requests (until ctx is done) and stops.
// KeepEvidence after Close returns ErrQueueClosed.
func (k *AsyncKeeper) Close(ctx context.Context) error { return k.q.Close(ctx) }
