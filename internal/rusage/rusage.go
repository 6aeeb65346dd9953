package rusage

import (
	"errors"
	"time"
)

// Usage is what this process has used so far.
type Usage struct {
	User, System time.Duration // CPU time in user and kernel mode
	MaxRSSBytes  int64         // peak resident set size; 0 when unknown
}

// CPU returns the user plus system CPU time.
func (u Usage) CPU() time.Duration { return u.User + u.System }

// ErrUnsupported is returned by Self where the system cannot tell.
var ErrUnsupported = errors.New("rusage: not supported on this system")
