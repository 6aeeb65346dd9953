package storetest

import (
	"bytes"
	"database/sql"
	"os"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// DamagePage overwrites a page of the B-tree name (a table or an index)
// in the closed SQLite database at path, with a pattern no B-tree page
// has, and returns its number: the second of its leaf pages, or its
// only one, so the file's header and schema stay whole. The tree must
// span two pages for the damage to be in the middle of it.
func DamagePage(t testing.TB, path, name string) int64 {
	t.Helper()
	db, err := sql.Open("sqlite", store.FileURI(path)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var page, size int64
	err = db.QueryRow(`SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno LIMIT 1 OFFSET 1`, name).Scan(&page)
	if err == nil {
		err = db.QueryRow(`PRAGMA page_size`).Scan(&size)
	}
	db.Close()
	if err != nil {
		t.Fatalf("find a leaf page of %s in %s: %v", name, path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(bytes.Repeat([]byte{0x0d, 0xff, 0x00, 0x7f}, int(size/4)), (page-1)*size); err != nil {
		t.Fatal(err)
	}
	return page
}
