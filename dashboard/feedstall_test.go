package dashboard

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// TestSSEStalledClientFreed: live feeds whose clients stop reading, and
// do not close, are ended once a write has waited FeedWriteTimeout, and
// their slots freed: until 2026-12-07 a session's 8 stalled feeds held
// their slots (and goroutines) as long as the clients stayed connected,
// after the hub dropped them too, and the session's next feed was
// refused (429).
func TestSSEStalledClientFreed(t *testing.T) {
	ev := newEnv(t)
	ev.deps.FeedWriteTimeout = 200 * time.Millisecond
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	c := login(t, e, RoleViewer, "viewer-password")
	addr := srv.Listener.Addr().String()
	const feeds = 8 // a session's most
	for i := range feeds {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close() // open, never read, until the test ends
		conn.(*net.TCPConn).SetReadBuffer(4096)
		fmt.Fprintf(conn, "GET /api/v1/events?kinds=alert HTTP/1.1\r\nHost: %s\r\nCookie: %s=%s\r\n\r\n", addr, c.cookie.Name, c.cookie.Value)
		for deadline := time.Now().Add(10 * time.Second); ev.deps.Hub.Clients() < i+1; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("feed %d not opened", i+1)
			}
		}
	}
	if code := feedStatus(t, srv.URL, c); code != http.StatusTooManyRequests {
		t.Fatalf("a ninth feed of the session: %d, want 429 while 8 are open", code)
	}
	// Fill the stalled connections, at a pace the feeds keep up with
	// until their sockets are full: each alert 16 KB, 10 MB a feed, more
	// than a socket's buffers hold. Then a feed's write waits, its hub
	// queue fills and the hub drops it.
	big := strings.Repeat("x", 16<<10)
	for i := range 640 {
		ev.deps.Hub.PublishAlert(event.Alert{Schema: 1, ID: fmt.Sprintf("flood-%d", i), Site: "hmp1", Rule: "drone", Severity: event.SeverityCritical,
			State: event.AlertFiring, Summary: big, ActiveNS: 1, UpdatedNS: 1})
		time.Sleep(2 * time.Millisecond)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		code := feedStatus(t, srv.URL, c)
		if code == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a feed of the session after its 8 stalled ones were flooded: %d, want 200 (their slots freed)", code)
		}
	}
}

// feedStatus opens a live feed of c's session and returns the status it
// answered, closing it at once.
func feedStatus(t *testing.T, url string, c creds) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/api/v1/events?kinds=alert", nil)
	req.AddCookie(c.cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestSSERetrySet: the live feed tells the browser to try again 2 s after
// a drop, inside the 5 s after which the page says the dashboard is
// unreachable; Chromium's own wait, about 3 s, left little room.
func TestSSERetrySet(t *testing.T) {
	ev := newEnv(t)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	resp := openFeed(t, ev.deps.Hub, srv.URL, login(t, e, RoleViewer, "viewer-password"))
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for range 3 {
		if !sc.Scan() {
			break
		}
		if sc.Text() == "retry: 2000" {
			return
		}
	}
	t.Fatalf("no retry: 2000 at the stream's start (last line %q, %v)", sc.Text(), sc.Err())
}
