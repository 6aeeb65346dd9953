package mqttlink

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// SubscribeAttempts is how many times AwaitGranted makes a subscription
// the broker answered with a SUBACK code MQTT 3.1.1 does not have. Under
// mochi's 0x91 (packet identifier in use) each attempt takes paho's next
// ID, and the broker's deliveries in flight to the client hold a run of
// IDs from 1 up (up to the broker's window: mosquitto's
// max_inflight_messages is 20), so a few attempts may collide again.
const SubscribeAttempts = 50

// AwaitGranted waits at most wait for the SUBACK of tok, a subscription
// to topic, and returns nil when it granted it. One answered with a
// SUBACK code MQTT 3.1.1 does not have (SubackCodeError) is logged at
// warning level the first time and made again with again, up to
// SubscribeAttempts times in all; then, or for no answer, an error or a
// refusal (ErrSubackRefused), it returns the error.
//
// mochi 2.7.9 answers a SUBSCRIBE under the packet ID of one of its own
// deliveries in flight to that client with 0x91, even to an MQTT 3.1.1
// client, whose SUBACK has no such code, and paho reports it as the QoS
// granted: a client that trusted paho ran without the subscription,
// silently (fusion's acknowledgements; TestSubscribeOverDeliveryID in
// fusion, sensor/publish and internal/embroker, whose broker mends it).
func AwaitGranted(tok mqtt.Token, again func() mqtt.Token, wait time.Duration, log *slog.Logger, topic string) error {
	for attempt := 1; ; attempt++ {
		if !tok.WaitTimeout(wait) {
			return fmt.Errorf("no answer from the broker within %v", wait)
		}
		err := tok.Error()
		if err == nil {
			err = subscribeRefused(tok)
		}
		var odd SubackCodeError
		if !errors.As(err, &odd) || attempt >= SubscribeAttempts {
			return err
		}
		if attempt == 1 {
			log.Warn("mqtt: the broker answered the subscription with a code MQTT 3.1.1 does not have; subscribing again",
				"topic", topic, "suback_code", fmt.Sprintf("0x%02x", byte(odd)), "attempts_left", SubscribeAttempts-attempt)
		}
		tok = again()
	}
}

// subscribeRefused returns SubackError of a subscription token's SUBACK
// (nil for another token).
func subscribeRefused(tok mqtt.Token) error {
	st, ok := tok.(*mqtt.SubscribeToken)
	if !ok {
		return nil
	}
	return SubackError(st.Result())
}

// SubackError returns an error when a SUBACK's codes, by filter, did not
// grant a subscription: a SubackCodeError for a code other than the QoS
// granted (0, 1 or 2) and the failure code, which paho reports as the QoS
// granted; else ErrSubackRefused for the failure code 0x80 (MQTT 3.1.1
// §3.9.3). When the SUBACK answered several filters the error names
// those not granted.
func SubackError(codes map[string]byte) error {
	var refused, odd []string // filters
	var oddCode byte
	for _, f := range slices.Sorted(maps.Keys(codes)) {
		switch code := codes[f]; {
		case code == subackFailure:
			refused = append(refused, f)
		case code > 2:
			if odd == nil {
				oddCode = code
			}
			odd = append(odd, f)
		}
	}
	var err error
	var named []string // the filters err is of
	switch {
	case odd != nil:
		err, named = SubackCodeError(oddCode), odd
	case refused != nil:
		err, named = ErrSubackRefused, refused
	default:
		return nil
	}
	if len(codes) > 1 {
		return fmt.Errorf("%s: %w", strings.Join(named, ", "), err)
	}
	return err
}

// ErrSubackRefused is SubackError's for a SUBACK with the failure code.
var ErrSubackRefused = errors.New("the broker refused the subscription (SUBACK 0x80): its ACL must let this client's user read the topic (deploy/mosquitto/rfwarden.acl)")

// SubackAnswered reports whether err is the broker's SUBACK not granting
// a subscription (SubackError), which no reconnection changes.
func SubackAnswered(err error) bool {
	var odd SubackCodeError
	return errors.Is(err, ErrSubackRefused) || errors.As(err, &odd)
}

// LeftToReconnect reports whether err, a failed subscription of c, can
// wait for c's next connection to make it again: the broker did not
// answer it (SubackAnswered: no reconnection changes that), it is not
// about the subscription itself (an invalid topic or QoS fails again),
// and c is not connected (or paho said so).
func LeftToReconnect(c mqtt.Client, err error) bool {
	if SubackAnswered(err) || errors.Is(err, mqtt.ErrInvalidQos) || errors.Is(err, mqtt.ErrInvalidTopicEmptyString) || errors.Is(err, mqtt.ErrInvalidTopicMultilevel) {
		return false
	}
	return !c.IsConnectionOpen() || errors.Is(err, mqtt.ErrNotConnected) || strings.Contains(err.Error(), "not currently connected")
}

// SubackCodeError is a SUBACK return code MQTT 3.1.1 does not have (it
// has 0, 1, 2 and 0x80).
type SubackCodeError byte

func (e SubackCodeError) Error() string {
	return fmt.Sprintf("the broker did not grant the subscription: SUBACK code 0x%02x (MQTT 5's reason codes include 0x91, packet identifier in use)", byte(e))
}

// subackFailure is the return code of a SUBACK refusing a subscription
// (MQTT 3.1.1 §3.9.3).
const subackFailure = 0x80
