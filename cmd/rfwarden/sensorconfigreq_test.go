package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestSensorConfigRequired: `rfwarden sensor` (and `--check`) without a
// config says how to give one, as fusion's does: the flag, its variable
// and where a node's config is. It said only "sensor: --config is
// required".
func TestSensorConfigRequired(t *testing.T) {
	t.Setenv("RFW_SENSOR_CONFIG", "")
	for _, args := range [][]string{nil, {"--check"}} {
		err := cmdSensor(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil {
			t.Fatalf("%v: no error without a config", args)
		}
		for _, want := range []string{"--config is required", "RFW_SENSOR_CONFIG", "/etc/rfwarden/node.yaml", "deploy/config/sensor.yaml"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%v: %q lacks %q", args, err, want)
			}
		}
	}
}
