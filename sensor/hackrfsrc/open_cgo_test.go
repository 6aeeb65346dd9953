//go:build hackrf && cgo

package hackrfsrc

import (
	"errors"
	"strings"
	"testing"
)

// TestOpenDeviceMissingBoard runs the real binding with no board of that
// serial attached: it fails with an error naming the serial, not ErrNotBuilt.
func TestOpenDeviceMissingBoard(t *testing.T) {
	const serial = "00000000000000000000000000000bad"
	s, err := OpenDevice(serial, Options{})
	if err == nil {
		s.Close()
		t.Skip("a HackRF with the test serial is attached")
	}
	if errors.Is(err, ErrNotBuilt) || !strings.Contains(err.Error(), serial) {
		t.Errorf("OpenDevice(%q) err = %v, want a libhackrf error naming the serial", serial, err)
	}
}
