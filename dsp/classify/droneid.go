package classify

import (
	"github.com/rfwarden/rfwarden/dsp/bandplan"
)

// classifyDroneID recognises a DJI DroneID burst.
//
// Emitter: DJI drones (Mavic, Air, Mini) broadcast DroneID every ~600 ms
// in the 2.4 and 5.8 GHz bands: an LTE-like OFDM burst, 1024-point FFT at
// 15.36 Msps (15 kHz SCS, Tu = 66.67 µs, CP 72/80 samples), 601 used
// subcarriers (≈ 9 MHz), 8–9 symbols (≈ 640 µs), two of them Zadoff-Chu
// sync symbols (RUB-SysSec DroneSecurity, NDSS 2023).
// Features: a DroneID band, occupied width 7.5–10.5 MHz, the cyclic-prefix
// correlation at 66.67 µs (the ZC/CP feature: CP-OFDM at 15 kHz is what no
// Wi-Fi or Bluetooth emitter uses), bursts 0.3–1.2 ms. Licence-exempt, no link.
func classifyDroneID(f *features, p *bandplan.Plan) Label {
	b, inBand := bandFor(p, f, "droneid")
	if !inBand || f.occBWHz < 7.5e6 || f.occBWHz > 10.5e6 {
		return Label{}
	}
	if f.durS < 0.3e-3 || f.durS > 1.2e-3 { // one burst (Classify also tries each burst alone)
		return Label{}
	}
	thr := cpThreshold(f.nEff)
	if !ok(f.cp15, thr) || ok(f.cpWiFi, f.cp15) {
		return Label{}
	}
	conf := 0.6 + 0.4*ramp(f.cp15, thr, 3*thr)
	return Label{Class: ClassDroneID, Band: b.Name, Confidence: clamp01(conf),
		Text: "DJI DroneID drone telemetry burst (" + b.Name + ")"}
}
