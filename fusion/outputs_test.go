package fusion

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

func testAlert() event.Alert {
	return event.Alert{Schema: 1, ID: "a1b2", Site: "hmp-test", Rule: "unauthorised-uplink-in-cell", Severity: event.SeverityCritical,
		State: event.AlertFiring, Summary: "unauthorised lte uplink in cell B2-14, 82%", Room: "B2-14", Zone: "wing-b",
		Track: "trk-1", Class: "lte", Probability: 0.82, ActiveNS: 1, UpdatedNS: 2}
}

func TestFormatRFC5424(t *testing.T) {
	ts := time.Date(2026, 11, 24, 10, 0, 1, 123456789, time.UTC)
	a := testAlert()
	got := string(FormatRFC5424(a, SyslogFacilityLocal0, "fusion-1", "rfwarden", ts))
	want := `<130>1 2026-11-24T10:00:01.123456Z fusion-1 rfwarden - firing [rfw@32473 id="a1b2" site="hmp-test" rule="unauthorised-uplink-in-cell" severity="critical" state="firing" room="B2-14" zone="wing-b" track="trk-1" class="lte" prob="0.82"] unauthorised lte uplink in cell B2-14, 82%`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	a.Escalations = 2 // fusion's second reminder: still firing, unacknowledged
	got = string(FormatRFC5424(a, SyslogFacilityLocal0, "fusion-1", "rfwarden", ts))
	if want := `class="lte" prob="0.82" escalations="2"] unauthorised`; !strings.Contains(got, want) {
		t.Errorf("reminder: got\n%s\nwant it to contain %s", got, want)
	}
	a = event.Alert{Schema: 1, ID: `x"]\`, Site: "s", Rule: "r", Severity: event.SeverityWarning, State: event.AlertPending, Summary: "two\nlines"}
	got = string(FormatRFC5424(a, 4, "", "my app", ts))
	want = `<36>1 2026-11-24T10:00:01.123456Z - myapp - pending [rfw@32473 id="x\"\]\\" site="s" rule="r" severity="warning" state="pending"] two lines`
	if got != want {
		t.Errorf("escaping: got\n%s\nwant\n%s", got, want)
	}
}

func TestSyslogUDPAndTCP(t *testing.T) {
	ts := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	now := func() time.Time { return ts }
	want := string(FormatRFC5424(testAlert(), SyslogFacilityLocal0, "h", "rfwarden", ts))

	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	u := &Syslog{Network: "udp", Addr: pc.LocalAddr().String(), Hostname: "h", Now: now}
	defer u.Close()
	if err := u.PublishAlert(context.Background(), testAlert()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(buf[:n]); got != want {
		t.Errorf("udp: got %q, want %q", got, want)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- err.Error()
			return
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		r := bufio.NewReader(c)
		lenStr, _ := r.ReadString(' ')
		var n int
		for _, ch := range strings.TrimSpace(lenStr) {
			n = n*10 + int(ch-'0')
		}
		msg := make([]byte, n)
		io.ReadFull(r, msg)
		got <- lenStr + string(msg)
	}()
	tc := &Syslog{Network: "tcp", Addr: ln.Addr().String(), Hostname: "h", Now: now}
	defer tc.Close()
	if err := tc.PublishAlert(context.Background(), testAlert()); err != nil {
		t.Fatal(err)
	}
	select {
	case g := <-got:
		if w := strings.TrimSpace(strings.Fields(g)[0]) + " " + want; g != w || len(want) != atoiPrefix(g) {
			t.Errorf("tcp: got %q, want %q", g, w)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("tcp: nothing received")
	}
	if err := (&Syslog{Network: "carrier-pigeon"}).PublishAlert(context.Background(), testAlert()); err == nil {
		t.Error("bad network accepted")
	}
}

func atoiPrefix(s string) int {
	n := 0
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			break
		}
		n = n*10 + int(ch-'0')
	}
	return n
}

func TestWebhookSignsAndRetries(t *testing.T) {
	secret := []byte("s3cret")
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if got, want := r.Header.Get("X-RFW-Signature"), Sign(secret, r.Header.Get("X-RFW-Timestamp"), body); got != want {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if _, err := event.DecodeAlert(body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if calls.Add(1) < 3 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	w := &Webhook{URL: srv.URL, Secret: secret, Backoff: time.Millisecond}
	if err := w.PublishAlert(context.Background(), testAlert()); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("server saw %d valid calls, want 3 (two 503s, then success)", got)
	}
	// A wrong secret gets 401, which is not retried.
	calls.Store(0)
	bad := &Webhook{URL: srv.URL, Secret: []byte("wrong"), Backoff: time.Millisecond}
	err := bad.PublishAlert(context.Background(), testAlert())
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong secret: got %v, want a 401 error", err)
	}
	if got := calls.Load(); got != 0 {
		t.Errorf("wrong secret reached the handler %d times", got)
	}
	// Always failing: gives up after MaxAttempts.
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv2.Close()
	calls.Store(0)
	w2 := &Webhook{URL: srv2.URL, Secret: secret, Backoff: time.Millisecond, MaxAttempts: 4}
	if err := w2.PublishAlert(context.Background(), testAlert()); err == nil || calls.Load() != 4 {
		t.Errorf("always failing: err %v after %d calls, want error after 4", err, calls.Load())
	}
}

func TestSign(t *testing.T) {
	// Expected value from Python: hmac.new(b"key", b'1764000000.{"a":1}', hashlib.sha256).hexdigest()
	got := Sign([]byte("key"), "1764000000", []byte(`{"a":1}`))
	want := "sha256=66ff00156971bc93c586dacc7bf22d6f5f4d9fcaede23c166be2b3ec3215f68a"
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

type blockingPub struct {
	release chan struct{}
	got     chan event.Alert
}

func (b *blockingPub) PublishAlert(_ context.Context, a event.Alert) error {
	<-b.release
	b.got <- a
	return nil
}

func TestAsyncPublisher(t *testing.T) {
	bp := &blockingPub{release: make(chan struct{}), got: make(chan event.Alert, 10)}
	var logBuf syncbuf.Buffer
	p := NewAsyncPublisher(bp, 2, slog.New(slog.NewTextHandler(&logBuf, nil)))
	ctx := context.Background()
	a := testAlert()
	// One in flight (blocked), two queued, the fourth alert is dropped;
	// a change of a queued alert in its state still takes its place.
	var errs []error
	for i := range 4 {
		a.ID = string(rune('a' + i))
		errs = append(errs, p.PublishAlert(ctx, a))
		for deadline := time.Now().Add(5 * time.Second); i == 0 && p.Queued() > 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond) // let the loop take the first
		}
	}
	if errs[0] != nil || errs[1] != nil || errs[2] != nil || errs[3] != ErrQueueFull {
		t.Fatalf("errors %v, want nil, nil, nil, ErrQueueFull", errs)
	}
	if got := p.Dropped(); got != 1 {
		t.Errorf("dropped %d, want 1", got)
	}
	if want := `level=ERROR msg="alert dropped: publish queue full" id=d state=firing queued=2 dropped_total=1`; !strings.Contains(logBuf.String(), want) {
		t.Errorf("log\n%s\nwant a line with %s", logBuf.String(), want)
	}
	a.ID, a.Room = "b", "B2-15"
	if err := p.PublishAlert(ctx, a); err != nil {
		t.Errorf("change of queued alert b, queue full: %v, want nil", err)
	}
	// A new state of queued alert c, the queue full: it takes c's place,
	// the state before it lost.
	a.ID, a.Room, a.State = "c", "B2-16", event.AlertResolved
	if err := p.PublishAlert(ctx, a); err != ErrQueueFull {
		t.Errorf("new state of queued alert c, queue full: %v, want ErrQueueFull", err)
	}
	if got := p.Dropped(); got != 2 {
		t.Errorf("dropped %d, want 2", got)
	}
	close(bp.release)
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.PublishAlert(ctx, a); err != ErrQueueClosed {
		t.Errorf("after Close: %v, want ErrQueueClosed", err)
	}
	close(bp.got)
	var got []string
	for a := range bp.got {
		got = append(got, a.ID+" "+a.Room+" "+a.State)
	}
	if want := []string{"a B2-14 firing", "b B2-15 firing", "c B2-16 resolved"}; !slices.Equal(got, want) {
		t.Errorf("delivered %q, want %q: in order, each alert's latest", got, want)
	}
}
