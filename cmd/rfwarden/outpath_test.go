package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
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

// TestNodeBundleOutNotInput: `node bundle --out keys/site.key` replaced the
// site's private signing key with the tar (node keygen never replaces
// it), and --out node.yaml the node's config. An --out that is one of
// the bundle's inputs, or an existing file that is not a bundle, is
// refused naming it, and the file is as it was; an earlier bundle is
// replaced as before.
func TestNodeBundleOutNotInput(t *testing.T) {
	f := newProvisionFixture(t)
	siteKey := filepath.Join(f.keys, "site.key")
	other := filepath.Join(f.root, "notes.txt")
	if err := os.WriteFile(other, []byte("keep me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		out, want string
	}{
		{siteKey, "node bundle: --out " + siteKey + " is the --key " + siteKey + ", which it would overwrite: name another file"},
		{f.config, "--out " + f.config + " is the --config"},
		{f.key, "--out " + f.key + " is the --node-key"},
		{f.pw, "is the --mqtt-password-file"},
		{other, "--out " + other + " exists and is not a bundle"},
	} {
		before, err := os.ReadFile(tc.out)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.bundle(t, tc.out); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--out %s: err %v, want %q", tc.out, err, tc.want)
		}
		if after, _ := os.ReadFile(tc.out); !bytes.Equal(after, before) {
			t.Errorf("--out %s: the file changed", tc.out)
		}
	}
	bundle := filepath.Join(f.root, "node.tar")
	for range 2 { // the second replaces the first
		if err := f.bundle(t, bundle); err != nil {
			t.Fatalf("bundle over an earlier bundle: %v", err)
		}
	}
}

// TestEvalOutputNotDatasetFile: eval checked its outputs against the data
// beside each metadata file only, so `--json` naming the samples a
// recording's core:dataset (another name beside it) or rfw:dataset (a
// file elsewhere in the corpus) names replaced them with the report.
func TestEvalOutputNotDatasetFile(t *testing.T) {
	for _, tc := range []struct {
		name, key, value, dataRel, metaDir string
	}{
		{"core:dataset", "core:dataset", "samples.iq", "samples.iq", "."},
		{"rfw:dataset", "rfw:dataset", "../d/samples.cf32", "d/samples.cf32", "m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			corpus := filepath.Join(t.TempDir(), "c")
			metaDir := filepath.Join(corpus, tc.metaDir)
			if err := os.MkdirAll(metaDir, 0o755); err != nil {
				t.Fatal(err)
			}
			writeLabelledLTE(t, metaDir)
			data := filepath.Join(corpus, tc.dataRel)
			if err := os.MkdirAll(filepath.Dir(data), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(filepath.Join(metaDir, "lte.sigmf-data"), data); err != nil {
				t.Fatal(err)
			}
			metaPath := filepath.Join(metaDir, "lte.sigmf-meta")
			b, err := os.ReadFile(metaPath)
			if err != nil {
				t.Fatal(err)
			}
			b = bytes.Replace(b, []byte(`"global": {`), []byte(`"global": {"`+tc.key+`": "`+tc.value+`", `), 1)
			if err := os.WriteFile(metaPath, b, 0o644); err != nil {
				t.Fatal(err)
			}
			// the recording is read through the key: the corpus scores it
			var stdout, stderr bytes.Buffer
			if err := run(context.Background(), []string{"eval", "--cases", "0", "--noise-cases", "0", "--corpus", corpus}, &stdout, &stderr); err != nil {
				t.Fatalf("eval of the corpus: %v\n%s", err, stderr.String())
			}
			if !regexp.MustCompile(`(?m)^ +lte +3 +3 +3 `).MatchString(stdout.String()) {
				t.Fatalf("the corpus recording was not read: %s\n%s", stdout.String(), stderr.String())
			}
			before, err := os.ReadFile(data)
			if err != nil {
				t.Fatal(err)
			}
			stdout.Reset()
			err = run(context.Background(), []string{"eval", "--cases", "0", "--noise-cases", "0", "--corpus", corpus, "--json", data}, &stdout, &stderr)
			want := "eval: --json " + data + " is the corpus file " + data + ", which it would overwrite"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err %v, want %q", err, want)
			}
			if after, _ := os.ReadFile(data); !bytes.Equal(after, before) {
				t.Errorf("%s was overwritten", data)
			}
		})
	}
}
