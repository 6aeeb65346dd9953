package hackrfsrc

import (
	"fmt"
	"math"
	"time"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/firmware/hackrf"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/config"
)

// DefaultGainDB is the total receive gain of a tuning that no gain-table row
// covers.
const DefaultGainDB = 40

// Options configure either HackRF source. Zero values take the defaults shown.
type Options struct {
	CenterHz     float64 // first tuning; default 2437e6
	SampleRateHz float64 // default 10e6 (2..20e6)
	BlockSamples int     // default 65536
	// BasebandFilterHz is the baseband filter bandwidth; 0 lets it follow
	// the sample rate (0.75 of it, rounded down to a filter the MAX2837 has,
	// as hackrf_transfer does).
	BasebandFilterHz float64
	// GainDB gives the total receive gain for a tuning (a node's gain
	// table); nil means DefaultGainDB. It is split into the HackRF's LNA and
	// VGA gains by hackrf.SplitGain.
	GainDB func(centerHz float64) float64
	Now    func() time.Time // default time.Now
	// QueueBuffers is how many USB buffers (256 KiB each) DeviceSource lets
	// wait for the reader before dropping; default 16.
	QueueBuffers int
}

// OptionsFromConfig returns the options a node config gives a HackRF source:
// its sample rate and its gain table (DefaultGainDB where no row applies).
func OptionsFromConfig(cfg config.Config) Options {
	return Options{
		SampleRateHz: cfg.Source.SampleRateHz,
		GainDB: func(centerHz float64) float64 {
			if g, ok := cfg.GainDB(centerHz); ok {
				return g
			}
			return DefaultGainDB
		},
	}
}

func (o Options) withDefaults() Options {
	if o.CenterHz == 0 {
		o.CenterHz = 2437e6
	}
	if o.SampleRateHz == 0 {
		o.SampleRateHz = 10e6
	}
	if o.BlockSamples <= 0 {
		o.BlockSamples = 65536
	}
	if o.GainDB == nil {
		o.GainDB = func(float64) float64 { return DefaultGainDB }
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.QueueBuffers <= 0 {
		o.QueueBuffers = 16
	}
	return o
}

// checkTuning reports a tuning a HackRF One cannot do.
func checkTuning(centerHz, sampleRateHz float64) error {
	if !(centerHz >= 1e6 && centerHz <= 6e9) {
		return fmt.Errorf("hackrf: tune: centre %v Hz outside 1 MHz..6 GHz", centerHz)
	}
	if !(sampleRateHz >= 2e6 && sampleRateHz <= 20e6) {
		return fmt.Errorf("hackrf: tune: sample rate %v outside 2..20 Msps", sampleRateHz)
	}
	return nil
}

// receiver is what both sources keep: the wanted tuning and gain, and the
// sample clock that numbers and stamps Blocks.
type receiver struct {
	opt              Options
	centerHz, rateHz float64
	lnaDB, vgaDB     int       // the wanted gain, split
	next             int64     // absolute index of the next sample
	t0               time.Time // capture time of sample idx0
	idx0             int64
	// minOff is the least offset of the host clock from the sample
	// clock (see discipline) over the blocks of the current window, which
	// has run winSamples samples.
	minOff     time.Duration
	winSamples int64
	// anchorNext: the next block's end is taken as captured when it is
	// read (a new hackrf_transfer stream, see anchorAtFirstBlock).
	anchorNext bool
	retuned    bool
	raw        []byte
	buf        []complex64
}

func newReceiver(opt Options) receiver {
	opt = opt.withDefaults()
	r := receiver{opt: opt, centerHz: opt.CenterHz, rateHz: opt.SampleRateHz, retuned: true}
	r.lnaDB, r.vgaDB = hackrf.SplitGain(opt.GainDB(opt.CenterHz))
	return r
}

// tune sets the wanted tuning and resets the gain to the gain table's.
func (r *receiver) tune(centerHz, sampleRateHz float64) error {
	if err := checkTuning(centerHz, sampleRateHz); err != nil {
		return err
	}
	r.centerHz, r.rateHz = centerHz, sampleRateHz
	r.lnaDB, r.vgaDB = hackrf.SplitGain(r.opt.GainDB(centerHz))
	r.retuned = true
	return nil
}

// setGain sets the wanted total gain; it reports whether the split changed.
func (r *receiver) setGain(totalDB float64) (bool, error) {
	if math.IsNaN(totalDB) {
		return false, fmt.Errorf("hackrf: gain %v dB", totalDB)
	}
	l, v := hackrf.SplitGain(totalDB)
	changed := l != r.lnaDB || v != r.vgaDB
	r.lnaDB, r.vgaDB = l, v
	return changed, nil
}

// filterHz is the baseband filter bandwidth to ask for.
func (r *receiver) filterHz() float64 {
	if r.opt.BasebandFilterHz > 0 {
		return r.opt.BasebandFilterHz
	}
	return 0.75 * r.rateHz
}

// restartClock makes sample r.next captured at t.
func (r *receiver) restartClock(t time.Time) {
	r.t0, r.idx0 = t.UTC(), r.next
	r.resetWindow()
}

// anchorAtFirstBlock starts the sample clock at the next block instead:
// its last sample is taken as captured when the block has been read. A
// new stream whose first samples come long after it was asked for
// (hackrf_transfer opens the board first, hundreds of milliseconds) has
// no queue yet, so that is the better anchor.
func (r *receiver) anchorAtFirstBlock() {
	r.anchorNext = true
	r.resetWindow()
}

// ClockBound is how far the sample clock (the stream's start time plus the
// samples counted) may stray from the host clock before a source
// re-anchors it (receiver.discipline). It is well inside fusion's 500 ms
// association window and sensor-clock bound of 250 ms, and wider than the
// jitter of a prompt USB read, so a steady stream is re-anchored only by a
// step of the host clock (NTP) or by the crystal's error adding up (a
// HackRF's ±20 ppm takes 80 minutes or more to reach it).
const ClockBound = 100 * time.Millisecond

// clockWindow is the span of samples over which discipline takes the
// least lag of the host clock behind the sample clock: the reads with the
// least USB buffering in it.
const clockWindow = 2 * time.Second

// sampleTime is the capture time of sample idx by the sample clock.
func (r *receiver) sampleTime(idx int64) time.Time {
	return r.t0.Add(time.Duration(float64(idx-r.idx0) / r.rateHz * float64(time.Second)))
}

func (r *receiver) resetWindow() { r.minOff, r.winSamples = time.Duration(math.MaxInt64), 0 }

// discipline keeps the sample clock on the host clock. A block of n
// samples, dropped lost before it, was read in full at now, so its last
// sample was captured at or before now: a sample clock that puts it later
// than now by more than ClockBound is ahead (the host clock was stepped
// back, or the crystal runs fast) and is put back at once, to now. A read
// can come late (USB buffers queued while the reader was busy), so one
// late read says little; but when even the most prompt read of a window
// of clockWindow (not counting those after an overrun, when the queue was
// full) lags the sample clock by more than ClockBound, the sample clock is
// behind (the host clock was stepped forward, or the crystal runs slow)
// and is moved forward by that least lag. It returns the step made (0:
// none), which takes effect from this block: times stay monotonic within
// it, and the pipeline ends the emissions in flight at a step (a time gap),
// so none spans two clocks.
func (r *receiver) discipline(now time.Time, n, dropped int64) time.Duration {
	off := now.Sub(r.sampleTime(r.next + n))
	var step time.Duration
	switch {
	case off < -ClockBound:
		step = off
	case dropped == 0:
		r.minOff = min(r.minOff, off)
	}
	if step == 0 {
		r.winSamples += n + dropped
		if float64(r.winSamples) < clockWindow.Seconds()*r.rateHz {
			return 0
		}
		if r.minOff > ClockBound && r.minOff != time.Duration(math.MaxInt64) {
			step = r.minOff
		}
		r.resetWindow()
		if step == 0 {
			return 0
		}
	}
	r.t0, r.idx0 = r.sampleTime(r.next).Add(step), r.next
	r.resetWindow()
	return step
}

// skip advances the sample clock over n samples that were captured but not
// delivered (dropped or thrown away).
func (r *receiver) skip(n int64) { r.next += n }

// rawBuf returns the byte buffer for one block of ci8 samples.
func (r *receiver) rawBuf() []byte {
	n := r.opt.BlockSamples
	if cap(r.raw) < 2*n {
		r.raw = make([]byte, 2*n)
		r.buf = make([]complex64, n)
	}
	return r.raw[:2*n]
}

// block converts the filled rawBuf into the next Block, first keeping the
// sample clock on the host clock (discipline).
func (r *receiver) block(dropped int64) sensor.Block {
	n := r.opt.BlockSamples
	var step time.Duration
	if now := r.opt.Now(); r.anchorNext {
		r.t0, r.idx0 = now.UTC().Add(-time.Duration(float64(n)/r.rateHz*float64(time.Second))), r.next
		r.anchorNext = false
	} else {
		step = r.discipline(now, int64(n), dropped)
	}
	b := sensor.Block{
		Samples:      dsp.FromCI8(r.buf[:n], r.raw[:2*n]),
		CenterHz:     r.centerHz,
		SampleRateHz: r.rateHz,
		GainDB:       float64(r.lnaDB + r.vgaDB),
		FirstSample:  r.next,
		Time:         r.sampleTime(r.next),
		Device:       "hackrf",
		Dropped:      dropped,
		ClockStep:    step,
		Retuned:      r.retuned,
	}
	r.retuned = false
	r.next += int64(n)
	return b
}
