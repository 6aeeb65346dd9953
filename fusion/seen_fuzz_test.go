package fusion

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzLoadSeen loads any bytes as fusion's seen file (left damaged by a
// disk, edited by hand) and checks that loading never fails, takes only
// whole lines holding a valid sensor, a tab and an ID, counts each other
// line but empty ones as an older file's bare ID or as damage (so fusion
// says which), and that what it took saves and loads back to the same
// detections, none of them damage.
func FuzzLoadSeen(f *testing.F) {
	f.Add([]byte("s1\t7\ns2\ts2-0a1b2c3d4e5f-100-1\n"))
	f.Add([]byte("7\ns1-b00t-1-1\ns2\t\n\tx\nbad sensor\tx\n"))
	f.Add([]byte("s1\t7")) // no newline at the end
	f.Add([]byte(strings.Repeat("x", 5000) + "\ns1\t7\n"))
	f.Add([]byte(strings.Repeat("x", maxSeenLine-1) + "\n" + strings.Repeat("y", maxSeenLine) + "\n" + strings.Repeat("z", maxSeenLine-1)))
	f.Add([]byte("s1\tx\x01y\n\xff\xfe\ns1\t" + strings.Repeat("9", 129) + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "seen")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s := newSeenSet(64)
		n, err := s.load(path)
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		lines := map[string]bool{}
		nonEmpty := 0
		for l := range bytes.Lines(data) {
			l = bytes.TrimSuffix(l, []byte("\n"))
			lines[string(l)] = true
			if len(l) > 0 {
				nonEmpty++
			}
		}
		if got := n.used + n.bare + n.damaged; got != nonEmpty {
			t.Fatalf("counted %+v, %d lines; the data has %d lines but empty ones", n, got, nonEmpty)
		}
		for k := range s.ids {
			sensor, id, _ := strings.Cut(k, "\t")
			if !lines[k] || len(k) >= maxSeenLine || id == "" || !strings.Contains(k, "\t") || sensor == "" {
				t.Fatalf("took %q, not a whole line of sensor, tab and ID", k)
			}
		}
		if err := s.save(path); err != nil {
			t.Fatal(err)
		}
		again := newSeenSet(64)
		back, err := again.load(path)
		if err != nil {
			t.Fatalf("load what was saved: %v", err)
		}
		if back.bare != 0 || back.damaged != 0 || back.used != len(s.ids) {
			t.Fatalf("loaded what was saved of %d IDs as %+v", len(s.ids), back)
		}
		if got, want := slices.Sorted(maps.Keys(again.ids)), slices.Sorted(maps.Keys(s.ids)); !slices.Equal(got, want) {
			t.Fatalf("saved %q, loaded back %q", want, got)
		}
	})
}
