package sigmf

import (
	"archive/tar"
	"bufio"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/internal/atomicfile"
)

// Writer records samples to basePath.sigmf-data and, on Close, writes the
// metadata to basePath.sigmf-meta. It is not safe for concurrent use.
type Writer struct {
	base    string
	f       format
	file    *os.File
	bw      *bufio.Writer
	hash    hash.Hash
	meta    Meta
	n       int64
	clipped int64
	buf     []byte
	err     error
	closed  bool
}

// NewWriter creates basePath.sigmf-data (basePath may carry a SigMF
// extension, which is stripped) for samples of datatype ci8, ci16_le or
// cf32_le at sampleRateHz tuned to centerHz. start is the time of the first
// sample; the zero time leaves core:datetime out.
func NewWriter(basePath, datatype string, sampleRateHz, centerHz float64, start time.Time) (*Writer, error) {
	for _, ext := range []string{MetaExt, DataExt, ArchiveExt} {
		basePath = strings.TrimSuffix(basePath, ext)
	}
	f, err := parseFormat(datatype)
	if err != nil {
		return nil, fmt.Errorf("new writer %q: %w", basePath, err)
	}
	if !f.encodable() {
		return nil, fmt.Errorf("new writer %q: %w %q: the writer supports ci8, ci16_le and cf32_le", basePath, ErrDatatype, datatype)
	}
	if !(sampleRateHz > 0) || math.IsInf(sampleRateHz, 0) {
		return nil, fmt.Errorf("new writer %q: sample rate %v: %w", basePath, sampleRateHz, ErrNoSampleRate)
	}
	if math.IsNaN(centerHz) || math.IsInf(centerHz, 0) {
		return nil, fmt.Errorf("new writer %q: centre frequency %v: %w", basePath, centerHz, ErrBadMeta)
	}
	file, err := os.Create(basePath + DataExt)
	if err != nil {
		return nil, fmt.Errorf("new writer: %w", err)
	}
	w := &Writer{
		base: basePath,
		f:    f,
		file: file,
		hash: sha512.New(),
		meta: Meta{Global: Global{
			Datatype:     datatype,
			SampleRateHz: sampleRateHz,
			Version:      Version,
			Extra:        map[string]any{"core:recorder": "rfwarden"},
		}},
	}
	w.bw = bufio.NewWriterSize(io.MultiWriter(file, w.hash), 256<<10)
	w.meta.Captures = []Capture{{SampleStart: 0, FrequencyHz: centerHz, Datetime: formatTime(start)}}
	return w, nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// Write appends src to the data file. Integer formats clip values outside
// full scale and count them (written as "rfw:clipped_samples"). A NaN or Inf
// value is an error wrapping ErrNonFinite and nothing of src is written.
func (w *Writer) Write(src []complex64) error {
	if w.closed {
		return fmt.Errorf("write %q: writer is closed", w.base+DataExt)
	}
	if w.err != nil {
		return w.err
	}
	for i, v := range src {
		if re, im := real(v), imag(v); re-re != 0 || im-im != 0 {
			return fmt.Errorf("write %q: sample %d: %w", w.base+DataExt, w.n+int64(i), ErrNonFinite)
		}
	}
	for len(src) > 0 {
		chunk := src[:min(len(src), 8192)]
		src = src[len(chunk):]
		var clipped int64
		w.buf, clipped = encode(w.buf, chunk, w.f)
		w.clipped += clipped
		if _, err := w.bw.Write(w.buf); err != nil {
			w.err = fmt.Errorf("write %q: %w", w.base+DataExt, err)
			return w.err
		}
		w.n += int64(len(chunk))
	}
	return nil
}

// NumSamples returns the number of samples written so far.
func (w *Writer) NumSamples() int64 { return w.n }

// Clipped returns how many samples were clipped so far.
func (w *Writer) Clipped() int64 { return w.clipped }

// Retune starts a new capture segment at the next sample written, tuned to
// centerHz at time t (zero when unknown). A retune before any sample replaces
// the current segment.
func (w *Writer) Retune(centerHz float64, t time.Time) {
	c := Capture{SampleStart: w.n, FrequencyHz: centerHz, Datetime: formatTime(t)}
	if last := &w.meta.Captures[len(w.meta.Captures)-1]; last.SampleStart == w.n {
		*last = c
		return
	}
	w.meta.Captures = append(w.meta.Captures, c)
}

// Annotate adds an annotation to the metadata written by Close.
func (w *Writer) Annotate(a Annotation) { w.meta.Annotations = append(w.meta.Annotations, a) }

// SetExtra sets a global key (e.g. "rfw:gain_db") written by Close. Keys of
// Global fields are refused by Close.
func (w *Writer) SetExtra(key string, v any) { w.meta.Global.Extra[key] = v }

// SetCaptureExtra sets a key of the current capture segment (the one
// NewWriter or the last Retune began), e.g. "rfw:gain_db" when the gain
// differs between tunings. Keys of Capture fields are refused by Close; a
// Retune before any sample replaces the segment, and its keys with it.
func (w *Writer) SetCaptureExtra(key string, v any) {
	c := &w.meta.Captures[len(w.meta.Captures)-1]
	if c.Extra == nil {
		c.Extra = map[string]any{}
	}
	c.Extra[key] = v
}

// SetGlobal sets the descriptive global fields written by Close.
func (w *Writer) SetGlobal(description, author, hw, license string) {
	g := &w.meta.Global
	g.Description, g.Author, g.HW, g.License = description, author, hw, license
}

// Close flushes the data and writes the metadata (with core:sha512 of the
// data) atomically. Annotations beyond the written data are an error
// wrapping ErrMismatch. When Close fails (a full disk, a refused write
// before it, ErrMismatch) it removes the data file, so a failed recording
// leaves neither file: a data file without its metadata is no recording,
// and a full disk left one per snippet tried, empty and never cleaned up.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.close()
	if err != nil {
		if rerr := os.Remove(w.base + DataExt); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = fmt.Errorf("%w (and removing the partial data file: %v)", err, rerr)
		}
	}
	return err
}

// close is Close's work: the data flushed, synced and closed, then the
// metadata written.
func (w *Writer) close() error {
	err := w.err
	if ferr := w.bw.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("write %q: %w", w.base+DataExt, ferr)
	}
	if serr := w.file.Sync(); err == nil && serr != nil {
		err = fmt.Errorf("sync %q: %w", w.base+DataExt, serr)
	}
	if cerr := w.file.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close %q: %w", w.base+DataExt, cerr)
	}
	if err != nil {
		return err
	}
	for i, a := range w.meta.Annotations {
		if a.SampleStart < 0 || a.SampleCount < 0 || a.SampleStart > w.n || a.SampleCount > w.n-a.SampleStart {
			return fmt.Errorf("close %q: annotation %d [%d, +%d) beyond the %d samples written: %w", w.base, i, a.SampleStart, a.SampleCount, w.n, ErrMismatch)
		}
	}
	if w.n > 0 && w.meta.Captures[len(w.meta.Captures)-1].SampleStart >= w.n {
		w.meta.Captures = w.meta.Captures[:len(w.meta.Captures)-1] // retune after the last sample
	}
	w.meta.Global.Extra["core:sha512"] = hex.EncodeToString(w.hash.Sum(nil))
	if w.clipped > 0 {
		w.meta.Global.Extra["rfw:clipped_samples"] = w.clipped
	}
	rfw := hasPrefixedKey(w.meta.Global.Extra, "rfw:")
	for _, c := range w.meta.Captures {
		rfw = rfw || hasPrefixedKey(c.Extra, "rfw:")
	}
	if rfw {
		declareRFW(&w.meta.Global)
	}
	return WriteMeta(w.base+MetaExt, w.meta)
}

func hasPrefixedKey(m map[string]any, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// declareRFW lists the rfw extension in core:extensions, as SigMF requires
// for namespaced keys, unless it is there already.
func declareRFW(g *Global) { DeclareExtension(g, "rfw", "1.0.0", true) }

// DeclareExtension lists the extension name in g's core:extensions (an
// array of {name, version, optional}, SigMF 1.x), unless an entry of that
// name is there already. A pre-1.0 object form ({"antenna": "optional"},
// as gr-sigmf and early sigmf-python wrote) is first turned into 1.x
// entries, each declaration kept: its name, "optional" unless its value is
// "required", and as version a value that is another string ("" else),
// so what is written passes the 1.x schema. A value of any other type is
// left as it is. g.Extra is modified (made when nil): clone it first to
// keep the original.
func DeclareExtension(g *Global, name, version string, optional bool) {
	if g.Extra == nil {
		g.Extra = map[string]any{}
	}
	var exts []any
	switch v := g.Extra["core:extensions"].(type) {
	case nil:
	case []any:
		exts = v
	case map[string]any:
		exts = extensionsFromObject(v)
	default:
		return // caller-built value of another type: leave it as given
	}
	for _, e := range exts {
		if m, ok := e.(map[string]any); ok && m["name"] == name {
			g.Extra["core:extensions"] = exts
			return
		}
	}
	g.Extra["core:extensions"] = append(slices.Clip(exts), map[string]any{"name": name, "version": version, "optional": optional})
}

// extensionsFromObject returns the 1.x entries of a pre-1.0 object-form
// core:extensions, sorted by name (see DeclareExtension).
func extensionsFromObject(o map[string]any) []any {
	names := slices.Sorted(maps.Keys(o))
	out := make([]any, 0, len(names)+1)
	for _, n := range names {
		s, _ := o[n].(string)
		version := s
		if s == "optional" || s == "required" {
			version = ""
		}
		out = append(out, map[string]any{"name": n, "version": version, "optional": s != "required"})
	}
	return out
}

// WriteArchive writes a SigMF archive at path (x.sigmf) holding the metadata
// and data files as members "x/x.sigmf-meta" and "x/x.sigmf-data". The
// metadata is validated first; the archive is written atomically.
func WriteArchive(path, metaPath, dataPath string) error {
	if _, err := ReadMeta(metaPath); err != nil {
		return fmt.Errorf("write archive %q: %w", path, err)
	}
	base := strings.TrimSuffix(filepath.Base(path), ArchiveExt)
	tmp, err := atomicfile.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*") // 0666 less the umask
	if err != nil {
		return fmt.Errorf("write archive %q: %w", path, err)
	}
	err = writeTar(tmp, base, metaPath, dataPath)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write archive %q: %w", path, err)
	}
	return nil
}

// WriteArchiveTo streams a SigMF archive of the recording name (members
// "name/name.sigmf-meta" and "name/name.sigmf-data", from metaPath and
// dataPath) to dst, for a download of NAME.sigmf. The metadata is validated
// first.
func WriteArchiveTo(dst io.Writer, name, metaPath, dataPath string) error {
	if _, err := ReadMeta(metaPath); err != nil {
		return fmt.Errorf("write archive %q: %w", name, err)
	}
	if err := writeTar(dst, name, metaPath, dataPath); err != nil {
		return fmt.Errorf("write archive %q: %w", name, err)
	}
	return nil
}

func writeTar(dst io.Writer, base, metaPath, dataPath string) error {
	tw := tar.NewWriter(dst)
	for _, m := range []struct{ src, name string }{
		{metaPath, base + "/" + base + MetaExt},
		{dataPath, base + "/" + base + DataExt},
	} {
		if err := addFile(tw, m.src, m.name); err != nil {
			return err
		}
	}
	return tw.Close()
}

func addFile(tw *tar.Writer, src, name string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	h := &tar.Header{Name: name, Mode: 0o644, Size: st.Size(), ModTime: st.ModTime(), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(h); err != nil {
		return fmt.Errorf("member %q: %w", name, err)
	}
	if _, err := io.Copy(tw, f); err != nil {
		return fmt.Errorf("member %q: %w", name, err)
	}
	return nil
}
