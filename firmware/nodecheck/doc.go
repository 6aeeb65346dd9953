// Package nodecheck checks a sensor node's receiver before it goes into
// service: the HackRF board hackrf_info reports, its firmware version
// against the host's libhackrf release and the oldest release rfwarden
// supports, its USB link (from sysfs), and a short noise-floor self-test
// over hackrf_transfer at minimum gain.
//
// Every outside effect (running a program, capturing samples, reading
// sysfs) comes in through Deps, so the reporting logic is tested with
// recorded hackrf_info outputs and fake captures; DefaultDeps wires the
// real ones. The package receives only and never transmits.
package nodecheck
