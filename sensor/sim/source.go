package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/rfwarden/rfwarden/dsp/synth"
	"github.com/rfwarden/rfwarden/firmware/hackrf"
	"github.com/rfwarden/rfwarden/sensor"
)

// Calibration of the simulated HackRF: at total receive gain GainDB, a
// signal of FullScaleDBm(GainDB) at the antenna has mean power 1 (0 dBFS):
//
//	PowerDBm = dBFS + FullScaleDBm(GainDB) = dBFS + RefFullScaleDBm - GainDB
const RefFullScaleDBm = -5.0

// FullScaleDBm returns the antenna power that reads 0 dBFS at gainDB.
func FullScaleDBm(gainDB float64) float64 { return RefFullScaleDBm - gainDB }

// SourceOptions configure a simulated sensor's IQ stream. Zero values take
// the defaults shown.
type SourceOptions struct {
	CenterHz     float64 // default 2437e6
	SampleRateHz float64 // default 10e6; at most 20e6 (HackRF)
	BlockSamples int     // default 65536
	// GainDB is the total receive gain. Zero picks it per tuning so that
	// the thermal floor sits near -42 dBFS (AutoGainDB), about 0.7 LSB rms
	// per I or Q sample of the 8-bit ADC: 43 dB at 10 Msps, 50 dB at 2 Msps.
	GainDB float64
	// GainTable, when set, gives the total receive gain of a tuning (a
	// node config's gains: table, config.Config.GainDB); ok false leaves
	// that tuning at GainDB (or AutoGainDB). Its gain is split as a
	// HackRF splits it (hackrf.SplitGain), so it may apply up to 1 dB less.
	GainTable func(centerHz float64) (gainDB float64, ok bool)
	Seed      uint64 // noise seed; default the wing's seed
	// Start is the simulated time of the first sample; default the wing's Start.
	Start time.Time
	// NoArtefacts turns off the HackRF artefacts (DC spike, IQ imbalance,
	// 8-bit quantisation) that are otherwise applied.
	NoArtefacts bool
}

// Tamper levels.
const (
	CutAntennaSignalDB = -40.0 // signals with the antenna removed
	CutAntennaNoiseDB  = -10.0 // the noise floor collapses to the receiver's own
	JamNoiseDB         = 30.0  // broadband noise rise while jammed
)

// Source is a simulated sensor: it implements sensor.Source and
// sensor.Tuner. Its clock starts at the wing's Start and advances with the
// samples it produces. Not safe for concurrent use.
type Source struct {
	w        *Wing
	s        SensorInfo
	opts     SourceOptions
	centerHz float64
	rateHz   float64
	gainDB   float64
	next     int64     // index of the next sample since the source opened
	t0       time.Time // time of sample index 0 of the current tuning
	idx0     int64     // sample index at which the current tuning began
	retuned  bool
	cut, jam bool
	dcPhase  float64 // phase of the LO leakage, drawn at each tuning
	closed   bool
	buf      []complex64
	rng      *rand.Rand
	gauss    []complex64 // unit-power complex Gaussian table
	gens     map[string]synth.Generator
	truth    []BurstTruth
}

// BurstTruth is the ground truth of one burst (or run of back-to-back
// bursts) within one block: absolute stream sample indices and RF edges.
type BurstTruth struct {
	EmitterID   string
	Class       string
	SampleStart int64 // index in the source's stream
	SampleCount int64
	FreqLowHz   float64
	FreqHighHz  float64
	PowerDBm    float64 // received power while on
}

var (
	_ sensor.Source     = (*Source)(nil)
	_ sensor.Tuner      = (*Source)(nil)
	_ sensor.GainSetter = (*Source)(nil)
)

// ErrClosed is returned by Next after Close.
var ErrClosed = errors.New("sim: source closed")

// NewSource returns the IQ source of sensorID, or an error for an unknown
// sensor, a tuning a HackRF cannot do or a start outside the simulated
// clock (CheckTime).
func (w *Wing) NewSource(sensorID string, opts SourceOptions) (*Source, error) {
	s, ok := w.sensor(sensorID)
	if !ok {
		return nil, fmt.Errorf("sim: unknown sensor %q", sensorID)
	}
	if opts.CenterHz == 0 {
		opts.CenterHz = 2437e6
	}
	if opts.SampleRateHz == 0 {
		opts.SampleRateHz = 10e6
	}
	if opts.BlockSamples <= 0 {
		opts.BlockSamples = 1 << 16
	}
	if opts.Seed == 0 {
		opts.Seed = w.Seed
	}
	if opts.Start.IsZero() {
		opts.Start = w.Start
	}
	if err := CheckTime(opts.Start); err != nil {
		return nil, fmt.Errorf("sim: start: %w", err)
	}
	src := &Source{w: w, s: s, opts: opts, t0: opts.Start.UTC(), retuned: true,
		rng:  rand.New(rand.NewPCG(mix64(opts.Seed, "noise", sensorID), 1)),
		gens: synth.Generators()}
	if err := src.Tune(opts.CenterHz, opts.SampleRateHz); err != nil {
		return nil, err
	}
	src.retuned = true
	src.gauss = make([]complex64, 1<<16)
	synth.Noise(src.gauss, src.rng, 1)
	return src, nil
}

// The HackRF's limits (firmware/hackrf), which Tune enforces and
// sensor/config checks a node config against.
const (
	MinCenterHz     = hackrf.MinCenterHz
	MaxCenterHz     = hackrf.MaxCenterHz
	MinSampleRateHz = hackrf.MinSampleRateHz
	MaxSampleRateHz = hackrf.MaxSampleRateHz
)

// Tune retunes the source from the next block (HackRF limits: 1 MHz..6 GHz,
// 2..20 Msps) at the gain SourceOptions.GainTable gives the tuning, else
// SourceOptions.GainDB, else AutoGainDB.
func (s *Source) Tune(centerHz, sampleRateHz float64) error {
	if !(centerHz >= MinCenterHz && centerHz <= MaxCenterHz) {
		return fmt.Errorf("sim: tune: centre %v Hz outside 1 MHz..6 GHz", centerHz)
	}
	if !(sampleRateHz >= MinSampleRateHz && sampleRateHz <= MaxSampleRateHz) {
		return fmt.Errorf("sim: tune: sample rate %v outside 2..20 Msps", sampleRateHz)
	}
	s.t0 = s.timeAt(s.next)
	s.idx0 = s.next
	s.centerHz, s.rateHz = centerHz, sampleRateHz
	s.gainDB = s.opts.GainDB
	if s.gainDB == 0 {
		s.gainDB = AutoGainDB(sampleRateHz)
	}
	if s.opts.GainTable != nil {
		if g, ok := s.opts.GainTable(centerHz); ok {
			lna, vga := hackrf.SplitGain(g)
			s.gainDB = float64(lna + vga)
		}
	}
	s.retuned = true
	s.dcPhase = 2 * math.Pi * s.rng.Float64()
	return nil
}

// DCLeakDB is the power of the simulated LO leakage (the HackRF's DC spike)
// relative to the thermal noise power of the capture: a constant offset
// for a tuning and gain, whatever the signals in a block. (dsp/synth's
// DCSpikeDB is relative to a block's mean power, with a new phase per
// block: a 200 µs Wi-Fi beacon at 30 dB over the floor then lifted the
// spike of its 6.5 ms block by 15 dB, and the detector reported the step
// as a 9.5 MHz emission at DC lasting the whole block.)
const DCLeakDB = -10

// AutoGainDB is the gain a Source uses at sampleRateHz when
// SourceOptions.GainDB is zero: thermal noise over the sample rate at about
// -42 dBFS, rounded to whole dB.
func AutoGainDB(sampleRateHz float64) float64 {
	noiseDBm := NoiseDBmPerMHz + 10*math.Log10(sampleRateHz/1e6)
	return math.Round(RefFullScaleDBm - noiseDBm - 42)
}

// GainDB returns the receive gain of the current tuning.
func (s *Source) GainDB() float64 { return s.gainDB }

// SetGainDB sets the total receive gain of the current tuning from the next
// block, as a HackRF would: split into LNA and VGA steps by
// hackrf.SplitGain, so the gain applied (GainDB, Block.GainDB) may be up to
// 1 dB below the request. The signal scales with the gain and, unless
// NoArtefacts is set, clips at the 8-bit ADC's full scale. Tune goes back to
// the tuning's gain (SourceOptions.GainTable, GainDB or AutoGainDB).
func (s *Source) SetGainDB(totalDB float64) error {
	if math.IsNaN(totalDB) {
		return fmt.Errorf("sim: gain %v dB", totalDB)
	}
	lna, vga := hackrf.SplitGain(totalDB)
	s.gainDB = float64(lna + vga)
	return nil
}

// timeAt is the capture time of sample index i.
func (s *Source) timeAt(i int64) time.Time {
	if s.rateHz == 0 {
		return s.t0
	}
	return s.t0.Add(time.Duration(float64(i-s.idx0) / s.rateHz * float64(time.Second)))
}

// Truth returns the ground truth of the bursts in the block last returned
// by Next, clipped to it. It is valid until the next call to Next.
func (s *Source) Truth() []BurstTruth { return s.truth }

// CutAntenna simulates removing the antenna (tamper) from the next block.
func (s *Source) CutAntenna(on bool) { s.cut = on }

// Jam adds broadband noise JamNoiseDB above the floor from the next block.
func (s *Source) Jam(on bool) { s.jam = on }

// Time returns the simulated time of the next sample.
func (s *Source) Time() time.Time { return s.timeAt(s.next) }

// SkipTo moves the simulated clock forward to t without rendering the
// samples in between, as a receiver that was busy elsewhere would miss them.
// Sample indices stay contiguous; only the capture time jumps. A t at or
// before Time is ignored. The demo uses it to keep a sensor that cannot render
// in real time on the shared simulated clock.
func (s *Source) SkipTo(t time.Time) {
	if !t.After(s.Time()) {
		return
	}
	s.t0 = t
	s.idx0 = s.next
}

// Close ends the source.
func (s *Source) Close() error { s.closed = true; return nil }

// Next returns the next block of samples.
func (s *Source) Next(ctx context.Context) (sensor.Block, error) {
	if err := ctx.Err(); err != nil {
		return sensor.Block{}, err
	}
	if s.closed {
		return sensor.Block{}, ErrClosed
	}
	n := s.opts.BlockSamples
	if cap(s.buf) < n {
		s.buf = make([]complex64, n)
	}
	x := s.buf[:n]
	t := s.timeAt(s.next)
	s.truth = s.truth[:0]
	s.render(x, t)
	b := sensor.Block{Samples: x, CenterHz: s.centerHz, SampleRateHz: s.rateHz, GainDB: s.gainDB,
		FirstSample: s.next, Time: t, Device: "sim", Retuned: s.retuned}
	s.retuned = false
	s.next += int64(n)
	return b, nil
}

// render fills x with what the sensor hears from t on.
func (s *Source) render(x []complex64, t time.Time) {
	fs := s.rateHz
	full := FullScaleDBm(s.gainDB)
	noiseDBm := NoiseDBmPerMHz + 10*math.Log10(fs/1e6)
	if s.cut {
		noiseDBm += CutAntennaNoiseDB
	}
	if s.jam {
		noiseDBm += JamNoiseDB
	}
	s.noise(x, math.Pow(10, (noiseDBm-full)/10))
	dur := time.Duration(float64(len(x)) / fs * float64(time.Second))
	mid := t.Add(dur / 2)
	for i, e := range s.w.emit {
		half := e.BandwidthHz/2 + e.HopSpanHz/2
		if e.CenterHz+half < s.centerHz-fs/2 || e.CenterHz-half > s.centerHz+fs/2 {
			continue
		}
		gen := s.gens[e.Class]
		if gen == nil {
			continue
		}
		for _, ss := range s.w.sessions(i, t, t.Add(dur)) {
			rx := s.w.rxDBm(e, posAt(e, ss, mid), s.s)
			if s.cut {
				rx += CutAntennaSignalDB
			}
			p := synth.Params{
				SampleRateHz: fs, OffsetHz: e.CenterHz - s.centerHz,
				PowerFS:         math.Pow(10, (rx-full)/10),
				StartSample:     int(math.Round(ss.Start.Sub(t).Seconds() * fs)),
				DurationSamples: int(math.Round(ss.End.Sub(ss.Start).Seconds() * fs)),
				Seed:            mix64(s.w.Seed, "wave", e.ID) + uint64(ss.Index),
				BandwidthHz:     bandwidthParam(e), SCSHz: e.SCSHz, TDD: e.TDD,
				BurstLenS: e.BurstLenS, BurstPeriodS: e.BurstPeriodS, HopSpanHz: e.HopSpanHz,
			}
			if e.HopSpanHz == 0 && (e.Class == "bluetooth" || e.Class == "rc_fhss") {
				p.HopSpanHz = 1
			}
			for _, tr := range gen(x, p) {
				st, en := max(tr.StartSample, 0), min(tr.StartSample+tr.SampleCount, len(x))
				if en <= st {
					continue
				}
				s.truth = append(s.truth, BurstTruth{EmitterID: e.ID, Class: e.Class, SampleStart: s.next + int64(st),
					SampleCount: int64(en - st), FreqLowHz: s.centerHz + tr.FreqLowHz, FreqHighHz: s.centerHz + tr.FreqHighHz, PowerDBm: rx})
			}
		}
	}
	if !s.opts.NoArtefacts {
		// LO leakage against the thermal floor of this sample rate (not
		// raised by a cut antenna or a jammer), then IQ imbalance and the
		// 8-bit ADC.
		leakDBm := NoiseDBmPerMHz + 10*math.Log10(fs/1e6) + DCLeakDB
		amp := math.Sqrt(math.Pow(10, (leakDBm-full)/10))
		sn, cs := math.Sincos(s.dcPhase)
		dc := complex64(complex(amp*cs, amp*sn))
		for i := range x {
			x[i] += dc
		}
		synth.Apply(x, synth.Artefacts{SampleRateHz: fs, IQGainImbalanceDB: 0.2, IQPhaseDeg: 2, Quantise8Bit: true}, s.rng)
	}
}

// bandwidthParam maps an emitter's occupied bandwidth to the channel
// bandwidth dsp/synth expects.
func bandwidthParam(e Emitter) float64 {
	switch e.Class {
	case "lte":
		for _, ch := range []float64{1.4e6, 3e6, 5e6, 10e6, 15e6, 20e6} {
			if e.BandwidthHz <= ch*0.91 {
				return ch
			}
		}
		return 20e6
	case "nr":
		for _, ch := range []float64{5e6, 10e6, 15e6, 20e6, 40e6, 50e6, 100e6} {
			if e.BandwidthHz <= ch*0.95 {
				return ch
			}
		}
		return 100e6
	case "wifi":
		if e.BandwidthHz > 20e6 {
			return 40e6
		}
		return 20e6
	case "drone_video":
		return e.BandwidthHz / 0.9
	}
	return e.BandwidthHz
}

// noise adds complex Gaussian noise of the given power, drawn from a fixed
// table at a random start and odd stride (cheap, and no repeat within 65536).
func (s *Source) noise(x []complex64, power float64) {
	g := float32(math.Sqrt(power))
	mask := len(s.gauss) - 1
	off := s.rng.IntN(len(s.gauss))
	stride := 2*s.rng.IntN(len(s.gauss)/2) + 1
	for i := range x {
		x[i] = s.gauss[(off+i*stride)&mask] * complex(g, 0)
	}
}
