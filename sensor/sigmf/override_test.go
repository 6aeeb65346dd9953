package sigmf

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// writeOverrideFixture writes dir/rec: 1000 cf32_le samples at 1 Msps in
// two captures at 915 MHz (the second 10 s after the first), with an
// author, rfw:gain_db and one annotation; and dir/rec.sigmf, its archive.
func writeOverrideFixture(t *testing.T, dir string, secondHz float64) string {
	t.Helper()
	base := filepath.Join(dir, "rec")
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w, err := NewWriter(base, "cf32_le", 1e6, 915e6, t0)
	if err != nil {
		t.Fatal(err)
	}
	w.SetGlobal("", "test", "", "")
	w.SetExtra("rfw:gain_db", 20)
	if err := w.Write(make([]complex64, 400)); err != nil {
		t.Fatal(err)
	}
	w.Retune(secondHz, t0.Add(10*time.Second))
	if err := w.Write(make([]complex64, 600)); err != nil {
		t.Fatal(err)
	}
	w.Annotate(Annotation{SampleStart: 700, SampleCount: 200, Label: "truth"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := WriteArchive(base+ArchiveExt, base+MetaExt, base+DataExt); err != nil {
		t.Fatal(err)
	}
	return base
}

// TestOpenWith: an override replaces one field and keeps the rest of the
// metadata; a datatype override mends metadata whose own is unreadable.
func TestOpenWith(t *testing.T) {
	dir := t.TempDir()
	base := writeOverrideFixture(t, dir, 915e6)
	b, err := os.ReadFile(base + MetaExt)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad")
	b = bytes.Replace(b, []byte(`"cf32_le"`), []byte(`"ci12_le"`), 1)
	b = bytes.Replace(b, []byte(`"core:sample_rate":1000000`), []byte(`"core:sample_rate":0`), 1)
	if err := os.WriteFile(bad+MetaExt, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(base+DataExt, bad+DataExt); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		path      string
		ov        Overrides
		datatype  string
		rateHz    float64
		centerHz  float64
		n         int64
		files     []string
		wantAfter time.Duration // TimeAt(500) − TimeAt(0)
	}{
		{"none", base + MetaExt, Overrides{}, "cf32_le", 1e6, 915e6, 1000, []string{base + MetaExt, base + DataExt}, 10*time.Second + 100*time.Microsecond},
		{"centre", base + DataExt, Overrides{CenterHz: 902.4e6}, "cf32_le", 1e6, 902.4e6, 1000, []string{base + MetaExt, base + DataExt}, 10*time.Second + 100*time.Microsecond},
		{"rate", base + MetaExt, Overrides{SampleRateHz: 2e6}, "cf32_le", 2e6, 915e6, 1000, []string{base + MetaExt, base + DataExt}, 10*time.Second + 50*time.Microsecond},
		{"datatype", base + MetaExt, Overrides{Datatype: "ci16_le"}, "ci16_le", 1e6, 915e6, 2000, []string{base + MetaExt, base + DataExt}, 10*time.Second + 100*time.Microsecond},
		{"archive", base + ArchiveExt, Overrides{CenterHz: 902.4e6, SampleRateHz: 2e6}, "cf32_le", 2e6, 902.4e6, 1000, []string{base + ArchiveExt}, 10*time.Second + 50*time.Microsecond},
		{"mends bad datatype and rate", bad + MetaExt, Overrides{Datatype: "cf32_le", SampleRateHz: 1e6}, "cf32_le", 1e6, 915e6, 1000, []string{bad + MetaExt, bad + DataExt}, 10*time.Second + 100*time.Microsecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := OpenWith(tc.path, tc.ov)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			m := r.Meta()
			if r.Datatype() != tc.datatype || r.SampleRateHz() != tc.rateHz || r.NumSamples() != tc.n {
				t.Errorf("got %s at %g sps, %d samples; want %s at %g, %d", r.Datatype(), r.SampleRateHz(), r.NumSamples(), tc.datatype, tc.rateHz, tc.n)
			}
			if len(m.Captures) != 2 || m.Captures[0].FrequencyHz != tc.centerHz || m.Captures[1].FrequencyHz != tc.centerHz {
				t.Errorf("captures %+v, want two at %g Hz", m.Captures, tc.centerHz)
			}
			if m.Global.Author != "test" || m.Global.Extra["rfw:gain_db"] == nil || m.Global.Extra["core:sha512"] == nil ||
				len(m.Annotations) != 1 || m.Annotations[0].Label != "truth" {
				t.Errorf("metadata not kept: %+v", m)
			}
			if got := r.TimeAt(500).Sub(r.TimeAt(0)); got != tc.wantAfter {
				t.Errorf("TimeAt(500) − TimeAt(0) = %v, want %v", got, tc.wantAfter)
			}
			if got := r.Files(); !slices.Equal(got, tc.files) {
				t.Errorf("Files() = %q, want %q", got, tc.files)
			}
		})
	}
}

func TestOpenWithErrors(t *testing.T) {
	dir := t.TempDir()
	base := writeOverrideFixture(t, dir, 2437e6)
	tests := []struct {
		name string
		path string
		ov   Overrides
		want error
		text string
	}{
		// one centre cannot stand for two tunings; this is no fault of the data (it said "metadata does not match data")
		{"centre of two tunings", base + MetaExt, Overrides{CenterHz: 902e6}, ErrOverride, "captures[1] to 2.437e+09 Hz"},
		{"centre of two tunings in an archive", base + ArchiveExt, Overrides{CenterHz: 902e6}, ErrOverride, "captures[1] to 2.437e+09 Hz"},
		{"malformed datatype", base + MetaExt, Overrides{Datatype: "ci12_le"}, ErrDatatype, `override core:datatype "ci12_le"`},
		// described, not overridden (scan --datatype without --override): until 2026-12-05 it said "override"
		{"malformed datatype given", base + MetaExt, Overrides{Datatype: "ci9", MustAgree: true}, ErrDatatype, `given core:datatype "ci9"`},
		{"unread datatype", base + MetaExt, Overrides{Datatype: "ri16_le"}, ErrDatatype, "ri16_le"},
		{"negative rate", base + MetaExt, Overrides{SampleRateHz: -1}, ErrNoSampleRate, "-1"},
		{"rate beyond bounds", base + MetaExt, Overrides{SampleRateHz: 1e300}, ErrSampleRateRange, "core:sample_rate 1e+300: sample rate out of range: above"},
		{"rate wider than twice the centre", base + MetaExt, Overrides{SampleRateHz: 5e9}, ErrBadMeta, "core:sample_rate 5e+09: invalid metadata: the band it holds"},
		{"infinite centre", base + MetaExt, Overrides{CenterHz: inf()}, ErrBadMeta, "+Inf"},
		{"datatype leaving annotations beyond the data", base + MetaExt, Overrides{Datatype: "cf64_le"}, ErrMismatch, "annotations[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := OpenWith(tc.path, tc.ov)
			if err == nil {
				r.Close()
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("got %v, want %v naming %q", err, tc.want, tc.text)
			}
			if tc.want != ErrMismatch && errors.Is(err, ErrMismatch) {
				t.Errorf("got %v, which blames the data", err)
			}
		})
	}
}

// TestOpenWithMustAgree: with MustAgree the overrides describe the
// recording rather than correct it: a value the metadata has must agree
// (a differing one is refused naming the key and both values), one it
// lacks is filled in. scan --datatype ci8 read a cf32_le recording as ci8.
func TestOpenWithMustAgree(t *testing.T) {
	dir := t.TempDir()
	base := writeOverrideFixture(t, dir, 915e6)
	two := writeOverrideFixture(t, t.TempDir(), 2437e6)
	b, err := os.ReadFile(base + MetaExt)
	if err != nil {
		t.Fatal(err)
	}
	// A copy without core:sample_rate and core:frequency, which SigMF allows.
	bare := filepath.Join(dir, "bare")
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc["global"].(map[string]any), "core:sample_rate")
	delete(doc["global"].(map[string]any), "core:sha512")
	for _, c := range doc["captures"].([]any) {
		delete(c.(map[string]any), "core:frequency")
	}
	if b, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bare+MetaExt, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(base+DataExt, bare+DataExt); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		path     string
		ov       Overrides
		text     string // "" for success
		rateHz   float64
		centerHz float64
	}{
		{"agreeing", base + MetaExt, Overrides{Datatype: "cf32_le", SampleRateHz: 1e6, CenterHz: 915e6}, "", 1e6, 915e6},
		{"agreeing archive", base + ArchiveExt, Overrides{SampleRateHz: 1e6}, "", 1e6, 915e6},
		{"filling in", bare + MetaExt, Overrides{SampleRateHz: 2e6, CenterHz: 433.92e6}, "", 2e6, 433.92e6},
		{"datatype", base + MetaExt, Overrides{Datatype: "ci8"}, `core:datatype is "cf32_le", not "ci8"`, 0, 0},
		{"rate", base + MetaExt, Overrides{SampleRateHz: 19.2e6}, "core:sample_rate is 1e+06, not 1.92e+07", 0, 0},
		{"centre", base + MetaExt, Overrides{CenterHz: 1890e6}, "captures[0].core:frequency is 9.15e+08 Hz, not 1.89e+09", 0, 0},
		{"centre of an archive", base + ArchiveExt, Overrides{CenterHz: 1890e6}, "captures[0].core:frequency is 9.15e+08 Hz, not 1.89e+09", 0, 0},
		{"centre of two tunings", two + MetaExt, Overrides{CenterHz: 915e6}, "captures[1].core:frequency is 2.437e+09 Hz, not 9.15e+08", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.ov.MustAgree = true
			r, err := OpenWith(tc.path, tc.ov)
			if tc.text != "" {
				if err == nil {
					r.Close()
				}
				if !errors.Is(err, ErrOverride) || !strings.Contains(err.Error(), tc.text) {
					t.Errorf("got %v, want ErrOverride naming %q", err, tc.text)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.SampleRateHz() != tc.rateHz || r.CenterHzAt(0) != tc.centerHz || r.Datatype() != "cf32_le" {
				t.Errorf("got %s at %g sps and %g Hz, want cf32_le at %g and %g", r.Datatype(), r.SampleRateHz(), r.CenterHzAt(0), tc.rateHz, tc.centerHz)
			}
		})
	}
}

func inf() float64 { v := 1e308; return v * 10 }
