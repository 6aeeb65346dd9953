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
	return reg
}
