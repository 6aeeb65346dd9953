package main

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/sensor/agent"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/scan"
	"github.com/rfwarden/rfwarden/sensor/sim"
)

// demoRegistry returns a registry holding the demo's authorised devices,
// as runDemo registers them for sensors sampling at rateHz.
func demoRegistry(t *testing.T, w *sim.Wing, rateHz float64) (*registry.Registry, time.Time) {
	t.Helper()
	ctx := context.Background()
	st, err := site.Load(strings.NewReader(string(w.SiteYAML())))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfwarden.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	start, err := demoStart(demoOptions{}, w, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Open(ctx, db.DB(), db, registry.Options{Location: time.UTC, Now: func() time.Time { return start }, Site: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := authoriseDemoDevices(ctx, reg, w, start, rateHz); err != nil {
		t.Fatal(err)
	}
	return reg, start
}

// tetraTuning returns the centre of the demo's tetra-band tuning that
// holds hz at rateHz, as the scan scheduler cuts the band (scan.New).
func tetraTuning(t *testing.T, rateHz, hz float64) float64 {
	t.Helper()
	for _, b := range demoBands(rateHz) {
		if b.Name != "tetra" {
			continue
		}
		n := math.Ceil((b.HighHz - b.LowHz) / (scan.UsableFraction * rateHz))
		w := (b.HighHz - b.LowHz) / n
		return b.LowHz + w*(math.Floor((hz-b.LowHz)/w)+0.5)
	}
	t.Fatal("the demo's plan has no tetra band")
	return 0
}

// TestDemoStaffRadiosAuthorised: the demo's staff radios, as its sensors
// report them, are authorised by the entries the demo registers for them.
// The entries allowed the simulated carrier's 16 kHz and no more, but the
// detector measures a carrier narrower than its FFT bin (sample rate /
// NFFT: 78 kHz at the demo's 10 Msps) as about three bins wide, 229 kHz,
// so every TETRA detection was stored unauthorised. A staff radio is
// carried through the wing, and most of its detections are not located:
// an entry limited to one room authorised none of those either.
func TestDemoStaffRadiosAuthorised(t *testing.T) {
	w := sim.StandardWing(1)
	for _, rate := range []float64{2e6, 10e6, 20e6} {
		reg, _ := demoRegistry(t, w, rate)
		fullScale := sim.FullScaleDBm(sim.AutoGainDB(rate))
		for _, em := range w.Emitters() {
			if em.Kind != sim.KindStaffRadio {
				continue
			}
			ev, ok := w.FirstSession(em.ID, 2*time.Second, 24*time.Hour)
			if !ok {
				t.Fatalf("%s never transmits", em.ID)
			}
			// The sensor that hears it best without clipping its ADC at
			// the automatic gain, with it or anything else on air in the
			// tuning (the agent's AGC, not run here, brings a closer one
			// down to that; a clipped ADC smears every carrier over
			// megahertz).
			at := ev.Start.Add(120 * time.Millisecond)
			tune := tetraTuning(t, rate, em.CenterHz)
			sensor, best := "", math.Inf(-1)
		sensors:
			for _, s := range w.Sensors() {
				for _, a := range w.Active(at) {
					if math.Abs(a.CenterHz-tune) < rate/2 && w.ReceivedPowerDBm(a.EmitterID, s.ID) >= fullScale {
						continue sensors
					}
				}
				if rx := w.ReceivedPowerDBm(em.ID, s.ID); rx > best {
					sensor, best = s.ID, rx
				}
			}
			if sensor == "" {
				t.Fatalf("%g samples/s: no sensor hears %s below full scale", rate, em.ID)
			}
			src, err := w.NewSource(sensor, sim.SourceOptions{SampleRateHz: rate, Start: ev.Start.Add(100 * time.Millisecond),
				GainDB: sim.AutoGainDB(rate) - demoGainBackoffDB})
			if err != nil {
				t.Fatal(err)
			}
			if err := src.Tune(tune, rate); err != nil {
				t.Fatal(err)
			}
			p := demoPipeline()
			var res []pipeline.Result
			for src.Time().Before(ev.Start.Add(140 * time.Millisecond)) {
				b, err := src.Next(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if res, err = p.Process(b, res); err != nil {
					t.Fatal(err)
				}
			}
			res = p.Flush(res)
			heard := 0
			for i := range res {
				d := agent.ToDetection(&res[i], "hmp-demo", sensor, "tetra")
				if math.Abs(d.CenterHz-em.CenterHz) > 500e3 {
					continue // not this radio
				}
				heard++
				when := time.Unix(0, d.TimeNS)
				for _, pl := range []struct {
					name  string
					place registry.Place
				}{
					{"not located", registry.Place{}},
					{"located in its room", registry.Place{Room: em.Room, RoomProbs: map[string]float64{em.Room: 1}}},
					{"located across the wing", registry.Place{Room: "L2-S07", RoomProbs: map[string]float64{"L2-S07": 0.6, "L2-S06": 0.4}}},
				} {
					if e, ok := reg.Match(d, pl.place, when); !ok || e.Name != em.ID {
						t.Errorf("%g samples/s, %s heard by %s (%.1f dBm) at %.4f MHz, %.1f kHz wide, %s: matched %q (%v), want %s's entry",
							rate, em.ID, sensor, d.PowerDBm, d.CenterHz/1e6, d.BandwidthHz/1e3, pl.name, e.Name, ok, em.ID)
					}
				}
			}
			if heard == 0 {
				t.Errorf("%g samples/s: %s heard by %s (%.1f dBm): no detection", rate, em.ID, sensor, best)
			}
		}
	}
}

// TestDemoRegistryAuthorisesOnlyItsDevices: the demo's entries, widened to
// the sensors' frequency resolution, still authorise none of the wing's
// unauthorised emitters, at their channels, anywhere.
func TestDemoRegistryAuthorisesOnlyItsDevices(t *testing.T) {
	w := sim.StandardWing(1)
	for _, rate := range []float64{2e6, 10e6, 20e6} {
		reg, start := demoRegistry(t, w, rate)
		for _, em := range w.Emitters() {
			if em.Authorised {
				continue
			}
			d := event.Detection{Schema: event.SchemaVersion, Site: "hmp-demo", Sensor: "s1", TimeNS: start.UnixNano(),
				CenterHz: em.CenterHz, BandwidthHz: em.BandwidthHz, PowerDBm: -60, Class: em.Class, Link: em.Link}
			for _, pl := range []registry.Place{{}, {Room: em.Room, RoomProbs: map[string]float64{em.Room: 1}}} {
				if e, ok := reg.Match(d, pl, start.Add(time.Hour)); ok {
					t.Errorf("%g samples/s: unauthorised %s (%s at %.4f MHz) matched entry %s", rate, em.ID, em.Class, em.CenterHz/1e6, e.Name)
				}
			}
		}
	}
}

// TestDemoRegistryRestart: a demo started again on the same --dir
// registers its authorised devices only where the registry has no entry
// of that name, and leaves an entry the user expired or edited as it is,
// and one the user expired and deleted deleted. Every restart added the
// six entries again: ap-landing, expired by the security manager, was
// authorised again by its copy; until 2026-12-07 a deleted entry came
// back, audited "demo registry.add".
func TestDemoRegistryRestart(t *testing.T) {
	ctx := context.Background()
	w := sim.StandardWing(1)
	st, err := site.Load(strings.NewReader(string(w.SiteYAML())))
	if err != nil {
		t.Fatal(err)
	}
	start, err := demoStart(demoOptions{}, w, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(t *testing.T, reg *registry.Registry, e registry.Entry) // to ap-landing's entry, between the runs
		check  func(t *testing.T, e registry.Entry)                         // nil: the entry is gone
	}{
		{"unchanged", nil, func(t *testing.T, e registry.Entry) {
			if !e.ValidUntil.IsZero() {
				t.Errorf("valid until %v, want no end", e.ValidUntil)
			}
		}},
		{"expired", func(t *testing.T, reg *registry.Registry, e registry.Entry) {
			if _, err := reg.Expire(ctx, e.ID, "security", start); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, e registry.Entry) {
			if !e.ValidUntil.Equal(start) {
				t.Errorf("valid until %v, want the expiry %v", e.ValidUntil, start)
			}
		}},
		{"deleted", func(t *testing.T, reg *registry.Registry, e registry.Entry) {
			if _, err := reg.Expire(ctx, e.ID, "security", start); err != nil {
				t.Fatal(err)
			}
			if err := reg.Delete(ctx, e.ID, "security"); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"edited", func(t *testing.T, reg *registry.Registry, e registry.Entry) {
			e.Notes = "moved to the office"
			e.Rooms = []string{"L1-OFFICE"}
			if _, err := reg.Update(ctx, e, "security"); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, e registry.Entry) {
			if e.Notes != "moved to the office" || !slices.Equal(e.Rooms, []string{"L1-OFFICE"}) {
				t.Errorf("notes %q, rooms %v: want the edit kept", e.Notes, e.Rooms)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfwarden.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			open := func() *registry.Registry {
				reg, err := registry.Open(ctx, db.DB(), db, registry.Options{Location: time.UTC, Now: func() time.Time { return start }, Site: st})
				if err != nil {
					t.Fatal(err)
				}
				return reg
			}
			reg := open()
			if err := authoriseDemoDevices(ctx, reg, w, start, 10e6); err != nil {
				t.Fatal(err)
			}
			first, _ := reg.List(ctx)
			if tt.change != nil {
				tt.change(t, reg, entriesNamed(t, reg, "ap-landing")[0])
			}
			reg = open() // the next run
			if err := authoriseDemoDevices(ctx, reg, w, start.Add(time.Hour), 10e6); err != nil {
				t.Fatal(err)
			}
			want := 1 // entries named ap-landing
			if tt.check == nil {
				want = 0
			}
			again, _ := reg.List(ctx)
			if len(again) != len(first)-1+want {
				t.Errorf("%d entries after the restart, want the first run's %d, less ap-landing's if deleted", len(again), len(first))
			}
			got := entriesNamed(t, reg, "ap-landing")
			if len(got) != want {
				t.Fatalf("%d entries named ap-landing, want %d", len(got), want)
			}
			if want == 1 {
				tt.check(t, got[0])
			}
		})
	}
}

// entriesNamed returns reg's entries named name.
func entriesNamed(t *testing.T, reg *registry.Registry, name string) []registry.Entry {
	t.Helper()
	list, err := reg.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []registry.Entry
	for _, e := range list {
		if e.Name == name {
			got = append(got, e)
		}
	}
	return got
}
