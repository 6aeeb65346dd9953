package store_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// fileSizeLimitChild is the environment variable that makes
// TestSQLiteFileSizeLimitErrorSaysWhat the process it runs under a file
// size limit: the database's folder.
const fileSizeLimitChild = "RFW_TEST_FSIZE_DIR"

// TestSQLiteFileSizeLimitErrorSaysWhat: a store's write its file size
// limit refuses (RLIMIT_FSIZE, `ulimit -f`: EFBIG, which SQLite reports
// as "disk I/O error", not SQLITE_FULL) fails with an error naming the
// database file and the cause, a file size limit or a full disk, as a
// full disk's does (TestSQLiteFullDiskErrorSaysWhat), and WriteProblem
// says so. The limit is the process's, so the store is written in a
// child process (this test binary again) that ignores SIGXFSZ, whose
// default action kills a process at its first write past the limit (Go's
// runtime catches it already; ignored here all the same). Until 2026-12-07 the error was "disk I/O
// error (778)" alone.
func TestSQLiteFileSizeLimitErrorSaysWhat(t *testing.T) {
	if dir := os.Getenv(fileSizeLimitChild); dir != "" {
		fileSizeLimitWrites(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestSQLiteFileSizeLimitErrorSaysWhat$")
	cmd.Env = append(os.Environ(), fileSizeLimitChild+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the child under a file size limit: %v\n%s", err, out)
	}
	path := filepath.Join(dir, "rfw.db")
	for _, want := range []string{"write refused: ", "disk I/O error", "database " + path + " could not be written: a file size limit (ulimit -f) or quota reached, or its disk full or failing",
		"problem: database " + path + " refuses writes: disk I/O error: the disk full, a quota or file size limit reached"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the child's output does not say %q:\n%s", want, out)
		}
	}
}

// fileSizeLimitWrites is the child of
// TestSQLiteFileSizeLimitErrorSaysWhat: it opens a store in dir, limits
// the files it writes to their size then, and writes until a write is
// refused, printing the error and WriteProblem's.
func fileSizeLimitWrites(dir string) {
	signal.Ignore(syscall.SIGXFSZ)
	path := filepath.Join(dir, "rfw.db")
	s, err := store.OpenSQLite(path)
	if err != nil {
		fmt.Println("open:", err)
		return
	}
	defer s.Close()
	s.DB().SetMaxOpenConns(1)
	var limit uint64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			limit = max(limit, uint64(fi.Size()))
		}
	}
	limit += 64 << 10
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
		fmt.Println("setrlimit:", err)
		return
	}
	ctx := context.Background()
	for i := range 10000 {
		if err = s.Audit(ctx, store.AuditEntry{User: "admin", Action: "test", Object: fmt.Sprint(i), After: strings.Repeat("x", 500)}); err != nil {
			break
		}
	}
	fmt.Println("write refused:", err)
	fmt.Println("problem:", s.WriteProblem(time.Now().Add(time.Hour), time.Minute))
}
