package provision

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// seedBundles are the fuzz seeds, signed with seedKey: a good bundle and
// a few structurally hostile ones.
func seedBundles(t testing.TB) map[string][]byte {
	good := buildBundle(t, seedKey(), Inputs{Config: nodeConfig("/etc/rfwarden", false), Password: []byte("pw\n")})
	ms := members(t, good)
	traversal := append(members(t, good), member{name: "../x", data: []byte("x")})
	symlink := append(members(t, good)[:2], member{name: ConfigName, typeflag: '2', link: "/etc/passwd"})
	dup := append(members(t, good), ms[2])
	return map[string][]byte{
		"good":      good,
		"truncated": good[:len(good)/2],
		"traversal": writeTar(t, traversal),
		"symlink":   writeTar(t, symlink),
		"duplicate": writeTar(t, dup),
	}
}

// FuzzReadVerify feeds arbitrary bytes to the bundle reader and verifier.
// Neither may panic, and whatever verifies must match its manifest. Run it
// with -fuzzminimizetime=2s: minimising a multi-kilobyte tar at the default
// 60 s per new input leaves the fuzzer idle most of the time.
func FuzzReadVerify(f *testing.F) {
	for _, b := range seedBundles(f) {
		f.Add(b)
	}
	pub := seedKey().Public().(ed25519.PublicKey)
	f.Fuzz(func(t *testing.T, data []byte) {
		raw, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		for name, b := range raw.Files {
			if !isFileMember(name) || len(b) > MaxMemberBytes {
				t.Fatalf("Read accepted member %q of %d bytes", name, len(b))
			}
		}
		b, err := Verify(raw, pub)
		if err != nil {
			return
		}
		if len(b.Files) != len(b.Manifest.Files) {
			t.Fatalf("%d files, manifest lists %d", len(b.Files), len(b.Manifest.Files))
		}
		for _, fe := range b.Manifest.Files {
			sum := sha256.Sum256(b.Files[fe.Name])
			if hex.EncodeToString(sum[:]) != fe.SHA256 {
				t.Fatalf("%s verified with a wrong hash", fe.Name)
			}
		}
	})
}

// FuzzParseManifest checks that an accepted manifest survives a JSON round
// trip unchanged and never names an unknown file.
func FuzzParseManifest(f *testing.F) {
	good := members(f, seedBundles(f)["good"])[0].data
	f.Add(good)
	f.Add([]byte(`{"format":"rfwarden-node-bundle/1","site":"s","sensor":"n","created":"2026-01-01T00:00:00Z","key_id":"","files":[{"name":"node.yaml","size":1,"sha256":"` + fmt.Sprintf("%064x", 0) + `"}]}`))
	f.Add([]byte(`{"format":"rfwarden-node-bundle/1","files":[{"name":"../x"}]}`))
	f.Add([]byte(`{} {}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		for _, fe := range m.Files {
			if !isFileMember(fe.Name) {
				t.Fatalf("accepted file name %q", fe.Name)
			}
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := ParseManifest(again)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", again, err)
		}
		if fmt.Sprint(m) != fmt.Sprint(m2) {
			t.Fatalf("round trip changed %+v to %+v", m, m2)
		}
	})
}

// TestWriteFuzzSeeds rewrites the committed seed corpus when
// RFW_WRITE_SEEDS=1 (after a format change).
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("RFW_WRITE_SEEDS") != "1" {
		t.Skip("set RFW_WRITE_SEEDS=1 to rewrite testdata/fuzz seeds")
	}
	write := func(target, name string, data []byte) {
		dir := filepath.Join("testdata", "fuzz", target)
		os.MkdirAll(dir, 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	seeds := seedBundles(t)
	for name, b := range seeds {
		write("FuzzReadVerify", name, b)
	}
	write("FuzzParseManifest", "good", members(t, seeds["good"])[0].data)
	write("FuzzParseManifest", "traversal", []byte(`{"format":"rfwarden-node-bundle/1","site":"s","sensor":"n","files":[{"name":"../node.yaml","size":1,"sha256":"`+fmt.Sprintf("%064x", 1)+`"}]}`))
}

// TestSeedCorpusCurrent proves the committed good seed still verifies, so
// the fuzzer starts from a bundle that reaches the deepest checks.
func TestSeedCorpusCurrent(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzReadVerify", "good"))
	if err != nil {
		t.Fatal(err)
	}
	lit := strings.TrimSuffix(strings.TrimPrefix(strings.SplitN(string(text), "\n", 2)[1], "[]byte("), ")\n")
	data, err := strconv.Unquote(lit)
	if err != nil {
		t.Fatalf("seed file: %v", err)
	}
	if _, err := ReadVerify(strings.NewReader(data), seedKey().Public().(ed25519.PublicKey)); err != nil {
		t.Errorf("good seed does not verify (rerun with RFW_WRITE_SEEDS=1): %v", err)
	}
}
