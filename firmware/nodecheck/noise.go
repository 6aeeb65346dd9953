package nodecheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/firmware/hackrf"
)

// Defaults of the noise-floor self-test: 0.1 s at 10 Msps at 1.2 GHz, LNA
// and VGA at 0 dB, amplifier off, so the result is the receiver's own
// floor and not the site's signals.
const (
	DefaultNoiseCenterHz = 1_200_000_000
	DefaultNoiseRateHz   = 10_000_000
	DefaultNoiseDur      = 100 * time.Millisecond
)

const (
	noiseFFT       = 1024
	settleFraction = 0.1   // leading part of the capture skipped (tuning transients)
	clipLimit      = 0.01  // fraction of clipped components that means overload
	highFloorDBFS  = -20.0 // a floor above this at minimum gain means interference or a fault
)

// NoiseStats summarises a ci8 capture.
type NoiseStats struct {
	Samples      int     // complex samples analysed
	FloorDBFS    float64 // total noise power over the capture bandwidth, DC and narrow signals excluded
	BinFloorDBFS float64 // the same per FFT bin of noiseFFT
	ClipFraction float64 // fraction of I and Q values at -128 or 127
}

// AnalyseCI8 estimates the noise floor of interleaved signed 8-bit IQ:
// a Welch PSD (1024-point Hann frames, no overlap), the DC spike notched,
// the floor per bin from the median (dsp.FloorEstimateFrames, robust to
// narrow signals), scaled to total power by N/ENBW. 0 dBFS is a
// full-scale complex tone (|x| = 1 with x = (I + jQ)/128). It returns an
// error for fewer than one frame of samples; a constant input yields
// FloorDBFS = -Inf.
func AnalyseCI8(iq []byte) (NoiseStats, error) {
	n := len(iq) / 2
	if n < noiseFFT {
		return NoiseStats{}, fmt.Errorf("noise test: %d samples, need at least %d", n, noiseFFT)
	}
	var clipped int
	samples := make([]complex64, n)
	for i := range samples {
		re, im := int8(iq[2*i]), int8(iq[2*i+1])
		if re == -128 || re == 127 {
			clipped++
		}
		if im == -128 || im == 127 {
			clipped++
		}
		samples[i] = complex(float32(re)/128, float32(im)/128)
	}
	w := dsp.NewWelch(noiseFFT, dsp.WindowHann, 0)
	w.Write(samples)
	psd := w.PSD(nil)
	dsp.NotchDC(psd, 2)
	floor := float64(dsp.FloorEstimateFrames(psd, make([]float32, len(psd)), w.Frames()))
	enbw := dsp.ENBW(w.Window())
	st := NoiseStats{Samples: w.Frames() * noiseFFT, ClipFraction: float64(clipped) / float64(2*n)}
	st.BinFloorDBFS = 10 * math.Log10(floor)
	st.FloorDBFS = 10 * math.Log10(floor*noiseFFT/enbw)
	return st, nil
}

// checkNoise captures opt.Dur of IQ at minimum gain and reports the floor.
func checkNoise(ctx context.Context, d Deps, opt Options) (*float64, Check) {
	c := Check{Name: "noise"}
	if d.Capture == nil {
		c.Status, c.Detail = Skip, "no capture source"
		return nil, c
	}
	if opt.CenterHz == 0 {
		opt.CenterHz = DefaultNoiseCenterHz
	}
	if opt.SampleRateHz == 0 {
		opt.SampleRateHz = DefaultNoiseRateHz
	}
	if opt.Dur <= 0 {
		opt.Dur = DefaultNoiseDur
	}
	settle := int64(float64(opt.SampleRateHz) * opt.Dur.Seconds() * settleFraction)
	want := int64(float64(opt.SampleRateHz)*opt.Dur.Seconds()) + settle
	cctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	rc, err := d.Capture(cctx, hackrf.TransferOptions{CenterHz: opt.CenterHz, SampleRateHz: opt.SampleRateHz, NumSamples: want})
	if err != nil {
		c.Status, c.Detail = Fail, fmt.Sprintf("cannot start capture: %v", err)
		return nil, c
	}
	buf := make([]byte, 2*want)
	got, rerr := io.ReadFull(rc, buf)
	cerr := rc.Close()
	if rerr != nil && !errors.Is(rerr, io.ErrUnexpectedEOF) && !errors.Is(rerr, io.EOF) {
		c.Status, c.Detail = Fail, fmt.Sprintf("capture: %v", rerr)
		return nil, c
	}
	if got < int(2*settle)+2*noiseFFT {
		c.Status, c.Detail = Fail, fmt.Sprintf("capture delivered %d of %d samples", got/2, want)
		if cerr != nil {
			c.Detail += fmt.Sprintf(" (%v)", cerr)
		}
		c.Hint = "hackrf_transfer stopped early: check power and the USB link"
		return nil, c
	}
	st, err := AnalyseCI8(buf[2*settle : got])
	if err != nil {
		c.Status, c.Detail = Fail, err.Error()
		return nil, c
	}
	c.Detail = fmt.Sprintf("floor %.1f dBFS over %.1f MHz (%.1f dBFS/bin of %d) at %.1f MHz, LNA 0 dB, VGA 0 dB, amp off, %.2f s",
		st.FloorDBFS, float64(opt.SampleRateHz)/1e6, st.BinFloorDBFS, noiseFFT, float64(opt.CenterHz)/1e6, float64(st.Samples)/float64(opt.SampleRateHz))
	switch {
	case math.IsInf(st.FloorDBFS, -1) || math.IsNaN(st.FloorDBFS):
		c.Status, c.Detail = Fail, "every sample is the same value: the receiver delivers no noise at all"
		c.Hint = "the RF front end or ADC is dead or the board needs a reset"
		return nil, c
	case int64(got/2) < want:
		c.Status = Warn
		c.Detail += fmt.Sprintf("; only %d of %d samples arrived", got/2, want)
		c.Hint = "samples were lost: check the USB link"
	case st.ClipFraction > clipLimit:
		c.Status = Warn
		c.Detail += fmt.Sprintf("; %.1f%% of values clip at minimum gain", 100*st.ClipFraction)
		c.Hint = "a very strong signal overloads the receiver even at 0 dB gain: check for a nearby transmitter or add an attenuator"
	case st.FloorDBFS > highFloorDBFS:
		c.Status = Warn
		c.Detail += "; high for minimum gain"
		c.Hint = "broadband interference or a faulty front end; repeat away from other electronics"
	default:
		c.Status = OK
	}
	f := st.FloorDBFS
	return &f, c
}
