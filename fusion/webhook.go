package fusion

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/redact"
)

// Webhook posts each alert state change as JSON to URL, signed with
// HMAC-SHA256. Headers:
//
//	X-RFW-Timestamp: unix seconds
//	X-RFW-Signature: sha256=hex(HMAC-SHA256(Secret, timestamp + "." + body))
//	Idempotency-Key: IdempotencyKey(alert), the same for every repeat of a publication
//
// Receivers recompute the signature, reject stale timestamps and drop a
// key they have seen. Network errors, 408, 429 and 5xx are retried with
// exponential backoff up to MaxAttempts; other statuses are not, and the
// error is a *StatusError whose Permanent says so. Fusion uses
// MaxAttempts 1 behind a Notifier, whose outbox retries (but not a
// permanent refusal).
type Webhook struct {
	URL         string
	Secret      []byte
	Client      *http.Client  // default: 10 s timeout
	MaxAttempts int           // default 5
	Backoff     time.Duration // first retry delay, doubled each time up to 30 s; default 500ms
	Now         func() time.Time
}

// StatusError is a webhook receiver's answer other than 2xx.
type StatusError struct {
	Code int // the HTTP status
}

// Error implements error: "status 503", or "status 400 (refused for
// good)" when Permanent.
func (e *StatusError) Error() string {
	if e.Permanent() {
		return fmt.Sprintf("status %d (refused for good)", e.Code)
	}
	return fmt.Sprintf("status %d", e.Code)
}

// Permanent reports whether sending the same request again cannot
// succeed: a 4xx other than 408 (Request Timeout) and 429 (Too Many
// Requests), e.g. a bad signature (401), a gone endpoint (404, 410) or a
// body the receiver will not take (400, 422).
func (e *StatusError) Permanent() bool {
	return e.Code >= 400 && e.Code < 500 && e.Code != http.StatusRequestTimeout && e.Code != http.StatusTooManyRequests
}

// Sign returns the X-RFW-Signature value for body sent at timestamp ts.
func Sign(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// IdempotencyKey identifies one publication of a: "ID.updated_ns.ack_ns".
// A state change or reminder moves updated_ns; an acknowledgement, which
// does not, moves ack_ns. A receiver that has seen the key drops the POST.
func IdempotencyKey(a event.Alert) string {
	return a.ID + "." + strconv.FormatInt(a.UpdatedNS, 10) + "." + strconv.FormatInt(a.AckNS, 10)
}

// PublishAlert implements alert.Publisher.
func (w *Webhook) PublishAlert(ctx context.Context, a event.Alert) error {
	body, err := event.Encode(a)
	if err != nil {
		return err
	}
	client := w.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	attempts := w.MaxAttempts
	if attempts <= 0 {
		attempts = 5
	}
	backoff := w.Backoff
	if backoff <= 0 {
		backoff = 500 * time.Millisecond
	}
	now := w.Now
	if now == nil {
		now = time.Now
	}
	var lastErr error
	for i := range attempts {
		if i > 0 {
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("webhook %s: %w (last error: %w)", redact.URL(w.URL), ctx.Err(), lastErr)
			case <-t.C:
			}
			backoff = min(2*backoff, 30*time.Second)
		}
		retry, err := w.post(ctx, client, body, strconv.FormatInt(now().Unix(), 10), IdempotencyKey(a))
		if err == nil {
			return nil
		}
		lastErr = err
		if !retry {
			break
		}
	}
	return fmt.Errorf("webhook %s: %w", redact.URL(w.URL), lastErr)
}

func (w *Webhook) post(ctx context.Context, client *http.Client, body []byte, ts, key string) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return false, redact.URLErrors(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-RFW-Timestamp", ts)
	req.Header.Set("X-RFW-Signature", Sign(w.Secret, ts, body))
	req.Header.Set("Idempotency-Key", key)
	resp, err := client.Do(req)
	if err != nil {
		// net/http's *url.Error quotes the whole URL, token and all
		return true, redact.URLErrors(err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	se := &StatusError{Code: resp.StatusCode}
	return !se.Permanent(), se
}
