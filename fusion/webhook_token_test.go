package fusion

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestWebhookTokenNotLogged: a webhook URL carrying its token in its
// path (Slack's /services/T…/B…/<secret>, Discord's
// /api/webhooks/<id>/<secret>) or its query (?token=, ?sig=, ?code=)
// reached the log whole on every failed delivery: in the notifier's
// warning ("webhook https://hooks.example/services/T0/B0/<secret>:
// status 503"), in net/http's error ("Post \"…/<secret>\": dial tcp …:
// connection refused"), and in the outbox's last_error. Anyone reading
// fusion's log could post alerts to the control room. Now each shows the
// scheme, host, port and first path segment, so the receiver that failed
// is still named, and hides the rest (redact.URL). The receivers are real
// ones on loopback: one refusing connections, one answering 503, one
// refusing for good (404) and one too slow to answer.
func TestWebhookTokenNotLogged(t *testing.T) {
	const token = "Zq7sEcReTt0k3n"
	answer := func(code int) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) }))
		t.Cleanup(srv.Close)
		return srv.Listener.Addr().String()
	}
	refusing := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return addr
	}
	slow := func() string {
		stop := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		}))
		t.Cleanup(func() { close(stop); srv.Close() })
		return srv.Listener.Addr().String()
	}
	tests := []struct {
		name     string
		addr     string
		path     string // after the host
		shown    string // after the host: what names the receiver
		wantFail string // in the log
	}{
		{"path token, refused", refusing(), "/services/T0001/B0002/" + token, "/services/xxxxx", "connection refused"},
		{"query token, 503", answer(http.StatusServiceUnavailable), "/hook?token=" + token + "&site=north", "/hook?token=xxxxx&site=xxxxx", "status 503"},
		{"path and query token, refused for good", answer(http.StatusNotFound), "/api/webhooks/42/" + token + "?sig=" + token, "/api/xxxxx?sig=xxxxx", "status 404"},
		{"query token, too slow", slow(), "/alerts?code=" + token, "/alerts?code=xxxxx", "deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logb syncbuf.Buffer
			db := notifyDB(t)
			n, err := OpenNotifier(context.Background(), db, NotifyOptions{Site: "hmp-test", Output: "webhook",
				Next:     &Webhook{URL: "http://" + tt.addr + tt.path, Secret: []byte("s"), MaxAttempts: 1, Client: &http.Client{}},
				InFlight: 1, RetryMin: time.Hour, RetryMax: time.Hour, AttemptTimeout: 500 * time.Millisecond,
				Logger: slog.New(slog.NewTextHandler(&logb, nil))})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := n.PublishAlert(ctx, alertAs("a", event.SeverityCritical, event.AlertFiring, 1)); err != nil {
				t.Fatal(err)
			}
			stop := runNotifier(t, n)
			// the failure is noted in the log, then in the outbox (or
			// the notification dropped, refused for good)
			var h NotifyHealth
			var lastErr string
			for deadline := time.Now().Add(20 * time.Second); ; {
				if h, err = n.Health(ctx); err != nil {
					t.Fatal(err)
				}
				if err := db.QueryRow(`SELECT COALESCE(MAX(last_error), '') FROM notify_outbox`).Scan(&lastErr); err != nil {
					t.Fatal(err)
				}
				if h.LastError != "" && (lastErr != "" || h.Dropped > 0) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no failed delivery noted within 20 s: health %+v, log %q", h, logb.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			dctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
			drainErr := n.Drain(dctx)
			cancel()
			stop()
			health, _ := json.Marshal(h)
			logged := logb.String()
			for what, text := range map[string]string{"the log": logged, "the outbox's last_error": lastErr, "/healthz": string(health), "Drain's error": errText(drainErr)} {
				if strings.Contains(text, token) {
					t.Errorf("%s shows the token: %q", what, text)
				}
			}
			if want := tt.addr + tt.shown; !strings.Contains(logged, want) {
				t.Errorf("log %q does not name the receiver as %q", logged, want)
			}
			if !strings.Contains(logged, tt.wantFail) {
				t.Errorf("log %q does not say why: %q", logged, tt.wantFail)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
