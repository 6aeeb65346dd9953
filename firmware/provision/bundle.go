package provision

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/sensor/config"
)

// Format is the manifest's format string.
const Format = "rfwarden-node-bundle/1"

// Member names of a bundle.
const (
	ManifestName  = "manifest.json"
	SignatureName = "manifest.sig"
	ConfigName    = "node.yaml"
	CAName        = "ca.pem"
	CertName      = "node.pem"
	KeyName       = "node-key.pem"
	PasswordName  = "mqtt.pass"
)

// Limits of a bundle; anything beyond is rejected with ErrTooLarge.
const (
	MaxMemberBytes = config.MaxFileBytes // one member
	MaxBundleBytes = 8 << 20             // the whole tar
	maxPassword    = 1024                // bytes of an MQTT password
)

// fileMembers lists the payload members in bundle order with their install
// modes.
var fileMembers = []struct {
	name   string
	secret bool
}{
	{ConfigName, false},
	{CAName, false},
	{CertName, false},
	{KeyName, true},
	{PasswordName, true},
}

// IsSecret reports whether a payload member is installed with mode 0600.
func IsSecret(name string) bool {
	for _, m := range fileMembers {
		if m.name == name {
			return m.secret
		}
	}
	return false
}

func isFileMember(name string) bool {
	for _, m := range fileMembers {
		if m.name == name {
			return true
		}
	}
	return false
}

// Manifest is manifest.json: what the signature covers.
type Manifest struct {
	Format  string      `json:"format"`
	Site    string      `json:"site"`
	Sensor  string      `json:"sensor"`
	Created time.Time   `json:"created"`
	Dir     string      `json:"dir,omitempty"` // where node.yaml expects the other files; "" if it names none
	KeyID   string      `json:"key_id"`        // KeyID of the signing key (informative; the signature decides)
	Files   []FileEntry `json:"files"`
}

// FileEntry is one payload member in the manifest.
type FileEntry struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // lower-case hex
}

// Inputs are the files Build puts into a bundle. Nil means absent; Config
// is required and every other file must be given exactly when node.yaml
// names it (mqtt.ca_file, cert_file, key_file, password_file), under its
// member name (ca.pem, node.pem, node-key.pem, mqtt.pass) in one directory.
type Inputs struct {
	Config   []byte
	CA       []byte // PEM certificates of the broker's CA
	Cert     []byte // PEM client certificate
	Key      []byte // PEM client private key, matching Cert
	Password []byte // MQTT password, one line
}

// ErrInputs is wrapped by every error Build reports about its inputs.
var ErrInputs = errors.New("bad bundle inputs")

// Build validates in, signs a manifest of it with priv, and writes the
// bundle tar to w. now stamps the manifest and the tar headers.
func Build(w io.Writer, priv ed25519.PrivateKey, in Inputs, now time.Time) (Manifest, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return Manifest{}, fmt.Errorf("%w: private key has %d bytes", ErrKey, len(priv))
	}
	cfg, dir, err := checkInputs(in, now)
	if err != nil {
		return Manifest{}, err
	}
	content := map[string][]byte{ConfigName: in.Config, CAName: in.CA, CertName: in.Cert, KeyName: in.Key, PasswordName: in.Password}
	m := Manifest{Format: Format, Site: cfg.Site, Sensor: cfg.Sensor, Created: now.UTC().Truncate(time.Second), Dir: dir,
		KeyID: KeyID(priv.Public().(ed25519.PublicKey))}
	var order []string
	for _, fm := range fileMembers {
		b := content[fm.name]
		if b == nil {
			continue
		}
		sum := sha256.Sum256(b)
		m.Files = append(m.Files, FileEntry{Name: fm.name, Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:])})
		order = append(order, fm.name)
	}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Manifest{}, fmt.Errorf("marshal manifest: %w", err)
	}
	mb = append(mb, '\n')
	sig := ed25519.Sign(priv, mb)

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, data []byte) error {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(data)), Mode: 0o600, ModTime: m.Created, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("tar header %q: %w", name, err)
		}
		if _, err := tw.Write(data); err != nil {
			return fmt.Errorf("tar member %q: %w", name, err)
		}
		return nil
	}
	if err := add(ManifestName, mb); err != nil {
		return Manifest{}, err
	}
	if err := add(SignatureName, sig); err != nil {
		return Manifest{}, err
	}
	for _, name := range order {
		if err := add(name, content[name]); err != nil {
			return Manifest{}, err
		}
	}
	if err := tw.Close(); err != nil {
		return Manifest{}, fmt.Errorf("close tar: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return Manifest{}, fmt.Errorf("write bundle: %w", err)
	}
	return m, nil
}

// checkInputs validates the node config (sensor/config rules) and that it
// names exactly the files given, and the PEM material. It returns the
// parsed config and the directory its file paths share.
func checkInputs(in Inputs, now time.Time) (config.Config, string, error) {
	if in.Config == nil {
		return config.Config{}, "", fmt.Errorf("%w: node config missing", ErrInputs)
	}
	cfg, err := config.Parse(in.Config)
	if err != nil {
		return config.Config{}, "", fmt.Errorf("%w: node config: %w", ErrInputs, err)
	}
	refs := []struct {
		field, flag, path, member string
		data                      []byte
	}{
		{"mqtt.ca_file", "CA", cfg.MQTT.CAFile, CAName, in.CA},
		{"mqtt.cert_file", "client certificate", cfg.MQTT.CertFile, CertName, in.Cert},
		{"mqtt.key_file", "client key", cfg.MQTT.KeyFile, KeyName, in.Key},
		{"mqtt.password_file", "MQTT password", cfg.MQTT.PasswordFile, PasswordName, in.Password},
	}
	dir := ""
	for _, r := range refs {
		switch {
		case r.path == "" && r.data == nil:
			continue
		case r.path == "":
			return cfg, "", fmt.Errorf("%w: %s given but node config has no %s", ErrInputs, r.flag, r.field)
		case r.data == nil:
			return cfg, "", fmt.Errorf("%w: node config names %s %q but no %s was given", ErrInputs, r.field, r.path, r.flag)
		case !filepath.IsAbs(r.path):
			return cfg, "", fmt.Errorf("%w: %s %q must be an absolute path", ErrInputs, r.field, r.path)
		case filepath.Base(r.path) != r.member:
			return cfg, "", fmt.Errorf("%w: %s %q: the bundle installs it as %s, so the file must be named %s", ErrInputs, r.field, r.path, r.member, r.member)
		}
		d := filepath.Clean(filepath.Dir(r.path))
		if dir != "" && d != dir {
			return cfg, "", fmt.Errorf("%w: %s %q is not in %s like the other files", ErrInputs, r.field, r.path, dir)
		}
		dir = d
	}
	if in.Cert != nil {
		if _, err := tls.X509KeyPair(in.Cert, in.Key); err != nil {
			return cfg, "", fmt.Errorf("%w: client certificate and key: %w", ErrInputs, err)
		}
	}
	if err := CheckNodeCerts(in.CA, in.Cert, cfg, now); err != nil {
		return cfg, "", fmt.Errorf("%w: %w", ErrInputs, err)
	}
	if in.Password != nil {
		line, rest, _ := strings.Cut(string(in.Password), "\n")
		switch {
		case len(in.Password) > maxPassword:
			return cfg, "", fmt.Errorf("%w: MQTT password longer than %d bytes", ErrInputs, maxPassword)
		case strings.TrimSpace(line) == "":
			return cfg, "", fmt.Errorf("%w: MQTT password is empty", ErrInputs)
		case strings.TrimSpace(rest) != "":
			return cfg, "", fmt.Errorf("%w: MQTT password file has more than one line", ErrInputs)
		}
	}
	return cfg, dir, nil
}
