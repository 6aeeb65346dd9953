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

// classifyDroneID recognises a DJI DroneID burst.
//
// Emitter: DJI drones (Mavic, Air, Mini) broadcast DroneID every ~600 ms
// in the 2.4 and 5.8 GHz bands: an LTE-like OFDM burst, 1024-point FFT at
// 15.36 Msps (15 kHz SCS, Tu = 66.67 µs, CP 72/80 samples), 601 used
// subcarriers (≈ 9 MHz), 9 symbols (≈ 643 µs), two of them Zadoff-Chu
// sync symbols (RUB-SysSec DroneSecurity, NDSS 2023).
// Features: a DroneID band, occupied width 7.5–10.5 MHz, the cyclic-prefix
// correlation at 66.67 µs (the ZC/CP feature: CP-OFDM at 15 kHz is what no
// Wi-Fi or Bluetooth emitter uses), one burst of 0.45–0.85 ms (a 10 MHz
// OcuSync video burst has the same width and numerology but lasts ≥ 1 ms;
// see classifyDroneVideo). Near 6 dB SNR the detector may report one burst
// as two pieces side by side in frequency; a piece 3–7.5 MHz wide with the
// CP and the burst length scores at most 0.75 (a whole burst 0.6–1).
// Licence-exempt, no link.
func classifyDroneID(f *features, p *bandplan.Plan) Label {
	b, inBand := bandFor(p, f, "droneid")
	if !inBand || f.occBWHz < 3e6 || f.occBWHz > 10.5e6 {
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
	if !ok(f.cp15(), thr) || ok(f.cpWiFi(), f.cp15()) {
		return Label{}
	}
	conf := 0.6 + 0.4*ramp(f.cp15(), thr, 3*thr)
	if f.occBWHz < 7.5e6 {
		conf = 0.55 + 0.2*ramp(f.cp15(), thr, 3*thr)
	}
	return Label{Class: ClassDroneID, Band: b.Name, Confidence: clamp01(conf),
		Text: "DJI DroneID drone telemetry burst (" + b.Name + ")"}
}
