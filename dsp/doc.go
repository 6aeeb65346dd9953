// Package dsp holds rfwarden's pure signal-processing primitives: windows,
// a tuned complex64 FFT, a streaming Welch power spectral density, robust
// noise-floor estimates, DC and spur handling, blind IQ imbalance
// estimation and correction, CFAR detection across frequency with
// hysteresis in time, dBFS to dBm calibration, and a frequency shift and
// FIR decimator (cutting a band out of a capture), plus the detectors
// built on them.
//
// The package is pure: no IO, no goroutines and no mutable package state.
// Types are shaped like gonum's dsp/fourier: NewX(n) constructors and
// methods taking (dst, src) where a nil dst is allocated and a length
// mismatch panics with a message starting "dsp: ". Samples are complex64
// throughout; conversion from wire formats (FromCI8) happens at the
// boundary.
//
// Conventions: a spectrum is in natural FFT order (bin 0 is DC, bins
// n/2..n-1 are negative frequencies) unless a function says otherwise; call
// Shift to put DC in the middle for display. Power is linear and relative to
// full scale (a complex tone of magnitude 1 is 1.0, that is 0 dBFS) unless a
// name ends in DB.
package dsp
