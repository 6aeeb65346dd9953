package benchcpu

import (
	"syscall"
	"testing"
	"time"
)

// Process returns the user plus system CPU time of this process so far (0
// when getrusage fails).
func Process() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Report starts counting and returns a function that reports the CPU time
// per b.N operations since then as cpu-ns/op: defer benchcpu.Report(b)()
// after the benchmark's set-up.
func Report(b *testing.B) func() {
	start := Process()
	return func() { b.ReportMetric(float64(Process()-start)/float64(b.N), "cpu-ns/op") }
}
