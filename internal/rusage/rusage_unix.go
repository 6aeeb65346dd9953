//go:build unix

package rusage

import (
	"fmt"
	"runtime"
	"syscall"
	"time"
)

// Self returns this process's usage so far (getrusage RUSAGE_SELF).
func Self() (Usage, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return Usage{}, fmt.Errorf("getrusage: %w", err)
	}
	rss := int64(ru.Maxrss)
	if runtime.GOOS != "darwin" && runtime.GOOS != "ios" {
		rss *= 1024 // Linux and the BSDs report KiB; Darwin reports bytes
	}
	return Usage{
		User:        time.Duration(ru.Utime.Nano()),
		System:      time.Duration(ru.Stime.Nano()),
		MaxRSSBytes: rss,
	}, nil
}
