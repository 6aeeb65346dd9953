package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvalOutputNotInput: `eval --cases 0 --noise-cases 0 --corpus C
// --json C/x.sigmf-meta` exited 0 having replaced a corpus recording's
// metadata with the report. An --json or --svg that is a corpus file (its
// metadata, its data, through a link too) or the other output is refused
// before any work, naming the flag and the file, and the file is as it was.
func TestEvalOutputNotInput(t *testing.T) {
	dir := t.TempDir()
	corpus := filepath.Join(dir, "c")
	if err := os.Mkdir(corpus, 0o755); err != nil {
		t.Fatal(err)
	}
	writeLabelledLTE(t, corpus)
	meta, data := filepath.Join(corpus, "lte.sigmf-meta"), filepath.Join(corpus, "lte.sigmf-data")
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(meta, link); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	corpusOnly := []string{"eval", "--cases", "0", "--noise-cases", "0", "--corpus", corpus}
	gen := []string{"eval", "--classes", "gsm", "--snr-list", "21", "--cases", "1", "--noise-cases", "0", "--corpus", corpus}
	same := filepath.Join(dir, "out.json")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"json over the metadata", append(corpusOnly, "--json", meta), "eval: --json " + meta + " is the corpus recording " + meta + ", which it would overwrite: name another file"},
		{"json over the metadata, path not clean", append(corpusOnly, "--json", corpus+"/./lte.sigmf-meta"), "is the corpus recording"},
		{"json over the data", append(corpusOnly, "--json", data), "--json " + data + " is the corpus recording's data"},
		{"json through a link", append(corpusOnly, "--json", link), "--json " + link + " is the corpus recording " + meta},
		{"svg over the metadata", append(gen, "--svg", meta), "--svg " + meta + " is the corpus recording"},
		{"svg is the json", append(gen, "--json", same, "--svg", same), "--svg " + same + " is the --json file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tc.args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if stdout.Len() > 0 {
				t.Errorf("work done before the refusal: %q", stdout.String())
			}
			if after, _ := os.ReadFile(meta); !bytes.Equal(after, before) {
				t.Errorf("%s changed", meta)
			}
		})
	}
}
