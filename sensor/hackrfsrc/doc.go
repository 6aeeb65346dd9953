// Package hackrfsrc is a sensor.Source over a HackRF One driven through
// Debian's hackrf_transfer in receive mode (firmware/hackrf.Runner), for nodes
// where the cgo binding is unwanted. Each tuning runs one hackrf_transfer
// process; a retune stops it and starts the next, which costs the USB
// re-open (a few hundred milliseconds), so this source suits dwell plans
// more than fast sweeps (use hackrf_sweep for those).
//
// Receive only: the runner never passes a transmit option.
package hackrfsrc
