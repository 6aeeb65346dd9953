package main

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor/publish"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmftest"
)

// TestDashboardReceivesEvidence: the dashboard saves a sensor's evidence
// snippet into --snippet-dir, and one sent while it was down arrives when
// it is back (its MQTT session persists), while one naming another sensor,
// or from a sensor not in the site model, is refused.
func TestDashboardReceivesEvidence(t *testing.T) {
	b := brokertest.Start(t, "rfw/#")
	snips := t.TempDir()
	db := filepath.Join(t.TempDir(), "rfw.db")
	args := []string{"--db", db, "--create-db", "--site", "../../testdata/sites/wing.yaml", "--mqtt", b.URL(),
		"--snippet-dir", snips, "--mqtt-client-id", "dash-evidence-test"}
	d := startDashboardArgs(t, args...)

	s1, err := publish.NewPaho(publish.Options{BrokerURL: b.URL(), ClientID: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s1.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer s1.Disconnect()
	onDisk := func(name string) bool {
		_, err := os.Stat(filepath.Join(snips, name+sigmf.MetaExt))
		return err == nil
	}
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	topic := event.EvidenceTopic("hmp-test", "s1") // the site of testdata/sites/wing.yaml, one of its sensors
	const first, forged, second = "snippet-s1-0a1b2c3d4e5f-100-1", "snippet-s2-0a1b2c3d4e5f-100-1", "snippet-s1-0a1b2c3d4e5f-900-2"
	const stranger = "snippet-s9-0a1b2c3d4e5f-100-1" // s9 is not in the site model
	// the dashboard subscribes once connected: send until it is there
	waitUntil("the first evidence saved", func() bool {
		if err := s1.Publish(ctx, topic, publish.QoS1, false, sigmftest.Archive(t, first, 2000)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		return onDisk(first)
	})
	if err := s1.Publish(ctx, topic, publish.QoS1, false, sigmftest.Archive(t, forged, 2000)); err != nil {
		t.Fatal(err)
	}
	if err := s1.Publish(ctx, event.EvidenceTopic("hmp-test", "s9"), publish.QoS1, false, sigmftest.Archive(t, stranger, 2000)); err != nil {
		t.Fatal(err)
	}
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	if err := s1.Publish(ctx, topic, publish.QoS1, false, sigmftest.Archive(t, second, 2000)); err != nil {
		t.Fatal(err)
	}
	d = startDashboardArgs(t, args...)
	defer d.stop()
	waitUntil("the evidence sent while the dashboard was down", func() bool { return onDisk(second) })
	if onDisk(forged) {
		t.Error("saved s2's snippet sent on s1's evidence topic")
	}
	if onDisk(stranger) {
		t.Error("saved the snippet of s9, a sensor not in the site model")
	}
	if r, err := sigmf.Open(filepath.Join(snips, second+sigmf.MetaExt)); err != nil || r.NumSamples() != 2000 {
		t.Errorf("saved evidence: %v", err)
	} else {
		r.Close()
	}
}

// TestDashboardLiveLocations: a location fusion publishes reaches the
// browsers' live feed (SSE) through the dashboard's MQTT subscription,
// marked as a target or not.
func TestDashboardLiveLocations(t *testing.T) {
	b := brokertest.Start(t, "rfw/#")
	d := startDashboardArgs(t, "--db", filepath.Join(t.TempDir(), "rfw.db"), "--create-db", "--site", "../../testdata/sites/minimal.yaml",
		"--mqtt", b.URL(), "--mqtt-client-id", "dash-location-test")
	defer d.stop()
	c := loginDemo(t, d.demoInfo)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.URL+"/api/v1/events", nil)
	resp, err := c.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// tiny is the site of testdata/sites/minimal.yaml; a site sharing the broker
	// must not reach this dashboard's floors
	l := event.Location{Schema: 1, Site: "tiny", Track: "tr-1", Class: event.ClassNR, Link: event.LinkUplink, TimeNS: time.Now().UnixNano(),
		Floor: "g", Room: "r1", RoomProb: 0.9, XM: 1, YM: 2, SemiMajorM: 1, SemiMinorM: 1}
	payload, err := event.Encode(l)
	other := l
	other.Site, other.Track = "elsewhere", "tr-other"
	otherPayload, err2 := event.Encode(other)
	if err := errors.Join(err, err2); err != nil {
		t.Fatal(err)
	}
	// the dashboard subscribes once connected: send until the feed has it
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("the live feed closed")
			}
			if strings.Contains(line, "tr-other") {
				t.Fatalf("another site's location on the live feed: %s", line)
			}
			if strings.HasPrefix(line, "data:") && strings.Contains(line, `"track":"tr-1"`) {
				if !strings.Contains(line, `"target":true`) || !strings.Contains(line, `"room":"r1"`) {
					t.Errorf("live location %s: want room r1, a target", line)
				}
				return
			}
		case <-tick.C:
			if err := errors.Join(b.Publish(event.LocationTopic("elsewhere"), otherPayload), b.Publish(event.LocationTopic("tiny"), payload)); err != nil {
				t.Fatal(err)
			}
		case <-ctx.Done():
			t.Fatal("no location on the live feed")
		}
	}
}
