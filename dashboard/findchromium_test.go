package dashboard

import (
	"errors"
	"strings"
	"testing"
)

// TestFindChromium checks where the browser tests look for chromium: the
// RFW_CHROMIUM override alone when set, else chromium and chromium-browser in
// PATH, else /usr/bin/chromium; a miss gives a skip reason that says what to
// do.
func TestFindChromium(t *testing.T) {
	tests := []struct {
		name     string
		override string
		have     []string // what lookPath finds
		wantPath string
		wantSkip string // substring of the skip reason; "" for none
	}{
		{"debian name", "", []string{"chromium", "chromium-browser"}, "/found/chromium", ""},
		{"ubuntu name", "", []string{"chromium-browser"}, "/found/chromium-browser", ""},
		{"fixed path last", "", []string{"/usr/bin/chromium"}, "/found//usr/bin/chromium", ""},
		{"override wins", "/opt/chrome/chrome", []string{"chromium", "/opt/chrome/chrome"}, "/found//opt/chrome/chrome", ""},
		{"override missing does not fall back", "/nowhere/chrome", []string{"chromium"}, "", "RFW_CHROMIUM=/nowhere/chrome"},
		{"none", "", nil, "", "run scripts/install-deps.sh"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			look := func(name string) (string, error) {
				for _, h := range tc.have {
					if h == name {
						return "/found/" + name, nil
					}
				}
				return "", errors.New("not found")
			}
			path, skip := findChromium(tc.override, look)
			if path != tc.wantPath {
				t.Errorf("path = %q, want %q", path, tc.wantPath)
			}
			if (tc.wantSkip == "") != (skip == "") || !strings.Contains(skip, tc.wantSkip) {
				t.Errorf("skip = %q, want it to contain %q", skip, tc.wantSkip)
			}
		})
	}
}
