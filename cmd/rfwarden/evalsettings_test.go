package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvalSettingsRecordIncludeOwnAndVerify: --include-own scores rfwarden
// against its own earlier detections (agreement, not correctness) and
// --verify=false scores data whose hash is known to be stale, yet neither
// is recorded: the JSON's settings and the text's header read the same as
// for an evaluation against a site's own truth. A report handed on from
// the JSON cannot tell a self-agreement run from a real one.
func TestEvalSettingsRecordIncludeOwnAndVerify(t *testing.T) {
	dir := t.TempDir()
	writeLabelledLTE(t, dir)
	for _, tc := range []struct {
		name string
		args []string
		key  string
		want any
	}{
		{"include own", []string{"--include-own"}, "include_own", true},
		{"no verify", []string{"--verify=false"}, "verify", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jsonPath := filepath.Join(t.TempDir(), "ev.json")
			var stdout, stderr bytes.Buffer
			args := append([]string{"eval", "--corpus", dir, "--cases", "0", "--noise-cases", "0", "--json", jsonPath}, tc.args...)
			if err := run(context.Background(), args, &stdout, &stderr); err != nil {
				t.Fatalf("eval: %v\n%s", err, stderr.String())
			}
			raw, err := os.ReadFile(jsonPath)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Settings map[string]any `json:"settings"`
			}
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			if got, ok := doc.Settings[tc.key]; !ok || got != tc.want {
				t.Errorf("JSON settings %v: %q is %v, want %v", doc.Settings, tc.key, got, tc.want)
			}
			flag := strings.TrimPrefix(tc.args[0], "--")
			if !strings.Contains(stdout.String(), flag) {
				t.Errorf("the text does not say the run used %s:\n%s", tc.args[0], firstLines(stdout.String(), 3))
			}
		})
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}
