//go:build !hackrf || !cgo

package hackrfsrc

// Built reports whether this binary has the libhackrf binding: false here,
// where OpenDevice returns ErrNotBuilt (a check can say so without opening
// a board).
const Built = false

// OpenDevice needs the cgo binding: this build has none (it was built
// without the "hackrf" tag, or without cgo), so it returns ErrNotBuilt.
func OpenDevice(serial string, opt Options) (*DeviceSource, error) {
	return nil, ErrNotBuilt
}
