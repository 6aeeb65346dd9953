package sigmf

import (
	"archive/tar"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// Extension suffixes of SigMF files.
const (
	MetaExt    = ".sigmf-meta"
	DataExt    = ".sigmf-data"
	ArchiveExt = ".sigmf"
)

// bufBytes is the size of a Recording's reusable read buffer.
const bufBytes = 256 << 10

// MaxMetaBytes bounds the metadata rfwarden reads, a .sigmf-meta file or
// an archive's member: 64 MiB holds some 250,000 annotations. Metadata is
// parsed whole, at several times its size in memory (a 250 MB file took
// 1.6 GB), so a larger one is refused before it is read.
const MaxMetaBytes = 64 << 20

// MaxCaptures bounds the captures of a recording rfwarden reads. Each
// tuning is a new detector and a flush of the emissions open, so a
// hostile recording of one-sample captures held a replay for minutes;
// 100,000 captures are 33 minutes of a sensor's scan at 20 ms dwells.
const MaxCaptures = 100_000

// Recording is an open SigMF or raw IQ recording read sample by sample.
// It is not safe for concurrent use.
type Recording struct {
	meta     Meta
	path     string // data file, or archive:member
	dataFile string // the file the samples are read from: the data file, or the archive
	dataOff  int64  // where in dataFile the data starts: an archive member's offset
	f        format
	closer   io.Closer
	data     *io.SectionReader
	n        int64 // samples
	pos      int64 // next sample to read
	buf      []byte
	// capTimes is, per capture, its core:datetime, or the time
	// core:global_index gives it after a dated capture before it (see
	// TimeAt); zero if neither.
	capTimes []time.Time
	// capIndex is, per capture, its core:global_index, -1 when absent.
	capIndex []int64
	// lost is, per capture, the samples core:global_index says were lost
	// before its first sample, those of the captures before it included
	// (see StreamSample). nil when none were.
	lost []int64
	// hdrBytes is, per capture, the core:header_bytes of it and the
	// captures before it: where its samples are offset in the data. nil
	// when no capture has header bytes.
	hdrBytes []int64
	runEnd   []int64  // per capture, SegmentEnd of its samples
	runStart []int64  // per capture, SegmentStart of its samples
	files    []string // the files read: metadata and data, the archive, or the raw file
}

// Open opens a SigMF recording. path may name the metadata (x.sigmf-meta),
// the data (x.sigmf-data; the metadata beside it is read), a tar archive
// (x.sigmf) or the base name x. The metadata is validated against the data:
// the data size must be a whole number of samples, the datatype supported and
// every capture and annotation inside the data.
func Open(path string) (*Recording, error) { return OpenWith(path, Overrides{}) }

// Overrides replace fields of a recording's metadata, for metadata known to
// be wrong or incomplete. A zero field keeps the metadata's value.
type Overrides struct {
	// Datatype replaces core:datatype, so the metadata's may be one this
	// package does not read, or malformed.
	Datatype string
	// SampleRateHz replaces core:sample_rate, so the metadata's may be
	// missing or invalid.
	SampleRateHz float64
	// CenterHz replaces core:frequency in every capture, which must all
	// have the same one: one value cannot stand for several tunings. A
	// recording without captures gets one at sample 0.
	CenterHz float64
	// MustAgree makes the fields describe the recording rather than
	// correct it: a value the metadata has must agree with the field's
	// (within 1e-9 of it, for numbers), else the recording is refused
	// with ErrOverride naming the key and both values; a value it lacks
	// is filled in.
	MustAgree bool
	// FollowRFWDataset reads the samples of metadata with no data beside
	// it from the file its rfw:dataset names: a path relative to the
	// metadata's folder, as `rfwarden scan --annotate` writes for an OUT
	// elsewhere. A SigMF archive (.sigmf) named there gives the samples
	// of its one recording's data member, read with this metadata, as
	// scan --annotate of an archive writes (until 2026-12-05 it wrote
	// "X.sigmf:X/X.sigmf-data", which named no file). An absolute path is
	// refused (a corpus copied elsewhere would read other files). Off, rfw:dataset is only named in the
	// error: metadata from elsewhere (an upload) does not reach files
	// outside its folder.
	FollowRFWDataset bool
	// DatasetRoot is the folder the file rfw:dataset names must be in,
	// after symbolic links (eval: the corpus folder it was given); empty,
	// the metadata's own folder. A path leading elsewhere ("../../x", a
	// link out) is refused with ErrBadMeta naming rfw:dataset, before the
	// file is looked at: metadata in a corpus cannot have eval read, or
	// report the size or existence of, a file outside it.
	DatasetRoot string
	// DatasetRootSetting names the setting that gives DatasetRoot, for
	// the error refusing an rfw:dataset that leads out of it: the
	// sensor's "source.dataset_root"; empty, "--dataset-root" (scan's
	// and eval's flag).
	DatasetRootSetting string
}

// OpenWith is Open with the metadata's fields replaced by ov before it is
// validated against the data. The data and the rest of the metadata are
// read as they are, and Meta returns the metadata with ov applied.
func OpenWith(path string, ov Overrides) (*Recording, error) {
	if err := ov.check(); err != nil {
		return nil, fmt.Errorf("open recording %q: %w", path, err)
	}
	switch {
	case strings.HasSuffix(path, ArchiveExt):
		return openArchive(path, ov)
	case strings.HasSuffix(path, MetaExt):
		return openPair(strings.TrimSuffix(path, MetaExt), ov)
	case strings.HasSuffix(path, DataExt):
		return openPair(strings.TrimSuffix(path, DataExt), ov)
	}
	if _, err := os.Stat(path + MetaExt); err == nil {
		return openPair(path, ov)
	}
	if IsWAV(path) {
		return nil, fmt.Errorf("open recording %q: %w", path, wavNotSigMF(path))
	}
	return nil, fmt.Errorf("open recording %q: not a %s, %s or %s file", path, MetaExt, DataExt, ArchiveExt)
}

// wavNotSigMF says what SigMF metadata beside the WAV file at path
// describes it (a file source, which reads SigMF only, was told "not a
// .sigmf-meta, .sigmf-data or .sigmf file"), or why it cannot be.
func wavNotSigMF(path string) error {
	m, err := RawMeta(path, "", 0, 0)
	if err != nil {
		return err
	}
	trail := ""
	if tb, ok := m.Global.Extra["core:trailing_bytes"]; ok {
		trail = fmt.Sprintf(" and core:trailing_bytes %v", tb)
	}
	return fmt.Errorf("a WAV file, not SigMF: write SigMF metadata beside it naming it in core:dataset, with core:datatype %s, core:sample_rate %g%s, and core:header_bytes %d on the first capture (rfwarden scan reads it as it is)",
		m.Global.Datatype, m.Global.SampleRateHz, trail, m.Captures[0].HeaderBytes)
}

// check refuses overriding values no metadata may hold.
func (ov Overrides) check() error {
	// With MustAgree the values describe the recording rather than
	// override it (scan --datatype without --override): until 2026-12-05
	// the errors said "override" all the same.
	what := "override"
	if ov.MustAgree {
		what = "given"
	}
	if ov.Datatype != "" && !datatypePattern.MatchString(ov.Datatype) {
		return fmt.Errorf("%s core:datatype %q: %w", what, ov.Datatype, ErrDatatype)
	}
	if r := ov.SampleRateHz; r != 0 && (!(r > 0) || math.IsInf(r, 0)) {
		return fmt.Errorf("%s core:sample_rate %v: %w", what, r, ErrNoSampleRate)
	}
	if c := ov.CenterHz; c != 0 {
		if err := checkFrequency(c); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}

// parseMetaWith is ParseMeta of data with ov applied. The global fields
// are replaced in the JSON before it is validated, so an override mends a
// value ParseMeta would refuse; malformed JSON is left for ParseMeta to
// report.
func parseMetaWith(data []byte, ov Overrides) (Meta, error) {
	data = trimBOM(data) // else the overrides would not find the global object
	if ov.MustAgree || ov.Datatype != "" || ov.SampleRateHz != 0 {
		// before the global object is read into a map, which keeps one
		if err := checkDuplicateKeys(data); err != nil {
			return Meta{}, err
		}
	}
	if ov.MustAgree {
		if err := agreeGlobal(data, ov); err != nil {
			return Meta{}, err
		}
	}
	if ov.Datatype != "" || ov.SampleRateHz != 0 {
		data = overrideGlobal(data, ov)
	}
	m, err := ParseMeta(data)
	if err != nil || ov.CenterHz == 0 {
		return m, err
	}
	for i, c := range m.Captures {
		switch {
		case ov.MustAgree && c.FrequencyHz != 0 && !near(c.FrequencyHz, ov.CenterHz):
			return Meta{}, fmt.Errorf("captures[%d].core:frequency is %g Hz, not %g: %w", i, c.FrequencyHz, ov.CenterHz, ErrOverride)
		case c.FrequencyHz != m.Captures[0].FrequencyHz:
			return Meta{}, fmt.Errorf("override core:frequency %g: the captures are tuned to different frequencies (captures[%d] to %g Hz, captures[0] to %g) and one cannot stand for them all: %w",
				ov.CenterHz, i, c.FrequencyHz, m.Captures[0].FrequencyHz, ErrOverride)
		}
	}
	m.Captures = slices.Clone(m.Captures)
	if len(m.Captures) == 0 {
		m.Captures = []Capture{{}}
	}
	for i := range m.Captures {
		m.Captures[i].FrequencyHz = ov.CenterHz
	}
	return m, nil
}

// agreeGlobal refuses, with ErrOverride, ov's datatype or sample rate
// where the metadata JSON data has another. JSON that is not an object
// with a global object is left for ParseMeta to report.
func agreeGlobal(data []byte, ov Overrides) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil
	}
	var g map[string]json.RawMessage
	if err := json.Unmarshal(top["global"], &g); err != nil || g == nil {
		return nil
	}
	if raw, ok := g["core:datatype"]; ok && ov.Datatype != "" {
		var dt string
		if err := json.Unmarshal(raw, &dt); err != nil || dt != ov.Datatype {
			return fmt.Errorf("core:datatype is %s, not %q: %w", raw, ov.Datatype, ErrOverride)
		}
	}
	if raw, ok := g["core:sample_rate"]; ok && ov.SampleRateHz != 0 {
		var r float64
		if err := json.Unmarshal(raw, &r); err != nil || !near(r, ov.SampleRateHz) {
			if err == nil {
				raw = []byte(fmt.Sprint(r))
			}
			return fmt.Errorf("core:sample_rate is %s, not %g: %w", raw, ov.SampleRateHz, ErrOverride)
		}
	}
	return nil
}

// near reports a and b equal within 1e-9 of b.
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Abs(b) }

// overrideGlobal returns the metadata JSON data with ov's global fields
// replaced, or data as it is when it is not an object with a global object.
func overrideGlobal(data []byte, ov Overrides) []byte {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return data
	}
	var g map[string]json.RawMessage
	if err := json.Unmarshal(top["global"], &g); err != nil || g == nil {
		return data
	}
	if ov.Datatype != "" {
		g["core:datatype"], _ = json.Marshal(ov.Datatype)
	}
	if ov.SampleRateHz != 0 {
		g["core:sample_rate"], _ = json.Marshal(ov.SampleRateHz)
	}
	var err error
	if top["global"], err = json.Marshal(g); err != nil {
		return data
	}
	out, err := json.Marshal(top)
	if err != nil {
		return data
	}
	return out
}

func openPair(base string, ov Overrides) (*Recording, error) {
	b, err := readMetaFile(base + MetaExt)
	if err != nil {
		return nil, fmt.Errorf("open recording: %w", err)
	}
	m, err := parseMetaWith(b, ov)
	if err != nil {
		return nil, fmt.Errorf("open recording: meta %q: %w", base+MetaExt, err)
	}
	dataPath, err := datasetPath(base, m)
	if err != nil {
		return nil, fmt.Errorf("open recording %q: %w", base+MetaExt, err)
	}
	file, err := openRegular(dataPath)
	if ds, ok := m.Global.Extra["rfw:dataset"].(string); ok && errors.Is(err, os.ErrNotExist) {
		if !ov.FollowRFWDataset {
			if strings.HasSuffix(ds, ArchiveExt) {
				return nil, fmt.Errorf("open recording: %w (its samples are in the archive rfw:dataset names, %q: scan that archive, or put the metadata beside samples extracted from it)", err, ds)
			}
			return nil, fmt.Errorf("open recording: %w (its samples are not beside it: rfw:dataset says %q; put the metadata beside them)", err, ds)
		}
		if ds == "" || filepath.IsAbs(ds) || filepath.IsAbs(filepath.FromSlash(ds)) || strings.HasPrefix(ds, "/") {
			return nil, fmt.Errorf("open recording %q: rfw:dataset %q: %w: want a path relative to the metadata's folder", base+MetaExt, ds, ErrBadMeta)
		}
		if dataPath, err = rfwDatasetPath(base, ds, ov.DatasetRoot, cmp.Or(ov.DatasetRootSetting, "--dataset-root")); err != nil {
			return nil, fmt.Errorf("open recording %q: %w", base+MetaExt, err)
		}
		file, err = openRegular(dataPath)
		if err != nil {
			return nil, fmt.Errorf("open recording %q: rfw:dataset: %w", base+MetaExt, err)
		}
		if strings.HasSuffix(dataPath, ArchiveExt) {
			return openArchiveData(base, m, dataPath, file)
		}
	}
	if errors.Is(err, os.ErrNotExist) {
		if _, named := m.Global.Extra["core:dataset"]; named {
			return nil, fmt.Errorf("open recording: %w (the file the metadata's core:dataset names)", err)
		}
		return nil, fmt.Errorf("open recording: %w (a data file of another name, beside the metadata, is named in its global core:dataset, with core:header_bytes on the first capture for a header before the samples)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("open recording: %w", err)
	}
	st, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("open recording: %w", err)
	}
	r, err := newRecording(m, dataPath, file, st.Size(), file)
	if err != nil {
		file.Close()
		return nil, err
	}
	r.files = []string{base + MetaExt, dataPath}
	r.dataFile = dataPath
	return r, nil
}

// openArchiveData opens the metadata m, of base+MetaExt, over the samples
// of the SigMF archive file (at archivePath) its rfw:dataset names: the
// data member of the archive's one recording, as `rfwarden scan
// --annotate` of an archive writes. The archive's own metadata is not
// used. file is closed on error.
func openArchiveData(base string, m Meta, archivePath string, file *os.File) (*Recording, error) {
	a, err := findArchiveMember(file)
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("open recording %q: rfw:dataset archive %q: %w", base+MetaExt, archivePath, err)
	}
	r, err := newRecording(m, a.dataName(archivePath), io.NewSectionReader(file, a.off, a.size), a.size, file)
	if err != nil {
		file.Close()
		return nil, err
	}
	r.files = []string{base + MetaExt, archivePath}
	r.dataFile, r.dataOff = archivePath, a.off
	return r, nil
}

// rfwDatasetPath is the file rfw:dataset ds, of the metadata at
// base+MetaExt, names: ds relative to the metadata's folder. It must be
// inside root (the metadata's folder when root is ""), both as written and
// after symbolic links, or in the metadata's own folder after links; else
// the error wraps ErrBadMeta, naming rfw:dataset but not what ds leads to,
// and says nothing of whether that exists, and the setting that gives root.
func rfwDatasetPath(base, ds, root, setting string) (string, error) {
	dir := filepath.Dir(base)
	if root == "" {
		root = dir
	}
	refuse := func() error {
		return fmt.Errorf("rfw:dataset %q: %w: it leads out of %q, the folder the samples must be in (put the samples in it, or give %s a folder that holds them)", ds, ErrBadMeta, root, setting)
	}
	p := filepath.Join(dir, filepath.FromSlash(ds))
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("rfw:dataset %q: folder %q: %w", ds, root, err)
	}
	absP, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("rfw:dataset %q: %w", ds, err)
	}
	if !within(absRoot, absP) {
		return "", refuse()
	}
	realRoot, err := filepath.EvalSymlinks(absRoot)
	if err != nil {
		return "", fmt.Errorf("rfw:dataset %q: folder %q: %w", ds, root, err)
	}
	realDir, err := filepath.EvalSymlinks(filepath.Dir(absP))
	if err != nil {
		return "", fmt.Errorf("rfw:dataset %q: %w", ds, err)
	}
	realMetaDir, _ := filepath.EvalSymlinks(dir)
	inside := func(real string) bool {
		return within(realRoot, real) || realMetaDir != "" && filepath.Dir(real) == realMetaDir
	}
	if !inside(filepath.Join(realDir, filepath.Base(absP))) {
		return "", refuse() // a folder link out, before the file is looked at
	}
	real, err := filepath.EvalSymlinks(absP)
	if err != nil {
		return "", fmt.Errorf("rfw:dataset: %w", err)
	}
	if !inside(real) {
		return "", refuse() // a file link out
	}
	return p, nil
}

// within reports whether path is dir or inside it; both are absolute and
// clean.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// datasetPath is where the samples of the metadata at base+MetaExt are:
// the file core:dataset names beside it (a file name, which the SigMF
// schema requires to have no directory part), else base+DataExt.
func datasetPath(base string, m Meta) (string, error) {
	v, ok := m.Global.Extra["core:dataset"]
	if !ok {
		return base + DataExt, nil
	}
	name, _ := v.(string)
	if name == "" || name != filepath.Base(name) || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return "", fmt.Errorf("core:dataset %q: want the name of a file beside the metadata: %w", v, ErrBadMeta)
	}
	return filepath.Join(filepath.Dir(base), name), nil
}

// OpenRaw opens a headerless interleaved IQ file of the given SigMF datatype
// (e.g. "ci8" from hackrf_transfer, "cu8" from rtl_sdr). centerHz may be 0
// when unknown. A WAV file (SDR++, SDR#, HDSDR: IsWAV) is read through its
// header, as RawMeta describes: datatype and sampleRateHz may then be ""
// and 0, and given must agree with it. A file that is evidently SigMF
// metadata, named .json or holding a JSON object with a "global" member
// (LooksLikeMeta), is refused with ErrLooksLikeMeta (MisnamedMeta): its
// text read as samples gave a scan of nothing, or "too short to analyse".
func OpenRaw(path, datatype string, sampleRateHz, centerHz float64) (*Recording, error) {
	if r := sampleRateHz; r != 0 && (!(r > 0) || math.IsInf(r, 0)) {
		return nil, fmt.Errorf("open raw %q: sample rate %v: %w", path, sampleRateHz, ErrNoSampleRate)
	}
	file, err := openRegular(path)
	if err != nil {
		return nil, fmt.Errorf("open raw: %w", err)
	}
	st, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("open raw: %w", err)
	}
	if strings.EqualFold(filepath.Ext(path), ".json") || LooksLikeMeta(io.NewSectionReader(file, 0, st.Size())) {
		file.Close()
		return nil, fmt.Errorf("open raw: %w", MisnamedMeta(path))
	}
	m, err := RawMetaAt(file, st.Size(), datatype, sampleRateHz, centerHz)
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("open raw %q: %w", path, err)
	}
	r, err := newRecording(m, path, file, st.Size(), file)
	if err != nil {
		file.Close()
		return nil, err
	}
	r.files = []string{path}
	r.dataFile = path
	return r, nil
}

// openArchive opens a SigMF tar archive holding one recording. The data
// member is read in place through the archive file.
func openArchive(archivePath string, ov Overrides) (*Recording, error) {
	file, err := openRegular(archivePath)
	if err != nil {
		return nil, fmt.Errorf("open archive: %w", err)
	}
	r, _, _, err := readArchiveMembers(archivePath, file, ov)
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("open archive %q: %w", archivePath, err)
	}
	r.files = []string{archivePath}
	return r, nil
}

// plainMember refuses an archive member that is not a plain file stored
// as it is: a link, or a sparse file (GNU or PAX sparse), whose stored
// bytes are not its content. The data member is read in place, so a
// sparse one gave other samples than tar extracts, with no error; a sparse
// metadata member of a few hundred bytes claimed 64 MiB, and forty of them
// took 3.6 GB before the archive was refused.
func plainMember(h *tar.Header) error {
	sparse := h.Typeflag == tar.TypeGNUSparse
	for k := range h.PAXRecords {
		sparse = sparse || strings.HasPrefix(k, "GNU.sparse.")
	}
	if sparse {
		return fmt.Errorf("%w: member %q is a sparse file; archive it without --sparse", ErrBadMeta, h.Name)
	}
	if h.Typeflag != tar.TypeReg {
		return fmt.Errorf("%w: member %q is not a regular file", ErrBadMeta, h.Name)
	}
	return nil
}

// archiveMember is the one recording of a SigMF archive: its member base
// ("dir/name"), its metadata as stored, and where its data member's
// content lies in the archive file.
type archiveMember struct {
	base      string
	meta      []byte
	off, size int64
}

// findArchiveMember reads the members of the SigMF archive file: it must
// hold one metadata member, with a data member of the same base name
// inside the file.
func findArchiveMember(file *os.File) (archiveMember, error) {
	l, err := listArchive(file)
	if err != nil {
		return archiveMember{}, err
	}
	if len(l.metas) != 1 {
		if len(l.metas) > 1 {
			return archiveMember{}, fmt.Errorf("%w: archive holds more than one %s member (%q), want 1 (rfwarden eval scores each recording of it)", ErrBadMeta, MetaExt, l.metas[1].name)
		}
		return archiveMember{}, fmt.Errorf("%w: archive holds %d %s members, want 1", ErrBadMeta, len(l.metas), MetaExt)
	}
	return l.member(file, l.metas[0].base)
}

// tarMember is where a member's content lies in an archive file.
type tarMember struct {
	name, base string // the member's name, and it without its extension
	off, size  int64
}

// archiveList is what listArchive found in a SigMF archive.
type archiveList struct {
	metas []tarMember // metadata members, in archive order
	datas []tarMember // data members, in archive order
}

// notTarHint says what a file that is not a tar archive is when its
// first bytes tell (a gzip, zip, bzip2, xz or zstd file: a SigMF archive
// compressed, which SigMF does not define), "" otherwise: the error said
// only "invalid tar header".
func notTarHint(file *os.File) string {
	var head [6]byte
	n, _ := file.ReadAt(head[:], 0)
	for _, k := range []struct{ magic, name string }{
		{"\x1f\x8b", "gzip"}, {"PK\x03\x04", "zip"}, {"BZh", "bzip2"}, {"\xfd7zXZ", "xz"}, {"\x28\xb5\x2f\xfd", "zstd"},
	} {
		if strings.HasPrefix(string(head[:n]), k.magic) {
			return fmt.Sprintf(" (a %s file, not a tar archive: a SigMF archive is an uncompressed tar, NAME%s)", k.name, ArchiveExt)
		}
	}
	return ""
}

// listArchive reads the headers of the members of the SigMF archive
// file, not their content: where each metadata and data member lies. An
// archive with two metadata or data members of one name (after
// path.Clean: "./d/x" is "d/x") is refused with ErrBadMeta naming it.
func listArchive(file *os.File) (archiveList, error) {
	var l archiveList
	seen := map[string]string{} // SigMF members' names, cleaned: as first written
	tr := tar.NewReader(file)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return l, fmt.Errorf("%w: read tar: %w%s", ErrBadMeta, err, notTarHint(file))
		}
		isMeta, isData := strings.HasSuffix(h.Name, MetaExt), strings.HasSuffix(h.Name, DataExt)
		if !isMeta && !isData {
			continue
		}
		if err := plainMember(h); err != nil {
			return l, err
		}
		// tar extracts the last of two members of one name over the
		// first; until 2026-12-07 both were read, a recording scanned
		// twice under one name
		clean := path.Clean(h.Name)
		if first, dup := seen[clean]; dup {
			again := ""
			if first != h.Name {
				again = fmt.Sprintf(" (as %q)", first)
			}
			return l, fmt.Errorf("%w: member %q appears twice in the archive%s: which one is meant is ambiguous", ErrBadMeta, h.Name, again)
		}
		seen[clean] = h.Name
		// tar.Reader reads headers straight from file, so the file
		// offset is now the start of this member's content.
		off, err := file.Seek(0, io.SeekCurrent)
		if err != nil {
			return l, fmt.Errorf("locate member %q: %w", h.Name, err)
		}
		if isMeta {
			if h.Size > MaxMetaBytes {
				return l, fmt.Errorf("member %q: %d bytes: %w: rfwarden reads at most %d bytes (%d MiB) of metadata", h.Name, h.Size, ErrTooLarge, MaxMetaBytes, MaxMetaBytes>>20)
			}
			l.metas = append(l.metas, tarMember{h.Name, strings.TrimSuffix(h.Name, MetaExt), off, h.Size})
		} else {
			l.datas = append(l.datas, tarMember{h.Name, strings.TrimSuffix(h.Name, DataExt), off, h.Size})
		}
	}
	return l, nil
}

// member reads the recording of base ("dir/name") of the archive file l
// lists: its metadata member's content, and where its data member lies.
func (l archiveList) member(file *os.File, base string) (archiveMember, error) {
	i := slices.IndexFunc(l.metas, func(m tarMember) bool { return m.base == base })
	if i < 0 {
		return archiveMember{}, fmt.Errorf("%w: no member %q", ErrMismatch, base+MetaExt)
	}
	m := l.metas[i]
	j := slices.IndexFunc(l.datas, func(d tarMember) bool { return d.base == base })
	if j < 0 {
		return archiveMember{}, fmt.Errorf("%w: no member %q", ErrMismatch, base+DataExt)
	}
	d := l.datas[j]
	st, err := file.Stat()
	if err != nil {
		return archiveMember{}, err
	}
	if m.off+m.size > st.Size() {
		return archiveMember{}, fmt.Errorf("%w: member %q: archive ends early", ErrTruncated, m.name)
	}
	if d.off+d.size > st.Size() {
		return archiveMember{}, fmt.Errorf("member %q: %w: archive ends early", base+DataExt, ErrTruncated)
	}
	b := make([]byte, m.size) // at most MaxMetaBytes (listArchive)
	if _, err := file.ReadAt(b, m.off); err != nil {
		return archiveMember{}, fmt.Errorf("%w: member %q: %w", ErrTruncated, m.name, err)
	}
	return archiveMember{base: base, meta: b, off: d.off, size: d.size}, nil
}

// ArchiveRecordings lists the recordings of the SigMF archive at
// archivePath: the base name ("dir/name") of each metadata member, in
// archive order. SigMF lets an archive hold several recordings;
// Open reads an archive of one, OpenArchiveRecording any of them.
func ArchiveRecordings(archivePath string) ([]string, error) {
	file, err := openRegular(archivePath)
	if err != nil {
		return nil, fmt.Errorf("list archive: %w", err)
	}
	defer file.Close()
	l, err := listArchive(file)
	if err != nil {
		return nil, fmt.Errorf("list archive %q: %w", archivePath, err)
	}
	var out []string
	for _, m := range l.metas {
		out = append(out, m.base)
	}
	return out, nil
}

// OpenArchiveRecording opens the recording of base ("dir/name", as
// ArchiveRecordings lists it) in the SigMF archive at archivePath, with
// ov as OpenWith takes it. The data member is read in place.
func OpenArchiveRecording(archivePath, base string, ov Overrides) (*Recording, error) {
	if err := ov.check(); err != nil {
		return nil, fmt.Errorf("open archive %q recording %q: %w", archivePath, base, err)
	}
	file, err := openRegular(archivePath)
	if err != nil {
		return nil, fmt.Errorf("open archive: %w", err)
	}
	l, err := listArchive(file)
	if err == nil {
		var a archiveMember
		if a, err = l.member(file, base); err == nil {
			var r *Recording
			if r, err = recordingOfMember(archivePath, file, a, ov); err == nil {
				r.files = []string{archivePath}
				return r, nil
			}
		}
	}
	file.Close()
	return nil, fmt.Errorf("open archive %q recording %q: %w", archivePath, base, err)
}

// dataName is the "archive:member" name of the member's samples, for
// messages.
func (a archiveMember) dataName(archivePath string) string {
	return archivePath + ":" + path.Clean(a.base+DataExt)
}

// readArchiveMembers is readArchive that also returns the recording's
// member base ("dir/name") and its metadata as stored (without ov).
func readArchiveMembers(archivePath string, file *os.File, ov Overrides) (*Recording, string, []byte, error) {
	a, err := findArchiveMember(file)
	if err != nil {
		return nil, "", nil, err
	}
	r, err := recordingOfMember(archivePath, file, a, ov)
	if err != nil {
		return nil, "", nil, err
	}
	return r, a.base, a.meta, nil
}

// recordingOfMember is the recording a of the archive file at archivePath.
func recordingOfMember(archivePath string, file *os.File, a archiveMember, ov Overrides) (*Recording, error) {
	m, err := parseMetaWith(a.meta, ov)
	if err != nil {
		return nil, fmt.Errorf("member %q: %w", a.base+MetaExt, err)
	}
	r, err := newRecording(m, a.dataName(archivePath), io.NewSectionReader(file, a.off, a.size), a.size, file)
	if err != nil {
		return nil, err
	}
	r.dataFile, r.dataOff = archivePath, a.off
	return r, nil
}

// newRecording validates m against size bytes of data read from ra.
func newRecording(m Meta, dataPath string, ra io.ReaderAt, size int64, c io.Closer) (*Recording, error) {
	f, err := parseFormat(m.Global.Datatype)
	if err != nil {
		return nil, fmt.Errorf("open recording %q: %w", dataPath, err)
	}
	if !(m.Global.SampleRateHz > 0) {
		return nil, fmt.Errorf("open recording %q: %w", dataPath, ErrNoSampleRate)
	}
	// Valid SigMF, but sample counts and times computed from it
	// overflowed (the dashboard analysed -9223372036854775808 samples at
	// 1e300) or came out infinite (1e-320). Until 2026-12-05 these
	// wrapped ErrNoSampleRate, "missing or non-positive sample rate".
	switch r := m.Global.SampleRateHz; {
	case r > MaxSampleRateHz:
		return nil, fmt.Errorf("open recording %q: core:sample_rate %g: %w: above the %g samples/s rfwarden analyses", dataPath, r, ErrSampleRateRange, MaxSampleRateHz)
	case r < MinSampleRateHz:
		return nil, fmt.Errorf("open recording %q: core:sample_rate %g: %w: below the %g samples/s rfwarden analyses", dataPath, r, ErrSampleRateRange, MinSampleRateHz)
	}
	if err := checkBand(m); err != nil {
		return nil, fmt.Errorf("open recording %q: %w", dataPath, err)
	}
	if nc, ok := m.Global.Extra["core:num_channels"]; ok && !isOne(nc) {
		// until 2026-12-07 "unsupported datatype", of a datatype it reads
		return nil, fmt.Errorf("open recording %q: core:num_channels %v: %w: rfwarden reads one channel; extract one channel into a recording of its own (the channels' samples are interleaved, one of each in turn)", dataPath, nc, ErrChannels)
	}
	// core:trailing_bytes (SigMF 1.2, a non-conforming dataset): bytes
	// after the samples, which are not read; until 2026-12-07 refused
	// as "unsupported datatype".
	var trail int64
	if tb, ok := m.Global.Extra["core:trailing_bytes"]; ok {
		if trail, err = extraIndex(tb); err != nil {
			return nil, fmt.Errorf("open recording %q: core:trailing_bytes %v: %w: %w", dataPath, tb, ErrBadMeta, err)
		}
		if trail > size {
			return nil, fmt.Errorf("open recording %q: core:trailing_bytes %d: %w: more than the %d bytes of data", dataPath, trail, ErrMismatch, size)
		}
	}
	body := size - trail               // the bytes of headers and samples
	if len(m.Captures) > MaxCaptures { // a Meta not from ParseMeta
		return nil, fmt.Errorf("open recording %q: %d captures: %w: rfwarden reads at most %d", dataPath, len(m.Captures), ErrTooLarge, MaxCaptures)
	}
	var hdrBytes []int64
	var hdr int64 // header bytes of the captures so far
	for i, cp := range m.Captures {
		if cp.HeaderBytes < 0 || cp.HeaderBytes > body-hdr {
			return nil, fmt.Errorf("open recording %q: captures[%d].core:header_bytes %d: %w: beyond the %d bytes of data (after %d header bytes before it%s)", dataPath, i, cp.HeaderBytes, ErrMismatch, size, hdr, trailing(trail))
		}
		if cp.HeaderBytes > 0 && hdrBytes == nil {
			hdrBytes = make([]int64, len(m.Captures))
		}
		hdr += cp.HeaderBytes
		if hdrBytes != nil {
			hdrBytes[i] = hdr
		}
	}
	sz := int64(f.size())
	if (body-hdr)%sz != 0 {
		after := ""
		if hdr > 0 {
			after = fmt.Sprintf(" (after %d core:header_bytes%s)", hdr, trailing(trail))
		} else if trail > 0 {
			after = fmt.Sprintf(" (before %d core:trailing_bytes)", trail)
		}
		return nil, fmt.Errorf("open recording %q: %d bytes%s is not a multiple of the %d-byte %s sample: %w", dataPath, body-hdr, after, sz, m.Global.Datatype, ErrTruncated)
	}
	n := (body - hdr) / sz
	// said first when the metadata reaches into data there is none of;
	// until 2026-12-07: "beyond the 0 samples of data"
	empty := "the data file is empty"
	if hdr > 0 {
		empty = fmt.Sprintf("the data file holds no samples after its %d core:header_bytes", hdr)
	}
	m.Annotations = resolveToEnd(m.Annotations, m.Captures, n)
	r := &Recording{
		meta:     m,
		path:     dataPath,
		f:        f,
		closer:   c,
		data:     io.NewSectionReader(ra, 0, size),
		n:        n,
		buf:      make([]byte, bufBytes-bufBytes%f.size()),
		capTimes: make([]time.Time, len(m.Captures)),
		hdrBytes: hdrBytes,
	}
	for i, cp := range m.Captures {
		if i > 0 && cp.SampleStart <= m.Captures[i-1].SampleStart {
			return nil, fmt.Errorf("open recording %q: captures[%d] starts at %d, not after %d: %w", dataPath, i, cp.SampleStart, m.Captures[i-1].SampleStart, ErrMismatch)
		}
		if cp.SampleStart > n || (cp.SampleStart == n && n > 0) {
			if n == 0 {
				return nil, fmt.Errorf("open recording %q: %s, but captures[%d] starts at sample %d: %w", dataPath, empty, i, cp.SampleStart, ErrMismatch)
			}
			return nil, fmt.Errorf("open recording %q: captures[%d] starts at sample %d beyond the %d samples of data: %w", dataPath, i, cp.SampleStart, n, ErrMismatch)
		}
		if cp.Datetime != "" {
			t, err := time.Parse(time.RFC3339Nano, cp.Datetime)
			if err != nil {
				return nil, fmt.Errorf("open recording %q: captures[%d].core:datetime %q: %w", dataPath, i, cp.Datetime, ErrBadMeta)
			}
			r.capTimes[i] = t.UTC()
		}
	}
	if err := r.indexCaptures(); err != nil {
		return nil, fmt.Errorf("open recording %q: %w", dataPath, err)
	}
	for i, a := range m.Annotations {
		if a.SampleStart < 0 || a.SampleCount < 0 || a.SampleStart > n || a.SampleCount > n-a.SampleStart {
			if n == 0 {
				return nil, fmt.Errorf("open recording %q: %s, but annotations[%d] covers samples [%d, +%d): %w", dataPath, empty, a.index(i), a.SampleStart, a.SampleCount, ErrMismatch)
			}
			return nil, fmt.Errorf("open recording %q: annotations[%d] samples [%d, +%d) beyond the %d samples of data: %w", dataPath, a.index(i), a.SampleStart, a.SampleCount, n, ErrMismatch)
		}
	}
	r.runEnd = make([]int64, len(m.Captures))
	end := n
	for i := len(m.Captures) - 1; i >= 0; i-- {
		r.runEnd[i] = end
		if !r.continues(i) {
			end = m.Captures[i].SampleStart
		}
	}
	// The first segment starts at 0: samples before the first capture
	// belong to it.
	r.runStart = make([]int64, len(m.Captures))
	for i := 1; i < len(m.Captures); i++ {
		r.runStart[i] = m.Captures[i].SampleStart
		if r.continues(i) {
			r.runStart[i] = r.runStart[i-1]
		}
	}
	return r, nil
}

// trailing says " and N core:trailing_bytes" when n > 0, for errors
// counting the bytes of the data that are not samples.
func trailing(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" and %d core:trailing_bytes", n)
}

// indexCaptures reads each capture's core:global_index, "the index of
// the sample referenced by sample_start relative to an original sample
// stream": where it runs ahead of the capture before by more than the
// samples between them, the recorder lost the difference (SigMF's own
// example: sample_start 500 at global_index 1000 after 0 at 0, "500
// samples were lost"). It sets capIndex and lost, and dates a capture
// without core:datetime whose global_index follows a dated capture's
// (capTimes). A global_index that is not a non-negative integer is
// refused, naming the capture.
func (r *Recording) indexCaptures() error {
	caps := r.meta.Captures
	r.capIndex = make([]int64, len(caps))
	for i, c := range caps {
		r.capIndex[i] = -1
		v, ok := c.Extra[GlobalIndexKey]
		if !ok {
			continue
		}
		gi, err := extraIndex(v)
		if err != nil {
			return fmt.Errorf("captures[%d].%s %v: %w: %w", i, GlobalIndexKey, v, ErrBadMeta, err)
		}
		r.capIndex[i] = gi
	}
	var lost int64
	for i := 1; i < len(caps); i++ {
		k := r.lostBefore(i)
		if k > 0 {
			lost = satAdd(lost, k)
			if r.lost == nil {
				r.lost = make([]int64, len(caps))
			}
		}
		if r.lost != nil {
			r.lost[i] = lost
		}
		if r.capTimes[i].IsZero() && !r.capTimes[i-1].IsZero() && r.capIndex[i] >= 0 && r.capIndex[i-1] >= 0 && k >= 0 {
			d := float64(r.capIndex[i]-r.capIndex[i-1]) / r.meta.Global.SampleRateHz
			r.capTimes[i] = r.capTimes[i-1].Add(time.Duration(d * float64(time.Second)))
		}
	}
	return nil
}

// GlobalIndexKey is SigMF's capture key core:global_index (see
// Recording.StreamSample).
const GlobalIndexKey = "core:global_index"

// lostBefore returns the samples lost between capture i-1 and capture i
// by their core:global_index: how far i's runs ahead of i-1's plus the
// samples between them; 0 when either has none or nothing was lost, and
// -1 when it runs behind (a counter restarted: a break of unknown length).
func (r *Recording) lostBefore(i int) int64 {
	a, b := r.capIndex[i-1], r.capIndex[i]
	if a < 0 || b < 0 {
		return 0
	}
	step := r.meta.Captures[i].SampleStart - r.meta.Captures[i-1].SampleStart
	if d := b - a; d >= step { // both non-negative: no overflow
		return d - step
	}
	return -1
}

// satAdd returns a+b for non-negative a and b, at most math.MaxInt64.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// extraIndex returns v, a value of an Extra map (a json.Number as
// ParseMeta reads it, or an integer or float set in memory), as a
// non-negative 64-bit integer.
func extraIndex(v any) (int64, error) {
	var i int64
	var err error
	switch n := v.(type) {
	case json.Number:
		i, err = integer(n)
	case int:
		i = int64(n)
	case int64:
		i = n
	case float64:
		i, err = integer(json.Number(fmt.Sprint(n)))
	default:
		return 0, fmt.Errorf("want an integer, got %s", jsonType(v))
	}
	if err != nil || i < 0 {
		return 0, errors.New("want a non-negative 64-bit integer")
	}
	return i, nil
}

// checkBand refuses a capture whose band, core:frequency ± half the
// core:sample_rate, reaches below 0 Hz: detections there were reported at
// negative RF frequencies (a 2135 MHz capture at 1e11 samples/s gave
// -47404 MHz); until 2026-12-05 it was scanned. A capture without
// core:frequency (0: unknown, or baseband) is not checked.
func checkBand(m Meta) error {
	rate := m.Global.SampleRateHz
	for i, c := range m.Captures {
		if c.FrequencyHz != 0 && c.FrequencyHz-rate/2 < 0 {
			return fmt.Errorf("captures[%d].core:frequency %g Hz with core:sample_rate %g: %w: the band it holds, %g to %g Hz, reaches below 0 Hz (the sample rate can be at most twice the centre frequency)",
				i, c.FrequencyHz, rate, ErrBadMeta, c.FrequencyHz-rate/2, c.FrequencyHz+rate/2)
		}
	}
	return nil
}

// resolveToEnd returns anns with the count of each annotation without
// core:sample_count (Annotation.ToEnd) set: to the start of the first
// capture after its start, else to n, the samples of the data, as SigMF
// says ("through the end of the corresponding capture"). One starting
// past n is left for the bounds check. anns is not modified.
func resolveToEnd(anns []Annotation, caps []Capture, n int64) []Annotation {
	if !slices.ContainsFunc(anns, func(a Annotation) bool { return a.ToEnd }) {
		return anns
	}
	anns = slices.Clone(anns)
	for i, a := range anns {
		if !a.ToEnd {
			continue
		}
		end := n
		for _, c := range caps {
			if c.SampleStart > a.SampleStart {
				end = min(end, c.SampleStart)
				break
			}
		}
		anns[i].SampleCount, anns[i].ToEnd = max(0, end-a.SampleStart), false
	}
	return anns
}

// continues reports whether capture i continues capture i-1: the same
// frequency, no samples lost by core:global_index (see lostBefore), and
// no gap in time (both without core:datetime, or capture i's datetime
// that of i-1 plus its samples, within a microsecond or a sample).
// Readers take such captures as one segment, so a recording split into
// many captures of one tuning costs no more than one.
func (r *Recording) continues(i int) bool {
	if i == 0 {
		return false
	}
	a, b := r.meta.Captures[i-1], r.meta.Captures[i]
	if a.FrequencyHz != b.FrequencyHz || (a.Datetime == "") != (b.Datetime == "") || r.lostBefore(i) != 0 {
		return false
	}
	if a.Datetime == "" {
		return true
	}
	rate := r.meta.Global.SampleRateHz
	want := float64(b.SampleStart-a.SampleStart) / rate
	gap := r.capTimes[i].Sub(r.capTimes[i-1]).Seconds() - want
	return math.Abs(gap) <= max(1e-6, 1/rate)
}

// Meta returns the recording's metadata. The slices are shared; do not modify.
func (r *Recording) Meta() Meta { return r.meta }

// Path returns the data file path (or "archive:member") for messages.
func (r *Recording) Path() string { return r.path }

// DataFile returns the file the samples are read from and where in it
// the data starts: the data file and 0, or a SigMF archive and its data
// member's offset. Two recordings read the same samples when their files
// are the same (os.SameFile) at the same offset.
func (r *Recording) DataFile() (path string, offset int64) { return r.dataFile, r.dataOff }

// Files returns the paths of the files the recording is read from: the
// metadata and data files of a pair, the archive, or the raw file.
func (r *Recording) Files() []string { return slices.Clone(r.files) }

// NumSamples returns the number of complex samples in the data.
func (r *Recording) NumSamples() int64 { return r.n }

// The sample rates a Recording is opened at: from audio-rate IQ to well
// past any receiver's.
const (
	MinSampleRateHz = 1.0
	MaxSampleRateHz = 1e11
)

// SampleRateHz returns core:sample_rate.
func (r *Recording) SampleRateHz() float64 { return r.meta.Global.SampleRateHz }

// Datatype returns core:datatype.
func (r *Recording) Datatype() string { return r.meta.Global.Datatype }

// segment returns the index of the capture holding sample, or -1 when there
// are no captures. Samples before the first capture belong to it.
func (r *Recording) segment(sample int64) int {
	caps := r.meta.Captures
	if len(caps) == 0 {
		return -1
	}
	i := sort.Search(len(caps), func(i int) bool { return caps[i].SampleStart > sample }) - 1
	return max(i, 0)
}

// CenterHzAt returns the RF centre frequency of the capture segment holding
// sample, or 0 when the recording has none.
func (r *Recording) CenterHzAt(sample int64) float64 {
	i := r.segment(sample)
	if i < 0 {
		return 0
	}
	return r.meta.Captures[i].FrequencyHz
}

// SegmentEnd returns the first sample after sample's capture segment: the
// sample_start of the next capture that does not continue it (another
// frequency, a gap in core:datetime, or a core:global_index that says
// samples were lost), or NumSamples for the last segment. Readers that
// must not mix tunings, nor bridge a break in the stream, stop there.
func (r *Recording) SegmentEnd(sample int64) int64 {
	i := r.segment(sample)
	if i < 0 {
		return r.n
	}
	return r.runEnd[i]
}

// SegmentStart returns the first sample of sample's capture segment (see
// SegmentEnd): 0 for the first. A reader that reaches a segment start
// other than 0 at the same tuning has met a break in the stream (a time
// gap, or samples lost), and marks the block there sensor.Block.Retuned,
// as a receiver marks a block not contiguous with those before it.
func (r *Recording) SegmentStart(sample int64) int64 {
	i := r.segment(sample)
	if i < 0 {
		return 0
	}
	return r.runStart[i]
}

// StreamSample returns sample's index in the receiver's stream, counted
// from the recording's first sample: sample, plus the samples the
// captures' core:global_index says were lost before it. Without
// core:global_index (or losses) it is sample. A clock of the recording
// without core:datetime counts it, so times after a loss are not early
// by the samples lost.
func (r *Recording) StreamSample(sample int64) int64 {
	i := r.segment(sample)
	if i < 0 || r.lost == nil {
		return sample
	}
	return satAdd(sample, r.lost[i])
}

// dataOffset returns the byte offset of sample in the data and the first
// sample after it that is preceded by header bytes (NumSamples when none
// is): Read reads up to there in one piece.
func (r *Recording) dataOffset(sample int64) (off, contiguousTo int64) {
	off = sample * int64(r.f.size())
	if r.hdrBytes == nil {
		return off, r.n
	}
	caps := r.meta.Captures
	// captures starting at or before sample: their header bytes precede it
	i := sort.Search(len(caps), func(i int) bool { return caps[i].SampleStart > sample })
	if i > 0 {
		off += r.hdrBytes[i-1]
	}
	contiguousTo = r.n
	for j := i; j < len(caps); j++ {
		if caps[j].HeaderBytes > 0 {
			contiguousTo = caps[j].SampleStart
			break
		}
	}
	return off, contiguousTo
}

// TimeAt returns the UTC time of sample: its capture segment's core:datetime
// plus the offset at the sample rate, or the zero time when that segment has
// no datetime. A capture without core:datetime whose core:global_index
// follows the one of a dated capture just before it is dated from that
// one, the samples lost between them counted.
func (r *Recording) TimeAt(sample int64) time.Time {
	i := r.segment(sample)
	if i < 0 || r.capTimes[i].IsZero() {
		return time.Time{}
	}
	off := float64(sample-r.meta.Captures[i].SampleStart) / r.meta.Global.SampleRateHz
	return r.capTimes[i].Add(time.Duration(off * float64(time.Second)))
}

// Read decodes up to len(dst) samples from the current position. It returns
// io.EOF (with n == 0) at the end of the data. A NaN or Inf float sample
// returns the samples before it and an error wrapping ErrNonFinite naming the
// sample index and the datatype; the position is left at that sample. Read does not allocate.
func (r *Recording) Read(dst []complex64) (int, error) {
	if r.data == nil {
		return 0, fmt.Errorf("read %q: recording is closed", r.path)
	}
	if r.pos >= r.n {
		return 0, io.EOF
	}
	sz := int64(r.f.size())
	total := 0
	for total < len(dst) && r.pos < r.n {
		off, to := r.dataOffset(r.pos)
		want := min(int64(len(dst)-total), to-r.pos, int64(len(r.buf))/sz)
		b := r.buf[:want*sz]
		if _, err := r.data.ReadAt(b, off); err != nil {
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("%w: data shorter than when opened", ErrTruncated)
			}
			return total, fmt.Errorf("read %q at sample %d: %w", r.path, r.pos, err)
		}
		k, bad := decode(dst[total:], b, r.f)
		total += k
		r.pos += int64(k)
		if bad >= 0 {
			// Until 2026-12-07 the message ended there, and an analyst
			// whose ci8 capture was declared cf32_le read only "non-finite
			// sample" (TestOpenErrors/ci8_declared_cf32_le).
			return total, fmt.Errorf("read %q: sample %d: %w: a NaN or infinity in %s data; if the samples were written as another type (a HackRF's are ci8), correct core:datatype", r.path, r.pos, ErrNonFinite, r.meta.Global.Datatype)
		}
	}
	return total, nil
}

// SeekSample sets the position of the next Read to sample (0 <= sample <= NumSamples).
func (r *Recording) SeekSample(sample int64) error {
	if sample < 0 || sample > r.n {
		return fmt.Errorf("seek %q to sample %d: outside [0, %d]", r.path, sample, r.n)
	}
	r.pos = sample
	return nil
}

// Tell returns the index of the sample the next Read returns first.
func (r *Recording) Tell() int64 { return r.pos }

// Close releases the file. Further Reads fail.
func (r *Recording) Close() error {
	if r.data == nil {
		return nil
	}
	r.data = nil
	return r.closer.Close()
}

// Verify hashes the data and compares it with core:sha512 and rfw:sha256
// when present, returning an error wrapping ErrMismatch on a difference,
// or ErrBadMeta naming the key and the type of a hash that is not a
// string. It reads the whole data once per hash and does not move the read
// position. It is VerifyContext without a context or progress.
func (r *Recording) Verify() error { return r.VerifyContext(context.Background(), nil) }

// verifyKeys are the global keys of the hashes Verify checks, in order.
var verifyKeys = [...]struct {
	key string
	h   func() hash.Hash
}{{"core:sha512", sha512.New}, {"rfw:sha256", sha256.New}}

// VerifyBytes returns how many bytes Verify reads: the data's size once
// for each hash the metadata has (0: nothing to check). A progress of the
// hash check counts to it.
func (r *Recording) VerifyBytes() int64 {
	if r.data == nil {
		return 0
	}
	var n int64
	for _, c := range verifyKeys {
		if _, ok := r.meta.Global.Extra[c.key]; ok {
			n += r.data.Size()
		}
	}
	return n
}

// verifyChunkBytes is how much VerifyContext hashes between looks at its
// context and calls of its progress.
const verifyChunkBytes = 1 << 20

// VerifyContext is Verify that stops when ctx ends, returning an error
// naming the recording and wrapping ctx's, and calls progress, when not
// nil, with the bytes of each chunk hashed (at most 1 MiB): the data's
// size for each hash the metadata has.
func (r *Recording) VerifyContext(ctx context.Context, progress func(bytes int64)) error {
	if r.data == nil {
		return fmt.Errorf("verify %q: recording is closed", r.path)
	}
	for _, c := range verifyKeys {
		v, ok := r.meta.Global.Extra[c.key]
		if !ok {
			continue
		}
		want, isStr := v.(string)
		if !isStr { // until 2026-12-07 read as "", and the data's hash said to differ from it
			return fmt.Errorf("verify %q: %s: %w: %s, want a hex string", r.path, c.key, ErrBadMeta, jsonType(v))
		}
		h := c.h()
		size := r.data.Size()
		for off := int64(0); off < size; {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("verify %q: %s: stopped after %d of %d bytes: %w", r.path, c.key, off, size, err)
			}
			n, err := io.Copy(h, io.NewSectionReader(r.data, off, min(verifyChunkBytes, size-off)))
			if err != nil {
				return fmt.Errorf("verify %q: %w", r.path, err)
			}
			if n == 0 {
				return fmt.Errorf("verify %q: %w: data shorter than when opened", r.path, ErrTruncated)
			}
			off += n
			if progress != nil {
				progress(n)
			}
		}
		if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, want) {
			return fmt.Errorf("verify %q: %s is %s, metadata says %q: %w", r.path, c.key, got, want, ErrMismatch)
		}
	}
	return nil
}

// isOne reports whether the JSON value v is the number 1 (1, 1.0, 1e0).
func isOne(v any) bool {
	switch n := v.(type) {
	case json.Number:
		i, err := integer(n)
		return err == nil && i == 1
	case float64:
		return n == 1
	case int, int64:
		return fmt.Sprint(n) == "1"
	}
	return false
}

// openRegular opens path for reading if it is a regular file (after
// symbolic links), else returns an error wrapping ErrNotRegular naming it:
// opening a FIFO blocks until something writes to it, so a scan or a
// dashboard replay of one hung, deaf to SIGINT and SIGTERM.
func openRegular(path string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%q is a %s: %w", path, kindOf(st.Mode()), ErrNotRegular)
	}
	return os.Open(path)
}

// kindOf names the kind of file mode m is, for errors.
func kindOf(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&os.ModeNamedPipe != 0:
		return "named pipe (FIFO)"
	case m&os.ModeSocket != 0:
		return "socket"
	case m&os.ModeDevice != 0:
		return "device"
	}
	return "special file"
}
