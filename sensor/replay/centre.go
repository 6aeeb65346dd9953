package replay

import (
	"fmt"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// NoCentre says why the frequencies of a recording with metadata m are
// offsets from an unknown tuning: "no captures in its metadata", or "no
// core:frequency in captures[2]" for the first capture without one; ""
// when every capture has its centre frequency.
func NoCentre(m sigmf.Meta) string {
	if len(m.Captures) == 0 {
		// empty or null captures: scanned as baseband
		return "no captures in its metadata"
	}
	for i, c := range m.Captures {
		if c.FrequencyHz == 0 {
			return fmt.Sprintf("no core:frequency in captures[%d]", i)
		}
	}
	return ""
}

// NoCentreWarning is what `rfwarden scan` (on stderr) and the dashboard's
// replay (a note) say of a recording without a centre frequency, why
// saying why (NoCentre): "no centre frequency (why): frequencies are
// offsets from the tuning, ...".
func NoCentreWarning(why string) string {
	return fmt.Sprintf("no centre frequency (%s): frequencies are offsets from the tuning, not RF frequencies, and nothing can be classified without a band", why)
}
