//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package statelock

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// errWouldBlock is what lockFile returns when another holds the lock.
var errWouldBlock = unix.EWOULDBLOCK

// lockFile takes an exclusive flock on f without waiting. flock locks
// belong to the open file description, so a second open of the same file,
// in this process or another, is refused until f is closed.
func lockFile(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
