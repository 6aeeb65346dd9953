package sigmf

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmfschema"
)

// TestWriterCaptureExtra checks SetCaptureExtra: a key set on each capture
// (the receive gain of that tuning) is written on that capture only, a
// capture's rfw: key alone declares the rfw extension, and the output
// passes the official schema.
func TestWriterCaptureExtra(t *testing.T) {
	base := filepath.Join(t.TempDir(), "w")
	w, err := NewWriter(base, "ci8", 1e6, 2.44e9, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	w.SetCaptureExtra("rfw:gain_db", 40.0)
	if err := w.Write(randomSamples(100, 1)); err != nil {
		t.Fatal(err)
	}
	w.Retune(2.44e9, time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC))
	w.SetCaptureExtra("rfw:gain_db", 32.0)
	if err := w.Write(randomSamples(100, 2)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	m, err := ReadMeta(base + MetaExt)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Captures) != 2 {
		t.Fatalf("%d captures, want 2", len(m.Captures))
	}
	for i, want := range []string{"40", "32"} {
		if got := m.Captures[i].Extra["rfw:gain_db"]; got != json.Number(want) {
			t.Errorf("captures[%d] rfw:gain_db = %v, want %s", i, got, want)
		}
	}
	exts, _ := m.Global.Extra["core:extensions"].([]any)
	declared := false
	for _, e := range exts {
		if em, ok := e.(map[string]any); ok && em["name"] == "rfw" {
			declared = true
		}
	}
	if !declared {
		t.Errorf("core:extensions %v does not declare rfw, which the captures use", m.Global.Extra["core:extensions"])
	}
	if err := sigmfschema.CheckFile(base + MetaExt); err != nil {
		t.Errorf("fails the SigMF schema: %v", err)
	}
}
