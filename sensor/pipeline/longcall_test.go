package pipeline

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/dsp/synth"
	"github.com/rfwarden/rfwarden/sensor"
)

// longCall is a phone's uplink during a call, far longer than the noise
// floor's history (FloorBlocks·FloorBlockFrames frames: 13 ms at 10 Msps).
type longCall struct {
	name    string
	class   string  // the label class it must get
	link    string  // and link ("": any)
	tuneHz  float64 // RF centre of the capture, in an uplink band
	offHz   float64 // the uplink's offset from it
	halfBW  float64 // half its occupied band, Hz
	gen     synth.Generator
	bwHz    float64 // synth BandwidthHz
	scsHz   float64
	burstS  float64 // synth BurstLenS = BurstPeriodS (continuous), 0 = class default
	leadS   float64 // the class schedule's first burst's delay, rendered before the call's start
	lenS    float64 // the call's length
	before  float64 // noise alone before the call, s (0: on from the detector's first sample)
	rateHz  float64
	seed    uint64
	snrDB   float64
	floorDB float64 // FloorCapDB
	upCapDB float64 // Config.UplinkFloorCapDB
	hold    time.Duration
	// refOverDB is Config.RefFloorOverDB (0: no reference floor);
	// refQuietS, when positive, is how much of the quiet band (noise
	// alone, another seed) a pipeline saw at the same tuning and gain
	// before a restart: its RefFloors seed the one that meets the call
	// (SeedRefFloors), as the sensor's floor file does.
	refOverDB float64
	refQuietS float64
	refGainDB float64 // the quiet run's receive gain (0: the call's, 20 dB)
}

var longCallClasses = []longCall{
	// GSM900 uplink, a traffic channel: one 577 µs burst per 4.615 ms TDMA frame
	{name: "gsm", class: "gsm", link: "uplink", tuneHz: 897.6e6, offHz: 0.4e6, halfBW: 125e3, gen: synth.GSM},
	// LTE B3 uplink, 5 MHz, a continuous grant (every subframe)
	{name: "lte", class: "lte", link: "uplink", tuneHz: 1747.5e6, offHz: 1.5e6, halfBW: 2.25e6, gen: synth.LTE, bwHz: 5e6},
	// NR n28 (FDD) uplink, 5 MHz at 15 kHz, a continuous grant (every slot)
	{name: "nr", class: "nr", link: "uplink", tuneHz: 720e6, offHz: 1.5e6, halfBW: 2.35e6, gen: synth.NR, bwHz: 5e6, scsHz: 15e3, burstS: 1e-3, leadS: 4e-3},
	// continuous emitters the band plan cannot call a handset's: an LTE
	// carrier without gaps in B40 (TDD, 2300-2400 MHz; a hotspot, a
	// repeater), an NR one (5 MHz at 30 kHz) in n78 (TDD), and analog FPV
	// video from a drone at 5.8 GHz (about 12 MHz of FM, at 20 Msps)
	{name: "lte-b40", class: "lte", tuneHz: 2350e6, offHz: 1.5e6, halfBW: 2.25e6, gen: synth.LTE, bwHz: 5e6},
	{name: "nr-n78", class: "nr", tuneHz: 3550e6, offHz: 1.5e6, halfBW: 2.35e6, gen: synth.NR, bwHz: 5e6, scsHz: 30e3, burstS: 1e-3, leadS: 4e-3},
	{name: "fpv", class: "fpv_analog", tuneHz: 5800e6, offHz: 2e6, halfBW: 6.1e6, gen: synth.FPVAnalog, rateHz: 20e6},
}

// longCallResult is what a stream saw of a long call.
type longCallResult struct {
	windows   int // 10 ms windows of the call
	detected  int // windows in which an emission over the call's band was on
	labelled  int // ... labelled the call's class, uplink
	lastFound float64
	lost      float64 // time from the call's start after which no window was detected, s; -1 if seen to the end
}

// runLongCall renders c (noise plus the uplink), runs it through a
// pipeline with the default classifier and the detector's FloorCapDB and
// FloorHold set from c, and counts the 10 ms windows of the call in which
// an emission overlapping the uplink's band was on (one of its bursts
// overlaps the window), and labelled c.class on an uplink.
func runLongCall(t testing.TB, c longCall) longCallResult {
	t.Helper()
	fs := c.rateHz
	if fs == 0 {
		fs = 10e6
	}
	start := int(c.before * fs)
	n := start + int(c.lenS*fs)
	x := make([]complex64, n)
	synth.Noise(x, rand.New(rand.NewPCG(c.seed, 11)), synth.DefaultNoisePower)
	c.gen(x, synth.Params{SampleRateHz: fs, OffsetHz: c.offHz, SNRDB: c.snrDB, Seed: c.seed + 1,
		StartSample: start - int(c.leadS*fs), BandwidthHz: c.bwHz, SCSHz: c.scsHz, BurstLenS: c.burstS, BurstPeriodS: c.burstS})
	cfg := Config{Classifier: DefaultClassifier(),
		Detector: dsp.DetectorConfig{FloorCapDB: c.floorDB, FloorHold: c.hold}, UplinkFloorCapDB: c.upCapDB,
		RefFloorOverDB: c.refOverDB}
	const block = 1 << 17
	run := func(p *Pipeline, x []complex64, gainDB float64) []Result {
		var res []Result
		for first := 0; first < len(x); first += block {
			b := sensor.Block{Samples: x[first:min(first+block, len(x))], CenterHz: c.tuneHz, SampleRateHz: fs,
				FirstSample: int64(first), Time: time.Unix(1e9, 0).Add(time.Duration(float64(first) / fs * float64(time.Second))), GainDB: gainDB}
			var err error
			if res, err = p.Process(b, res); err != nil {
				t.Fatal(err)
			}
		}
		return p.Flush(res)
	}
	p := New(cfg)
	if c.refQuietS > 0 {
		q := make([]complex64, int(c.refQuietS*fs))
		synth.Noise(q, rand.New(rand.NewPCG(c.seed+100, 11)), synth.DefaultNoisePower)
		before := New(cfg)
		run(before, q, cmp.Or(c.refGainDB, 20))
		refs := before.RefFloors()
		if len(refs) != 1 {
			t.Fatalf("the quiet band left %d reference floors, want 1", len(refs))
		}
		if err := p.SeedRefFloors(refs); err != nil {
			t.Fatal(err)
		}
	}
	res := run(p, x, 20)
	win := int(0.01 * fs)
	r := longCallResult{windows: (n - start) / win, lost: -1}
	det := make([]bool, r.windows)
	lab := make([]bool, r.windows)
	lo, hi := c.tuneHz+c.offHz-c.halfBW, c.tuneHz+c.offHz+c.halfBW
	for _, e := range res {
		if e.FreqHighHz < lo || e.FreqLowHz > hi {
			continue
		}
		ok := (e.Label.Class == c.class || (c.class == "lte" || c.class == "nr") && e.Label.Class == "cellular") &&
			(c.link == "" || e.Label.Link == c.link)
		for _, b := range e.Em.Bursts {
			a, z := int(b.StartSample)-start, int(b.StartSample+b.SampleCount)-start
			for w := max(0, a/win); w < r.windows && w*win < z; w++ {
				det[w] = true
				lab[w] = lab[w] || ok
			}
		}
	}
	last := -1
	for w := range r.windows {
		if det[w] {
			r.detected++
			last = w
		}
		if lab[w] {
			r.labelled++
		}
	}
	if last < r.windows-1 {
		r.lost = float64(last+1) * 0.01
	}
	return r
}

// TestLongCallFloor: a phone on a long call (a GSM traffic channel's
// bursts, or an LTE or NR uplink with a continuous grant) lasts far longer
// than the noise floor's history (FloorBlocks·FloorBlockFrames frames,
// 13 ms at 10 Msps). What stays of it over the call, in 10 ms windows, is
// the figure docs/detection.md ("Long calls") records for the security
// staff, and this test keeps it true, both ways:
//
//   - a GSM handset's bursts leave the floor 7 slots of 8 to learn the
//     noise: found all the call at 6 dB, on from the first sample or not;
//   - an uplink that begins once the floor exists is held out of it
//     (FloorHold, 5 min by default) at 6 dB and up; at 3 dB it is on in
//     under half of its frames, holds nothing, and is learnt within
//     tens of ms;
//   - an uplink on from the detector's first sample (a sensor started or
//     tuned there mid-call), or one that outlasts FloorHold (here 300 ms),
//     is learnt into the floor up to FloorCapDB (10 dB) over the band's
//     10th percentile: lost under 15 dB, kept at 15 dB.
//
// A rule that changes one of these (a lower cap, a longer hold, a floor
// that keeps a tuning's floor across a restart) must update the document.
func TestLongCallFloor(t *testing.T) {
	if testing.Short() {
		t.Skip("renders and detects 1 s calls at 10 Msps")
	}
	byName := map[string]longCall{}
	for _, c := range longCallClasses {
		byName[c.name] = c
	}
	for _, tc := range []struct {
		class          string
		snrDB          float64
		beforeS        float64 // noise alone before the call (0: on from the first sample)
		hold           time.Duration
		upCapDB        float64 // Config.UplinkFloorCapDB
		tuneHz         float64 // 0: the class's, in an uplink band
		minDet, minLab float64 // fraction of the call's 10 ms windows, at least
		maxDet         float64 // and at most
		lostBy         float64 // when maxDet < 1: no window detected after this, s
		keptTo         float64 // and the call detected until this, s
	}{
		{class: "gsm", snrDB: 6, minDet: 0.95, maxDet: 1},
		{class: "gsm", snrDB: 10, minDet: 0.95, minLab: 0.95, maxDet: 1},
		{class: "lte", snrDB: 6, beforeS: 0.1, minDet: 0.95, minLab: 0.95, maxDet: 1},
		{class: "nr", snrDB: 6, beforeS: 0.1, minDet: 0.95, minLab: 0.95, maxDet: 1},
		{class: "lte", snrDB: 3, beforeS: 0.1, maxDet: 0.1, lostBy: 1},
		{class: "lte", snrDB: 6, minDet: 0.95, minLab: 0.95, maxDet: 1},
		{class: "nr", snrDB: 6, minDet: 0.95, minLab: 0.95, maxDet: 1},
		{class: "lte", snrDB: 6, beforeS: 0.1, hold: 300 * time.Millisecond, minDet: 0.95, minLab: 0.95, maxDet: 1},
		// without the uplink cap: FloorCapDB 10 everywhere
		{class: "lte", snrDB: 10, upCapDB: -1, maxDet: 0.1, lostBy: 0.1},
		{class: "lte", snrDB: 15, upCapDB: -1, minDet: 0.95, minLab: 0.95, maxDet: 1},
		{class: "lte", snrDB: 10, beforeS: 0.1, hold: 300 * time.Millisecond, upCapDB: -1, minDet: 0.25, maxDet: 0.4, lostBy: 0.4, keptTo: 0.29},
		// the same carrier in a downlink band (LTE B3 DL) keeps FloorCapDB 10
		{class: "lte", snrDB: 10, tuneHz: 1842.5e6, maxDet: 0.1, lostBy: 0.1},
	} {
		name := fmt.Sprintf("%s/%gdB/before%gs", tc.class, tc.snrDB, tc.beforeS)
		if tc.hold > 0 {
			name += "/hold" + tc.hold.String()
		}
		if tc.upCapDB < 0 {
			name += "/no-uplink-cap"
		}
		if tc.tuneHz > 0 {
			name += fmt.Sprintf("/at%.1fMHz", tc.tuneHz/1e6)
		}
		t.Run(name, func(t *testing.T) {
			c := byName[tc.class]
			c.snrDB, c.lenS, c.before, c.hold, c.seed, c.upCapDB = tc.snrDB, 1, tc.beforeS, tc.hold, 5, tc.upCapDB
			if tc.tuneHz > 0 {
				c.tuneHz = tc.tuneHz
			}
			r := runLongCall(t, c)
			det := float64(r.detected) / float64(r.windows)
			lab := float64(r.labelled) / float64(r.windows)
			t.Logf("%d windows of 10 ms: detected %.3f, labelled %s uplink %.3f, lost after %.2f s (-1: never)",
				r.windows, det, tc.class, lab, r.lost)
			if det < tc.minDet || det > tc.maxDet {
				t.Errorf("detected in %.3f of the call's windows, want %.2f..%.2f", det, tc.minDet, tc.maxDet)
			}
			if lab < tc.minLab {
				t.Errorf("labelled %s uplink in %.3f of the call's windows, want at least %.2f", tc.class, lab, tc.minLab)
			}
			if tc.maxDet < 1 && (r.lost < tc.keptTo || r.lost > tc.lostBy) {
				t.Errorf("last detected %.2f s into the call (-1: to its end), want lost between %.2f and %.2f s", r.lost, tc.keptTo, tc.lostBy)
			}
		})
	}
}

// TestLongCallRefFloor: a carrier that never stops, in a band where the
// band plan cannot call it a handset's (LTE without gaps in B40, TDD; a
// hotspot, a repeater), at 10 dB in its bandwidth: with the reference
// floor (Config.RefFloorOverDB 6, as the sensor runs) it is found for the
// whole call
//
//   - when the sensor restarts in the middle of it with the reference it
//     saved of the quiet band (SeedRefFloors, the sensor's floor file):
//     without that reference it is learnt into the floor from the first
//     sample and lost (today's rfwarden scan of a recording, and a sensor
//     whose file is gone), and a reference saved at another receive gain
//     is not used (lost as well);
//   - when it outlasts FloorHold (300 ms here): the reference learnt
//     before it began keeps the floor under it, where without one it is
//     lost when the hold ends.
//
// Analog FPV video at 5.8 GHz (FM: its power stands in a few bins, so
// it is detected at 6 dB even from the first sample, learnt floor or
// not) on from the first sample after a restart at 6 dB: with the saved
// reference named fpv_analog throughout, without it in about half of
// its 10 ms windows. Noise alone with the reference: nothing.
func TestLongCallRefFloor(t *testing.T) {
	if testing.Short() {
		t.Skip("renders and detects 1 s calls at 10 and 20 Msps")
	}
	byName := map[string]longCall{}
	for _, c := range longCallClasses {
		byName[c.name] = c
	}
	for _, tc := range []struct {
		name                 string
		class                string
		snrDB, beforeS       float64
		hold                 time.Duration
		refOverDB, refQuietS float64
		refGainDB            float64
		minDet, maxDet       float64
		minLab               float64
		maxLab               float64 // 0: 1
	}{
		{name: "restart/saved", class: "lte-b40", snrDB: 10, refOverDB: 6, refQuietS: 0.1, minDet: 0.95, maxDet: 1, minLab: 0.95},
		{name: "restart/no-file", class: "lte-b40", snrDB: 10, refOverDB: 6, maxDet: 0.1},
		{name: "restart/no-reference", class: "lte-b40", snrDB: 10, maxDet: 0.1},
		{name: "restart/saved-at-30dB", class: "lte-b40", snrDB: 10, refOverDB: 6, refQuietS: 0.1, refGainDB: 30, maxDet: 0.1},
		{name: "past-hold/reference", class: "lte-b40", snrDB: 10, beforeS: 0.1, hold: 300 * time.Millisecond, refOverDB: 6, minDet: 0.95, maxDet: 1, minLab: 0.95},
		{name: "past-hold/no-reference", class: "lte-b40", snrDB: 10, beforeS: 0.1, hold: 300 * time.Millisecond, minDet: 0.25, maxDet: 0.4},
		{name: "fpv/restart/saved", class: "fpv", snrDB: 6, refOverDB: 6, refQuietS: 0.05, minDet: 0.95, maxDet: 1, minLab: 0.95},
		{name: "fpv/restart/no-reference", class: "fpv", snrDB: 6, minDet: 0.95, maxDet: 1, maxLab: 0.75},
		{name: "noise/saved", class: "lte-b40", snrDB: -300, refOverDB: 6, refQuietS: 0.1, maxDet: 0.02},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := byName[tc.class]
			c.snrDB, c.lenS, c.before, c.hold, c.seed = tc.snrDB, 1, tc.beforeS, tc.hold, 5
			c.refOverDB, c.refQuietS, c.refGainDB = tc.refOverDB, tc.refQuietS, tc.refGainDB
			r := runLongCall(t, c)
			det := float64(r.detected) / float64(r.windows)
			lab := float64(r.labelled) / float64(r.windows)
			t.Logf("%d windows of 10 ms: detected %.3f, labelled %s %.3f, lost after %.2f s (-1: never)", r.windows, det, c.class, lab, r.lost)
			if det < tc.minDet || det > tc.maxDet {
				t.Errorf("detected in %.3f of the call's windows, want %.2f..%.2f", det, tc.minDet, tc.maxDet)
			}
			if lab < tc.minLab || lab > cmp.Or(tc.maxLab, 1) {
				t.Errorf("labelled %s in %.3f of the call's windows, want %.2f..%.2f", c.class, lab, tc.minLab, cmp.Or(tc.maxLab, 1))
			}
		})
	}
}

// TestLongCallSweep measures, for RFW_LONGCALL_SWEEP (a comma-separated
// list of FloorCapDB values), the fraction of a long call's 10 ms windows
// detected and labelled per class and SNR (RFW_LONGCALL_SNR, default
// 3,6,10,15,20); a measurement run by hand, which docs/detection.md ("Long
// calls") records. RFW_LONGCALL_S is the call's length (default 2 s),
// RFW_LONGCALL_BEFORE_S the noise before it (default 0: on from the first
// sample), RFW_LONGCALL_HOLD the FloorHold (default 5 min) and
// RFW_LONGCALL_UPLINK_CAP the pipeline's UplinkFloorCapDB (default 0:
// DefaultUplinkFloorCapDB; -1: FloorCapDB everywhere, as before it) and
// RFW_LONGCALL_CLASS one class (gsm, lte, nr, lte-b40, nr-n78, fpv)
// alone. An entry "ref:D" of RFW_LONGCALL_SWEEP is the default FloorCapDB
// with a reference floor D dB under the learnt one (Config.RefFloorOverDB);
// RFW_LONGCALL_REF_QUIET_S, when set, is the quiet band (noise alone) a
// pipeline saw before a restart, whose reference seeds the one that meets
// the call (0, the default: the reference is learnt in the run itself):
//
//	RFW_LONGCALL_SWEEP=10,8,6,4 RFW_LONGCALL_S=1 go test -run TestLongCallSweep -v ./sensor/pipeline/
//	RFW_LONGCALL_SWEEP=10,ref:4,ref:6,ref:8 RFW_LONGCALL_REF_QUIET_S=0.1 RFW_LONGCALL_CLASS=fpv RFW_LONGCALL_S=1 go test -run TestLongCallSweep -v ./sensor/pipeline/
func TestLongCallSweep(t *testing.T) {
	env := os.Getenv("RFW_LONGCALL_SWEEP")
	if env == "" {
		t.Skip("RFW_LONGCALL_SWEEP not set")
	}
	type column struct{ capDB, refOverDB float64 }
	var caps []column
	for _, s := range strings.Split(env, ",") {
		ref, isRef := strings.CutPrefix(s, "ref:")
		v, err := strconv.ParseFloat(ref, 64)
		if err != nil {
			t.Fatal(err)
		}
		if isRef {
			caps = append(caps, column{refOverDB: v})
		} else {
			caps = append(caps, column{capDB: v})
		}
	}
	var quiet float64
	if v, err := strconv.ParseFloat(os.Getenv("RFW_LONGCALL_REF_QUIET_S"), 64); err == nil {
		quiet = v
	}
	lenS := 2.0
	if v, err := strconv.ParseFloat(os.Getenv("RFW_LONGCALL_S"), 64); err == nil {
		lenS = v
	}
	before := 0.0
	if v, err := strconv.ParseFloat(os.Getenv("RFW_LONGCALL_BEFORE_S"), 64); err == nil {
		before = v
	}
	var hold time.Duration
	if v, err := time.ParseDuration(os.Getenv("RFW_LONGCALL_HOLD")); err == nil {
		hold = v
	}
	var upCap float64
	if v, err := strconv.ParseFloat(os.Getenv("RFW_LONGCALL_UPLINK_CAP"), 64); err == nil {
		upCap = v
	}
	for _, base := range longCallClasses {
		if o := os.Getenv("RFW_LONGCALL_CLASS"); o != "" && o != base.name {
			continue
		}
		for _, snr := range longCallSNRs() {
			var row []string
			for _, fc := range caps {
				c := base
				c.snrDB, c.floorDB, c.lenS, c.before, c.seed, c.hold, c.upCapDB = snr, fc.capDB, lenS, before, 5, hold, upCap
				name := fmt.Sprintf("cap %g", fc.capDB)
				if fc.refOverDB > 0 {
					c.refOverDB, c.refQuietS = fc.refOverDB, quiet
					name = fmt.Sprintf("ref %g", fc.refOverDB)
				}
				r := runLongCall(t, c)
				row = append(row, fmt.Sprintf("%s: det %.2f lab %.2f lost %.2f", name,
					float64(r.detected)/float64(r.windows), float64(r.labelled)/float64(r.windows), r.lost))
			}
			t.Logf("%s %2.0f dB | %s", base.name, snr, strings.Join(row, " | "))
		}
	}
}

// longCallSNRs returns the SNRs of RFW_LONGCALL_SNR, in dB.
func longCallSNRs() []float64 {
	env := os.Getenv("RFW_LONGCALL_SNR")
	if env == "" {
		return []float64{3, 6, 10, 15, 20}
	}
	var out []float64
	for _, s := range strings.Split(env, ",") {
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			out = append(out, v)
		}
	}
	return out
}
