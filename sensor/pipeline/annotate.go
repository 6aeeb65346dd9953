package pipeline

import (
	"cmp"
	"maps"
	"math"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// Generator is the core:generator of the annotations AnnotatedMeta writes.
const Generator = "rfwarden"

// AnnotatedMeta returns a copy of m with results appended as SigMF
// annotations (see Annotation: core:label is the short label, core:comment
// the human one; the class, link, band, confidence, RF centre and
// bandwidth, dBFS powers, SNR, duty cycle, bursts and burst period are
// rfw: keys) and the rfw extension declared in
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
	// the input's declarations kept, a pre-1.0 object form as 1.x entries
	sigmf.DeclareExtension(g, "rfw", "1.0.0", true)
	m.Annotations = append([]sigmf.Annotation(nil), m.Annotations...)
	for _, r := range results {
		m.Annotations = append(m.Annotations, Annotation(r))
	}
	return m
}

// Annotation returns the SigMF annotation of one result, as AnnotatedMeta
// writes it. core:label is ShortLabel, as SigMF recommends a label of at
// most 20 characters; the classifier's text ("LTE downlink (LTE B3 DL,
// 15 kHz SCS)") is core:comment, when it says more. rfw:link is left out
// when the classifier named no link.
func Annotation(r Result) sigmf.Annotation {
	e := r.Em
	class := cmp.Or(r.Label.Class, Unknown.Class)
	a := sigmf.Annotation{
		SampleStart: e.StartSample, SampleCount: e.SampleCount,
		FreqLowerHz: r.FreqLowHz, FreqUpperHz: r.FreqHighHz, HasFreq: true,
		Label: ShortLabel(r.Label), Generator: Generator,
		Extra: map[string]any{
			"rfw:class":          class,
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
	if r.Label.Text != a.Label {
		a.Comment = r.Label.Text
	}
	if linkAbbrev[r.Label.Link] != "" {
		a.Extra["rfw:link"] = r.Label.Link
	}
	if r.Label.Band != "" {
		a.Extra["rfw:band"] = r.Label.Band
	}
	return a
}

// linkAbbrev abbreviates the links a label can name, as the real-iq
// recordings' labels do ("lte-dl", "nr-ul", "lte-tdd").
var linkAbbrev = map[string]string{"uplink": "ul", "downlink": "dl", "tdd": "tdd"}

// ShortLabel is the SigMF core:label of a detection: its class, with its
// link abbreviated when the classifier named one ("lte-dl", "nr-ul",
// "cellular-ul", "lte-tdd", "droneid", "wifi", "unknown"). SigMF 1.2
// recommends at most 20 characters ("a common use is a short form GUI
// indicator") and no whitespace in a human/machine-readable field; the
// event classes are all shorter.
func ShortLabel(l Label) string {
	class := cmp.Or(l.Class, Unknown.Class)
	if ab := linkAbbrev[l.Link]; ab != "" {
		return class + "-" + ab
	}
	return class
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
