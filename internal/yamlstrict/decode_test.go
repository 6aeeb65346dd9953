package yamlstrict

import (
	"strings"
	"testing"
	"time"
)

type inner struct {
	Every time.Duration `yaml:"every"`
	N     int           `yaml:"n"`
}

type doc struct {
	Name   string           `yaml:"name"`
	Inner  inner            `yaml:"inner"`
	List   []inner          `yaml:"list"`
	ByName map[string]inner `yaml:"by_name"`
	Ptr    *inner           `yaml:"ptr"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name  string
		given string
		want  string // in the error; "" = none
	}{
		{"good", "name: a\ninner: {every: 2s, n: 3}\nlist: [{every: 1m}]\nby_name: {x: {every: 5ms}}\nptr: {every: 1h}\n", ""},
		{"duration in a struct", "inner:\n  every: 10\n", `[2:10] inner.every: time: missing unit in duration "10"`},
		{"duration in a flow list", "list: [{every: 1s}, {every: x}]\n", `[1:29] list[1].every: time: invalid duration "x"`},
		{"duration in a map", "by_name:\n  x:\n    every: 3 s\n", `[3:12] by_name.x.every: time: unknown unit`},
		{"duration behind a pointer", "ptr:\n  every: 1d\n", `[2:10] ptr.every: time: unknown unit "d"`},
		{"type in a struct", "inner:\n  n: lots\n", "[2:6] inner.n: cannot unmarshal string into int"},
		{"unknown key", "inner:\n  m: 1\n", `[2:3] inner.m: unknown field "m"`},
		{"misspelt key", "inner:\n  evrey: 1s\n", `[2:3] inner.evrey: unknown field "evrey"; did you mean "every"?`},
		{"swapped letters", "by_nmae: {}\n", `[1:1] by_nmae: unknown field "by_nmae"; did you mean "by_name"?`},
		{"misspelt key in a list", "list: [{every: 1s}, {evry: 3s}]\n", `list[1].evry: unknown field "evry"; did you mean "every"?`},
		{"key in upper case", "inner: {N: 2}\n", `inner.N: unknown field "N"; did you mean "n"?`},
		{"misspelt key in a map's value", "by_name:\n  x:\n    evry: 2s\n", `by_name.x.evry: unknown field "evry"; did you mean "every"?`},
		{"misspelt key behind a pointer", "ptr: {evry: 2s}\n", `ptr.evry: unknown field "evry"; did you mean "every"?`},
		{"malformed", "inner: [\n", "[1:8]"},
		// goccy/go-yaml truncates a fraction into an int without a word
		// (fusion.yaml's history_days: 1.5 kept 1 day)
		{"fraction for an int", "inner:\n  n: 1.5\n", "[2:6] inner.n: 1.5 is not a whole number"},
		{"fraction for an int in a list", "list: [{n: 2}, {n: 0.25}]\n", "list[1].n: 0.25 is not a whole number"},
		{"whole float for an int", "inner: {n: 3.0}\nlist: [{n: 1e3}]\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d doc
			err := Decode([]byte(tt.given), &d)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "did you mean") && !strings.Contains(tt.want, "did you mean"):
				t.Errorf("got %v, a suggestion where none is close", err)
			}
		})
	}
}
