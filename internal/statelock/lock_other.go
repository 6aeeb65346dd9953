//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package statelock

import (
	"errors"
	"os"
)

// errWouldBlock is never returned here.
var errWouldBlock = errors.New("would block")

// lockFile takes no lock: rfwarden runs on Linux, and this platform has no
// flock. The lock file still records the PID.
func lockFile(*os.File) error { return nil }
