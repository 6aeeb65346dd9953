package config

import (
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/dsp/bandplan"
)

// TestDroneCoverage: the notes list each drone band of the band plan the
// scan plan leaves out, wholly or in part (the part, in MHz), and each
// DroneID band no tuning dwells on long enough to hear a DroneID period.
func TestDroneCoverage(t *testing.T) {
	plan := bandplan.Default()
	band := func(name string, lowHz, highHz float64, dwell time.Duration) Band {
		return Band{Name: name, LowHz: lowHz, HighHz: highHz, Dwell: dwell, Kind: KindSweep, MaxRevisit: 30 * time.Second}
	}
	tests := []struct {
		name  string
		bands []Band
		want  []string // substrings, one note each, in order
	}{
		{"the shipped plan before (2026-12-05): cellular uplinks, 2.4 GHz and 5725-5875 MHz swept",
			[]Band{band("gsm900-ul", 880e6, 915e6, 50*time.Millisecond), band("ism2400", 2400e6, 2483.5e6, 10*time.Millisecond),
				band("ism5800", 5725e6, 5875e6, 10*time.Millisecond)},
			[]string{
				"SRD 433 (433.05–434.79 MHz): not scanned",
				"SRD 868 (863–870 MHz): not scanned",
				"ISM 915 (902–928 MHz): 915–928 MHz not scanned",
				"ISM 2.4 GHz (2400–2483.5 MHz): no tuning dwells 600ms or more (longest 10ms)",
				"5.8 GHz SRD (5725–5875 MHz): no tuning dwells 600ms or more (longest 10ms)",
				"5.8 GHz FPV (5645–5945 MHz): 5645–5725, 5875–5945 MHz not scanned",
				"1.3 GHz FPV (1240–1300 MHz): not scanned",
			}},
		{"every drone band, DroneID dwelt on",
			[]Band{band("srd433", 433e6, 435e6, 20*time.Millisecond), band("srd868", 863e6, 870e6, 20*time.Millisecond),
				band("rc915", 902e6, 928e6, 10*time.Millisecond), band("video1300", 1240e6, 1300e6, 10*time.Millisecond),
				band("droneid2400", 2392e6, 2482e6, 650*time.Millisecond), band("ism2400", 2400e6, 2483.5e6, 10*time.Millisecond),
				band("fpv5800-lo", 5645e6, 5800e6, 10*time.Millisecond), band("fpv5800-hi", 5800e6, 5945e6, 650*time.Millisecond)},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			notes := DroneCoverage(Config{Bands: tt.bands}, plan)
			if len(notes) != len(tt.want) {
				t.Fatalf("DroneCoverage = %d notes %q, want %d", len(notes), notes, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(notes[i], w) {
					t.Errorf("note %d = %q, want it to contain %q", i, notes[i], w)
				}
			}
		})
	}
}
