package dsp

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestDetectorPiecesAreWholeFrames: an emission longer than MaxEmissionDur
// is reported in pieces of the whole detector frames that fit in it
// (floor(MaxEmissionDur / frame)), each starting on the sample the last
// ended, so a piece is a little shorter than MaxEmissionDur when a frame
// does not divide it: 499.994 ms of 500 at 10 Msps (NFFT 128, 12.8 µs
// frames), and a 2 s carrier scanned at 10 Msps is four such pieces and a
// 0.026 ms tail (docs/recordings.md, rfwarden scan --help). Here 5 ms:
// 390 frames of 128 samples at 10 Msps (4.992 ms), 156 of 64 at 2 Msps
// (4.992 ms too).
func TestDetectorPiecesAreWholeFrames(t *testing.T) {
	tests := []struct {
		fs        float64
		nfft      int64
		wantCount int64 // samples of each piece but the last
	}{
		{fs: 10e6, nfft: 128, wantCount: 390 * 128},
		{fs: 2e6, nfft: 64, wantCount: 156 * 64},
	}
	for _, tt := range tests {
		t.Run(time.Duration(float64(time.Second)*float64(tt.nfft)/tt.fs).String()+" frames", func(t *testing.T) {
			n := int(tt.fs * 0.06) // 60 ms
			onset := int(tt.fs * 0.03)
			const noisePow, snrDB = 1e-6, 14.0
			lo, hi := 0.1*tt.fs, 0.2*tt.fs
			rng := rand.New(rand.NewPCG(3, 9))
			x := noiseIQ(rng, n, noisePow)
			addBandNoise(rng, x, tt.fs, lo, hi, noisePow*(hi-lo)/tt.fs*math.Pow(10, snrDB/10), onset, n)
			cfg := DetectorConfig{SampleRateHz: tt.fs, MaxEmissionDur: 5 * time.Millisecond}
			d, err := NewDetector(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := int64(d.Config().NFFT); got != tt.nfft {
				t.Fatalf("NFFT %d at %g samples/s, want %d", got, tt.fs, tt.nfft)
			}
			var pieces []Emission
			for _, e := range runDetector(t, cfg, x, 8192) {
				if e.StartSample >= int64(onset) && e.BandwidthHz > 0.5*(hi-lo) {
					pieces = append(pieces, e)
				}
			}
			if len(pieces) < 4 {
				t.Fatalf("%d pieces of the 30 ms carrier, want 5 ms pieces", len(pieces))
			}
			for i, e := range pieces[:len(pieces)-1] {
				if e.SampleCount != tt.wantCount {
					t.Errorf("piece %d at sample %d: %d samples, want %d (whole frames within 5 ms)", i, e.StartSample, e.SampleCount, tt.wantCount)
				}
				if next := pieces[i+1].StartSample; next != e.StartSample+e.SampleCount {
					t.Errorf("piece %d starts at sample %d, want %d where piece %d ended", i+1, next, e.StartSample+e.SampleCount, i)
				}
			}
		})
	}
}
