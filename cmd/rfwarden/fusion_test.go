package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/locate"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

// TestCmdFusion runs fusion against an in-process broker, publishes one
// phone's detections from every sensor and waits for the pending alert.
func TestCmdFusion(t *testing.T) {
	b := brokertest.Start(t, "rfw/v1/+/alert")
	dir := t.TempDir()
	siteAbs, err := filepath.Abs("../../fusion/site/testdata/wing.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	cfg := fmt.Sprintf("site: %s\nbroker: %s\nclient_id: fusion-test\nseen_file: seen\nsyslog: {network: udp, addr: %q}\n", siteAbs, b.URL(), udp.LocalAddr())
	cfgPath := filepath.Join(dir, "fusion.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- cmdFusion(ctx, []string{"--config", cfgPath}, &stdout, &stderr) }()

	s, err := site.LoadFile(siteAbs)
	if err != nil {
		t.Fatal(err)
	}
	l, err := locate.New(s, locate.Model{})
	if err != nil {
		t.Fatal(err)
	}
	pub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(b.URL()).SetClientID("sensors"))
	if tok := pub.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer pub.Disconnect(100)
	now := time.Now()
	got := false
	for round := 0; round < 40 && !got; round++ {
		at := now.Add(time.Duration(round) * time.Second)
		for _, sn := range s.Sensors {
			// A 20 dBm EIRP handset: the model's profiled power is the EIRP
			// less the free-space loss at the reference distance.
			pw, _ := l.PredictDBm(sn.ID, sn.Floor, site.Point{X: 26, Y: 10}, 20-l.RefLossDB(1.75e9))
			d := event.Detection{Schema: 1, ID: fmt.Sprintf("c-%d-%s", round, sn.ID), Site: s.ID, Sensor: sn.ID, TimeNS: at.UnixNano(),
				CenterHz: 1.75e9, BandwidthHz: 5e6, PowerDBm: pw, SNRDB: 30, Link: event.LinkUplink, Class: event.ClassLTE, Confidence: 0.9, Band: "b3"}
			payload, err := event.Encode(d)
			if err != nil {
				t.Fatal(err)
			}
			pub.Publish(event.SensorTopic(s.ID, sn.ID, event.KindDetection), 1, false, payload).WaitTimeout(time.Second)
		}
		got = b.WaitFor(250*time.Millisecond, func(ms []brokertest.Message) bool { return len(ms) > 0 })
	}
	if !got {
		t.Fatalf("no alert published; stderr:\n%s", stderr.String())
	}
	a, err := event.DecodeAlert(b.Messages()[0].Payload)
	if err != nil {
		t.Fatal(err)
	}
	if a.Room != "B2-14" || a.State != event.AlertPending {
		t.Errorf("alert %+v, want pending in B2-14", a)
	}
	buf := make([]byte, 4096)
	udp.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := udp.ReadFrom(buf)
	if err != nil {
		t.Fatalf("no syslog message: %v", err)
	}
	if msg := string(buf[:n]); !strings.HasPrefix(msg, "<130>1 ") || !strings.Contains(msg, `room="B2-14"`) {
		t.Errorf("syslog message %q", msg)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("fusion: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("fusion did not stop")
	}
	if !strings.Contains(stdout.String(), "site hmp-test") {
		t.Errorf("stdout %q", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "seen")); err != nil {
		t.Errorf("seen file not saved: %v", err)
	}
	// The state the dashboard reads: alerts and detections in rfwarden.db
	// beside the config.
	db, err := store.OpenSQLite(filepath.Join(dir, "rfwarden.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if as, err := db.Alerts(context.Background(), store.AlertFilter{Site: s.ID}); err != nil || len(as) == 0 || as[0].Room != "B2-14" {
		t.Errorf("stored alerts %+v, %v; want the B2-14 alert", as, err)
	}
	var stored int
	if err := db.DB().QueryRow(`select count(*) from detection`).Scan(&stored); err != nil || stored == 0 {
		t.Errorf("stored detections: %d, %v; want some", stored, err)
	}
}

func TestCmdFusionErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("site: x.yaml\ncolour: red\n"), 0o644)
	nosite := filepath.Join(dir, "nosite.yaml")
	os.WriteFile(nosite, []byte("broker: tcp://127.0.0.1:1\n"), 0o644)
	badInflux := filepath.Join(dir, "influx.yaml")
	os.WriteFile(badInflux, []byte("site: x.yaml\ninflux: {url: 'ftp://db'}\n"), 0o644)
	badSyslog := filepath.Join(dir, "syslog.yaml")
	os.WriteFile(badSyslog, []byte("site: x.yaml\nsyslog: {network: smoke, addr: 'x:1'}\n"), 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{nil, "usage"},
		{[]string{"--config", filepath.Join(dir, "none.yaml")}, "open fusion config"},
		{[]string{"--config", bad}, "colour"},
		{[]string{"--config", nosite}, "site missing"},
		{[]string{"--config", badSyslog}, "syslog.network"},
		{[]string{"--config", badInflux}, "influx.url"},
	}
	for _, tt := range tests {
		err := cmdFusion(context.Background(), tt.args, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: got %v, want error containing %q", tt.args, err, tt.want)
		}
	}
}
