package hackrfsrc

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/firmware/hackrf"
)

// fakeTool writes a shell script that plays hackrf_transfer and returns a
// Runner that runs it in its place, and the count of its starts.
func fakeTool(t *testing.T, script string) (hackrf.Runner, *atomic.Int32) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake hackrf_transfer is a shell script")
	}
	path := filepath.Join(t.TempDir(), "hackrf_transfer")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var starts atomic.Int32
	return hackrf.Runner{Command: func(ctx context.Context, name string, args ...string) *exec.Cmd {
		if name != "hackrf_transfer" {
			t.Errorf("ran %s, want hackrf_transfer", name)
		}
		starts.Add(1)
		return exec.CommandContext(ctx, path, args...)
	}}, &starts
}

// The tool's scripts: 1 MiB of ci8 samples is 8 blocks of 65536 samples.
const (
	toolStreamingExit = `head -c 1048576 /dev/zero
echo 'HACKRF_ERROR_STREAMING_EXIT_CALLED (-1004)' >&2
exit 1`
	toolNoBoard = `echo 'hackrf_open() failed: HackRF not found (-5)' >&2
exit 1`
	toolQuietEnd   = `head -c 1048576 /dev/zero`
	toolHalfBlock  = "head -c 1000000 /dev/zero\necho 'USB error' >&2\nexit 1"
	toolContinuous = `exec cat /dev/zero`
)

// TestTransferEndIsAnError: hackrf_transfer that stops is a receiver
// fault, reported with what the tool said, never the io.EOF of a finite
// source (the agent took it for the end of a recording and the sensor
// exited 0, so systemd did not restart it).
func TestTransferEndIsAnError(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		blocks       int
		wantErr      string
	}{
		{"streaming exit after 1 MiB", toolStreamingExit, 8, "HACKRF_ERROR_STREAMING_EXIT_CALLED (-1004)"},
		{"no board", toolNoBoard, 0, "hackrf_open() failed: HackRF not found (-5)"},
		{"exit 0 after 1 MiB", toolQuietEnd, 8, "receive stream ended after 1048576 bytes"},
		{"exit in mid-block", toolHalfBlock, 7, "USB error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := fakeTool(t, tc.script)
			s := New(r, Options{CenterHz: 900e6, SampleRateHz: 2e6, BlockSamples: 65536})
			defer s.Close()
			for i := range tc.blocks {
				if _, err := s.Next(context.Background()); err != nil {
					t.Fatalf("block %d: %v", i, err)
				}
			}
			_, err := s.Next(context.Background())
			if err == nil || errors.Is(err, io.EOF) || !errors.Is(err, ErrStreamEnded) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("after %d blocks: err %v; want ErrStreamEnded, not io.EOF, saying %q", tc.blocks, err, tc.wantErr)
			}
		})
	}
}

// TestTransferOutlivesNext: one hackrf_transfer serves block after block
// although each Next has its own context, ended when it returns (the
// agent's stall timeout). The tool was started under that context and
// killed after the first block.
func TestTransferOutlivesNext(t *testing.T) {
	r, starts := fakeTool(t, toolContinuous)
	s := New(r, Options{CenterHz: 900e6, SampleRateHz: 2e6, BlockSamples: 65536})
	defer s.Close()
	for i := range 20 {
		ctx, cancel := context.WithCancel(context.Background())
		_, err := s.Next(ctx)
		cancel()
		if err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
	}
	if n := starts.Load(); n != 1 {
		t.Errorf("hackrf_transfer started %d times for 20 blocks of one tuning, want 1", n)
	}
}

// TestTransferNextHonoursContext: a hackrf_transfer that hangs (a board
// that stopped sending on USB) does not hold Next past its context: the
// tool is stopped, Next says why, and the next Next starts it again.
func TestTransferNextHonoursContext(t *testing.T) {
	r, starts := fakeTool(t, `exec sleep 600`)
	s := New(r, Options{CenterHz: 900e6, SampleRateHz: 2e6, BlockSamples: 65536})
	defer s.Close()
	for i := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		_, err := s.Next(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Next %d on a silent tool: %v, want context.DeadlineExceeded", i, err)
		}
	}
	if n := starts.Load(); n != 2 {
		t.Errorf("hackrf_transfer started %d times, want 2 (again after the stopped one)", n)
	}
}
