// Package hackrf talks to HackRF One receivers, receive only.
//
// Without build tags it offers pure-Go parsers and a subprocess runner for
// Debian's hackrf tools: hackrf_sweep CSV lines (ParseSweepLine,
// SweepReader), hackrf_info output (ParseInfo) and hackrf_transfer -r - raw
// ci8 streams (Runner.Transfer). With the "hackrf" build tag and cgo it also
// binds libhackrf directly (device.go): device list, open by serial, board
// and firmware version, sample rate, baseband filter, LNA/VGA gain, amp,
// RX streaming with a dropped-buffer counter, and sweep mode.
//
// The package never transmits and does not import sensor; sensor adapts it.
package hackrf
