package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/sensor/sim"
)

// demoClient is a logged-in dashboard session.
type demoClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func loginDemo(t *testing.T, info demoInfo) *demoClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	// Generous: password hashing is deliberately slow, and slower again under
	// the race detector on a busy CI machine.
	c := &http.Client{Jar: jar, Timeout: 90 * time.Second}
	body, _ := json.Marshal(map[string]string{"user": info.User, "password": info.Password})
	resp, err := c.Post(info.URL+"/api/v1/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("log in: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("log in with the printed password: %d %s", resp.StatusCode, b)
	}
	return &demoClient{t: t, base: info.URL, c: c}
}

func (d *demoClient) get(path string, v any) {
	d.t.Helper()
	resp, err := d.c.Get(d.base + path)
	if err != nil {
		d.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		d.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		d.t.Fatalf("GET %s: %v in %s", path, err, b)
	}
}

// TestDemoEndToEnd runs `rfwarden demo` headless, as a newcomer would, and
// checks through the dashboard's API that within two minutes of simulated
// time it shows an unauthorised phone located in the room where the
// simulator put an illicit phone, and a drone-drop incident.
func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo runs for up to two simulated minutes")
	}
	const simLimit = 2 * time.Minute
	speed := 1.0
	if raceEnabled {
		speed = 0.2
	}
	o := demoOptions{listen: "127.0.0.1:0", speed: speed, seed: 1, dir: t.TempDir(), recordMaxMB: 0, rateHz: 10e6,
		offline: "s4", offlineAfter: time.Minute, statusEvery: 30 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan demoInfo, 1)
	var out strings.Builder
	done := make(chan error, 1)
	go func() { done <- runDemo(ctx, o, &syncWriter{w: &out}, io.Discard, func(i demoInfo) { ready <- i }) }()
	var info demoInfo
	select {
	case info = <-ready:
	case err := <-done:
		t.Fatalf("demo stopped before it was ready: %v", err)
	case <-time.After(3 * time.Minute):
		t.Fatal("demo not ready within three minutes")
	}
	c := loginDemo(t, info)

	// Where the simulator really put the illicit phones during the run.
	phoneRooms := map[string]bool{}
	for _, e := range info.Wing.GroundTruth(info.Start, info.Start.Add(simLimit)) {
		if e.Kind == sim.KindPhone {
			phoneRooms[e.Room] = true
		}
	}
	var phone event.Alert
	var drop store.Incident
	var offline bool
	for info.Clock().Sub(info.Start) < simLimit && (phone.ID == "" || drop.ID == "" || !offline) {
		time.Sleep(2 * time.Second)
		var alerts []event.Alert
		c.get("/api/v1/alerts", &alerts)
		for _, a := range alerts {
			switch {
			case strings.HasPrefix(a.Rule, "unauthorised-uplink") && a.State == event.AlertFiring && phoneRooms[a.Room]:
				phone = a
			case a.Rule == "sensor-offline" && strings.Contains(a.Summary, o.offline):
				offline = true
			}
		}
		var incs []store.Incident
		c.get("/api/v1/incidents?window=day", &incs)
		for _, inc := range incs {
			if inc.Kind == "drone_drop" {
				drop = inc
			}
		}
	}
	elapsed := info.Clock().Sub(info.Start)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("demo: %v", err)
	}
	if t.Failed() || phone.ID == "" || drop.ID == "" || !offline {
		t.Logf("demo output:\n%s", out.String())
	}
	if phone.ID == "" {
		t.Errorf("after %v simulated: no firing unauthorised-uplink alert in a room with an illicit phone (%v)", elapsed.Round(time.Second), keys(phoneRooms))
	} else {
		t.Logf("phone: %s (room %s, %.0f%%)", phone.Summary, phone.Room, 100*phone.Probability)
	}
	if drop.ID == "" {
		t.Errorf("after %v simulated: no drone-drop incident", elapsed.Round(time.Second))
	} else {
		t.Logf("incident: %s", drop.Summary)
	}
	if !offline {
		t.Errorf("after %v simulated: sensor %s went offline at +%v but no sensor-offline alert", elapsed.Round(time.Second), o.offline, o.offlineAfter)
	}
}

func keys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// syncWriter serialises writes from the demo's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
