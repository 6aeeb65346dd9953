package mqttlink

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

func publishPacket(id uint16, payload string) *packets.PublishPacket {
	p := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
	p.Qos, p.MessageID, p.TopicName, p.Payload = 1, id, "rfw/v1/site1/sensor/s1/detection", []byte(payload)
	return p
}

// TestCopyStore: every Get is a packet of its own, so paho setting DUP on
// the one it sends again cannot touch the one its network goroutine may
// still be writing (paho issue 703, a race the race detector found in
// deploy/faults with paho's MemoryStore).
func TestCopyStore(t *testing.T) {
	s := newCopyStore()
	orig := publishPacket(7, "a")
	s.Put("o.7", orig)
	orig.Payload[0] = 'z' // the caller's packet is not the stored one
	a, b := s.Get("o.7").(*packets.PublishPacket), s.Get("o.7").(*packets.PublishPacket)
	if a == b || string(a.Payload) != "a" || a.MessageID != 7 || a.Qos != 1 || a.TopicName != orig.TopicName {
		t.Fatalf("Get: %+v and %+v, want two copies of the packet put", a, b)
	}
	a.Dup = true
	if b.Dup {
		t.Error("setting DUP on one copy set it on another")
	}
	for _, id := range []uint16{10, 9, 100} {
		s.Put("o."+itoa(int(id)), publishPacket(id, "x"))
	}
	s.Put("i.3", publishPacket(3, "in"))
	if got, want := s.All(), []string{"i.3", "o.7", "o.9", "o.10", "o.100"}; !slices.Equal(got, want) {
		t.Errorf("All: %v, want %v", got, want)
	}
	s.Del("o.9")
	if s.Get("o.9") != nil || len(s.All()) != 4 {
		t.Errorf("after Del: %v", s.All())
	}
	s.Reset()
	if len(s.All()) != 0 {
		t.Errorf("after Reset: %v", s.All())
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// TestEveryPahoClientKeepsCopies reads every Go file of the module (tests
// too) and fails on a paho client made from paho's own NewClientOptions or
// given paho's MemoryStore: each would race in paho's resume after a
// reconnect (NewStore). Only this file's NewClientOptions may call paho's.
func TestEveryPahoClientKeepsCopies(t *testing.T) {
	const paho = "github.com/eclipse/paho.mqtt.golang"
	root := filepath.Join("..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		if rel, _ := filepath.Rel(root, path); rel == filepath.Join("internal", "mqttlink", "store.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		name := ""
		for _, im := range f.Imports {
			if strings.Trim(im.Path.Value, `"`) == paho {
				name = "mqtt"
				if im.Name != nil {
					name = im.Name.Name
				}
			}
		}
		if name == "" {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == name &&
				(sel.Sel.Name == "NewClientOptions" || sel.Sel.Name == "NewMemoryStore") {
				t.Errorf("%s calls paho's %s: use mqttlink.NewClientOptions (paho issue 703)", path, sel.Sel.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("read %d Go files under %s, expected the whole module", files, root)
	}
}
