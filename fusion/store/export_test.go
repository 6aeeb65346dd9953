package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// OpenInfluxUnrolled opens an Influx store that marks the quarter hours it writes but
// never rolls them up, as if it crashed after every delivery: its Heatmap
// counts every hour from the detection points.
func OpenInfluxUnrolled(cfg InfluxConfig) (*Influx, error) {
	cfg.noRollup = true
	return OpenInflux(cfg)
}

// OpenInfluxWithoutTarget opens an Influx store that rolls up as the version
// before the target counts did (and does not look for hours to recount
// when it starts).
func OpenInfluxWithoutTarget(cfg InfluxConfig) (*Influx, error) {
	cfg.noTarget = true
	return OpenInflux(cfg)
}

// HeatBehind returns the quarter hours in [from, to) whose heat roll-up is behind the
// detections written into them, or has no target counts.
func HeatBehind(ctx context.Context, s *Influx, site string, from, to time.Time) ([]time.Time, error) {
	res, err := s.influxQL(ctx, fmt.Sprintf("SELECT written, rolled, target FROM %s WHERE site = %s AND time >= %d AND time < %d",
		s.qlFrom(heatMeasurement), qlString(tagValue(site)), from.UnixNano(), to.UnixNano()))
	if err != nil {
		return nil, err
	}
	var out []time.Time
	for _, sr := range res[0].Series {
		for _, row := range sr.Values {
			if t, ok := qlInt(row, 0); ok && !heatCurrent(row) {
				out = append(out, time.Unix(0, t).UTC())
			}
		}
	}
	return out, nil
}

// OpenInfluxOld opens an Influx store that writes as the versions before
// the heatmap counted emissions (2026-12-05) did, with WriteOldDetections:
// it never rolls up and never rebuilds the roll-up.
func OpenInfluxOld(cfg InfluxConfig) (*Influx, error) {
	cfg.noRollup, cfg.noRebuild = true, true
	return OpenInflux(cfg)
}

// OpenInfluxRebuildCrash opens an Influx store that rebuilds the heat
// roll-up of old data in chunks of chunk and stops after crashAfter steps
// of it (each chunk: mark the leads, mark its quarter hours written, roll
// them up), as if it crashed there.
func OpenInfluxRebuildCrash(cfg InfluxConfig, chunk time.Duration, crashAfter int) (*Influx, error) {
	cfg.rebuildChunk, cfg.rebuildCrash = chunk, crashAfter
	return OpenInflux(cfg)
}

// WriteOldDetections spools recs as a version before 2026-12-05 wrote
// them: detection points without a lead field, and the hours they touch
// marked in heat_hour (which this version does not read).
func WriteOldDetections(ctx context.Context, s *Influx, recs []DetectionRecord) error {
	hours := map[[2]string]bool{}
	var ls []string
	for _, r := range recs {
		h := heatKey{tagValue(r.Site), r.TimeNS / int64(time.Hour)}
		if !hours[[2]string{h.site, fmt.Sprint(h.bucket)}] {
			hours[[2]string{h.site, fmt.Sprint(h.bucket)}] = true
			ls = append(ls, strings.TrimSuffix(point("heat_hour", map[string]string{"site": h.site},
				map[string]any{"written": int64(1), "rolled": int64(1), "unauth": "", "auth": ""}, h.bucket*int64(time.Hour)), "\n"))
		}
		r.Lead = false
		l, err := detectionLine(r)
		if err != nil {
			return err
		}
		ls = append(ls, l)
	}
	return s.enqueue(ls)
}

// WaitHeatRebuilt waits until s has rebuilt the heat roll-up of the data
// written before 2026-12-05 (or found none to rebuild, or crashed as
// OpenInfluxRebuildCrash asked), and returns how many chunks it rebuilt.
func WaitHeatRebuilt(ctx context.Context, s *Influx) (int, error) {
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.flushed.Broadcast()
		s.mu.Unlock()
	})
	defer stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.rebuildPending {
		if ctx.Err() != nil {
			return s.rebuildChunks, fmt.Errorf("heat roll-up rebuild: %w", ctx.Err())
		}
		s.flushed.Wait()
	}
	return s.rebuildChunks, nil
}

// IncidentsQuery is Incidents' query for site, state and [since, until).
func IncidentsQuery(site, state string, since, until int64, limit int) (string, []any) {
	return incidentsQuery(site, state, since, until, limit)
}

// ProtectedQuery is ProtectedDetections' query for site.
func ProtectedQuery(site string) (string, []any) { return protectedQuery(site) }

// The rows of site's alerts PruneAlerts deletes, and its incidents and
// PruneAudit's (each with a LIMIT ? last).
var (
	PruneAlertsQuery     = pruneAlerts
	PruneIncidentsQuery  = pruneIncidents
	PruneAuditRowsQuery  = pruneAuditRows
	PruneAuditViewsQuery = pruneAuditViews
)

// OpenInfluxClock opens an Influx store whose heat roll-up reads the wall
// clock from now (which quarter hours have ended: the sender's roll-up
// and its wake, Flush), as a test places it.
func OpenInfluxClock(cfg InfluxConfig, now func() time.Time) (*Influx, error) {
	cfg.now = now
	return OpenInflux(cfg)
}

// HeatQuarter is one heat_quarter point as stored: its start, its
// written and rolled tokens (Rolled false: never rolled up) and its
// encoded room counts.
type HeatQuarter struct {
	Start                 time.Time
	Written, Rolled       int64
	HasWritten, HasRolled bool
	Unauth, Auth, Target  string
}

// Clean reports whether the point's roll-up is up to date with its writes.
func (q HeatQuarter) Clean() bool {
	return q.HasWritten && q.HasRolled && q.Written == q.Rolled
}

// HeatQuarters returns the heat_quarter points of site in [from, to),
// oldest first.
func HeatQuarters(ctx context.Context, s *Influx, site string, from, to time.Time) ([]HeatQuarter, error) {
	res, err := s.influxQL(ctx, fmt.Sprintf("SELECT written, rolled, unauth, auth, target FROM %s WHERE site = %s AND time >= %d AND time < %d",
		s.qlFrom(heatMeasurement), qlString(tagValue(site)), from.UnixNano(), to.UnixNano()))
	if err != nil {
		return nil, err
	}
	var out []HeatQuarter
	for _, sr := range res[0].Series {
		for _, row := range sr.Values {
			t, ok := qlInt(row, 0)
			if !ok {
				return nil, fmt.Errorf("heat_quarter row %v: no time", row)
			}
			q := HeatQuarter{Start: time.Unix(0, t).UTC()}
			q.Written, q.HasWritten = qlInt(row, 1)
			q.Rolled, q.HasRolled = qlInt(row, 2)
			q.Unauth, _ = row[3].(string)
			q.Auth, _ = row[4].(string)
			q.Target, _ = row[5].(string)
			out = append(out, q)
		}
	}
	return out, nil
}

// QuickCheckAllBytes is quickCheckAllBytes, for a test to lower.
var QuickCheckAllBytes = &quickCheckAllBytes
