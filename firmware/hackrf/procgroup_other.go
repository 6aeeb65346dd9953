//go:build !unix

package hackrf

import "os/exec"

// ownGroup does nothing where there are no process groups: Close kills the
// program alone, and waits at most TransferWaitDelay for its output.
func ownGroup(*exec.Cmd) {}

// killGroup does nothing where there are no process groups.
func killGroup(*exec.Cmd) {}
