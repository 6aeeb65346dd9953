package statelock

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFor(t *testing.T) {
	tests := []struct{ given, want string }{
		{"/var/lib/rfwarden/seen.db", "/var/lib/rfwarden/seen.db.lock"},
		{"/var/lib/rfwarden/influx-spool", "/var/lib/rfwarden/influx-spool.lock"},
		{"/var/lib/rfwarden/outbox/", "/var/lib/rfwarden/outbox.lock"},
		{"outbox", "outbox.lock"},
	}
	for _, tt := range tests {
		if got := For(tt.given); got != tt.want {
			t.Errorf("For(%q) = %q, want %q", tt.given, got, tt.want)
		}
	}
}

// TestAcquireInProcess: a second Acquire of a held lock fails at once
// naming the file and the holder's PID; after Release it succeeds.
func TestAcquireInProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seen.lock")
	first, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(path)
	if !errors.Is(err, ErrHeld) {
		t.Fatalf("second Acquire: got %v, want ErrHeld", err)
	}
	for _, want := range []string{path, fmt.Sprintf("PID %d", os.Getpid())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	if err := first.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	again, err := Acquire(path)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	again.Release()
}

func TestAcquireAll(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.lock"), filepath.Join(dir, "b.lock")
	hold, err := Acquire(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AcquireAll(a, "", b); !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), b) {
		t.Fatalf("AcquireAll with b held: %v, want ErrHeld naming %s", err, b)
	}
	// a was released when b failed
	la, err := Acquire(a)
	if err != nil {
		t.Fatalf("a still held after AcquireAll failed: %v", err)
	}
	la.Release()
	hold.Release()
	release, err := AcquireAll(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
}

// TestAcquireOtherProcess: a lock held by another process is refused with
// that process's PID, and freed when it exits.
func TestAcquireOtherProcess(t *testing.T) {
	if os.Getenv("STATELOCK_HOLD") != "" {
		return // the child's copy of this test; see TestMain
	}
	path := filepath.Join(t.TempDir(), "outbox.lock")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "STATELOCK_HOLD="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
	}()
	select {
	case line := <-ready:
		if strings.TrimSpace(line) != "locked" {
			t.Fatalf("child: %q", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("child did not take the lock")
	}
	_, err = Acquire(path)
	if want := fmt.Sprintf("PID %d", cmd.Process.Pid); !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Acquire held by child: %v, want ErrHeld naming %s", err, want)
	}
	stdin.Close() // the child exits: the kernel drops its lock
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	l, err := Acquire(path)
	if err != nil {
		t.Fatalf("Acquire after the holder exited: %v", err)
	}
	l.Release()
}

// TestMain runs the holder process of TestAcquireOtherProcess: it takes
// the lock named by STATELOCK_HOLD, says so, and keeps it until stdin ends.
func TestMain(m *testing.M) {
	if path := os.Getenv("STATELOCK_HOLD"); path != "" {
		l, err := Acquire(path)
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("locked")
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		l.Release() // keeps l (and its file) alive until here
		os.Exit(0)
	}
	os.Exit(m.Run())
}
