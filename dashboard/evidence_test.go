package dashboard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmftest"
)

func TestSaveEvidence(t *testing.T) {
	dir := t.TempDir()
	const name = "snippet-s1-0a1b2c3d4e5f-1830000-42"
	got, err := SaveEvidence(dir, "rfw/v1/hmp1/evidence/s1", sigmftest.Archive(t, name, 4000))
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
		{"another sensor's snippet", "rfw/v1/hmp1/evidence/s2", "not a snippet name of sensor s2", sigmftest.Archive(t, "snippet-s1-0a1b2c3d4e5f-1-1", 4000)},
		{"not a snippet", "rfw/v1/hmp1/evidence/s1", "not a snippet name", sigmftest.Archive(t, "passwd", 4000)},
		{"odd characters", "rfw/v1/hmp1/evidence/s1", "not a snippet name", sigmftest.Archive(t, "snippet-s1-a b", 4000)},
		{"bad topic", "rfw/v1/hmp1/sensor/s1/evidence", "is not rfw/v1/{site}/evidence/{sensor}", sigmftest.Archive(t, "snippet-s1-x", 4000)},
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
