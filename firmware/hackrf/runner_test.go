//go:build unix

package hackrf

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// scriptTool writes a shell script playing hackrf_transfer and returns a
// Runner that runs it; the script finds a file for its notes in $NOTES.
func scriptTool(t *testing.T, script string) (Runner, string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake hackrf_transfer is a shell script")
	}
	dir := t.TempDir()
	path, notes := filepath.Join(dir, "hackrf_transfer"), filepath.Join(dir, "notes")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return Runner{Command: func(ctx context.Context, _ string, args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, path, args...)
		cmd.Env = append(os.Environ(), "NOTES="+notes)
		return cmd
	}}, notes
}

// notedPID waits for the script to write a process ID into notes.
func notedPID(t *testing.T, notes string) int {
	t.Helper()
	for {
		b, err := os.ReadFile(notes)
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil {
			return pid
		}
		select {
		case <-t.Context().Done():
			t.Fatal("the script never wrote its child's process ID")
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// closeWithin closes rc, failing the test if Close has not returned after
// limit (it used to wait for ever).
func closeWithin(t *testing.T, rc io.Closer, limit time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- rc.Close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		t.Fatalf("Close still waits on hackrf_transfer after %v", limit)
		return nil
	}
}

// gone reports whether no process has the ID pid any more, waiting for
// init to reap it.
func gone(t *testing.T, pid int) bool {
	t.Helper()
	for range 400 {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

// TestTransferCloseStopsItsChildren: a hackrf_transfer that is a wrapper
// script, its child streaming with the wrapper's stdout and stderr, is
// stopped whole by Close. Close killed the wrapper only and then waited
// for ever for the child to close the pipes (the agent hung in a retune
// while its health said ok).
func TestTransferCloseStopsItsChildren(t *testing.T) {
	r, notes := scriptTool(t, `cat /dev/zero &
echo $! > "$NOTES"
wait`)
	rc, err := r.Transfer(context.Background(), TransferOptions{CenterHz: 900e6, SampleRateHz: 2e6})
	if err != nil {
		t.Fatal(err)
	}
	child := notedPID(t, notes)
	defer syscall.Kill(child, syscall.SIGKILL)
	if _, err := io.ReadFull(rc, make([]byte, 4096)); err != nil {
		t.Fatal(err)
	}
	if err := closeWithin(t, rc, 20*time.Second); err != nil {
		t.Errorf("Close of a running transfer: %v", err)
	}
	if !gone(t, child) {
		t.Errorf("the wrapper's child %d still runs after Close", child)
	}
}

// TestTransferCloseGivesUpOnEscapedChild: a child that left the tool's
// process group and keeps its stderr open no longer holds Close up for
// more than TransferWaitDelay.
func TestTransferCloseGivesUpOnEscapedChild(t *testing.T) {
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Skip("no setsid")
	}
	r, notes := scriptTool(t, `setsid sh -c 'echo $$ > "$NOTES"; exec sleep 600' &
exec cat /dev/zero`)
	rc, err := r.Transfer(context.Background(), TransferOptions{CenterHz: 900e6, SampleRateHz: 2e6})
	if err != nil {
		t.Fatal(err)
	}
	child := notedPID(t, notes)
	defer syscall.Kill(child, syscall.SIGKILL)
	if _, err := io.ReadFull(rc, make([]byte, 4096)); err != nil {
		t.Fatal(err)
	}
	if err := closeWithin(t, rc, 20*time.Second); err != nil && !errors.Is(err, exec.ErrWaitDelay) {
		t.Errorf("Close: %v", err)
	}
}

// TestTransferErrorKeepsStderrTail: hackrf_transfer prints a line of
// statistics every second for as long as it runs; the error of a stream
// that ends carries the last of it, not hours of it (and memory keeps no
// more than that).
func TestTransferErrorKeepsStderrTail(t *testing.T) {
	r, _ := scriptTool(t, `i=0
while [ $i -lt 5000 ]; do echo "19.9 MiB / 1.000 sec = 19.9 MiB/second, average power -42.1 dBfs" >&2; i=$((i+1)); done
echo 'hackrf_is_streaming() result: HACKRF_ERROR_STREAMING_EXIT_CALLED (-1004)' >&2
exit 1`)
	rc, err := r.Transfer(context.Background(), TransferOptions{CenterHz: 900e6, SampleRateHz: 2e6})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, rc); err != nil {
		t.Fatal(err)
	}
	err = closeWithin(t, rc, 20*time.Second)
	if err == nil || !strings.Contains(err.Error(), "exit status 1") || !strings.HasSuffix(err.Error(), "HACKRF_ERROR_STREAMING_EXIT_CALLED (-1004)") {
		t.Fatalf("Close: %v; want exit status 1 and the tool's last line", err)
	}
	if n := len(err.Error()); n > 2*stderrTailBytes {
		t.Errorf("error of %d bytes: want the tail of stderr (%d bytes at most)", n, stderrTailBytes)
	}
}
