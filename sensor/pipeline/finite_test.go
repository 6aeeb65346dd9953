package pipeline

import (
	"bytes"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"
)

// calibratorFunc adapts a function to the Calibrator interface.
type calibratorFunc func(dBFS, centerHz, gainDB float64) float64

func (f calibratorFunc) DBm(dBFS, centerHz, gainDB float64) float64 { return f(dBFS, centerHz, gainDB) }

// TestNonFiniteResultDropped: a result with a figure that is NaN or
// infinite (here the power, from a calibration that gives NaN at one
// tuning) is not passed on, and the pipeline says so on its Logger,
// naming the field; the other tunings' results pass. Before, the result
// went out with it: scan and eval printed NaN, and the sensor dropped it
// at its event schema (the only place it was checked).
func TestNonFiniteResultDropped(t *testing.T) {
	const fs = 10e6
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		bad   float64 // what the calibration gives at 847 MHz
		field string
	}{
		{"nan", math.NaN(), "power_dbm"},
		{"inf", math.Inf(1), "power_dbm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			p := New(Config{
				Calibrator: calibratorFunc(func(dBFS, centerHz, gainDB float64) float64 {
					if centerHz == 847e6 {
						return tc.bad
					}
					return dBFS - gainDB
				}),
				Logger: slog.New(slog.NewTextHandler(&logs, nil)),
			})
			x := ofdmBurst(7, 300000, 100000, 200000, fs, 1e6, 1e-4)
			res := runAll(t, p, append(blocks(x, 30000, 847e6, fs, t0, 0), blocks(x, 30000, 1850e6, fs, t0.Add(time.Second), 300000)...))
			if len(res) != 1 || res[0].TuneCenterHz != 1850e6 || math.IsNaN(res[0].PowerDBm) {
				t.Errorf("results %+v, want the one at 1850 MHz only", res)
			}
			if got := logs.String(); !strings.Contains(got, "level=WARN") || !strings.Contains(got, "field="+tc.field) ||
				!strings.Contains(got, "tune_center_hz=8.47e+08") {
				t.Errorf("log %q: want a warning naming %s at 847 MHz", got, tc.field)
			}
		})
	}
}
