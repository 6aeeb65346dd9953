package classify

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/rfwarden/rfwarden/internal/realiq"
)

// TestZCRealDroneID: each of the four DroneID bursts of the real Mavic Air
// 2 recording (cf32 at 50 Msps; the fourth cut by the file's end) shows
// the ZC pair, the root-147 peak two symbols (142.7 µs) after the
// root-600 one within zcPairPadS, with the window its annotation gives
// (± zcMarginS) and the mixing centre the annotation's. Measured: ρ600
// 0.79–1.00, ρ147 0.53–0.97, thresholds 0.32 and 0.31, gaps 126–143 µs.
// Skipped without the recordings.
func TestZCRealDroneID(t *testing.T) {
	base := filepath.Join(realiq.Dir(t), "dji-droneid-mavic-air2-2457M")
	raw, err := os.ReadFile(base + ".sigmf-meta")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Global struct {
			Rate float64 `json:"core:sample_rate"`
		} `json:"global"`
		Captures []struct {
			Freq float64 `json:"core:frequency"`
		} `json:"captures"`
		Annotations []struct {
			Start int64   `json:"core:sample_start"`
			N     int64   `json:"core:sample_count"`
			Lo    float64 `json:"core:freq_lower_edge"`
			Hi    float64 `json:"core:freq_upper_edge"`
			Label string  `json:"core:label"`
		} `json:"annotations"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(base + ".sigmf-data")
	if err != nil {
		t.Fatal(err)
	}
	iq := make([]complex64, len(data)/8)
	for i := range iq {
		re := math.Float32frombits(binary.LittleEndian.Uint32(data[8*i:]))
		im := math.Float32frombits(binary.LittleEndian.Uint32(data[8*i+4:]))
		iq[i] = complex(re, im)
	}
	fs, fc := m.Global.Rate, m.Captures[0].Freq
	fft, ws := zcFFTs(), &workspace{}
	margin := int64(zcMarginS * fs)
	bursts := 0
	for _, a := range m.Annotations {
		if a.Label != "droneid" {
			continue
		}
		bursts++
		lo, hi := max(0, a.Start-margin), min(int64(len(iq)), a.Start+a.N+margin)
		z := measureZC(iq[lo:hi], fs, (a.Lo+a.Hi)/2-fc, fft, ws)
		t.Logf("burst at %d: ρ600 %.3f / %.3f, ρ147 %.3f / %.3f, gap %.1f µs", a.Start, z.rho4, z.thr4, z.rho6, z.thr6, z.gapS*1e6)
		if !z.pair() {
			t.Errorf("burst at sample %d: no ZC pair (ρ600 %.3f / %.3f, ρ147 %.3f / %.3f)", a.Start, z.rho4, z.thr4, z.rho6, z.thr6)
		}
		if d := math.Abs(z.gapS - zcSpacingS); d > zcPairPadS {
			t.Errorf("burst at sample %d: gap %.1f µs, want %.1f ± %.1f", a.Start, z.gapS*1e6, zcSpacingS*1e6, zcPairPadS*1e6)
		}
	}
	if bursts != 4 {
		t.Errorf("%d DroneID annotations, want 4", bursts)
	}
}
