package sigmfschema

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name, meta string
		want       string // "" for valid, else a piece of the error
	}{
		{"minimal", `{"global":{"core:datatype":"cf32_le","core:version":"1.0.0"},"captures":[],"annotations":[]}`, ""},
		{"datetime", `{"global":{"core:datatype":"ci8","core:version":"1.0.0","core:sample_rate":2e6},
			"captures":[{"core:sample_start":0,"core:frequency":2.44e9,"core:datetime":"2026-01-02T03:04:05.000006Z"}],
			"annotations":[{"core:sample_start":3,"core:sample_count":4,"core:label":"droneid"}]}`, ""},
		{"no version", `{"global":{"core:datatype":"cf32_le"},"captures":[],"annotations":[]}`, "core:version"},
		{"bad datatype", `{"global":{"core:datatype":"iq8","core:version":"1.0.0"},"captures":[],"annotations":[]}`, "core:datatype"},
		{"negative start", `{"global":{"core:datatype":"cf32_le","core:version":"1.0.0"},"captures":[{"core:sample_start":-1}],"annotations":[]}`, "sample_start"},
		{"bad datetime", `{"global":{"core:datatype":"cf32_le","core:version":"1.0.0"},"captures":[{"core:sample_start":0,"core:datetime":"yesterday"}],"annotations":[]}`, "core:datetime"},
		{"label not text", `{"global":{"core:datatype":"cf32_le","core:version":"1.0.0"},"captures":[],"annotations":[{"core:sample_start":0,"core:label":7}]}`, "core:label"},
		{"not JSON", `{"global":`, "not JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Check([]byte(tc.meta))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("valid metadata rejected: %v", err)
			case tc.want != "" && err == nil:
				t.Errorf("invalid metadata accepted, want an error naming %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("error %q does not name %q", err, tc.want)
			}
		})
	}
}

func TestCheckFileNamesTheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.sigmf-meta")
	if err := os.WriteFile(p, []byte(`{"global":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	err := CheckFile(p)
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("CheckFile(%s) = %v, want an error naming the file", p, err)
	}
	if err := CheckFile(filepath.Join(t.TempDir(), "absent")); err == nil {
		t.Error("CheckFile of a missing file: no error")
	}
}
