package sigmf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestArchiveDuplicateMember: a SigMF archive with two metadata or data
// members of one name (tar extracts the last over the first) is refused
// naming the member by Open, ArchiveRecordings, OpenArchiveRecording and
// the extraction; until 2026-12-07 ArchiveRecordings listed d/x twice
// and eval scanned it twice, both labelled ar/dup.sigmf:d/x. Members of
// other names are read.
func TestArchiveDuplicateMember(t *testing.T) {
	const meta = `{"global":{"core:datatype":"ci8","core:sample_rate":1000,"core:version":"1.0.0"},"captures":[],"annotations":[]}`
	tests := []struct {
		name    string
		members []string
		wantErr string // "" when read
	}{
		{"one of each", []string{"d/x.sigmf-meta", meta, "d/x.sigmf-data", "abcd"}, ""},
		{"two recordings", []string{"d/x.sigmf-meta", meta, "d/x.sigmf-data", "abcd", "d/y.sigmf-meta", meta, "d/y.sigmf-data", "ab"}, ""},
		{"metadata twice", []string{"d/x.sigmf-meta", meta, "d/x.sigmf-data", "abcd", "d/x.sigmf-meta", meta},
			`member "d/x.sigmf-meta" appears twice in the archive`},
		{"data twice", []string{"d/x.sigmf-meta", meta, "d/x.sigmf-data", "abcd", "d/x.sigmf-data", "ab"},
			`member "d/x.sigmf-data" appears twice in the archive`},
		{"metadata twice, spelt apart", []string{"d/x.sigmf-meta", meta, "d/x.sigmf-data", "abcd", "./d/x.sigmf-meta", meta},
			`member "./d/x.sigmf-meta" appears twice in the archive (as "d/x.sigmf-meta")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "dup"+ArchiveExt)
			if err := os.WriteFile(p, tarOf(t, tt.members...), 0o644); err != nil {
				t.Fatal(err)
			}
			check := func(what string, err error) {
				t.Helper()
				if tt.wantErr == "" {
					if err != nil {
						t.Errorf("%s: %v, want it read", what, err)
					}
					return
				}
				if !errors.Is(err, ErrBadMeta) || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), p) {
					t.Errorf("%s: %v, want ErrBadMeta naming the archive and containing %q", what, err, tt.wantErr)
				}
			}
			names, err := ArchiveRecordings(p)
			check("ArchiveRecordings", err)
			if err == nil && len(names) != strings.Count(strings.Join(tt.members, " "), MetaExt) {
				t.Errorf("ArchiveRecordings = %q", names)
			}
			r, err := OpenArchiveRecording(p, "d/x", Overrides{})
			check("OpenArchiveRecording", err)
			if err == nil {
				r.Close()
			}
			_, err = ExtractArchiveAll(p, t.TempDir(), nil)
			check("ExtractArchiveAll", err)
			if len(names) == 1 || tt.wantErr != "" {
				r, err := Open(p)
				check("Open", err)
				if err == nil {
					r.Close()
				}
			}
		})
	}
}
