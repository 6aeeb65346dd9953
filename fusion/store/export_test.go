package store

import (
	"context"
	"fmt"
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
