package pipeline

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// TestSiteAnnotatedMetaKeepsExtensions: recordings made with SigMF tools
// before 1.0 (gr-sigmf, early sigmf-python) declare their extensions as
// an object, {"antenna": "optional"}, not 1.x's array of {name, version,
// optional}. `rfwarden scan --annotate` replaced that value with its own
// [{"name": "rfw", ...}], so the antenna declaration of the site's file was
// lost without a word ("nothing is lost", STYLE.md); the array form is
// kept. Whatever form it writes, the declarations the input had should be
// in the output beside rfw's.
func TestSiteAnnotatedMetaKeepsExtensions(t *testing.T) {
	m := sigmf.Meta{Global: sigmf.Global{Datatype: "cf32_le", SampleRateHz: 1e6, Version: "1.0.0",
		Extra: map[string]any{"core:extensions": map[string]any{"antenna": "optional"}}}}
	got := fmt.Sprint(AnnotatedMeta(m, "", nil).Global.Extra["core:extensions"])
	if !strings.Contains(got, "antenna") || !strings.Contains(got, "rfw") {
		t.Errorf("core:extensions written %s; want the input's antenna declaration kept beside rfw's", got)
	}
}
