package agent

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/replay"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// snippets saves short SigMF recordings around triggering detections,
// bounded in count and bytes on disk. Past a bound the oldest snippet makes
// room, unless an alert has asked to keep it (keep, fusion's event.CmdKeep):
// those are evidence, and are deleted here only once sent to the dashboard
// (upload) and only after every snippet not kept; when kept ones not sent
// yet fill the bounds, new snippets are skipped. The bounds count this sensor's
// snippets in dir (names snippet-SENSOR-BOOT-START-SEQ), those of earlier
// runs too; a kept one has a marker file NAME.keep beside it, so it stays
// kept across restarts. Each keeps its emission's band only (snippetBand:
// shifted, filtered and decimated to it, with a guard of noise beside it).
// Once started, a goroutine cuts them to their band and writes them (a
// 50 ms snippet that keeps a whole 20 Msps capture is 8 MB, synced to
// disk) and deletes the ones rotated out, in order: the agent's loop only
// copies the samples, and skips a snippet when snippetQueue of them wait.
type snippets struct {
	dir      string
	sensor   string // its snippets of earlier runs are found by this ID
	site     string // written into each snippet (rfw:site)
	maxCount int
	maxBytes int64
	dur      time.Duration
	every    time.Duration // see config.Snippets.Every
	// local: nobody uploads them (config.Snippets.Upload off: the
	// dashboard reads this folder itself), so a kept snippet counts as
	// delivered and rotates after every one not kept.
	local bool

	// the agent's loop only
	last    map[emitterKey]time.Time // the stream time of each emitter's last snippet
	spaced  int64                    // snippets not saved because of every
	skipped int64
	buf     []complex64 // window's samples from the ring

	mu         sync.Mutex // guards the rest: keep runs on the MQTT client's goroutine
	files      map[string]*snippetFile
	order      []string // names in the order saved, oldest first (rotation's order)
	count      int
	bytes      int64
	keptCount  int
	keptBytes  int64
	rotated    int64
	uploaded   int64
	fullOfKept bool // the last skip was for want of room that kept snippets not sent yet fill
	// kept is signalled when keep marks snippets kept: the uploader looks
	kept chan struct{}

	jobs chan snippetJob // nil: save writes before it returns
	log  *slog.Logger
}

// snippetFile is one of this sensor's snippets on disk (or queued for it).
type snippetFile struct {
	bytes int64
	kept  bool
	sent  bool // uploaded as evidence (kept ones only)
}

// keepExt marks a snippet an alert asked to keep; sentExt one uploaded.
const (
	keepExt = ".keep"
	sentExt = ".sent"
)

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
	rotate []string // snippets to delete first, oldest first
	name   string
	b      sensor.Block // its samples only, owned by the job when queued
	ann    sigmf.Annotation
	sensor string
	site   string
	// floorDBFS is the detector's noise floor at the tuning when the
	// snippet was cut (pipeline.NoiseFloorKey); nil when unknown.
	floorDBFS []float64
	// lead is how many of the snippet's samples precede its emission; -1
	// when the emission lies outside it (a snippet of context).
	lead int64
	// wantLead is the lead the sensor aims for: a quarter of the snippet's
	// length (docs/events.md).
	wantLead int64
	// band is the band the snippet keeps of its capture: the writer
	// shifts, filters and decimates b's samples to it (lead, wantLead and
	// ann are in its samples already).
	band snippetBand
}

// start runs the writer until stop, which waits for the queued snippets.
func (s *snippets) start(log *slog.Logger) (stop func()) {
	s.jobs, s.log = make(chan snippetJob, snippetQueue), log
	done := make(chan struct{})
	go func() {
		defer close(done)
		for j := range s.jobs {
			s.remove(j.rotate)
			if err := writeSnippet(s.dir, j); err != nil {
				s.logger().Warn("snippet", "name", j.name, "err", err)
				s.forget(j.name)
			}
		}
	}()
	return func() { close(s.jobs); <-done }
}

func (s *snippets) logger() *slog.Logger {
	if s.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.log
}

func (s *snippets) init() error {
	if err := os.MkdirAll(s.dir, 0o750); err != nil {
		return fmt.Errorf("snippets.dir: %w", err)
	}
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("snippets.dir: %w", err)
	}
	type found struct {
		name string
		mod  time.Time
	}
	var old []found
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files = map[string]*snippetFile{}
	s.removeOrphanMarkers(ents)
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), sigmf.DataExt)
		if !ok || !s.own(name) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		f := &snippetFile{bytes: fi.Size()}
		if _, err := os.Stat(filepath.Join(s.dir, name+keepExt)); err == nil {
			f.kept = true
			_, err := os.Stat(filepath.Join(s.dir, name+sentExt))
			f.sent = err == nil || s.local
			s.keptCount++
			s.keptBytes += f.bytes
		}
		old = append(old, found{name, fi.ModTime()})
		s.files[name] = f
		s.count++
		s.bytes += f.bytes
	}
	slices.SortFunc(old, func(a, b found) int {
		if c := a.mod.Compare(b.mod); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	for _, f := range old {
		s.order = append(s.order, f.name)
	}
	return nil
}

// removeOrphanMarkers deletes this sensor's markers (NAME.keep,
// NAME.sent) whose snippet is gone: the dashboard's retention deleted it
// in a folder the two share (the demo's; until 2026-12-06 it left the
// markers), or the sensor stopped between removing a rotated snippet's
// files. Nothing else removed them: the books read only snippets' files
// (the soak test of 2026-12-06 found 496 such markers).
func (s *snippets) removeOrphanMarkers(ents []os.DirEntry) {
	have := map[string]bool{}
	for _, e := range ents {
		if name, ok := strings.CutSuffix(e.Name(), sigmf.DataExt); ok {
			have[name] = true
		}
	}
	for _, e := range ents {
		for _, ext := range []string{keepExt, sentExt} {
			name, ok := strings.CutSuffix(e.Name(), ext)
			if !ok || !s.own(name) || have[name] || !e.Type().IsRegular() {
				continue
			}
			if err := os.Remove(filepath.Join(s.dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				s.logger().Warn("snippet: marker of a snippet gone", "name", e.Name(), "err", err)
			}
		}
	}
}

// own reports whether name is a snippet of this sensor, of any run:
// "snippet-" and one of its detection IDs (event.DetectionOf; DetectionID
// makes them).
func (s *snippets) own(name string) bool {
	id, ok := strings.CutPrefix(name, "snippet-")
	return ok && event.DetectionOf(s.sensor, id)
}

// keep marks the snippets of the detections ids kept (an alert's
// evidence): rotation passes them over, and a marker file keeps them so
// across restarts. It returns how many of ids have a snippet here, and
// how many of those were not kept before; the rest were never saved (no
// trigger, spaced out, another sensor's) or were rotated out already.
func (s *snippets) keep(ids []string) (have, newly int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		name := "snippet-" + id
		f, ok := s.files[name]
		if !ok {
			continue
		}
		have++
		if f.kept {
			continue
		}
		// The name is one this sensor saved, never a path from the message.
		if err := os.WriteFile(filepath.Join(s.dir, name+keepExt), nil, 0o640); err != nil {
			s.logger().Warn("snippet: keep marker", "name", name, "err", err)
		}
		f.kept = true
		f.sent = s.local
		s.keptCount++
		s.keptBytes += f.bytes
		s.fullOfKept = false
		newly++
	}
	if newly > 0 && s.kept != nil {
		select {
		case s.kept <- struct{}{}:
		default: // the uploader has yet to look since the last signal
		}
	}
	return have, newly
}

// unsent lists the kept snippets not uploaded yet, by name.
func (s *snippets) unsent() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for n, f := range s.files {
		if f.kept && !f.sent {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// archive returns the kept snippet name as a SigMF archive.
func (s *snippets) archive(name string) ([]byte, error) {
	var b bytes.Buffer
	base := filepath.Join(s.dir, name)
	if err := sigmf.WriteArchiveTo(&b, name, base+sigmf.MetaExt, base+sigmf.DataExt); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// markSent records that the kept snippet name was uploaded (NAME.sent).
func (s *snippets) markSent(name string) {
	if err := os.WriteFile(filepath.Join(s.dir, name+sentExt), nil, 0o640); err != nil {
		s.logger().Warn("snippet: sent marker", "name", name, "err", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.files[name]; ok {
		f.sent = true
	}
	s.uploaded++
}

// makeRoom picks snippets to delete so that one more of size bytes fits
// the bounds, takes them off the books and returns them: first those no
// alert asked to keep, oldest first; then kept ones already sent to the
// dashboard, oldest first. ok is false, and nothing is picked, when the
// kept ones not sent yet leave no room.
func (s *snippets) makeRoom(size int64) (rotate []string, ok bool) {
	fits := func() bool { return s.count+1 <= s.maxCount && s.bytes+size <= s.maxBytes }
	if fits() {
		return nil, true
	}
	if n, b := s.held(); n+1 > s.maxCount || b+size > s.maxBytes {
		return nil, false
	}
	for pass := 0; pass < 2 && !fits(); pass++ {
		rest := s.order[:0] // written behind the reading position
		for _, name := range s.order {
			f, ok := s.files[name]
			if !ok {
				continue
			}
			if !fits() && (pass == 0 && !f.kept || pass == 1 && f.kept && f.sent) {
				s.drop(name)
				s.rotated++
				rotate = append(rotate, name)
				continue
			}
			rest = append(rest, name)
		}
		s.order = rest
	}
	return rotate, true
}

// held counts the snippets rotation may not delete: kept, and not sent to
// the dashboard yet.
func (s *snippets) held() (n int, bytes int64) {
	for _, f := range s.files {
		if f.kept && !f.sent {
			n++
			bytes += f.bytes
		}
	}
	return n, bytes
}

// drop takes name off the books.
func (s *snippets) drop(name string) {
	f, ok := s.files[name]
	if !ok {
		return
	}
	delete(s.files, name)
	s.count--
	s.bytes -= f.bytes
	if f.kept {
		s.keptCount--
		s.keptBytes -= f.bytes
	}
}

// forget takes a snippet that could not be written off the books.
func (s *snippets) forget(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop(name)
}

// snippetStats are the snippets' books.
type snippetStats struct {
	count, kept              int
	bytes, rotated, uploaded int64
}

func (s *snippets) stats() snippetStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return snippetStats{count: s.count, kept: s.keptCount, bytes: s.bytes, rotated: s.rotated, uploaded: s.uploaded}
}

// skip counts a snippet skipped for want of room, and says so once each
// time the kept snippets come to fill the bounds.
func (s *snippets) skip() {
	s.skipped++
	s.mu.Lock()
	warn := !s.fullOfKept
	s.fullOfKept = true
	n, size := s.held()
	s.mu.Unlock()
	if warn {
		s.logger().Warn("snippets: kept ones (alert evidence) not yet sent to the dashboard fill snippets.max_count or max_bytes; new snippets are skipped until they are sent or removed",
			"dir", s.dir, "held", n, "held_bytes", size)
	}
}

// remove deletes the rotated snippets' files.
func (s *snippets) remove(names []string) {
	for _, n := range names {
		for _, ext := range []string{sigmf.DataExt, sigmf.MetaExt, keepExt, sentExt} {
			if err := os.Remove(filepath.Join(s.dir, n+ext)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				s.logger().Warn("snippet: rotate", "name", n, "err", err)
			}
		}
	}
}

// iqRing is what a pipeline offers the snippets: the samples it processed
// lately (*pipeline.Pipeline's IQ).
type iqRing interface {
	IQ(dst []complex64, from, to int64) ([]complex64, int64)
}

// floorRing is an iqRing that also tells the noise floor its detector has
// at the current tuning (*pipeline.Pipeline's NoiseFloorBinsDBFS): a
// snippet carries it, so a replay judges the snippet against it.
type floorRing interface {
	NoiseFloorBinsDBFS(dst []float64) []float64
}

// window returns the block b with its samples replaced by those of r's
// snippet from ring, when it holds any of them: the emission may have begun
// blocks before b, in which it closed. When the ring holds none of the
// snippet's span (an emission ended by a time gap or a gap in the sample
// count, whose samples the ring let go), b's own samples as the ring holds
// them: the pipeline's, with the receiver's IQ imbalance undone as the
// detector saw them, not the Block's as received, so a snippet's image
// is as far down whichever way it was cut (TestSnippetFallbackIQCorrected).
// b as it is only without a ring, or when the ring holds none of b.
func (s *snippets) window(b sensor.Block, r *pipeline.Result, ring iqRing) sensor.Block {
	maxN := int64(s.dur.Seconds() * b.SampleRateHz)
	if ring == nil || maxN <= 0 {
		return b
	}
	from := r.Em.StartSample - maxN/4
	x, first := ring.IQ(s.buf[:0], from, from+maxN)
	if len(x) == 0 {
		x, first = ring.IQ(s.buf[:0], b.FirstSample, b.FirstSample+int64(len(b.Samples)))
	}
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
// before the emission's start (from ring when it holds them, else from b)
// in the band planSnippetBand picks, and returns its file base name, or ""
// when the spacing or a bound stops it. Those are checked before any
// samples are copied.
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
	if s.jobs != nil && len(s.jobs) == cap(s.jobs) {
		// the disk is behind: the pipeline does not wait for it (only this
		// goroutine sends, so below the send cannot block)
		s.skipped++
		return "", nil
	}
	s.mu.Lock()
	held, _ := s.held()
	s.mu.Unlock()
	full := held >= s.maxCount
	if full {
		s.skip()
		return "", nil
	}
	b = s.window(b, r, ring)
	if len(b.Samples) == 0 {
		return "", nil
	}
	lo := max(r.Em.StartSample-b.FirstSample-maxN/4, 0)
	lo = min(lo, int64(len(b.Samples))-1)
	hi := min(lo+maxN, int64(len(b.Samples)))
	band := planSnippetBand(b.SampleRateHz, b.CenterHz, r)
	n := band.outLen(hi - lo)
	size := n * 8 // cf32_le
	s.mu.Lock()
	rotate, ok := s.makeRoom(size)
	s.mu.Unlock()
	if !ok {
		s.skip()
		return "", nil
	}
	// The emission may have begun in an earlier block or go on past this
	// one: annotate only the part inside the snippet.
	d := int64(band.factor)
	aLo := min(max(r.Em.StartSample-b.FirstSample-lo, 0)/d, n)
	aHi := min(max((r.Em.StartSample+r.Em.SampleCount-b.FirstSample-lo+d-1)/d, aLo), n)
	lead := aLo
	if aHi == aLo { // the snippet is context around an emission outside it
		aLo, aHi, lead = 0, n, -1
	}
	j := snippetJob{rotate: rotate, name: "snippet-" + id, b: b, ann: sigmf.Annotation{
		SampleStart: aLo, SampleCount: aHi - aLo,
		FreqLowerHz: band.loHz, FreqUpperHz: band.hiHz, HasFreq: band.hiHz > band.loHz,
		Label: r.Label.Text, Comment: id, Generator: SnippetGenerator,
		// the class and link a replay's verdict is compared with
		Extra: map[string]any{"rfw:class": r.Label.Class, "rfw:link": r.Label.Link},
	}, sensor: s.sensor, site: s.site, lead: lead, wantLead: maxN / 4 / d, band: band}
	if r.Label.Band != "" {
		j.ann.Extra["rfw:band"] = r.Label.Band
	}
	if f, ok := ring.(floorRing); ok {
		j.floorDBFS = band.floor(f.NoiseFloorBinsDBFS(nil))
		for i, v := range j.floorDBFS {
			j.floorDBFS[i] = math.Round(v*100) / 100
		}
	}
	j.b.Time = b.Time.Add(time.Duration(float64(lo) / b.SampleRateHz * float64(time.Second)))
	j.b.FirstSample = b.FirstSample + lo
	s.mu.Lock()
	if s.files == nil {
		s.files = map[string]*snippetFile{}
	}
	s.files[j.name] = &snippetFile{bytes: size}
	s.order = append(s.order, j.name)
	s.count++
	s.bytes += size
	s.mu.Unlock()
	if s.jobs == nil {
		j.b.Samples = b.Samples[lo:hi]
		s.remove(j.rotate)
		if err := writeSnippet(s.dir, j); err != nil {
			s.forget(j.name)
			return "", err
		}
	} else {
		j.b.Samples = slices.Clone(b.Samples[lo:hi])
		s.jobs <- j
	}
	if s.every > 0 {
		if s.last == nil || len(s.last) >= 4096 {
			s.last = map[emitterKey]time.Time{}
		}
		s.last[key] = r.Time
	}
	return j.name, nil
}

// SnippetGenerator is the core:generator of a snippet's annotation: the
// sensor's own detection, which replays and `rfwarden scan --annotate`
// keep beside theirs (core:generator pipeline.Generator).
const SnippetGenerator = "rfwarden sensor"

// writeSnippet writes j as the SigMF recording dir/j.name, its samples
// cut to its band (j.band: the kept band's core:sample_rate and
// core:frequency; the capture's as CaptureRateKey and CaptureCenterKey,
// and BandFilterKey saying how), saying where it was heard: the site
// (rfw:site), the sensor (rfw:sensor, and in core:hw with its device),
// the receive gain (replay.GainKey) and the detector's noise floor
// (pipeline.NoiseFloorKey) on the capture, and the samples it holds
// before its emission (rfw:lead_samples; the description says when they
// fall short of the quarter of its length the sensor aims for).
func writeSnippet(dir string, j snippetJob) error {
	capRateHz, capCenterHz := j.b.SampleRateHz, j.b.CenterHz
	if j.band.factor > 1 {
		j.b.Samples = j.band.apply(j.b.Samples)
		j.b.SampleRateHz, j.b.CenterHz = j.band.rateHz, j.band.centerHz
	}
	w, err := sigmf.NewWriter(filepath.Join(dir, j.name), "cf32_le", j.b.SampleRateHz, j.b.CenterHz, j.b.Time)
	if err != nil {
		return err
	}
	if err := w.Write(j.b.Samples); err != nil {
		w.Close()
		return err
	}
	w.Annotate(j.ann)
	who := "rfwarden sensor"
	if j.sensor != "" {
		who += " " + j.sensor
		w.SetExtra("rfw:sensor", j.sensor)
	}
	if j.site != "" {
		w.SetExtra("rfw:site", j.site)
	}
	w.SetGlobal(snippetDescription(j), who, hardware(j.b.Device)+" ("+who+")", "")
	if j.lead >= 0 {
		w.SetExtra("rfw:lead_samples", j.lead)
	}
	w.SetExtra(CaptureRateKey, capRateHz)
	w.SetExtra(CaptureCenterKey, capCenterHz)
	if j.band.factor > 1 {
		w.SetExtra(BandFilterKey, j.band.filterText())
	}
	w.SetCaptureExtra(replay.GainKey, j.b.GainDB)
	if len(j.floorDBFS) > 0 {
		w.SetCaptureExtra(pipeline.NoiseFloorKey, j.floorDBFS)
	}
	return w.Close()
}

// hardware names the receiver of a Block's Device for core:hw.
func hardware(device string) string {
	switch device {
	case "hackrf":
		return "HackRF One"
	case "sim":
		return "rfwarden simulator"
	case "":
		return "unknown receiver"
	}
	return device
}

// snippetDescription is a snippet's core:description: what it is, and
// when it holds fewer samples before its emission than the sensor aims
// for, why and what a replay does about it.
func snippetDescription(j snippetJob) string {
	d := "Evidence snippet of detection " + j.ann.Comment
	if j.ann.Label != "" {
		d += " (" + j.ann.Label + ")"
	}
	d += ". " + j.band.describe()
	if j.lead < 0 || j.lead >= j.wantLead {
		return d
	}
	ms := float64(j.lead) / j.b.SampleRateHz * 1e3
	if j.lead == 0 {
		d += " It holds no samples before its emission: the sensor's samples at this tuning begin with it on (a dwell that began while it transmitted)."
	} else {
		d += fmt.Sprintf(" It holds only %d samples (%.3f ms) before its emission, not the quarter of its length the sensor keeps: the sensor's samples at this tuning begin there (a dwell began).", j.lead, ms)
	}
	return d + " A replay judges it against the noise floor the sensor had (" + pipeline.NoiseFloorKey + ")."
}
