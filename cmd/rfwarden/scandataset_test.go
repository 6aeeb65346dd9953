package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanFollowsRFWDataset: `scan --annotate OUT IN` with OUT away from
// IN's data names the data in rfw:dataset, relative to OUT; scan of OUT
// then failed ("its samples are not beside it: rfw:dataset says ...").
// It follows rfw:dataset as eval does: to samples in OUT's folder, or,
// after links, in --dataset-root; one leading out of it is refused,
// naming rfw:dataset and --dataset-root.
func TestScanFollowsRFWDataset(t *testing.T) {
	dir, data, notes, in := datasetFolders(t)
	tests := []struct {
		name, out   string
		args        []string
		wantDataset string
		wantErr     []string // empty: the scan finds the tone
	}{
		{name: "in a subfolder of OUT's", out: filepath.Join(dir, "above.sigmf-meta"), wantDataset: "data/rec.sigmf-data"},
		{name: "out of OUT's folder", out: filepath.Join(notes, "beside.sigmf-meta"), wantDataset: "../data/rec.sigmf-data",
			wantErr: []string{"rfw:dataset", "leads out of", "--dataset-root"}},
		{name: "in --dataset-root", out: filepath.Join(notes, "rooted.sigmf-meta"), args: []string{"--dataset-root", data},
			wantDataset: "../data/rec.sigmf-data"},
		{name: "out of --dataset-root", out: filepath.Join(notes, "wrongroot.sigmf-meta"), args: []string{"--dataset-root", notes},
			wantDataset: "../data/rec.sigmf-data", wantErr: []string{"rfw:dataset", "leads out of"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if err := cmdScan(context.Background(), []string{"--annotate", tc.out, in}, &bytes.Buffer{}, &stderr); err != nil {
				t.Fatalf("scan --annotate: %v\n%s", err, stderr.String())
			}
			checkWrittenSigMF(t, tc.out)
			if got := readMetaT(t, tc.out).Global.Extra["rfw:dataset"]; got != tc.wantDataset {
				t.Fatalf("rfw:dataset %v, want %q", got, tc.wantDataset)
			}
			var stdout bytes.Buffer
			err := cmdScan(context.Background(), append(tc.args, tc.out), &stdout, &stderr)
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("scan of OUT: %v", err)
				}
				if !hasTone(stdout.String()) {
					t.Errorf("scan of OUT did not find the tone:\n%s", stdout.String())
				}
				return
			}
			if err == nil {
				t.Fatalf("scan of OUT: no error, want one saying %q\n%s", tc.wantErr, stdout.String())
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("scan of OUT: %v, want it to say %q", err, w)
				}
			}
		})
	}
}

// datasetFolders makes a folder dir with two subfolders, data, holding
// the test recording in (testRecording), and notes, empty: metadata
// `scan --annotate` writes in dir names in's samples within its folder,
// and in notes, out of it.
func datasetFolders(t *testing.T) (dir, data, notes, in string) {
	t.Helper()
	dir = t.TempDir()
	data = filepath.Join(dir, "data")
	notes = filepath.Join(dir, "notes")
	for _, d := range []string{data, notes} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir, data, notes, testRecording(t, filepath.Join(data, "rec"))
}
