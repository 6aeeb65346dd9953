package probetest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/probeserver"
)

// slack is how much longer than its limit the server may take to let a
// client go before the check gives up on it: a bound on the test, not a
// claim about speed.
const slack = 5 * time.Second

// Hostile runs the hostile clients against the probe server at addr
// (host:port on loopback) serving path, built with lim, each as a
// subtest. Every limit of lim must be set and short (a second or less):
// each check waits for one to pass.
func Hostile(t *testing.T, addr, path string, lim probeserver.Limits) {
	t.Helper()
	t.Run("body announced and never sent", func(t *testing.T) {
		c := dial(t, addr)
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: probe\r\nContent-Length: 100\r\n\r\n", path)
		waitClosed(t, c, lim.Read)
	})
	t.Run("idle kept-alive connection", func(t *testing.T) {
		c := dial(t, addr)
		br := bufio.NewReader(c)
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: probe\r\n\r\n", path)
		_ = c.SetReadDeadline(time.Now().Add(lim.Idle + slack))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.Close {
			t.Fatalf("GET %s: the server closed the connection after its answer; this checks one kept alive", path)
		}
		waitClosedBuffered(t, c, br, lim.Idle)
	})
	t.Run("headers that never end", func(t *testing.T) {
		c := dial(t, addr)
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: probe\r\nX-Slow: ", path)
		waitClosed(t, c, lim.ReadHeader)
	})
	t.Run("headers over the limit", func(t *testing.T) {
		c := dial(t, addr)
		br := bufio.NewReader(c)
		// net/http allows 4096 bytes over MaxHeaderBytes
		big := strings.Repeat("a", lim.MaxHeaderBytes+8192)
		go fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: probe\r\nX-Big: %s\r\n\r\n", path, big)
		_ = c.SetReadDeadline(time.Now().Add(lim.ReadHeader + slack))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("GET with %d bytes of headers: %v, want 431", len(big), err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("GET with %d bytes of headers: %d, want 431", len(big), resp.StatusCode)
		}
	})
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, slack)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitClosed reads c until the server closes it, failing if that takes
// longer than limit and slack.
func waitClosed(t *testing.T, c net.Conn, limit time.Duration) {
	t.Helper()
	waitClosedBuffered(t, c, bufio.NewReader(c), limit)
}

func waitClosedBuffered(t *testing.T, c net.Conn, r io.Reader, limit time.Duration) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(limit + slack))
	_, err := io.Copy(io.Discard, r)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the server held the connection %v, past its limit of %v", limit+slack, limit)
	}
}
