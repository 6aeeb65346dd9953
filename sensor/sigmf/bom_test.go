package sigmf

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestOpenWithByteOrderMark: metadata starting with a UTF-8 byte-order
// mark opens, and the values given for it (scan --datatype, --rate,
// --override) still find its global object: an override mends it, and a
// value that disagrees is refused, as without the mark.
func TestOpenWithByteOrderMark(t *testing.T) {
	const meta = "\uFEFF{\"global\":{\"core:datatype\":\"ci12_le\",\"core:sample_rate\":1e6,\"core:version\":\"1.2.0\"},\"captures\":[{\"core:sample_start\":0,\"core:frequency\":2.44e9}],\"annotations\":[]}"
	base := filepath.Join(t.TempDir(), "bom")
	writePair(t, base, meta, make([]byte, 40))
	if _, err := Open(base + MetaExt); !errors.Is(err, ErrDatatype) {
		t.Errorf("Open of a ci12_le recording: %v, want ErrDatatype", err)
	}
	r, err := OpenWith(base+MetaExt, Overrides{Datatype: "ci8"})
	if err != nil {
		t.Fatalf("OpenWith datatype ci8: %v", err)
	}
	if r.Datatype() != "ci8" || r.NumSamples() != 20 {
		t.Errorf("opened as %s with %d samples, want ci8 and 20", r.Datatype(), r.NumSamples())
	}
	r.Close()
	if _, err := OpenWith(base+MetaExt, Overrides{Datatype: "ci8", MustAgree: true}); !errors.Is(err, ErrOverride) {
		t.Errorf("OpenWith a datatype the metadata disagrees with: %v, want ErrOverride", err)
	}
}
