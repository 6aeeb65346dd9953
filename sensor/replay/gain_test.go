package replay

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// TestBlockGainPerCapture checks that each Block reports the receive gain
// of its own capture (rfw:gain_db on the capture, as demo --record writes
// it when the AGC changes a tuning's gain), else the recording's global
// rfw:gain_db, else Options.GainDB.
func TestBlockGainPerCapture(t *testing.T) {
	t0 := time.Date(2026, 1, 15, 21, 5, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		global any   // global rfw:gain_db; nil: none
		caps   []any // each capture's rfw:gain_db; nil: none
		gap    time.Duration
		want   []float64
	}{
		{"per capture", 20.0, []any{40.0, 32.0, nil}, time.Second, []float64{40, 32, 20}},
		{"per capture, contiguous in time", 20.0, []any{40.0, 32.0, nil}, 0, []float64{40, 32, 20}},
		{"global only", 26.0, []any{nil, nil, nil}, time.Second, []float64{26, 26, 26}},
		{"none: the option", nil, []any{nil, nil, nil}, time.Second, []float64{14, 14, 14}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "rec")
			w, err := sigmf.NewWriter(base, "ci8", 1e6, 847e6, t0)
			if err != nil {
				t.Fatal(err)
			}
			if tc.global != nil {
				w.SetExtra("rfw:gain_db", tc.global)
			}
			for i, g := range tc.caps {
				if i > 0 { // the same tuning, later by gap each time
					w.Retune(847e6, t0.Add(time.Duration(i)*(100*time.Microsecond+tc.gap)))
				}
				if g != nil {
					w.SetCaptureExtra(GainKey, g)
				}
				if err := w.Write(make([]complex64, 100)); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			rec, err := sigmf.Open(base)
			if err != nil {
				t.Fatal(err)
			}
			src := New(rec, Options{GainDB: 14})
			defer src.Close()
			for i, want := range tc.want {
				b, err := src.Next(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if b.FirstSample != int64(100*i) || b.GainDB != want {
					t.Errorf("block %d at sample %d: gain %v dB, want capture %d's %v", i, b.FirstSample, b.GainDB, i, want)
				}
			}
		})
	}
}
