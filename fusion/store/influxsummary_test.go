package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	influxhttp "github.com/influxdata/influxdb-client-go/v2/api/http"
)

// TestInfluxCheckErrorSummary: a check's or a failed request's fault in a
// few words for /healthz, which needs no login: never the user name, the
// host or InfluxDB's message, which its Error has. A failed request of
// the sender is the fault of the setting it points at (requestFault).
func TestInfluxCheckErrorSummary(t *testing.T) {
	const host = "influx.example:8086"
	dial := func(err error) error {
		return &url.Error{Op: "Post", URL: "http://rfw:***@" + host + "/write", Err: &net.OpError{Op: "dial", Net: "tcp", Err: err}}
	}
	tests := []struct {
		name        string
		err         error // a failed request's
		wantSetting InfluxSetting
		want        string
	}{
		{"refused", dial(os.NewSyscallError("connect", syscall.ECONNREFUSED)), InfluxSettingURL, "not reachable: connection refused"},
		{"no such host", dial(&net.DNSError{Err: "no such host", Name: "influx.example"}), InfluxSettingURL, "not reachable: host not found"},
		{"timeout", fmt.Errorf("query: %w", context.DeadlineExceeded), InfluxSettingURL, "not reachable: timed out"},
		{"certificate", dial(&tls.CertificateVerificationError{Err: errors.New("x509: unknown authority rfw@" + host)}), InfluxSettingURL, "not reachable: TLS certificate not trusted"},
		{"unknown", errors.New("rfw at " + host + ": odd"), InfluxSettingURL, "not reachable"},
		{"server error", &influxhttp.Error{StatusCode: 503, Code: "unavailable", Message: "rfw at " + host}, InfluxSettingURL, "answers HTTP 503"},
		{"write unauthorized", &influxhttp.Error{StatusCode: 401, Code: "unauthorized", Message: `user "rfw" at ` + host}, InfluxSettingCredentials, "credentials refused"},
		{"query forbidden", fmt.Errorf("query: %w", &influxHTTPError{code: 403, status: "403 Forbidden", body: `user "rfw"`}), InfluxSettingCredentials, "credentials refused"},
		{"no database", fmt.Errorf("write: database not found: %q on %s", "rfw", host), InfluxSettingDatabase, "database not found, or the user may not read it"},
		{"rp", &InfluxCheckError{Setting: InfluxSettingRP, Err: errors.New(`retention policy "d9" on ` + host)}, InfluxSettingRP, "retention policy not found"},
		{"flux", &InfluxCheckError{Setting: InfluxSettingFlux, Err: errors.New(host + " answers no Flux")}, InfluxSettingFlux, "Flux queries fail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ce := requestFault(tt.err)
			if ce.Setting != tt.wantSetting {
				t.Errorf("setting %q, want %q", ce.Setting, tt.wantSetting)
			}
			if got := ce.Summary(); got != tt.want {
				t.Errorf("Summary() = %q, want %q", got, tt.want)
			}
			if strings.Contains(ce.Summary(), "rfw") || strings.Contains(ce.Summary(), host) {
				t.Errorf("Summary() = %q: names the user or host", ce.Summary())
			}
			if ce.Error() != tt.err.Error() {
				t.Errorf("Error() = %q, want the request's %q (the log's)", ce.Error(), tt.err)
			}
		})
	}
}
