package main

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor/config"
	"github.com/rfwarden/rfwarden/sensor/scan"
	"github.com/rfwarden/rfwarden/sensor/sim"
)

// TestDemoDroneNamedAtStoryRate: the yard sensor s5, 3 min into the
// demo's first drone flight (the drone hovering over the perimeter),
// tuned in turn to each of its ism2400 tunings that overlaps the drone's
// DroneID channel, for one DroneID period each, through the demo's
// pipeline. At demoStoryMinRateHz it names the drone's DroneID, which
// places the drone for its drop incident; at --rate 2e6 (a 1.6 MHz
// tuning) it names no DroneID nor drone video: the drone is heard by its
// remote control alone, as the demo showed on 2026-12-06 (load 10, and
// again on an idle host), its banner still promising a drone-drop
// incident with the phone after it.
func TestDemoDroneNamedAtStoryRate(t *testing.T) {
	w := sim.StandardWing(1)
	flight, ok := w.FirstSession("drone-id", time.Minute, 24*time.Hour)
	if !ok {
		t.Fatal("the demo's wing flies no drone")
	}
	var droneID sim.Emitter
	for _, em := range w.Emitters() {
		if em.ID == "drone-id" {
			droneID = em
		}
	}
	at := flight.Start.Add(3 * time.Minute)
	period := time.Duration(droneID.BurstPeriodS*float64(time.Second)) + 10*time.Millisecond
	for _, tt := range []struct {
		rateHz float64
		named  bool
	}{
		{2e6, false},
		{demoStoryMinRateHz, true},
	} {
		// the tunings of the demo's plan at this rate, as its scheduler visits them
		sch, err := scan.New(config.Config{Bands: demoBands(tt.rateHz)}.ScanBands(), tt.rateHz, scan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var centres []float64
		now := at
		for range 4 * sch.Cells() {
			st := sch.Next(now)
			now = now.Add(st.Dwell)
			lo, hi := st.CenterHz-tt.rateHz/2, st.CenterHz+tt.rateHz/2
			if st.Band == "ism2400" && hi > droneID.CenterHz-droneID.BandwidthHz/2 && lo < droneID.CenterHz+droneID.BandwidthHz/2 &&
				!slices.Contains(centres, st.CenterHz) {
				centres = append(centres, st.CenterHz)
			}
		}
		if len(centres) == 0 {
			t.Fatalf("--rate %g: no ism2400 tuning overlaps the DroneID channel", tt.rateHz)
		}
		var classes []string
		for _, c := range centres {
			src, err := w.NewSource("s5", sim.SourceOptions{SampleRateHz: tt.rateHz, Start: at, Seed: 1, BlockSamples: demoBlockSamples})
			if err != nil {
				t.Fatal(err)
			}
			if err := src.Tune(c, tt.rateHz); err != nil {
				t.Fatal(err)
			}
			p := demoPipeline()
			for src.Time().Before(at.Add(period)) {
				b, err := src.Next(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				rs, err := p.Process(b, nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range append(rs, p.Flush(nil)...) {
					if !slices.Contains(classes, r.Label.Class) {
						classes = append(classes, r.Label.Class)
					}
				}
			}
		}
		named := slices.Contains(classes, event.ClassDroneID) || slices.Contains(classes, event.ClassDroneVideo)
		t.Logf("--rate %g, tunings %v: classes %v", tt.rateHz, centres, classes)
		if named != tt.named {
			t.Errorf("--rate %g: s5 named %v over the hovering drone's DroneID channel: drone named %v, want %v", tt.rateHz, classes, named, tt.named)
		}
	}
}

// TestDemoNarrowRateBanner: at a --rate under demoStoryMinRateHz the
// banner does not promise the drone-drop incident the story cannot play,
// and says why and which rate plays it; at and above it the banner
// promises the incident and says nothing of the rate. Until 2026-12-07 a
// demo at --rate 2e6 promised "(one drone-drop incident)" and never gave
// it: the drone was heard by its remote control alone.
func TestDemoNarrowRateBanner(t *testing.T) {
	for _, tt := range []struct {
		rateHz  float64
		promise string
		note    string
	}{
		{2e6, "", "At --rate 2e6 a tuning spans 1.6 MHz, and the drone's DroneID (9 MHz) is named from 3 MHz:"},
		{3.7e6, "", "At --rate 3.7e6 a tuning spans 2.96 MHz"},
		{demoStoryMinRateHz, " (one drone-drop incident)", ""},
		{10e6, " (one drone-drop incident)", ""},
	} {
		if got := demoDropPromise(tt.rateHz); got != tt.promise {
			t.Errorf("demoDropPromise(%g) = %q, want %q", tt.rateHz, got, tt.promise)
		}
		got := demoNarrowRateNote(tt.rateHz)
		if tt.note == "" && got != "" || !strings.HasPrefix(got, tt.note) {
			t.Errorf("demoNarrowRateNote(%g) = %q, want it to start %q", tt.rateHz, got, tt.note)
		}
		if tt.note != "" && !strings.Contains(got, "--rate 3.75e6 or more") {
			t.Errorf("demoNarrowRateNote(%g) = %q: it names no rate that plays the drop", tt.rateHz, got)
		}
	}

	// the demo's own banner at --rate 2e6
	o := demoOptions{listen: "127.0.0.1:0", speed: 100, seed: 1, dir: t.TempDir(), rateHz: 2e6, duration: time.Second,
		offlineAfter: time.Minute, statusEvery: time.Hour, offline: ""}
	var out strings.Builder
	if err := runDemo(context.Background(), o, &syncWriter{w: &out}, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	banner := out.String()
	if strings.Contains(banner, "drone-drop incident)") {
		t.Errorf("--rate 2e6: the banner promises the drone-drop incident the story cannot play:\n%s", banner)
	}
	for _, want := range []string{"and a new phone inside.\nAt --rate 2e6 a tuning spans 1.6 MHz", "heard by its remote control alone", "--rate 3.75e6 or more"} {
		if !strings.Contains(banner, want) {
			t.Errorf("--rate 2e6: the banner does not say %q:\n%s", want, banner)
		}
	}
}
