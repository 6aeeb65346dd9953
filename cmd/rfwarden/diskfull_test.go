//go:build linux

package main

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// inChildProcess runs t's test again in a child process of the test
// binary, with env set to 1, and fails t with the child's output if it
// fails; it returns false there, and true in the child, which runs the
// test itself. A test that limits the whole process (fillDisk) leaves the
// package's other tests alone this way.
func inChildProcess(t *testing.T, env string) bool {
	t.Helper()
	if os.Getenv(env) == "1" {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env+"=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v; the test in a child process:\n%s", err, out)
	}
	return false
}

// fillDisk makes the disk full for this process: a file size limit
// (RLIMIT_FSIZE) of 4096 bytes, under which every write past it fails
// with EFBIG, as on a full disk (Go ignores SIGXFSZ). It returns the
// function that frees it again, also run at t's cleanup; it skips t when
// the limit cannot be set. Only in a child process (inChildProcess).
func fillDisk(t *testing.T) (free func()) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	full := syscall.Rlimit{Cur: 4096, Max: old.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &full); err != nil {
		t.Skipf("cannot limit file sizes: %v", err)
	}
	free = func() { _ = syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old) }
	t.Cleanup(free)
	return free
}
