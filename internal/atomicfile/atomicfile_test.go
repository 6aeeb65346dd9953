package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "cursor")
	for _, data := range []string{"first", "second, longer", "3"} {
		if err := Write(p, []byte(data), 0o640); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil || string(b) != data {
			t.Fatalf("read back %q, %v; want %q", b, err, data)
		}
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, %v; want 0640", fi.Mode(), err)
	}
	if _, err := os.Stat(p + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary file left: %v", err)
	}
	// A directory in the way: the error names the file, the old one stays.
	if err := os.Mkdir(p+".tmp", 0o750); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("never"), 0o640); err == nil {
		t.Error("Write succeeded with its temporary file's name taken by a directory")
	}
	if b, _ := os.ReadFile(p); string(b) != "3" {
		t.Errorf("after a failed Write the file reads %q, want the old %q", b, "3")
	}
}

// TestLinkNew: the name is given once, never over a file that has it.
func TestLinkNew(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	if err := os.WriteFile(src, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := LinkNew(src, dst); err != nil {
		t.Fatalf("LinkNew to a free name: %v", err)
	}
	if b, err := os.ReadFile(dst); err != nil || string(b) != "new" {
		t.Fatalf("dst holds %q, %v", b, err)
	}
	other := filepath.Join(dir, "other")
	os.WriteFile(other, []byte("other"), 0o600)
	if err := LinkNew(other, dst); !errors.Is(err, fs.ErrExist) {
		t.Errorf("LinkNew over an existing file: %v, want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "new" {
		t.Errorf("dst replaced: %q", b)
	}
}
