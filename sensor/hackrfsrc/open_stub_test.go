//go:build !hackrf || !cgo

package hackrfsrc

import (
	"errors"
	"testing"
)

// TestOpenDeviceNotBuilt: the default build has no libhackrf binding and
// says how to get one.
func TestOpenDeviceNotBuilt(t *testing.T) {
	s, err := OpenDevice("", Options{})
	if Built {
		t.Error("Built is true in a build whose OpenDevice has no binding")
	}
	if s != nil || !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("OpenDevice = %v, %v; want ErrNotBuilt", s, err)
	}
	if got, want := err.Error(), "built without the hackrf tag; use hackrf_transfer or rebuild with -tags hackrf"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
}
