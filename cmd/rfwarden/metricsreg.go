package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// newServiceRegistry returns a Prometheus registry holding the Go runtime's
// and the process's collectors (go_*, process_*), for a service's
// /metrics: each service's memory and CPU can be watched the same way.
func newServiceRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if serviceRegistryMade != nil {
		serviceRegistryMade(reg)
	}
	return reg
}

// serviceRegistryMade, when not nil, is handed each registry
// newServiceRegistry makes, for TestMetricsCatalogue to read every metric
// a service registers (docs/metrics.md). Set by tests only.
var serviceRegistryMade func(*prometheus.Registry)

// zeroResults makes cv's result="ok" and result="error" series exist at 0
// from the start, so a Prometheus increase() rule sees their first count.
func zeroResults(cv *prometheus.CounterVec) {
	for _, result := range []string{"ok", "error"} {
		cv.WithLabelValues(result)
	}
}
