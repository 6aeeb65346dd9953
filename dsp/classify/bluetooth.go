package classify

import (
	"github.com/rfwarden/rfwarden/dsp/bandplan"
)

// btSlotPacketS is the longest single-slot Bluetooth BR packet (DH1/DM1,
// 366 µs, in a 625 µs slot) plus the detector's edge slack; BLE
// advertising packets (≤ 376 µs) fit too. RC hoppers send longer packets
// (≥ ~0.8 ms: LoRa chirps at 500–812 kHz, FSK frames).
const btSlotPacketS = 0.45e-3

// packetGapS is the longest gap inside one packet: a LoRa chirp sweeps
// through the detector's bins, so near 6 dB one packet reads as many short
// bursts up to a symbol (0.04–0.3 ms) apart; a Bluetooth device's packets
// on one channel are at least 625 − 366 = 259 µs apart.
const packetGapS = 0.25e-3

// packetS is the typical packet length of f: the median length of the
// detector's bursts (bursts under packetGapS apart joined) when it
// reported several (a hopper revisiting a channel within the merge gap),
// else the emission's duration.
func packetS(f *features) float64 {
	bs := f.em.Bursts
	if len(bs) < 2 || f.fs <= 0 {
		return f.durS
	}
	gap := int64(packetGapS * f.fs)
	var l []float64
	start, end := bs[0].StartSample, bs[0].StartSample+bs[0].SampleCount
	for _, b := range bs[1:] {
		if b.StartSample-end > gap {
			l = append(l, float64(end-start)/f.fs)
			start = b.StartSample
		}
		end = max(end, b.StartSample+b.SampleCount)
	}
	l = append(l, float64(end-start)/f.fs)
	if len(l) == 1 {
		return f.durS
	}
	return nthSmallest(l, len(l)/2) // the middle of l sorted
}

// classifyBluetooth recognises a Bluetooth BR/EDR or BLE packet.
//
// Emitter: phones, headsets, smart watches: GFSK at 1 Msym/s (BR, BLE 1M)
// or 2 Msym/s (BLE 2M) on 1 or 2 MHz channels (79 or 40 in 2.4 GHz ISM),
// hopping every 625 µs slot, packets ≤ 2.9 ms, most a single slot
// ≤ 366 µs (Bluetooth Core 5.4 Vol 2 Part B §2.4, Vol 6 Part B §2.1).
// Features: the 2.4 GHz band, occupied width 0.3–2.5 MHz (the measured
// 99% width of a 1 MHz GFSK channel falls towards 0.4 MHz near 6 dB SNR),
// constant envelope (power CV consistent with a constant envelope at the
// measured SNR; near 6 dB nearly anything passes, so also no 15 kHz CP,
// which a piece of a DroneID or drone-video burst shows), packets of
// 50 µs–3.2 ms, 2 dB over the noise. A
// single-slot packet (≤ 0.45 ms) scores 0.65, above an RC hop; a longer
// one 0.55, below it, and only when at least 0.6 MHz wide.
func classifyBluetooth(f *features, p *bandplan.Plan) Label {
	b, inBand := bandFor(p, f, "bluetooth")
	if !inBand || f.occBWHz < 0.3e6 || f.occBWHz > 2.5e6 || !strongEnough(f) {
		return Label{}
	}
	pkt := f.pktS
	// Cheapest first: the envelope and the CP test are measured when read.
	if pkt > 3.2e-3 || pkt < 50e-6 || !ok(f.envCV(), 0) || f.envCV() > constEnvCV(f)+0.2 || ok(f.cp15(), cpThreshold(f.nEff)) {
		return Label{}
	}
	conf := 0.65
	if pkt > btSlotPacketS {
		if f.occBWHz < 0.6e6 {
			return Label{}
		}
		conf = 0.55
	}
	return Label{Class: ClassBluetooth, Band: b.Name, Confidence: conf,
		Text: "Bluetooth/BLE GFSK packet (" + b.Name + ")"}
}
