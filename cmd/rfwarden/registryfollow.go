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
// loaded entries as {prefix}_registry_entries and those with a problem
// an admin must fix as {prefix}_registry_problems: they do not decode or
// break the rules (they authorise nothing), or name rooms or zones the
// site model has not (they authorise nothing there); the registry logs
// each once.
func followRegistry(ctx context.Context, reg *registry.Registry, metrics prometheus.Registerer, prefix string, log *slog.Logger) (stop func()) {
	reloads := prometheus.NewCounterVec(prometheus.CounterOpts{Name: prefix + "_registry_reloads_total",
		Help: "Registry reloads after another process changed it, by result (ok; error: the database unreadable)."},
		[]string{"result"})
	entries := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: prefix + "_registry_entries",
		Help: "Registry entries loaded (expired ones included)."}, func() float64 { return float64(reg.Len()) })
	problems := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: prefix + "_registry_problems",
		Help: "Registry entries with a problem an admin must fix (listed with it on the Registry page): their stored body does not decode, or they break a rule (they authorise nothing), or they name rooms or zones the site model has not (they authorise nothing there)."},
		func() float64 {
			es, _ := reg.List(context.Background())
			n := 0
			for _, e := range es {
				if e.Problem != "" {
					n++
				}
			}
			return float64(n)
		})
	zeroResults(reloads)
	metrics.MustRegister(reloads, entries, problems)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		failing := false
		reg.Follow(ctx, registryRefresh, func(reloaded bool, err error) {
			switch {
			case err != nil:
				reloads.WithLabelValues("error").Inc()
				// A database that stays unreadable is logged once, not
				// every registryRefresh (an entry that does not decode
				// is no error: the registry logs it once and lists it).
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
