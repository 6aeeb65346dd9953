package sigmf

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ExtractArchive validates the SigMF archive at archivePath as Open does
// (one recording; metadata that parses and fits its data) and writes it
// into dir as NAME.sigmf-data and NAME.sigmf-meta, NAME being the
// recording's name in the archive (the last element of its members' base,
// "NAME/NAME.sigmf-meta"). ok(NAME) may refuse the name before anything
// is written. The data is written first and the metadata last, each
// through a temporary file renamed into place, so a reader that lists
// metadata never sees half a recording. It returns NAME.
func ExtractArchive(archivePath, dir string, ok func(name string) error) (string, error) {
	file, err := openRegular(archivePath)
	if err != nil {
		return "", fmt.Errorf("extract archive: %w", err)
	}
	defer file.Close()
	rec, base, meta, err := readArchiveMembers(archivePath, file, Overrides{})
	if err != nil {
		return "", fmt.Errorf("extract archive %q: %w", archivePath, err)
	}
	name := path.Base(base)
	if name == "." || name == "/" || name == ".." || strings.HasPrefix(name, ".") || strings.ContainsAny(name, `/\`+"\x00") {
		return "", fmt.Errorf("extract archive %q: %w: recording name %q is not a plain file name", archivePath, ErrBadMeta, name)
	}
	if ok != nil {
		if err := ok(name); err != nil {
			return "", fmt.Errorf("extract archive %q: recording %q: %w", archivePath, name, err)
		}
	}
	dst := filepath.Join(dir, name)
	if err := copyFileAtomic(dst+DataExt, io.NewSectionReader(rec.data, 0, rec.data.Size())); err != nil {
		return "", fmt.Errorf("extract archive %q: %w", archivePath, err)
	}
	if err := writeFileAtomic(dst+MetaExt, meta); err != nil {
		os.Remove(dst + DataExt)
		return "", fmt.Errorf("extract archive %q: %w", archivePath, err)
	}
	return name, nil
}

// copyFileAtomic copies src to a temporary file beside path, syncs it and
// renames it over path.
func copyFileAtomic(path string, src io.Reader) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	tmp := f.Name()
	_, err = io.Copy(f, src)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %q: %w", path, err)
	}
	return nil
}
