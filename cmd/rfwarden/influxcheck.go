package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/rfwarden/rfwarden/dashboard"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// influxCheck says, for one command, where its operator sets each
// setting store.Influx.Check can find at fault, and which faults the
// command runs on with a warning.
type influxCheck struct {
	who   string                         // the command, prefixing the error
	names map[store.InfluxSetting]string // where each setting is set
	// warn: faults logged at warning level with this message, the
	// command running on; any other fault is an error naming the setting.
	warn map[store.InfluxSetting]string
	// forever: a retention policy that keeps everything for ever (no
	// duration) is logged at warning level, with the statement that gives
	// it one (at info when for ever is what was asked).
	forever bool
}

// dashboardInflux: the dashboard's settings are environment variables
// (and flags); without InfluxDB it serves alerts and the registry.
var dashboardInflux = influxCheck{who: "dashboard",
	names: map[store.InfluxSetting]string{
		store.InfluxSettingURL:         "RFW_INFLUX_URL (--influx)",
		store.InfluxSettingCredentials: "RFW_INFLUX_USER or RFW_INFLUX_PASSWORD (--influx-user)",
		store.InfluxSettingDatabase:    "RFW_INFLUX_DB (--influx-db)",
		store.InfluxSettingRP:          "RFW_INFLUX_RP (--influx-rp)",
		store.InfluxSettingFlux:        "InfluxDB's flux-enabled",
	},
	warn: map[store.InfluxSetting]string{
		store.InfluxSettingURL: "dashboard: InfluxDB does not answer; the heatmap, locations, detections and sensor health fail, and /healthz is degraded, until it does (RFW_INFLUX_URL, --influx)",
	}}

// fusionInflux: fusion's settings are fusion.yaml's influx keys and
// fusion.env's password. While InfluxDB does not answer fusion spools
// its writes; every other fault would have it spool for ever, so it is
// an error. Fusion reads nothing over Flux (the dashboard does, and
// checks it).
var fusionInflux = influxCheck{who: "fusion",
	names: map[store.InfluxSetting]string{
		store.InfluxSettingURL:          "influx.url",
		store.InfluxSettingCredentials:  "influx.username or RFW_INFLUX_PASSWORD",
		store.InfluxSettingDatabase:     "influx.database (with a user that is not an InfluxDB admin, an admin creates it: docs/deploy.md §6)",
		store.InfluxSettingRP:           "influx.retention_policy",
		store.InfluxSettingFlux:         "InfluxDB's flux-enabled",
		store.InfluxSettingWriteTimeout: "influx.write_timeout",
	},
	warn: map[store.InfluxSetting]string{
		store.InfluxSettingURL:  "fusion: InfluxDB does not answer; writes are spooled until it does (influx.url)",
		store.InfluxSettingFlux: "fusion: InfluxDB answers no Flux queries; fusion needs none, but the dashboard does (docs/deploy.md §6)",
	},
	forever: true}

// run checks in's settings (store.Influx.Check) and returns an error
// naming the setting at fault, or logs the faults c only warns about.
func (c influxCheck) run(ctx context.Context, in *store.Influx, log *slog.Logger) error {
	_, err := c.check(ctx, in, log)
	return err
}

// check is run, returning also the fault it only warned about (nil when
// none): the dashboard's /healthz starts degraded with it.
func (c influxCheck) check(ctx context.Context, in *store.Influx, log *slog.Logger) (warned, err error) {
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	err = in.Check(cctx)
	if err == nil && c.forever {
		if p, ok := in.Policy(); ok && p.Duration == 0 {
			c.logForever(log, p)
		}
	}
	var ce *store.InfluxCheckError
	if err == nil || !errors.As(err, &ce) {
		return nil, err
	}
	if msg, ok := c.warn[ce.Setting]; ok {
		log.Warn(msg, "err", err)
		return err, nil
	}
	name, ok := c.names[ce.Setting]
	if !ok {
		name = c.names[store.InfluxSettingURL]
	}
	return nil, fmt.Errorf("%s: check %s: %w", c.who, name, err)
}

// probe is the dashboard's watch of in for /healthz, starting from the
// fault its check at start only warned about (warned, nil when none) and
// logging to log from then on (that check logged its own warning). The
// log has each failed check's whole error; /healthz, which needs no login,
// only its public text.
func (c influxCheck) probe(in *store.Influx, warned error, log *slog.Logger) *dashboard.Probe {
	p := &dashboard.Probe{Name: "influxdb", Check: in.Check, Public: c.public}
	p.Set(warned)
	p.Logger = log
	return p
}

// public is err, a fault of c's command's InfluxDB, for /healthz, which
// needs no login: what is wrong and where it is set ("credentials refused
// (RFW_INFLUX_USER or RFW_INFLUX_PASSWORD (--influx-user))"), without the
// user name, the host or InfluxDB's own message, which may name them (the
// log has the whole error).
func (c influxCheck) public(err error) string {
	var ce *store.InfluxCheckError
	if !errors.As(err, &ce) {
		return "request failed (" + c.names[store.InfluxSettingURL] + ")"
	}
	name, ok := c.names[ce.Setting]
	if !ok {
		name = c.names[store.InfluxSettingURL]
	}
	return ce.Summary() + " (" + name + ")"
}

// DefaultInfluxDays is the duration logForever suggests for a policy that
// keeps everything for ever when none was asked: history_days' default.
const DefaultInfluxDays = 90

// logForever says that p, the retention policy c's command writes
// detections and locations to, keeps them for ever: at warning level,
// naming the database, the policy, its duration and the statement that
// gives it one (docs/data-protection.md keeps them history_days), or at
// info when for ever is what was asked (history_days -1).
func (c influxCheck) logForever(log *slog.Logger, p store.InfluxPolicy) {
	attrs := []any{"database", p.Database, "retention_policy", p.Name, "duration", "0s (for ever)"}
	if p.Asked < 0 {
		log.Info(c.who+": InfluxDB keeps detections, locations and health for ever, as history_days -1 asks", attrs...)
		return
	}
	want := p.Asked
	if want <= 0 {
		want = DefaultInfluxDays * 24 * time.Hour
	}
	log.Warn(c.who+": InfluxDB keeps detections, locations and health for ever: the retention policy has no duration; as an InfluxDB admin give it one (influxql, posted to InfluxDB's /query with curl), or set influx.retention_policy to a policy that has one (docs/deploy.md §6)",
		append(attrs, "influxql", p.AlterQL(want))...)
}
