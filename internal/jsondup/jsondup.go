package jsondup

import (
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

// frame is an object or array the scan is in: an object's keys so far
// and the last, or the index of an array's element.
type frame struct {
	array bool
	index int
	key   string
	keys  map[string]struct{}
}

func scan(data []byte) error {
	var stack []frame
	push := func(array bool) {
		if len(stack) < cap(stack) {
			stack = stack[:len(stack)+1]
			f := &stack[len(stack)-1]
			keys := f.keys
			if len(keys) > 64 {
				keys = nil // not cleared for every small object after it
			}
			clear(keys)
			*f = frame{array: array, keys: keys}
			return
		}
		stack = append(stack, frame{array: array})
	}
	where := func(key string) string {
		var b strings.Builder
		for _, f := range stack[:len(stack)-1] {
			if f.array {
				fmt.Fprintf(&b, "[%d]", f.index)
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(key)
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
			var key string
			if escaped {
				json.Unmarshal(raw, &key) // valid JSON: a valid string
			} else {
				key = string(raw[1 : len(raw)-1])
			}
			f := &stack[len(stack)-1]
			if _, dup := f.keys[key]; dup {
				return &Error{Key: key, Path: where(key)}
			}
			if f.keys == nil {
				f.keys = map[string]struct{}{}
			}
			f.keys[key] = struct{}{}
			f.key = key
		default:
			i++
		}
	}
	return nil
}
