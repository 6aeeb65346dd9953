package classify_test

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/dsp/classify"
)

// FuzzClassify feeds arbitrary sample bytes (float32 I/Q pairs) and
// emission parameters: Classify must not panic and must return a label
// with a text and a confidence in [0, 1].
func FuzzClassify(f *testing.F) {
	f.Add([]byte{}, 20e6, 2457.5e6, int64(0), int64(100), -1e6, 1e6)
	f.Add(make([]byte, 8*512), 1e6, 941e6, int64(3), int64(400), -1e5, 1e5)
	set := classify.Default()
	f.Fuzz(func(t *testing.T, raw []byte, fs, fc float64, start, count int64, lo, hi float64) {
		if len(raw) > 8*8192 {
			raw = raw[:8*8192]
		}
		iq := make([]complex64, len(raw)/8)
		for i := range iq {
			iq[i] = complex(math.Float32frombits(binary.LittleEndian.Uint32(raw[8*i:])),
				math.Float32frombits(binary.LittleEndian.Uint32(raw[8*i+4:])))
		}
		in := classify.Input{IQ: iq, SampleRateHz: fs, CenterHz: fc,
			Em: dsp.Emission{StartSample: start, SampleCount: count, FreqLowHz: lo, FreqHighHz: hi, CenterOffsetHz: (lo + hi) / 2,
				Bursts: []dsp.Burst{{StartSample: start, SampleCount: count / 2}, {StartSample: start + count/2, SampleCount: count / 2}}}}
		l := set.Classify(in)
		if l.Text == "" || !(l.Confidence >= 0 && l.Confidence <= 1) {
			t.Fatalf("Classify = %+v", l)
		}
	})
}
