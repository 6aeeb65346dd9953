package eval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// BlockSamples is the block size ScanRecording and ScanSamples feed the
// pipeline with, as `rfwarden scan` does.
const BlockSamples = 1 << 16

// ScanRecording runs every sample of rec through a new pipeline with cfg,
// one block of at most BlockSamples at a time and never across a capture
// segment boundary, and returns the results sorted by start sample.
// progress, when not nil, is called with the number of samples of each block.
func ScanRecording(ctx context.Context, rec *sigmf.Recording, cfg pipeline.Config, progress func(samples int)) ([]pipeline.Result, error) {
	n := rec.NumSamples()
	rate := rec.SampleRateHz()
	p := pipeline.New(cfg)
	// An evidence snippet carries the noise floor its sensor had
	// (pipeline.NoiseFloorKey): judged against it, one that starts with
	// its emission on is judged as the sensor judged it. A malformed one
	// is left out, and that tuning's floor learnt from the samples.
	_, _ = p.SeedFloors(rec.Meta())
	iq := make([]complex64, BlockSamples)
	var results []pipeline.Result
	for pos := int64(0); pos < n; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		want := min(int64(len(iq)), rec.SegmentEnd(pos)-pos)
		k, err := rec.Read(iq[:want])
		if k > 0 {
			b := sensor.Block{Samples: iq[:k], CenterHz: rec.CenterHzAt(pos), SampleRateHz: rate,
				FirstSample: pos, Time: rec.TimeAt(pos), Device: "file"}
			if results, err = p.Process(b, results); err != nil {
				return nil, fmt.Errorf("scan %q: %w", rec.Path(), err)
			}
			pos += int64(k)
			if progress != nil {
				progress(k)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("scan %q: %w", rec.Path(), err)
		}
		if k == 0 {
			break
		}
	}
	return sortResults(p.Flush(results)), nil
}

// ScanSamples runs iq, captured at centerHz and sampleRateHz, through a new
// pipeline with cfg in blocks of BlockSamples, and returns the results
// sorted by start sample.
func ScanSamples(ctx context.Context, iq []complex64, centerHz, sampleRateHz float64, cfg pipeline.Config) ([]pipeline.Result, error) {
	p := pipeline.New(cfg)
	var results []pipeline.Result
	for pos := 0; pos < len(iq); pos += BlockSamples {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		end := min(len(iq), pos+BlockSamples)
		var err error
		b := sensor.Block{Samples: iq[pos:end], CenterHz: centerHz, SampleRateHz: sampleRateHz,
			FirstSample: int64(pos), Device: "synth"}
		if results, err = p.Process(b, results); err != nil {
			return nil, err
		}
	}
	return sortResults(p.Flush(results)), nil
}

func sortResults(r []pipeline.Result) []pipeline.Result {
	slices.SortStableFunc(r, func(a, b pipeline.Result) int { return cmp.Compare(a.Em.StartSample, b.Em.StartSample) })
	return r
}

// OwnGenerator is the core:generator `rfwarden scan --annotate` writes on
// its detections; such annotations are not ground truth and are ignored.
const OwnGenerator = "rfwarden"

// TruthOf reads the ground truth of SigMF metadata: every annotation with a
// core:label not written by rfwarden itself, mapped by ParseLabel. An
// annotation without frequency edges covers the whole band.
func TruthOf(m sigmf.Meta) []Truth {
	var out []Truth
	for _, a := range m.Annotations {
		if strings.TrimSpace(a.Label) == "" || a.Generator == OwnGenerator {
			continue
		}
		class, link, kind := ParseLabel(a.Label)
		t := Truth{Class: class, Link: link, Kind: kind, Label: a.Label,
			StartSample: a.SampleStart, SampleCount: a.SampleCount,
			FreqLowHz: math.Inf(-1), FreqHighHz: math.Inf(1), SNRDB: math.NaN()}
		if a.HasFreq {
			t.FreqLowHz, t.FreqHighHz = a.FreqLowerHz, a.FreqUpperHz
		}
		out = append(out, t)
	}
	return out
}

// ErrNoCorpus is returned when a corpus folder holds no labelled recording.
var ErrNoCorpus = errors.New("no SigMF recording with core:label annotations")

// FindCorpus lists the SigMF recordings (.sigmf-meta files and .sigmf
// archives) under dir, recursively, sorted by path.
func FindCorpus(dir string) ([]string, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, sigmf.MetaExt) || strings.HasSuffix(path, sigmf.ArchiveExt)) {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("corpus %q: %w", dir, err)
	}
	slices.Sort(paths)
	return paths, nil
}

// CorpusFile is one scored corpus recording.
type CorpusFile struct {
	Path         string
	SampleRateHz float64
	Truth        []Truth
	Dets         []Detection
	Matched      Matched
}

// RunCorpusFile opens one SigMF recording, runs it through the pipeline and
// matches the detections with its labelled annotations. A recording
// without labelled annotations returns ErrNoCorpus.
func RunCorpusFile(ctx context.Context, path string, cfg pipeline.Config) (CorpusFile, error) {
	rec, err := sigmf.Open(path)
	if err != nil {
		return CorpusFile{}, fmt.Errorf("corpus: %w", err)
	}
	defer rec.Close()
	truth := TruthOf(rec.Meta())
	if len(truth) == 0 {
		return CorpusFile{}, fmt.Errorf("corpus %q: %w", path, ErrNoCorpus)
	}
	res, err := ScanRecording(ctx, rec, cfg, nil)
	if err != nil {
		return CorpusFile{}, fmt.Errorf("corpus: %w", err)
	}
	f := CorpusFile{Path: path, SampleRateHz: rec.SampleRateHz(), Truth: truth}
	for _, r := range res {
		f.Dets = append(f.Dets, DetectionOf(r))
	}
	f.Matched = Match(truth, f.Dets)
	return f, nil
}

// RunCorpus scores every labelled recording under dir (see FindCorpus);
// recordings without labels are skipped. step, when not nil, is called
// once per recording. It fails with ErrNoCorpus when nothing was scored.
func RunCorpus(ctx context.Context, dir string, cfg pipeline.Config, step func(path string)) (*Tally, []CorpusFile, error) {
	paths, err := FindCorpus(dir)
	if err != nil {
		return nil, nil, err
	}
	t := NewTally()
	var files []CorpusFile
	for _, p := range paths {
		f, err := RunCorpusFile(ctx, p, cfg)
		if step != nil {
			step(p)
		}
		if errors.Is(err, ErrNoCorpus) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		t.Add(filepath.Base(strings.TrimSuffix(strings.TrimSuffix(p, sigmf.MetaExt), sigmf.ArchiveExt)), f.Matched, f.SampleRateHz)
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("corpus %q: %w", dir, ErrNoCorpus)
	}
	return t, files, nil
}
