package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// fusionRetention deletes what fusion.yaml no longer keeps from fusion's
// SQLite database: the site's time series (history_days, with InfluxDB
// configured too: the rows written before a switch to InfluxDB age out
// there as they would have), its resolved alerts and closed incidents (alert_days) and
// the database's audit rows (audit_days, audit_view_days), the site's
// maintenance windows that have ended, and the bursts and cases of its
// phone alerts older than the longest repeat_window (phone_repeat). Each run logs
// what it deleted and counts it in rfw_fusion_pruned_rows_total, and the
// run in rfw_fusion_prune_runs_total.
type fusionRetention struct {
	db   *store.SQLite
	site string
	// days of each kind kept; 0 or negative keeps everything
	historyDays, alertDays, auditDays, auditViewDays int
	now                                              func() time.Time
	log                                              *slog.Logger
	rows                                             *prometheus.CounterVec
	runs                                             *prometheus.CounterVec
}

// newFusionRetention returns the retention of fc for site's share of db.
func newFusionRetention(db *store.SQLite, site string, fc fusion.FileConfig, log *slog.Logger) *fusionRetention {
	r := &fusionRetention{db: db, site: site, historyDays: fc.HistoryDays, alertDays: fc.AlertDays, auditDays: fc.AuditDays,
		auditViewDays: fc.AuditViewDays, now: time.Now, log: log,
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rfw_fusion_pruned_rows_total",
			Help: "Rows retention deleted from the SQLite database, by table: history (detections, locations, health, spectra and their heatmap roll-up; history_days), alert and incident (alert_days), audit (audit_days, audit_view_days), maintenance (sensor maintenance windows that have ended), phone_repeat (phone alerts' bursts and cases older than the longest repeat_window)."}, []string{"table"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rfw_fusion_prune_runs_total",
			Help: "Retention runs over the SQLite database, by result (ok, error)."}, []string{"result"}),
	}
	zeroResults(r.runs)
	return r
}

// Collectors returns the retention's metrics.
func (r *fusionRetention) Collectors() []prometheus.Collector {
	return []prometheus.Collector{r.rows, r.runs}
}

// daysBefore returns now less days, or the zero time (delete nothing) when
// days is 0 or negative.
func daysBefore(now time.Time, days int) time.Time {
	if days <= 0 {
		return time.Time{}
	}
	return now.Add(-time.Duration(days) * 24 * time.Hour)
}

// once runs retention once and returns what stopped it, all its parts
// being tried.
func (r *fusionRetention) once(ctx context.Context) error {
	now := r.now()
	var errs []error
	attrs := []any{"site", r.site}
	var total int64
	deleted := func(table string, n int64) {
		r.rows.WithLabelValues(table).Add(float64(n))
		attrs = append(attrs, table, n)
		total += n
	}
	if before := daysBefore(now, r.historyDays); !before.IsZero() {
		n, err := r.db.Prune(ctx, r.site, before)
		deleted("history", n) // Prune counts its tables together
		errs = append(errs, err)
	}
	if before := daysBefore(now, r.alertDays); !before.IsZero() {
		n, err := r.db.PruneAlerts(ctx, r.site, before)
		deleted("alert", n.Alerts)
		deleted("incident", n.Incidents)
		errs = append(errs, err)
	}
	// A maintenance window is kept until it ends, whatever the days: the
	// audit log keeps its sensor.maintenance row (audit_days).
	{
		n, err := r.db.PruneMaintenance(ctx, r.site, now)
		deleted("maintenance", n)
		errs = append(errs, err)
	}
	// A phone's bursts and cases count for at most the longest
	// repeat_window, whatever the days: the alerts they name are kept
	// with the others (alert_days).
	{
		n, err := r.db.PrunePhoneRepeats(ctx, r.site, now.Add(-alert.MaxRepeatWindow))
		deleted("phone_repeat", n)
		errs = append(errs, err)
	}
	audit, views := daysBefore(now, r.auditDays), daysBefore(now, r.auditViewDays)
	if !audit.IsZero() || !views.IsZero() {
		n, err := r.db.PruneAudit(ctx, audit, views)
		deleted("audit", n)
		errs = append(errs, err)
	}
	err := errors.Join(errs...)
	switch {
	case err != nil:
		r.runs.WithLabelValues("error").Inc()
		if ctx.Err() == nil {
			r.log.Warn("fusion: retention", append(attrs, "err", err)...)
		}
	case total > 0:
		r.runs.WithLabelValues("ok").Inc()
		r.log.Info("fusion: retention deleted rows", attrs...)
	default:
		r.runs.WithLabelValues("ok").Inc()
		r.log.Debug("fusion: retention deleted nothing", attrs...)
	}
	return err
}

// run runs retention at once and then every period, until ctx ends.
func (r *fusionRetention) run(ctx context.Context, period time.Duration) {
	for {
		r.once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(period):
		}
	}
}
