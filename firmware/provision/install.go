package provision

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/goccy/go-yaml"

	"github.com/rfwarden/rfwarden/internal/atomicfile"
)

// ErrDirMismatch means the install dir is not the one node.yaml expects.
var ErrDirMismatch = errors.New("install dir does not match the bundle")

// ErrOtherNode means the install dir holds another node's node.yaml (another
// site or sensor ID, or one whose IDs cannot be read) and
// InstallOptions.Force was not given.
var ErrOtherNode = errors.New("install dir holds another node")

// InstallOptions adjust Install.
type InstallOptions struct {
	// Chown gives the installed files to UID and GID (Install must then
	// run as root); false keeps the installing user as owner. An install
	// dir Install creates gets group GID.
	Chown    bool
	UID, GID int
	// Force installs over another node's files (ErrOtherNode): the node
	// takes the bundle's identity.
	Force bool
}

// Node is a node's identity: its site and sensor ID.
type Node struct {
	Site, Sensor string
}

// String reads "sensor ID of site SITE".
func (n Node) String() string { return fmt.Sprintf("sensor %s of site %s", n.Sensor, n.Site) }

// Installed is what Install did.
type Installed struct {
	Paths []string // the files written, in bundle order
	// Removed lists the files of an earlier bundle (member names) that
	// this one does not have, such as a client key once the node uses a
	// password only: removed, not kept aside, so no stale secret stays.
	Removed []string
	// Replaced is the other node whose files were replaced (Force); nil
	// when the dir held no node.yaml or this node's.
	Replaced *Node
}

// Install writes b's files into dir and removes the bundle files (member
// names) that b does not have. dir must be the directory node.yaml names
// for its files (Manifest.Dir) when it names any; it is created 0750 when
// missing. A node.yaml already in dir must be the same site and sensor
// (a new key or password for the node) unless opt.Force is set:
// ErrOtherNode otherwise, and nothing is written. Each file is written to
// a temporary name in dir with its final mode (0600 for secrets, 0644
// otherwise) and owner, synced, and only when all are written renamed into
// place; then the stale files are removed and dir is synced. On error no
// temporary file is left behind. Install refuses a Bundle not made by
// Verify.
func Install(b *Bundle, dir string, opt InstallOptions) (Installed, error) {
	var res Installed
	if b == nil || !b.verified {
		return res, errors.New("install: bundle was not verified")
	}
	dir = filepath.Clean(dir)
	if b.Manifest.Dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return res, fmt.Errorf("install dir %q: %w", dir, err)
		}
		if abs != b.Manifest.Dir {
			return res, fmt.Errorf("%w: node.yaml expects its files in %s, not %s", ErrDirMismatch, b.Manifest.Dir, abs)
		}
	}
	want := Node{Site: b.Manifest.Site, Sensor: b.Manifest.Sensor}
	have, found, err := installedNode(dir)
	switch {
	case err != nil && !opt.Force:
		return res, fmt.Errorf("%w: %v; the bundle is %v", ErrOtherNode, err, want)
	case found && have != want && !opt.Force:
		return res, fmt.Errorf("%w: %s holds %v, the bundle is %v", ErrOtherNode, filepath.Join(dir, ConfigName), have, want)
	case found && have != want:
		res.Replaced = &have
	}
	if err := makeDir(dir, opt); err != nil {
		return res, err
	}
	type pending struct{ tmp, final string }
	var done []pending
	cleanup := func() {
		for _, p := range done {
			os.Remove(p.tmp)
		}
	}
	inBundle := map[string]bool{}
	for _, f := range b.Manifest.Files {
		inBundle[f.Name] = true
		tmp, err := writeTemp(dir, f.Name, b.Files[f.Name], modeOf(f.Name), opt)
		if err != nil {
			cleanup()
			return res, err
		}
		done = append(done, pending{tmp, filepath.Join(dir, f.Name)})
	}
	for i, p := range done {
		if err := os.Rename(p.tmp, p.final); err != nil {
			for _, q := range done[i:] {
				os.Remove(q.tmp)
			}
			return res, fmt.Errorf("install %q: %w", p.final, err)
		}
		res.Paths = append(res.Paths, p.final)
	}
	for _, m := range fileMembers {
		if inBundle[m.name] {
			continue
		}
		p := filepath.Join(dir, m.name)
		switch err := os.Remove(p); {
		case err == nil:
			res.Removed = append(res.Removed, p)
		case !errors.Is(err, os.ErrNotExist):
			return res, fmt.Errorf("remove %s, which the new bundle does not have: %w", p, err)
		}
	}
	if err := atomicfile.SyncDir(dir); err != nil {
		return res, fmt.Errorf("sync install dir: %w", err)
	}
	return res, nil
}

// installedNode reads the site and sensor of the node.yaml in dir, leniently
// (an older release may have written keys this one refuses); found is false
// when there is none.
func installedNode(dir string) (n Node, found bool, err error) {
	p := filepath.Join(dir, ConfigName)
	data, err := os.ReadFile(p)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return Node{}, false, nil
	case err != nil:
		return Node{}, false, fmt.Errorf("read the installed %s: %w", p, err)
	}
	var ids struct {
		Site   string `yaml:"site"`
		Sensor string `yaml:"sensor"`
	}
	if err := yaml.Unmarshal(data, &ids); err != nil || ids.Site == "" || ids.Sensor == "" {
		return Node{}, false, fmt.Errorf("%s holds no site and sensor that can be read", p)
	}
	return Node{Site: ids.Site, Sensor: ids.Sensor}, true, nil
}

// makeDir creates dir 0750 when it is missing, its parents 0755, and with
// opt.Chown gives it group opt.GID (root:rfwarden, as docs/deploy.md sets
// up /etc/rfwarden), so that the service user can read its files.
func makeDir(dir string, opt InstallOptions) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("create install dir: %w", err)
	}
	if err := os.Mkdir(dir, 0o750); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create install dir: %w", err)
	}
	if opt.Chown {
		if err := os.Chown(dir, -1, opt.GID); err != nil {
			return fmt.Errorf("create install dir: %w", err)
		}
	}
	return nil
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
