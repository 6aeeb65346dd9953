package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rfwarden/rfwarden/fusion/registry"
)

// registryRefresh is how often fusion and the dashboard look for registry
// changes made by another process (the dashboard where admins edit it,
// another dashboard): an authorisation added or revoked there takes effect
// within this time. A look is one one-row query.
const registryRefresh = 2 * time.Second

// followRegistry keeps reg up to date with the database until ctx ends or
// stop is called (stop returns once it has stopped). Reloads are logged and
// counted on metrics as {prefix}_registry_reloads_total{result}, with the
// loaded entries as {prefix}_registry_entries.
func followRegistry(ctx context.Context, reg *registry.Registry, metrics prometheus.Registerer, prefix string, log *slog.Logger) (stop func()) {
	reloads := prometheus.NewCounterVec(prometheus.CounterOpts{Name: prefix + "_registry_reloads_total",
		Help: "Registry reloads after another process changed it, by result (ok; error: a row left out or the database unreadable)."},
		[]string{"result"})
	entries := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: prefix + "_registry_entries",
		Help: "Registry entries loaded (expired ones included)."}, func() float64 { return float64(reg.Len()) })
	metrics.MustRegister(reloads, entries)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		failing := false
		reg.Follow(ctx, registryRefresh, func(reloaded bool, err error) {
			switch {
			case err != nil:
				reloads.WithLabelValues("error").Inc()
				// A database that stays unreadable is logged once, not
				// every registryRefresh; a bad row at each reload.
				if reloaded || !failing {
					log.Error("registry: refresh", "err", err, "entries", reg.Len())
				}
				failing = !reloaded
			default:
				reloads.WithLabelValues("ok").Inc()
				failing = false
				log.Info("registry: reloaded after a change elsewhere", "entries", reg.Len())
			}
		})
	})
	return func() { cancel(); wg.Wait() }
}
