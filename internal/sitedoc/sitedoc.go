// Package sitedoc gives tests the example site of docs/site.md, the
// page's only yaml block, so that the page's example is what they test
// (fusion --check, the simulator's FromSite, the sensor's sim source).
package sitedoc

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// yamlBlock is a fenced yaml block of a Markdown page.
var yamlBlock = regexp.MustCompile("(?ms)^```yaml\n(.*?)^```$")

// Example returns docs/site.md under the module root root (a test's
// relative path to it, e.g. "../..") and its example site, failing tb
// unless the page has exactly one yaml block.
func Example(tb testing.TB, root string) (doc, example []byte) {
	tb.Helper()
	doc, err := os.ReadFile(filepath.Join(root, "docs", "site.md"))
	if err != nil {
		tb.Fatal(err)
	}
	blocks := yamlBlock.FindAllSubmatch(doc, -1)
	if len(blocks) != 1 {
		tb.Fatalf("docs/site.md has %d yaml blocks, want the example alone", len(blocks))
	}
	return doc, blocks[0][1]
}
