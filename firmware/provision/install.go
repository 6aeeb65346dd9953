package provision

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrDirMismatch means the install dir is not the one node.yaml expects.
var ErrDirMismatch = errors.New("install dir does not match the bundle")

// InstallOptions adjust Install.
type InstallOptions struct {
	// Chown gives the installed files to UID and GID (Install must then
	// run as root); false keeps the installing user as owner.
	Chown    bool
	UID, GID int
}

// Install writes b's files into dir and returns their paths. dir must be
// the directory node.yaml names for its files (Manifest.Dir) when it names
// any. Each file is written to a temporary name in dir with its final mode
// (0600 for secrets, 0644 otherwise) and owner, synced, and only when all
// are written renamed into place; dir is synced last. On error no
// temporary file is left behind. Install refuses a Bundle not made by
// Verify.
func Install(b *Bundle, dir string, opt InstallOptions) ([]string, error) {
	if b == nil || !b.verified {
		return nil, errors.New("install: bundle was not verified")
	}
	dir = filepath.Clean(dir)
	if b.Manifest.Dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("install dir %q: %w", dir, err)
		}
		if abs != b.Manifest.Dir {
			return nil, fmt.Errorf("%w: node.yaml expects its files in %s, not %s", ErrDirMismatch, b.Manifest.Dir, abs)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create install dir: %w", err)
	}
	type pending struct{ tmp, final string }
	var done []pending
	cleanup := func() {
		for _, p := range done {
			os.Remove(p.tmp)
		}
	}
	for _, f := range b.Manifest.Files {
		tmp, err := writeTemp(dir, f.Name, b.Files[f.Name], modeOf(f.Name), opt)
		if err != nil {
			cleanup()
			return nil, err
		}
		done = append(done, pending{tmp, filepath.Join(dir, f.Name)})
	}
	var paths []string
	for i, p := range done {
		if err := os.Rename(p.tmp, p.final); err != nil {
			for _, q := range done[i:] {
				os.Remove(q.tmp)
			}
			return paths, fmt.Errorf("install %q: %w", p.final, err)
		}
		paths = append(paths, p.final)
	}
	if err := syncDir(dir); err != nil {
		return paths, err
	}
	return paths, nil
}

func modeOf(name string) os.FileMode {
	if IsSecret(name) {
		return 0o600
	}
	return 0o644
}

func writeTemp(dir, name string, data []byte, mode os.FileMode, opt InstallOptions) (string, error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp*")
	if err != nil {
		return "", fmt.Errorf("install %s: %w", name, err)
	}
	tmp := f.Name()
	err = f.Chmod(mode)
	if err == nil && opt.Chown {
		err = f.Chown(opt.UID, opt.GID)
	}
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("install %s: %w", name, err)
	}
	return tmp, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync install dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync install dir: %w", err)
	}
	return nil
}
