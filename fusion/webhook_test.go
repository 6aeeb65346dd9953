package fusion

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

// TestWebhookIdempotencyKey: the same payload was POSTed up to 5 times and
// receivers could not tell a repeat from a new state. Every POST carries
// Idempotency-Key, the same for a repeat of one publication and different
// for each new one (a state change moves updated_ns; an acknowledgement,
// which does not, moves ack_ns).
func TestWebhookIdempotencyKey(t *testing.T) {
	keys := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys <- r.Header.Get("Idempotency-Key")
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	w := &Webhook{URL: srv.URL, Secret: []byte("s")}
	acked := testAlert()
	acked.AckBy, acked.AckNS = "officer.jones", 3
	moved := testAlert()
	moved.UpdatedNS = 5
	tests := []struct {
		name string
		a    event.Alert
		want string
	}{
		{"first", testAlert(), "a1b2.2.0"},
		{"repeat", testAlert(), "a1b2.2.0"},
		{"acknowledged", acked, "a1b2.2.3"},
		{"state change", moved, "a1b2.5.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := w.PublishAlert(context.Background(), tt.a); err != nil {
				t.Fatal(err)
			}
			if got := <-keys; got != tt.want {
				t.Errorf("Idempotency-Key %q, want %q", got, tt.want)
			}
		})
	}
}
