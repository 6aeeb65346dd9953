package dashboard

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// trickle sends head on a new connection to srv, then body one piece at a
// time with pause between pieces, until the server answers or body is
// sent. It returns the answer's status code (0: none before the
// connection closed) and how many bytes of body were sent before it.
func trickle(t *testing.T, srv *httptest.Server, head string, body []string, pause time.Duration) (code, sent int) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(time.Minute)) // a bound for a broken server only
	answered := make(chan int, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	for _, piece := range body {
		select {
		case code := <-answered:
			return code, sent
		case <-time.After(pause):
		}
		if _, err := io.WriteString(conn, piece); err != nil {
			break // the server closed the connection: its answer is read below
		}
		sent += len(piece)
	}
	return <-answered, sent
}

// bodyServer serves a dashboard whose bodies have idle and timeout
// (Deps.BodyIdle, BodyTimeout) and uploads 4 MiB at most, on a loopback
// server closed with the test, and returns it with an analyst's login.
func bodyServer(t *testing.T, idle, timeout time.Duration) (*httptest.Server, creds) {
	t.Helper()
	ev := newEnv(t)
	ev.deps.BodyIdle, ev.deps.BodyTimeout, ev.deps.MaxUpload = idle, timeout, 4<<20
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	analyst := login(t, e, RoleAnalyst, "analyst-password")
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv, analyst
}

// bytesOf splits s into pieces of n bytes.
func bytesOf(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}

// TestTrickledBodyCut: a body that keeps coming too slowly is cut (408).
// Each read of any size moved the read deadline on by BodyIdle, so a
// body trickled a byte every 10 s held its connection for ever, with no
// login. A JSON body (at most 1 MiB) now has BodyTimeout in all; an
// upload's deadline moves on by BodyIdle only per 64 KiB received, so a
// real upload however long is not cut, a trickle is.
func TestTrickledBodyCut(t *testing.T) {
	srv, analyst := bodyServer(t, 600*time.Millisecond, 800*time.Millisecond)
	upload := func(size int) (string, []byte) {
		var b bytes.Buffer
		fmt.Fprintf(&b, "--XX\r\nContent-Disposition: form-data; name=\"meta\"; filename=\"r.sigmf-meta\"\r\n\r\n{}\r\n")
		fmt.Fprintf(&b, "--XX\r\nContent-Disposition: form-data; name=\"data\"; filename=\"r.sigmf-data\"\r\n\r\n")
		b.Write(make([]byte, size))
		b.WriteString("\r\n--XX--\r\n")
		head := fmt.Sprintf("POST /api/v1/replay/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: %s=%s\r\n%s: %s\r\nContent-Type: multipart/form-data; boundary=XX\r\nContent-Length: %d\r\n\r\n",
			SessionCookie, analyst.cookie.Value, CSRFHeader, analyst.csrf, b.Len())
		return head, b.Bytes()
	}
	uploadHead, uploadBody := upload(256 << 10)
	login := `{"user":"viewer","password":"viewer-password"}` + strings.Repeat(" ", 1000)
	loginHead := fmt.Sprintf("POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(login))
	tests := []struct {
		name     string
		head     string
		body     []string
		pause    time.Duration
		wantCode int
		cut      bool // answered before the whole body was sent
	}{
		// 10 bytes each 40 ms: 1050 bytes would take 4.2 s, BodyTimeout is 0.8 s
		{"login trickled", loginHead, bytesOf(login, 10), 40 * time.Millisecond, http.StatusRequestTimeout, true},
		// 100 bytes each 40 ms: 64 KiB would take 26 s, BodyIdle is 0.6 s
		{"upload trickled", uploadHead, bytesOf(string(uploadBody), 100)[:200], 40 * time.Millisecond, http.StatusRequestTimeout, true},
		// 64 KiB each 300 ms, 5 pieces: longer than BodyTimeout in all, never idle for BodyIdle
		{"upload at a steady rate", uploadHead, bytesOf(string(uploadBody), 64<<10), 300 * time.Millisecond, http.StatusUnprocessableEntity, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, sent := trickle(t, srv, tc.head, tc.body, tc.pause)
			total := len(strings.Join(tc.body, ""))
			if code != tc.wantCode || tc.cut != (sent < total) {
				t.Errorf("answer %d after %d of %d bytes, want %d (cut short: %v)", code, sent, total, tc.wantCode, tc.cut)
			}
		})
	}
}

// TestEarlyRefusalAnsweredAtOnce: a request refused before its body is
// read (an upload declared over the limit, a JSON body declared over 1
// MiB, no session) is answered at once, though its client has sent
// none of the body it declared. net/http reads up to 256 KiB of an
// unread body before it answers, and waited BodyIdle (15 s) for it: each
// such request held a connection that long, and a JSON body over the
// limit waited BodyTimeout to answer 408, not 413.
func TestEarlyRefusalAnsweredAtOnce(t *testing.T) {
	srv, analyst := bodyServer(t, 20*time.Second, 30*time.Second) // BodyIdle far beyond the pause below
	const declared = 300 << 20
	tests := []struct {
		name     string
		head     string
		wantCode int
	}{
		{"upload over the limit", fmt.Sprintf("POST /api/v1/replay/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: %s=%s\r\n%s: %s\r\nContent-Type: multipart/form-data; boundary=XX\r\nContent-Length: %d\r\n\r\n",
			SessionCookie, analyst.cookie.Value, CSRFHeader, analyst.csrf, declared), http.StatusRequestEntityTooLarge},
		{"JSON body over the limit", fmt.Sprintf("POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", declared), http.StatusRequestEntityTooLarge},
		{"upload without a session", fmt.Sprintf("POST /api/v1/replay/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=XX\r\nContent-Length: %d\r\n\r\n", 1<<20), http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// one byte, then a pause of 5 s (a quarter of BodyIdle) before
			// the next: an answer after the pause is one that waited
			code, sent := trickle(t, srv, tc.head+"-", []string{"-", "-"}, 5*time.Second)
			if code != tc.wantCode || sent != 0 {
				t.Errorf("answer %d after %d more bytes, want %d before any (within the first pause)", code, sent, tc.wantCode)
			}
		})
	}
}
