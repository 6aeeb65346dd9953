package fusion

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
)

// heardBurst is one emission a test feeds the engine: each of its sensors
// reports it at at (after the test's start), for dur, at the power the
// model predicts for an EIRP of txDBm at pos, less lossDB.
type heardBurst struct {
	at, dur  time.Duration
	pos      site.Point
	txDBm    float64
	lossDB   float64
	hz, bwHz float64
	class    string
	label    string
	sensors  []string
}

// longUplink returns a handset's uplink burst of 2 ms (a subframe and a
// bit, as the demo's sensors report its PUSCH), heard by sensors at at:
// the classifiers name it LTE/NR, 15 kHz SCS (class unknown, link uplink:
// LTE and NR share the band).
func longUplink(at time.Duration, pos site.Point, hz, bwHz float64, sensors ...string) heardBurst {
	return heardBurst{at: at, dur: 2 * time.Millisecond, pos: pos, txDBm: 20, hz: hz, bwHz: bwHz, class: event.ClassUnknown,
		label: "LTE/NR uplink (LTE B3 UL, 15 kHz SCS)", sensors: sensors}
}

// runBursts feeds bs to a new engine on a simulated clock (ticking every
// 100 ms, until 3 s after the last) and returns the tracks of its located
// emissions and the IDs of the unauthorised-uplink-in-cell alerts it
// published, with each one's rooms and summaries.
func runBursts(t *testing.T, bs []heardBurst) (tracks []string, alerts map[string][]string) {
	t.Helper()
	return runBurstsWith(t, Config{}, bs, nil)
}

// runBurstsWith is runBursts with the engine's cfg, calling onPub (when
// not nil) with each unauthorised-uplink-in-cell publication and its time
// after the start.
func runBurstsWith(t *testing.T, cfg Config, bs []heardBurst, onPub func(time.Duration, event.Alert)) (tracks []string, alerts map[string][]string) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Unix(1_800_000_000, 0)
	now := t0
	alerts = map[string][]string{}
	pub := publisherFunc(func(_ context.Context, a event.Alert) error {
		if a.Rule == "unauthorised-uplink-in-cell" {
			alerts[a.ID] = append(alerts[a.ID], a.State+" "+a.Room+": "+a.Summary)
			if onPub != nil {
				onPub(now.Sub(t0), a)
			}
		}
		return nil
	})
	e, err := New(cfg, Deps{Site: wing(t), Publisher: pub, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	bs = slices.Clone(bs)
	sort.SliceStable(bs, func(i, j int) bool { return bs[i].at < bs[j].at })
	n := 0
	next := 0
	end := bs[len(bs)-1].at + 3*time.Second
	for step := time.Duration(0); step <= end; step += 100 * time.Millisecond {
		for ; next < len(bs) && bs[next].at < step+100*time.Millisecond; next++ {
			b := bs[next]
			for _, sn := range b.sensors {
				p, err := e.Locator().PredictDBm(sn, "g", b.pos, b.txDBm-e.Locator().RefLossDB(b.hz))
				if err != nil {
					t.Fatal(err)
				}
				n++
				d := event.Detection{Schema: 1, ID: fmt.Sprintf("d%d", n), Site: "hmp-test", Sensor: sn,
					TimeNS: t0.Add(b.at).UnixNano(), DurationNS: int64(b.dur), CenterHz: b.hz, BandwidthHz: b.bwHz,
					PowerDBm: p - b.lossDB, SNRDB: 20, Link: event.LinkUplink, Class: b.class, Confidence: 0.9,
					Band: "LTE B3 UL", Label: b.label}
				if err := e.HandleDetection(ctx, d); err != nil {
					t.Fatal(err)
				}
			}
		}
		now = t0.Add(step)
		if err := e.Tick(ctx, now); err != nil {
			t.Fatal(err)
		}
	}
	for _, le := range e.Located() {
		if !slices.Contains(tracks, le.Track) {
			tracks = append(tracks, le.Track)
		}
	}
	return tracks, alerts
}

// TestBurstPiecesOneAlert: one phone in one cell is one track and one
// alert, however its bursts are cut. The demo's LTE handset in L2-S02,
// heard by s1 and s3 in 2 ms pieces (its track's channel 1745.26-1749.74
// MHz), was heard by s1 once as two pieces of one burst in one capture, 13
// µs apart: 25.6 µs at 1748.04-1749.58 MHz, which joined its track, and
// 12.8 µs at 1745.58-1746.89 MHz, both too short for the classifiers to
// confirm ("LTE/NR uplink (LTE B3 UL, unconfirmed: too short)"). The
// second was taken for another emitter heard at once (a sensor's capture
// holding two spectra apart, tracker.carries): a second track, which took
// the phone's later fixes, and a second critical alert in L2-S02. Two
// phones in one cell stay two tracks and two alerts; so do two phones that
// share a carrier, heard at once in bursts long enough to tell apart, or
// one of them in bursts too short for that that the classifiers named
// (isPiece: a piece is a short burst they could not name).
func TestBurstPiecesOneAlert(t *testing.T) {
	cell := site.Point{X: 7.5, Y: 2} // B2-02, between s1 and s3
	const hz, bwHz = 1747.5e6, 4.4e6
	// phone is a handset in cell on a channel, heard by s1 and s3 every
	// 400 ms for 20 s from start.
	phone := func(start time.Duration, pos site.Point, hz, bwHz float64) []heardBurst {
		var bs []heardBurst
		for at := start; at < start+20*time.Second; at += 400 * time.Millisecond {
			bs = append(bs, longUplink(at, pos, hz, bwHz, "s1", "s3"))
		}
		return bs
	}
	short := "LTE/NR uplink (LTE B3 UL, unconfirmed: too short)"
	// pieces is one burst as s1 cut it in the demo: two pieces of the
	// carrier in one capture, apart, each a frame or two of its detector.
	pieces := func(at time.Duration) []heardBurst {
		return []heardBurst{
			{at: at, dur: 25600 * time.Nanosecond, pos: cell, txDBm: 20, lossDB: 7, hz: 1748.809e6, bwHz: 1.537e6,
				class: event.ClassUnknown, label: short, sensors: []string{"s1"}},
			{at: at + 12800*time.Nanosecond, dur: 12800 * time.Nanosecond, pos: cell, txDBm: 20, lossDB: 4, hz: 1746.237e6, bwHz: 1.309e6,
				class: event.ClassUnknown, label: short, sensors: []string{"s1"}},
		}
	}
	// shared is two handsets on one carrier in neighbouring cells, heard
	// at once by s1 and s3 for 20 s: A's 2 ms bursts on PRBs that
	// alternate across the carrier (its track's channel 1742.8-1753.2
	// MHz), B's, from 2 s (A's track spans the carrier by then), of class
	// and label given and lasting dur, in the same captures on the
	// carrier's top, apart from A's allocation then. B, 3.5 m from A, is
	// within a track's radius of A's: only the capture holding both apart
	// tells it is another emitter.
	shared := func(class, labelA, labelB string, dur time.Duration) []heardBurst {
		var bs []heardBurst
		for i := range 50 {
			at := time.Duration(i) * 400 * time.Millisecond
			hz := []float64{1745e6, 1748e6, 1751e6}[i%3]
			a := longUplink(at, cell, hz, 4.4e6, "s1", "s3")
			a.class, a.label = class, labelA
			bs = append(bs, a)
			if hz != 1751e6 && i >= 5 {
				bs = append(bs, heardBurst{at: at + 300*time.Microsecond, dur: dur, pos: site.Point{X: 11, Y: 2}, txDBm: 20,
					hz: 1751.5e6, bwHz: 1e6, class: class, label: labelB, sensors: []string{"s1", "s3"}})
			}
		}
		return bs
	}
	const nrLong, nrShort = "NR uplink (LTE B3 UL, 15 kHz SCS)", "NR uplink (LTE B3 UL, short PUCCH)"
	tests := []struct {
		name               string
		bursts             []heardBurst
		wantTracks, wantIn int // tracks located, alerts raised
	}{
		{"one phone", phone(0, cell, hz, bwHz), 1, 1},
		{"one phone, a burst cut in two pieces in one capture",
			slices.Concat(phone(0, cell, hz, bwHz), pieces(4210*time.Millisecond)), 1, 1},
		{"one phone, pieces of bursts now and then",
			slices.Concat(phone(0, cell, hz, bwHz), pieces(4210*time.Millisecond), pieces(9610*time.Millisecond), pieces(15010*time.Millisecond)), 1, 1},
		{"one phone, silent for 30 s", slices.Concat(phone(0, cell, hz, bwHz)[:25], phone(40*time.Second, cell, hz, bwHz)), 1, 1},
		{"two phones in one cell, each on its own channel",
			slices.Concat(phone(0, cell, hz, bwHz), phone(150*time.Millisecond, site.Point{X: 8.5, Y: 1}, 1757.5e6, bwHz)), 2, 2},
		{"two phones on one carrier, heard at once in bursts long enough to tell apart",
			shared(event.ClassUnknown, "LTE/NR uplink (LTE B3 UL, 15 kHz SCS)", "LTE/NR uplink (LTE B3 UL, 15 kHz SCS)", 2*time.Millisecond), 2, 2},
		// A burst shorter than two LTE symbols the classifiers named (an
		// NR short PUCCH or SRS) is no piece: they recognised it.
		{"two phones on one carrier, one heard in short bursts of a named class",
			shared(event.ClassNR, nrLong, nrShort, 100*time.Microsecond), 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tracks, alerts := runBursts(t, tt.bursts)
			if len(tracks) != tt.wantTracks {
				t.Errorf("%d tracks %v, want %d", len(tracks), tracks, tt.wantTracks)
			}
			if len(alerts) != tt.wantIn {
				t.Errorf("%d alerts raised, want %d:", len(alerts), tt.wantIn)
				for id, pubs := range alerts {
					t.Errorf("  %s: %q", id, pubs)
				}
			}
		})
	}
}

// TestIsPiece: a piece of a burst is a detection shorter than two LTE
// symbols the classifiers could not name (class unknown, or labelled
// "unconfirmed: too short"); a short one of a named class (an NR short
// PUCCH, a Wi-Fi ACK, a cut GSM burst) is an emission of its own.
func TestIsPiece(t *testing.T) {
	for _, tt := range []struct {
		class, label string
		durNS        int64
		want         bool
	}{
		{event.ClassUnknown, "LTE/NR uplink (LTE B3 UL, unconfirmed: too short)", 12_800, true},
		{event.ClassUnknown, "", 100_000, true},
		{event.ClassLTE, "LTE/NR uplink (LTE B3 UL, unconfirmed: too short)", 25_600, true},
		{event.ClassUnknown, "LTE/NR uplink (LTE B3 UL, 15 kHz SCS)", 133_334, false}, // two symbols: long enough
		{event.ClassUnknown, "", 0, false},                                            // duration unknown
		{event.ClassNR, "NR uplink (n78, short PUCCH)", 35_700, false},
		{event.ClassWiFi, "Wi-Fi ACK", 44_000, false},
		{event.ClassGSM, "GSM uplink burst", 100_000, false},
	} {
		d := event.Detection{Class: tt.class, Label: tt.label, DurationNS: tt.durNS}
		if got := isPiece(d); got != tt.want {
			t.Errorf("isPiece(%s %q, %d ns) = %v, want %v", tt.class, tt.label, tt.durNS, got, tt.want)
		}
	}
}
