package provision

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Key file names written by WriteKeyPair.
const (
	PrivateKeyFile = "site.key"
	PublicKeyFile  = "site.pub"
)

// ErrKey is wrapped by every error about a key file's content.
var ErrKey = errors.New("bad signing key")

// KeyID names a public key: the first 8 bytes of the SHA-256 of its raw
// 32 bytes, in hex. It lets an error say which key signed a bundle.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// MarshalPrivateKey encodes priv as a PKCS#8 "PRIVATE KEY" PEM block.
func MarshalPrivateKey(priv ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// MarshalPublicKey encodes pub as a PKIX "PUBLIC KEY" PEM block.
func MarshalPublicKey(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("marshal public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePrivateKey decodes a PKCS#8 PEM Ed25519 private key.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%w: no PEM \"PRIVATE KEY\" block", ErrKey)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: private key is %T, not Ed25519", ErrKey, k)
	}
	return priv, nil
}

// ParsePublicKey decodes a PKIX PEM Ed25519 public key.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("%w: no PEM \"PUBLIC KEY\" block", ErrKey)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: public key is %T, not Ed25519", ErrKey, k)
	}
	return pub, nil
}

// ReadPrivateKey reads a private key file written by WriteKeyPair.
func ReadPrivateKey(path string) (ed25519.PrivateKey, error) {
	data, err := readSmall(path)
	if err != nil {
		return nil, err
	}
	priv, err := ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("private key %q: %w", path, err)
	}
	return priv, nil
}

// ReadPublicKey reads a public key file written by WriteKeyPair.
func ReadPublicKey(path string) (ed25519.PublicKey, error) {
	data, err := readSmall(path)
	if err != nil {
		return nil, err
	}
	pub, err := ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("public key %q: %w", path, err)
	}
	return pub, nil
}

func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open key: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("read key %q: %w", path, err)
	}
	return data, nil
}

// WriteKeyPair generates an Ed25519 key pair from rand (crypto/rand.Reader
// in production) and writes dir/site.key (mode 0600) and dir/site.pub
// (mode 0644). It creates dir (0700) if needed and refuses to overwrite
// either file. It returns the key's ID.
func WriteKeyPair(dir string, rand io.Reader) (string, error) {
	pub, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return "", fmt.Errorf("generate key: %w", err)
	}
	privPEM, err := MarshalPrivateKey(priv)
	if err != nil {
		return "", err
	}
	pubPEM, err := MarshalPublicKey(pub)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create key dir: %w", err)
	}
	privPath, pubPath := filepath.Join(dir, PrivateKeyFile), filepath.Join(dir, PublicKeyFile)
	for _, p := range []string{privPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return "", fmt.Errorf("key file %q exists: refusing to overwrite", p)
		}
	}
	if err := writeExclusive(privPath, privPEM, 0o600); err != nil {
		return "", err
	}
	if err := writeExclusive(pubPath, pubPEM, 0o644); err != nil {
		os.Remove(privPath)
		return "", err
	}
	return KeyID(pub), nil
}

// writeExclusive creates path (failing if it exists) with mode, whatever
// the umask, and syncs it.
func writeExclusive(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("create %q: %w", path, err)
	}
	err = f.Chmod(mode)
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
		os.Remove(path)
		return fmt.Errorf("write %q: %w", path, err)
	}
	return nil
}
