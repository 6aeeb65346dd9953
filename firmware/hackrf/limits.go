package hackrf

// What a HackRF One tunes and samples at (receive): centre frequencies
// 1 MHz to 6 GHz and sample rates 2 to 20 Msps, as Great Scott Gadgets
// document the board. A node config that asks for more is refused when it
// is checked (sensor/config), not first when the receiver is tuned
// (sensor/hackrfsrc); the simulator (sensor/sim) keeps to the same limits.
const (
	MinCenterHz     = 1e6
	MaxCenterHz     = 6e9
	MinSampleRateHz = 2e6
	MaxSampleRateHz = 20e6
)
