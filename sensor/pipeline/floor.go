package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// NoiseFloorKey is the SigMF capture key (rfw extension) of the noise
// floor the sensor's detector had learnt at that capture's tuning when it
// saved an evidence snippet: an array of dBFS per detector bin (bin width
// sample rate / array length), lowest frequency first, DC at the middle
// (dsp.Detector.FloorDBFS). A snippet cut at the start of a dwell holds no
// samples before its emission, so a replay's fresh detector would learn
// its floor from the emission itself; SeedFloors gives it this one.
const NoiseFloorKey = "rfw:noise_floor_dbfs"

// minFloorBins and maxFloorBins bound a NoiseFloorKey array: the
// detector's smallest and largest NFFT.
const minFloorBins, maxFloorBins = 16, 1 << 16

// NoiseFloorBinsDBFS appends to dst the per-bin noise floor of the current
// tuning's Detector (dsp.Detector.FloorDBFS: dBFS per bin, lowest
// frequency first) and returns it; dst unchanged before a floor exists.
// The sensor agent saves it with a snippet as NoiseFloorKey.
func (p *Pipeline) NoiseFloorBinsDBFS(dst []float64) []float64 {
	if p.det == nil {
		return dst
	}
	return p.det.FloorDBFS(dst)
}

// SeedFloorDBFS gives the Detector of the tuning (centerHz, rateHz) the
// noise floor floorDBFS (dBFS per bin, lowest frequency first, as
// NoiseFloorBinsDBFS returns it) before the pipeline sees a Block of that
// tuning (dsp.Detector.SeedFloorDBFS): a clip that starts with its
// emission on is then judged against the floor the sensor had. A floor of
// another length than the Detector's FFT is resampled to it (the mean
// power of the bins each of its bins covers, rescaled to its bin width).
// It returns an error, seeding nothing, when the pipeline already has a
// Detector for that tuning or the floor is not usable.
func (p *Pipeline) SeedFloorDBFS(centerHz, rateHz float64, floorDBFS []float64) error {
	if !(rateHz > 0) || math.IsInf(rateHz, 0) {
		return fmt.Errorf("pipeline: seed floor: sample rate %v Hz", rateHz)
	}
	key := tuning{centerHz, rateHz}
	if p.dets[key] != nil {
		return fmt.Errorf("pipeline: seed floor: tuning %.0f Hz at %.0f sps already has a detector", centerHz, rateHz)
	}
	if len(floorDBFS) < minFloorBins || len(floorDBFS) > maxFloorBins {
		return fmt.Errorf("pipeline: seed floor: %d bins, want %d to %d", len(floorDBFS), minFloorBins, maxFloorBins)
	}
	c := p.cfg.Detector
	c.SampleRateHz = rateHz
	det, err := newDSPDetector(c)
	if err != nil {
		return fmt.Errorf("pipeline: seed floor: tuning %.0f Hz at %.0f sps: %w", centerHz, rateHz, err)
	}
	if err := det.SeedFloorDBFS(resampleFloor(floorDBFS, det.Config().NFFT)); err != nil {
		return fmt.Errorf("pipeline: seed floor: tuning %.0f Hz: %w", centerHz, err)
	}
	p.setUplinkFloorCaps(det, centerHz, rateHz)
	if p.dets == nil || len(p.dets) >= MaxTunings {
		p.dets = make(map[tuning]*dsp.Detector)
	}
	p.dets[key] = det
	return nil
}

// resampleFloor returns the m-bin floor src (dBFS per bin) as n bins: each
// the mean power of the source bins its band covers (at least the nearest
// one), scaled by m/n, as white noise's power per bin scales with the bin
// width.
func resampleFloor(src []float64, n int) []float64 {
	m := len(src)
	if m == n {
		return src
	}
	out := make([]float64, n)
	scale := 10 * math.Log10(float64(m)/float64(n))
	for j := range out {
		lo := int(math.Floor(float64(j) * float64(m) / float64(n)))
		hi := int(math.Ceil(float64(j+1) * float64(m) / float64(n)))
		lo, hi = min(max(lo, 0), m-1), min(max(hi, lo+1), m)
		var sum float64
		for _, v := range src[lo:hi] {
			sum += math.Pow(10, v/10)
		}
		out[j] = 10*math.Log10(sum/float64(hi-lo)) + scale
	}
	return out
}

// SeedFloors seeds the pipeline's Detectors (SeedFloorDBFS) from the
// captures of m that carry NoiseFloorKey, the first such capture of each
// tuning (a later one at a tuning whose floor could not seed is not tried
// again), and returns how many tunings it seeded. A capture whose key is
// malformed is skipped and named in the error, which comes with the count
// of the others: a replay goes on without it, learning that tuning's floor
// from its samples as it would without the key. It tries at most
// MaxTunings tunings' floors, usable or not, as many as the pipeline keeps
// Detectors for: a recording naming more (100,000 captures at as many
// frequencies fit its metadata bound) would cost a Detector each and keep
// none; and one whose floors parse but cannot seed (-5000 dBFS is -Inf
// once resampled) cost as much when only the seeded ones counted.
func (p *Pipeline) SeedFloors(m sigmf.Meta) (int, error) {
	rate := m.Global.SampleRateHz
	seeded := 0
	tried := map[tuning]bool{} // each tuning's first floor only, usable or not
	var firstErr error
	for i, c := range m.Captures {
		v, ok := c.Extra[NoiseFloorKey]
		t := tuning{c.FrequencyHz, rate}
		if !ok || tried[t] || p.dets[t] != nil {
			continue
		}
		if len(tried) == MaxTunings {
			return seeded, errors.Join(firstErr, fmt.Errorf("captures[%d].%s: more than %d tunings carry a floor to try: the rest learn theirs from their samples", i, NoiseFloorKey, MaxTunings))
		}
		tried[t] = true
		floor, err := floatArray(v)
		if err == nil {
			err = p.SeedFloorDBFS(c.FrequencyHz, rate, floor)
		}
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("captures[%d].%s: %w", i, NoiseFloorKey, err)
			}
			continue
		}
		seeded++
	}
	return seeded, firstErr
}

// floatArray returns v, a JSON array of numbers as ParseMeta reads it (or
// a []float64 set in memory), as finite float64s.
func floatArray(v any) ([]float64, error) {
	switch a := v.(type) {
	case []float64:
		return a, nil
	case []any:
		if len(a) > maxFloorBins {
			return nil, fmt.Errorf("%d values, more than %d", len(a), maxFloorBins)
		}
		out := make([]float64, len(a))
		for i, e := range a {
			var f float64
			var err error
			switch n := e.(type) {
			case json.Number:
				f, err = n.Float64()
			case float64:
				f = n
			default:
				err = fmt.Errorf("a %T", e)
			}
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("value %d is not a finite number", i)
			}
			out[i] = f
		}
		return out, nil
	}
	return nil, fmt.Errorf("want an array of dBFS per bin, got %T", v)
}
