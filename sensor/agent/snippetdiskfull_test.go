package agent

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
)

// TestSnippetOnFullDiskLeavesNoFiles: a snippet the disk refuses is taken
// off the books and leaves no file behind, and the next one the disk
// takes is saved. On a full disk (2 MiB tmpfs) the sensor left 27 empty
// snippet-*.sigmf-data files with no .sigmf-meta, never cleaned up, each
// counted by the next start's books. The disk is /dev/full behind the
// snippet's data file name: every write fails with ENOSPC.
func TestSnippetOnFullDiskLeavesNoFiles(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full:", err)
	}
	dir := t.TempDir()
	v := newSnippetSaver(t, dir, 10, 1<<20)
	full := filepath.Join(dir, "snippet-"+snipID(1)+".sigmf-data")
	if err := os.Symlink("/dev/full", full); err != nil {
		t.Fatal(err)
	}
	b := sensor.Block{Samples: make([]complex64, 10000), CenterHz: 900e6, SampleRateHz: 2e6, Time: simStart}
	r := &pipeline.Result{FreqLowHz: 899e6, FreqHighHz: 901e6, Time: simStart}
	r.Em.StartSample, r.Em.SampleCount = 2000, 500
	if name, err := v.s.save(b, r, snipID(1), nil); err == nil {
		t.Fatalf("save on a full disk: %q, no error", name)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("after a snippet the disk refused, %s is left in the folder", e.Name())
	}
	if st := v.s.stats(); st.count != 0 || st.bytes != 0 {
		t.Errorf("books after the refused snippet: %d snippets, %d bytes; want none", st.count, st.bytes)
	}
	if !v.save(2) {
		t.Fatal("the next snippet, the disk taking it, was not saved")
	}
	if got := onDisk(t, dir); len(got) != 1 || got[0] != 2 {
		t.Errorf("snippets on disk %v, want [2]", got)
	}
	again := newSnippetSaver(t, dir, 10, 1<<20)
	if st := again.s.stats(); st.count != 1 {
		t.Errorf("a restart's books count %d snippets, want 1", st.count)
	}
}
