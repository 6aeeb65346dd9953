package pipeline

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/dsp/synth"
	"github.com/rfwarden/rfwarden/internal/benchcpu"
	"github.com/rfwarden/rfwarden/sensor"
)

// droneIDScene renders DroneID bursts on the two channels of the real
// Mavic Air 2 recording (50 Msps at 2457.5 MHz): one from −2.5 to +6.5 MHz,
// across DC (its image at −f lands on its own band and beside it), and one
// 12.5 MHz under DC (its image a band of its own on the other side), at
// snrDB in their 9 MHz, every 1.4 ms on each channel, 0.7 ms apart, over
// white noise, then the receiver's IQ imbalance (synth.Artefacts). It
// returns the samples and the bursts' truth.
func droneIDScene(seed uint64, fs float64, n int, snrDB, gainDB, phaseDeg float64) ([]complex64, []synth.Truth) {
	x := make([]complex64, n)
	synth.Noise(x, rand.New(rand.NewPCG(seed, 11)), synth.DefaultNoisePower)
	var truth []synth.Truth
	for i, off := range []float64{2e6, -12.5e6} {
		truth = append(truth, synth.DroneID(x, synth.Params{SampleRateHz: fs, OffsetHz: off, SNRDB: snrDB, Seed: seed*10 + uint64(i),
			BurstPeriodS: 1.4e-3, StartSample: int(fs * (0.3e-3 + 0.7e-3*float64(i)))})...)
	}
	synth.Apply(x, synth.Artefacts{IQGainImbalanceDB: gainDB, IQPhaseDeg: phaseDeg}, nil)
	return x, truth
}

// scanScene runs x through a pipeline as scan does (every emission
// classified) in 65536-sample blocks.
func scanScene(t *testing.T, x []complex64, fs, tune float64, keepIQ bool) []Result {
	t.Helper()
	p := New(Config{Classifier: DefaultClassifier(), KeepIQImbalance: keepIQ})
	return runAll(t, p, blocks(x, 65536, tune, fs, time.Unix(0, 0), 0))
}

// droneIDScore counts the truth bursts named droneid by a result that
// overlaps them in time and reports their band: centred within 1 MHz of
// the burst's centre and no wider than 11 MHz (99% power; DroneID's is 9).
// A result that also holds the other channel, or an image, is not that.
// Images found on their own and named anything count as phantoms (named
// results on no burst's band).
func droneIDScore(res []Result, truth []synth.Truth, tune float64) (named, phantoms int) {
	inTime := func(r Result, tr synth.Truth) bool {
		return r.Em.StartSample < int64(tr.StartSample+tr.SampleCount) && int64(tr.StartSample) < r.Em.EndSample()
	}
	for _, tr := range truth {
		centre := tune + (tr.FreqLowHz+tr.FreqHighHz)/2
		for _, r := range res {
			if r.Label.Class == "droneid" && inTime(r, tr) && math.Abs(r.CenterHz-centre) <= 1e6 && r.BandwidthHz <= 11e6 {
				named++
				break
			}
		}
	}
	for _, r := range res {
		if r.Label.Class == Unknown.Class {
			continue
		}
		hit := false
		for _, tr := range truth {
			hit = hit || inTime(r, tr) && r.FreqLowHz < tune+tr.FreqHighHz && tune+tr.FreqLowHz < r.FreqHighHz
		}
		if !hit {
			phantoms++
		}
	}
	return named, phantoms
}

// TestIQImbalanceDroneID: a HackRF's IQ imbalance (1 dB and 3°, image 24
// dB under the signal) or a worse receiver's (2 dB and 5°, 18 dB) must not
// cost DroneID bursts their name or their band, nor make a class of their
// images, at 26 and 30 dB in their 9 MHz, over ten seeds (three under
// -short). Without the correction (Config.KeepIQImbalance, as on main
// before it) the image of each burst stands 2–12 dB over the floor: the
// image of the channel on DC widens its band past DroneID's 10.5 MHz, and
// the images join both channels into one emission (the real recording's
// `iq-1dB-3deg` cell, docs/evaluation.md): at 30 dB 16 of 80 bursts were
// named with their band at 1 dB and 3°, 8 at 2 dB and 5°; at 26 dB all 80
// and 40, but 10 and 8 images were named too. On balanced input the
// correction must change nothing. (At 34 dB synth's two channels merge
// even balanced, 12 of 80 named either way: its OFDM has no spectral
// shaping; not this test's matter.)
func TestIQImbalanceDroneID(t *testing.T) {
	const (
		fs, tune = 50e6, 2457.5e6
		n        = 1 << 18 // 5.2 ms: four bursts on each channel
	)
	seeds := uint64(10)
	if testing.Short() {
		seeds = 3
	}
	for _, im := range []struct{ snrDB, gainDB, phaseDeg float64 }{{26, 0, 0}, {30, 0, 0}, {26, 1, 3}, {30, 1, 3}, {26, 2, 5}, {30, 2, 5}} {
		t.Run(fmt.Sprintf("%gdB/%gdB_%gdeg", im.snrDB, im.gainDB, im.phaseDeg), func(t *testing.T) {
			var named, bursts, phantoms, namedRaw, phantomsRaw int
			for seed := uint64(1); seed <= seeds; seed++ {
				x, truth := droneIDScene(seed, fs, n, im.snrDB, im.gainDB, im.phaseDeg)
				fixed := scanScene(t, x, fs, tune, false)
				nm, ph := droneIDScore(fixed, truth, tune)
				raw := scanScene(t, x, fs, tune, true)
				nmRaw, phRaw := droneIDScore(raw, truth, tune)
				named, bursts, phantoms, namedRaw, phantomsRaw = named+nm, bursts+len(truth), phantoms+ph, namedRaw+nmRaw, phantomsRaw+phRaw
				if nm < len(truth) || ph > 0 {
					t.Errorf("seed %d: %d of %d bursts named droneid, %d named emissions on no burst", seed, nm, len(truth), ph)
				}
				if im.gainDB == 0 && (nm != nmRaw || ph != phRaw) {
					t.Errorf("seed %d, balanced: corrected %d named and %d on no burst, as received %d and %d", seed, nm, ph, nmRaw, phRaw)
				}
			}
			t.Logf("corrected: %d of %d bursts named droneid, %d named emissions on no burst; as received: %d, %d",
				named, bursts, phantoms, namedRaw, phantomsRaw)
		})
	}
}

// BenchmarkProcessIQCorrection: what the IQ imbalance correction costs
// Process per 65536-sample block of a 20 Msps stream (the sensor's blocks:
// noise with a HackRF's 1 dB and 3°, no classifier), in CPU time of the
// one locked thread: two pipelines, one correcting and one not
// (KeepIQImbalance), take each block in turn, so a loaded machine slows
// both alike. core-ns/sample is Process without the correction,
// iq-ns/sample what the correction adds, iq/core their ratio.
func BenchmarkProcessIQCorrection(b *testing.B) {
	const fs, n = 20e6, 65536
	x := make([]complex64, 32*n)
	synth.Noise(x, rand.New(rand.NewPCG(1, 2)), synth.DefaultNoisePower)
	synth.Apply(x, synth.Artefacts{IQGainImbalanceDB: 1, IQPhaseDeg: 3}, nil)
	benchAddedCost(b, x, n, fs, 0, New(Config{}), New(Config{KeepIQImbalance: true}), "iq")
}

// benchAddedCost measures what pipeline on costs Process over pipeline
// off, per n-sample block of x (looped) at fs and gainDB, in CPU time of
// the one locked thread: the two take each block in turn, so a loaded
// machine slows both alike. It reports core-ns/sample (off's Process),
// name-ns/sample (what on adds) and name/core (their ratio).
func benchAddedCost(b *testing.B, x []complex64, n int, fs, gainDB float64, on, off *Pipeline, name string) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var res []Result
	var first int64
	var tOn, tOff time.Duration
	process := func(p *Pipeline, blk sensor.Block) time.Duration {
		t0 := benchcpu.Thread()
		var err error
		if res, err = p.Process(blk, res[:0]); err != nil {
			b.Fatal(err)
		}
		return benchcpu.Thread() - t0
	}
	b.ReportAllocs()
	b.SetBytes(8 * int64(n))
	for b.Loop() {
		blk := sensor.Block{Samples: x[first%int64(len(x)):][:n], CenterHz: 2.44e9, SampleRateHz: fs, FirstSample: first, GainDB: gainDB}
		tOn += process(on, blk)
		tOff += process(off, blk)
		first += int64(n)
	}
	samples := float64(b.N) * float64(n)
	b.ReportMetric(float64(tOff.Nanoseconds())/samples, "core-ns/sample")
	b.ReportMetric(float64((tOn-tOff).Nanoseconds())/samples, name+"-ns/sample")
	b.ReportMetric(float64(tOn-tOff)/float64(tOff), name+"/core")
}

// imageDB returns how far the image of a tone at +fHz lies under it in x:
// the power of x's DFT at +fHz over that at −fHz.
func imageDB(x []complex64, fHz, fs float64) float64 {
	var p, m complex128
	for i, v := range x {
		s, c := math.Sincos(2 * math.Pi * fHz / fs * float64(i))
		p += complex128(v) * complex(c, -s)
		m += complex128(v) * complex(c, s)
	}
	return 20 * math.Log10(cmplx.Abs(p)/cmplx.Abs(m))
}

// TestClassifierSeesCorrectedIQ: what the Detector, the classifier and the
// ring (evidence snippets) get is the stream with its IQ imbalance undone,
// in the pipeline's own memory: a tone 2 MHz off DC, 41 dB over the noise
// in one of the detector's 78 kHz bins, its image 24 dB under it in the
// Block (1 dB, 3°), is one emission whose IQ reaches the classifier with
// the image more than 40 dB under it (72 dB measured), and the Block's
// samples, the Source's, are left as they were. With KeepIQImbalance the
// classifier gets the Block's samples, and the image at −2 MHz, 17 dB over
// the bin's noise, is an emission of its own.
func TestClassifierSeesCorrectedIQ(t *testing.T) {
	const fs, fc, f = 10e6, 2440e6, 2e6
	x := noisyBurst(1, 400000, 200000, 250000, fs, f, 0.01)
	synth.Apply(x, synth.Artefacts{IQGainImbalanceDB: 1, IQPhaseDeg: 3}, nil)
	orig := slices.Clone(x)
	for _, keep := range []bool{false, true} {
		seen := map[int64][]complex64{}
		p := New(Config{KeepIQImbalance: keep, Classifier: ClassifierFunc(func(in ClassifierInput) Label {
			seen[in.Em.StartSample] = slices.Clone(in.IQ)
			return Unknown
		})})
		res := runAll(t, p, blocks(x, 30000, fc, fs, time.Unix(0, 0), 0))
		var tone []Result
		for _, r := range res {
			if math.Abs(r.CenterHz-(fc+f)) < 100e3 {
				tone = append(tone, r)
			}
		}
		if len(tone) != 1 {
			t.Fatalf("keep %v: %d emissions at the tone, want 1 (results %+v)", keep, len(tone), res)
		}
		if want := map[bool]int{false: 1, true: 2}[keep]; len(res) != want {
			t.Errorf("keep %v: %d emissions, want %d", keep, len(res), want)
		}
		r := tone[0]
		iq := seen[r.Em.StartSample]
		got := imageDB(iq, f, fs)
		ring, _ := p.IQ(nil, r.Em.StartSample, r.Em.EndSample())
		t.Logf("keep %v: %d emissions; image %.1f dB under the tone (Block: %.1f dB)", keep, len(res), got, imageDB(x[200000:250000], f, fs))
		switch {
		case !keep && got < 40:
			t.Errorf("classifier's IQ: image %.1f dB under the tone, want > 40 (corrected)", got)
		case keep && !slices.Equal(iq, x[r.Em.StartSample:r.Em.EndSample()]):
			t.Errorf("KeepIQImbalance: the classifier's IQ is not the Block's samples")
		}
		if !slices.Equal(ring, iq) {
			t.Errorf("keep %v: the ring's IQ differs from the classifier's", keep)
		}
		if !slices.Equal(x, orig) {
			t.Fatalf("keep %v: Process changed the Block's samples", keep)
		}
	}
}

// TestIQCorrectionPerTuning: each tuning keeps its own statistics, as it
// keeps its Detector: a sensor that comes back to a tuning corrects a
// block too short to estimate from (under MinIQSamples) with what it
// learnt there before, not with another tuning's; a NaN sample leaves its
// block uncorrected and the statistics start again; and an estimate past
// MaxIQGainDB (a real-valued signal: Q is noise 30 dB under I) is left
// uncorrected.
func TestIQCorrectionPerTuning(t *testing.T) {
	const fs, n = 10e6, 1 << 16
	rng := rand.New(rand.NewPCG(4, 4))
	noise := func(gainDB, phaseDeg float64, n int) []complex64 {
		x := make([]complex64, n)
		synth.Noise(x, rng, 1e-3)
		synth.Apply(x, synth.Artefacts{IQGainImbalanceDB: gainDB, IQPhaseDeg: phaseDeg}, nil)
		return x
	}
	p := New(Config{})
	feed := func(fc float64, x []complex64, first int64) []complex64 {
		t.Helper()
		if _, err := p.Process(sensor.Block{Samples: x, CenterHz: fc, SampleRateHz: fs, FirstSample: first}, nil); err != nil {
			t.Fatal(err)
		}
		out, _ := p.IQ(nil, first, first+int64(len(x)))
		return out
	}
	feed(1e9, noise(2, 5, n), 0) // tuning A: 2 dB, 5°
	feed(2e9, noise(0, 0, n), 0) // tuning B: balanced
	short := noise(2, 5, 1000)   // back at A, 1000 samples
	got := dsp.EstimateIQImbalance(feed(1e9, short, n))
	if math.Abs(got.GainDB()) > 0.5 || math.Abs(got.PhaseDeg()) > 2 {
		t.Errorf("short block back at tuning A: %.2f dB %.2f° left, want it corrected with A's estimate (2 dB, 5° before)", got.GainDB(), got.PhaseDeg())
	}
	// A fresh tuning, short block: too little to estimate, left as it is.
	if out := feed(3e9, short, 0); !slices.Equal(out, short) {
		t.Errorf("%d samples at a new tuning corrected, want them as they are (MinIQSamples %d)", len(short), MinIQSamples)
	}
	// A NaN sample (a damaged float recording) passes, and the tuning's
	// statistics start again after it instead of staying NaN for good.
	bad := noise(2, 5, n)
	bad[100] = complex(float32(math.NaN()), 0)
	if out := feed(5e9, bad, 0); !slices.Equal(out[101:], bad[101:]) {
		t.Errorf("a block with a NaN sample corrected, want it as it is")
	}
	if got := dsp.EstimateIQImbalance(feed(5e9, noise(2, 5, n), n)); math.Abs(got.GainDB()) > 0.5 || math.Abs(got.PhaseDeg()) > 2 {
		t.Errorf("the block after a NaN: %.2f dB %.2f° left, want it corrected", got.GainDB(), got.PhaseDeg())
	}
	realValued := make([]complex64, n)
	for i := range realValued {
		realValued[i] = complex(float32(rng.NormFloat64()), float32(0.03*rng.NormFloat64()))
	}
	if out := feed(4e9, realValued, 0); !slices.Equal(out, realValued) {
		t.Errorf("a real-valued signal (Q 30 dB under I) corrected, want it left as it is (past MaxIQGainDB)")
	}
}

// TestIQFrequencyDependentImageCostsNoLabel: a HackRF's imbalance is not
// flat across a 20 MHz capture; the pipeline's correction is. With 1 dB
// and a phase of 3° at −10 MHz rising to 6° at +10 MHz (synth's IQSkewS;
// the flat estimate takes 4.5°, and leaves a tone's image 38.5–39 dB
// under it at ±9 MHz, 43.5 dB at ±5 MHz: dsp's
// TestIQFrequencyDependentResidual), an emission near the capture's upper
// edge, 40 and 50 dB over the noise in its band (a 5 MHz LTE uplink at
// +7 MHz, a 5 MHz NR uplink at +6 MHz, a GSM carrier at +8.6 MHz), must
// give the pipeline nothing more on the mirror side (under −1 MHz), named
// or unknown, than a flat 1 dB/4.5° receiver does, and the emission its
// name: the residual image, at most 12 dB over the noise in the band at
// 50 dB, costs no label, so the correction stays flat. Balanced input is
// logged for reference (the GSM carrier at 45 dB and more puts named
// detections at −10 to −9.3 MHz with or without any imbalance: its
// spectrum past +10 MHz folds there, not an image).
func TestIQFrequencyDependentImageCostsNoLabel(t *testing.T) {
	const fs, tune, n = 20e6, 1747.5e6, 1 << 19
	seeds := uint64(3)
	if testing.Short() {
		seeds = 1
	}
	type count struct{ mirrorNamed, mirrorUnknown, named int }
	scene := func(gen synth.Generator, p synth.Params, seed uint64, art synth.Artefacts) count {
		x := make([]complex64, n)
		synth.Noise(x, rand.New(rand.NewPCG(seed, 11)), synth.DefaultNoisePower)
		p.SampleRateHz, p.Seed = fs, seed
		gen(x, p)
		art.SampleRateHz = fs
		synth.Apply(x, art, nil)
		var c count
		for _, r := range scanScene(t, x, fs, tune, false) {
			switch {
			case r.FreqHighHz < tune-1e6 && r.Label.Class == Unknown.Class:
				c.mirrorUnknown++
			case r.FreqHighHz < tune-1e6:
				c.mirrorNamed++
			case r.Label.Class != Unknown.Class && r.FreqLowHz <= tune+p.OffsetHz && tune+p.OffsetHz <= r.FreqHighHz:
				c.named++
			}
		}
		return c
	}
	flat := synth.Artefacts{IQGainImbalanceDB: 1, IQPhaseDeg: 4.5}
	skewed := flat
	skewed.IQSkewS = -1.5 / (360 * 10e6) // 3° at −10 MHz, 6° at +10 MHz
	for _, em := range []struct {
		name string
		gen  synth.Generator
		p    synth.Params
	}{
		{"lte 5 MHz at +7 MHz", synth.LTE, synth.Params{OffsetHz: 7e6, BandwidthHz: 5e6}},
		{"nr 5 MHz at +6 MHz", synth.NR, synth.Params{OffsetHz: 6e6, BandwidthHz: 5e6}},
		{"gsm at +8.6 MHz", synth.GSM, synth.Params{OffsetHz: 8.6e6}},
	} {
		for _, snr := range []float64{40, 50} {
			t.Run(fmt.Sprintf("%s/%gdB", em.name, snr), func(t *testing.T) {
				p := em.p
				p.SNRDB = snr
				for seed := uint64(1); seed <= seeds; seed++ {
					bal, fl, sk := scene(em.gen, p, seed, synth.Artefacts{}), scene(em.gen, p, seed, flat), scene(em.gen, p, seed, skewed)
					t.Logf("seed %d: balanced %+v, flat %+v, frequency-dependent %+v", seed, bal, fl, sk)
					if sk.mirrorNamed > fl.mirrorNamed || sk.mirrorUnknown > fl.mirrorUnknown {
						t.Errorf("seed %d: on the mirror side %d named and %d unknown with the frequency-dependent imbalance, %d and %d with the flat one",
							seed, sk.mirrorNamed, sk.mirrorUnknown, fl.mirrorNamed, fl.mirrorUnknown)
					}
					if sk.named == 0 {
						t.Errorf("seed %d: the emission was not named", seed)
					}
				}
			})
		}
	}
}
