package yamlstrict

import (
	"errors"

	"github.com/goccy/go-yaml"
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

func at(data []byte, key, msg string) (err error) {
	plain := errors.New(key + ": " + msg)
	defer func() {
		// the YAML library panics on some documents (see Decode)
		if recover() != nil {
			err = plain
		}
	}()
	p, perr := yaml.PathString("$." + key)
	if perr != nil {
		return plain
	}
	file, perr := parser.ParseBytes(data, 0)
	if perr != nil {
		return plain
	}
	n, perr := p.FilterFile(file)
	if perr != nil || n == nil || n.GetToken() == nil {
		return plain
	}
	return located(n, msg)
}
