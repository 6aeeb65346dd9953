package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/goccy/go-yaml"

	"github.com/rfwarden/rfwarden/fusion/locate"
	"github.com/rfwarden/rfwarden/fusion/site"
)

const calibrateUsage = `usage: rfwarden calibrate --site SITE.yaml --walk WALK.csv [--out OFFSETS.yaml]

Fit the path-loss exponent and per-sensor offsets from a walk test of a known
transmitter. WALK.csv has the header x,y,floor,sensor,rx_dbm,tx_dbm.
`

// cmdCalibrate runs `rfwarden calibrate`.
func cmdCalibrate(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("calibrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, calibrateUsage); printDefaults(fs) }
	sitePath := fs.String("site", "", "site YAML `file`")
	walkPath := fs.String("walk", "", "walk test CSV `file`")
	out := fs.String("out", "", "write the calibration as YAML to `file` (not --site's or --walk's)")
	sensorH := fs.Float64("sensor-height", 0, "sensor antenna height above its floor, m")
	txH := fs.Float64("tx-height", 0, "walk transmitter height above its floor, m")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if *sitePath == "" || *walkPath == "" || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	// as fusion.yaml's model.sensor_height_m and emitter_height_m, which
	// take the fit: a NaN height made every distance of the fit NaN
	for _, h := range []struct {
		flag string
		m    float64
	}{{"--sensor-height", *sensorH}, {"--tx-height", *txH}} {
		if !(h.m >= 0 && h.m <= 100) {
			return fmt.Errorf("calibrate: %s %v m is outside 0..100 m (a height above its floor)", h.flag, h.m)
		}
	}
	// --out walk.csv or --out wing.yaml replaced the input with the fit
	if err := notInput("--out", *out, input{"--site", *sitePath}, input{"--walk", *walkPath}); err != nil {
		return fmt.Errorf("calibrate: %w", err)
	}
	s, err := site.LoadFile(*sitePath)
	if err != nil {
		return err
	}
	f, err := os.Open(*walkPath)
	if err != nil {
		return fmt.Errorf("open walk test: %w", err)
	}
	samples, err := locate.ReadWalkCSV(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", *walkPath, err)
	}
	c, err := locate.Fit(s, samples, locate.Model{SensorHeightM: *sensorH, EmitterHeightM: *txH})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "samples      %d\nexponent     %.3f\nref loss     %.2f dB\nresidual RMS %.2f dB\n\nsensor  offset_db\n",
		c.Samples, c.Exponent, c.RefLossDB, c.RMSDB)
	for _, id := range c.Sensors() {
		fmt.Fprintf(stdout, "%-7s %+.2f\n", id, c.OffsetsDB[id])
	}
	if *out != "" {
		b, err := yaml.Marshal(c)
		if err != nil {
			return fmt.Errorf("encode calibration: %w", err)
		}
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			return fmt.Errorf("write calibration: %w", err)
		}
	}
	return nil
}
