package agent

import (
	"slices"
	"testing"
	"time"
)

// TestSnippetRotationLocal: with Snippets.Upload off (the demo: its
// dashboard reads the sensors' snippet folder itself) a kept snippet
// counts as delivered, so once kept ones fill the bounds the oldest of
// them makes room (after every snippet not kept), across a restart too.
// They were never marked sent: after about 30 simulated minutes the
// demo's sensors skipped every new snippet, and later alerts carried no
// IQ.
func TestSnippetRotationLocal(t *testing.T) {
	dir := t.TempDir()
	v := newSnippetSaver(t, dir, 3, 1<<30)
	v.s.local = true
	for n := 1; n <= 3; n++ {
		v.save(n)
		v.s.keep([]string{snipID(n)})
	}
	for n := 4; n <= 5; n++ {
		if !v.save(n) {
			t.Fatalf("snippet %d skipped with the bound full of kept snippets nobody uploads", n)
		}
		v.s.keep([]string{snipID(n)})
	}
	if got, want := onDisk(t, dir), []int{3, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("on disk %v, want %v (the oldest kept ones rotated out)", got, want)
	}
	// A restart reads the kept ones back as delivered.
	w := newSnippetSaverLocal(t, dir, 3)
	if !w.save(6) {
		t.Fatal("after a restart, snippet 6 skipped")
	}
	if got, want := onDisk(t, dir), []int{4, 5, 6}; !slices.Equal(got, want) {
		t.Errorf("after a restart on disk %v, want %v", got, want)
	}
}

// newSnippetSaverLocal is newSnippetSaver with Upload off.
func newSnippetSaverLocal(t *testing.T, dir string, maxCount int) snippetSaver {
	s := &snippets{dir: dir, sensor: "s1", maxCount: maxCount, maxBytes: 1 << 30, dur: time.Millisecond, local: true}
	if err := s.init(); err != nil {
		t.Fatal(err)
	}
	return snippetSaver{t, s}
}
