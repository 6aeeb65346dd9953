package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestBackupSaysWhatIsWrong: `rfwarden backup --keep -1 DIR` and
// `rfwarden backup --db DB DIR --keep 30` (a flag after the folder, which
// Go's flag package stops at) print only the usage text and exit 1,
// without a line saying what is wrong (a negative --keep; arguments
// after DIR), unlike the other commands' "rfwarden: ..." errors.
func TestBackupSaysWhatIsWrong(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "rfw.db")
	s, err := store.OpenSQLite(db)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--db", db, "--keep", "-1", filepath.Join(dir, "bk")}, "--keep"},
		{[]string{"--db", db, filepath.Join(dir, "bk"), "--keep", "30"}, "--keep"},
	} {
		var out, errOut bytes.Buffer
		err := cmdBackup(context.Background(), tc.args, &out, &errOut)
		if err == nil {
			t.Errorf("backup %q: no error", tc.args)
			continue
		}
		msg := err.Error()
		if err == errUsage {
			msg = ""
		}
		usageless := strings.ReplaceAll(errOut.String(), backupUsage, "")
		if !strings.Contains(msg, tc.want) && !strings.Contains(firstLine(usageless), tc.want) {
			t.Errorf("backup %q: error %q and output start %q say nothing about %s", tc.args, msg, firstLine(errOut.String()), tc.want)
		}
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
