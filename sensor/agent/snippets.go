package agent

import (
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// snippets saves short SigMF recordings around triggering detections,
// bounded in count and bytes on disk (existing snippets in dir count too).
// When a bound is reached new snippets are skipped, never old ones deleted:
// they may be evidence. Once started, a goroutine writes them (a 50 ms
// snippet at 20 Msps is 8 MB, synced to disk): the agent's loop only copies
// the samples, and skips a snippet when snippetQueue of them wait.
type snippets struct {
	dir      string
	maxCount int
	maxBytes int64
	dur      time.Duration
	every    time.Duration // see config.Snippets.Every

	last    map[emitterKey]time.Time // the stream time of each emitter's last snippet
	spaced  int64                    // snippets not saved because of every
	count   int
	bytes   int64
	skipped int64
	buf     []complex64 // window's samples from the ring

	jobs chan snippetJob // nil: save writes before it returns
	log  *slog.Logger
}

// emitterKey tells emitters apart for Snippets.Every: class and RF centre
// in 100 kHz steps; class alone for the hopping drone links (RC control,
// OcuSync-like video).
type emitterKey struct {
	class string
	bin   int64
}

// snippetQueue is how many snippets may wait for the writer.
const snippetQueue = 4

type snippetJob struct {
	name string
	b    sensor.Block // its samples only, owned by the job when queued
	ann  sigmf.Annotation
}

// start runs the writer until stop, which waits for the queued snippets.
func (s *snippets) start(log *slog.Logger) (stop func()) {
	s.jobs, s.log = make(chan snippetJob, snippetQueue), log
	done := make(chan struct{})
	go func() {
		defer close(done)
		for j := range s.jobs {
			if err := writeSnippet(s.dir, j); err != nil {
				s.log.Warn("snippet", "name", j.name, "err", err)
			}
		}
	}()
	return func() { close(s.jobs); <-done }
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

// window returns the block b with its samples replaced by those of r's
// snippet from ring, when it holds any of them: the emission may have begun
// blocks before b, in which it closed. Otherwise b as it is.
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

// save writes r's snippet, at most dur of samples from a quarter of that
// before the emission's start (from ring when it holds them, else from b),
// and returns its file base name, or "" when the spacing or a bound stops
// it. Those are checked before any samples are copied.
func (s *snippets) save(b sensor.Block, r *pipeline.Result, id string, ring iqRing) (string, error) {
	maxN := int64(s.dur.Seconds() * b.SampleRateHz)
	if maxN <= 0 {
		return "", nil
	}
	key := emitterKey{r.Label.Class, int64(math.Round(r.CenterHz / 100e3))}
	if r.Label.Class == event.ClassRCFHSS || r.Label.Class == event.ClassDroneVideo {
		key.bin = 0 // a hopping link's hops are one emitter wherever they land
	}
	if t, ok := s.last[key]; ok && s.every > 0 && !r.Time.Before(t) && r.Time.Sub(t) < s.every {
		s.spaced++
		return "", nil
	}
	if s.count >= s.maxCount {
		s.skipped++
		return "", nil
	}
	b = s.window(b, r, ring)
	if len(b.Samples) == 0 {
		return "", nil
	}
	lo := max(r.Em.StartSample-b.FirstSample-maxN/4, 0)
	lo = min(lo, int64(len(b.Samples))-1)
	hi := min(lo+maxN, int64(len(b.Samples)))
	n := hi - lo
	size := n * 8 // cf32_le
	if s.bytes+size > s.maxBytes {
		s.skipped++
		return "", nil
	}
	// The emission may have begun in an earlier block or go on past this
	// one: annotate only the part inside the snippet.
	aLo := min(max(r.Em.StartSample-b.FirstSample-lo, 0), n)
	aHi := min(max(r.Em.StartSample+r.Em.SampleCount-b.FirstSample-lo, aLo), n)
	if aHi == aLo { // the snippet is context around an emission outside it
		aLo, aHi = 0, n
	}
	j := snippetJob{name: "snippet-" + id, b: b, ann: sigmf.Annotation{
		SampleStart: aLo, SampleCount: aHi - aLo,
		FreqLowerHz: r.FreqLowHz, FreqUpperHz: r.FreqHighHz, HasFreq: r.FreqHighHz > r.FreqLowHz,
		Label: r.Label.Text, Comment: id, Generator: "rfwarden sensor",
	}}
	j.b.Time = b.Time.Add(time.Duration(float64(lo) / b.SampleRateHz * float64(time.Second)))
	j.b.FirstSample = b.FirstSample + lo
	if s.jobs == nil {
		j.b.Samples = b.Samples[lo:hi]
		if err := writeSnippet(s.dir, j); err != nil {
			return "", err
		}
	} else {
		j.b.Samples = slices.Clone(b.Samples[lo:hi])
		select {
		case s.jobs <- j:
		default: // the disk is behind: the pipeline does not wait for it
			s.skipped++
			return "", nil
		}
	}
	s.count++
	s.bytes += size
	if s.every > 0 {
		if s.last == nil || len(s.last) >= 4096 {
			s.last = map[emitterKey]time.Time{}
		}
		s.last[key] = r.Time
	}
	return j.name, nil
}

// writeSnippet writes j as the SigMF recording dir/j.name.
func writeSnippet(dir string, j snippetJob) error {
	w, err := sigmf.NewWriter(filepath.Join(dir, j.name), "cf32_le", j.b.SampleRateHz, j.b.CenterHz, j.b.Time)
	if err != nil {
		return err
	}
	if err := w.Write(j.b.Samples); err != nil {
		w.Close()
		return err
	}
	w.Annotate(j.ann)
	return w.Close()
}
