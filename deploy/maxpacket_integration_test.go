//go:build integration

package deploy

import (
	"testing"

	"github.com/rfwarden/rfwarden/internal/embroker"
)

// TestMosquittoConfMaxPacketSize: Debian's mosquitto on the shipped
// settings passes the largest message rfwarden sends and disconnects a
// client whose packet is larger than max_packet_size (the embedded
// broker's, TestMaxPacketSizeAsShipped), at its header.
func TestMosquittoConfMaxPacketSize(t *testing.T) {
	checkMaxPacket(t, startShippedSettings(t), embroker.MaxPacketBytes)
}
