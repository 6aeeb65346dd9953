package eval

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
)

// xmlElements parses doc and counts its elements by name; it fails the
// test when doc is not well-formed XML.
func xmlElements(t *testing.T, doc []byte) map[string]int {
	t.Helper()
	count := map[string]int{}
	dec := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, doc)
		}
		if se, ok := tok.(xml.StartElement); ok {
			count[se.Name.Local]++
		}
	}
	return count
}

func TestWriteSVG(t *testing.T) {
	curves := []PdCurve{
		{Class: "lte", Points: []PdPoint{{SNRDB: -3, Pd: 0, Pc: 0}, {SNRDB: 6, Pd: 0.5, Pc: 0.25}, {SNRDB: 21, Pd: 1, Pc: 1}}},
		{Class: "a<b&\"c\"", Points: []PdPoint{{SNRDB: 0, Pd: 0.2, Pc: 0.1}}},
	}
	tests := []struct {
		name      string
		curves    []PdCurve
		polylines int
		circles   int
	}{
		{"two classes", curves, 4, 4},
		{"no data", nil, 0, 0},
		{"one SNR", []PdCurve{{Class: "gsm", Points: []PdPoint{{SNRDB: 9, Pd: 1, Pc: 1}}}}, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteSVG(&b, tt.curves, "Pd <vs> SNR & more", "sub"); err != nil {
				t.Fatal(err)
			}
			el := xmlElements(t, b.Bytes())
			if el["svg"] != 1 || el["polyline"] != tt.polylines || el["circle"] != tt.circles {
				t.Errorf("elements %v, want 1 svg, %d polylines, %d circles", el, tt.polylines, tt.circles)
			}
			if strings.Contains(b.String(), "NaN") || strings.Contains(b.String(), "Inf") {
				t.Errorf("SVG holds a non-finite coordinate:\n%s", b.String())
			}
		})
	}
	var b bytes.Buffer
	_ = WriteSVG(&b, curves, "t", "s")
	// Pd of 1 sits on the top of the plot, 0 on the bottom: y(1) < y(0)
	if !strings.Contains(b.String(), ",56.0") || !strings.Contains(b.String(), ",450.0") {
		t.Errorf("Pd 1 and 0 not drawn at the plot's top (56) and bottom (450):\n%s", b.String())
	}
}

func TestXTicks(t *testing.T) {
	few := []PdCurve{{Points: []PdPoint{{SNRDB: 3}, {SNRDB: -3}}}, {Points: []PdPoint{{SNRDB: 0}, {SNRDB: 3}}}}
	if got := xTicks(few, -3, 3); !slices.Equal(got, []float64{-3, 0, 3}) {
		t.Errorf("ticks of few SNRs %v, want the SNRs", got)
	}
	var many PdCurve
	for s := -10; s <= 30; s += 2 {
		many.Points = append(many.Points, PdPoint{SNRDB: float64(s)})
	}
	got := xTicks([]PdCurve{many}, -10, 30)
	if !slices.Equal(got, []float64{-10, -5, 0, 5, 10, 15, 20, 25, 30}) {
		t.Errorf("ticks of 21 SNRs %v, want every 5 dB", got)
	}
	for _, v := range xTicks(nil, -3, 21) {
		if math.Signbit(v) && v == 0 {
			t.Errorf("tick -0 in %v", got)
		}
	}
}

func TestNiceStep(t *testing.T) {
	for raw, want := range map[float64]float64{3: 5, 0.3: 0.5, 1: 1, 1.5: 2, 7: 10, 24: 50, 0: 1, -1: 1} {
		if got := niceStep(raw); got != want {
			t.Errorf("niceStep(%v) = %v, want %v", raw, got, want)
		}
	}
}

func TestWriteText(t *testing.T) {
	tl := NewTally()
	tl.Add("rec", Matched{
		Targets:     []TruthOutcome{outcome("lte", "uplink", 21, "lte", "uplink"), outcome("gsm", "", 21, ClassMissed, "")},
		Dets:        []DetOutcome{det("lte", RoleHit, "lte"), det("unknown", RoleNoise, ""), det("droneid", RoleOther, "")},
		NoiseSample: 3_600_000,
	}, 1e6)
	var b bytes.Buffer
	if err := WriteText(&b, "my run", tl.Report()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"== my run: 1 run ==",
		"precision", "MISSED",
		// each rate next to its own bound: the bound was the named
		// alarms' only, printed after the rate of all of them
		"noise: 3.6000 s; 1 false alarm: 1000 /h (95% upper bound 4744 /h); 0 named with a class: 0 /h (95% upper bound 2996 /h)\n",
		"1.00/1.00", // LTE at 21 dB
		"0.00/0.00", // GSM at 21 dB, missed
		"rec: missed gsm samples 0+0",
		"rec: false positive droneid () samples 0+0 0.000..0.000 MHz on other",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestWriteTextCorpusExtras: what a corpus run passed over, the labels it
// could not map and the warnings about its truth are in the text too; a
// generated report has none and prints nothing of them.
func TestWriteTextCorpusExtras(t *testing.T) {
	r := NewTally().Report()
	var plain bytes.Buffer
	if err := WriteText(&plain, "gen", r); err != nil {
		t.Fatal(err)
	}
	r.Skipped = []Skipped{{Path: "torn.sigmf-meta", Reason: SkipUnreadable, Why: "corpus: open recording: 803 bytes"}, {Path: "._a.sigmf-meta", Reason: SkipHidden}}
	r.Unmapped = []LabelCount{{"Zigbee 802.15.4", 2}, {"", 1}}
	r.Warnings = []string{"a.sigmf-meta: target lte samples 0+100 -2.250..2.250 MHz lies outside the recorded band"}
	var b bytes.Buffer
	if err := WriteText(&b, "gen", r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"passed over: torn.sigmf-meta (unreadable: corpus: open recording: 803 bytes)\n",
		"passed over: ._a.sigmf-meta (hidden)\n",
		// the cost said, a blank label shown as blank (until 2026-12-07 neither)
		"labels naming no class (scored as other; a detection naming a class on one counts as that class's false positive): \"Zigbee 802.15.4\" ×2, \"\" (blank) ×1\n",
		"warning: a.sigmf-meta: target lte",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasPrefix(out, strings.TrimSuffix(plain.String(), "\n")) {
		t.Errorf("the extras are not after the tables:\n%s", out)
	}
	for _, not := range []string{"passed over", "labels naming", "warning"} {
		if strings.Contains(plain.String(), not) {
			t.Errorf("a report without extras prints %q", not)
		}
	}
}
