package agent

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/config"
)

// agcWindow is how many recent blocks of a tuning the AGC looks at for
// clipping (config.AGC.ClipBlocks of them must clip).
const agcWindow = 8

// maxAGCTunings bounds the per-tuning states, like pipeline.MaxTunings;
// beyond it they are forgotten and every tuning starts again at its
// gain-table gain.
const maxAGCTunings = 256

// gainTolDB is how far a block's gain may lie from a gain asked for and
// still be it: a HackRF's VGA has 2 dB steps and rounds an odd request down.
const gainTolDB = 1.5

type agcKey struct{ centerHz, rateHz float64 }

// agcTuning is the AGC's state for one tuning.
type agcTuning struct {
	refDB    float64 // the source's own gain for the tuning: ceiling and normalisation reference
	wantDB   float64 // gain last asked for
	gainDB   float64 // gain of the last block
	clipHist uint8   // the last agcWindow blocks at wantDB, newest in bit 0: 1 = clipping
	low      int     // consecutive blocks with the peak far below full scale
	stale    int     // consecutive blocks whose gain is not yet wantDB
	ignored  bool    // the source kept its gain through a whole window after a change was asked
	band     string
}

// AGC is the agent's automatic gain control, kept per tuning (centre
// frequency and sample rate) because a strong handset next to the node
// clips the 8-bit ADC in its band only.
//
// Each block's clipped fraction and peak level (BlockMeter.Measure) feed the
// tuning's state: when config.AGC.ClipBlocks of the last 8 blocks clip, the
// gain steps down by StepDownDB (to at most MinGainDB); after LowBlocks
// consecutive blocks whose peak stays below LowPeakDBFS it steps up by
// StepUpDB, never above the source's own gain for the tuning (its gain
// table). Config validation keeps LowPeakDBFS+StepUpDB at least 3 dB below
// full scale, so a step up cannot by itself lead to the next step down.
//
// Calibration: Normalise scales each block back to the tuning's reference
// gain (samples by 10^((ref-gain)/20), GainDB = ref), so the detector's
// noise floor, which is learnt in dBFS per tuning, and the power of an
// emission that spans a gain change do not jump; the calibrator then
// subtracts the reference gain from a level that was scaled up by exactly
// the gain taken away. (A calibration table whose offset depends on the gain
// is read at the reference gain.)
//
// Not safe for concurrent use.
type AGC struct {
	cfg     config.AGC
	set     sensor.GainSetter
	tun     map[agcKey]*agcTuning
	changes int64
	norm    []complex64
}

// NewAGC returns an AGC that changes gains through set.
func NewAGC(cfg config.AGC, set sensor.GainSetter) *AGC {
	return &AGC{cfg: cfg, set: set, tun: map[agcKey]*agcTuning{}}
}

// Retuned re-applies the AGC's gain for a tuning the source was just tuned
// to (a Tune resets the source to its gain-table gain).
func (g *AGC) Retuned(centerHz, rateHz float64) error {
	t := g.tun[agcKey{centerHz, rateHz}]
	if t == nil || t.wantDB == t.refDB {
		return nil
	}
	if err := g.set.SetGainDB(t.wantDB); err != nil {
		return fmt.Errorf("agc: gain %.0f dB at %.0f Hz: %w", t.wantDB, centerHz, err)
	}
	return nil
}

// Observe takes the statistics of one block of band and changes the gain
// from the next block when the rules above say so. It returns -1 for a step
// down, +1 for a step up and 0 otherwise.
func (g *AGC) Observe(b sensor.Block, band string, st BlockStats) (int, error) {
	key := agcKey{b.CenterHz, b.SampleRateHz}
	t := g.tun[key]
	if t == nil {
		if len(g.tun) >= maxAGCTunings {
			clear(g.tun)
		}
		t = &agcTuning{refDB: b.GainDB, wantDB: b.GainDB}
		g.tun[key] = t
	}
	if b.GainDB != t.gainDB {
		t.ignored = false // the source changes its gain
	}
	t.gainDB, t.band = b.GainDB, band
	// A source applies the nearest gain it has (the HackRF's 2 dB VGA steps
	// round an odd request down); a block further off is from before the
	// change, and after a window of them the source's gain is taken as it is.
	if math.Abs(b.GainDB-t.wantDB) > gainTolDB {
		if t.stale++; t.stale < agcWindow {
			return 0, nil
		}
		t.wantDB, t.ignored = b.GainDB, true
	}
	t.stale = 0
	var clip uint8
	if st.ClipFraction > g.cfg.ClipFraction {
		clip = 1
	}
	t.clipHist = t.clipHist<<1 | clip
	if st.PeakDBFS < g.cfg.LowPeakDBFS {
		t.low++
	} else {
		t.low = 0
	}
	var want float64
	var dir int
	switch {
	case bits.OnesCount8(t.clipHist) >= g.cfg.ClipBlocks && t.wantDB > g.cfg.MinGainDB:
		want, dir = math.Max(g.cfg.MinGainDB, t.wantDB-g.cfg.StepDownDB), -1
	case t.low >= g.cfg.LowBlocks && t.wantDB < t.refDB:
		want, dir = math.Min(t.refDB, t.wantDB+g.cfg.StepUpDB), +1
	default:
		return 0, nil
	}
	t.clipHist, t.low = 0, 0
	if err := g.set.SetGainDB(want); err != nil {
		return 0, fmt.Errorf("agc: gain %.0f dB at %.0f Hz: %w", want, b.CenterHz, err)
	}
	t.wantDB = want
	g.changes++
	return dir, nil
}

// Curing reports whether clipping in b is the AGC's to cure: it may still
// take gain away in b's tuning (the gain asked for is above MinGainDB, or
// the tuning is new and its gain is), and the source has not kept its
// gain through a whole window after the AGC last asked for another. A
// strong handset beside the node clips a few blocks before the gain comes
// down; only clipping the AGC can do no more about is an overload.
func (g *AGC) Curing(b sensor.Block) bool {
	t := g.tun[agcKey{b.CenterHz, b.SampleRateHz}]
	if t == nil {
		return b.GainDB > g.cfg.MinGainDB
	}
	return t.wantDB > g.cfg.MinGainDB && !t.ignored
}

// Lowered reports whether b was captured at a gain the AGC took below its
// tuning's reference. The thermal floor then lies under the 8-bit
// quantiser (at the reference gain it is about one LSB), so a block's
// floor says nothing about the front end.
func (g *AGC) Lowered(b sensor.Block) bool {
	t := g.tun[agcKey{b.CenterHz, b.SampleRateHz}]
	return t != nil && b.GainDB < t.refDB-gainTolDB
}

// Normalise returns b scaled to its tuning's reference gain (see AGC). A
// block already at it is returned as it is; otherwise the samples are
// written to a buffer of the AGC, valid until the next call.
func (g *AGC) Normalise(b sensor.Block) sensor.Block {
	t := g.tun[agcKey{b.CenterHz, b.SampleRateHz}]
	if t == nil || b.GainDB == t.refDB {
		return b
	}
	if cap(g.norm) < len(b.Samples) {
		g.norm = make([]complex64, len(b.Samples))
	}
	out := g.norm[:len(b.Samples)]
	f := float32(math.Pow(10, (t.refDB-b.GainDB)/20))
	for i, x := range b.Samples {
		out[i] = complex(real(x)*f, imag(x)*f)
	}
	b.Samples, b.GainDB = out, t.refDB
	return b
}

// Gains returns the gain of each band's last block; for a band scanned in
// several tunings, the lowest of them.
func (g *AGC) Gains() map[string]float64 {
	m := make(map[string]float64, len(g.tun))
	for _, t := range g.tun {
		if v, ok := m[t.band]; !ok || t.gainDB < v {
			m[t.band] = t.gainDB
		}
	}
	return m
}

// Changes returns how many gain changes the AGC made.
func (g *AGC) Changes() int64 { return g.changes }
