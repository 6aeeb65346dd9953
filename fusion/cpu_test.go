package fusion

import (
	"syscall"
	"testing"
)

func cpuNS() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func reportCPU(b *testing.B) func() {
	start := cpuNS()
	return func() { b.ReportMetric(float64(cpuNS()-start)/float64(b.N), "cpu-ns/op") }
}
