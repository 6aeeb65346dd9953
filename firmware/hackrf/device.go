//go:build hackrf && cgo

package hackrf

/*
#cgo pkg-config: libhackrf
#include <stdint.h>
#include <stdlib.h>
#include <hackrf.h>

extern int rfwRXCallback(hackrf_transfer* transfer);
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime/cgo"
	"sync"
	"unsafe"
)

// libError converts a libhackrf return code into an error naming op.
func libError(op string, rc C.int) error {
	if rc == C.HACKRF_SUCCESS {
		return nil
	}
	return fmt.Errorf("%s: %s (%d)", op, C.GoString(C.hackrf_error_name(C.enum_hackrf_error(rc))), int(rc))
}

// DeviceInfo is one board found on USB.
type DeviceInfo struct {
	Serial     string // serial number string, "" if unreadable
	USBBoardID int    // USB product ID (0x6089 HackRF One)
}

// List returns the HackRF boards on USB. It initialises libhackrf, which
// stays initialised for the life of the process.
func List() ([]DeviceInfo, error) {
	if err := libError("hackrf_init", C.hackrf_init()); err != nil {
		return nil, err
	}
	l := C.hackrf_device_list()
	if l == nil {
		return nil, errors.New("hackrf_device_list: failed")
	}
	defer C.hackrf_device_list_free(l)
	n := int(l.devicecount)
	if n == 0 {
		return nil, nil
	}
	serials := unsafe.Slice(l.serial_numbers, n)
	ids := unsafe.Slice(l.usb_board_ids, n)
	out := make([]DeviceInfo, n)
	for i := range n {
		if serials[i] != nil {
			out[i].Serial = C.GoString(serials[i])
		}
		out[i].USBBoardID = int(ids[i])
	}
	return out, nil
}

// Device is an open HackRF board. Its methods are safe for concurrent use.
type Device struct {
	mu     sync.Mutex
	dev    *C.hackrf_device
	serial string
	stream *Stream
	// Each stream gets a cgo.Handle stored in C memory and passed to
	// libhackrf as rx_ctx; both live until Close, when the transfer thread
	// has ended, so a late callback never sees a freed handle.
	handles []cgo.Handle
	ctxMems []*C.uintptr_t
}

// Open opens the board with the given serial number, or the first board
// when serial is "".
func Open(serial string) (*Device, error) {
	if err := libError("hackrf_init", C.hackrf_init()); err != nil {
		return nil, err
	}
	d := &Device{serial: serial}
	var rc C.int
	if serial == "" {
		rc = C.hackrf_open(&d.dev)
	} else {
		cs := C.CString(serial)
		defer C.free(unsafe.Pointer(cs))
		rc = C.hackrf_open_by_serial(cs, &d.dev)
	}
	if err := libError(fmt.Sprintf("open hackrf %q", serial), rc); err != nil {
		return nil, err
	}
	return d, nil
}

// BoardID returns the board ID number and its name, e.g. 2, "HackRF One".
func (d *Device) BoardID() (int, string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var v C.uint8_t
	if err := libError("hackrf_board_id_read", C.hackrf_board_id_read(d.dev, &v)); err != nil {
		return 0, "", err
	}
	return int(v), C.GoString(C.hackrf_board_id_name(C.enum_hackrf_board_id(v))), nil
}

// FirmwareVersion returns the firmware version string and the USB API
// version (BCD, e.g. 0x0107).
func (d *Device) FirmwareVersion() (string, uint16, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var buf [256]C.char
	if err := libError("hackrf_version_string_read", C.hackrf_version_string_read(d.dev, &buf[0], 255)); err != nil {
		return "", 0, err
	}
	var api C.uint16_t
	if err := libError("hackrf_usb_api_version_read", C.hackrf_usb_api_version_read(d.dev, &api)); err != nil {
		return "", 0, err
	}
	return C.GoString(&buf[0]), uint16(api), nil
}

// SetFreq tunes the receiver to centerHz.
func (d *Device) SetFreq(centerHz uint64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return libError(fmt.Sprintf("hackrf_set_freq %d", centerHz), C.hackrf_set_freq(d.dev, C.uint64_t(centerHz)))
}

// SetSampleRate sets the complex sample rate (2 to 20 MHz).
func (d *Device) SetSampleRate(rateHz float64) error {
	if rateHz < 2e6 || rateHz > 20e6 {
		return fmt.Errorf("sample rate %v Hz outside 2-20 MHz", rateHz)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return libError("hackrf_set_sample_rate", C.hackrf_set_sample_rate(d.dev, C.double(rateHz)))
}

// SetBasebandFilter sets the baseband filter to the supported bandwidth
// nearest below or at bandwidthHz and returns it.
func (d *Device) SetBasebandFilter(bandwidthHz uint32) (uint32, error) {
	bw := uint32(C.hackrf_compute_baseband_filter_bw(C.uint32_t(bandwidthHz)))
	d.mu.Lock()
	defer d.mu.Unlock()
	return bw, libError("hackrf_set_baseband_filter_bandwidth", C.hackrf_set_baseband_filter_bandwidth(d.dev, C.uint32_t(bw)))
}

// SetLNAGain sets the IF (LNA) gain: 0-40 dB in 8 dB steps.
func (d *Device) SetLNAGain(gainDB int) error {
	if gainDB < 0 || gainDB > 40 || gainDB%8 != 0 {
		return fmt.Errorf("LNA gain %d dB: want 0-40 in steps of 8", gainDB)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return libError("hackrf_set_lna_gain", C.hackrf_set_lna_gain(d.dev, C.uint32_t(gainDB)))
}

// SetVGAGain sets the baseband (VGA) gain: 0-62 dB in 2 dB steps.
func (d *Device) SetVGAGain(gainDB int) error {
	if gainDB < 0 || gainDB > 62 || gainDB%2 != 0 {
		return fmt.Errorf("VGA gain %d dB: want 0-62 in steps of 2", gainDB)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return libError("hackrf_set_vga_gain", C.hackrf_set_vga_gain(d.dev, C.uint32_t(gainDB)))
}

// SetAmp switches the RF amplifier (about 11 dB) on or off.
func (d *Device) SetAmp(on bool) error {
	var v C.uint8_t
	if on {
		v = 1
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return libError("hackrf_set_amp_enable", C.hackrf_set_amp_enable(d.dev, v))
}

// InFlightBytes returns how many received bytes libhackrf can hold in its
// USB transfers at once (transfer buffer size times queue depth): after a
// retune or gain change, up to this many bytes captured before it may still
// arrive.
func (d *Device) InFlightBytes() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return int64(C.hackrf_get_transfer_buffer_size(d.dev)) * int64(C.hackrf_get_transfer_queue_depth(d.dev))
}

//export rfwRXCallback
func rfwRXCallback(t *C.hackrf_transfer) C.int {
	s, ok := cgo.Handle(*(*C.uintptr_t)(t.rx_ctx)).Value().(*Stream)
	if !ok || s.stopped.Load() {
		return 1 // stop streaming
	}
	n := int(t.valid_length)
	if n > 0 {
		s.deliver(unsafe.Slice((*byte)(unsafe.Pointer(t.buffer)), n))
	}
	return 0
}

// attach binds a new stream to d for the callback; d.mu is held.
func (d *Device) attach(queue int) (*Stream, error) {
	if d.stream != nil {
		return nil, errors.New("hackrf: already streaming")
	}
	s := newStream(queue)
	mem := (*C.uintptr_t)(C.malloc(C.size_t(unsafe.Sizeof(C.uintptr_t(0)))))
	h := cgo.NewHandle(s)
	*mem = C.uintptr_t(h)
	d.handles = append(d.handles, h)
	d.ctxMems = append(d.ctxMems, mem)
	d.stream = s
	return s, nil
}

// rxCtx returns the rx_ctx of the newest stream; d.mu is held.
func (d *Device) rxCtx() unsafe.Pointer { return unsafe.Pointer(d.ctxMems[len(d.ctxMems)-1]) }

// StartRX starts receiving. queue is how many USB buffers may wait for the
// reader before new ones are dropped.
func (d *Device) StartRX(queue int) (*Stream, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, err := d.attach(queue)
	if err != nil {
		return nil, err
	}
	if err := libError("hackrf_start_rx", C.hackrf_start_rx(d.dev, C.hackrf_sample_block_cb_fn(C.rfwRXCallback), d.rxCtx())); err != nil {
		d.stream = nil
		return nil, err
	}
	return s, nil
}

// SweepRange is one frequency range of a sweep, in MHz.
type SweepRange struct{ StartMHz, StopMHz uint16 }

// StartSweep starts the firmware's sweep mode over ranges: it retunes in
// steps of stepWidthHz, taking numBytes (a multiple of 16384) per step, with
// the tuning offset offsetHz; interleaved selects the INTERLEAVED style.
// Each block in the stream starts with the firmware's 10-byte header
// (0x7f 0x7f and the little-endian 64-bit frequency), as hackrf_sweep reads it.
func (d *Device) StartSweep(ranges []SweepRange, numBytes, stepWidthHz, offsetHz uint32, interleaved bool, queue int) (*Stream, error) {
	if len(ranges) == 0 || len(ranges) > 10 {
		return nil, fmt.Errorf("sweep: %d ranges, want 1-10", len(ranges))
	}
	if numBytes == 0 || numBytes%16384 != 0 {
		return nil, fmt.Errorf("sweep: %d bytes per step, want a positive multiple of 16384", numBytes)
	}
	freqs := make([]C.uint16_t, 0, 2*len(ranges))
	for _, r := range ranges {
		if r.StopMHz <= r.StartMHz {
			return nil, fmt.Errorf("sweep: range %d-%d MHz is empty", r.StartMHz, r.StopMHz)
		}
		freqs = append(freqs, C.uint16_t(r.StartMHz), C.uint16_t(r.StopMHz))
	}
	style := C.enum_sweep_style(C.LINEAR)
	if interleaved {
		style = C.enum_sweep_style(C.INTERLEAVED)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := libError("hackrf_init_sweep", C.hackrf_init_sweep(d.dev, &freqs[0], C.int(len(ranges)), C.uint32_t(numBytes), C.uint32_t(stepWidthHz), C.uint32_t(offsetHz), style)); err != nil {
		return nil, err
	}
	s, err := d.attach(queue)
	if err != nil {
		return nil, err
	}
	if err := libError("hackrf_start_rx_sweep", C.hackrf_start_rx_sweep(d.dev, C.hackrf_sample_block_cb_fn(C.rfwRXCallback), d.rxCtx())); err != nil {
		d.stream = nil
		return nil, err
	}
	return s, nil
}

// StopRX stops receiving. The stream's queued buffers can still be read;
// after them Read blocks until its context ends.
func (d *Device) StopRX() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stopLocked()
}

func (d *Device) stopLocked() error {
	if d.stream == nil {
		return nil
	}
	d.stream.stopped.Store(true)
	d.stream = nil
	return libError("hackrf_stop_rx", C.hackrf_stop_rx(d.dev))
}

// Close stops any stream and closes the board.
func (d *Device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dev == nil {
		return nil
	}
	err := d.stopLocked()
	if cerr := libError("hackrf_close", C.hackrf_close(d.dev)); err == nil {
		err = cerr
	}
	d.dev = nil
	// hackrf_close has joined the transfer thread: the callback is done.
	for _, h := range d.handles {
		h.Delete()
	}
	for _, m := range d.ctxMems {
		C.free(unsafe.Pointer(m))
	}
	d.handles, d.ctxMems = nil, nil
	return err
}
