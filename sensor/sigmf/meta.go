package sigmf

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/rfwarden/rfwarden/internal/jsondup"
)

// Version is the SigMF specification version this package writes. It
// reads any 1.x version (ReadableVersion): later 1.x releases only add
// optional keys and loosen requirements (core:sample_count of an
// annotation became optional), and what it writes is valid 1.0.0.
const Version = "1.0.0"

// readableVersion matches the core:version values ParseMeta reads: 1.x.y.
var readableVersion = regexp.MustCompile(`^1\.[0-9]+\.[0-9]+$`)

// ReadableVersion reports whether ParseMeta reads metadata of core:version
// v: any SigMF 1.x release ("1.0.0", "1.1.0", "1.2.0", ...).
func ReadableVersion(v string) bool { return readableVersion.MatchString(v) }

// Meta is the content of a .sigmf-meta file.
type Meta struct {
	Global      Global
	Captures    []Capture
	Annotations []Annotation
}

// Global is the SigMF global object. Keys without a field here are kept in
// Extra and written back unchanged.
type Global struct {
	Datatype     string  // core:datatype, e.g. "ci8", "cf32_le"
	SampleRateHz float64 // core:sample_rate, complex samples per second
	Version      string  // core:version as read (any 1.x); WriteMeta writes Version
	Description  string  // core:description
	Author       string  // core:author
	HW           string  // core:hw
	License      string  // core:license
	// OffsetSamples is core:offset, the index of the data's first sample
	// in the whole recording (a recording split over several files).
	// SigMF's sample indices are absolute, so ParseMeta subtracts it from
	// every capture's and annotation's core:sample_start, which then
	// count from the data's first sample as Recording does, and
	// MarshalMeta adds it back.
	OffsetSamples int64
	// Extra holds every other key (e.g. "core:extensions", "rfw:sha256").
	// Numbers parsed from JSON are json.Number so integers keep their precision.
	Extra map[string]any
}

// Capture is a SigMF capture segment: the tuning from SampleStart until the
// next segment.
type Capture struct {
	SampleStart int64   // core:sample_start
	FrequencyHz float64 // core:frequency, RF centre; 0 when absent
	Datetime    string  // core:datetime, RFC 3339 in UTC, or "" when unknown
	// HeaderBytes is core:header_bytes: bytes of the data file before this
	// capture's first sample that are not samples, skipped when reading.
	HeaderBytes int64
	Extra       map[string]any
}

// MaxFrequencyHz bounds a capture's core:frequency: far above any
// receiver's, far below where sums of frequencies lose their hertz.
const MaxFrequencyHz = 1e12

// checkFrequency refuses a core:frequency that is not an RF centre
// frequency: zero, negative or above MaxFrequencyHz (NaN included).
func checkFrequency(f float64) error {
	if !(f > 0 && f <= MaxFrequencyHz) {
		return fmt.Errorf("core:frequency %g: %w: want a positive RF centre frequency up to %g Hz", f, ErrBadMeta, MaxFrequencyHz)
	}
	return nil
}

// Annotation is a SigMF annotation segment.
type Annotation struct {
	SampleStart, SampleCount int64   // core:sample_start, core:sample_count
	FreqLowerHz, FreqUpperHz float64 // core:freq_lower_edge, core:freq_upper_edge
	HasFreq                  bool    // both frequency edges are present
	Label, Comment           string  // core:label, core:comment
	Generator                string  // core:generator
	// ToEnd marks an annotation without core:sample_count, which SigMF
	// makes optional: it runs to the end of the capture it starts in.
	// ParseMeta leaves SampleCount 0; Open sets it to that end and
	// clears ToEnd, so what is written from a recording is complete.
	// MarshalMeta refuses an annotation still marked.
	ToEnd bool
	Extra map[string]any
	// fileIndex is 1 + the annotation's index in the metadata's
	// annotations array, which ParseMeta sorts, for errors; 0 when it
	// was not parsed.
	fileIndex int
}

// index returns the annotation's index in its metadata file's
// annotations array, or i, its index in Meta, when it was not parsed.
func (a Annotation) index(i int) int {
	if a.fileIndex > 0 {
		return a.fileIndex - 1
	}
	return i
}

var datatypePattern = regexp.MustCompile(`^(c|r)(f32|f64|i32|i16|u32|u16|i8|u8)(_le|_be)?$`)

// ParseMeta decodes and validates SigMF metadata. It checks the JSON, the
// required keys, the type of every known core field, the datatype syntax,
// a positive sample rate, core:version, RFC 3339 datetimes and that captures
// are sorted by sample_start; annotations it sorts (stably) by sample_start.
// Errors name the field at fault. A leading UTF-8 byte-order mark is
// skipped. Sample indices are returned counted from the data's first sample:
// core:offset (Global.OffsetSamples) is subtracted from each.
func ParseMeta(data []byte) (Meta, error) {
	data = trimBOM(data)
	var top map[string]json.RawMessage
	if err := unmarshalStrict(data, &top); err != nil {
		return Meta{}, fmt.Errorf("%w: %w", ErrBadMeta, err)
	}
	if err := checkDuplicateKeys(data); err != nil {
		return Meta{}, err
	}
	for k := range top {
		if k != "global" && k != "captures" && k != "annotations" {
			return Meta{}, fmt.Errorf("%w: unknown top-level key %q", ErrBadMeta, k)
		}
	}
	var m Meta
	var err error
	if m.Global, err = parseGlobal(top["global"]); err != nil {
		return Meta{}, err
	}
	caps, err := parseObjects(top["captures"], "captures")
	if err != nil {
		return Meta{}, err
	}
	if len(caps) > MaxCaptures {
		return Meta{}, fmt.Errorf("%w: %d captures, more than the %d rfwarden reads", ErrTooLarge, len(caps), MaxCaptures)
	}
	for i, obj := range caps {
		c, err := parseCapture(obj)
		if err != nil {
			return Meta{}, fmt.Errorf("captures[%d].%w", i, err)
		}
		if i > 0 && c.SampleStart <= m.Captures[i-1].SampleStart {
			return Meta{}, fmt.Errorf("captures[%d].core:sample_start %d not after %d: captures not sorted: %w", i, c.SampleStart, m.Captures[i-1].SampleStart, ErrMismatch)
		}
		m.Captures = append(m.Captures, c)
	}
	anns, err := parseObjects(top["annotations"], "annotations")
	if err != nil {
		return Meta{}, err
	}
	for i, obj := range anns {
		a, err := parseAnnotation(obj)
		if err != nil {
			return Meta{}, fmt.Errorf("annotations[%d].%w", i, err)
		}
		a.fileIndex = i + 1
		m.Annotations = append(m.Annotations, a)
	}
	if err := m.fromOffset(); err != nil {
		return Meta{}, err
	}
	// SigMF asks annotations sorted by core:sample_start, but ones in the
	// order they were drawn (a hand-edited file, an annotation tool) say
	// nothing ambiguous: they are sorted here, stably, as MarshalMeta
	// sorts what it writes. Until 2026-12-06 they refused the recording.
	slices.SortStableFunc(m.Annotations, func(a, b Annotation) int { return cmp.Compare(a.SampleStart, b.SampleStart) })
	return m, nil
}

// fromOffset makes the sample indices of m, parsed metadata, count from
// the data's first sample: it subtracts core:offset from each, refusing
// one before it.
func (m *Meta) fromOffset() error {
	off := m.Global.OffsetSamples
	if off == 0 {
		return nil
	}
	before := func(what string, i int, start int64) error {
		return fmt.Errorf("%s[%d].core:sample_start %d before global.core:offset %d: %w: SigMF's sample indices are absolute, counted from the first sample of the whole recording, so none is before core:offset, the index of this file's first sample",
			what, i, start, off, ErrBadMeta)
	}
	for i := range m.Captures {
		if m.Captures[i].SampleStart < off {
			return before("captures", i, m.Captures[i].SampleStart)
		}
		m.Captures[i].SampleStart -= off
	}
	for i := range m.Annotations {
		if m.Annotations[i].SampleStart < off {
			return before("annotations", i, m.Annotations[i].SampleStart)
		}
		m.Annotations[i].SampleStart -= off
	}
	return nil
}

// utf8BOM is the byte-order mark Windows editors (Notepad, PowerShell's
// Out-File) write at the start of a UTF-8 file.
const utf8BOM = "\ufeff"

// trimBOM returns data without a leading UTF-8 byte-order mark, which
// RFC 8259 (section 8.1) lets a JSON parser ignore. Until 2026-12-06 it
// refused the metadata: "invalid character 'ï' looking for beginning of
// value".
func trimBOM(data []byte) []byte { return bytes.TrimPrefix(data, []byte(utf8BOM)) }

// ReadMeta reads and validates the metadata file at path, refusing one
// larger than MaxMetaBytes before reading it.
func ReadMeta(path string) (Meta, error) {
	data, err := readMetaFile(path)
	if err != nil {
		return Meta{}, err
	}
	m, err := ParseMeta(data)
	if err != nil {
		return Meta{}, fmt.Errorf("meta %q: %w", path, err)
	}
	return m, nil
}

// readMetaFile returns the content of the metadata file at path, or an
// error wrapping ErrTooLarge, naming the file and the limit, when it holds
// more than MaxMetaBytes.
func readMetaFile(path string) ([]byte, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, fmt.Errorf("read meta: %w", err)
	}
	defer f.Close()
	tooLarge := func(size int64) error {
		return fmt.Errorf("read meta %q: %d bytes: %w: rfwarden reads at most %d bytes (%d MiB) of metadata", path, size, ErrTooLarge, MaxMetaBytes, MaxMetaBytes>>20)
	}
	if st, err := f.Stat(); err == nil && st.Size() > MaxMetaBytes {
		return nil, tooLarge(st.Size())
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxMetaBytes+1)) // it may have grown
	if err != nil {
		return nil, fmt.Errorf("read meta %q: %w", path, err)
	}
	if len(data) > MaxMetaBytes {
		return nil, tooLarge(int64(len(data)))
	}
	return data, nil
}

// checkDuplicateKeys refuses, with ErrBadMeta naming the key and where
// it is ("captures[1].core:frequency"), a key given twice in one object
// of the JSON data (jsondup.Check): Go's decoder, as many others, keeps
// the last value, and a reader that keeps the first reads another
// recording (two core:sample_rate in one global object were read at the
// second). data that is not valid JSON is left for the decoder to report.
func checkDuplicateKeys(data []byte) error {
	var dup *jsondup.Error
	if errors.As(jsondup.Check(data), &dup) {
		return fmt.Errorf("%s: %w: the key appears twice in one object, and which value is meant is ambiguous", dup.Path, ErrBadMeta)
	}
	return nil
}

// unmarshalStrict decodes JSON keeping numbers as json.Number and rejecting
// trailing data.
func unmarshalStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after JSON value")
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err == nil {
		return errors.New("trailing data after JSON value")
	}
	return nil
}

type object = map[string]any

func parseObjects(raw json.RawMessage, name string) ([]object, error) {
	if raw == nil {
		return nil, fmt.Errorf("%w: missing %q", ErrBadMeta, name)
	}
	var list []any
	if err := unmarshalStrict(raw, &list); err != nil {
		return nil, fmt.Errorf("%w: %s: want an array: %w", ErrBadMeta, name, err)
	}
	out := make([]object, len(list))
	for i, v := range list {
		o, ok := v.(object)
		if !ok {
			return nil, fmt.Errorf("%w: %s[%d]: want an object, got %s", ErrBadMeta, name, i, jsonType(v))
		}
		out[i] = o
	}
	return out, nil
}

func parseGlobal(raw json.RawMessage) (Global, error) {
	if raw == nil {
		return Global{}, fmt.Errorf("%w: missing \"global\"", ErrBadMeta)
	}
	var o object
	if err := unmarshalStrict(raw, &o); err != nil || o == nil {
		return Global{}, fmt.Errorf("%w: global: want an object", ErrBadMeta)
	}
	var g Global
	var err error
	if g.Version, err = takeString(o, "core:version", ErrNoVersion); err != nil {
		return Global{}, fmt.Errorf("global.%w", err)
	}
	if !ReadableVersion(g.Version) {
		return Global{}, fmt.Errorf("global.core:version %q: %w (want 1.x, e.g. %q)", g.Version, ErrNoVersion, Version)
	}
	if g.Datatype, err = takeString(o, "core:datatype", ErrDatatype); err != nil {
		return Global{}, fmt.Errorf("global.%w", err)
	}
	if !datatypePattern.MatchString(g.Datatype) {
		return Global{}, fmt.Errorf("global.core:datatype %q: %w", g.Datatype, ErrDatatype)
	}
	rate, ok, err := takeNumber(o, "core:sample_rate")
	if err != nil {
		return Global{}, fmt.Errorf("global.%w", err)
	}
	if !ok || !(rate > 0) || math.IsInf(rate, 0) {
		return Global{}, fmt.Errorf("global.core:sample_rate %v: %w", rate, ErrNoSampleRate)
	}
	g.SampleRateHz = rate
	for _, f := range []struct {
		key string
		dst *string
	}{
		{"core:description", &g.Description},
		{"core:author", &g.Author},
		{"core:hw", &g.HW},
		{"core:license", &g.License},
	} {
		if *f.dst, err = takeString(o, f.key, nil); err != nil {
			return Global{}, fmt.Errorf("global.%w", err)
		}
	}
	if g.OffsetSamples, err = takeIndex(o, "core:offset", false); err != nil {
		return Global{}, fmt.Errorf("global.%w", err)
	}
	if len(o) > 0 {
		g.Extra = o
	}
	return g, nil
}

func parseCapture(o object) (Capture, error) {
	var c Capture
	var err error
	if c.SampleStart, err = takeIndex(o, "core:sample_start", true); err != nil {
		return Capture{}, err
	}
	f, hasF, err := takeNumber(o, "core:frequency")
	if err != nil {
		return Capture{}, err
	}
	if hasF {
		if err := checkFrequency(f); err != nil {
			return Capture{}, err
		}
	}
	c.FrequencyHz = f
	if c.HeaderBytes, err = takeIndex(o, "core:header_bytes", false); err != nil {
		return Capture{}, err
	}
	if c.Datetime, err = takeString(o, "core:datetime", nil); err != nil {
		return Capture{}, err
	}
	if c.Datetime != "" {
		if _, err := time.Parse(time.RFC3339Nano, c.Datetime); err != nil {
			return Capture{}, fmt.Errorf("core:datetime %q: %w: not RFC 3339", c.Datetime, ErrBadMeta)
		}
	}
	if len(o) > 0 {
		c.Extra = o
	}
	return c, nil
}

func parseAnnotation(o object) (Annotation, error) {
	var a Annotation
	var err error
	if a.SampleStart, err = takeIndex(o, "core:sample_start", true); err != nil {
		return Annotation{}, err
	}
	if _, ok := o["core:sample_count"]; !ok {
		a.ToEnd = true // to the end of its capture, which Open knows
	} else if a.SampleCount, err = takeIndex(o, "core:sample_count", true); err != nil {
		return Annotation{}, err
	}
	if a.SampleStart > math.MaxInt64-a.SampleCount {
		return Annotation{}, fmt.Errorf("core:sample_count %d: %w: end overflows", a.SampleCount, ErrBadMeta)
	}
	lo, hasLo, err := takeNumber(o, "core:freq_lower_edge")
	if err != nil {
		return Annotation{}, err
	}
	hi, hasHi, err := takeNumber(o, "core:freq_upper_edge")
	if err != nil {
		return Annotation{}, err
	}
	if hasLo != hasHi {
		return Annotation{}, fmt.Errorf("core:freq_lower_edge/core:freq_upper_edge: %w: only one edge present", ErrBadMeta)
	}
	if hasLo && lo > hi {
		return Annotation{}, fmt.Errorf("core:freq_lower_edge %v above core:freq_upper_edge %v: %w", lo, hi, ErrBadMeta)
	}
	a.FreqLowerHz, a.FreqUpperHz, a.HasFreq = lo, hi, hasLo
	for _, f := range []struct {
		key string
		dst *string
	}{
		{"core:label", &a.Label},
		{"core:comment", &a.Comment},
		{"core:generator", &a.Generator},
	} {
		if *f.dst, err = takeString(o, f.key, nil); err != nil {
			return Annotation{}, err
		}
	}
	if len(o) > 0 {
		a.Extra = o
	}
	return a, nil
}

// takeString removes key from o and returns its string value; an absent
// key gives "" unless missing is non-nil, which is then returned.
func takeString(o object, key string, missing error) (string, error) {
	v, ok := o[key]
	if !ok {
		if missing != nil {
			return "", fmt.Errorf("%s: %w: missing", key, missing)
		}
		return "", nil
	}
	delete(o, key)
	s, isStr := v.(string)
	if !isStr {
		return "", fmt.Errorf("%s: %w: want a string, got %s", key, ErrBadMeta, jsonType(v))
	}
	return s, nil
}

// takeNumber removes key from o and returns its finite numeric value and
// whether it was present.
func takeNumber(o object, key string) (float64, bool, error) {
	v, ok := o[key]
	if !ok {
		return 0, false, nil
	}
	delete(o, key)
	n, isNum := v.(json.Number)
	if !isNum {
		return 0, false, fmt.Errorf("%s: %w: want a number, got %s", key, ErrBadMeta, jsonType(v))
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false, fmt.Errorf("%s %s: %w: not a finite number", key, n, ErrBadMeta)
	}
	return f, true, nil
}

// takeIndex removes key from o and returns it as a non-negative integer.
func takeIndex(o object, key string, required bool) (int64, error) {
	v, ok := o[key]
	if !ok {
		if required {
			return 0, fmt.Errorf("%s: %w: missing", key, ErrBadMeta)
		}
		return 0, nil
	}
	delete(o, key)
	n, isNum := v.(json.Number)
	if !isNum {
		return 0, fmt.Errorf("%s: %w: want an integer, got %s", key, ErrBadMeta, jsonType(v))
	}
	i, err := integer(n)
	if err != nil || i < 0 {
		return 0, fmt.Errorf("%s %s: %w: want a non-negative 64-bit integer", key, n, ErrBadMeta)
	}
	return i, nil
}

// integer returns n as an int64: written as an integer, or as a number
// with an integral value (0.0, 1e3), which JSON and the SigMF schema take
// as integers too, exactly representable (below 2^53).
func integer(n json.Number) (int64, error) {
	if i, err := n.Int64(); err == nil {
		return i, nil
	}
	f, err := n.Float64()
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("%s is not an integer", n)
	}
	return int64(f), nil
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// MarshalMeta returns m as indented SigMF JSON: known keys first in canonical
// order, then Extra keys sorted; captures and annotations sorted by
// sample_start (stable), with Global.OffsetSamples (core:offset) added
// to it as SigMF's absolute indices. It validates what it writes (see
// WriteMeta).
func MarshalMeta(m Meta) ([]byte, error) {
	g := m.Global
	if g.Version != "" && !ReadableVersion(g.Version) {
		return nil, fmt.Errorf("global.core:version %q: %w (want %q)", g.Version, ErrNoVersion, Version)
	}
	g.Version = Version // metadata read as a later 1.x is valid 1.0.0 too
	if !datatypePattern.MatchString(g.Datatype) {
		return nil, fmt.Errorf("global.core:datatype %q: %w", g.Datatype, ErrDatatype)
	}
	if !(g.SampleRateHz > 0) || math.IsInf(g.SampleRateHz, 0) {
		return nil, fmt.Errorf("global.core:sample_rate %v: %w", g.SampleRateHz, ErrNoSampleRate)
	}
	var b bytes.Buffer
	b.WriteString(`{"global":`)
	w := &objWriter{b: &b}
	w.field("core:datatype", g.Datatype)
	w.field("core:sample_rate", g.SampleRateHz)
	w.field("core:version", g.Version)
	w.optString("core:description", g.Description)
	w.optString("core:author", g.Author)
	w.optString("core:hw", g.HW)
	w.optString("core:license", g.License)
	off := g.OffsetSamples
	if off < 0 {
		return nil, fmt.Errorf("global.core:offset %d: %w: negative", off, ErrBadMeta)
	}
	if off != 0 {
		w.field("core:offset", off)
	}
	w.extra("global", g.Extra, "core:datatype", "core:sample_rate", "core:version", "core:description", "core:author", "core:hw", "core:license", "core:offset")
	w.end()
	// absolute writes a sample index counted from the data's first sample
	// as SigMF's, from the recording's first (core:offset added).
	absolute := func(where string, i int, start int64) (int64, error) {
		if start > math.MaxInt64-off {
			return 0, fmt.Errorf("%s[%d].core:sample_start %d: %w: with core:offset %d it overflows", where, i, start, ErrBadMeta, off)
		}
		return start + off, nil
	}

	caps := slices.Clone(m.Captures)
	sort.SliceStable(caps, func(i, j int) bool { return caps[i].SampleStart < caps[j].SampleStart })
	b.WriteString(`,"captures":[`)
	for i, c := range caps {
		if c.SampleStart < 0 {
			return nil, fmt.Errorf("captures[%d].core:sample_start %d: %w: negative", i, c.SampleStart, ErrBadMeta)
		}
		if i > 0 && c.SampleStart == caps[i-1].SampleStart {
			return nil, fmt.Errorf("captures[%d].core:sample_start %d: %w: two captures start at the same sample", i, c.SampleStart, ErrMismatch)
		}
		if c.Datetime != "" {
			if _, err := time.Parse(time.RFC3339Nano, c.Datetime); err != nil {
				return nil, fmt.Errorf("captures[%d].core:datetime %q: %w: not RFC 3339", i, c.Datetime, ErrBadMeta)
			}
		}
		if i > 0 {
			b.WriteByte(',')
		}
		if c.FrequencyHz != 0 {
			if err := checkFrequency(c.FrequencyHz); err != nil {
				return nil, fmt.Errorf("captures[%d].%w", i, err)
			}
		}
		if c.HeaderBytes < 0 {
			return nil, fmt.Errorf("captures[%d].core:header_bytes %d: %w: negative", i, c.HeaderBytes, ErrBadMeta)
		}
		start, err := absolute("captures", i, c.SampleStart)
		if err != nil {
			return nil, err
		}
		w := &objWriter{b: &b}
		w.field("core:sample_start", start)
		if c.FrequencyHz != 0 { // 0: unknown, and SigMF's frequency is optional
			w.field("core:frequency", c.FrequencyHz)
		}
		w.optString("core:datetime", c.Datetime)
		if c.HeaderBytes != 0 {
			w.field("core:header_bytes", c.HeaderBytes)
		}
		w.extra(fmt.Sprintf("captures[%d]", i), c.Extra, "core:sample_start", "core:frequency", "core:datetime", "core:header_bytes")
		w.end()
		if w.err != nil {
			return nil, w.err
		}
	}
	anns := slices.Clone(m.Annotations)
	sort.SliceStable(anns, func(i, j int) bool { return anns[i].SampleStart < anns[j].SampleStart })
	b.WriteString(`],"annotations":[`)
	for i, a := range anns {
		if a.SampleStart < 0 || a.SampleCount < 0 {
			return nil, fmt.Errorf("annotations[%d]: sample_start %d, sample_count %d: %w: negative", i, a.SampleStart, a.SampleCount, ErrBadMeta)
		}
		if a.ToEnd {
			return nil, fmt.Errorf("annotations[%d].core:sample_count: %w: unknown until the recording is opened (it runs to the end of its capture)", i, ErrBadMeta)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		start, err := absolute("annotations", i, a.SampleStart)
		if err != nil {
			return nil, err
		}
		w := &objWriter{b: &b}
		w.field("core:sample_start", start)
		w.field("core:sample_count", a.SampleCount)
		if a.HasFreq {
			w.field("core:freq_lower_edge", a.FreqLowerHz)
			w.field("core:freq_upper_edge", a.FreqUpperHz)
		}
		w.optString("core:label", a.Label)
		w.optString("core:comment", a.Comment)
		w.optString("core:generator", a.Generator)
		w.extra(fmt.Sprintf("annotations[%d]", i), a.Extra, "core:sample_start", "core:sample_count", "core:freq_lower_edge", "core:freq_upper_edge", "core:label", "core:comment", "core:generator")
		w.end()
		if w.err != nil {
			return nil, w.err
		}
	}
	b.WriteString("]}")
	if w.err != nil {
		return nil, w.err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "    "); err != nil {
		return nil, fmt.Errorf("indent meta: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// WriteMeta writes m to path as valid SigMF 1.0.0 (see MarshalMeta),
// atomically: it writes a temporary file in the same directory and renames it.
func WriteMeta(path string, m Meta) error {
	data, err := MarshalMeta(m)
	if err != nil {
		return fmt.Errorf("write meta %q: %w", path, err)
	}
	return writeFileAtomic(path, data)
}

// writeFileAtomic writes data to a temporary file beside path, syncs it and
// renames it over path.
func writeFileAtomic(path string, data []byte) error {
	return copyFileAtomic(path, bytes.NewReader(data))
}

// objWriter writes one JSON object's members in call order.
type objWriter struct {
	b   *bytes.Buffer
	n   int
	err error
}

func (w *objWriter) field(key string, v any) {
	if w.err != nil {
		return
	}
	if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
		w.err = fmt.Errorf("%s %v: %w: not finite", key, f, ErrBadMeta)
		return
	}
	val, err := json.Marshal(v)
	if err != nil {
		w.err = fmt.Errorf("%s: %w: %w", key, ErrBadMeta, err)
		return
	}
	if w.n == 0 {
		w.b.WriteByte('{')
	} else {
		w.b.WriteByte(',')
	}
	k, _ := json.Marshal(key)
	w.b.Write(k)
	w.b.WriteByte(':')
	w.b.Write(val)
	w.n++
}

func (w *objWriter) optString(key, v string) {
	if v != "" {
		w.field(key, v)
	}
}

// extra writes the keys of m in sorted order, refusing keys that duplicate a
// field of the struct.
func (w *objWriter) extra(where string, m map[string]any, reserved ...string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		if slices.Contains(reserved, k) {
			if w.err == nil {
				w.err = fmt.Errorf("%s: %w: Extra key %q duplicates a field", where, ErrBadMeta, k)
			}
			return
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare)
	for _, k := range keys {
		w.field(k, m[k])
	}
}

func (w *objWriter) end() {
	if w.n == 0 {
		w.b.WriteByte('{')
	}
	w.b.WriteByte('}')
}
