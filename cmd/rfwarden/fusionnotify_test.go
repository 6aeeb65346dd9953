package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

// TestCmdWebhookDownThenBack: with the webhook receiver down, fusion gave
// up on an alert after ~7.5 s, /healthz said ok throughout, and at SIGTERM
// the queue was cancelled: nothing reached the receiver once it was back.
// Now /healthz is degraded naming the webhook and its error, the alert
// waits in the outbox in fusion's database across a restart, and the
// receiver gets it, signed and with its Idempotency-Key, once it is back.
func TestCmdWebhookDownThenBack(t *testing.T) {
	const secret = "s3cret"
	t.Setenv("RFW_WEBHOOK_SECRET", secret)
	b := brokertest.Start(t, "rfw/v1/+/alert")
	// The control room's webhook receiver: a loopback port the OS chose,
	// closed at once (the receiver is down), and listened on again below
	// when it comes back where fusion posts. It was a fixed port
	// (127.0.0.1:18360), which two runs at once both took.
	webhookAddr := freeTCPAddr(t)
	httpAddr := freeTCPAddr(t)
	extra := fmt.Sprintf("webhook: {url: 'http://%s/hook', allow_http: true}\nnotify: {stale_after: 1s}\nhttp_addr: %s\n", webhookAddr, httpAddr)
	dir, _, stderr, stop := runFusion(t, b.URL(), extra, nil)
	a := publishPhone(t, b, time.Now(), stderr)

	var h fusionHealth
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		code, body := httpGet(t, "http://"+httpAddr+"/healthz")
		h = fusionHealth{}
		json.Unmarshal([]byte(body), &h)
		if code == 503 && len(h.Notify) == 1 && h.Notify[0].State == event.StateDegraded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz with the webhook down: %d %s, want 503 naming the webhook", code, body)
		}
	}
	if n := h.Notify[0]; n.Output != "webhook" || n.Queued == 0 || !strings.Contains(n.LastError, "refused") {
		t.Errorf("/healthz notify %+v, want the webhook, queued, connection refused", n)
	}
	if err := stop(); err != nil {
		t.Fatalf("fusion: %v", err)
	}

	// the receiver is back, and so is fusion
	got := make(chan *http.Request, 10)
	bodies := make(chan []byte, 10)
	l, err := net.Listen("tcp", webhookAddr)
	if err != nil {
		t.Fatalf("the webhook receiver back on %s, the port fusion posts to: %v (another process took it meanwhile)", webhookAddr, err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- body
		w.WriteHeader(http.StatusNoContent)
	})}
	go srv.Serve(l)
	defer srv.Close()
	_, _, stop2 := runFusionIn(t, dir)
	defer stop2()
	select {
	case r := <-got:
		body := <-bodies
		sent, err := event.DecodeAlert(body)
		if err != nil || sent.ID != a.ID || sent.State != event.AlertPending {
			t.Errorf("first POST after the restart %+v, %v; want the pending alert %s", sent, err, a.ID)
		}
		if r.Header.Get("X-RFW-Signature") != fusion.Sign([]byte(secret), r.Header.Get("X-RFW-Timestamp"), body) {
			t.Error("bad signature")
		}
		if k := r.Header.Get("Idempotency-Key"); k != fusion.IdempotencyKey(sent) {
			t.Errorf("Idempotency-Key %q, want %q", k, fusion.IdempotencyKey(sent))
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the receiver got nothing after fusion's restart")
	}
}
