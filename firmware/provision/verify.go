package provision

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor/config"
)

// Errors of Read and Verify; every error either returns wraps one of them.
var (
	ErrUnsafeMember     = errors.New("unsafe bundle member")     // absolute, traversal, subdirectory, link, device
	ErrUnexpectedMember = errors.New("unexpected bundle member") // not allowed, or not in the manifest
	ErrMissingMember    = errors.New("missing bundle member")
	ErrDuplicateMember  = errors.New("duplicate bundle member")
	ErrTooLarge         = errors.New("bundle too large")
	ErrMalformed        = errors.New("malformed bundle") // not a readable tar
	ErrSignature        = errors.New("bundle signature invalid")
	ErrManifest         = errors.New("bad bundle manifest")
	// ErrHash: a member differs from the size and SHA-256 the signed
	// manifest gives (until 2026-12-07 "bundle member does not match
	// manifest", which did not say what that means).
	ErrHash = errors.New("bundle changed after it was signed, or damaged")
)

// Raw is a bundle's members as read, not yet verified.
type Raw struct {
	Manifest  []byte            // manifest.json, nil if absent
	Signature []byte            // manifest.sig, nil if absent
	Files     map[string][]byte // payload members by name
}

// Read reads a bundle tar from r and checks its structure only: size
// limits, member names (no absolute paths, no "..", no subdirectories,
// only the known names), regular files only, no duplicates. It reads at
// most MaxBundleBytes+1 bytes.
func Read(r io.Reader) (*Raw, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBundleBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read bundle: %w", err)
	}
	if len(data) > MaxBundleBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxBundleBytes)
	}
	tr := tar.NewReader(bytes.NewReader(data))
	raw := &Raw{Files: map[string][]byte{}}
	seen := map[string]bool{}
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: member %d: %v: copy the bundle again", ErrMalformed, n, err)
		}
		if err := checkMemberName(hdr.Name); err != nil {
			return nil, err
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("%w: %q is a %s, not a regular file", ErrUnsafeMember, hdr.Name, typeName(hdr.Typeflag))
		}
		if seen[hdr.Name] {
			return nil, fmt.Errorf("%w: %q", ErrDuplicateMember, hdr.Name)
		}
		seen[hdr.Name] = true
		if hdr.Size < 0 || hdr.Size > MaxMemberBytes {
			return nil, fmt.Errorf("%w: member %q has %d bytes, limit %d", ErrTooLarge, hdr.Name, hdr.Size, MaxMemberBytes)
		}
		b := make([]byte, hdr.Size)
		if _, err := io.ReadFull(tr, b); err != nil {
			return nil, fmt.Errorf("%w: member %q: %v: copy the bundle again", ErrMalformed, hdr.Name, err)
		}
		switch hdr.Name {
		case ManifestName:
			raw.Manifest = b
		case SignatureName:
			raw.Signature = b
		default:
			raw.Files[hdr.Name] = b
		}
	}
	return raw, nil
}

// checkMemberName accepts only the known flat member names, and says why
// it refuses any other.
func checkMemberName(name string) error {
	slashed := strings.ReplaceAll(name, `\`, "/")
	switch {
	case name == "":
		return fmt.Errorf("%w: empty name", ErrUnsafeMember)
	case strings.HasPrefix(slashed, "/") || filepath.IsAbs(name) || filepath.VolumeName(name) != "":
		return fmt.Errorf("%w: %q is an absolute path", ErrUnsafeMember, name)
	case slashed == ".." || strings.HasPrefix(slashed, "../") || strings.HasSuffix(slashed, "/..") || strings.Contains(slashed, "/../"):
		return fmt.Errorf("%w: %q traverses out of the install dir", ErrUnsafeMember, name)
	case strings.Contains(slashed, "/") || path.Clean(slashed) != slashed || strings.ContainsRune(name, 0):
		return fmt.Errorf("%w: %q is not a plain file name", ErrUnsafeMember, name)
	case name != ManifestName && name != SignatureName && !isFileMember(name):
		return fmt.Errorf("%w: %q is not a bundle file name", ErrUnexpectedMember, name)
	}
	return nil
}

func typeName(t byte) string {
	switch t {
	case tar.TypeSymlink:
		return "symlink"
	case tar.TypeLink:
		return "hard link"
	case tar.TypeDir:
		return "directory"
	case tar.TypeChar, tar.TypeBlock:
		return "device"
	case tar.TypeFifo:
		return "fifo"
	}
	return fmt.Sprintf("tar type %q", t)
}

// Bundle is a verified bundle. Only Verify makes one.
type Bundle struct {
	Manifest Manifest
	Config   config.Config     // node.yaml, parsed and validated
	Files    map[string][]byte // payload members by name, each matching the manifest
	verified bool
}

// Verify checks raw against pub: the signature over the manifest bytes,
// the manifest (strict JSON, format, IDs, known unique names, hash form),
// that the members are exactly the manifest's files, every size and
// SHA-256, and that node.yaml is a valid config of the manifest's site and
// sensor which names exactly the bundled files, in the manifest's dir.
func Verify(raw *Raw, pub ed25519.PublicKey) (*Bundle, error) {
	if raw == nil || raw.Manifest == nil {
		return nil, fmt.Errorf("%w: %s", ErrMissingMember, ManifestName)
	}
	if raw.Signature == nil {
		return nil, fmt.Errorf("%w: %s", ErrMissingMember, SignatureName)
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: public key has %d bytes", ErrKey, len(pub))
	}
	if len(raw.Signature) != ed25519.SignatureSize || !ed25519.Verify(pub, raw.Manifest, raw.Signature) {
		if claimed := signedBy(raw.Manifest); claimed.KeyID != KeyID(pub) {
			return nil, fmt.Errorf("%w: not signed by key %s%s: give --pub the site's site.pub from the central host",
				ErrSignature, KeyID(pub), claimed)
		}
		return nil, fmt.Errorf("%w: the manifest names key %s, this --pub, but it or its signature changed after signing, or is damaged: copy the bundle again from where it was made, or make it again (rfwarden node bundle)",
			ErrSignature, KeyID(pub))
	}
	m, err := ParseManifest(raw.Manifest)
	if err != nil {
		return nil, err
	}
	listed := map[string]FileEntry{}
	for _, f := range m.Files {
		listed[f.Name] = f
	}
	for name := range raw.Files {
		if _, ok := listed[name]; !ok {
			return nil, fmt.Errorf("%w: %q is in the tar but not in the manifest", ErrUnexpectedMember, name)
		}
	}
	for _, f := range m.Files {
		b, ok := raw.Files[f.Name]
		if !ok {
			return nil, fmt.Errorf("%w: %q is in the manifest but not in the tar", ErrMissingMember, f.Name)
		}
		sum := sha256.Sum256(b)
		if int64(len(b)) != f.Size || hex.EncodeToString(sum[:]) != f.SHA256 {
			return nil, fmt.Errorf("%w: %q has %d bytes and SHA-256 %x, its signed manifest says %d bytes and %s: copy the bundle again from where it was made, or make it again (rfwarden node bundle)",
				ErrHash, f.Name, len(b), sum, f.Size, f.SHA256)
		}
	}
	cfg, err := config.Parse(raw.Files[ConfigName])
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrManifest, ConfigName, err)
	}
	if cfg.Site != m.Site || cfg.Sensor != m.Sensor {
		return nil, fmt.Errorf("%w: %s is for %s/%s, manifest for %s/%s", ErrManifest, ConfigName, cfg.Site, cfg.Sensor, m.Site, m.Sensor)
	}
	// node.yaml must name exactly the files the bundle carries, in Dir.
	for _, r := range []struct{ path, member string }{{cfg.MQTT.CAFile, CAName}, {cfg.MQTT.CertFile, CertName},
		{cfg.MQTT.KeyFile, KeyName}, {cfg.MQTT.PasswordFile, PasswordName}} {
		_, carried := raw.Files[r.member]
		if (r.path != "") != carried || (carried && r.path != filepath.Join(m.Dir, r.member)) {
			return nil, fmt.Errorf("%w: %s names %q but the bundle installs %s into %q (carried: %v)",
				ErrManifest, ConfigName, r.path, r.member, m.Dir, carried)
		}
	}
	files := make(map[string][]byte, len(raw.Files))
	for k, v := range raw.Files {
		files[k] = v
	}
	return &Bundle{Manifest: m, Config: cfg, Files: files, verified: true}, nil
}

// claim is the key and site an unverified manifest claims.
type claim struct{ KeyID, Site string }

// String reads ", the bundle's manifest says key "1a2b..." of site
// "hmp-north"", or "" when the manifest names no key.
func (c claim) String() string {
	if c.KeyID == "" {
		return ""
	}
	return fmt.Sprintf(", the bundle's manifest says key %q of site %q", c.KeyID, c.Site)
}

// signedBy decodes the key and site an unverified manifest claims (zero
// when it does not decode): a wrong --pub is the usual cause of a bad
// signature, and the key ID points to the right site.pub.
func signedBy(manifest []byte) claim {
	var m Manifest
	if json.Unmarshal(manifest, &m) != nil {
		return claim{}
	}
	return claim{KeyID: m.KeyID, Site: m.Site}
}

// ReadVerify is Read followed by Verify.
func ReadVerify(r io.Reader, pub ed25519.PublicKey) (*Bundle, error) {
	raw, err := Read(r)
	if err != nil {
		return nil, err
	}
	return Verify(raw, pub)
}

// ParseManifest decodes manifest.json strictly and validates it.
func ParseManifest(data []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("%w: %v", ErrManifest, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Manifest{}, fmt.Errorf("%w: data after the JSON object", ErrManifest)
	}
	bad := func(format string, args ...any) (Manifest, error) {
		return Manifest{}, fmt.Errorf("%w: %s", ErrManifest, fmt.Sprintf(format, args...))
	}
	switch {
	case m.Format != Format:
		return bad("format %q, want %q", m.Format, Format)
	case !event.ValidID(m.Site):
		return bad("site %q is not a valid ID", m.Site)
	case !event.ValidID(m.Sensor):
		return bad("sensor %q is not a valid ID", m.Sensor)
	case m.Dir != "" && (!filepath.IsAbs(m.Dir) || filepath.Clean(m.Dir) != m.Dir):
		return bad("dir %q is not a clean absolute path", m.Dir)
	case len(m.Files) == 0 || len(m.Files) > len(fileMembers):
		return bad("%d files, want 1..%d", len(m.Files), len(fileMembers))
	}
	seen := map[string]bool{}
	for i, f := range m.Files {
		switch {
		case !isFileMember(f.Name):
			return bad("files[%d]: %q is not a bundle file name", i, f.Name)
		case seen[f.Name]:
			return bad("files[%d]: %q listed twice", i, f.Name)
		case f.Size < 0 || f.Size > MaxMemberBytes:
			return bad("files[%d] %q: size %d out of range", i, f.Name, f.Size)
		case !isHexSHA256(f.SHA256):
			return bad("files[%d] %q: sha256 %q is not 64 lower-case hex digits", i, f.Name, f.SHA256)
		}
		seen[f.Name] = true
	}
	if !seen[ConfigName] {
		return bad("no %s", ConfigName)
	}
	return m, nil
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
