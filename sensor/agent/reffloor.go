package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rfwarden/rfwarden/internal/atomicfile"
	"github.com/rfwarden/rfwarden/internal/retrylog"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
)

// RefFloorKeeper is a Pipeline that keeps reference noise floors
// (*pipeline.Pipeline with Config.RefFloorOverDB): the agent saves them
// in the reference floor file and gives them back at the next start.
type RefFloorKeeper interface {
	KeepsRefFloors() bool
	RefFloors() []pipeline.RefFloor
	SeedRefFloors(refs []pipeline.RefFloor) error
}

var _ RefFloorKeeper = (*pipeline.Pipeline)(nil)

// refFloorFormat and refFloorVersion name the reference floor file's
// format; a file with another is not read.
const (
	refFloorFormat  = "rfwarden-reference-floor"
	refFloorVersion = 1
	// maxRefFloorFileBytes bounds the file read: MaxRefFloors tunings of
	// 1024 bins at about 8 bytes a value fit in 8 MiB with room.
	maxRefFloorFileBytes = 16 << 20
)

// refFloorFile is the reference floor file: JSON, one entry per tuning
// and gain (pipeline.RefFloor).
type refFloorFile struct {
	Format  string          `json:"format"`
	Version int             `json:"version"`
	Sensor  string          `json:"sensor"`
	SavedAt time.Time       `json:"saved_at"`
	Tunings []refFloorEntry `json:"tunings"`
}

type refFloorEntry struct {
	CenterHz     float64   `json:"center_hz"`
	SampleRateHz float64   `json:"sample_rate_hz"`
	GainDB       float64   `json:"gain_db"`
	FloorDBFS    []float64 `json:"floor_dbfs"`
}

// encodeRefFloors returns the file's bytes for refs.
func encodeRefFloors(sensorID string, at time.Time, refs []pipeline.RefFloor) ([]byte, error) {
	f := refFloorFile{Format: refFloorFormat, Version: refFloorVersion, Sensor: sensorID, SavedAt: at.UTC(),
		Tunings: make([]refFloorEntry, 0, len(refs))}
	for _, r := range refs {
		f.Tunings = append(f.Tunings, refFloorEntry{r.CenterHz, r.SampleRateHz, r.GainDB, r.FloorDBFS})
	}
	return json.Marshal(f)
}

// parseRefFloors reads a reference floor file written for sensorID. It
// returns an error naming the problem for data that is not such a file
// (not JSON, an unknown field, another format or version, another
// sensor's, no tunings) and for a tuning pipeline.SeedRefFloors would
// refuse (checked there too: here so a bad file is refused whole, not
// half seeded).
func parseRefFloors(data []byte, sensorID string) ([]pipeline.RefFloor, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f refFloorFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a reference floor file: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("not a reference floor file: data after its JSON object")
	}
	switch {
	case f.Format != refFloorFormat:
		return nil, fmt.Errorf("format %q, want %q", f.Format, refFloorFormat)
	case f.Version != refFloorVersion:
		return nil, fmt.Errorf("version %d, this sensor reads %d", f.Version, refFloorVersion)
	case f.Sensor != sensorID:
		return nil, fmt.Errorf("saved by sensor %q, this is %q", f.Sensor, sensorID)
	case len(f.Tunings) > pipeline.MaxRefFloors:
		return nil, fmt.Errorf("%d tunings, more than %d", len(f.Tunings), pipeline.MaxRefFloors)
	}
	out := make([]pipeline.RefFloor, 0, len(f.Tunings))
	seen := map[[3]float64]bool{}
	for i, e := range f.Tunings {
		r := pipeline.RefFloor{CenterHz: e.CenterHz, SampleRateHz: e.SampleRateHz, GainDB: e.GainDB, FloorDBFS: e.FloorDBFS}
		if err := pipeline.CheckRefFloor(r); err != nil {
			return nil, fmt.Errorf("tunings[%d]: %w", i, err)
		}
		k := [3]float64{e.CenterHz, e.SampleRateHz, e.GainDB}
		if seen[k] {
			return nil, fmt.Errorf("tunings[%d]: %.0f Hz at %.0f sps and %g dB repeated", i, e.CenterHz, e.SampleRateHz, e.GainDB)
		}
		seen[k] = true
		out = append(out, r)
	}
	return out, nil
}

// refFloors is the agent's side of the reference floor file.
type refFloors struct {
	keeper RefFloorKeeper
	path   string
	every  time.Duration
	last   time.Time // of the last snapshot handed to the writer
	save   chan []pipeline.RefFloor

	mu     sync.Mutex   // one writer at a time (atomicfile.Write)
	failed retrylog.Log // which failures to write are logged, under mu
}

// newRefFloors returns the agent's reference floor keeping, nil when the
// reference is off (reference_floor.over_db negative) or the pipeline
// keeps none.
func (a *Agent) newRefFloors() *refFloors {
	k, ok := a.deps.Pipeline.(RefFloorKeeper)
	if !ok || a.cfg.RefFloor.OverDB < 0 || !k.KeepsRefFloors() {
		return nil
	}
	return &refFloors{keeper: k, path: a.cfg.RefFloorPath(), every: a.cfg.RefFloor.SaveEvery}
}

// load seeds the pipeline from the file. A file that is not there is a
// first start; one that cannot be read or used is logged as an error and
// left alone (the next save replaces it): the sensor runs, learning the
// band's floor anew as before the file existed. A folder that does not
// exist (reference_floor.file's) is an error of the config, returned.
func (r *refFloors) load(a *Agent) error {
	if a.cfg.RefFloor.File != "" { // the default's folder is outbox.dir, which the outbox creates
		dir := filepath.Dir(r.path)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fmt.Errorf("reference_floor.file: folder %q does not exist: create it, or set reference_floor.file elsewhere", dir)
		}
	}
	f, err := os.Open(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		a.log.Info("reference floor file not there yet: each tuning's reference is learnt from its first samples", "file", r.path)
		return nil
	}
	var data []byte
	if err == nil {
		data, err = io.ReadAll(io.LimitReader(f, maxRefFloorFileBytes+1))
		f.Close()
		if err == nil && len(data) > maxRefFloorFileBytes {
			err = fmt.Errorf("larger than %d bytes", maxRefFloorFileBytes)
		}
	}
	var refs []pipeline.RefFloor
	if err == nil {
		refs, err = parseRefFloors(data, a.cfg.Sensor)
	}
	if err == nil {
		err = r.keeper.SeedRefFloors(refs)
	}
	if err != nil {
		a.log.Error("reference floor file ignored: each tuning's reference is learnt from its first samples; it is replaced at the next save",
			"file", r.path, "err", err)
		return nil
	}
	a.log.Info("reference floor file read", "file", r.path, "tunings", len(refs))
	return nil
}

// tick hands a snapshot to the writer when one is due (every SaveEvery of
// the agent's clock); called from the loop, which owns the pipeline. A
// writer still busy with the last one skips this one.
func (r *refFloors) tick(now time.Time) {
	if r.last.IsZero() {
		r.last = now
		return
	}
	if now.Sub(r.last) < r.every && !now.Before(r.last) {
		return
	}
	r.last = now
	select {
	case r.save <- r.keeper.RefFloors():
	default:
	}
}

// write writes refs to the file atomically (internal/atomicfile); a
// failure is logged, the first, then at most once per retrylog.Every
// with the count of the others, and tried again at the next save. Safe
// for concurrent use.
func (r *refFloors) write(a *Agent, refs []pipeline.RefFloor) {
	if len(refs) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := a.now()
	data, err := encodeRefFloors(a.cfg.Sensor, now, refs)
	if err == nil {
		err = atomicfile.Write(r.path, data, 0o644)
	}
	if err == nil {
		return
	}
	if ok, skipped := r.failed.FailedAs("write", now); ok {
		a.log.Warn("reference floor file not written: the next start learns each tuning's floor from its first samples",
			"file", r.path, "err", err, "failures_since_last_warning", skipped)
	}
}

// run writes the snapshots tick hands over until done is closed.
func (r *refFloors) run(a *Agent, done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case refs := <-r.save:
			r.write(a, refs)
		}
	}
}
