package sensor

import (
	"context"
	"errors"
	"time"
)

// Block is a run of contiguous complex baseband samples captured with one tuning.
//
// Ownership: Samples belongs to the Source and is valid only until the next call
// to Next or Close on that Source; a consumer that keeps samples longer copies them.
type Block struct {
	Samples      []complex64 // full scale is |x| = 1 for integer formats
	CenterHz     float64     // RF frequency of DC
	SampleRateHz float64     // complex samples per second
	GainDB       float64     // total receive gain in front of the ADC (LNA+VGA+amp), dB
	FirstSample  int64       // index of Samples[0] in the source's stream since it opened
	Time         time.Time   // capture time of Samples[0], UTC
	Device       string      // device/calibration key, e.g. "hackrf", "sim", "file"
	Dropped      int64       // samples known lost since the previous block (USB overruns)
	Retuned      bool        // the first block after a change of tuning, or a break in the stream (not contiguous with the block before)
	// ClockStep is how far the source moved its sample clock at this
	// block to keep it on the host clock (a step of the host clock, or a
	// crystal's error added up); 0 when it did not.
	ClockStep time.Duration
}

// Duration returns the time span covered by b's samples.
func (b Block) Duration() time.Duration {
	if b.SampleRateHz <= 0 {
		return 0
	}
	return time.Duration(float64(len(b.Samples)) / b.SampleRateHz * float64(time.Second))
}

// Source yields Blocks. Next returns io.EOF when a finite source is exhausted,
// and ctx.Err() when ctx ends. Implementations are not safe for concurrent use.
type Source interface {
	Next(ctx context.Context) (Block, error)
	Close() error
}

// ErrPreviousStream marks an error a Tuner's Tune returns about the stream
// of the tuning it left (which had failed while it ran): the new tuning
// holds, and the consumer goes on with it, counting the error.
var ErrPreviousStream = errors.New("the previous tuning's stream had failed")

// Tuner is implemented by sources whose tuning the scan scheduler can change.
// A retune takes effect from the next Block, which has Retuned set. An
// error wrapping ErrPreviousStream is about the tuning left, not this one.
type Tuner interface {
	Tune(centerHz, sampleRateHz float64) error
}

// GainSetter is implemented by sources whose receive gain the agent's
// automatic gain control can change. SetGainDB asks for a total receive gain
// (LNA+VGA+amp, dB) for the current tuning; the source applies the nearest
// setting it has from the next Block on, and that Block's GainDB is the gain
// applied. A Tune resets the gain to the source's own choice for the new
// tuning (its gain table).
type GainSetter interface {
	SetGainDB(totalDB float64) error
}
