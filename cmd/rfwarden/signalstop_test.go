package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestSensorStopsCleanlyOnSignal runs main (the test binary again, as a
// child) as a sensor and signals it. SIGHUP (`kill -HUP`, `systemctl kill
// -s HUP rfwarden-sensor`, the reload habit docs/deploy.md teaches for
// Mosquitto, or the hangup of the terminal a sensor was run from) killed
// it at once: no stop line, the detections not yet in the outbox lost,
// and systemd's Restart=on-failure, which takes death by SIGHUP for a
// clean exit, did not start it again. Now it stops as on SIGTERM: the
// stop line names the signal and the exit status is 0. Fusion and the
// dashboard share main's signal set (stopSignals).
func TestSensorStopsCleanlyOnSignal(t *testing.T) {
	if cfg := os.Getenv("RFW_SIGNAL_STOP_CHILD"); cfg != "" {
		os.Args = []string{"rfwarden", "sensor", "--config", cfg}
		main()
		os.Exit(0)
	}
	for _, tc := range []struct {
		sig  syscall.Signal
		want string // in the stop line
	}{
		{syscall.SIGHUP, "sensor: stopped (hangup signal received)"},
		{syscall.SIGTERM, "sensor: stopped (terminated signal received)"},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			// Nothing listens on the broker's port (the OS chose it, and
			// it was closed): the sensor keeps trying, its detections held
			// in the outbox.
			p := writeSensorConfig(t, fmt.Sprintf("mqtt: {url: \"tcp://%s\"}\n", freeTCPAddr(t)))
			cmd := exec.Command(os.Args[0], "-test.run=^TestSensorStopsCleanlyOnSignal$")
			cmd.Env = append(os.Environ(), "RFW_SIGNAL_STOP_CHILD="+p)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr syncbuf.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := make(chan string, 16)
			go func() {
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			var out []string
			wait := func(prefix string, d time.Duration) bool {
				timeout := time.After(d)
				for {
					select {
					case l, ok := <-lines:
						if !ok {
							return false
						}
						out = append(out, l)
						if strings.HasPrefix(l, prefix) {
							return true
						}
					case <-timeout:
						return false
					}
				}
			}
			if !wait("sensor: site ", 30*time.Second) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("no start line; stdout %q, stderr %s", out, stderr.String())
			}
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			if !wait(tc.want, 10*time.Second) {
				// Still running, or dead: SIGKILL is a no-op on a dead one.
				cmd.Process.Kill()
				t.Errorf("no line %q within 10 s of %v; stdout %q", tc.want, tc.sig, out)
			}
			err = cmd.Wait()
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					t.Fatalf("the sensor died of %v; stdout %q", ws.Signal(), out)
				}
			}
			if err != nil {
				t.Errorf("sensor after %v: %v, want exit status 0; stdout %q, stderr %s", tc.sig, err, out, stderr.String())
			}
		})
	}
}
