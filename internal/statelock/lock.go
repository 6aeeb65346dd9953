package statelock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrHeld is wrapped by Acquire's error when another process (or another
// Acquire of this one) holds the lock.
var ErrHeld = errors.New("held by another process")

// Lock is one held lock file.
type Lock struct {
	f    *os.File
	path string
}

// For returns the lock file of the state at path (a file or a directory):
// path with ".lock" appended, beside it rather than inside it, so that no
// reader of a state directory finds a file it does not know.
func For(path string) string {
	return strings.TrimRight(path, string(os.PathSeparator)) + ".lock"
}

// Acquire takes the lock file at path without waiting, creating it (mode
// 0600) and its directory (0750) when missing, and writes the calling process's PID into it. When
// another holds it the error wraps ErrHeld and names the file and, when it
// has written it, the holder's PID. The file stays after Release: removing
// it would let a second process lock a new file while a third still holds
// the old one.
func Acquire(path string) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errWouldBlock) {
			if pid := holder(path); pid > 0 {
				return nil, fmt.Errorf("lock %s: %w (PID %d)", path, ErrHeld, pid)
			}
			return nil, fmt.Errorf("lock %s: %w", path, ErrHeld)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		f.Close() // closing releases the lock
		return nil, fmt.Errorf("lock %s: write PID: %w", path, err)
	}
	return &Lock{f: f, path: path}, nil
}

// Path returns the lock file's path.
func (l *Lock) Path() string { return l.path }

// Release gives the lock up. Calling it again does nothing.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the only descriptor drops the flock
	l.f = nil
	if err != nil {
		return fmt.Errorf("unlock %s: %w", l.path, err)
	}
	return nil
}

// holder reads the PID a holder wrote into the lock file at path; 0 when
// there is none (it has not written it yet).
func holder(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// AcquireAll takes the locks at paths in order (empty paths skipped); on an
// error it releases those it took. The release function it returns gives
// them all up.
func AcquireAll(paths ...string) (release func() error, err error) {
	var held []*Lock
	release = func() error {
		var errs []error
		for i := len(held) - 1; i >= 0; i-- {
			errs = append(errs, held[i].Release())
		}
		return errors.Join(errs...)
	}
	for _, p := range paths {
		if p == "" {
			continue
		}
		l, err := Acquire(p)
		if err != nil {
			_ = release()
			return nil, err
		}
		held = append(held, l)
	}
	return release, nil
}
