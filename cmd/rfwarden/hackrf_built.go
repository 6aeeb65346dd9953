//go:build hackrf && cgo

package main

// hackrfBuilt: this binary has the libhackrf binding (source kind hackrf).
// Its build constraint is sensor/hackrfsrc/open_cgo.go's.
const hackrfBuilt = true
