package hackrf

import (
	"fmt"
	"math"
)

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

// CheckGain reports why totalDB is not a total receive gain a HackRF sets
// as written, or nil: its LNA goes 0-40 dB in 8 dB steps and its VGA 0-62
// dB in 2 dB steps, so the totals are the even dB from 0 to MaxGainDB.
// SplitGain holds a larger one to MaxGainDB and sets an odd or fractional
// one up to 1 dB lower: a configured gain is checked with CheckGain so
// that the gain set is the one written (the dBFS-to-dBm calibration
// depends on it).
func CheckGain(totalDB float64) error {
	switch {
	case !(totalDB >= 0 && totalDB <= MaxGainDB): // NaN too
		return fmt.Errorf("%v dB not in 0..%d dB, the most a HackRF's LNA (0-%d dB) and VGA (0-%d dB) give", totalDB, MaxGainDB, MaxLNAGainDB, MaxVGAGainDB)
	case math.Mod(totalDB, VGAGainStepDB) != 0:
		lna, vga := SplitGain(totalDB)
		return fmt.Errorf("%v dB is not on a HackRF's 2 dB steps (LNA 0-%d dB in %d dB steps, VGA 0-%d dB in %d dB steps): it would be set as %d dB; give an even number", totalDB, MaxLNAGainDB, LNAGainStepDB, MaxVGAGainDB, VGAGainStepDB, lna+vga)
	}
	return nil
}
