package main

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func init() {
	// An OFD lock conflicts with every POSIX record lock, this process's
	// own included: asking for a shared one on SQLite's shared-lock range
	// shows whether SQLite's exclusive lock is still held in the kernel.
	// (Any close of any descriptor of the file drops a process's POSIX
	// locks on it, whatever SQLite believes it holds.)
	sqliteLockHeld = func(t *testing.T, f *os.File) bool {
		t.Helper()
		const sharedFirst = 0x40000000 + 2 // SQLite's PENDING_BYTE + 2
		lk := unix.Flock_t{Type: unix.F_RDLCK, Whence: 0, Start: sharedFirst, Len: 1}
		if err := unix.FcntlFlock(f.Fd(), unix.F_OFD_GETLK, &lk); err != nil {
			t.Logf("F_OFD_GETLK: %v: cannot tell", err)
			return true
		}
		return lk.Type != unix.F_UNLCK
	}
}
