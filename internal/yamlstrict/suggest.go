package yamlstrict

import (
	"fmt"
	"reflect"
	"strings"
)

// unknownKeyHint is what to add to the decoder's `unknown field "key"`
// about the key at path (goccy's "$.a.b[2].key") of a document decoded
// into t: `; did you mean "history_days"?` when one key of the struct it
// is in is a typo away (suggest), else "". Until 2026-12-07 a misspelt
// fusion.yaml key (`histroy_days`) was refused with no hint, where the
// dashboard's environment names the variable meant (TestDecode).
func unknownKeyHint(path string, t reflect.Type) string {
	segs := pathKeys(path)
	if len(segs) == 0 {
		return ""
	}
	key := segs[len(segs)-1]
	for _, s := range segs[:len(segs)-1] {
		t = step(t, s)
		if t == nil {
			return ""
		}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return ""
	}
	var names []string
	for k := range keys(t) {
		names = append(names, k)
	}
	if best := suggest(key, names); best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return ""
}

// pathKeys splits goccy's path "$.a.b[2].c" into "a", "b", "[2]", "c".
func pathKeys(path string) []string {
	path = strings.TrimPrefix(path, "$")
	var out []string
	for _, part := range strings.Split(path, ".") {
		for part != "" {
			i := strings.IndexByte(part, '[')
			switch {
			case i < 0:
				out, part = append(out, part), ""
			case i > 0:
				out, part = append(out, part[:i]), part[i:]
			default:
				j := strings.IndexByte(part, ']')
				if j < 0 {
					return nil
				}
				out, part = append(out, part[:j+1]), part[j+1:]
			}
		}
	}
	return out
}

// step is the type a value of type t holds under seg: a struct's field,
// a slice's or array's element ("[2]"), a map's value; nil when none.
func step(t reflect.Type, seg string) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case strings.HasPrefix(seg, "["):
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			return t.Elem()
		}
	case t.Kind() == reflect.Map:
		return t.Elem()
	case t.Kind() == reflect.Struct:
		if f, ok := field(t, seg); ok {
			return f.Type
		}
	}
	return nil
}

// suggest returns the one key of keys closest to key by optimal string
// alignment distance (a letter changed, added, removed, or two swapped),
// letter case aside: the same key in other case; one edit away for a key
// of 3 to 5 letters, two for a longer one. It returns "" when no key is
// that close, or two are equally close.
func suggest(key string, keys []string) string {
	most := 0
	switch {
	case len(key) >= 6:
		most = 2
	case len(key) >= 3:
		most = 1
	}
	best, bestD, tie := "", most+1, false
	for _, k := range keys {
		d := osaDistance(strings.ToLower(key), k)
		switch {
		case d < bestD:
			best, bestD, tie = k, d, false
		case d == bestD:
			tie = true
		}
	}
	if tie || best == "" {
		return ""
	}
	return best
}

// osaDistance is the optimal string alignment distance of a and b, in
// bytes: the edits (change, insert, delete, swap of neighbours) that
// make one the other.
func osaDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
