package pipeline

import (
	"maps"
	"math"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// Generator is the core:generator of the annotations AnnotatedMeta writes.
const Generator = "rfwarden"

// AnnotatedMeta returns a copy of m with results appended as SigMF
// annotations (core:label is the human label; the class, link, band,
// confidence, RF centre and bandwidth, dBFS powers, SNR, duty cycle, bursts
// and burst period are rfw: keys) and the rfw extension declared in
// core:extensions. dataset, when not empty, is written as core:dataset (for
// a metadata file that does not sit beside its NAME.sigmf-data). m itself
// is not modified. Write the result with sigmf.WriteMeta.
func AnnotatedMeta(m sigmf.Meta, dataset string, results []Result) sigmf.Meta {
	g := &m.Global
	g.Extra = maps.Clone(g.Extra)
	if g.Extra == nil {
		g.Extra = map[string]any{}
	}
	if dataset != "" {
		g.Extra["core:dataset"] = dataset
	}
	exts, _ := g.Extra["core:extensions"].([]any)
	hasRFW := false
	for _, e := range exts {
		if em, ok := e.(map[string]any); ok && em["name"] == "rfw" {
			hasRFW = true
		}
	}
	if !hasRFW {
		g.Extra["core:extensions"] = append(append([]any(nil), exts...),
			map[string]any{"name": "rfw", "version": "1.0.0", "optional": true})
	}
	m.Annotations = append([]sigmf.Annotation(nil), m.Annotations...)
	for _, r := range results {
		m.Annotations = append(m.Annotations, Annotation(r))
	}
	return m
}

// Annotation returns the SigMF annotation of one result, as AnnotatedMeta
// writes it.
func Annotation(r Result) sigmf.Annotation {
	e := r.Em
	a := sigmf.Annotation{
		SampleStart: e.StartSample, SampleCount: e.SampleCount,
		FreqLowerHz: r.FreqLowHz, FreqUpperHz: r.FreqHighHz, HasFreq: true,
		Label: r.Label.Text, Generator: Generator,
		Extra: map[string]any{
			"rfw:class":          r.Label.Class,
			"rfw:link":           r.Label.Link,
			"rfw:confidence":     round2(r.Label.Confidence),
			"rfw:center_hz":      math.Round(r.CenterHz),
			"rfw:bandwidth_hz":   math.Round(r.BandwidthHz),
			"rfw:mean_dbfs":      round2(e.MeanDBFS),
			"rfw:peak_dbfs":      round2(e.PeakDBFS),
			"rfw:noise_dbfs":     round2(e.NoiseDBFS),
			"rfw:snr_db":         round2(e.SNRDB),
			"rfw:duty_cycle":     round2(e.DutyCycle),
			"rfw:bursts":         len(e.Bursts),
			"rfw:period_samples": e.PeriodSamples,
		},
	}
	if r.Label.Band != "" {
		a.Extra["rfw:band"] = r.Label.Band
	}
	return a
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
