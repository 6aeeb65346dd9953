package sigmf

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

func FuzzParseMeta(f *testing.F) {
	f.Add([]byte(`{"global":{"core:datatype":"ci8","core:sample_rate":2e6,"core:version":"1.0.0"},"captures":[{"core:sample_start":0,"core:frequency":1e9,"core:datetime":"2026-01-01T00:00:00Z"}],"annotations":[{"core:sample_start":0,"core:sample_count":10,"core:freq_lower_edge":1,"core:freq_upper_edge":2,"core:label":"x"}]}`))
	f.Add([]byte(`{"global":{}}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMeta(data)
		if err != nil {
			if !errors.Is(err, ErrBadMeta) && !errors.Is(err, ErrDatatype) && !errors.Is(err, ErrNoSampleRate) &&
				!errors.Is(err, ErrNoVersion) && !errors.Is(err, ErrMismatch) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrOverride) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		m = resolveForMarshal(t, m)
		// Whatever parses must marshal, and re-marshal identically.
		out, err := MarshalMeta(m)
		if err != nil {
			t.Fatalf("MarshalMeta of parsed meta: %v", err)
		}
		m2, err := ParseMeta(out)
		if err != nil {
			t.Fatalf("reparse: %v\n%s", err, out)
		}
		out2, err := MarshalMeta(m2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("unstable:\n%s\n%s", out, out2)
		}
	})
}

func FuzzDecodeSamples(f *testing.F) {
	for _, dt := range []string{"ci8", "cu8", "ci16_le", "ci16_be", "cu16_le", "cu16_be", "cf32_le", "cf32_be", "cf64_le", "cf64_be", "ci32_le", "ci32_be", "cu32_le", "cu32_be", "bogus"} {
		f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 0x7f, 0xc0, 0, 0, 0, 0, 0xff, 0x7f, 1}, dt, 3)
	}
	f.Fuzz(func(t *testing.T, src []byte, datatype string, dstLen int) {
		dstLen = min(max(dstLen, 0), 1<<12)
		dst := make([]complex64, dstLen)
		n, err := DecodeSamples(dst, src, datatype)
		size, serr := SampleSize(datatype)
		if serr != nil {
			if !errors.Is(err, ErrDatatype) || n != 0 {
				t.Fatalf("unsupported %q: n = %d, err = %v", datatype, n, err)
			}
			return
		}
		if limit := min(dstLen, len(src)/size); n > limit || n < 0 {
			t.Fatalf("n = %d, want <= %d", n, limit)
		}
		if err == nil && n != min(dstLen, len(src)/size) {
			t.Fatalf("n = %d without error, want %d", n, min(dstLen, len(src)/size))
		}
		for i, v := range dst[:n] {
			if re, im := real(v), imag(v); re-re != 0 || im-im != 0 {
				t.Fatalf("sample %d = %v is not finite", i, v)
			}
		}
	})
}

// FuzzParseMetaWith: overrides applied to any metadata, correcting it or
// (MustAgree) describing it, give an error wrapping a sentinel, or
// metadata holding the overriding values; no overrides give what
// ParseMeta gives.
func FuzzParseMetaWith(f *testing.F) {
	seed := []byte(`{"global":{"core:datatype":"ci12_le","core:sample_rate":0,"core:version":"1.0.0","core:author":"a"},"captures":[{"core:sample_start":0,"core:frequency":1e9},{"core:sample_start":5,"core:frequency":1e9}],"annotations":[]}`)
	f.Add(seed, "cf32_le", 2e6, 915e6)
	f.Add(seed, "", 0.0, 0.0)
	f.Add([]byte(`{"global":{"core:datatype":"ci8","core:sample_rate":1,"core:version":"1.0.0"},"captures":[],"annotations":[]}`), "", 0.0, 1.0)
	f.Add([]byte(`{"global":[]}`), "ci8", 1.0, 0.0)
	f.Fuzz(func(t *testing.T, data []byte, datatype string, rateHz, centerHz float64) {
		for _, agree := range []bool{false, true} {
			fuzzParseMetaWith(t, data, Overrides{Datatype: datatype, SampleRateHz: rateHz, CenterHz: centerHz, MustAgree: agree})
		}
	})
}

// fuzzParseMetaWith checks parseMetaWith of data with ov.
func fuzzParseMetaWith(t *testing.T, data []byte, ov Overrides) {
	datatype, rateHz, centerHz := ov.Datatype, ov.SampleRateHz, ov.CenterHz
	if ov.check() != nil {
		return
	}
	m, err := parseMetaWith(data, ov)
	if err == nil {
		m = resolveForMarshal(t, m)
	}
	if ov == (Overrides{}) || ov == (Overrides{MustAgree: true}) {
		want, werr := ParseMeta(data)
		if (err == nil) != (werr == nil) {
			t.Fatalf("no overrides: got %v; ParseMeta gives %v", err, werr)
		}
		if err == nil {
			want = resolveForMarshal(t, want)
			a, aerr := MarshalMeta(m)
			b, berr := MarshalMeta(want)
			if aerr != nil || berr != nil || !bytes.Equal(a, b) {
				t.Fatalf("no overrides: got %s (%v); ParseMeta gives %s (%v)", a, aerr, b, berr)
			}
		}
	}
	if err != nil {
		if !errors.Is(err, ErrBadMeta) && !errors.Is(err, ErrDatatype) && !errors.Is(err, ErrNoSampleRate) &&
			!errors.Is(err, ErrNoVersion) && !errors.Is(err, ErrMismatch) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrOverride) {
			t.Fatalf("error wraps no sentinel: %v", err)
		}
		return
	}
	if datatype != "" && m.Global.Datatype != datatype {
		t.Fatalf("datatype %q, want the override %q", m.Global.Datatype, datatype)
	}
	if rateHz != 0 && m.Global.SampleRateHz != rateHz {
		t.Fatalf("sample rate %v, want the override %v", m.Global.SampleRateHz, rateHz)
	}
	if centerHz != 0 {
		if len(m.Captures) == 0 {
			t.Fatal("centre override left no capture")
		}
		for i, c := range m.Captures {
			if c.FrequencyHz != centerHz {
				t.Fatalf("captures[%d] at %v Hz, want the override %v", i, c.FrequencyHz, centerHz)
			}
		}
	}
	if _, err := MarshalMeta(m); err != nil {
		t.Fatalf("MarshalMeta of overridden meta: %v", err)
	}
}

// resolveForMarshal returns m, parsed metadata, with the count of each
// annotation without core:sample_count resolved as Open would, against
// data ending at the last annotation's start: MarshalMeta refuses such an
// annotation (ErrBadMeta), which the fuzzers check first.
func resolveForMarshal(t *testing.T, m Meta) Meta {
	t.Helper()
	if !slices.ContainsFunc(m.Annotations, func(a Annotation) bool { return a.ToEnd }) {
		return m
	}
	if _, err := MarshalMeta(m); !errors.Is(err, ErrBadMeta) {
		t.Fatalf("MarshalMeta of an annotation without a count: %v, want ErrBadMeta", err)
	}
	var last int64
	for _, a := range m.Annotations {
		last = max(last, a.SampleStart)
	}
	m.Annotations = resolveToEnd(m.Annotations, m.Captures, last)
	return m
}
