package jsondup

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Error is a key given twice in one object.
type Error struct {
	// Key is the key, unescaped.
	Key string
	// Path names where it is: the keys of the objects around it joined
	// by '.', an array's element by its index in brackets, then the key
	// ("captures[1].core:frequency").
	Path string
}

// Error says which key is given twice and where.
func (e *Error) Error() string {
	return fmt.Sprintf("%s: the key appears twice in one object", e.Path)
}

// Check returns an *Error for the first key given twice in one object of
// data, or nil. Keys are compared as encoding/json reads them, escapes
// resolved ("a_b" and "a\u005fb" are one key). Data that is not valid
// JSON gives nil: the decoder reports it.
func Check(data []byte) error {
	if !json.Valid(data) { // the scan below relies on it
		return nil
	}
	return scan(data)
}

// CheckDecoded is Check for data a JSON decoder has already taken whole
// (one value and nothing after it but spaces, so valid JSON): it skips
// Check's own json.Valid pass over the data, which the decoder made
// already. Package event calls it after decoding each payload.
func CheckDecoded(data []byte) error {
	return scan(data)
}

// smallKeys is how many keys of an object the scan compares one by one
// before it puts them in a map: an event payload's objects have at most
// about 20, and a map of them cost as much as the rest of decoding.
const smallKeys = 24

// frame is an object or array the scan is in: an object's keys so far
// and the last, or the index of an array's element. Keys are the bytes
// of data between the quotes, or their unescaped copy.
type frame struct {
	array  bool
	index  int
	key    []byte
	small  [][]byte            // the keys, while at most smallKeys
	keys   map[string]struct{} // the keys, once more
	mapped bool                // keys holds them, small no longer
}

func scan(data []byte) error {
	var stack []frame
	push := func(array bool) {
		if len(stack) < cap(stack) {
			stack = stack[:len(stack)+1]
			f := &stack[len(stack)-1]
			small, keys := f.small[:0], f.keys
			if len(keys) > 64 {
				keys = nil // not cleared for every small object after it
			}
			clear(keys)
			*f = frame{array: array, small: small, keys: keys}
			return
		}
		stack = append(stack, frame{array: array})
	}
	where := func(key []byte) string {
		var b strings.Builder
		for _, f := range stack[:len(stack)-1] {
			if f.array {
				fmt.Fprintf(&b, "[%d]", f.index)
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.Write(f.key)
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.Write(key)
		return b.String()
	}
	for i := 0; i < len(data); {
		switch data[i] {
		case '{', '[':
			push(data[i] == '[')
			i++
		case '}', ']':
			stack = stack[:len(stack)-1]
			i++
		case ',':
			if f := &stack[len(stack)-1]; f.array {
				f.index++
			}
			i++
		case '"':
			j, escaped := i+1, false
			for data[j] != '"' { // valid JSON: the string ends
				if data[j] == '\\' {
					escaped = true
					j++
				}
				j++
			}
			raw := data[i : j+1]
			i = j + 1
			for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
				i++
			}
			if i == len(data) || data[i] != ':' {
				continue // a value, not a key
			}
			key := raw[1 : len(raw)-1]
			if escaped {
				var s string
				json.Unmarshal(raw, &s) // valid JSON: a valid string
				key = []byte(s)
			}
			f := &stack[len(stack)-1]
			if f.has(key) {
				return &Error{Key: string(key), Path: where(key)}
			}
			f.key = key
		default:
			i++
		}
	}
	return nil
}

// has reports whether the object f has key already, and adds it if not.
func (f *frame) has(key []byte) bool {
	if !f.mapped {
		for _, k := range f.small {
			if bytes.Equal(k, key) {
				return true
			}
		}
		if len(f.small) < smallKeys {
			if f.small == nil {
				f.small = make([][]byte, 0, smallKeys)
			}
			f.small = append(f.small, key)
			return false
		}
		if f.keys == nil {
			f.keys = make(map[string]struct{}, 2*smallKeys)
		}
		for _, k := range f.small {
			f.keys[string(k)] = struct{}{}
		}
		f.small, f.mapped = f.small[:0], true
	}
	if _, dup := f.keys[string(key)]; dup {
		return true
	}
	f.keys[string(key)] = struct{}{}
	return false
}
