package eval

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// writeCaptures writes a cf32_le recording of n samples at 2 Msps
// split into caps captures of n/caps samples each, every capture tuned to
// its own frequency when retune, else all at one, and returns its path.
func writeCaptures(tb testing.TB, n, caps int, retune bool) string {
	tb.Helper()
	base := filepath.Join(tb.TempDir(), "caps")
	w, err := sigmf.NewWriter(base, "cf32_le", 2e6, 800e6, time.Time{})
	if err != nil {
		tb.Fatal(err)
	}
	iq := make([]complex64, n)
	for i := range iq {
		iq[i] = complex(float32(i%7)*1e-3, float32(i%5)*1e-3)
	}
	if err := w.Write(iq); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	m, err := sigmf.ReadMeta(base + sigmf.MetaExt)
	if err != nil {
		tb.Fatal(err)
	}
	m.Captures = m.Captures[:0]
	for i := range caps {
		f := 800e6
		if retune {
			f += float64(i)
		}
		m.Captures = append(m.Captures, sigmf.Capture{SampleStart: int64(i * (n / caps)), FrequencyHz: f})
	}
	if err := sigmf.WriteMeta(base+sigmf.MetaExt, m); err != nil {
		tb.Fatal(err)
	}
	return base + sigmf.MetaExt
}

// BenchmarkScanRecordingCaptures scans 0.2 s at 2 Msps split into more and
// more captures: the cost per capture, tuned alike or each to its own
// frequency.
func BenchmarkScanRecordingCaptures(b *testing.B) {
	const n = 400_000
	for _, retune := range []bool{false, true} {
		for _, caps := range []int{1, 100, 2000, 20000} {
			b.Run(fmt.Sprintf("retune=%v/captures=%d", retune, caps), func(b *testing.B) {
				path := writeCaptures(b, n, caps, retune)
				b.SetBytes(n * 8)
				b.ReportAllocs()
				for b.Loop() {
					rec, err := sigmf.Open(path)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := ScanRecording(context.Background(), rec, pipeline.Config{}, nil); err != nil {
						b.Fatal(err)
					}
					rec.Close()
				}
			})
		}
	}
}
