package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// codeBlocks returns the fenced code blocks of markdown text, each as its
// lines with the indentation of a list item taken off.
func codeBlocks(text string) [][]string {
	var blocks [][]string
	var cur []string
	in := false
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "```") {
			if in {
				blocks = append(blocks, cur)
			}
			in, cur = !in, nil
			continue
		}
		if in {
			cur = append(cur, l)
		}
	}
	return blocks
}

// TestACLDocMatchesFile checks the ACL lines docs/deploy.md section 3
// quotes against deploy/mosquitto/rfwarden.acl: its pattern lines are the
// file's, and the recipe for a node with its own user block gives each of
// them as a topic line. The doc listed five of the six, and the recipe
// only the sensor's topics, so a node set up by it had its evidence
// snippets dropped by Mosquitto without an error.
func TestACLDocMatchesFile(t *testing.T) {
	acl, err := os.ReadFile(filepath.Join("mosquitto", "rfwarden.acl"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(acl), "\n") {
		if strings.HasPrefix(l, "pattern ") {
			patterns = append(patterns, strings.TrimSpace(l))
		}
	}
	if len(patterns) == 0 {
		t.Fatal("rfwarden.acl has no pattern line")
	}
	doc, err := os.ReadFile(filepath.Join("..", "docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(doc), "## 3. Adding a node")
	if !ok {
		t.Fatal("docs/deploy.md has no section 3. Adding a node")
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	var docPatterns, recipe []string
	for _, b := range codeBlocks(sec) {
		switch {
		case len(b) > 0 && strings.HasPrefix(b[0], "pattern "):
			docPatterns = b
		case len(b) > 0 && strings.HasPrefix(b[0], "user NAME"):
			recipe = b[1:]
		}
	}
	if !slices.Equal(docPatterns, patterns) {
		t.Errorf("docs/deploy.md section 3 quotes the pattern lines\n%s\nrfwarden.acl has\n%s",
			strings.Join(docPatterns, "\n"), strings.Join(patterns, "\n"))
	}
	var want []string
	for _, p := range patterns {
		want = append(want, strings.ReplaceAll(strings.Replace(p, "pattern ", "topic ", 1), "%u", "ID"))
	}
	if !slices.Equal(recipe, want) {
		t.Errorf("docs/deploy.md section 3's user NAME block is\n%s\nwant the pattern lines as topic lines\n%s",
			strings.Join(recipe, "\n"), strings.Join(want, "\n"))
	}
}
