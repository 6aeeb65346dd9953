//go:build integration

package embroker

import (
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/internal/mosquittotest"
)

// TestPacketIDCollisionMosquitto plays TestPacketIDCollisionKeepsDelivery's
// exchange with Debian's mosquitto, the production broker, which keeps a
// client's publishes and its deliveries to the client apart (msgs_in,
// msgs_out): it passes with no mend.
func TestPacketIDCollisionMosquitto(t *testing.T) {
	for _, tc := range collisionCases {
		t.Run(tc.name, func(t *testing.T) {
			b := mosquittotest.Start(t)
			runCollision(t, strings.TrimPrefix(b.URL, "tcp://"), tc, func(int) {})
		})
	}
}

// TestSubscribeOverDeliveryIDMosquitto plays TestSubscribeOverDeliveryID's
// exchange with Debian's mosquitto: it grants a SUBSCRIBE under the ID of
// a delivery in flight, with no mend.
func TestSubscribeOverDeliveryIDMosquitto(t *testing.T) {
	for _, tc := range collisionCases {
		t.Run(tc.name, func(t *testing.T) {
			b := mosquittotest.Start(t)
			runSubscribeOverDelivery(t, strings.TrimPrefix(b.URL, "tcp://"), tc, func(int) {})
		})
	}
}
