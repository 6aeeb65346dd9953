// Package influxtest starts a real InfluxDB 1.8 server (influxd) on
// 127.0.0.1 for tests, with Flux enabled, in a temporary directory. Tests
// skip when no influxd binary is found ($RFW_INFLUXD, the cache that
// scripts/install-deps.sh fills: $RFW_CACHE/bin, by default
// ~/.cache/rfwarden/bin, or PATH).
package influxtest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Binary returns the path of influxd, or "" when none is installed.
func Binary() string {
	if p := os.Getenv("RFW_INFLUXD"); p != "" {
		return p
	}
	// scripts/install-deps.sh builds it into $RFW_CACHE/bin, by default
	// ~/.cache/rfwarden/bin
	var caches []string
	if c := os.Getenv("RFW_CACHE"); c != "" {
		caches = append(caches, c)
	}
	if home, err := os.UserHomeDir(); err == nil {
		caches = append(caches, filepath.Join(home, ".cache", "rfwarden"))
	}
	for _, c := range caches {
		p := filepath.Join(c, "bin", "influxd")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("influxd"); err == nil {
		return p
	}
	return ""
}

// Server is a running influxd that can be stopped and restarted on the same
// port and data directory (for outage tests).
type Server struct {
	URL  string
	bin  string
	dir  string
	conf string
	cmd  *exec.Cmd
	t    testing.TB
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start starts influxd for the test and stops it at cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t, false)
}

// StartAuth is Start with authentication on (auth-enabled = true), as a
// production server runs: the first statement must create an admin user.
func StartAuth(t testing.TB) *Server {
	t.Helper()
	return start(t, true)
}

func start(t testing.TB, auth bool) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		t.Skip("influxd not installed: run scripts/install-deps.sh")
	}
	dir := t.TempDir()
	httpPort, rpcPort := freePort(t), freePort(t)
	conf := filepath.Join(dir, "influxdb.conf")
	cfg := fmt.Sprintf(`reporting-disabled = true
bind-address = "127.0.0.1:%d"
[meta]
  dir = %q
  logging-enabled = false
[data]
  dir = %q
  wal-dir = %q
  query-log-enabled = false
  trace-logging-enabled = false
[http]
  bind-address = "127.0.0.1:%d"
  flux-enabled = true
  auth-enabled = %t
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[logging]
  level = "warn"
`, rpcPort, filepath.Join(dir, "meta"), filepath.Join(dir, "data"), filepath.Join(dir, "wal"), httpPort, auth)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", httpPort), bin: bin, dir: dir, conf: conf, t: t}
	s.Restart()
	t.Cleanup(s.Stop)
	return s
}

// Stop kills influxd (SIGKILL: an outage, not a clean shutdown).
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.cmd = nil
}

// CPUTime returns the user plus system CPU time influxd has used since it
// (re)started, read from /proc (Linux, USER_HZ = 100); 0 when not running or
// not readable.
func (s *Server) CPUTime() time.Duration {
	if s.cmd == nil {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name in parentheses: state is field 3, utime 14, stime 15.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// Restart starts influxd again (after Stop) and waits until it answers.
func (s *Server) Restart() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "-config", s.conf)
	s.cmd.Stdout, s.cmd.Stderr = nil, nil
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start influxd: %v", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.URL + "/ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusNoContent {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.Stop()
	s.t.Fatalf("influxd at %s did not answer /ping within 60 s", s.URL)
}

// Exec runs the InfluxQL statement q over /query as user (none when ""),
// failing the test on an HTTP error or an error in the result.
func (s *Server) Exec(user, password, q string) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/query", strings.NewReader(url.Values{"q": {q}}.Encode()))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("influx %q: %v", q, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 || strings.Contains(string(b), `"error"`) {
		s.t.Fatalf("influx %q: %s: %s", q, resp.Status, b)
	}
}
