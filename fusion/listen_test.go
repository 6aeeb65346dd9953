package fusion

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// TestQuerySilentSensors: only sensors shown to be listening at the
// emission's frequency within the window, and that did not hear it, are
// passed to the locator as silent; an offline sensor is forgotten.
func TestQuerySilentSensors(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	health := func(sensor string, at time.Time, bands ...string) event.Health {
		h := event.Health{Schema: 1, Site: "hmp-test", Sensor: sensor, TimeNS: at.UnixNano(), State: event.StateOK, NoiseFloorDBm: map[string]float64{}}
		for _, b := range bands {
			h.NoiseFloorDBm[b] = -60
		}
		return h
	}
	scan := map[string][2]float64{"lte-b3-ul": {1710e6, 1785e6}, "gsm900-ul": {880e6, 915e6}}
	withRevisit := func(h event.Health, s float64) event.Health {
		h.RevisitS = map[string]float64{}
		for b := range h.NoiseFloorDBm {
			h.RevisitS[b] = s
		}
		return h
	}
	withPlan := func(h event.Health, plan map[string][2]float64) event.Health {
		h.ScanBandsHz = map[string][2]float64{}
		for b := range h.NoiseFloorDBm {
			h.ScanBandsHz[b] = plan[b]
		}
		return h
	}
	for _, tc := range []struct {
		name    string
		cfg     Config
		healths []event.Health
		other   []event.Detection // earlier detections of other emissions
		offline []string
		// heardFor: s1 heard the emission every second for this long
		// before the group (0: the group is its first); see
		// TestQueryNewTrack.
		heardFor time.Duration
		want     []string
	}{
		{name: "nothing known", cfg: Config{ScanBandsHz: scan}},
		{name: "health in band", cfg: Config{ScanBandsHz: scan},
			healths: []event.Health{health("s2", t0.Add(-5*time.Second), "lte-b3-ul"), health("s4", t0, "gsm900-ul")},
			want:    []string{"s2"}},
		{name: "health without the scan plan", cfg: Config{},
			healths: []event.Health{health("s2", t0, "lte-b3-ul")}},
		{name: "health with its own scan plan", cfg: Config{},
			healths: []event.Health{withPlan(health("s2", t0, "lte-b3-ul"), scan), withPlan(health("s4", t0, "gsm900-ul"), scan)},
			want:    []string{"s2"}},
		// A sensor that comes back to the band every 5 s was tuned there
		// while a 500 ms group could take its detection one time in five.
		{name: "band revisited seldom", cfg: Config{ScanBandsHz: scan},
			healths: []event.Health{withRevisit(health("s2", t0, "lte-b3-ul"), 5), withRevisit(health("s3", t0, "lte-b3-ul"), 0.4)},
			want:    []string{"s3"}},
		{name: "band revisited seldom, check off", cfg: Config{ScanBandsHz: scan, SilentMaxRevisit: -1},
			healths: []event.Health{withRevisit(health("s2", t0, "lte-b3-ul"), 5)},
			want:    []string{"s2"}},
		{name: "band revisited seldom, long window", cfg: Config{ScanBandsHz: scan, AssocWindow: 3 * time.Second},
			healths: []event.Health{withRevisit(health("s2", t0, "lte-b3-ul"), 5)}, heardFor: 4 * time.Second,
			want: []string{"s2"}},
		{name: "own scan plan before the config's", cfg: Config{ScanBandsHz: scan},
			healths: []event.Health{withPlan(health("s2", t0, "lte-b3-ul"), map[string][2]float64{"lte-b3-ul": {1710e6, 1730e6}})}},
		{name: "health too old", cfg: Config{ScanBandsHz: scan},
			healths: []event.Health{health("s2", t0.Add(-31*time.Second), "lte-b3-ul")}},
		{name: "heard it", cfg: Config{ScanBandsHz: scan},
			healths: []event.Health{health("s1", t0, "lte-b3-ul"), health("s6", t0, "lte-b3-ul")}, want: []string{"s6"}},
		{name: "detection nearby", cfg: Config{},
			other: []event.Detection{testDet("o1", "s5", t0.Add(-10*time.Second), -70), testDet("o2", "s6", t0.Add(-10*time.Second), -70)},
			want:  []string{"s5"}},
		{name: "offline", cfg: Config{ScanBandsHz: scan},
			healths: []event.Health{health("s2", t0, "lte-b3-ul"), health("s3", t0, "lte-b3-ul")}, offline: []string{"s3"},
			want: []string{"s2"}},
		{name: "disabled", cfg: Config{ScanBandsHz: scan, ListenWindow: -1},
			healths: []event.Health{health("s2", t0, "lte-b3-ul")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(tc.cfg, Deps{Site: wing(t), Clock: func() time.Time { return t0 }})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for _, h := range tc.healths {
				b, err := event.Encode(h)
				if err != nil {
					t.Fatal(err)
				}
				if err := e.Handle(ctx, Message{Topic: event.SensorTopic("hmp-test", h.Sensor, event.KindHealth), Payload: b}); err != nil {
					t.Fatal(err)
				}
			}
			for _, d := range tc.other {
				d.CenterHz = 1.7502e9 // within 1 MHz of the emission
				if d.Sensor == "s6" {
					d.CenterHz = 1.76e9 // 10 MHz away: another tuning
				}
				d.Band = "other"
				if err := e.HandleDetection(ctx, d); err != nil {
					t.Fatal(err)
				}
			}
			for _, s := range tc.offline {
				if err := e.Handle(ctx, Message{Topic: event.SensorTopic("hmp-test", s, event.KindStatus), Payload: []byte(event.StatusOffline)}); err != nil {
					t.Fatal(err)
				}
			}
			for at := t0.Add(-tc.heardFor); at.Before(t0); at = at.Add(time.Second) {
				hearTrack(t, e, at)
			}
			g := &group{class: event.ClassLTE, link: event.LinkUplink, centerHz: 1.75e9, bwHz: 5e6, start: t0,
				dets: []event.Detection{testDet("a", "s1", t0, -60)}}
			q := e.query(g)
			var got []string
			for _, s := range q.Silent {
				got = append(got, s.Sensor)
				if want := -100 + 10*0.69897 + 6; s.ThresholdDBm < want-0.01 || s.ThresholdDBm > want+0.01 {
					t.Errorf("%s threshold %.2f dBm, want %.2f (noise -100 dBm/MHz in 5 MHz + 6 dB)", s.Sensor, s.ThresholdDBm, want)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("silent %v, want %v", got, tc.want)
			}
			if len(q.Heard) != 1 || q.Heard[0].CenterHz != 1.75e9 || !q.TxBounds || q.MaxTxDBm != 23 {
				t.Errorf("query %+v: want the heard power with CenterHz and the LTE bound 23 dBm", q)
			}
		})
	}
}

// hearTrack has s1 hear the test emission (testDet) at at, and closes its
// group: the engine's tracker follows the emission from then on.
func hearTrack(t *testing.T, e *Engine, at time.Time) {
	t.Helper()
	ctx := context.Background()
	if err := e.HandleDetection(ctx, testDet(fmt.Sprintf("early-%d", at.UnixNano()), "s1", at, -60)); err != nil {
		t.Fatal(err)
	}
	if err := e.Tick(ctx, at.Add(e.cfg.AssocWindow)); err != nil {
		t.Fatal(err)
	}
}

// TestQueryNewTrack: a listening sensor is silent for an emission only
// once the emission has been heard for at least the sensor's revisit time
// (its first group's span, AssocWindow, included): a sensor that scans
// the band every 0.9 s heard nothing in the first 500 ms group of a
// handset just come on one time in two, whether or not it can hear it
// (scenario new-track-scanning-sensor: such a silence put a handset's
// first fix, and its alert, in the cell across the landing).
func TestQueryNewTrack(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	scan := map[string][2]float64{"lte-b3-ul": {1710e6, 1785e6}}
	health := func(sensor string, revisitS float64) event.Health {
		h := event.Health{Schema: 1, Site: "hmp-test", Sensor: sensor, TimeNS: t0.Add(-5 * time.Second).UnixNano(), State: event.StateOK,
			NoiseFloorDBm: map[string]float64{"lte-b3-ul": -60}}
		if revisitS > 0 {
			h.RevisitS = map[string]float64{"lte-b3-ul": revisitS}
		}
		return h
	}
	// s2 comes back to the band every 0.9 s, s3 every 0.4 s (within one
	// group's span), s4 does not say, s5 every 2 s (too seldom to count
	// at all with the default SilentMaxRevisit, 1 s).
	healths := []event.Health{health("s2", 0.9), health("s3", 0.4), health("s4", 0), health("s5", 2)}
	for _, tc := range []struct {
		name  string
		cfg   Config
		heard []time.Duration // before the group, when s1 heard the emission (each its own group)
		hzOff float64         // the earlier detections' frequency offset
		want  []string
	}{
		{name: "first group", want: []string{"s3", "s4"}},
		{name: "heard for 2 s", heard: []time.Duration{-2 * time.Second, -1500 * time.Millisecond, -time.Second, -500 * time.Millisecond},
			want: []string{"s2", "s3", "s4"}},
		{name: "heard for 300 ms", heard: []time.Duration{-300 * time.Millisecond}, want: []string{"s3", "s4"}},
		// A handset back after a pause is a new emission to the sensors:
		// while it was off they heard nothing whatever their place.
		{name: "back after 10 s unheard", heard: []time.Duration{-20 * time.Second, -15 * time.Second, -10 * time.Second},
			want: []string{"s3", "s4"}},
		{name: "another channel heard for 2 s", heard: []time.Duration{-2 * time.Second, -time.Second}, hzOff: 30e6,
			want: []string{"s3", "s4"}},
		{name: "revisit check off", cfg: Config{SilentMaxRevisit: -1}, want: []string{"s2", "s3", "s4", "s5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.ScanBandsHz = scan
			e, err := New(cfg, Deps{Site: wing(t), Clock: func() time.Time { return t0 }})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for _, h := range healths {
				b, err := event.Encode(h)
				if err != nil {
					t.Fatal(err)
				}
				if err := e.Handle(ctx, Message{Topic: event.SensorTopic("hmp-test", h.Sensor, event.KindHealth), Payload: b}); err != nil {
					t.Fatal(err)
				}
			}
			for i, dt := range tc.heard {
				d := testDet(fmt.Sprintf("early-%d", i), "s1", t0.Add(dt), -60)
				d.CenterHz += tc.hzOff
				if err := e.HandleDetection(ctx, d); err != nil {
					t.Fatal(err)
				}
				if err := e.Tick(ctx, t0.Add(dt+e.cfg.AssocWindow)); err != nil {
					t.Fatal(err)
				}
			}
			g := &group{class: event.ClassLTE, link: event.LinkUplink, centerHz: 1.75e9, bwHz: 5e6, start: t0,
				dets: []event.Detection{testDet("a", "s1", t0, -60)}}
			var got []string
			for _, s := range e.query(g).Silent {
				got = append(got, s.Sensor)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("silent %v, want %v", got, tc.want)
			}
		})
	}
}

// listenEntries counts the keys the engine remembers sensors listening to.
func listenEntries(e *Engine) int {
	n := 0
	for _, m := range e.listen.last {
		n += len(m)
	}
	return n
}

// TestListenBounded: detections at ever new centre frequencies (real
// measured centres almost never repeat) do not grow what the engine
// remembers without bound: a key older than the listen window (twice,
// for margin) can no longer make a sensor silent, and is dropped. A soak
// of 54,000 groups had left 216,012 keys and doubled fusion's CPU per
// group.
func TestListenBounded(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		name   string
		window time.Duration
		every  time.Duration // between detections, per sensor
		n      int           // detections per sensor
	}{
		{name: "default window", every: 100 * time.Millisecond, n: 3000},
		{name: "short window", window: 2 * time.Second, every: 50 * time.Millisecond, n: 3000},
		{name: "window off", window: -1, every: 100 * time.Millisecond, n: 2000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := t0
			e, err := New(Config{ListenWindow: tc.window}, Deps{Site: wing(t), Clock: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			sensors := []string{"s1", "s2", "s3"}
			for i := range tc.n {
				now = t0.Add(time.Duration(i) * tc.every)
				for j, s := range sensors {
					d := testDet(fmt.Sprintf("d%d", i), s, now, -60)
					d.CenterHz = 1.71e9 + float64((i*7919+j*104729)%75000)*1e3 // a new centre each time
					if err := e.HandleDetection(ctx, d); err != nil {
						t.Fatal(err)
					}
				}
				if err := e.Tick(ctx, now); err != nil {
					t.Fatal(err)
				}
			}
			keep := 2 * e.cfg.ListenWindow
			// Within keep, each detection leaves at most one range key
			// and its band's name; pruning waits for the map to double.
			bound := 0
			if e.cfg.ListenWindow >= 0 {
				bound = len(sensors) * 2 * (int(keep/tc.every) + 2 + 64)
			}
			if got := listenEntries(e); got > bound {
				t.Errorf("%d listen keys after %d detections, want at most %d", got, tc.n*len(sensors), bound)
			}
			if e.cfg.ListenWindow < 0 {
				return
			}
			// What is still inside the window still counts.
			last := now
			if !e.listen.listened("s1", "", 1.71e9+float64(((tc.n-1)*7919)%75000)*1e3, last, e.cfg.ListenWindow) {
				t.Errorf("s1's last detection no longer shows it listening")
			}
		})
	}
}

// BenchmarkListenDetection: the cost per detection of remembering what a
// sensor listened to, and of asking whether another was listening, as
// centres keep changing. Before keys older than the window were dropped,
// keys (reported) grew by two per detection and each query scanned them all.
func BenchmarkListenDetection(b *testing.B) {
	t0 := time.Unix(1_800_000_000, 0)
	var l listening
	b.ReportAllocs()
	for i := range b.N {
		at := t0.Add(time.Duration(i) * 50 * time.Millisecond) // 20 detections/s, scaling.md's busiest sensor
		d := event.Detection{Sensor: "s1", TimeNS: at.UnixNano(), Band: "b3", CenterHz: 1.71e9 + float64((i*7919)%75000)*1e3}
		l.detection(d, 2e6, 30*time.Second)
		l.listened("s1", "other", 1.8e9, at, 30*time.Second)
	}
	b.ReportMetric(float64(len(l.last["s1"])), "keys")
}
