package agent

import (
	"math"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor"
)

// SpectrumBins is the number of bins of a published spectrum summary.
const SpectrumBins = 256

// maxSpectrumFrames bounds the frames averaged per summary.
const maxSpectrumFrames = 16

// SpectrumOf returns an averaged power spectrum of b in SpectrumBins bins
// from the lowest to the highest frequency, in dBm at the antenna
// (uncalibrated: dBFS minus GainDB), with a Hann window normalised so a
// full-scale tone reads 0 dBFS. It averages up to 16 frames spread over b.
func SpectrumOf(b sensor.Block) []float32 {
	n := SpectrumBins
	if len(b.Samples) < n {
		return nil
	}
	w := dsp.NewWelch(n, dsp.WindowHann, 0)
	frames := min(len(b.Samples)/n, maxSpectrumFrames)
	stride := len(b.Samples) / frames
	for f := range frames {
		w.Write(b.Samples[f*stride : f*stride+n]) // one whole frame each: none pending
	}
	p := w.PSD(nil)
	psd := make([]float32, n)
	for i := range psd {
		k := (i + n/2) % n // FFT order to lowest-to-highest frequency
		psd[i] = float32(10*math.Log10(float64(p[k])+1e-20) - b.GainDB)
	}
	return psd
}

func (a *Agent) publishSpectrum(b sensor.Block) {
	psd := SpectrumOf(b)
	if psd == nil {
		return
	}
	s := event.Spectrum{Schema: event.SchemaVersion, Site: a.cfg.Site, Sensor: a.cfg.Sensor,
		TimeNS: max(b.Time.UnixNano(), 1), CenterHz: b.CenterHz, SampleRateHz: b.SampleRateHz, PowerDBm: psd}
	p, err := event.Encode(s)
	if err != nil {
		a.log.Debug("invalid spectrum", "err", err)
		return
	}
	a.offer(liveMsg{topic: a.topic(event.KindSpectrum), qos: 0, payload: p})
}
