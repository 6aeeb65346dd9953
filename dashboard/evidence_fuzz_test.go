package dashboard

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmftest"
)

// evidenceSeeds are FuzzSaveEvidence's seeds (testdata/fuzz/FuzzSaveEvidence
// has them too): a snippet as a sensor sends it, and broken ones.
func evidenceSeeds(t testing.TB) map[string][2]any {
	const name = "snippet-s1-0a1b2c3d4e5f-1830000-42"
	good := sigmftest.Archive(t, name, 64)
	return map[string][2]any{
		"snippet":          {"rfw/v1/hmp1/evidence/s1", good},
		"cut-short":        {"rfw/v1/hmp1/evidence/s1", good[:len(good)/2]},
		"another-sensors":  {"rfw/v1/hmp1/evidence/s2", good},
		"not-a-snippet":    {"rfw/v1/hmp1/evidence/s1", sigmftest.Archive(t, "passwd", 16)},
		"bad-topic":        {"rfw/v1/hmp1/sensor/s1/evidence", good},
		"meta-not-fitting": {"rfw/v1/hmp1/evidence/s1", bytes.Replace(good, []byte(`"cf32_le"`), []byte(`"ci8"    `), 1)},
		"not-an-archive":   {"rfw/v1/hmp1/evidence/s1", []byte(strings.Repeat("garbage ", 64))},
	}
}

// FuzzSaveEvidence feeds the dashboard's evidence saver what a client of
// the broker could publish on rfw/v1/{site}/evidence/{sensor}, and checks
// that a refused message leaves nothing in the folder, and that a saved
// one is exactly its sender's snippet pair, opens as a SigMF recording,
// and is taken as saved, changing nothing, when it comes again (QoS 1).
func FuzzSaveEvidence(f *testing.F) {
	for _, s := range evidenceSeeds(f) {
		f.Add(s[0].(string), s[1].([]byte))
	}
	f.Fuzz(func(t *testing.T, topic string, payload []byte) {
		dir := t.TempDir()
		names := func() []string {
			ents, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var ns []string
			for _, e := range ents {
				ns = append(ns, e.Name())
			}
			return ns
		}
		name, err := SaveEvidence(dir, topic, payload)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "evidence on ") {
				t.Errorf("refusal %q does not name the topic", err)
			}
			if left := names(); len(left) != 0 {
				t.Fatalf("refused (%v), yet left %v", err, left)
			}
			return
		}
		_, sensor, perr := event.ParseEvidenceTopic(topic)
		if perr != nil || !SnippetOf(sensor, name) {
			t.Fatalf("saved %q from topic %q (%v): not a snippet of the topic's sensor", name, topic, perr)
		}
		want := []string{name + sigmf.DataExt, name + sigmf.MetaExt}
		slices.Sort(want)
		if got := names(); !slices.Equal(got, want) {
			t.Fatalf("saved %q: the folder holds %v, want %v", name, got, want)
		}
		r, err := sigmf.Open(filepath.Join(dir, name+sigmf.MetaExt))
		if err != nil {
			t.Fatalf("saved %q does not open: %v", name, err)
		}
		r.Close()
		again, err := SaveEvidence(dir, topic, payload)
		if err != nil || again != name {
			t.Fatalf("the same message again: %q, %v; want %q saved", again, err, name)
		}
		if got := names(); !slices.Equal(got, want) {
			t.Fatalf("the same message again: the folder holds %v, want %v", got, want)
		}
	})
}
