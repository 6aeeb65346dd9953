package yamlstrict

import (
	"errors"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// At returns an error about the value at key in the YAML document data,
// for a value that decoded but does not validate, reported as Decode
// reports its own errors:
//
//	[6:13] bands[0].low_hz: 0.88 Hz is below 1 MHz
//	>  6 |     low_hz: 0.88
//	                   ^
//
// key is the path as written in the file: names joined by dots, list
// items by [index] (mqtt.url, bands[2].low_hz). A key the document does
// not hold (its default was refused) or a document that does not parse
// gives "key: msg", without a position. A URL it quotes is hidden as
// Decode's errors hide it.
func At(data []byte, key, msg string) error {
	return hidden(at(data, key, msg))
}

func at(data []byte, key, msg string) error {
	if n := find(data, key); n != nil {
		return located(n, msg)
	}
	return errors.New(key + ": " + msg)
}

// Has reports whether the YAML document data holds key (a path as At
// takes it): an error about two settings, one of them left to its
// default, points to the one the file gives.
func Has(data []byte, key string) bool {
	return find(data, key) != nil
}

// find returns the node of the value at key in data, or nil when the
// document does not hold it or does not parse.
func find(data []byte, key string) (n ast.Node) {
	defer func() {
		// the YAML library panics on some documents (see Decode)
		if recover() != nil {
			n = nil
		}
	}()
	p, err := yaml.PathString("$." + key)
	if err != nil {
		return nil
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil
	}
	n, err = p.FilterFile(file)
	if err != nil || n == nil || n.GetToken() == nil {
		return nil
	}
	return n
}
