package pipeline

import (
	"math"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

func TestAnnotatedMeta(t *testing.T) {
	in := sigmf.Meta{
		Global:      sigmf.Global{Datatype: "cf32_le", SampleRateHz: 1e6, Version: sigmf.Version, Extra: map[string]any{"core:recorder": "x"}},
		Captures:    []sigmf.Capture{{SampleStart: 0, FrequencyHz: 915e6}},
		Annotations: []sigmf.Annotation{{SampleStart: 0, SampleCount: 10, Label: "truth"}},
	}
	res := Result{
		Em: dsp.Emission{StartSample: 100, SampleCount: 2000, MeanDBFS: -20.123, PeakDBFS: -18, NoiseDBFS: -50, SNRDB: 29.877,
			DutyCycle: 1, Bursts: []dsp.Burst{{StartSample: 100, SampleCount: 2000}}},
		Label:    Label{Class: "lte", Link: "uplink", Band: "B3", Confidence: 0.876, Text: "lte uplink"},
		CenterHz: 915.2e6, FreqLowHz: 915.1e6, FreqHighHz: 915.3e6, BandwidthHz: 180e3,
	}
	tests := []struct {
		name, dataset string
		results       []Result
		wantAnn       int
	}{
		{"no detections", "", nil, 1},
		{"one detection beside its data", "", []Result{res}, 2},
		{"one detection elsewhere", "../rec.sigmf-data", []Result{res}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := AnnotatedMeta(in, tc.dataset, tc.results)
			if len(in.Annotations) != 1 || len(in.Global.Extra) != 1 {
				t.Fatalf("input modified: %d annotations, extra %v", len(in.Annotations), in.Global.Extra)
			}
			b, err := sigmf.MarshalMeta(m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := sigmf.ParseMeta(b)
			if err != nil {
				t.Fatalf("annotated meta does not parse back: %v\n%s", err, b)
			}
			if len(got.Annotations) != tc.wantAnn || got.Annotations[0].Label != "truth" {
				t.Fatalf("got %d annotations %+v, want %d with the input's first", len(got.Annotations), got.Annotations, tc.wantAnn)
			}
			if ds, _ := got.Global.Extra["core:dataset"].(string); ds != tc.dataset {
				t.Errorf("core:dataset %q, want %q", ds, tc.dataset)
			}
			exts, _ := got.Global.Extra["core:extensions"].([]any)
			if len(exts) != 1 {
				t.Errorf("core:extensions %v, want the rfw extension once", exts)
			}
			if len(tc.results) == 0 {
				return
			}
			a := got.Annotations[1]
			snr, _ := a.Extra["rfw:snr_db"].(interface{ Float64() (float64, error) })
			if snr == nil {
				t.Fatalf("rfw:snr_db missing: %v", a.Extra)
			}
			v, _ := snr.Float64()
			if a.SampleStart != 100 || a.SampleCount != 2000 || a.FreqLowerHz != 915.1e6 || a.FreqUpperHz != 915.3e6 ||
				a.Label != "lte-ul" || a.Comment != "lte uplink" || a.Generator != Generator || a.Extra["rfw:class"] != "lte" || a.Extra["rfw:band"] != "B3" ||
				math.Abs(v-29.88) > 1e-9 {
				t.Errorf("annotation %+v does not carry the detection", a)
			}
		})
	}
	// Annotating twice declares the extension once.
	twice := AnnotatedMeta(AnnotatedMeta(in, "", []Result{res}), "", []Result{res})
	if exts, _ := twice.Global.Extra["core:extensions"].([]any); len(exts) != 1 || len(twice.Annotations) != 3 {
		t.Errorf("annotated twice: extensions %v, %d annotations; want 1 and 3", exts, len(twice.Annotations))
	}
}

// TestAnnotationLabel: core:label is short, as SigMF 1.2 recommends (at
// most 20 characters, no whitespace, "a common use is a short form GUI
// indicator"): the class and link in the real-iq vocabulary ("lte-dl",
// "nr-ul", "droneid"); the classifier's long text goes in core:comment. A
// link the classifier did not name is left out of rfw:link (it was
// written as ""). scan --annotate wrote the long text ("LTE/NR uplink (LTE
// B3 UL, unconfirmed: too short)", 49 characters) as core:label.
func TestAnnotationLabel(t *testing.T) {
	tests := []struct {
		label     Label
		wantLabel string
		wantLink  any // nil: no rfw:link
	}{
		{Label{Class: "lte", Link: "downlink", Text: "LTE downlink (LTE B3 DL, 15 kHz SCS)"}, "lte-dl", "downlink"},
		{Label{Class: "nr", Link: "uplink", Text: "NR uplink (NR n78, 30 kHz SCS)"}, "nr-ul", "uplink"},
		{Label{Class: "lte", Link: "tdd", Text: "LTE TDD downlink (LTE B39, 15 kHz SCS)"}, "lte-tdd", "tdd"},
		{Label{Class: "cellular", Link: "uplink", Text: "LTE/NR uplink (LTE B1 UL, unconfirmed: too short)"}, "cellular-ul", "uplink"},
		{Label{Class: "gsm", Link: "downlink", Text: "GSM downlink (E-GSM-900 DL)"}, "gsm-dl", "downlink"},
		{Label{Class: "droneid", Text: "DJI DroneID drone telemetry burst (ISM 2.4 GHz)"}, "droneid", nil},
		{Label{Class: "wifi", Link: "unknown", Text: "Wi-Fi 802.11 OFDM (Wi-Fi 5 GHz U-NII-1/2A)"}, "wifi", nil},
		{Label{Class: "fpv_analog", Text: "analog FPV video"}, "fpv_analog", nil},
		{Unknown, "unknown", nil},
		{Label{}, "unknown", nil},
	}
	for _, tc := range tests {
		t.Run(tc.wantLabel, func(t *testing.T) {
			a := Annotation(Result{Label: tc.label, FreqLowHz: 1, FreqHighHz: 2})
			if a.Label != tc.wantLabel || len(a.Label) > 20 || strings.ContainsAny(a.Label, " \t") {
				t.Errorf("core:label %q, want %q (at most 20 characters, no whitespace)", a.Label, tc.wantLabel)
			}
			if tc.label.Text != "" && tc.label.Text != tc.wantLabel && a.Comment != tc.label.Text {
				t.Errorf("core:comment %q, want the classifier's text %q", a.Comment, tc.label.Text)
			}
			if got, ok := a.Extra["rfw:link"]; got != tc.wantLink || ok != (tc.wantLink != nil) {
				t.Errorf("rfw:link %v (present %v), want %v", got, ok, tc.wantLink)
			}
		})
	}
}
