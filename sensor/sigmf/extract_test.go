package sigmf

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// smallArchive writes a 1000-sample recording called name and returns its
// SigMF archive's bytes.
func smallArchive(t testing.TB, name string) []byte {
	t.Helper()
	dir := t.TempDir()
	base := filepath.Join(dir, name)
	w, err := NewWriter(base, "cf32_le", 1e6, 915e6, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(randomSamples(1000, 5)); err != nil {
		t.Fatal(err)
	}
	w.Annotate(Annotation{SampleStart: 100, SampleCount: 50, Label: "gsm uplink"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteArchiveTo(&b, name, base+MetaExt, base+DataExt); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tarOf builds a tar archive of the given members (name, content).
func tarOf(t testing.TB, members ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for i := 0; i+1 < len(members); i += 2 {
		if err := tw.WriteHeader(&tar.Header{Name: members[i], Mode: 0o644, Size: int64(len(members[i+1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(members[i+1]))
	}
	tw.Close()
	return b.Bytes()
}

func TestExtractArchive(t *testing.T) {
	src := t.TempDir()
	arch := filepath.Join(src, "in"+ArchiveExt)
	if err := os.WriteFile(arch, smallArchive(t, "snippet-s1-0a1b2c3d4e5f-10-1"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	name, err := ExtractArchive(arch, dir, func(n string) error {
		if !strings.HasPrefix(n, "snippet-s1-") {
			return errors.New("not s1's")
		}
		return nil
	})
	if err != nil || name != "snippet-s1-0a1b2c3d4e5f-10-1" {
		t.Fatalf("extract: %q, %v", name, err)
	}
	r, err := Open(filepath.Join(dir, name+MetaExt))
	if err != nil {
		t.Fatalf("extracted recording does not open: %v", err)
	}
	defer r.Close()
	if r.NumSamples() != 1000 || r.Meta().Annotations[0].Label != "gsm uplink" {
		t.Errorf("extracted: %d samples, meta %+v", r.NumSamples(), r.Meta())
	}
	if err := r.Verify(); err != nil {
		t.Error(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("%d files in dir, want the pair only (no temporary files left)", len(ents))
	}

	good := string(mustRead(t, filepath.Join(dir, name+MetaExt)))
	for _, tc := range []struct {
		name, want string
		archive    []byte
		ok         func(string) error
	}{
		{"refused by ok", "not wanted", smallArchive(t, "snippet-s2-0a1b2c3d4e5f-10-1"), func(string) error { return errors.New("not wanted") }},
		{"dot-dot name", "not a plain file name", tarOf(t, "../..sigmf-meta", good, "../..sigmf-data", strings.Repeat("x", 8000)), nil},
		{"hidden name", "not a plain file name", tarOf(t, "x/.h.sigmf-meta", good, "x/.h.sigmf-data", strings.Repeat("x", 8000)), nil},
		{"no data member", "no member", tarOf(t, "a/a.sigmf-meta", good), nil},
		{"two recordings", "want 1", tarOf(t, "a/a.sigmf-meta", good, "b/b.sigmf-meta", good), nil},
		{"data not whole samples", "not a multiple", tarOf(t, "a/a.sigmf-meta", good, "a/a.sigmf-data", "abc"), nil},
		{"annotation beyond data", "beyond", tarOf(t, "a/a.sigmf-meta", good, "a/a.sigmf-data", strings.Repeat("x", 800)), nil},
		{"not a tar", "read tar", []byte("hello, this is not an archive at all, but it is long enough to be read as a tar header block........"), nil},
	} {
		out := t.TempDir()
		p := filepath.Join(src, "case"+ArchiveExt)
		if err := os.WriteFile(p, tc.archive, 0o600); err != nil {
			t.Fatal(err)
		}
		name, err := ExtractArchive(p, out, tc.ok)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %q, %v; want an error with %q", tc.name, name, err, tc.want)
		}
		if ents, _ := os.ReadDir(out); len(ents) != 0 {
			t.Errorf("%s: %d files written for a refused archive", tc.name, len(ents))
		}
	}
}

func mustRead(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzExtractArchive: any bytes as an archive either extract into a
// recording that opens, inside the folder, or give an error and write
// nothing; never a panic.
func FuzzExtractArchive(f *testing.F) {
	f.Add(smallArchive(f, "snippet-s1-0a1b2c3d4e5f-10-1"))
	f.Add(tarOf(f, "a/a.sigmf-meta", `{"global":{"core:datatype":"ci8","core:sample_rate":1,"core:version":"1.0.0"},"captures":[],"annotations":[]}`, "a/a.sigmf-data", "abcd"))
	f.Add(tarOf(f, "../x.sigmf-meta", `{}`, "../x.sigmf-data", ""))
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		out := filepath.Join(dir, "out")
		if err := os.Mkdir(out, 0o700); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "in"+ArchiveExt)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		name, err := ExtractArchive(p, out, nil)
		ents, _ := os.ReadDir(out)
		if err != nil {
			if len(ents) != 0 {
				t.Fatalf("error %v but %d files written", err, len(ents))
			}
			return
		}
		if len(ents) != 2 {
			t.Fatalf("extracted %q: %d files, want 2", name, len(ents))
		}
		r, err := Open(filepath.Join(out, name+MetaExt))
		if err != nil {
			t.Fatalf("extracted %q does not open: %v", name, err)
		}
		r.Close()
		if others, _ := os.ReadDir(dir); len(others) != 2 {
			t.Fatalf("files written beside the output folder: %d entries", len(others))
		}
	})
}
