package classify

import (
	"github.com/rfwarden/rfwarden/dsp/bandplan"
)

// DroneID burst length window: a burst is nine OFDM symbols, 643 µs
// (2·(1024+80) + 7·(1024+72) samples at 15.36 Msps); the detector's frame
// edges and averaging add up to about 0.15 ms, a burst cut by the capture
// is shorter. Drone video bursts (≥ 1 ms) lie above it.
const (
	droneIDMinS = 0.45e-3
	droneIDMaxS = 0.85e-3
)

// DroneIDMinWidthHz is the least occupied width of a DroneID burst (9 MHz
// whole) that its features name without the ZC sync symbols, which are
// measured only at capture rates of 10 Msps and more: a capture under
// about this wide never names DroneID (the demo at --rate 2e6 heard its
// drone by the remote control alone).
const DroneIDMinWidthHz = 3e6

// classifyDroneID recognises a DJI DroneID burst.
//
// Emitter: DJI drones (Mavic, Air, Mini) broadcast DroneID every ~600 ms
// in the 2.4 and 5.8 GHz bands: an LTE-like OFDM burst, 1024-point FFT at
// 15.36 Msps (15 kHz SCS, Tu = 66.67 µs, CP 72/80 samples), 601 used
// subcarriers (≈ 9 MHz), 9 symbols (≈ 643 µs), two of them Zadoff-Chu
// sync symbols (RUB-SysSec DroneSecurity, NDSS 2023).
// Features: a DroneID band, occupied width 7.5–10.5 MHz, the cyclic-prefix
// correlation at 66.67 µs (CP-OFDM at 15 kHz is what no Wi-Fi or Bluetooth
// emitter uses), one burst of 0.45–0.85 ms (a 10 MHz OcuSync video burst
// has the same width and numerology but lasts ≥ 1 ms; see
// classifyDroneVideo), and then, at capture rates ≥ 10 Msps, the ZC sync
// symbols (measureZC): the burst window correlated with the useful parts
// of symbols 4 and 6 (ZC roots 600 and 147), ρ = |Σ y·t*| / √(Σ|y|²) for
// a unit-energy template t, against a threshold from the false-alarm
// probability of noise or OFDM data (zcThreshold, ρ ≈ 0.30–0.33). A
// window where neither root reaches it is no DroneID burst: a drone video
// packet the detector cut into pieces of DroneID's length (at 4 dB two of
// 30 captures were so named before the ZC test, none after). Both roots
// over it two symbols apart (the pair) raise the confidence to 0.9–1.
// Near 6 dB SNR the detector may report one burst as two pieces side by
// side in frequency; without the pair a piece 3–7.5 MHz wide with the CP
// and the burst length scores at most 0.75 (a whole burst 0.6–1); the ZC
// correlation does not need the burst's centre (a centre k subcarriers
// off moves a ZC's peak, not its height). Under about 4 dB the detector
// cuts a burst into pieces 0.03–1.7 MHz wide whose CP test fails too: a
// candidate of the burst's length, at most 10.5 MHz wide, that fails the
// 3 MHz floor (DroneIDMinWidthHz) or the CP test is named by the pair alone (0.8–1, above
// Bluetooth and RC), and is refused without it. Under 10 Msps, or in a
// window under 0.45 ms, the ZC is not measured and the other features
// decide.
// Licence-exempt, no link.
func classifyDroneID(f *features, p *bandplan.Plan) Label {
	b, inBand := bandFor(p, f, "droneid")
	if !inBand || f.occBWHz > 10.5e6 {
		return Label{}
	}
	if f.durS < droneIDMinS || f.durS > droneIDMaxS { // one burst (Classify also tries each burst alone)
		return Label{}
	}
	if f.besideS > 0 && f.besideS < droneIDMinS {
		// A burst the burst vote measures alone with a shorter piece
		// less than packetGapS beside it is a piece of a longer packet
		// (TestWeakDroneVideoNotDroneID).
		return Label{}
	}
	thr := cpThreshold(f.nEff)
	if f.occBWHz < DroneIDMinWidthHz || !ok(f.cp15(), thr) || ok(f.cpWiFi(), f.cp15()) {
		// A weak burst: under about 4 dB the detector cuts a burst into
		// pieces 0.03–1.7 MHz wide (TestWeakDroneIDNamedByZC), and the
		// CP test of a piece, or of a whole burst, may stay under its
		// threshold. The ZC pair alone names it: each root's search
		// has a false-alarm probability zcPfa on noise or OFDM data,
		// and the second is searched only near where the first puts it,
		// so the pair's is about zcPfa² (1e-6). It outranks Bluetooth
		// (0.65) and RC (0.7): a GFSK or LoRa packet carries no
		// 601-long ZC pair, a piece of a DroneID burst does.
		if f.nEff < 1 {
			// No occupied band of its own (under the resolution of its
			// window, fs/n): a flicker of the detector's band edge. The
			// ZC's 3.4 MHz window around it can hold a strong burst's
			// edge beside it (a 30 dB burst's skirt 1.7 MHz out:
			// TestIQImbalanceDroneID), which it would name with a band
			// the burst does not have.
			return Label{}
		}
		zc := f.zc()
		if !zc.pair() {
			return Label{}
		}
		return Label{Class: ClassDroneID, Band: b.Name, Confidence: clamp01(0.8 + 0.2*zcPairMargin(zc)),
			Text: "DJI DroneID drone telemetry burst (" + b.Name + ")"}
	}
	// The sync symbols, measured last (only for a candidate that passed
	// every test above): a window that shows neither is no DroneID burst
	// (a piece of a drone video packet cut to DroneID's length); the pair
	// two symbols apart is.
	zc := f.zc()
	if zc.absent() {
		return Label{}
	}
	conf := 0.6 + 0.4*ramp(f.cp15(), thr, 3*thr)
	if f.occBWHz < 7.5e6 {
		conf = 0.55 + 0.2*ramp(f.cp15(), thr, 3*thr)
	}
	if zc.pair() {
		conf = max(conf, 0.9+0.1*zcPairMargin(zc))
	}
	return Label{Class: ClassDroneID, Band: b.Name, Confidence: clamp01(conf),
		Text: "DJI DroneID drone telemetry burst (" + b.Name + ")"}
}

// zcPairMargin is 0 when the weaker of the pair's correlations is at its
// threshold, 1 when it is twice it or more.
func zcPairMargin(z zcResult) float64 { return ramp(min(z.rho4/z.thr4, z.rho6/z.thr6), 1, 2) }
