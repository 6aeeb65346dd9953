package classify

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestClassifierTableDocumented: docs/classifiers.md's classifier table
// (| # | classifier | emitter | rule ...) has one row per classifier of
// table(), numbered 1, 2, ... and named in table()'s order, which is the
// order Classify tries them. A classifier added, renamed or moved in the
// code and not in the doc fails here.
func TestClassifierTableDocumented(t *testing.T) {
	data, err := os.ReadFile("../../docs/classifiers.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(data), "\n| # | classifier | emitter |")
	if !ok {
		t.Fatal(`docs/classifiers.md has no classifier table ("| # | classifier | emitter | ...")`)
	}
	row := regexp.MustCompile("^\\| (\\d+) \\| `([^`]+)` \\|")
	var names []string
	for _, line := range strings.Split(sec, "\n")[2:] { // past the header's end and the |---| line
		if !strings.HasPrefix(line, "|") {
			break
		}
		m := row.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("classifier table row %.60q... is not | N | `name` | ...", line)
			continue
		}
		if n, _ := strconv.Atoi(m[1]); n != len(names)+1 {
			t.Errorf("row `%s` is numbered %s, want %d", m[2], m[1], len(names)+1)
		}
		names = append(names, m[2])
	}
	var want []string
	for _, c := range table() {
		want = append(want, c.Name)
	}
	if !slices.Equal(names, want) {
		t.Errorf("docs/classifiers.md's classifier table lists\n%v\nwant table()'s order\n%v", names, want)
	}
}
