package sigmf

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// LooksLikeMeta reports whether r holds SigMF metadata rather than
// samples: a JSON object (after an optional UTF-8 byte order mark) with a
// "global" member. Raw IQ may start with '{' (0x7B), so the first byte
// alone is not enough; the JSON is decoded, which stops at the first byte
// that is not JSON, and at most MaxMetaBytes are read.
func LooksLikeMeta(r io.Reader) bool {
	br := bufio.NewReader(io.LimitReader(r, MaxMetaBytes))
	if b, err := br.Peek(len(utf8BOM)); err == nil && string(b) == utf8BOM {
		br.Discard(len(utf8BOM))
	}
	var top map[string]json.RawMessage
	if err := json.NewDecoder(br).Decode(&top); err != nil {
		return false
	}
	_, ok := top["global"]
	return ok
}

// MisnamedMeta is the error, wrapping ErrLooksLikeMeta, for the
// metadata file at path given as raw samples: it says what to name it,
// its extension replaced ("rec.sigmf-meta.json", "rec.json": rec.sigmf-meta,
// its samples in rec.sigmf-data).
func MisnamedMeta(path string) error {
	base := filepath.Base(path)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	if ext := filepath.Ext(base); strings.EqualFold(ext, MetaExt) {
		base = strings.TrimSuffix(base, ext)
	}
	return fmt.Errorf("%q %w (JSON text): name it %s, with its samples beside it in %s", path, ErrLooksLikeMeta, base+MetaExt, base+DataExt)
}
