package dashboard

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/rfwarden/rfwarden/fusion/store"
)

func TestMetricsToken(t *testing.T) {
	const tok = "0123456789abcdef-metrics"
	tests := []struct {
		name       string
		token      string // Deps.MetricsToken
		authHeader string // sent Authorization; "" = none
		wantCode   int
	}{
		{name: "no token configured: open", wantCode: http.StatusOK},
		{name: "no token configured: any header accepted", authHeader: "Bearer whatever", wantCode: http.StatusOK},
		{name: "token set, no header", token: tok, wantCode: http.StatusUnauthorized},
		{name: "token set, right bearer", token: tok, authHeader: "Bearer " + tok, wantCode: http.StatusOK},
		{name: "token set, wrong bearer", token: tok, authHeader: "Bearer " + strings.ToUpper(tok), wantCode: http.StatusUnauthorized},
		{name: "token set, prefix of token", token: tok, authHeader: "Bearer " + tok[:16], wantCode: http.StatusUnauthorized},
		{name: "token set, token plus suffix", token: tok, authHeader: "Bearer " + tok + "x", wantCode: http.StatusUnauthorized},
		{name: "token set, basic auth scheme", token: tok, authHeader: "Basic " + tok, wantCode: http.StatusUnauthorized},
		{name: "token set, bare token", token: tok, authHeader: tok, wantCode: http.StatusUnauthorized},
		{name: "token set, empty bearer", token: tok, authHeader: "Bearer ", wantCode: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := newEnv(t)
			ev.deps.MetricsToken = tt.token
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			if tt.authHeader != "" {
				req.Header.Set("Authorization", tt.authHeader)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != tt.wantCode {
				t.Fatalf("GET /metrics: got %d %s, want %d", rec.Code, rec.Body, tt.wantCode)
			}
			body := rec.Body.String()
			if tt.wantCode == http.StatusOK && !strings.Contains(body, "rfwarden_dashboard_sse_clients") {
				t.Errorf("accepted scrape lacks the dashboard metrics: %.200s", body)
			}
			if tt.wantCode == http.StatusUnauthorized {
				if strings.Contains(body, "rfwarden_dashboard") {
					t.Errorf("refused scrape leaks metrics: %.200s", body)
				}
				if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate %q, want a Bearer challenge", got)
				}
			}
		})
	}
}

func TestValidateMetricsToken(t *testing.T) {
	tests := []struct {
		token   string
		wantErr bool
	}{
		{token: "", wantErr: false},
		{token: "0123456789abcdef", wantErr: false},
		{token: "AbC+/_.~-0123456789==", wantErr: false},
		{token: "short", wantErr: true},
		{token: "0123456789abcde", wantErr: true}, // 15 characters
		{token: "0123456789 abcdef", wantErr: true},
		{token: "0123456789abcdef\n", wantErr: true},
		{token: "0123456789abcdéf", wantErr: true},
		{token: "================", wantErr: true},
		{token: "==0123456789abcdef", wantErr: true}, // padding only at the end
	}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			err := ValidateMetricsToken(tt.token)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ValidateMetricsToken(%q) = %v, want error %v", tt.token, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrMetricsToken) {
				t.Errorf("error %v does not wrap ErrMetricsToken", err)
			}
		})
	}
	ev := newEnv(t)
	ev.deps.MetricsToken = "too short"
	if _, err := New(ev.deps); !errors.Is(err, ErrMetricsToken) {
		t.Errorf("New with a bad metrics token: %v, want ErrMetricsToken", err)
	}
}

// TestRequestsCountedByCode: rfwarden_dashboard_requests_total counts each
// request under the status code the client got, including an error the
// error handler turned into one: 193 requests answered 404 (a handler's
// store.ErrNotFound) were counted as 200, as was any bare error's 500.
func TestRequestsCountedByCode(t *testing.T) {
	ev := newEnv(t)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		route    string
		handler  echo.HandlerFunc
		wantCode int
	}{
		{route: "/test/ok", handler: func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }, wantCode: http.StatusNoContent},
		{route: "/test/not-found", handler: func(echo.Context) error { return fmt.Errorf("alert %q: %w", "x", store.ErrNotFound) }, wantCode: http.StatusNotFound},
		{route: "/test/http-error", handler: func(echo.Context) error { return httpError(http.StatusConflict, "taken") }, wantCode: http.StatusConflict},
		{route: "/test/failed", handler: func(echo.Context) error { return errors.New("disk I/O error") }, wantCode: http.StatusInternalServerError},
	} {
		t.Run(tc.route, func(t *testing.T) {
			e.GET(tc.route, tc.handler)
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.route, nil))
			if rec.Code != tc.wantCode {
				t.Fatalf("GET %s: %d, want %d", tc.route, rec.Code, tc.wantCode)
			}
			rec = httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
			want := fmt.Sprintf(`rfwarden_dashboard_requests_total{code="%d",route="%s"} 1`, tc.wantCode, tc.route)
			if !strings.Contains(rec.Body.String(), want) {
				var got []string
				for _, l := range strings.Split(rec.Body.String(), "\n") {
					if strings.Contains(l, tc.route) {
						got = append(got, l)
					}
				}
				t.Errorf("/metrics lacks %s; has %q", want, got)
			}
		})
	}
}
