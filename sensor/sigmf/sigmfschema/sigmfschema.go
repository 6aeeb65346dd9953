package sigmfschema

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"regexp"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed sigmf-schema.json
var schemaJSON []byte

// compiled is the schema, compiled once.
var compiled = sync.OnceValues(compile)

func compile() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, fmt.Errorf("sigmf-schema.json: %w", err)
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("sigmf-schema.json: not a JSON object")
	}
	for k, v := range root {
		if k != "$id" {
			dropIDs(v)
		}
	}
	c := jsonschema.NewCompiler()
	c.UseRegexpEngine(relaxedRegexp)
	if err := c.AddResource("sigmf-schema.json", doc); err != nil {
		return nil, fmt.Errorf("sigmf-schema.json: %w", err)
	}
	s, err := c.Compile("sigmf-schema.json")
	if err != nil {
		return nil, fmt.Errorf("sigmf-schema.json: %w", err)
	}
	return s, nil
}

// Check validates the SigMF metadata document meta (the JSON of a
// .sigmf-meta file) against the schema. The error names what does not
// conform.
func Check(meta []byte) error {
	s, err := compiled()
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(meta))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return s.Validate(doc)
}

// CheckFile is Check on the file at path; the error names the file.
func CheckFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := Check(b); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// relaxedRegexp compiles a schema pattern with RE2, relaxing the patterns it
// cannot compile (see the package comment).
func relaxedRegexp(s string) (jsonschema.Regexp, error) {
	if re, err := regexp.Compile(s); err == nil {
		return re, nil
	}
	s = lookAhead.ReplaceAllString(s, "")
	s = backRef.ReplaceAllString(s, "[-:]?")
	return regexp.Compile(s)
}

var (
	lookAhead = regexp.MustCompile(`\(\?![^()]*\)`)
	backRef   = regexp.MustCompile(`\\[1-9][0-9]*`)
)

// dropIDs removes "$id" keys from every object inside v.
func dropIDs(v any) {
	switch v := v.(type) {
	case map[string]any:
		delete(v, "$id")
		for _, e := range v {
			dropIDs(e)
		}
	case []any:
		for _, e := range v {
			dropIDs(e)
		}
	}
}
