package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/sensor/config"
)

// TestSensorFileSourceFollowsRFWDataset: metadata `scan --annotate` wrote
// away from its samples names them in rfw:dataset; scan, eval and the
// dashboard's replay follow it, but the sensor's file source and `sensor
// --check` refused it ("its samples are not beside it: rfw:dataset says
// ..."). Both now open it as scan does: samples in the metadata's folder,
// or, after links, in source.dataset_root; one leading out of it is
// refused, naming rfw:dataset and source.dataset_root.
func TestSensorFileSourceFollowsRFWDataset(t *testing.T) {
	dir, data, notes, in := datasetFolders(t)
	for _, tc := range []struct {
		name, out string
		root      string   // source.dataset_root
		wantErr   []string // empty: it opens and plays
	}{
		{name: "in a subfolder of the metadata's", out: filepath.Join(dir, "above.sigmf-meta")},
		{name: "out of the metadata's folder", out: filepath.Join(notes, "beside.sigmf-meta"),
			wantErr: []string{"rfw:dataset", "leads out of", "source.dataset_root"}},
		{name: "in source.dataset_root", out: filepath.Join(notes, "rooted.sigmf-meta"), root: data},
		{name: "out of source.dataset_root", out: filepath.Join(notes, "wrongroot.sigmf-meta"), root: notes,
			wantErr: []string{"rfw:dataset", "leads out of", "source.dataset_root"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if err := cmdScan(context.Background(), []string{"--annotate", tc.out, in}, &bytes.Buffer{}, &stderr); err != nil {
				t.Fatalf("scan --annotate: %v\n%s", err, stderr.String())
			}
			if _, ok := readMetaT(t, tc.out).Global.Extra["rfw:dataset"]; !ok {
				t.Fatalf("%s has no rfw:dataset: the case tests nothing", tc.out)
			}
			p := writeSensorSource(t, fmt.Sprintf("{kind: file, path: %q, dataset_root: %q, sample_rate_hz: 1e6}", tc.out, tc.root))
			var out bytes.Buffer
			checkErr := run(context.Background(), []string{"sensor", "--check", "--config", p}, &out, &bytes.Buffer{})
			cfg, err := config.Load(p)
			if err != nil {
				t.Fatal(err)
			}
			src, openErr := openSource(cfg, nil)
			if len(tc.wantErr) > 0 {
				if openErr == nil {
					src.Close()
				}
				for name, err := range map[string]error{"sensor --check": checkErr, "the file source": openErr} {
					if err == nil {
						t.Errorf("%s: no error, want one saying %q", name, tc.wantErr)
						continue
					}
					for _, w := range tc.wantErr {
						if !strings.Contains(err.Error(), w) {
							t.Errorf("%s: %v, want it to say %q", name, err, w)
						}
					}
				}
				return
			}
			if checkErr != nil {
				t.Errorf("sensor --check: %v", checkErr)
			}
			if openErr != nil {
				t.Fatalf("the file source: %v", openErr)
			}
			defer src.Close()
			b, err := src.Next(t.Context())
			if err != nil || len(b.Samples) == 0 || b.CenterHz != 915e6 {
				t.Errorf("the file source's first block: %d samples at %v Hz, %v; want the recording's, at 915e6 Hz", len(b.Samples), b.CenterHz, err)
			}
		})
	}
}
