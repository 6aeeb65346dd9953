package fusion

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// radioRead is one sensor's read of an emission for the misread tests:
// its centre, bandwidth and power.
type radioRead struct {
	sensor           string
	centerHz, bwHz   float64
	powerDBm         float64
	wantFitsOnItsOwn bool // the radio's entry authorises this read alone
}

// staffRadioEntry is the demo's registration of radio-1 (390.0125 MHz
// TETRA, anywhere on site): its channel ± 203 kHz (cmd/rfwarden
// demoSignature at 10 Msps).
func staffRadioEntry(t0 time.Time) registry.Entry {
	return registry.Entry{Name: "radio-1", Kind: registry.KindStaffRadio, ValidFrom: t0.Add(-time.Hour),
		Signature: registry.Signature{Class: event.ClassUnknown, FreqMinHz: 389.8091875e6, FreqMaxHz: 390.2158125e6}}
}

// feedReads feeds e one emission of class unknown heard by each of reads
// at t0, in order, ticks it past the association window and flushes it,
// and returns the stored detections' authorisation by sensor.
func feedReads(t *testing.T, e *Engine, ts *storetest.Recorder, t0 time.Time, reads []radioRead) map[string]bool {
	t.Helper()
	ctx := context.Background()
	for i, r := range reads {
		d := event.Detection{Schema: 1, ID: fmt.Sprintf("d-%s", r.sensor), Site: "hmp-test", Sensor: r.sensor,
			TimeNS: t0.Add(time.Duration(i) * 50 * time.Millisecond).UnixNano(), DurationNS: int64(6 * time.Millisecond),
			CenterHz: r.centerHz, BandwidthHz: r.bwHz, PowerDBm: r.powerDBm, SNRDB: 20, Band: "tetra",
			Link: event.LinkUnknown, Class: event.ClassUnknown}
		if err := e.HandleDetection(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Tick(ctx, t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	ts.Mu.Lock()
	defer ts.Mu.Unlock()
	got := map[string]bool{}
	tracks := map[string]bool{}
	for _, r := range ts.Dets {
		got[r.Sensor] = r.Authorised
		tracks[r.Track] = true
	}
	if len(got) != len(reads) || len(tracks) != 1 {
		t.Fatalf("stored %d detections of %d sensors on %d tracks, want the %d reads as one emission", len(ts.Dets), len(got), len(tracks), len(reads))
	}
	return got
}

// checkReadsAlone checks that reg authorises each of reads on its own at
// t0, unlocated, as it says (wantFitsOnItsOwn).
func checkReadsAlone(t *testing.T, reg *registry.Registry, t0 time.Time, reads []radioRead) {
	t.Helper()
	for _, r := range reads {
		d := event.Detection{CenterHz: r.centerHz, BandwidthHz: r.bwHz, PowerDBm: r.powerDBm, Class: event.ClassUnknown, Link: event.LinkUnknown}
		if _, ok := reg.Match(d, registry.Place{}, t0); ok != r.wantFitsOnItsOwn {
			t.Fatalf("%s's read alone: authorised %v, want %v", r.sensor, ok, r.wantFitsOnItsOwn)
		}
	}
}

// TestStaffRadioSaturatedReadAuthorised: a registered staff radio beside
// a sensor saturates it, and that sensor reads its 16 kHz carrier 7.5 MHz
// wide and stronger than any other (the demo's s7 at 7496 kHz, −28 dBm,
// beside s2's 230 kHz read). The other sensors' reads fit the radio's
// entry, so the emission, and each of its detections, is authorised.
// Until 2026-12-08 only the strongest read was matched, and the demo
// stored the narrow reads grouped with such a read unauthorised with it:
// the heatmap's "unauthorised" view showed staff radios.
func TestStaffRadioSaturatedReadAuthorised(t *testing.T) {
	s := wing(t)
	t0 := time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC)
	reads := []radioRead{
		{"s1", 390.2355e6, 7512.6e3, -28, false}, // saturated: the strongest, 7.5 MHz wide
		{"s2", 390.0127e6, 229.4e3, -35, true},
		{"s3", 390.0123e6, 229.8e3, -48, true},
		{"s4", 390.0121e6, 229.5e3, -62, true},
	}
	reg, _ := testRegistry(t, s, staffRadioEntry(t0))
	checkReadsAlone(t, reg, t0, reads)
	ts := &storetest.Recorder{}
	e, err := New(Config{ListenWindow: -1}, Deps{Site: s, TimeSeries: ts, Authorizer: reg, Clock: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	for sn, ok := range feedReads(t, e, ts, t0, reads) {
		if !ok {
			t.Errorf("%s's detection stored unauthorised: the radio's clean reads fit its entry, and its strongest read is a saturated sensor's misread", sn)
		}
	}
	for _, l := range ts.Locs {
		if !l.Authorised {
			t.Errorf("fix in %s stored unauthorised", l.Room)
		}
	}
}

// TestContrabandBesideStaffRadioStaysUnauthorised: an emitter on a
// channel beside a registered staff radio's (390.3 MHz, outside its
// entry), whose strongest read is a saturated sensor's smear covering the
// radio's channel, stays unauthorised: the smear is set aside as the
// others' misread, and the strongest clean read, outside the entry,
// decides. (A clean read that fits the entry and is the strongest
// authorises, as the strongest read always did: TestAuthorisingRead.)
func TestContrabandBesideStaffRadioStaysUnauthorised(t *testing.T) {
	s := wing(t)
	t0 := time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		reads []radioRead
	}{
		{"a saturated read and clean reads beside the channel", []radioRead{
			{"s1", 390.2355e6, 7512.6e3, -25, false},
			{"s2", 390.3000e6, 229.6e3, -45, false},
			{"s3", 390.3002e6, 229.5e3, -55, false},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg, _ := testRegistry(t, s, staffRadioEntry(t0))
			checkReadsAlone(t, reg, t0, tc.reads)
			ts := &storetest.Recorder{}
			e, err := New(Config{ListenWindow: -1}, Deps{Site: s, TimeSeries: ts, Authorizer: reg, Clock: func() time.Time { return t0 }})
			if err != nil {
				t.Fatal(err)
			}
			for sn, ok := range feedReads(t, e, ts, t0, tc.reads) {
				if ok {
					t.Errorf("%s's detection stored authorised: the emission was heard outside the radio's entry", sn)
				}
			}
		})
	}
}

// TestAuthorisingRead: the rule by which one emission's reads authorise
// it.
func TestAuthorisingRead(t *testing.T) {
	read := func(centerMHz, bwKHz, powerDBm float64) event.Detection {
		return event.Detection{CenterHz: centerMHz * 1e6, BandwidthHz: bwKHz * 1e3, PowerDBm: powerDBm}
	}
	for _, tc := range []struct {
		name string
		dets []event.Detection
		fits []bool
		want int
	}{
		{"none fits", []event.Detection{read(390, 230, -40)}, []bool{false}, -1},
		{"a narrow read that fits not", []event.Detection{read(390, 230, -50), read(390, 230, -40), read(390, 230, -30)}, []bool{true, true, false}, -1},
		{"all fit: the strongest", []event.Detection{read(390, 230, -50), read(390, 230, -40)}, []bool{true, true}, 1},
		{"a wide read holding a fitting one is its misread", []event.Detection{read(390.2, 7500, -20), read(390, 230, -40)}, []bool{false, true}, 1},
		{"a wide read beside it is not", []event.Detection{read(392.5, 2600, -20), read(390, 230, -40)}, []bool{false, true}, -1},
		{"a read under twice as wide is not", []event.Detection{read(390, 400, -20), read(390, 230, -40)}, []bool{false, true}, -1},
		{"twice as wide is", []event.Detection{read(390, 460, -20), read(390, 230, -40)}, []bool{false, true}, 1},
		// the strongest clean read decides, as it did before misreads
		// were told apart: a weaker read beside it does not undo it
		{"the strongest fits, a weaker one beside it not", []event.Detection{read(390, 230, -30), read(391, 230, -50)}, []bool{true, false}, 0},
		// a smear reaching into an entry's band does not authorise the
		// clean read it holds
		{"a misread that fits holds a read that does not", []event.Detection{read(390.2, 7500, -20), read(391, 230, -40)}, []bool{true, false}, -1},
		// a read of unknown bandwidth (0) is no misread, nor has one:
		// the strongest decides
		{"reads of unknown width", []event.Detection{read(390, 0, -50), read(390, 0, -40)}, []bool{true, true}, 1},
		{"a weaker read of unknown width", []event.Detection{read(390, 230, -40), read(390.1, 0, -50)}, []bool{true, false}, 0},
		{"a smear of a smear", []event.Detection{read(390.2, 7500, -10), read(390.1, 2600, -20), read(390, 230, -40)}, []bool{false, false, true}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := authorisingRead(tc.dets, func(i int, _ event.Detection) bool { return tc.fits[i] }); got != tc.want {
				t.Errorf("authorisingRead = %d, want %d", got, tc.want)
			}
		})
	}
}
