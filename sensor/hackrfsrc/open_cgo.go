//go:build hackrf && cgo

package hackrfsrc

import (
	"fmt"

	"github.com/rfwarden/rfwarden/firmware/hackrf"
)

// Built reports whether this binary has the libhackrf binding: true here,
// where OpenDevice opens a board.
const Built = true

// libDevice adapts *hackrf.Device to Device.
type libDevice struct{ *hackrf.Device }

var _ Device = libDevice{}

func (d libDevice) StartRX(queueBuffers int) (RXStream, error) {
	s, err := d.Device.StartRX(queueBuffers)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// OpenDevice opens the HackRF with the given serial number (the first board
// when serial is "") through libhackrf and returns a DeviceSource over it,
// which opens the board again by the same serial after losing it (an
// unplug).
func OpenDevice(serial string, opt Options) (*DeviceSource, error) {
	open := func() (Device, error) {
		d, err := hackrf.Open(serial)
		if err != nil {
			return nil, err // names the serial
		}
		return libDevice{d}, nil
	}
	d, err := open()
	if err != nil {
		return nil, fmt.Errorf("hackrf source: %w", err)
	}
	return NewDeviceReopen(d, serial, open, opt), nil
}
