package yamlstrict

import (
	"strings"
	"testing"
)

// TestAt: an error about a value that decoded but does not validate names
// its line and column, its key as written and shows its line, wherever the
// key is (nested, in a block or flow list); a key the document leaves out
// (its default was refused) is named without a position.
func TestAt(t *testing.T) {
	const doc = "name: a\ninner:\n  n: 7\nlist:\n  - {every: 1s, n: 3}\n  - every: 2s\n    n: 40\n"
	tests := []struct {
		name  string
		given string // key path
		want  []string
	}{
		{"top level", "name", []string{"[1:7] name: too short", ">  1 | name: a"}},
		{"nested", "inner.n", []string{"[3:6] inner.n: too short", ">  3 |   n: 7"}},
		{"flow list", "list[0].n", []string{"[5:20] list[0].n: too short"}},
		{"block list", "list[1].n", []string{"[7:8] list[1].n: too short", ">  7 |     n: 40"}},
		{"whole list", "list", []string{"[5:3] list: too short"}},
		{"absent key", "ptr.every", []string{"ptr.every: too short"}},
		{"index past the list", "list[5].n", []string{"list[5].n: too short"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := At([]byte(doc), tt.given, "too short")
			if err == nil {
				t.Fatal("nil error")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			if tt.name == "absent key" && strings.Contains(err.Error(), "[") {
				t.Errorf("absent key given a position: %v", err)
			}
		})
	}
	if err := At([]byte("a: [\n"), "a", "bad"); err == nil || err.Error() != "a: bad" {
		t.Errorf("malformed document: got %v, want the bare message", err)
	}
}

// TestHas: Has finds a key wherever At would, and not one the document
// leaves out or one of a document that does not parse.
func TestHas(t *testing.T) {
	const doc = "name: a\ninner:\n  n: 7\nlist:\n  - {every: 1s, n: 3}\n"
	for _, tt := range []struct {
		key  string
		want bool
	}{
		{"name", true}, {"inner.n", true}, {"list[0].every", true},
		{"ptr.every", false}, {"inner.m", false}, {"list[3].n", false},
	} {
		if got := Has([]byte(doc), tt.key); got != tt.want {
			t.Errorf("Has(%s) = %v, want %v", tt.key, got, tt.want)
		}
	}
	if Has([]byte("a: [\n"), "a") {
		t.Error("Has of a document that does not parse: true")
	}
}
