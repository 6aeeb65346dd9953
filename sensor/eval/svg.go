package eval

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// palette holds ten distinguishable line colours (Tableau 10).
var palette = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
	"#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

// WriteSVG draws curves as a Pd-against-SNR plot: one colour per class, Pd
// (detected) as a solid line, Pc (detected and named right) dashed, SNR in
// dB on x and probability 0..1 on y. It writes a standalone SVG 1.1
// document; title and subtitle are escaped.
func WriteSVG(w io.Writer, curves []PdCurve, title, subtitle string) error {
	const (
		width, height        = 860.0, 500.0
		left, right, top, bt = 60.0, 190.0, 56.0, 50.0
	)
	pw, ph := width-left-right, height-top-bt
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range curves {
		for _, p := range c.Points {
			lo, hi = math.Min(lo, p.SNRDB), math.Max(hi, p.SNRDB)
		}
	}
	if math.IsInf(lo, 0) {
		lo, hi = 0, 1
	}
	if hi == lo {
		lo, hi = lo-1, hi+1
	}
	x := func(snr float64) float64 { return left + (snr-lo)/(hi-lo)*pw }
	y := func(p float64) float64 { return top + (1-p)*ph }
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif" font-size="12">`+"\n",
		width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%g" height="%g" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%g" y="22" font-size="16" font-weight="bold">%s</text>`+"\n", left, esc(title))
	fmt.Fprintf(&b, `<text x="%g" y="40" fill="#555">%s</text>`+"\n", left, esc(subtitle))
	for i := 0; i <= 5; i++ { // y grid: 0, 0.2, ... 1
		p := float64(i) / 5
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, y(p), left+pw, y(p))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%.1f</text>`+"\n", left-6, y(p)+4, p)
	}
	for _, s := range xTicks(curves, lo, hi) {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", x(s), top, x(s), top+ph)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%g</text>`+"\n", x(s), top+ph+16, s)
	}
	fmt.Fprintf(&b, `<rect x="%g" y="%g" width="%g" height="%g" fill="none" stroke="#333"/>`+"\n", left, top, pw, ph)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">SNR in the signal's bandwidth (dB)</text>`+"\n", left+pw/2, height-12)
	fmt.Fprintf(&b, `<text transform="translate(16 %.1f) rotate(-90)" text-anchor="middle">probability</text>`+"\n", top+ph/2)
	for i, c := range curves {
		col := palette[i%len(palette)]
		var pd, pc []string
		for _, p := range c.Points {
			pd = append(pd, fmt.Sprintf("%.1f,%.1f", x(p.SNRDB), y(p.Pd)))
			pc = append(pc, fmt.Sprintf("%.1f,%.1f", x(p.SNRDB), y(p.Pc)))
		}
		fmt.Fprintf(&b, `<g><title>%s</title>`+"\n", esc(c.Class))
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pd, " "), col)
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5" stroke-dasharray="5 3"/>`+"\n", strings.Join(pc, " "), col)
		for _, p := range c.Points {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>`+"\n", x(p.SNRDB), y(p.Pd), col)
		}
		b.WriteString("</g>\n")
		ly := top + 8 + float64(i)*18
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="%s" stroke-width="2"/>`+"\n", left+pw+14, ly, left+pw+40, ly, col)
		fmt.Fprintf(&b, `<text x="%g" y="%.1f">%s</text>`+"\n", left+pw+46, ly+4, esc(c.Class))
	}
	ly := top + 8 + float64(len(curves))*18 + 10
	fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#333" stroke-width="2"/>`+"\n", left+pw+14, ly, left+pw+40, ly)
	fmt.Fprintf(&b, `<text x="%g" y="%.1f">Pd: detected</text>`+"\n", left+pw+46, ly+4)
	fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#333" stroke-dasharray="5 3"/>`+"\n", left+pw+14, ly+18, left+pw+40, ly+18)
	fmt.Fprintf(&b, `<text x="%g" y="%.1f">Pc: named right</text>`+"\n", left+pw+46, ly+22)
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// xTicks returns the measured SNRs when there are at most 12 of them, else
// round steps over [lo, hi].
func xTicks(curves []PdCurve, lo, hi float64) []float64 {
	var snrs []float64
	for _, c := range curves {
		for _, p := range c.Points {
			if !slices.Contains(snrs, p.SNRDB) {
				snrs = append(snrs, p.SNRDB)
			}
		}
	}
	if len(snrs) > 0 && len(snrs) <= 12 {
		slices.Sort(snrs)
		return snrs
	}
	var out []float64
	step := niceStep((hi - lo) / 8)
	for s := math.Ceil(lo/step) * step; s <= hi+1e-9; s += step {
		out = append(out, s+0) // +0 turns -0 into 0
	}
	return out
}

// niceStep rounds a raw axis step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if !(raw > 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// esc escapes s for XML text and attribute values.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // strings.Builder never fails
	return b.String()
}
