package sigmf

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/ctxtest"
)

// TestReadsSigMF1x: a site's recordings written by SigMF 1.1 and 1.2
// tools were refused ("want 1.0.0"). Any 1.x version reads; what is
// written back says Version, which the schema this package checks
// against knows.
func TestReadsSigMF1x(t *testing.T) {
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0", "1.2.3"} {
		t.Run(v, func(t *testing.T) {
			meta := `{"global":{"core:datatype":"ci8","core:sample_rate":1000,"core:version":"` + v + `"},"captures":[{"core:sample_start":0}],"annotations":[]}`
			m, err := ParseMeta([]byte(meta))
			if err != nil {
				t.Fatalf("ParseMeta of core:version %s: %v", v, err)
			}
			if m.Global.Version != v {
				t.Errorf("Global.Version = %q, want %q as read", m.Global.Version, v)
			}
			out, err := MarshalMeta(m)
			if err != nil {
				t.Fatalf("MarshalMeta: %v", err)
			}
			back, err := ParseMeta(out)
			if err != nil || back.Global.Version != Version {
				t.Errorf("written metadata: core:version %q (%v), want %s: %s", back.Global.Version, err, Version, out)
			}
		})
	}
	if _, err := MarshalMeta(Meta{Global: Global{Datatype: "ci8", SampleRateHz: 1, Version: "2.0.0"}}); !errors.Is(err, ErrNoVersion) {
		t.Errorf("MarshalMeta of version 2.0.0: %v, want ErrNoVersion", err)
	}
}

// TestAnnotationWithoutCount: SigMF requires only core:sample_start of an
// annotation; one without core:sample_count runs to the end of its
// capture. It was refused. Open fills in the count, so what is written
// from an opened recording is complete; MarshalMeta refuses an
// annotation whose count is still unknown rather than write a wrong one.
func TestAnnotationWithoutCount(t *testing.T) {
	const g = `{"global":{"core:datatype":"ci8","core:sample_rate":1000,"core:version":"1.2.0"},`
	tests := []struct {
		name, caps, anns string
		wantStart        []int64
		wantCount        []int64
	}{
		{"one capture", `[{"core:sample_start":0}]`, `[{"core:sample_start":10,"core:label":"lte"}]`, []int64{10}, []int64{90}},
		{"no capture", `[]`, `[{"core:sample_start":0}]`, []int64{0}, []int64{100}},
		{"second capture", `[{"core:sample_start":0,"core:frequency":1e9},{"core:sample_start":40,"core:frequency":2e9}]`,
			`[{"core:sample_start":5},{"core:sample_start":40,"core:sample_count":3},{"core:sample_start":50}]`, []int64{5, 40, 50}, []int64{35, 3, 50}},
		{"at the end", `[{"core:sample_start":0}]`, `[{"core:sample_start":100}]`, []int64{100}, []int64{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			meta := g + `"captures":` + tt.caps + `,"annotations":` + tt.anns + `}`
			m, err := ParseMeta([]byte(meta))
			if err != nil {
				t.Fatalf("ParseMeta: %v", err)
			}
			if _, err := MarshalMeta(m); !errors.Is(err, ErrBadMeta) || !strings.Contains(err.Error(), "core:sample_count") {
				t.Errorf("MarshalMeta of an unresolved count: %v, want ErrBadMeta naming core:sample_count", err)
			}
			base := filepath.Join(t.TempDir(), "r")
			writePair(t, base, meta, make([]byte, 200))
			r, err := Open(base + MetaExt)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer r.Close()
			anns := r.Meta().Annotations
			if len(anns) != len(tt.wantCount) {
				t.Fatalf("%d annotations, want %d", len(anns), len(tt.wantCount))
			}
			for i, a := range anns {
				if a.SampleStart != tt.wantStart[i] || a.SampleCount != tt.wantCount[i] || a.ToEnd {
					t.Errorf("annotations[%d] = %d+%d (ToEnd %v), want %d+%d", i, a.SampleStart, a.SampleCount, a.ToEnd, tt.wantStart[i], tt.wantCount[i])
				}
			}
			out, err := MarshalMeta(r.Meta())
			if err != nil {
				t.Fatalf("MarshalMeta of the opened recording's metadata: %v", err)
			}
			if got := strings.Count(string(out), "core:sample_count"); got != len(anns) {
				t.Errorf("written metadata has %d core:sample_count, want %d: %s", got, len(anns), out)
			}
		})
	}
	// an annotation without a count starting past the data is still refused
	base := filepath.Join(t.TempDir(), "r")
	writePair(t, base, g+`"captures":[],"annotations":[{"core:sample_start":101}]}`, make([]byte, 200))
	if _, err := Open(base + MetaExt); !errors.Is(err, ErrMismatch) {
		t.Errorf("annotation starting after the data: %v, want ErrMismatch", err)
	}
	_ = os.Remove(base + MetaExt)
}

// TestFollowRFWDataset: metadata `scan --annotate` wrote in another folder
// names its samples in rfw:dataset, relative to itself; eval could not
// read it ("its samples are not beside it"). With
// Overrides.FollowRFWDataset it is followed; an absolute path is refused.
// Without it (an upload), it is not.
func TestFollowRFWDataset(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"data", "notes"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "rec.sigmf-data"), make([]byte, 200), 0o644); err != nil {
		t.Fatal(err)
	}
	meta := func(name, ds string) string {
		p := filepath.Join(dir, "notes", name+MetaExt)
		body := `{"global":{"core:datatype":"ci8","core:sample_rate":1000,"core:version":"1.0.0","rfw:dataset":"` + ds + `"},"captures":[{"core:sample_start":0}],"annotations":[]}`
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rel := meta("rel", "../data/rec.sigmf-data")
	if _, err := Open(rel); err == nil || !strings.Contains(err.Error(), "rfw:dataset") {
		t.Errorf("Open without FollowRFWDataset: %v, want an error naming rfw:dataset", err)
	}
	r, err := OpenWith(rel, Overrides{FollowRFWDataset: true, DatasetRoot: dir})
	if err != nil {
		t.Fatalf("OpenWith FollowRFWDataset: %v", err)
	}
	if r.NumSamples() != 100 || filepath.Base(filepath.Dir(r.Path())) != "data" {
		t.Errorf("read %d samples from %s, want 100 from data/rec.sigmf-data", r.NumSamples(), r.Path())
	}
	r.Close()
	abs := meta("abs", filepath.ToSlash(filepath.Join(dir, "data", "rec.sigmf-data")))
	if _, err := OpenWith(abs, Overrides{FollowRFWDataset: true}); !errors.Is(err, ErrBadMeta) || !strings.Contains(err.Error(), "rfw:dataset") {
		t.Errorf("absolute rfw:dataset: %v, want ErrBadMeta naming rfw:dataset", err)
	}
	gone := meta("gone", "../data/none.sigmf-data")
	if _, err := OpenWith(gone, Overrides{FollowRFWDataset: true, DatasetRoot: dir}); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "none.sigmf-data") {
		t.Errorf("rfw:dataset naming a missing file: %v, want not-exist naming it", err)
	}
}

// TestFollowRFWDatasetArchive: `scan --annotate OUT IN.sigmf` names the
// archive in rfw:dataset; followed, it gives the samples of the archive's
// data member, read with OUT's metadata, and DataFile says they are the
// archive's own (same file, same offset). Until 2026-12-05 scan wrote
// "IN.sigmf:IN/IN.sigmf-data", which named no file, and eval passed OUT
// over. Without FollowRFWDataset the error says the samples are in an
// archive.
func TestFollowRFWDatasetArchive(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "clip.sigmf")
	base := filepath.Join(t.TempDir(), "clip")
	writePair(t, base, `{"global":{"core:datatype":"ci8","core:sample_rate":1000,"core:version":"1.0.0"},"captures":[{"core:sample_start":0}],"annotations":[]}`, make([]byte, 200))
	if err := WriteArchive(archive, base+MetaExt, base+DataExt); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(dir, "notes")
	if err := os.Mkdir(notes, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(notes, "clip.scan"+MetaExt)
	body := `{"global":{"core:datatype":"ci8","core:sample_rate":1000,"core:version":"1.0.0","rfw:dataset":"../clip.sigmf"},"captures":[{"core:sample_start":0}],"annotations":[{"core:sample_start":10,"core:sample_count":20,"core:label":"x"}]}`
	if err := os.WriteFile(out, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(out); err == nil || !strings.Contains(err.Error(), `in the archive rfw:dataset names, "../clip.sigmf"`) {
		t.Errorf("Open without FollowRFWDataset: %v, want an error saying the samples are in the archive", err)
	}
	r, err := OpenWith(out, Overrides{FollowRFWDataset: true, DatasetRoot: dir})
	if err != nil {
		t.Fatalf("OpenWith FollowRFWDataset: %v", err)
	}
	defer r.Close()
	if r.NumSamples() != 100 || len(r.Meta().Annotations) != 1 {
		t.Errorf("read %d samples and %d annotations, want 100 and OUT's 1", r.NumSamples(), len(r.Meta().Annotations))
	}
	if got, want := r.Files(), []string{out, filepath.Join(notes, "../clip.sigmf")}; !slices.Equal(got, want) {
		t.Errorf("Files() = %q, want %q", got, want)
	}
	a, err := Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	gotFile, gotOff := r.DataFile()
	wantFile, wantOff := a.DataFile()
	gst, err1 := os.Stat(gotFile)
	wst, err2 := os.Stat(wantFile)
	if err1 != nil || err2 != nil || !os.SameFile(gst, wst) || gotOff != wantOff || wantOff == 0 {
		t.Errorf("DataFile() = %q at %d, want the archive's %q at its data member's offset %d", gotFile, gotOff, wantFile, wantOff)
	}
	var buf [100]complex64
	if n, err := r.Read(buf[:]); n != 100 || err != nil {
		t.Errorf("Read: %d samples, %v", n, err)
	}
}

// TestRFWDatasetStaysInRoot: rfw:dataset "../../secret/private.bin" made
// eval scan a file outside the corpus, its size and existence in the skip
// reasons. rfw:dataset must lead, after links, to a file inside
// Overrides.DatasetRoot (the metadata's folder when none is given); else
// the recording is refused with ErrBadMeta naming rfw:dataset, whether
// the file exists or not.
func TestRFWDatasetStaysInRoot(t *testing.T) {
	top := t.TempDir()
	corpus := filepath.Join(top, "corpus")
	for _, d := range []string{"corpus/notes", "corpus/data", "secret"} {
		if err := os.MkdirAll(filepath.Join(top, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"corpus/data/rec.sigmf-data", "corpus/notes/beside.sigmf-data", "secret/private.bin"} {
		if err := os.WriteFile(filepath.Join(top, f), make([]byte, 200), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(top, "secret"), filepath.Join(corpus, "data", "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(top, "secret", "private.bin"), filepath.Join(corpus, "data", "link.sigmf-data")); err != nil {
		t.Fatal(err)
	}
	meta := func(name, ds string) string {
		p := filepath.Join(corpus, "notes", name+MetaExt)
		body := `{"global":{"core:datatype":"ci8","core:sample_rate":1000,"core:version":"1.0.0","rfw:dataset":"` + ds + `"},"captures":[{"core:sample_start":0}],"annotations":[]}`
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, ds, root string
		ok             bool
	}{
		{"inside the root", "../data/rec.sigmf-data", corpus, true},
		{"beside, no root", "beside.sigmf-data", "", true},
		{"up out of the root", "../../secret/private.bin", corpus, false},
		{"up out of the root, missing", "../../secret/none.bin", corpus, false},
		{"far up", "../../../../../../../../etc/hostname", corpus, false},
		{"a folder link out of the root", "../data/out/private.bin", corpus, false},
		{"a file link out of the root", "../data/link.sigmf-data", corpus, false},
		{"no root: up out of the metadata's folder", "../data/rec.sigmf-data", "", false},
		{"the root through a link to it", "../data/rec.sigmf-data", filepath.Join(top, "corpus-link"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if strings.HasSuffix(tc.root, "corpus-link") {
				if err := os.Symlink(corpus, tc.root); err != nil && !os.IsExist(err) {
					t.Fatal(err)
				}
			}
			p := meta(strings.ReplaceAll(tc.name, " ", "_"), tc.ds)
			if strings.HasSuffix(tc.root, "corpus-link") { // eval given the link finds the metadata through it
				p = filepath.Join(tc.root, "notes", filepath.Base(p))
			}
			r, err := OpenWith(p, Overrides{FollowRFWDataset: true, DatasetRoot: tc.root})
			if tc.ok {
				if err != nil {
					t.Fatalf("OpenWith: %v", err)
				}
				r.Close()
				return
			}
			if err == nil {
				r.Close()
				t.Fatalf("rfw:dataset %q opened %s, want it refused", tc.ds, r.Path())
			}
			if !errors.Is(err, ErrBadMeta) || !strings.Contains(err.Error(), "rfw:dataset") {
				t.Errorf("rfw:dataset %q: %v, want ErrBadMeta naming rfw:dataset", tc.ds, err)
			}
			if strings.Contains(err.Error(), "bytes") || errors.Is(err, os.ErrNotExist) {
				t.Errorf("rfw:dataset %q: %v says something of the file outside", tc.ds, err)
			}
		})
	}
}

// TestVerifyContext: a corpus's hash check read every byte with no way to
// stop it and nothing to show. VerifyContext stops when ctx ends (an
// error wrapping its error, naming the recording) and reports the bytes
// it hashed as it goes; Verify is VerifyContext without either.
func TestVerifyContext(t *testing.T) {
	base := filepath.Join(t.TempDir(), "big")
	w, err := NewWriter(base, "cf32_le", 1e6, 915e6, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 3 * verifyChunkBytes / 8 // three chunks of cf32 samples
	if err := w.Write(make([]complex64, n)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Open(base + MetaExt)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var hashed int64
	if err := r.VerifyContext(context.Background(), func(b int64) { hashed += b }); err != nil {
		t.Fatalf("VerifyContext: %v", err)
	}
	if hashed != 8*n {
		t.Errorf("progress %d bytes, want %d", hashed, 8*n)
	}
	hashed = 0
	ctx := &ctxtest.ErrAfter{Context: context.Background(), N: 1} // one chunk, then stop
	err = r.VerifyContext(ctx, func(b int64) { hashed += b })
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "big.sigmf-data") {
		t.Errorf("VerifyContext interrupted: %v, want context.Canceled naming the data", err)
	}
	if hashed != verifyChunkBytes {
		t.Errorf("interrupted after %d bytes, want one chunk (%d)", hashed, verifyChunkBytes)
	}
	if err := r.Verify(); err != nil {
		t.Errorf("Verify: %v", err)
	}
}
