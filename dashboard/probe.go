package dashboard

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Probe defaults: how often Probe.Run asks, and how long one check may take.
const (
	DefaultProbeInterval = 30 * time.Second
	DefaultProbeTimeout  = 10 * time.Second
)

// Probe watches a service the dashboard reads, such as InfluxDB with the
// time series, for /healthz (it is a Link): Run checks it in the
// background every Interval, each check bounded by Timeout, so /healthz
// itself never waits on the service. Until the first outcome (Set, or
// Run's first check) it counts as connected.
type Probe struct {
	// Name names the service in logs and in the gauge
	// rfwarden_dashboard_<Name>_up (e.g. "influxdb").
	Name string
	// Check asks the service once: nil when it works, else why not.
	Check func(ctx context.Context) error
	// Interval is the time between checks; 0: DefaultProbeInterval.
	Interval time.Duration
	// Timeout bounds one check; 0: DefaultProbeTimeout.
	Timeout time.Duration
	// Public says what a check's error is for /healthz, which needs no
	// login: without the user names and hosts the log may have; nil: the
	// error's text.
	Public func(error) string
	// Logger gets a warning when a check fails (again when its error
	// changes) and when one passes after a failure; nil: none.
	Logger *slog.Logger

	mu  sync.Mutex
	err error // the latest outcome
}

var _ Link = (*Probe)(nil)

// Set records an outcome of asking the service (nil: it works), such as
// the check the dashboard makes at start.
func (p *Probe) Set(err error) {
	p.mu.Lock()
	prev := p.err
	p.err = err
	p.mu.Unlock()
	log := p.Logger
	if log == nil {
		return
	}
	switch {
	case err != nil && (prev == nil || prev.Error() != err.Error()):
		log.Warn("dashboard: "+p.Name+" check failed; /healthz is degraded until it passes", "err", err)
	case err == nil && prev != nil:
		log.Warn("dashboard: "+p.Name+" check passes again", "was", prev)
	}
}

// Run checks the service every Interval until ctx is done, then returns
// (the dashboard's shutdown). A check cut short by ctx records nothing.
func (p *Probe) Run(ctx context.Context) {
	every := p.Interval
	if every <= 0 {
		every = DefaultProbeInterval
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultProbeTimeout
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		cctx, cancel := context.WithTimeout(ctx, timeout)
		err := p.Check(cctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		p.Set(err)
	}
}

// IsConnected reports whether the latest check found the service working.
func (p *Probe) IsConnected() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err == nil
}

// Reason says why the service does not work: the latest check's error,
// through Public ("" while it works).
func (p *Probe) Reason() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.err == nil:
		return ""
	case p.Public != nil:
		return p.Public(p.err)
	}
	return p.err.Error()
}

// Collectors returns the gauge rfwarden_dashboard_<Name>_up: 1 while the
// latest check found the service working, 0 otherwise.
func (p *Probe) Collectors() []prometheus.Collector {
	return []prometheus.Collector{prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rfwarden_dashboard_" + p.Name + "_up",
		Help: "1 while the dashboard's latest check of " + p.Name + " found it answering, 0 otherwise."},
		func() float64 {
			if p.IsConnected() {
				return 1
			}
			return 0
		})}
}
