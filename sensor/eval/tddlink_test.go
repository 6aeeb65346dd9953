package eval

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/dsp/synth"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// TestTDDDownlinkStaysDownlink: the real TD-LTE recordings (a base
// station's downlink frames, ../shared/testdata/real-iq) with their SNR
// lowered by 0–5 dB (white noise at the recording's floor, as
// TestRealRobustness's noise-NdB, 3 seeds each): wherever the carrier is
// named LTE it must be a downlink, never the uplink a phone would send.
// check-real-iq's label check accepts any LTE or TDD text here, so
// TestRealRobustness's table cannot see this. Until 2026-12-06 the link
// of a label won by the burst vote came from the burst's own length (a
// piece of a downlink run under 1 ms), and the b41 carrier at 2–5 dB less
// SNR was "LTE TDD uplink" in 9 of 12 runs.
func TestTDDDownlinkStaysDownlink(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("36 scans of the 3 MB HackRF recordings; not under -short or -race")
	}
	dir := realIQDir(t)
	metas, _ := filepath.Glob(filepath.Join(dir, "lte-tdd-*"+sigmf.MetaExt))
	if len(metas) == 0 {
		t.Skip("no TD-LTE recordings")
	}
	for _, m := range metas {
		r := loadRobustRec(t, m)
		for _, dropDB := range []float64{0, 1, 2, 3, 4, 5} {
			for seed := uint64(1); seed <= 3; seed++ {
				x := slices.Clone(r.iq)
				if dropDB > 0 {
					synth.Noise(x, rand.New(rand.NewPCG(seed, 77)), r.n0*(math.Pow(10, dropDB/10)-1))
				}
				named := 0
				for _, a := range scanAnnotations(t, x, r) {
					text := pyText(a)
					k := pyToks(text)
					if !pyAny(k, "lte", "nr", "cellular") {
						continue
					}
					named++
					if pyAny(k, pyUp...) || !pyAny(k, pyDown...) {
						t.Errorf("%s, %.0f dB less SNR, seed %d: %q at samples %d+%d: a base station's TD-LTE frames named as an uplink",
							r.name, dropDB, seed, text, a.SampleStart, a.SampleCount)
					}
				}
				if dropDB <= 3 && named == 0 {
					t.Errorf("%s, %.0f dB less SNR, seed %d: the carrier is no longer named LTE", r.name, dropDB, seed)
				}
				if strings.Contains(r.name, "b41") {
					t.Logf("%s, %.0f dB less SNR, seed %d: %d cellular labels", r.name, dropDB, seed, named)
				}
			}
		}
	}
}
