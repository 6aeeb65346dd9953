package dsp

import (
	"fmt"
	"math"
	"time"
)

// RefFloor updates a reference noise floor: per bin, in dBFS, the quiet
// band as a receiver has known it at one tuning and gain, kept for hours
// (and, by the sensor, across restarts) where a Detector's learnt floor
// (minimum statistics over FloorBlocks blocks, 13 ms at 10 Msps) forgets
// the band within milliseconds. It falls at once to a lower learnt floor
// and rises at most RiseDBPerHour dB per hour of stream time, and only in
// bins that are not busy (held by the Detector or under an emission it
// has open, Detector.FloorBusy):
//
//	ref'[i] = floor[i]                                   if floor[i] ≤ ref[i]
//	ref'[i] = ref[i]                                     if busy[i]
//	ref'[i] = min(floor[i], ref[i] + RiseDBPerHour·dt/1h) otherwise
//
// So a carrier that was not there when the reference was learnt (a phone
// used as a hotspot, analog drone video, a repeater) can raise it by at
// most RiseDBPerHour·its duration, and not at all while it is detected;
// a new base station's carrier (a downlink that never stops) is absorbed
// over hours. A Detector given the reference (SetFloorReferenceDBFS)
// keeps its learnt floor within a few dB of it. A RefFloor holds no state
// but its rate; the caller keeps the reference.
type RefFloor struct {
	riseDBPerS float64
}

// NewRefFloor returns a RefFloor whose reference rises at most
// riseDBPerHour dB per hour of stream time (1 to 2 suits a sensor: a
// drone hovering half an hour raises it by under 1 dB). It returns an
// error for a rate that is negative or not finite.
func NewRefFloor(riseDBPerHour float64) (RefFloor, error) {
	if !(riseDBPerHour >= 0) || math.IsInf(riseDBPerHour, 0) {
		return RefFloor{}, fmt.Errorf("dsp: reference floor: rise %v dB per hour, want a finite value ≥ 0", riseDBPerHour)
	}
	return RefFloor{riseDBPerS: riseDBPerHour / 3600}, nil
}

// RiseDBPerHour returns the rate the reference rises at, dB per hour.
func (r RefFloor) RiseDBPerHour() float64 { return r.riseDBPerS * 3600 }

// Update writes to dst the reference ref after dt of stream time in which
// the learnt floor became floorDBFS (dBFS per bin, as
// Detector.FloorDBFS), busy reporting the bins that must not rise (nil:
// none), by the rule in RefFloor's comment, and returns dst; nil dst
// allocates, and dst may be ref. A nil ref starts the reference at
// floorDBFS. A negative dt counts as 0. It panics, with a "dsp:" prefix,
// when ref, busy or dst is not nil and has another length than floorDBFS.
func (r RefFloor) Update(dst, ref, floorDBFS []float64, busy []bool, dt time.Duration) []float64 {
	n := len(floorDBFS)
	if ref != nil && len(ref) != n || busy != nil && len(busy) != n || dst != nil && len(dst) != n {
		panic(fmt.Sprintf("dsp: reference floor: lengths ref %d, busy %d, dst %d, want floor's %d", len(ref), len(busy), len(dst), n))
	}
	if dst == nil {
		dst = make([]float64, n)
	}
	if ref == nil {
		copy(dst, floorDBFS)
		return dst
	}
	rise := r.riseDBPerS * max(0, dt.Seconds())
	for i, f := range floorDBFS {
		v := ref[i]
		switch {
		case f <= v || math.IsNaN(v):
			v = f
		case busy != nil && busy[i]:
		default:
			v = min(f, v+rise)
		}
		dst[i] = v
	}
	return dst
}

// SetFloorReferenceDBFS bounds each bin's learnt floor by a reference
// floor (refDBFS, dBFS per bin, NFFT values as FloorDBFS, from RefFloor):
// bin i's floor is at most
//
//	refDBFS[i] + overDB + shiftDB,  shiftDB = P10 over the central 80% of the band of (floor[j] − refDBFS[j])
//
// so it can rise no more than overDB over the band as the reference knew
// it, while the band as a whole (a change of gain, a warmer LNA, a
// jammer over it all) moves the bound with it: only what stands out of
// the band where the reference was quiet is bounded, as FloorCapDB bounds
// it over the band's 10th percentile but from the quiet band instead of
// the band now. A gap-free emitter that the floor learns (on from the
// first sample, or past FloorHold) is then found some 5 dB over
// reference + overDB. nil refDBFS removes the bound. It applies at the
// next floor update (every FloorBlockFrames frames), after the caps, and
// is kept by Reset, not by Fresh. It returns an error, changing nothing,
// when refDBFS does not have NFFT values, when one is not finite, or when
// overDB is negative or not finite.
func (d *Detector) SetFloorReferenceDBFS(refDBFS []float64, overDB float64) error {
	if refDBFS == nil {
		d.refLin = nil
		return nil
	}
	if len(refDBFS) != d.n {
		return fmt.Errorf("dsp: floor reference: %d bins, want NFFT %d", len(refDBFS), d.n)
	}
	if !(overDB >= 0) || math.IsInf(overDB, 0) {
		return fmt.Errorf("dsp: floor reference: %v dB over it, want a finite value ≥ 0", overDB)
	}
	for i, v := range refDBFS {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("dsp: floor reference: bin %d is %v dBFS, not finite", i, v)
		}
	}
	if d.refLin == nil {
		d.refLin = make([]float64, d.n)
	}
	for i, v := range refDBFS {
		d.refLin[i] = math.Pow(10, v/10)
	}
	d.refOver = math.Pow(10, overDB/10)
	d.refAge = 0
	return nil
}

// refShiftEvery is how many floor updates the band's shift over the
// reference (the 10th percentile of floor/reference) is kept for before
// it is measured again: a quickselect over the band at every update cost
// 7% of Process on noise at 20 Msps. The shift is also measured at once
// for the first floor (after NewDetector, Reset or SeedFloorDBFS), for a
// new reference (SetFloorReferenceDBFS) and when the oldest group of the
// floor's history rolls out (endBlock): that is the only update at which
// the minimum over the history can rise band-wide (a louder band, a gain
// the pipeline did not report), and a stale shift there would bound the
// new floor by the old band's for up to refShiftEvery−1 updates. Between
// those, the floor only falls or moves in a few bins (a hold ending),
// which a shift kept for a few updates bounds as well.
const refShiftEvery = 8

// ceilFloor bounds the floor by the reference (SetFloorReferenceDBFS).
func (d *Detector) ceilFloor() {
	if d.refLin == nil {
		return
	}
	if d.refAge == 0 || !d.floorOK {
		lo, hi := d.n/10, d.n-d.n/10
		s := d.scratch[:0]
		for i := lo; i < hi; i++ {
			s = append(s, d.floor[i]/d.refLin[i])
		}
		d.refK = d.refOver * quickSelect(s, len(s)/10)
	}
	d.refAge = (d.refAge + 1) % refShiftEvery
	k := d.refK
	for i, v := range d.floor {
		if c := d.refLin[i] * k; v > c {
			d.floor[i] = c
		}
	}
}

// FloorBusy appends to dst, for each bin (NFFT values, as FloorDBFS),
// whether its floor is busy: held (FloorHold) or under an emission the
// Detector has open or claimed in the current floor block. A reference
// floor must not rise there (RefFloor.Update).
func (d *Detector) FloorBusy(dst []bool) []bool {
	k := len(dst)
	for i := range d.n {
		dst = append(dst, d.claim[i] != 0 || d.holding(i))
	}
	b := dst[k:]
	for _, e := range d.open {
		for i := max(e.lo, 0); i <= e.hi && i < d.n; i++ {
			b[i] = true
		}
	}
	return dst
}
