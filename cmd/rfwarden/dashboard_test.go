package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestCmdDashboard(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuf
	done := make(chan error, 1)
	go func() {
		done <- cmdDashboard(ctx, []string{"--listen", "127.0.0.1:0", "--db", filepath.Join(dir, "rfw.db"),
			"--site", "../../fusion/site/testdata/minimal.good.yaml"}, &out, &errOut)
	}()
	addrRe := regexp.MustCompile(`dashboard on (http://\S+)`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addrRe.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			break
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("no listen address; stdout %q stderr %q err %v", out.String(), errOut.String(), <-done)
	}
	if !strings.Contains(out.String(), "created user admin with password ") {
		t.Errorf("first run did not print the admin password: %q", out.String())
	}
	for path, want := range map[string]int{"/healthz": 200, "/api/v1/me": 401, "/": 200} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: got %d, want %d", path, resp.StatusCode, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("cmdDashboard: %v", err)
	}
}

func TestCmdDashboardFlags(t *testing.T) {
	err := cmdDashboard(context.Background(), []string{"--tls-cert", "x.pem"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--tls-key") {
		t.Errorf("cert without key: got %v", err)
	}
}
