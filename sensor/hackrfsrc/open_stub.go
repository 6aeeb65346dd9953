//go:build !hackrf || !cgo

package hackrfsrc

// OpenDevice needs the cgo binding: this build has none (it was built
// without the "hackrf" tag, or without cgo), so it returns ErrNotBuilt.
func OpenDevice(serial string, opt Options) (*DeviceSource, error) {
	return nil, ErrNotBuilt
}
