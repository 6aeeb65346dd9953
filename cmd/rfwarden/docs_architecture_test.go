package main

import (
	"errors"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const modulePath = "github.com/rfwarden/rfwarden"

// modulePackages returns every package of the module that `go list ./...`
// lists (a directory with a buildable non-test Go file, outside testdata and
// folders starting with . or _), each with its non-test imports within the
// module, both without the module path.
func modulePackages(t *testing.T, root string) map[string][]string {
	t.Helper()
	pkgs := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		p, err := build.Default.ImportDir(path, 0)
		var noGo *build.NoGoError
		if errors.As(err, &noGo) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		var ours []string
		for _, imp := range p.Imports {
			if s, ok := strings.CutPrefix(imp, modulePath+"/"); ok {
				ours = append(ours, s)
			}
		}
		slices.Sort(ours)
		pkgs[filepath.ToSlash(rel)] = ours
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

var tableRow = regexp.MustCompile("^\\| `([^`]+)` \\|[^|]*\\| (.*) \\|$")

// TestArchitectureTableListsEveryPackage checks docs/architecture.md's
// package table against the code: every package of the module has a row,
// every row names a package, and a row's last column lists exactly the
// package's non-test imports within the module ("none" for none), so the
// table a newcomer reads cannot drift from the code.
func TestArchitectureTableListsEveryPackage(t *testing.T) {
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "## Packages and the direction of imports")
	if !ok {
		t.Fatal("docs/architecture.md has no section \"Packages and the direction of imports\"")
	}
	section, _, _ = strings.Cut(section, "\n## ")

	pkgs := modulePackages(t, root)
	if len(pkgs) < 40 {
		t.Fatalf("found %d packages under %s, want the whole module", len(pkgs), root)
	}
	rows := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		m := tableRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		pkg, col := m[1], m[2]
		if rows[pkg] {
			t.Errorf("package %s has two rows", pkg)
		}
		rows[pkg] = true
		want, ok := pkgs[pkg]
		if !ok {
			t.Errorf("row %s names no package of the module", pkg)
			continue
		}
		var got []string
		if col != "none" {
			for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(col, -1) {
				got = append(got, m[1])
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("row %s lists imports %v, the package imports %v", pkg, got, want)
		}
	}
	for pkg := range pkgs {
		if !rows[pkg] {
			t.Errorf("package %s has no row in docs/architecture.md's package table", pkg)
		}
	}
}
