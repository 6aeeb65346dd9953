package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"
)

// TestInfluxFault: a read InfluxDB failed (a request that got no answer,
// or an HTTP error) is an *InfluxCheckError naming the setting, which the
// dashboard answers 503 with; a cancelled request, an error of no
// request (SQLite's, a reader's bug) and a timeout of no request are not.
func TestInfluxFault(t *testing.T) {
	refused := &url.Error{Op: "Post", URL: "http://127.0.0.1:1/api/v2/query?org=", Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
	for _, tc := range []struct {
		name        string
		err         error
		wantSetting InfluxSetting // "": nil
		wantSummary string
	}{
		{"refused", fmt.Errorf("influx heat query: %w", refused), InfluxSettingURL, "not reachable: connection refused"},
		{"connection closed", &url.Error{Op: "Post", URL: "http://h/query", Err: io.EOF}, InfluxSettingURL, "not reachable: connection closed"},
		{"credentials", fmt.Errorf("query: %w", &influxHTTPError{code: 401, status: "401 Unauthorized"}), InfluxSettingCredentials, "credentials refused"},
		{"server error", &influxHTTPError{code: 500, status: "500 Internal Server Error"}, InfluxSettingURL, "answers HTTP 500"},
		{"a check's error", &InfluxCheckError{Setting: InfluxSettingFlux, Err: errors.New("flux disabled")}, InfluxSettingFlux, "Flux queries fail"},
		{"cancelled", &url.Error{Op: "Post", URL: "http://h/query", Err: context.Canceled}, "", ""},
		{"no request", errors.New("decode heat row: bad"), "", ""},
		{"timeout of no request", fmt.Errorf("sqlite: %w", context.DeadlineExceeded), "", ""},
		{"nil", nil, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := InfluxFault(tc.err)
			switch {
			case tc.wantSetting == "" && got != nil:
				t.Errorf("InfluxFault(%v) = %v (%s), want nil", tc.err, got, got.Setting)
			case tc.wantSetting != "" && (got == nil || got.Setting != tc.wantSetting || got.Summary() != tc.wantSummary):
				t.Errorf("InfluxFault(%v) = %+v, want setting %s, summary %q", tc.err, got, tc.wantSetting, tc.wantSummary)
			}
		})
	}
}
