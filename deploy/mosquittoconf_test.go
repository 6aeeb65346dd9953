package deploy

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/mosquittotest"
)

// mosquittoSettings returns the settings of deploy/mosquitto/mosquitto.conf
// outside its listeners (the first value of each), in order.
func mosquittoSettings(t *testing.T) (order []string, vals map[string]string) {
	t.Helper()
	f, err := os.Open(filepath.Join("mosquitto", "mosquitto.conf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vals = map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, " ")
		if k == "listener" {
			break
		}
		if _, ok := vals[k]; !ok {
			order = append(order, k)
			vals[k] = strings.TrimSpace(v)
		}
	}
	return order, vals
}

// TestMosquittoConfBounds: the shipped broker config bounds what it holds
// for a client that is away, and does not rewrite its store every second.
// With max_queued_messages alone, 40 evidence snippets of 8 MiB for an
// absent dashboard took the broker from 8.6 to 344 MB, the store was
// rewritten each second (1280 MiB written in 10 s), and a dashboard
// retired without its session being cleaned kept its queue for ever.
func TestMosquittoConfBounds(t *testing.T) {
	_, v := mosquittoSettings(t)
	bytes, err := strconv.ParseInt(v["max_queued_bytes"], 10, 64)
	if err != nil || bytes <= 0 || bytes > 1<<30 {
		t.Errorf("max_queued_bytes %q, want a bound of at most 1 GiB (0 or none: no bound)", v["max_queued_bytes"])
	}
	if exp := v["persistent_client_expiration"]; exp == "" {
		t.Errorf("no persistent_client_expiration: a persistent session never reconnecting keeps its queue for ever")
	}
	if v["autosave_on_changes"] != "true" {
		if n, err := strconv.Atoi(v["autosave_interval"]); err != nil || n < 10 {
			t.Errorf("autosave_interval %q seconds, want at least 10: each save rewrites the whole store", v["autosave_interval"])
		}
	}
}

// TestMosquittoConfStarts: Debian's mosquitto (2.0.11) takes the shipped
// config's settings outside the listeners (file paths and syslog swapped
// for the test's), and serves.
func TestMosquittoConfStarts(t *testing.T) {
	startShippedSettings(t)
}

// startShippedSettings runs Debian's mosquitto on the shipped config's
// settings outside the listeners (file paths and syslog swapped for the
// test's), anonymous, on a plain listener on 127.0.0.1, until the test
// ends, and returns its address; it skips the test without mosquitto.
func startShippedSettings(t *testing.T) string {
	t.Helper()
	bin := mosquittotest.Bin()
	if bin == "" {
		t.Skip("mosquitto not installed: run scripts/install-deps.sh")
	}
	order, v := mosquittoSettings(t)
	dir := t.TempDir()
	var b strings.Builder
	if os.Getuid() == 0 {
		b.WriteString("user root\n")
	}
	for _, k := range order {
		switch k {
		case "password_file", "acl_file", "log_dest", "allow_anonymous":
			continue
		case "persistence_location":
			fmt.Fprintf(&b, "persistence_location %s/\n", dir)
		default:
			fmt.Fprintf(&b, "%s %s\n", k, v[k])
		}
	}
	// a port the OS chose, free a moment ago: mosquitto takes no port 0
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	fmt.Fprintf(&b, "allow_anonymous true\nlog_dest stderr\nlistener %s 127.0.0.1\n", port)
	conf := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(conf, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", conf)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("mosquitto exited (%v) on the shipped settings:\n%s\n%s", err, b.String(), stderr.String())
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
	}
	t.Fatalf("mosquitto did not listen on %s: %s", addr, stderr.String())
	return ""
}
