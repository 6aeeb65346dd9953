package replay

import (
	"math"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// dated reports whether rec's samples are timed by their captures: more
// than one capture, each with a core:datetime (a scanning sensor's
// recording, whose captures may lie seconds apart).
func dated(rec *sigmf.Recording) bool {
	caps := rec.Meta().Captures
	ok := len(caps) > 1
	for _, c := range caps {
		ok = ok && c.Datetime != ""
	}
	return ok
}

// Seconds returns the time of a sample of rec in seconds from its first
// sample, as `rfwarden scan` prints start_s: when rec is timed by its
// captures (more than one, each with a core:datetime), the sample's
// capture's datetime less the first capture's, plus its offset in its
// capture, so the gaps between captures count; otherwise its index in the
// receiver's stream (sigmf.Recording.StreamSample: the sample index, plus
// the samples core:global_index says were lost before it) over the
// sample rate.
func Seconds(rec *sigmf.Recording) func(sample int64) float64 {
	rate := rec.SampleRateHz()
	if !dated(rec) {
		return func(sample int64) float64 { return float64(rec.StreamSample(sample)) / rate }
	}
	t0 := rec.TimeAt(rec.Meta().Captures[0].SampleStart)
	return func(sample int64) float64 { return rec.TimeAt(sample).Sub(t0).Seconds() }
}

// SampleAt returns the first sample of rec at or after s seconds on the
// clock of Seconds: in a gap between dated captures (or samples lost),
// the next capture's first; past the end, NumSamples (also for a start whose sample count
// overflows int64: the bound is applied in float before converting).
func SampleAt(rec *sigmf.Recording, s float64) int64 {
	rate, n := rec.SampleRateHz(), rec.NumSamples()
	at := func(from int64, s float64) int64 {
		k := math.Ceil(max(s, 0)*rate - 1e-9)
		if !(k < float64(n-from)) { // past the end, +Inf or NaN
			return n
		}
		return from + max(int64(k), 0)
	}
	if !dated(rec) && rec.StreamSample(n) == n { // no gaps
		return at(0, s)
	}
	sec := Seconds(rec)
	caps := rec.Meta().Captures
	for i, c := range caps {
		end := n
		if i+1 < len(caps) {
			end = caps[i+1].SampleStart
		}
		if c.SampleStart >= end {
			continue
		}
		if t := sec(c.SampleStart); s < t+float64(end-c.SampleStart)/rate {
			return min(at(c.SampleStart, s-t), end)
		}
	}
	return n
}
