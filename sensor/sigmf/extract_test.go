package sigmf

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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

// TestSparseArchiveMembers: tar's sparse members (GNU, PAX) store fewer
// bytes than their content. A data member was read in place and gave
// other samples than tar extracts, with no error; sparse metadata members
// of a few hundred bytes each claimed 64 MiB and were all read before the
// second one was refused (3.6 GB for forty). Both are refused at once.
// Needs GNU tar to make the archives.
func TestSparseArchiveMembers(t *testing.T) {
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("no tar")
	}
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("tar", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("tar %v: %v %s", args, err, out)
		}
	}
	// forty 64 MiB metadata members, all holes
	if err := os.MkdirAll(filepath.Join(dir, "bomb"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		p := filepath.Join(dir, "bomb", fmt.Sprintf("m%02d.sigmf-meta", i))
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, 64<<20); err != nil {
			t.Fatal(err)
		}
	}
	run("--format=gnu", "-S", "-cf", "bomb.sigmf", "bomb")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Open(filepath.Join(dir, "bomb.sigmf"))
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "sparse") {
		t.Errorf("archive of sparse metadata members: %v, want an error saying sparse", err)
	}
	if mb := (after.TotalAlloc - before.TotalAlloc) >> 20; mb > 64 {
		t.Errorf("opening it allocated %d MiB", mb)
	}
	// a recording whose data has a hole, archived sparse (PAX)
	if err := os.MkdirAll(filepath.Join(dir, "rec"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "rec", "rec.sigmf-data"))
	if err != nil {
		t.Fatal(err)
	}
	tail := make([]byte, 512<<10)
	for i := range tail {
		tail[i] = byte(i)
	}
	if _, err := f.WriteAt(tail, 512<<10); err != nil { // a hole before it
		t.Fatal(err)
	}
	f.Close()
	meta := `{"global":{"core:datatype":"ci8","core:sample_rate":1000000,"core:version":"1.0.0"},"captures":[{"core:sample_start":0}],"annotations":[]}`
	if err := os.WriteFile(filepath.Join(dir, "rec", "rec.sigmf-meta"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	run("--format=pax", "--sparse", "--sparse-version=1.0", "-cf", "pax.sigmf", "rec")
	if _, err := Open(filepath.Join(dir, "pax.sigmf")); err == nil || !strings.Contains(err.Error(), "sparse") {
		t.Errorf("archive with a sparse data member: %v, want an error saying sparse", err)
	}
}
