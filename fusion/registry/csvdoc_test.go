package registry

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

// TestCSVHeaderDocumented: docs/alerts.md's "The registry's CSV" gives
// the export's header row as it is, a table row for each column in its
// order, and the kinds and classes the import takes. The format was in
// no doc: an admin writing a file by hand read it off an export.
func TestCSVHeaderDocumented(t *testing.T) {
	data, err := os.ReadFile("../../docs/alerts.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(data), "**The registry's CSV.**")
	if !ok {
		t.Fatal(`docs/alerts.md has no "**The registry's CSV.**" paragraph`)
	}
	sec, _, _ = strings.Cut(sec, "\nThe CSV export writes")
	if !slices.Contains(strings.Split(sec, "\n"), strings.Join(csvHeader, ",")) {
		t.Errorf("the section does not give the header row %q", strings.Join(csvHeader, ","))
	}
	code := regexp.MustCompile("`([^`]+)`")
	var cols []string
	cells := map[string]string{} // a column's row, by its first column name
	for _, line := range strings.Split(sec, "\n") {
		first, rest, ok := strings.Cut(strings.TrimPrefix(line, "| "), " | ")
		if !strings.HasPrefix(line, "| `") || !ok {
			continue
		}
		for _, m := range code.FindAllStringSubmatch(first, -1) {
			cols = append(cols, m[1])
			cells[m[1]] = rest
		}
	}
	if !slices.Equal(cols, csvHeader) {
		t.Errorf("the table's columns are\n%v\nwant the export's header\n%v", cols, csvHeader)
	}
	listed := func(col string) []string {
		var out []string
		for _, m := range code.FindAllStringSubmatch(cells[col], -1) {
			out = append(out, m[1])
		}
		return out
	}
	if got := listed("kind"); !slices.Equal(got, Kinds) {
		t.Errorf("kind lists %v, want %v", got, Kinds)
	}
	if got := listed("class"); !slices.Equal(got, event.Classes) {
		t.Errorf("class lists %v, want %v", got, event.Classes)
	}
}
