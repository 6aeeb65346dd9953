// Package synth generates seeded complex baseband IQ for every emitter class
// rfwarden detects (GSM, UMTS, LTE, NR, Wi-Fi, Bluetooth, DJI DroneID, drone
// video, RC frequency hoppers, analogue FPV video, plus a tone and a
// narrowband FSK for staff radios), together with the ground truth of where
// each burst lies in time and frequency, and HackRF-like receiver artefacts.
//
// The package is pure: no IO, no goroutines, no package-level mutable state.
// Every waveform's content is derived from Params.Seed and the burst index, so
// any window of a long transmission can be rendered on its own and is the
// same, sample for sample, as the matching part of a longer render. This is
// what lets the wing simulator render one block at a time.
//
// # Levels and SNR
//
// Generators ADD signal to dst; noise is added separately with Noise. The
// mean power of a burst (E|x|^2 over the burst, full scale |x| = 1) is
// Params.PowerFS when set, otherwise it follows from the requested SNR:
//
//	SNR = Ps / (N0 * B),  N0 = NoisePower / SampleRateHz
//
// where Ps is the signal's mean power while on, B its occupied bandwidth
// (Truth.FreqHighHz - Truth.FreqLowHz) and NoisePower the total power of the
// white noise that Noise adds over the whole sample rate. So SNRDB is the
// ratio of signal to noise within the signal's own bandwidth. When only part
// of an OFDM signal falls inside ±SampleRateHz/2, only the subcarriers inside
// are rendered and the power scales with the visible fraction.
package synth
