//go:build !hackrf || !cgo

package main

// hackrfBuilt: this binary has no libhackrf binding (built without the
// "hackrf" tag, or without cgo), and hackrfsrc.OpenDevice returns
// ErrNotBuilt. Its build constraint is sensor/hackrfsrc/open_stub.go's.
const hackrfBuilt = false
