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
	// signals the classifiers name (TestSyntheticOFDM's Wi-Fi and DroneID,
	// a GSM burst of gsmScene), so inputs reach past the first checks
	wifiBW, droneBW := 53*20e6/64, 601*15.36e6/1024
	f.Add(iqBytes(ofdm(4000, 64, 16, 52, 20, 3)), 20e6, 5180e6, int64(0), int64(4000), -wifiBW/2, wifiBW/2)
	f.Add(iqBytes(ofdm(8192, 1024, 72, 600, 20, 3)), 15.36e6, 2459.5e6, int64(0), int64(8192), -droneBW/2, droneBW/2)
	f.Add(iqBytes(gsmScene(2e6, 20, 1, 1)[9000:9000+8192]), 2e6, 941e6, int64(1000), int64(1200), 200e3, 400e3)
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

// iqBytes is iq as FuzzClassify's raw bytes: float32 I/Q pairs, little
// endian.
func iqBytes(iq []complex64) []byte {
	b := make([]byte, 0, 8*len(iq))
	for _, v := range iq {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(real(v)))
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(imag(v)))
	}
	return b
}
