package classify

import (
	"fmt"
	"math"

	"github.com/rfwarden/rfwarden/dsp/bandplan"
)

// classifyWiFi recognises an 802.11 OFDM packet.
//
// Emitter: Wi-Fi access points and clients (802.11a/g/n/ac), 64-point FFT
// per 20 MHz: 3.2 µs useful symbols with a 0.8 µs guard interval, preceded
// by a short training field of period 0.8 µs (IEEE 802.11-2020 §17.3.3).
// Features: a Wi-Fi band, occupied width 7–20.5, 30–40.5 or 70–80.5 MHz
// (52/56 of 64 subcarriers per 20 MHz; weak edges lost in noise), and either the guard-interval correlation at 3.2 µs or the
// STF correlation at 0.8 µs above the noise threshold. A channel cut by
// the capture edge (a 20 MHz channel in a 10 Msps capture, or a sweep step
// that holds part of it) needs only 2 MHz of it; the 3.2 µs guard-interval
// lag and the 0.8 µs STF period hold in any part of the band.
func classifyWiFi(f *features, p *bandplan.Plan) Label {
	b, inBand := bandFor(p, f, "wifi")
	if !inBand {
		return Label{}
	}
	w := f.occBWHz
	// 3.2 µs symbols already imply 312.5 kHz subcarriers (20 MHz per
	// segment); the width only has to be plausible: 7–20.5 MHz per 20 MHz
	// channel (a weak packet's edge subcarriers sink into the noise), or
	// 30–40.5 / 70–80.5 MHz.
	widthOK := (w >= 7e6 && w <= 20.5e6) || (w >= 30e6 && w <= 40.5e6) || (w >= 70e6 && w <= 80.5e6)
	cut := f.cutByEdge()
	if !widthOK && !(cut && w >= 2e6 && w <= 80.5e6) {
		return Label{}
	}
	thr := cpThreshold(f.nEff)
	gi := ok(f.cpWiFi(), thr)
	stf := ok(f.stf(), math.Max(0.1, cpThreshold(int(16e-6*f.fs))))
	if !gi && !stf {
		return Label{}
	}
	conf := 0.6 + 0.2*ramp(f.cpWiFi(), thr, 3*thr) + 0.2*ramp(f.stf(), 0.1, 0.4)
	text := fmt.Sprintf("Wi-Fi 802.11 OFDM (%s)", b.Name)
	if !widthOK {
		text = fmt.Sprintf("Wi-Fi 802.11 OFDM (%s, cut by the capture edge)", b.Name)
	}
	return Label{Class: ClassWiFi, Band: b.Name, Confidence: clamp01(conf), Text: text}
}
