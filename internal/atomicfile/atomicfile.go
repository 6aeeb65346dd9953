package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Write replaces path with data (mode perm): it writes PATH.tmp, fsyncs
// it, renames it over path and fsyncs the directory, so the rename is on
// disk too. One writer at a time per path.
func Write(path string, data []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// SyncDir fsyncs the directory dir, making the names created, renamed or
// removed in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// LinkNew gives the file at src the name dst as well (a hard link), never
// replacing a file there: it returns an error wrapping fs.ErrExist when dst
// exists. On a file system without hard links it renames src to dst when
// dst is free (a check, then the rename: one writer at a time per name).
// The caller removes src when it is done with it.
func LinkNew(src, dst string) error {
	err := os.Link(src, dst)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	if _, serr := os.Lstat(dst); serr == nil {
		return fs.ErrExist
	}
	if rerr := os.Rename(src, dst); rerr != nil {
		return fmt.Errorf("save %s: %w (link: %v)", filepath.Base(dst), rerr, err)
	}
	return nil
}

// CreateTemp is os.CreateTemp (a new file in dir, named by pattern with
// its last "*" replaced by a random string, open for reading and
// writing) with the mode os.Create gives: 0666 less the process umask,
// where os.CreateTemp's is always 0600. A file written through it and
// renamed into place is then readable by whom any file the process
// creates is: by its owner alone under systemd's UMask=0077, as the
// shipped units set, and to others only where the umask allows it.
func CreateTemp(dir, pattern string) (*os.File, error) {
	if strings.ContainsRune(pattern, os.PathSeparator) {
		return nil, fmt.Errorf("create temporary file in %s: pattern %q contains a path separator", dir, pattern)
	}
	prefix, suffix := pattern, ""
	if i := strings.LastIndex(pattern, "*"); i >= 0 {
		prefix, suffix = pattern[:i], pattern[i+1:]
	}
	for range 10000 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(uint64(rand.Uint32()), 10)+suffix)
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("create temporary file in %s: %w: 10000 names of %q taken", dir, fs.ErrExist, pattern)
}
