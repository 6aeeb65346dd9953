package sigmf

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unsafe"
)

// format is a supported core:datatype for complex samples: an index
// into datatypes.
type format int

// The formats the Writer encodes (see encodable).
const (
	fmtCI8    format = iota + 1 // datatypes[fmtCI8]
	fmtCI16LE                   // datatypes[fmtCI16LE]
	fmtCF32LE                   // datatypes[fmtCF32LE]
)

// datatype describes how one core:datatype stores a complex sample: I then
// Q, each a component of bytes bytes, which decode converts.
type datatype struct {
	name  string
	bytes int // per component
	// decode converts whole samples of src into dst: see decode.
	decode func(dst []complex64, src []byte) (n, bad int)
}

// datatypes is the table of the core:datatypes rfwarden reads, in the
// order errors list them; the first three are the formats the Writer
// encodes (fmtCI8, fmtCI16LE, fmtCF32LE). Index 0 is unused (no format).
// Integer formats are scaled to full scale |x| = 1 (decodeInts); float
// ones are taken as they are (decodeFloats).
var datatypes = [...]datatype{
	1:  {"ci8", 1, decodeInts[int8, uint8](false)},
	2:  {"ci16_le", 2, decodeInts[int16, uint16](false)},
	3:  {"cf32_le", 4, decodeFloats[uint32](false)},
	4:  {"cu8", 1, decodeInts[uint8, uint8](false)},
	5:  {"ci16_be", 2, decodeInts[int16, uint16](true)},
	6:  {"cu16_le", 2, decodeInts[uint16, uint16](false)},
	7:  {"cu16_be", 2, decodeInts[uint16, uint16](true)},
	8:  {"ci32_le", 4, decodeInts[int32, uint32](false)},
	9:  {"ci32_be", 4, decodeInts[int32, uint32](true)},
	10: {"cu32_le", 4, decodeInts[uint32, uint32](false)},
	11: {"cu32_be", 4, decodeInts[uint32, uint32](true)},
	12: {"cf32_be", 4, decodeFloats[uint32](true)},
	13: {"cf64_le", 8, decodeFloats[uint64](false)},
	14: {"cf64_be", 8, decodeFloats[uint64](true)},
}

// intComponent is a component type of SigMF's integer datatypes.
type intComponent interface {
	int8 | uint8 | int16 | uint16 | int32 | uint32
}

// word is the unsigned word a component is stored as.
type word interface {
	uint8 | uint16 | uint32 | uint64
}

// load reads the unsigned word W at the start of b, big- or
// little-endian. W's size is a constant in each instantiation, so the
// switch goes at compile time.
func load[W word](b []byte, bigEndian bool) W {
	switch unsafe.Sizeof(W(0)) {
	case 1:
		return W(b[0])
	case 2:
		if bigEndian {
			return W(binary.BigEndian.Uint16(b))
		}
		return W(binary.LittleEndian.Uint16(b))
	case 4:
		if bigEndian {
			return W(binary.BigEndian.Uint32(b))
		}
		return W(binary.LittleEndian.Uint32(b))
	}
	if bigEndian {
		return W(binary.BigEndian.Uint64(b))
	}
	return W(binary.LittleEndian.Uint64(b))
}

// decodeInts returns the decoder of complex samples of integer components
// T, stored as words W of its size: each scaled so full scale is |x| = 1,
// a signed one of b bits by 2^-(b-1), an unsigned one less its mid-scale
// (2^b - 1)/2 by the same. The arithmetic is float64, exact for up to 16
// bits; 32-bit components round once, to float32.
func decodeInts[T intComponent, W word](bigEndian bool) func(dst []complex64, src []byte) (int, int) {
	w := int(unsafe.Sizeof(T(0)))
	scale := math.Ldexp(1, 1-8*w)
	zero := 0.0
	if T(0)-1 > 0 { // unsigned: offset binary
		zero = (math.Ldexp(1, 8*w) - 1) / 2
	}
	return func(dst []complex64, src []byte) (int, int) {
		n := min(len(dst), len(src)/(2*w))
		for i := range dst[:n] {
			b := src[2*w*i : 2*w*(i+1)]
			re := (float64(T(load[W](b, bigEndian))) - zero) * scale
			im := (float64(T(load[W](b[w:], bigEndian))) - zero) * scale
			dst[i] = complex(float32(re), float32(im))
		}
		return n, -1
	}
}

// decodeFloats returns the decoder of complex samples of IEEE 754
// components stored as words W (uint32: float32, uint64: float64), passed
// through unchanged; a NaN or Inf one (or a float64 beyond float32's
// range) stops it.
func decodeFloats[W uint32 | uint64](bigEndian bool) func(dst []complex64, src []byte) (int, int) {
	w := int(unsafe.Sizeof(W(0)))
	return func(dst []complex64, src []byte) (int, int) {
		n := min(len(dst), len(src)/(2*w))
		for i := range dst[:n] {
			b := src[2*w*i : 2*w*(i+1)]
			u, v := uint64(load[W](b, bigEndian)), uint64(load[W](b[w:], bigEndian))
			re, im := math.Float32frombits(uint32(u)), math.Float32frombits(uint32(v))
			if w == 8 {
				re, im = float32(math.Float64frombits(u)), float32(math.Float64frombits(v))
			}
			if re-re != 0 || im-im != 0 { // NaN, Inf, or beyond float32 range
				return i, i
			}
			dst[i] = complex(re, im)
		}
		return n, -1
	}
}

// parseFormat maps a core:datatype string to a supported format.
func parseFormat(name string) (format, error) {
	for i := 1; i < len(datatypes); i++ {
		if datatypes[i].name == name {
			return format(i), nil
		}
	}
	names := make([]string, 0, len(datatypes)-1)
	for _, d := range datatypes[1:] {
		names = append(names, d.name)
	}
	return 0, fmt.Errorf("%w %q (want one of %s)", ErrDatatype, name, strings.Join(names, ", "))
}

// size returns the bytes per complex sample.
func (f format) size() int { return 2 * datatypes[f].bytes }

// SampleSize returns the bytes per complex sample of datatype, or an error
// wrapping ErrDatatype when it is not supported.
func SampleSize(datatype string) (int, error) {
	f, err := parseFormat(datatype)
	if err != nil {
		return 0, err
	}
	return f.size(), nil
}

// DecodeSamples decodes complex samples of the given SigMF datatype from src
// into dst and returns how many it wrote: min(len(dst), len(src)/size).
// Integer formats are scaled to full scale |x| = 1 (see the package doc);
// float formats are copied unchanged. A NaN or Inf sample stops decoding and
// returns the samples before it with an error wrapping ErrNonFinite that names
// its index in src. Trailing bytes that do not form a whole sample, when dst
// had room for them, give an error wrapping ErrTruncated. DecodeSamples does
// not allocate.
func DecodeSamples(dst []complex64, src []byte, datatype string) (int, error) {
	f, err := parseFormat(datatype)
	if err != nil {
		return 0, err
	}
	n, bad := decode(dst, src, f)
	if bad >= 0 {
		return n, fmt.Errorf("sample %d: %w", bad, ErrNonFinite)
	}
	if n == len(src)/f.size() && len(src)%f.size() != 0 {
		return n, fmt.Errorf("%d trailing bytes after sample %d (sample size %d): %w", len(src)%f.size(), n, f.size(), ErrTruncated)
	}
	return n, nil
}

// decode converts whole samples of src into dst. It returns the number of
// samples written and the index of the first non-finite sample, or -1.
func decode(dst []complex64, src []byte, f format) (n, bad int) {
	return datatypes[f].decode(dst, src)
}

// encodable reports whether the Writer can encode f.
func (f format) encodable() bool {
	return f == fmtCI8 || f == fmtCI16LE || f == fmtCF32LE
}

// encode appends src to dst[:0] in format f, clipping integer formats to
// their range, and returns the bytes and the number of clipped samples.
// src must be finite.
func encode(dst []byte, src []complex64, f format) ([]byte, int64) {
	dst = dst[:0]
	var clipped int64
	switch f {
	case fmtCI8:
		for _, v := range src {
			re, c1 := quant(real(v), 128, -128, 127)
			im, c2 := quant(imag(v), 128, -128, 127)
			if c1 || c2 {
				clipped++
			}
			dst = append(dst, byte(int8(re)), byte(int8(im)))
		}
	case fmtCI16LE:
		for _, v := range src {
			re, c1 := quant(real(v), 32768, -32768, 32767)
			im, c2 := quant(imag(v), 32768, -32768, 32767)
			if c1 || c2 {
				clipped++
			}
			dst = binary.LittleEndian.AppendUint16(dst, uint16(int16(re)))
			dst = binary.LittleEndian.AppendUint16(dst, uint16(int16(im)))
		}
	case fmtCF32LE:
		for _, v := range src {
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(real(v)))
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(imag(v)))
		}
	}
	return dst, clipped
}

// quant scales x, rounds to nearest and clips to [lo, hi], reporting clipping.
func quant(x float32, scale, lo, hi float64) (int32, bool) {
	v := math.Round(float64(x) * scale)
	switch {
	case v < lo:
		return int32(lo), true
	case v > hi:
		return int32(hi), true
	}
	return int32(v), false
}
