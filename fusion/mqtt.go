package fusion

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/rfwarden/rfwarden/event"
)

// SharedTopic is fusion's shared subscription: instances in the group
// "fusion" share the load of every site's sensor topics.
const SharedTopic = "$share/fusion/" + event.TopicPrefix + "/+/sensor/+/+"

// Subscriber is the seam over an MQTT client: Subscribe registers handler
// for topic at QoS qos. The handler runs on the client's goroutine and must
// not block.
type Subscriber interface {
	Subscribe(topic string, qos byte, handler func(topic string, payload []byte)) error
}

// Run subscribes to SharedTopic at QoS 1 and processes messages until ctx is
// done. The subscription handler only hands each message to a bounded queue
// (a full queue drops and counts). A ticker advances associations and alerts.
// On exit it flushes and saves the seen IDs.
func (e *Engine) Run(ctx context.Context, sub Subscriber) error {
	queue := make(chan Message, e.cfg.Queue)
	err := sub.Subscribe(SharedTopic, 1, func(topic string, payload []byte) {
		select {
		case queue <- Message{Topic: topic, Payload: payload}:
		default:
			e.met.dropped.Inc()
		}
	})
	if err != nil {
		return fmt.Errorf("subscribe %s: %w", SharedTopic, err)
	}
	tick := time.NewTicker(e.cfg.TickEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return e.Close(context.WithoutCancel(ctx))
		case m := <-queue:
			if err := e.Handle(ctx, m); err != nil && !errors.Is(err, ErrRejected) {
				e.log.Warn("handle", "topic", m.Topic, "err", err)
			} else if err != nil {
				e.log.Debug("dead letter", "topic", m.Topic, "err", err)
			}
		case <-tick.C:
			if err := e.Tick(ctx, e.deps.Clock()); err != nil {
				e.log.Warn("tick", "err", err)
			}
		}
	}
}

// PahoSubscriber adapts a connected paho client to Subscriber. Use a
// persistent session (CleanSession false, a stable client ID) so QoS 1
// messages queue while fusion restarts, and a Resubscriber so a broker
// restart that forgets the subscription does not leave fusion deaf.
type PahoSubscriber struct {
	Client      mqtt.Client
	Timeout     time.Duration // default 10s
	Resubscribe *Resubscriber // nil: subscribe once
}

var _ Subscriber = PahoSubscriber{}

// Subscribe implements Subscriber.
func (p PahoSubscriber) Subscribe(topic string, qos byte, handler func(string, []byte)) error {
	cb := func(_ mqtt.Client, m mqtt.Message) { handler(m.Topic(), m.Payload()) }
	if p.Resubscribe != nil {
		p.Resubscribe.add(topic, qos, cb)
	}
	tok := p.Client.Subscribe(topic, qos, cb)
	to := p.Timeout
	if to == 0 {
		to = 10 * time.Second
	}
	if !tok.WaitTimeout(to) {
		return fmt.Errorf("subscribe %s: timeout after %v", topic, to)
	}
	return tok.Error()
}

// Resubscriber remembers the subscriptions made through a PahoSubscriber and
// makes them again each time the client (re)connects. Paho does not
// resubscribe by itself when the session is persistent, and a broker may
// forget a persistent session's subscription when it restarts: mosquitto 2.0
// restores plain subscriptions from its persistence file but not shared
// ($share/...) ones. Messages that reach the broker before the subscription
// is made again have no subscriber and are not queued for fusion.
type Resubscriber struct {
	mu   sync.Mutex
	subs []resub
}

type resub struct {
	topic string
	qos   byte
	cb    mqtt.MessageHandler
}

func (r *Resubscriber) add(topic string, qos byte, cb mqtt.MessageHandler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.subs = append(r.subs, resub{topic, qos, cb})
}

// OnConnect is a paho OnConnectHandler: set it with
// ClientOptions.SetOnConnectHandler. It subscribes again without waiting for
// the broker's answer (paho handlers must not block).
func (r *Resubscriber) OnConnect(c mqtt.Client) {
	r.mu.Lock()
	subs := append([]resub(nil), r.subs...)
	r.mu.Unlock()
	for _, s := range subs {
		c.Subscribe(s.topic, s.qos, s.cb)
	}
}

// MQTTPublisher publishes alert state changes on event.AlertTopic(site), QoS 1.
type MQTTPublisher struct {
	Client  mqtt.Client
	Timeout time.Duration // default 10s
}

// PublishAlert implements alert.Publisher.
func (p MQTTPublisher) PublishAlert(ctx context.Context, a event.Alert) error {
	b, err := event.Encode(a)
	if err != nil {
		return err
	}
	tok := p.Client.Publish(event.AlertTopic(a.Site), 1, false, b)
	to := p.Timeout
	if to == 0 {
		to = 10 * time.Second
	}
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(to):
		return fmt.Errorf("publish alert %s: timeout after %v", a.ID, to)
	}
}
