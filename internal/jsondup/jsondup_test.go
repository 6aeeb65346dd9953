package jsondup

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestCheck: a key given twice in one object is found, named with where
// it is, at any depth (an element of an array by its index as in the
// data), spelt alike or escaped alike; one key in several objects, a
// string value that looks like a key, and data that is not JSON are not.
// The cases are those sensor/sigmf's TestDuplicateKeysRefused reads
// from metadata, where the scan was first written (2026-12-07).
func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		wantPath string // "" when none
		wantKey  string
	}{
		{"none", `{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}`, "", ""},
		{"empty", `{}`, "", ""},
		{"not an object", `[1,"a",{"a":1}]`, "", ""},
		{"value like a key", `{"a":"a","b":["a","a"]}`, "", ""},
		{"not JSON", `{"a":1,"a":2`, "", ""},
		{"nothing", ``, "", ""},
		{"top level", `{"a":1,"a":2}`, "a", "a"},
		{"global", `{"global":{"core:datatype":"ci8","core:sample_rate":23040000,"core:sample_rate":1000000}}`, "global.core:sample_rate", "core:sample_rate"},
		{"escaped alike", `{"global":{"core:sample_rate":1000,"core:sample\u005frate":2000}}`, "global.core:sample_rate", "core:sample_rate"},
		{"escaped quote", `{"a\"b":1,"a\u0022b":2}`, `a"b`, `a"b`},
		{"in an array", `{"captures":[{"f":1},{"f":1,"f":2}]}`, "captures[1].f", "f"},
		{"nested", `{"g":{"ext":[{"name":"rfw","v":"1","name":"x"}]}}`, "g.ext[0].name", "name"},
		{"array of arrays", `[[1,2],[{"k":1}],[{"k":1,"k":1}]]`, "[2][0].k", "k"},
		{"object value twice", `{"g":{"x":1},"h":2,"g":{"y":1}}`, "g", "g"},
		{"spaces", "{ \"a\" :1 ,\n\t\"a\"\r\n: 2 }", "a", "a"},
		{"after a large object", `[{` + manyKeys(100) + `},{"k0":1,"k0":2}]`, "[1].k0", "k0"},
		{"large object, none", `[{` + manyKeys(100) + `},{` + manyKeys(100) + `}]`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check([]byte(tt.data))
			if json.Valid([]byte(tt.data)) {
				// what a decoder took whole is checked alike, without
				// Check's own validity pass
				if got := CheckDecoded([]byte(tt.data)); fmt.Sprint(got) != fmt.Sprint(err) {
					t.Errorf("CheckDecoded = %v, Check = %v: want the same", got, err)
				}
			}
			if tt.wantPath == "" {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			var dup *Error
			if !errors.As(err, &dup) {
				t.Fatalf("Check = %v, want an *Error at %s", err, tt.wantPath)
			}
			if dup.Path != tt.wantPath || dup.Key != tt.wantKey {
				t.Errorf("Check: path %q, key %q; want %q, %q", dup.Path, dup.Key, tt.wantPath, tt.wantKey)
			}
			if want := tt.wantPath + ": the key appears twice in one object"; err.Error() != want {
				t.Errorf("Check: %q, want %q", err, want)
			}
		})
	}
}

func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k`)
		b.WriteString(strings.Repeat("x", i%3))
		b.WriteString(string(rune('0' + i%10)))
		b.WriteString(string(rune('a' + i/10)))
		b.WriteString(`":1`)
	}
	return b.String()
}
