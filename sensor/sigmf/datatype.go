package sigmf

import (
	"encoding/binary"
	"fmt"
	"math"
)

// format is a decoded core:datatype for complex samples.
type format int

const (
	fmtCI8 format = iota + 1
	fmtCU8
	fmtCI16LE
	fmtCI16BE
	fmtCU16LE
	fmtCU16BE
	fmtCF32LE
	fmtCF32BE
	fmtCF64LE
	fmtCF64BE
)

// parseFormat maps a core:datatype string to a supported format.
func parseFormat(datatype string) (format, error) {
	switch datatype {
	case "ci8":
		return fmtCI8, nil
	case "cu8":
		return fmtCU8, nil
	case "ci16_le":
		return fmtCI16LE, nil
	case "ci16_be":
		return fmtCI16BE, nil
	case "cu16_le":
		return fmtCU16LE, nil
	case "cu16_be":
		return fmtCU16BE, nil
	case "cf32_le":
		return fmtCF32LE, nil
	case "cf32_be":
		return fmtCF32BE, nil
	case "cf64_le":
		return fmtCF64LE, nil
	case "cf64_be":
		return fmtCF64BE, nil
	}
	return 0, fmt.Errorf("%w %q (want one of ci8, cu8, ci16_le, ci16_be, cu16_le, cu16_be, cf32_le, cf32_be, cf64_le, cf64_be)", ErrDatatype, datatype)
}

// size returns the bytes per complex sample.
func (f format) size() int {
	switch f {
	case fmtCI8, fmtCU8:
		return 2
	case fmtCI16LE, fmtCI16BE, fmtCU16LE, fmtCU16BE:
		return 4
	case fmtCF32LE, fmtCF32BE:
		return 8
	case fmtCF64LE, fmtCF64BE:
		return 16
	}
	return 0
}

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
	n = min(len(dst), len(src)/f.size())
	dst = dst[:n]
	switch f {
	case fmtCI8:
		const s = 1.0 / 128
		src = src[:2*n]
		for i := range dst {
			dst[i] = complex(float32(int8(src[2*i]))*s, float32(int8(src[2*i+1]))*s)
		}
	case fmtCU8:
		const s = 1.0 / 128
		src = src[:2*n]
		for i := range dst {
			dst[i] = complex((float32(src[2*i])-127.5)*s, (float32(src[2*i+1])-127.5)*s)
		}
	case fmtCI16LE:
		const s = 1.0 / 32768
		src = src[:4*n]
		for i := range dst {
			b := src[4*i : 4*i+4]
			dst[i] = complex(float32(int16(binary.LittleEndian.Uint16(b)))*s, float32(int16(binary.LittleEndian.Uint16(b[2:])))*s)
		}
	case fmtCI16BE:
		const s = 1.0 / 32768
		src = src[:4*n]
		for i := range dst {
			b := src[4*i : 4*i+4]
			dst[i] = complex(float32(int16(binary.BigEndian.Uint16(b)))*s, float32(int16(binary.BigEndian.Uint16(b[2:])))*s)
		}
	case fmtCU16LE:
		const s = 1.0 / 32768
		src = src[:4*n]
		for i := range dst {
			b := src[4*i : 4*i+4]
			dst[i] = complex((float32(binary.LittleEndian.Uint16(b))-32767.5)*s, (float32(binary.LittleEndian.Uint16(b[2:]))-32767.5)*s)
		}
	case fmtCU16BE:
		const s = 1.0 / 32768
		src = src[:4*n]
		for i := range dst {
			b := src[4*i : 4*i+4]
			dst[i] = complex((float32(binary.BigEndian.Uint16(b))-32767.5)*s, (float32(binary.BigEndian.Uint16(b[2:]))-32767.5)*s)
		}
	case fmtCF32LE, fmtCF32BE:
		var order binary.ByteOrder = binary.LittleEndian
		if f == fmtCF32BE {
			order = binary.BigEndian
		}
		src = src[:8*n]
		for i := range dst {
			b := src[8*i : 8*i+8]
			re := math.Float32frombits(order.Uint32(b))
			im := math.Float32frombits(order.Uint32(b[4:]))
			if re-re != 0 || im-im != 0 { // NaN or Inf
				return i, i
			}
			dst[i] = complex(re, im)
		}
	case fmtCF64LE, fmtCF64BE:
		var order binary.ByteOrder = binary.LittleEndian
		if f == fmtCF64BE {
			order = binary.BigEndian
		}
		src = src[:16*n]
		for i := range dst {
			b := src[16*i : 16*i+16]
			re := float32(math.Float64frombits(order.Uint64(b)))
			im := float32(math.Float64frombits(order.Uint64(b[8:])))
			if re-re != 0 || im-im != 0 { // NaN, Inf, or beyond float32 range
				return i, i
			}
			dst[i] = complex(re, im)
		}
	}
	return n, -1
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
