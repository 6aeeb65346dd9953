package classify

import (
	"github.com/rfwarden/rfwarden/dsp/bandplan"
)

// classifyBluetooth recognises a Bluetooth BR/EDR or BLE packet.
//
// Emitter: phones, headsets, smart watches: GFSK at 1 Msym/s (BR, BLE 1M)
// or 2 Msym/s (BLE 2M) on 1 or 2 MHz channels that hop, packets ≤ 2.9 ms
// (Bluetooth Core 5.4 Vol 6 Part B §2.1). Features: the 2.4 GHz band,
// occupied width 0.5–2.5 MHz, constant envelope (power CV consistent with
// a constant envelope at the measured SNR), bursts shorter than 3.2 ms,
// ≥ 6 dB over the noise.
func classifyBluetooth(f *features, p *bandplan.Plan) Label {
	b, inBand := bandFor(p, f, "bluetooth")
	if !inBand || f.occBWHz < 0.5e6 || f.occBWHz > 2.5e6 || !strongEnough(f) {
		return Label{}
	}
	if !ok(f.envCV, 0) || f.envCV > constEnvCV(f)+0.2 || f.durS > 3.2e-3 || f.durS < 50e-6 {
		return Label{}
	}
	return Label{Class: ClassBluetooth, Band: b.Name, Confidence: 0.6,
		Text: "Bluetooth/BLE GFSK packet (" + b.Name + ")"}
}
