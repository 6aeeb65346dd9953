package pipeline

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// DefaultRefFloorRiseDBPerHour is Config.RefFloorRiseDBPerHour's default:
// a drone hovering over the yard for half an hour raises a reference floor
// by at most 0.5 dB; a new base station's carrier is absorbed in a day.
const DefaultRefFloorRiseDBPerHour = 1

// MaxRefFloors bounds the reference floors a Pipeline keeps (one per
// tuning and receive gain); a new one beyond it replaces another.
const MaxRefFloors = 4 * MaxTunings

// RefFloor is the reference noise floor of a tuning at a receive gain
// (Config.RefFloorOverDB): the quiet band as the sensor has known it,
// dBFS per detector bin (bin width SampleRateHz/len(FloorDBFS)), lowest
// frequency first, DC at the middle (dsp.Detector.FloorDBFS).
type RefFloor struct {
	CenterHz     float64
	SampleRateHz float64
	GainDB       float64
	FloorDBFS    []float64
}

// refKey identifies a reference floor: a tuning and a receive gain, since
// a change of gain moves every dBFS.
type refKey struct{ centerHz, rateHz, gainDB float64 }

// refFloor is a reference floor being kept: nil dbfs until the first
// floor of its tuning at its gain, or the seed (SeedRefFloors); pending
// is the stream time since it was last moved, negative while the
// Detector's floor still holds blocks of another gain (useRef).
type refFloor struct {
	dbfs    []float64
	pending time.Duration
}

// refUpdateEvery is how much of a tuning's stream time passes between
// moves of its reference: the floor it follows changes once per
// FloorBlockFrames frames, and moving it at every Block (FloorDBFS and
// SetFloorReferenceDBFS: a logarithm and a power per bin) cost 7% of
// Process on 65536-sample blocks at 20 Msps (BenchmarkProcessRefFloor).
const refUpdateEvery = 25 * time.Millisecond

// useRef makes the reference of the current tuning at gainDB the one the
// Detector is bounded by (dsp.Detector.SetFloorReferenceDBFS), and seeds a
// Detector that has seen no samples with it: an emitter on from the
// tuning's first sample after a restart is judged against the band as the
// sensor knew it instead of being learnt as floor. regain is a change of
// gain on the same Detector: its floor is the minimum over a history
// (FloorBlocks·FloorBlockFrames·NFFT samples) learnt at the old gain, so
// the reference is not moved by it until a history at gainDB has passed
// (a new gain's reference learnt at once would be the old gain's band,
// too low by the step up, and it only rises by RefFloorRiseDBPerHour).
func (p *Pipeline) useRef(gainDB float64, regain bool) {
	k := refKey{p.centerHz, p.rateHz, gainDB}
	r := p.refs[k]
	if r == nil {
		if p.refs == nil {
			p.refs = make(map[refKey]*refFloor)
		}
		if len(p.refs) >= MaxRefFloors {
			for old := range p.refs { // any one: the bound is for a misconfigured plan
				delete(p.refs, old)
				break
			}
		}
		r = &refFloor{}
		p.refs[k] = r
	}
	p.ref, p.refGainDB = r, gainDB
	if regain {
		c := p.det.Config()
		r.pending = -sampleDur(int64(c.FloorBlocks)*int64(c.FloorBlockFrames)*int64(c.NFFT), p.rateHz)
	}
	if r.dbfs == nil {
		_ = p.det.SetFloorReferenceDBFS(nil, 0)
		return
	}
	n := p.det.Config().NFFT
	if len(r.dbfs) != n {
		r.dbfs = slices.Clone(resampleFloor(r.dbfs, n))
	}
	_ = p.det.SeedFloorDBFS(r.dbfs) // refused once the Detector has samples: it keeps its own
	if err := p.det.SetFloorReferenceDBFS(r.dbfs, p.cfg.RefFloorOverDB); err != nil {
		r.dbfs = nil // not finite once resampled: learnt anew
		_ = p.det.SetFloorReferenceDBFS(nil, 0)
	}
}

// updateRef moves the current reference by dsp.RefFloor, once per
// refUpdateEvery of the tuning's stream time (the first time as soon as
// the Detector has a floor, or a floor history after a change of gain,
// useRef), and gives it to the Detector; n is the samples of the Block
// just processed.
func (p *Pipeline) updateRef(n int) {
	r := p.ref
	r.pending += sampleDur(int64(n), p.rateHz)
	if r.pending < 0 || r.dbfs != nil && r.pending < refUpdateEvery {
		return
	}
	fl := p.det.FloorDBFS(p.floorBuf[:0])
	p.floorBuf = fl
	if len(fl) == 0 {
		return
	}
	busy := p.det.FloorBusy(p.busyBuf[:0])
	p.busyBuf = busy
	r.dbfs = p.refRule.Update(r.dbfs, r.dbfs, fl, busy, r.pending)
	r.pending = 0
	_ = p.det.SetFloorReferenceDBFS(r.dbfs, p.cfg.RefFloorOverDB) // NFFT finite values (FloorDBFS's)
}

// KeepsRefFloors reports whether the Pipeline keeps reference floors
// (Config.RefFloorOverDB positive): whether RefFloors can return any and
// SeedRefFloors takes them.
func (p *Pipeline) KeepsRefFloors() bool { return p.cfg.RefFloorOverDB > 0 }

// RefFloors returns a copy of the reference floors the Pipeline has
// learnt or been given (Config.RefFloorOverDB), ordered by centre, sample
// rate and gain; none when the reference is off. The sensor agent saves
// them across restarts.
func (p *Pipeline) RefFloors() []RefFloor {
	var out []RefFloor
	for k, r := range p.refs {
		if r.dbfs != nil {
			out = append(out, RefFloor{CenterHz: k.centerHz, SampleRateHz: k.rateHz, GainDB: k.gainDB, FloorDBFS: slices.Clone(r.dbfs)})
		}
	}
	slices.SortFunc(out, func(a, b RefFloor) int {
		return cmp.Or(cmp.Compare(a.CenterHz, b.CenterHz), cmp.Compare(a.SampleRateHz, b.SampleRateHz), cmp.Compare(a.GainDB, b.GainDB))
	})
	return out
}

// SeedRefFloors gives the Pipeline reference floors kept from an earlier
// run (RefFloors), before it sees Blocks of their tunings: a tuning's
// first Block at a seeded gain starts its Detector from the reference
// (dsp.Detector.SeedFloorDBFS) and bounds its floor by it from the first
// sample. It does nothing when the reference is off (Config.RefFloorOverDB
// not positive) and skips, naming each in the error, a floor whose tuning
// or values are not usable (a sample rate not positive, a centre or gain
// not finite, fewer than 16 or more than 65536 bins, a value not finite)
// or whose tuning and gain already have a reference; the others are kept.
func (p *Pipeline) SeedRefFloors(refs []RefFloor) error {
	if !p.KeepsRefFloors() {
		return nil
	}
	var errs []error
	for i, r := range refs {
		if err := CheckRefFloor(r); err != nil {
			errs = append(errs, fmt.Errorf("pipeline: reference floor %d: %w", i, err))
			continue
		}
		k := refKey{r.CenterHz, r.SampleRateHz, r.GainDB}
		if p.refs[k] != nil {
			errs = append(errs, fmt.Errorf("pipeline: reference floor %d: %.0f Hz at %.0f sps and %g dB: already has one", i, r.CenterHz, r.SampleRateHz, r.GainDB))
			continue
		}
		if len(p.refs) >= MaxRefFloors {
			errs = append(errs, fmt.Errorf("pipeline: reference floor %d: more than %d", i, MaxRefFloors))
			break
		}
		if p.refs == nil {
			p.refs = make(map[refKey]*refFloor)
		}
		p.refs[k] = &refFloor{dbfs: slices.Clone(r.FloorDBFS)}
	}
	return errors.Join(errs...)
}

// CheckRefFloor reports what makes r unusable as a reference floor
// (SeedRefFloors skips such a one).
func CheckRefFloor(r RefFloor) error {
	switch {
	case !(r.SampleRateHz > 0) || math.IsInf(r.SampleRateHz, 0):
		return fmt.Errorf("sample rate %v Hz", r.SampleRateHz)
	case math.IsNaN(r.CenterHz) || math.IsInf(r.CenterHz, 0):
		return fmt.Errorf("centre %v Hz", r.CenterHz)
	case math.IsNaN(r.GainDB) || math.IsInf(r.GainDB, 0):
		return fmt.Errorf("gain %v dB", r.GainDB)
	case len(r.FloorDBFS) < minFloorBins || len(r.FloorDBFS) > maxFloorBins:
		return fmt.Errorf("%d bins, want %d to %d", len(r.FloorDBFS), minFloorBins, maxFloorBins)
	}
	for i, v := range r.FloorDBFS {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < -400 || v > 100 {
			return fmt.Errorf("bin %d is %v dBFS, want a finite value from -400 to 100", i, v)
		}
	}
	return nil
}
