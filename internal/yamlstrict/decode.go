package yamlstrict

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
	"github.com/rfwarden/rfwarden/internal/redact"
)

// Decode decodes data into v (a pointer) strictly. An error names the
// line, column and key of the problem and shows its line:
//
//	[2:15] assoc_window: time: missing unit in duration "500"
//	>  2 | assoc_window: 500
//	                     ^
//
// goccy/go-yaml reports a type mismatch with the Go struct field of the
// parent (Config.MQTT for mqtt.max_inflight) and a time.Duration, or a
// type's own UnmarshalYAML, that does not parse with no position at all;
// Decode finds the node in the document and names it instead. The YAML
// library panics on some malformed documents (found by fuzzing); the panic
// becomes an error. A URL the error quotes, in its words or in the line
// it shows, has its password and tokens hidden (redact.Text): the line
// of a broker URL printed its password to the journal
// (TestErrorsHideURLPasswords). A document after the first ("---") is
// refused: the decoder read the first alone, and a second's keys were
// ignored without a word.
func Decode(data []byte, v any) error {
	if err := decode(data, v); err != nil {
		return hidden(err)
	}
	return nil
}

// hidden is err with the URLs it quotes hidden (redact.Text).
func hidden(err error) error {
	return errors.New(redact.Text(err.Error()))
}

func decode(data []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed yaml: %v", r)
		}
	}()
	err = yaml.UnmarshalWithOptions(data, v, yaml.Strict())
	if err == nil {
		if err := oneDocument(data); err != nil {
			return err
		}
		return wholeNumbers(data, reflect.TypeOf(v))
	}
	return locate(data, reflect.TypeOf(v), err)
}

// wholeNumbers refuses a document the decoder took without an error but
// not as written: a number with a fraction for an integer field, which
// goccy/go-yaml truncates (history_days: 1.5 kept 1 day). It names the
// key and position as locate does.
func wholeNumbers(data []byte, t reflect.Type) error {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil // decoded already: what the decoder took stands
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for _, doc := range file.Docs {
		if n, msg := firstBad(doc.Body, t); n != nil {
			return located(n, msg)
		}
	}
	return nil
}

// oneDocument refuses data holding a second YAML document with anything
// in it, naming its line: a configuration is one document, and the
// decoder read only the first (a "---" and a broker after a fusion.yaml
// were ignored). Documents that hold nothing (a "---" at the end) pass.
func oneDocument(data []byte) error {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil // decoded already: what the decoder took stands
	}
	seen := false
	for _, doc := range file.Docs {
		if doc.Body == nil {
			continue
		}
		if seen {
			return located(doc.Body, "a second YAML document: a configuration is one document; remove the \"---\" before it, or merge it into the first")
		}
		seen = true
	}
	return nil
}

var durationType = reflect.TypeFor[time.Duration]()

// locate rewrites err, the decoder's, to name the key and position of the
// node it is about: the node of its token, or, for an error without one,
// the first value in the document that does not decode into its field's
// type by that type's own parser (a duration, an UnmarshalYAML).
func locate(data []byte, t reflect.Type, err error) error {
	file, perr := parser.ParseBytes(data, 0)
	if perr != nil || len(file.Docs) == 0 {
		return formatted(err)
	}
	var yerr yaml.Error
	if errors.As(err, &yerr) && yerr.GetToken() != nil {
		n := nodeOf(file, yerr.GetToken())
		if n == nil {
			return formatted(err)
		}
		msg := yerr.GetMessage()
		var te *yaml.TypeError
		if errors.As(err, &te) {
			msg = fmt.Sprintf("cannot unmarshal %s into %s", te.SrcType, te.DstType)
			if te.DstType == durationType {
				msg = durationMessage(n)
			}
		}
		if strings.HasPrefix(msg, "unknown field ") {
			msg += unknownKeyHint(n.GetPath(), t)
		}
		return located(n, msg)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for _, doc := range file.Docs {
		if n, msg := firstBad(doc.Body, t); n != nil {
			return located(n, msg)
		}
	}
	return err
}

// formatted is err with its position and line when it has them.
func formatted(err error) error {
	var yerr yaml.Error
	if errors.As(err, &yerr) {
		return errors.New(yerr.FormatError(false, true))
	}
	return err
}

// located is an error about node n: its position, its key path, msg and
// its line.
func located(n ast.Node, msg string) error {
	path := strings.TrimPrefix(strings.TrimPrefix(n.GetPath(), "$"), ".")
	if path != "" {
		msg = path + ": " + msg
	}
	return errors.New(yaml.FormatErrorWithToken(msg, n.GetToken(), false, true))
}

// durationMessage is why the scalar n is not a Go duration.
func durationMessage(n ast.Node) string {
	s := strings.Trim(strings.TrimSpace(n.String()), `"'`)
	if _, err := time.ParseDuration(s); err != nil {
		return err.Error() + " (a Go duration: 500ms, 10s, 2m)"
	}
	return fmt.Sprintf("%q is not a duration", s)
}

// nodeOf returns the innermost node of file whose token is at tk's
// position (file is a parse of its own, so the tokens are not tk); nil
// when none is.
func nodeOf(file *ast.File, tk *token.Token) ast.Node {
	var found ast.Node
	for _, doc := range file.Docs {
		ast.Walk(visitor(func(n ast.Node) bool {
			if found != nil {
				return false
			}
			if nt := n.GetToken(); nt != nil && nt.Position.Line == tk.Position.Line && nt.Position.Column == tk.Position.Column && nt.Value == tk.Value {
				found = n
				return false
			}
			return true
		}), doc)
	}
	return found
}

type visitor func(ast.Node) bool

func (f visitor) Visit(n ast.Node) ast.Visitor {
	if f(n) {
		return f
	}
	return nil
}

// firstBad walks n as the YAML of a value of type t and returns the first
// scalar that t's parser for it refuses (a time.Duration's, a type's
// UnmarshalYAML(bytes)), or a number with a fraction for an integer, with
// why.
func firstBad(n ast.Node, t reflect.Type) (ast.Node, string) {
	if n == nil {
		return nil, ""
	}
	if a, ok := n.(*ast.AnchorNode); ok {
		n = a.Value
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == durationType {
		if _, ok := n.(ast.ScalarNode); ok && n.Type() != ast.NullType {
			s := strings.Trim(strings.TrimSpace(n.String()), `"'`)
			if _, err := time.ParseDuration(s); err != nil {
				return n, err.Error() + " (a Go duration: 500ms, 10s, 2m)"
			}
		}
		return nil, ""
	}
	if u, ok := reflect.New(t).Interface().(yaml.BytesUnmarshaler); ok {
		if _, scalar := n.(ast.ScalarNode); scalar && n.Type() != ast.NullType {
			if err := u.UnmarshalYAML([]byte(n.String())); err != nil {
				return n, err.Error()
			}
		}
		return nil, ""
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if f, ok := n.(*ast.FloatNode); ok && f.Value != math.Trunc(f.Value) {
			return n, fmt.Sprintf("%s is not a whole number", strings.TrimSpace(n.String()))
		}
	case reflect.Struct:
		for _, kv := range pairs(n) {
			if f, ok := field(t, kv.Key.GetToken().Value); ok {
				if bad, msg := firstBad(kv.Value, f.Type); bad != nil {
					return bad, msg
				}
			}
		}
	case reflect.Map:
		for _, kv := range pairs(n) {
			if bad, msg := firstBad(kv.Value, t.Elem()); bad != nil {
				return bad, msg
			}
		}
	case reflect.Slice, reflect.Array:
		if seq, ok := n.(*ast.SequenceNode); ok {
			for _, v := range seq.Values {
				if bad, msg := firstBad(v, t.Elem()); bad != nil {
					return bad, msg
				}
			}
		}
	}
	return nil, ""
}

// pairs returns the key-value pairs of a mapping node (goccy parses a
// mapping of one pair as the pair alone).
func pairs(n ast.Node) []*ast.MappingValueNode {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}
	}
	return nil
}

// field returns the field of struct t that the YAML key name decodes
// into (keys).
func field(t reflect.Type, name string) (reflect.StructField, bool) {
	for key, f := range keys(t) {
		if key == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// keys yields the YAML keys of struct t and their fields: a field's yaml
// tag's name, else its name in lower case (goccy's rule), those of
// embedded and ",inline" structs in their place.
func keys(t reflect.Type) iter.Seq2[string, reflect.StructField] {
	return func(yield func(string, reflect.StructField) bool) {
		keysOf(t, yield)
	}
}

// keysOf yields t's keys to yield (keys), and reports whether yield
// asked for more.
func keysOf(t reflect.Type, yield func(string, reflect.StructField) bool) bool {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "-" {
			continue
		}
		if (f.Anonymous && tag == "") || strings.Contains(","+opts+",", ",inline,") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && !keysOf(ft, yield) {
				return false
			}
			continue
		}
		if tag == "" {
			tag = strings.ToLower(f.Name)
		}
		if !yield(tag, f) {
			return false
		}
	}
	return true
}
