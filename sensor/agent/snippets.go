package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// snippets saves short SigMF recordings around triggering detections,
// bounded in count and bytes on disk (existing snippets in dir count too).
// When a bound is reached new snippets are skipped, never old ones deleted:
// they may be evidence.
type snippets struct {
	dir      string
	maxCount int
	maxBytes int64
	dur      time.Duration

	count   int
	bytes   int64
	skipped int64
	buf     []complex64 // window's samples from the ring
}

func (s *snippets) init() error {
	if err := os.MkdirAll(s.dir, 0o750); err != nil {
		return fmt.Errorf("snippet dir: %w", err)
	}
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("snippet dir: %w", err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), sigmf.DataExt) {
			if fi, err := e.Info(); err == nil {
				s.count++
				s.bytes += fi.Size()
			}
		}
	}
	return nil
}

// iqRing is what a pipeline offers the snippets: the samples it processed
// lately (*pipeline.Pipeline's IQ).
type iqRing interface {
	IQ(dst []complex64, from, to int64) ([]complex64, int64)
}

// window returns the samples of r's snippet, at most s.dur of them from a
// quarter of that before the emission's start, and the block b they belong
// to with its samples replaced by them. From ring when it holds any of
// them, since the emission may have begun blocks before b, in which it
// closed; from b's own samples otherwise.
func (s *snippets) window(b sensor.Block, r *pipeline.Result, ring iqRing) sensor.Block {
	maxN := int64(s.dur.Seconds() * b.SampleRateHz)
	if ring == nil || maxN <= 0 {
		return b
	}
	from := r.Em.StartSample - maxN/4
	x, first := ring.IQ(s.buf[:0], from, from+maxN)
	s.buf = x
	if len(x) == 0 {
		return b
	}
	out := b
	out.Samples, out.FirstSample = x, first
	out.Time = b.Time.Add(time.Duration(float64(first-b.FirstSample) / b.SampleRateHz * float64(time.Second)))
	return out
}

// save writes the part of b's samples overlapping r's emission (at most dur
// of samples, centred on the emission's start) and returns the snippet's
// file base name, or "" when a bound stops it.
func (s *snippets) save(b sensor.Block, r *pipeline.Result, id string) (string, error) {
	maxN := int64(s.dur.Seconds() * b.SampleRateHz)
	if maxN <= 0 || len(b.Samples) == 0 {
		return "", nil
	}
	lo := max(r.Em.StartSample-b.FirstSample-maxN/4, 0)
	lo = min(lo, int64(len(b.Samples))-1)
	hi := min(lo+maxN, int64(len(b.Samples)))
	n := hi - lo
	size := n * 8 // cf32_le
	if s.count >= s.maxCount || s.bytes+size > s.maxBytes {
		s.skipped++
		return "", nil
	}
	name := "snippet-" + id
	start := b.Time.Add(time.Duration(float64(lo) / b.SampleRateHz * float64(time.Second)))
	w, err := sigmf.NewWriter(filepath.Join(s.dir, name), "cf32_le", b.SampleRateHz, b.CenterHz, start)
	if err != nil {
		return "", err
	}
	if err := w.Write(b.Samples[lo:hi]); err != nil {
		w.Close()
		return "", err
	}
	// The emission may have begun in an earlier block or go on past this
	// one: annotate only the part inside the snippet.
	aLo := min(max(r.Em.StartSample-b.FirstSample-lo, 0), n)
	aHi := min(max(r.Em.StartSample+r.Em.SampleCount-b.FirstSample-lo, aLo), n)
	if aHi == aLo { // the snippet is context around an emission outside it
		aLo, aHi = 0, n
	}
	w.Annotate(sigmf.Annotation{
		SampleStart: aLo, SampleCount: aHi - aLo,
		FreqLowerHz: r.FreqLowHz, FreqUpperHz: r.FreqHighHz, HasFreq: r.FreqHighHz > r.FreqLowHz,
		Label: r.Label.Text, Comment: id, Generator: "rfwarden sensor",
	})
	if err := w.Close(); err != nil {
		return "", err
	}
	s.count++
	s.bytes += size
	return name, nil
}
