package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// spoolFull is the error of a spool whose disk is full.
var spoolFull = &store.WriteError{What: "InfluxDB spool", Path: "/var/lib/rfwarden/influx-spool", Cause: "the disk is full", For: 5 * time.Second, Failures: 3,
	Err: errors.New("spool append: write /var/lib/rfwarden/influx-spool/log: no space left on device")}

func TestFusionProbeHealth(t *testing.T) {
	up := func() bool { return true }
	ping := func(context.Context) error { return nil }
	none := func() []event.Alert { return nil }
	tests := []struct {
		name  string
		probe fusionProbe
		state string
	}{
		{"sqlite only", fusionProbe{connected: up, ping: ping, active: none}, event.StateOK},
		{"influx delivering", fusionProbe{connected: up, ping: ping, active: none, influx: func() (int64, error) { return 3, nil }}, event.StateOK},
		{"influx failing", fusionProbe{connected: up, ping: ping, active: none, influx: func() (int64, error) { return 40, errors.New("connection refused") }}, event.StateDegraded},
		// Writes dropped from a full spool in an outage since ended: said,
		// not degraded (the outage was).
		{"influx dropped writes", fusionProbe{connected: up, ping: ping, active: none, influx: func() (int64, error) { return 0, nil }, influxDropped: func() int64 { return 12 }}, event.StateOK},
		{"influx idle", fusionProbe{connected: up, ping: ping, active: none, influx: func() (int64, error) { return 0, nil }, influxDropped: func() int64 { return 0 }}, event.StateOK},
		{"broker down", fusionProbe{connected: func() bool { return false }, ping: ping, active: none}, event.StateDegraded},
		{"broker refusing", fusionProbe{connected: func() bool { return false }, brokerErr: func() string { return "credentials refused (username or RFW_MQTT_PASSWORD)" }, ping: ping, active: none}, event.StateDegraded},
		{"broker back", fusionProbe{connected: up, brokerErr: func() string { return "stale" }, ping: ping, active: none}, event.StateOK},
		{"sensors silent", fusionProbe{connected: up, sensorSilence: func() string { return "no sensor message for 2m0s" }, ping: ping, active: none}, event.StateDegraded},
		{"sensors heard", fusionProbe{connected: up, sensorSilence: func() string { return "" }, ping: ping, active: none}, event.StateOK},
		// connected, and the broker refused a subscription made again:
		// deaf (until 2026-12-07 ok until sensor_silence)
		{"subscription refused", fusionProbe{connected: up, refused: func() string { return "subscription refused: rfw/v1/hmp/sensor/+/+: the broker refused" }, ping: ping, active: none}, event.StateDegraded},
		{"subscriptions granted", fusionProbe{connected: up, refused: func() string { return "" }, ping: ping, active: none}, event.StateOK},
		{"subscription refused, then disconnected", fusionProbe{connected: func() bool { return false }, refused: func() string { return "stale" }, ping: ping, active: none}, event.StateDegraded},
		{"sqlite failing", fusionProbe{connected: up, ping: func(context.Context) error { return errors.New("disk I/O error") }, active: none}, event.StateDegraded},
		// a full disk or a read-only file: the ping passes, the writes fail
		{"sqlite refusing writes", fusionProbe{connected: up, ping: ping, writes: func() error { return errors.New("database /x.db refuses writes: the disk is full") }, active: none}, event.StateDegraded},
		{"sqlite writing", fusionProbe{connected: up, ping: ping, writes: func() error { return nil }, active: none}, event.StateOK},
		// InfluxDB answers, but the spool's disk is full: the writes fail
		// before they reach it (TestInfluxSpoolProblem)
		{"influx spool refusing writes", fusionProbe{connected: up, ping: ping, active: none, influx: func() (int64, error) { return 0, nil },
			spool: func() error { return spoolFull }}, event.StateDegraded},
		{"influx spool writing", fusionProbe{connected: up, ping: ping, active: none, influx: func() (int64, error) { return 0, nil },
			spool: func() error { return nil }}, event.StateOK},
		// detections never received: degraded for fusion.LossRecent after
		// one was counted, then said only (until 2026-12-08 nowhere)
		{"detections lost recently", fusionProbe{connected: up, ping: ping, active: none,
			lost: func() []fusion.SensorLoss { return []fusion.SensorLoss{{Sensor: "s1", Lost: 102, Recent: true}} }}, event.StateDegraded},
		{"detections lost a while ago", fusionProbe{connected: up, ping: ping, active: none,
			lost: func() []fusion.SensorLoss { return []fusion.SensorLoss{{Sensor: "s1", Lost: 102}} }}, event.StateOK},
		{"no detection lost", fusionProbe{connected: up, ping: ping, active: none, lost: func() []fusion.SensorLoss { return nil }}, event.StateOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.probe.health(context.Background())
			if h.State != tc.state {
				t.Errorf("state %q, want %q (%+v)", h.State, tc.state, h)
			}
			// the broker's last error is said while it is not connected
			wantBrokerErr := ""
			if tc.probe.brokerErr != nil && !tc.probe.connected() {
				wantBrokerErr = tc.probe.brokerErr()
			}
			if h.BrokerError != wantBrokerErr {
				t.Errorf("broker_error %q, want %q", h.BrokerError, wantBrokerErr)
			}
			// a refused subscription is said while connected
			wantRefused := ""
			if tc.probe.refused != nil && tc.probe.connected() {
				wantRefused = tc.probe.refused()
			}
			if h.SubscriptionError != wantRefused {
				t.Errorf("subscription_error %q, want %q", h.SubscriptionError, wantRefused)
			}
			// with InfluxDB, influx_spooled and influx_dropped are there,
			// 0 too; without it, absent (until 2026-12-05 omitted at 0)
			body, err := json.Marshal(h)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := bytes.Contains(body, []byte(`"influx_spooled":`)), tc.probe.influx != nil; got != want {
				t.Errorf("influx_spooled in %s: %v, want %v", body, got, want)
			}
			if got, want := bytes.Contains(body, []byte(`"influx_dropped":`)), tc.probe.influxDropped != nil; got != want {
				t.Errorf("influx_dropped in %s: %v, want %v", body, got, want)
			}
			if tc.probe.influx != nil {
				n, err := tc.probe.influx()
				if h.InfluxSpooled == nil || *h.InfluxSpooled != n || (err != nil) != (h.InfluxError != "") {
					t.Errorf("influx spooled %v error %q, want %d and %v", h.InfluxSpooled, h.InfluxError, n, err)
				}
			}
			// the database is ok when it answers and takes writes; its
			// error is said otherwise
			var dbErr error
			if dbErr = tc.probe.ping(context.Background()); dbErr == nil && tc.probe.writes != nil {
				dbErr = tc.probe.writes()
			}
			if h.DatabaseOK != (dbErr == nil) || dbErr != nil && h.Error != dbErr.Error() {
				t.Errorf("database_ok %v error %q, want %v and %v", h.DatabaseOK, h.Error, dbErr == nil, dbErr)
			}
			// with InfluxDB, influx_spool_ok is there, true too; false with
			// the cause and the setting, not the folder, while the spool
			// refuses writes
			if tc.probe.spool != nil {
				wantErr := ""
				if tc.probe.spool() != nil {
					wantErr = "influx.spool_dir refuses writes: the disk is full (3 failed writes in 5s)"
				}
				if h.InfluxSpoolOK == nil || *h.InfluxSpoolOK != (wantErr == "") || h.InfluxSpoolError != wantErr {
					t.Errorf("influx_spool_ok %v influx_spool_error %q, want %v and %q", h.InfluxSpoolOK, h.InfluxSpoolError, wantErr == "", wantErr)
				}
			} else if bytes.Contains(body, []byte(`"influx_spool_ok"`)) {
				t.Errorf("influx_spool_ok without InfluxDB: %s", body)
			}
			if tc.probe.influxDropped != nil && (h.InfluxDropped == nil || *h.InfluxDropped != tc.probe.influxDropped()) {
				t.Errorf("influx_dropped %v, want %d", h.InfluxDropped, tc.probe.influxDropped())
			}
		})
	}
}
