package sigmf

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestExtractArchiveAll: an archive of one recording or of several is
// written out as a pair per recording, each opening with its own
// samples; one bad recording, two of the same name, or a name ok refuses
// writes nothing.
func TestExtractArchiveAll(t *testing.T) {
	meta := `{"global":{"core:datatype":"ci8","core:sample_rate":1000,"core:version":"1.0.0"},"captures":[{"core:sample_start":0}],"annotations":[]}`
	tests := []struct {
		name    string
		members []string
		ok      func(string) error
		want    []string
		wantErr string
	}{
		{name: "one", members: []string{"a/a.sigmf-meta", meta, "a/a.sigmf-data", "abcd"}, want: []string{"a"}},
		{name: "several, in archive order", members: []string{"day-1/day-1.sigmf-meta", meta, "day-1/day-1.sigmf-data", "abcdef", "day-0/day-0.sigmf-meta", meta, "day-0/day-0.sigmf-data", "ab"}, want: []string{"day-1", "day-0"}},
		{name: "one without data", members: []string{"a/a.sigmf-meta", meta, "a/a.sigmf-data", "ab", "b/b.sigmf-meta", meta}, wantErr: `no member "b/b.sigmf-data"`},
		{name: "one with bad metadata", members: []string{"a/a.sigmf-meta", meta, "a/a.sigmf-data", "ab", "b/b.sigmf-meta", `{"global":{}}`, "b/b.sigmf-data", "ab"}, wantErr: `recording "b/b"`},
		{name: "two of one name", members: []string{"x/a.sigmf-meta", meta, "x/a.sigmf-data", "ab", "y/a.sigmf-meta", meta, "y/a.sigmf-data", "ab"}, wantErr: `both named "a"`},
		{name: "a name ok refuses", members: []string{"a/a.sigmf-meta", meta, "a/a.sigmf-data", "ab", "b-b/b-b.sigmf-meta", meta, "b-b/b-b.sigmf-data", "ab"},
			ok: func(n string) error {
				if strings.Contains(n, "-") {
					return errors.New("no dashes")
				}
				return nil
			}, wantErr: "no dashes"},
		{name: "no recording", members: []string{"readme.txt", "hi"}, wantErr: "no .sigmf-meta member"},
		{name: "a hidden name", members: []string{".a/.a.sigmf-meta", meta, ".a/.a.sigmf-data", "ab"}, wantErr: "not a plain file name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			if err := os.Mkdir(out, 0o700); err != nil {
				t.Fatal(err)
			}
			arch := filepath.Join(dir, "in"+ArchiveExt)
			if err := os.WriteFile(arch, tarOf(t, tc.members...), 0o600); err != nil {
				t.Fatal(err)
			}
			names, err := ExtractArchiveAll(arch, out, tc.ok)
			ents, _ := os.ReadDir(out)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tc.wantErr)
				}
				if len(ents) != 0 {
					t.Errorf("error, but %d files written", len(ents))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(names, tc.want) {
				t.Errorf("names %q, want %q", names, tc.want)
			}
			if len(ents) != 2*len(tc.want) {
				t.Errorf("%d files written, want %d", len(ents), 2*len(tc.want))
			}
			for i, n := range names {
				r, err := Open(filepath.Join(out, n+MetaExt))
				if err != nil {
					t.Fatalf("%s does not open: %v", n, err)
				}
				// each recording's own samples: its data member's length
				var data string
				for j := 0; j+1 < len(tc.members); j += 2 {
					if tc.members[j] == n+"/"+n+DataExt {
						data = tc.members[j+1]
					}
				}
				if got, want := r.NumSamples(), int64(len(data)/2); got != want {
					t.Errorf("recording %d %s: %d samples, want %d", i, n, got, want)
				}
				r.Close()
			}
		})
	}
}

// FuzzExtractArchiveAll: any bytes as an archive either extract into
// recordings that each open, inside the folder, or give an error and
// write nothing; never a panic.
func FuzzExtractArchiveAll(f *testing.F) {
	meta := `{"global":{"core:datatype":"ci8","core:sample_rate":1,"core:version":"1.0.0"},"captures":[],"annotations":[]}`
	f.Add(smallArchive(f, "snippet-s1-0a1b2c3d4e5f-10-1"))
	f.Add(tarOf(f, "a/a.sigmf-meta", meta, "a/a.sigmf-data", "abcd", "b/b.sigmf-meta", meta, "b/b.sigmf-data", "ab"))
	f.Add(tarOf(f, "x/a.sigmf-meta", meta, "x/a.sigmf-data", "ab", "y/a.sigmf-meta", meta, "y/a.sigmf-data", "ab"))
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
		names, err := ExtractArchiveAll(p, out, nil)
		ents, _ := os.ReadDir(out)
		if err != nil {
			if len(ents) != 0 {
				t.Fatalf("error %v but %d files written", err, len(ents))
			}
			return
		}
		if len(ents) != 2*len(names) {
			t.Fatalf("extracted %q: %d files, want %d", names, len(ents), 2*len(names))
		}
		for _, n := range names {
			r, err := Open(filepath.Join(out, n+MetaExt))
			if err != nil {
				t.Fatalf("extracted %q does not open: %v", n, err)
			}
			r.Close()
		}
		if others, _ := os.ReadDir(dir); len(others) != 2 {
			t.Fatalf("files written beside the output folder: %d entries", len(others))
		}
	})
}
