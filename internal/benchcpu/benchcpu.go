package benchcpu

import (
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/rusage"
)

// Process returns the user plus system CPU time of this process so far (0
// when the system cannot tell).
func Process() time.Duration {
	u, err := rusage.Self()
	if err != nil {
		return 0
	}
	return u.CPU()
}

// Report starts counting and returns a function that reports the CPU time
// per b.N operations since then as cpu-ns/op: defer benchcpu.Report(b)()
// after the benchmark's set-up.
func Report(b *testing.B) func() {
	start := Process()
	return func() { b.ReportMetric(float64(Process()-start)/float64(b.N), "cpu-ns/op") }
}
