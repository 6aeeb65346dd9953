package dashboard

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

type fakeLink struct {
	up     bool
	reason string
}

func (f fakeLink) IsConnected() bool { return f.up }
func (f fakeLink) Reason() string    { return f.reason }

// TestHealthzFeed: /healthz is degraded, with the reason, while the live
// feed is configured but not connected.
func TestHealthzFeed(t *testing.T) {
	tests := []struct {
		name     string
		given    Link
		wantCode int
		wantBody string
	}{
		{name: "no feed configured", given: nil, wantCode: 200, wantBody: "ok\n"},
		{name: "feed connected", given: fakeLink{up: true}, wantCode: 200, wantBody: "ok\n"},
		{name: "feed refused", given: fakeLink{reason: "not connected to the MQTT broker: not Authorized"}, wantCode: 503,
			wantBody: "degraded: live feed: not connected to the MQTT broker: not Authorized\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := newEnv(t)
			ev.deps.Feed = tt.given
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
			if rec.Code != tt.wantCode || rec.Body.String() != tt.wantBody {
				t.Errorf("GET /healthz = %d %q, want %d %q", rec.Code, rec.Body, tt.wantCode, tt.wantBody)
			}
		})
	}
}
