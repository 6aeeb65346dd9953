package hackrf

import "math"

// Receive gain stages of a HackRF One (MAX2837 LNA and VGA).
const (
	MaxLNAGainDB  = 40 // IF (LNA) gain: 0-40 dB
	LNAGainStepDB = 8
	MaxVGAGainDB  = 62 // baseband (VGA) gain: 0-62 dB
	VGAGainStepDB = 2
	// MaxGainDB is the largest total LNA+VGA gain (the RF amplifier aside).
	MaxGainDB = MaxLNAGainDB + MaxVGAGainDB
)

// SplitGain splits a total receive gain (rounded to whole dB and held to
// 0..MaxGainDB) into the LNA (8 dB steps) and VGA (2 dB steps) gains, LNA
// first, as low-noise practice puts gain early in the chain. The applied
// total lnaDB+vgaDB is at most 1 dB below the request (odd totals round
// down to the VGA's 2 dB step).
func SplitGain(totalDB float64) (lnaDB, vgaDB int) {
	g := max(0, min(MaxGainDB, int(math.Round(totalDB))))
	lnaDB = min(MaxLNAGainDB, g/LNAGainStepDB*LNAGainStepDB)
	vgaDB = min(MaxVGAGainDB, (g-lnaDB)/VGAGainStepDB*VGAGainStepDB)
	return lnaDB, vgaDB
}
