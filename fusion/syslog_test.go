package fusion

import (
	"bufio"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readOctetCounted reads one RFC 6587 octet-counted message from r.
func readOctetCounted(r *bufio.Reader) (string, error) {
	lenStr, err := r.ReadString(' ')
	if err != nil {
		return "", err
	}
	n, err := strconv.Atoi(strings.TrimSpace(lenStr))
	if err != nil {
		return "", err
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(r, msg); err != nil {
		return "", err
	}
	return string(msg), nil
}

// TestSyslogTCPReceiverRestart: a TCP collector that restarted (closed the
// connection) had the next alert written into the dead connection, where
// the write succeeded and the alert was lost, and the one after it fail
// without being sent again (received [1,4,5] of 1..5). Syslog now sees
// the closed connection before writing, and dials again.
func TestSyslogTCPReceiverRestart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conns := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(conns)
				return
			}
			conns <- c
		}
	}()
	s := &Syslog{Network: "tcp", Addr: ln.Addr().String(), Hostname: "h"}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	publish := func(id string) {
		t.Helper()
		a := testAlert()
		a.ID = id
		if err := s.PublishAlert(ctx, a); err != nil {
			t.Fatalf("publish %s: %v", id, err)
		}
	}
	next := func() net.Conn {
		t.Helper()
		select {
		case c := <-conns:
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			return c
		case <-ctx.Done():
			t.Fatal("no connection")
			return nil
		}
	}
	publish("1")
	c1 := next()
	r1 := bufio.NewReader(c1)
	if m, err := readOctetCounted(r1); err != nil || !strings.Contains(m, `id="1"`) {
		t.Fatalf("first message %q, %v", m, err)
	}
	c1.Close() // the collector restarts
	publish("2")
	publish("3")
	c2 := next()
	defer c2.Close()
	r2 := bufio.NewReader(c2)
	for _, id := range []string{"2", "3"} {
		m, err := readOctetCounted(r2)
		if err != nil {
			t.Fatalf("message %s after the restart: %v", id, err)
		}
		if !strings.Contains(m, `id="`+id+`"`) {
			t.Errorf("got %q, want alert %s", m, id)
		}
	}
}

// TestSyslogWriteStopsOnCancel: a TCP collector that stalled (accepts,
// never reads) held a write until its deadline, 15 s, after fusion was
// told to stop. Cancelling the attempt ends the write at once.
func TestSyslogWriteStopsOnCancel(t *testing.T) {
	ours, theirs := net.Pipe() // a collector that never reads
	defer theirs.Close()
	s := &Syslog{Network: "tcp", Addr: "127.0.0.1:18521", conn: ours}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	done := make(chan error, 1)
	go func() { done <- s.PublishAlert(ctx, testAlert()) }()
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Error("PublishAlert: nil, want the write's error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("PublishAlert still writing 10 s after its context was cancelled")
	}
}
