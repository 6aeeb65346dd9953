package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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

// TestCreateTempHonoursUmask: CreateTemp's files get 0666 less the
// process umask, as os.Create's (os.CreateTemp's are always 0600), each a
// new name of the pattern. Not parallel: the umask is the process's.
func TestCreateTempHonoursUmask(t *testing.T) {
	for _, tc := range []struct {
		umask int
		want  os.FileMode
	}{
		{0o077, 0o600},
		{0o022, 0o644},
	} {
		dir := t.TempDir()
		old := syscall.Umask(tc.umask)
		a, errA := CreateTemp(dir, ".x.tmp*.part")
		b, errB := CreateTemp(dir, ".x.tmp*.part")
		syscall.Umask(old)
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		a.Close()
		b.Close()
		if a.Name() == b.Name() {
			t.Errorf("two files named %s", a.Name())
		}
		for _, f := range []*os.File{a, b} {
			name := filepath.Base(f.Name())
			if !strings.HasPrefix(name, ".x.tmp") || !strings.HasSuffix(name, ".part") || filepath.Dir(f.Name()) != dir {
				t.Errorf("name %s, want %s/.x.tmp*.part", f.Name(), dir)
			}
			fi, err := os.Stat(f.Name())
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != tc.want {
				t.Errorf("umask %#o: mode %v, want %v", tc.umask, fi.Mode().Perm(), tc.want)
			}
		}
	}
	if _, err := CreateTemp(t.TempDir(), "a/b*"); err == nil {
		t.Error("a pattern with a path separator: no error")
	}
}
