package eval

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"iter"
	"math"
	"math/rand/v2"

	"github.com/rfwarden/rfwarden/dsp/synth"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
)

// CaseSpec places one class in a generated case: the capture's tuning and
// length, and the synth parameters of the transmission.
type CaseSpec struct {
	Class        string  // event class; selects the synth generator
	Link         string  // the link its band makes it (truth), or ""
	CenterHz     float64 // RF tuning centre of the capture
	SampleRateHz float64
	Samples      int     // capture length
	OffsetHz     float64 // carrier offset from DC
	BandwidthHz  float64 // synth.Params.BandwidthHz (0: class default)
	SCSHz        float64 // synth.Params.SCSHz
	BurstLenS    float64 // synth.Params.BurstLenS (0: class default)
	BurstPeriodS float64 // synth.Params.BurstPeriodS (0: class default)
	HopSpanHz    float64 // synth.Params.HopSpanHz (0: class default)
	TDD          bool    // synth.Params.TDD (LTE)
}

// DefaultSpecs places every class synth supports where a UK prison sensor
// would meet it: phone uplinks in their FDD uplink band (GSM in E-GSM-900,
// UMTS in band 1, LTE in band 3) or NR in n78; Wi-Fi at 5 GHz; Bluetooth,
// DroneID and RC hoppers in 2.4 GHz ISM; drone video and analog FPV at
// 5.8 GHz. Hoppers hop over 16 MHz so every hop lands in the 20 Msps
// capture (drone video, 10 MHz wide, between two channels 10 MHz apart
// in a 30.72 Msps capture), and sparse beacons (Wi-Fi, DroneID) repeat
// faster than their defaults so a short case holds several.
func DefaultSpecs() []CaseSpec {
	return []CaseSpec{
		{Class: event.ClassGSM, Link: event.LinkUplink, CenterHz: 902.4e6, SampleRateHz: 2e6, Samples: 80_000, OffsetHz: 200e3},
		{Class: event.ClassUMTS, Link: event.LinkUplink, CenterHz: 1950e6, SampleRateHz: 15.36e6, Samples: 307_200, OffsetHz: 3e6},
		{Class: event.ClassLTE, Link: event.LinkTDD, CenterHz: 2350e6, SampleRateHz: 15.36e6, Samples: 307_200, OffsetHz: 1e6, BandwidthHz: 5e6, TDD: true},
		{Class: event.ClassNR, Link: event.LinkUplink, CenterHz: 3550e6, SampleRateHz: 30.72e6, Samples: 307_200, OffsetHz: 2e6, BandwidthHz: 20e6, SCSHz: 30e3},
		{Class: event.ClassWiFi, CenterHz: 5200e6, SampleRateHz: 20e6, Samples: 400_000, BurstLenS: 300e-6, BurstPeriodS: 5e-3},
		{Class: event.ClassBluetooth, CenterHz: 2441e6, SampleRateHz: 20e6, Samples: 400_000, HopSpanHz: 16e6},
		{Class: event.ClassDroneID, CenterHz: 2429.5e6, SampleRateHz: 15.36e6, Samples: 307_200, OffsetHz: 1e6, BurstPeriodS: 6e-3},
		{Class: event.ClassDroneVideo, CenterHz: 5760e6, SampleRateHz: 30.72e6, Samples: 614_400, OffsetHz: 2e6, BandwidthHz: 10e6, HopSpanHz: 20e6},
		{Class: event.ClassRCFHSS, CenterHz: 2440e6, SampleRateHz: 20e6, Samples: 400_000, HopSpanHz: 16e6},
		{Class: event.ClassFPVAnalog, CenterHz: 5800e6, SampleRateHz: 20e6, Samples: 400_000, OffsetHz: 2e6},
	}
}

// GenConfig sets up a generated run.
type GenConfig struct {
	Specs       []CaseSpec // default DefaultSpecs()
	SNRsDB      []float64  // SNRs to sweep; default DefaultSNRsDB()
	Cases       int        // cases per class and SNR; default 2
	NoiseCases  int        // pure-noise cases; default 10
	NoiseS      float64    // seconds of each noise case; default 0.1
	Seed        uint64     // seeds every case
	NoArtefacts bool       // leave out every HackRF artefact
	// DCSpike adds the receiver's DC spike to signal cases too (noise cases
	// always have it): a spike inside a bursty signal's band bridges its
	// bursts into one emission, which shows what DC leakage costs.
	DCSpike bool
	// DCSpikeDB is the range the DC spike's power against the capture's
	// mean power is drawn from, dB; default {-20, -5}.
	DCSpikeDB    [2]float64
	NoisePowerFS float64 // white noise power; default synth.DefaultNoisePower
}

// DefaultSNRsDB is -3..21 dB in 3 dB steps.
func DefaultSNRsDB() []float64 { return []float64{-3, 0, 3, 6, 9, 12, 15, 18, 21} }

func (c GenConfig) withDefaults() GenConfig {
	if c.Specs == nil {
		c.Specs = DefaultSpecs()
	}
	if c.SNRsDB == nil {
		c.SNRsDB = DefaultSNRsDB()
	}
	if c.Cases == 0 {
		c.Cases = 2
	}
	if c.NoiseCases == 0 {
		c.NoiseCases = 10
	}
	if c.NoiseS == 0 {
		c.NoiseS = 0.1
	}
	if c.DCSpikeDB == [2]float64{} {
		c.DCSpikeDB = [2]float64{-20, -5}
	}
	if c.NoisePowerFS == 0 {
		c.NoisePowerFS = synth.DefaultNoisePower
	}
	return c
}

// Case is one generated capture: a class at an SNR, or pure noise (Spec.Class "").
type Case struct {
	Name  string
	Spec  CaseSpec
	SNRDB float64 // NaN for noise
	Seed  uint64
	Noise bool
	Index int // the case's position in the plan
}

// ErrTooManyCases is returned by NumPlanned when the plan's length does not
// fit in an int.
var ErrTooManyCases = errors.New("too many generated cases")

// NumPlanned returns the number of cases Planned yields: every spec at
// every SNR, Cases times, plus NoiseCases.
func (c GenConfig) NumPlanned() (int, error) {
	c = c.withDefaults()
	per := len(c.Specs) * len(c.SNRsDB)
	signal, noise := max(c.Cases, 0), max(c.NoiseCases, 0)
	if per > 0 && signal > (math.MaxInt-noise)/per {
		return 0, fmt.Errorf("%d cases of %d classes at %d SNRs and %d noise cases: %w",
			signal, len(c.Specs), len(c.SNRsDB), noise, ErrTooManyCases)
	}
	return per*signal + noise, nil
}

// Planned yields the cases of c in run order, one at a time, so that memory
// does not grow with the number of cases: every spec at every SNR, Cases
// times, then the noise cases, each at the tuning of the next spec in turn.
// A case's seed follows from c.Seed and its name (class, SNR, number), so
// planning fewer classes or SNRs leaves the remaining cases unchanged.
// Negative counts plan none of that kind.
func (c GenConfig) Planned() iter.Seq[Case] {
	c = c.withDefaults()
	return func(yield func(Case) bool) {
		index := 0
		emit := func(k Case) bool {
			k.Index = index
			index++
			// seeded by name, not position, so a subset of classes or SNRs renders the same cases
			h := fnv.New64a()
			h.Write([]byte(k.Name))
			k.Seed = c.Seed*1_000_003 ^ h.Sum64()
			return yield(k)
		}
		for _, s := range c.Specs {
			for _, snr := range c.SNRsDB {
				for i := range max(c.Cases, 0) {
					if !emit(Case{Name: fmt.Sprintf("%s@%gdB#%d", s.Class, snr, i), Spec: s, SNRDB: snr}) {
						return
					}
				}
			}
		}
		for i := range max(c.NoiseCases, 0) {
			// noise in each class's tuning in turn: the band plan decides what a classifier may claim
			s := c.Specs[i%len(c.Specs)]
			noise := CaseSpec{CenterHz: s.CenterHz, SampleRateHz: s.SampleRateHz, Samples: int(c.NoiseS * s.SampleRateHz)}
			if !emit(Case{Name: fmt.Sprintf("noise@%.1fMHz#%d", s.CenterHz/1e6, i), Spec: noise, SNRDB: math.NaN(), Noise: true}) {
				return
			}
		}
	}
}

// Render draws case k with the noise and artefacts of c: white noise of
// power c.NoisePowerFS, the transmission starting 2..6 ms in (seeded), and
// HackRF artefacts with seeded strengths: IQ gain and phase imbalance up to
// 0.5 dB and 3°, 8-bit quantisation and, on noise cases (on signal cases
// too when c.DCSpike), a DC spike drawn from c.DCSpikeDB against the mean
// power (the wing simulator uses -10). c.NoArtefacts leaves all of them
// out. The truth is in RF Hz; a noise case's truth is one noise window over
// the whole capture.
func Render(k Case, c GenConfig) ([]complex64, []Truth, error) {
	c = c.withDefaults()
	s := k.Spec
	if s.SampleRateHz <= 0 || s.Samples <= 0 {
		return nil, nil, fmt.Errorf("case %s: sample rate %v Hz, %d samples", k.Name, s.SampleRateHz, s.Samples)
	}
	rng := rand.New(rand.NewPCG(k.Seed, 0x6576616c))
	iq := make([]complex64, s.Samples)
	synth.Noise(iq, rng, c.NoisePowerFS)
	var truth []Truth
	if k.Noise {
		truth = append(truth, Truth{Kind: KindNoise, Label: "noise", SampleCount: int64(s.Samples),
			FreqLowHz: s.CenterHz - s.SampleRateHz/2, FreqHighHz: s.CenterHz + s.SampleRateHz/2, SNRDB: math.NaN()})
	} else {
		gen, ok := synth.Generators()[s.Class]
		if !ok {
			return nil, nil, fmt.Errorf("case %s: synth has no generator for class %q", k.Name, s.Class)
		}
		start := int((2e-3 + 4e-3*rng.Float64()) * s.SampleRateHz)
		p := synth.Params{SampleRateHz: s.SampleRateHz, OffsetHz: s.OffsetHz, SNRDB: k.SNRDB,
			StartSample: start, Seed: k.Seed, NoisePower: c.NoisePowerFS, BandwidthHz: s.BandwidthHz, SCSHz: s.SCSHz,
			BurstLenS: s.BurstLenS, BurstPeriodS: s.BurstPeriodS, HopSpanHz: s.HopSpanHz, TDD: s.TDD}
		for _, tr := range gen(iq, p) {
			lo := max(tr.StartSample, 0)
			hi := min(tr.StartSample+tr.SampleCount, s.Samples)
			if hi <= lo {
				continue
			}
			truth = append(truth, Truth{Class: s.Class, Link: s.Link, Kind: KindTarget, Label: s.Class,
				StartSample: int64(lo), SampleCount: int64(hi - lo),
				FreqLowHz: s.CenterHz + max(tr.FreqLowHz, -s.SampleRateHz/2), FreqHighHz: s.CenterHz + min(tr.FreqHighHz, s.SampleRateHz/2),
				SNRDB: k.SNRDB})
		}
	}
	// draw every strength whether used or not, so a flag does not change the noise of later cases
	lo, hi := c.DCSpikeDB[0], c.DCSpikeDB[1]
	spikeDB, gainDB, phaseDeg := lo+(hi-lo)*rng.Float64(), 0.5*rng.Float64(), 3*rng.Float64()
	if !c.NoArtefacts {
		a := synth.Artefacts{SampleRateHz: s.SampleRateHz, IQGainImbalanceDB: gainDB, IQPhaseDeg: phaseDeg, Quantise8Bit: true}
		if k.Noise || c.DCSpike {
			a.DCSpikeDB = spikeDB
		}
		synth.Apply(iq, a, rng)
	}
	return iq, truth, nil
}

// CaseResult is one scored generated case.
type CaseResult struct {
	Case    Case
	Truth   []Truth
	Dets    []Detection
	Matched Matched
}

// RunCase renders, scans and scores one case.
func RunCase(ctx context.Context, k Case, c GenConfig, cfg pipeline.Config) (CaseResult, error) {
	c = c.withDefaults()
	iq, truth, err := Render(k, c)
	if err != nil {
		return CaseResult{}, err
	}
	res, err := ScanSamples(ctx, iq, k.Spec.CenterHz, k.Spec.SampleRateHz, cfg)
	if err != nil {
		return CaseResult{}, fmt.Errorf("case %s: %w", k.Name, err)
	}
	out := CaseResult{Case: k, Truth: truth}
	for _, r := range res {
		out.Dets = append(out.Dets, DetectionOf(r))
	}
	out.Matched = MatchIn(truth, out.Dets, [][2]float64{{k.Spec.CenterHz - k.Spec.SampleRateHz/2, k.Spec.CenterHz + k.Spec.SampleRateHz/2}})
	return out, nil
}

// RunGenerated runs every case of c.Planned() and tallies them. step, when
// not nil, is called after each case. When ctx ends first, it returns the
// tally of the cases done before the one it was running, with a
// *RunInterruptedError naming that case; any other error returns a nil
// tally.
func RunGenerated(ctx context.Context, c GenConfig, cfg pipeline.Config, step func(CaseResult)) (*Tally, error) {
	c = c.withDefaults()
	t := NewTally()
	for k := range c.Planned() {
		r, err := RunCase(ctx, k, c, cfg)
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				n, _ := c.NumPlanned()
				return t, &RunInterruptedError{At: "case " + k.Name, Done: t.runs, Of: n, Err: cerr}
			}
			return nil, err
		}
		t.Add("", r.Matched, k.Spec.SampleRateHz)
		if step != nil {
			step(r)
		}
	}
	return t, nil
}
