package dashboard

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// snippetArchive writes a small snippet recording called name and returns
// it as a SigMF archive.
func snippetArchive(t *testing.T, name string) []byte {
	t.Helper()
	dir := t.TempDir()
	base := filepath.Join(dir, name)
	w, err := sigmf.NewWriter(base, "cf32_le", 2e6, 1747.5e6, time.Unix(1767308400, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(make([]complex64, 4000)); err != nil {
		t.Fatal(err)
	}
	w.Annotate(sigmf.Annotation{SampleStart: 1000, SampleCount: 500, Label: "LTE/NR uplink"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := sigmf.WriteArchiveTo(&b, name, base+sigmf.MetaExt, base+sigmf.DataExt); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSaveEvidence(t *testing.T) {
	dir := t.TempDir()
	const name = "snippet-s1-0a1b2c3d4e5f-1830000-42"
	got, err := SaveEvidence(dir, "rfw/v1/hmp1/evidence/s1", snippetArchive(t, name))
	if err != nil || got != name {
		t.Fatalf("SaveEvidence: %q, %v", got, err)
	}
	r, err := sigmf.Open(filepath.Join(dir, name+sigmf.MetaExt))
	if err != nil {
		t.Fatalf("saved evidence does not open: %v", err)
	}
	r.Close()
	for _, tc := range []struct {
		name, topic, want string
		payload           []byte
	}{
		{"another sensor's snippet", "rfw/v1/hmp1/evidence/s2", "not a snippet name of sensor s2", snippetArchive(t, "snippet-s1-0a1b2c3d4e5f-1-1")},
		{"not a snippet", "rfw/v1/hmp1/evidence/s1", "not a snippet name", snippetArchive(t, "passwd")},
		{"odd characters", "rfw/v1/hmp1/evidence/s1", "not a snippet name", snippetArchive(t, "snippet-s1-a b")},
		{"bad topic", "rfw/v1/hmp1/sensor/s1/evidence", "is not rfw/v1/{site}/evidence/{sensor}", snippetArchive(t, "snippet-s1-x")},
		{"not an archive", "rfw/v1/hmp1/evidence/s1", "archive", []byte(strings.Repeat("garbage ", 100))},
		{"too large", "rfw/v1/hmp1/evidence/s1", "exceeds", make([]byte, MaxEvidenceBytes+1)},
	} {
		out := t.TempDir()
		n, err := SaveEvidence(out, tc.topic, tc.payload)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %q, %v; want an error with %q", tc.name, n, err, tc.want)
		}
		if ents, _ := os.ReadDir(out); len(ents) != 0 {
			t.Errorf("%s: %d files left", tc.name, len(ents))
		}
	}
}
