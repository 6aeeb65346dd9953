package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanAnnotateArchive: `scan --annotate OUT IN.sigmf` (IN a SigMF
// archive, as the dashboard's snippet download gives) names the archive
// in rfw:dataset, relative to OUT, and eval reads OUT's annotations over
// the archive's samples. Until 2026-12-05 it wrote rfw:dataset
// "IN.sigmf:IN/IN.sigmf-data", an archive-member pseudo-path that no tool
// reads, and eval passed OUT over ("lstat .../IN.sigmf:IN: no such file
// or directory"). Beside the archive in one corpus, OUT names the same
// samples, and is passed over as the same data, as OUT beside a pair's
// data is.
func TestScanAnnotateArchive(t *testing.T) {
	dir := t.TempDir()
	meta := writeToneCF32(t, filepath.Join(t.TempDir(), "clip"), 1<<15, 1e6, 902e6, 0.2)
	// ground truth, so eval has something to score
	mb, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	mb = bytes.Replace(mb, []byte(`"annotations":[]`), []byte(`"annotations":[{"core:sample_start":8192,"core:sample_count":24576,"core:freq_lower_edge":902.1e6,"core:freq_upper_edge":902.3e6,"core:label":"gsm uplink"}]`), 1)
	db, err := os.ReadFile(strings.TrimSuffix(meta, ".sigmf-meta") + ".sigmf-data")
	if err != nil {
		t.Fatal(err)
	}
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for _, f := range []struct {
		name string
		b    []byte
	}{{"clip/clip.sigmf-meta", mb}, {"clip/clip.sigmf-data", db}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "clip.sigmf")
	if err := os.WriteFile(archive, tb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(dir, "notes")
	if err := os.Mkdir(notes, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, out, wantDataset string
	}{
		{"beside the archive", filepath.Join(dir, "clip.scan.sigmf-meta"), "clip.sigmf"},
		{"elsewhere", filepath.Join(notes, "clip.scan.sigmf-meta"), "../clip.sigmf"},
	} {
		var so, se bytes.Buffer
		if err := run(context.Background(), []string{"scan", "--annotate", tc.out, archive}, &so, &se); err != nil {
			t.Fatalf("%s: scan --annotate: %v\n%s", tc.name, err, se.String())
		}
		checkWrittenSigMF(t, tc.out)
		ob, err := os.ReadFile(tc.out)
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Global map[string]any `json:"global"`
		}
		if err := json.Unmarshal(ob, &m); err != nil {
			t.Fatal(err)
		}
		if ds := m.Global["rfw:dataset"]; ds != tc.wantDataset {
			t.Errorf("%s: rfw:dataset %v, want %q", tc.name, ds, tc.wantDataset)
		}
		if ds, ok := m.Global["core:dataset"]; ok {
			t.Errorf("%s: core:dataset %v, want none: it cannot name a member of an archive", tc.name, ds)
		}
	}
	// both OUTs written: eval reads them
	for _, tc := range []struct {
		name      string
		args      []string
		wantErr   []string // on stderr
		unwantErr []string
		wantOut   string // in the text: OUT scored, or passed over as the same data
	}{
		{"OUT alone", []string{"--corpus", notes, "--dataset-root", dir}, nil, []string{"passed over"}, "clip.scan        1         1"},
		{"OUT beside the archive", []string{"--corpus", dir}, []string{"passed over: names the same data as clip.sigmf"}, []string{"no such file", "unreadable"}, "passed over: clip.scan.sigmf-meta (same data: names the same data as clip.sigmf"},
	} {
		t.Run("eval "+tc.name, func(t *testing.T) {
			var so, se bytes.Buffer
			if err := run(context.Background(), append([]string{"eval", "--cases", "0", "--noise-cases", "0"}, tc.args...), &so, &se); err != nil {
				t.Fatalf("eval: %v\n%s", err, se.String())
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(se.String(), w) {
					t.Errorf("stderr %q, want %q", se.String(), w)
				}
			}
			for _, w := range tc.unwantErr {
				if strings.Contains(se.String(), w) {
					t.Errorf("stderr %q says %q", se.String(), w)
				}
			}
			if !strings.Contains(so.String(), tc.wantOut) {
				t.Errorf("eval's text does not name %q:\n%s", tc.wantOut, so.String())
			}
		})
	}
}
