package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	influxhttp "github.com/influxdata/influxdb-client-go/v2/api/http"

	"github.com/rfwarden/rfwarden/internal/redact"
)

// influxHTTPError is InfluxDB's answer to a request that failed.
type influxHTTPError struct {
	code   int
	status string
	body   string
}

func (e *influxHTTPError) Error() string { return e.status + ": " + e.body }

// InfluxSetting names a setting of the store Check can find at fault.
type InfluxSetting string

// The settings InfluxCheckError names.
const (
	InfluxSettingURL         InfluxSetting = "url"         // InfluxConfig.URL: nothing answers there
	InfluxSettingCredentials InfluxSetting = "credentials" // InfluxConfig.Username and Password
	InfluxSettingDatabase    InfluxSetting = "database"    // InfluxConfig.Database
	InfluxSettingRP          InfluxSetting = "rp"          // InfluxConfig.RP
	InfluxSettingFlux        InfluxSetting = "flux"        // the server's flux-enabled (influxdb.conf)
	// InfluxConfig.WriteTimeout: writes are not answered in time (a
	// slow InfluxDB); the sender's errors only, not Check's
	InfluxSettingWriteTimeout InfluxSetting = "write_timeout"
)

// InfluxCheckError is Check's error: the setting at fault, and why.
type InfluxCheckError struct {
	Setting InfluxSetting
	Err     error
}

func (e *InfluxCheckError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *InfluxCheckError) Unwrap() error { return e.Err }

// Summary says what is wrong in a few words, without the user name, the
// host or InfluxDB's own message, which Error has: for /healthz, which
// needs no login ("credentials refused", "not reachable: connection
// refused").
func (e *InfluxCheckError) Summary() string {
	switch e.Setting {
	case InfluxSettingCredentials:
		return "credentials refused"
	case InfluxSettingDatabase:
		return "database not found, or the user may not read it"
	case InfluxSettingRP:
		return "retention policy not found"
	case InfluxSettingFlux:
		return "Flux queries fail"
	case InfluxSettingWriteTimeout:
		return "writes not answered in time (slow)"
	}
	if code := httpStatus(e.Err); code != 0 {
		return fmt.Sprintf("answers HTTP %d", code)
	}
	if why := redact.NetError(e.Err); why != "" {
		return "not reachable: " + why
	}
	return "not reachable"
}

// httpStatus is the HTTP status InfluxDB answered a failed request with,
// 0 when it did not answer.
func httpStatus(err error) int {
	var he *influxHTTPError
	if errors.As(err, &he) {
		return he.code
	}
	var ce *influxhttp.Error
	if errors.As(err, &ce) {
		return ce.StatusCode
	}
	return 0
}

// requestFault is the error of a failed write or roll-up of the sender,
// as the setting at fault (State returns it): the credentials when
// InfluxDB refuses them, the database when it is not found, else the URL.
func requestFault(err error) *InfluxCheckError {
	var ce *InfluxCheckError
	if errors.As(err, &ce) {
		return ce
	}
	setting := InfluxSettingURL
	switch code := httpStatus(err); {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		setting = InfluxSettingCredentials
	case errors.Is(err, ErrNoDatabase) || strings.Contains(err.Error(), "database not found"):
		setting = InfluxSettingDatabase
	case errors.Is(err, ErrWriteTimeout):
		setting = InfluxSettingWriteTimeout
	}
	return &InfluxCheckError{Setting: setting, Err: err}
}

// InfluxFault returns err, of a read of the store, as an
// *InfluxCheckError naming the setting at fault when it is InfluxDB's:
// a request to it did not get an answer (refused, timed out, no such
// host, the connection closed) or got an HTTP error. nil otherwise: a cancelled request,
// a bug of the reader's. The dashboard answers 503 with its Summary, not
// 500 "internal error", while InfluxDB is down.
func InfluxFault(err error) *InfluxCheckError {
	var ce *InfluxCheckError
	var ue *url.Error // a request's: a store of files has none
	switch {
	case err == nil || errors.Is(err, context.Canceled):
		return nil
	case errors.As(err, &ce):
		return ce
	case httpStatus(err) != 0, errors.As(err, &ue) && redact.NetError(err) != "":
		return requestFault(err)
	}
	return nil
}

// Check asks InfluxDB whether the store's settings work for reading: the
// server answers (InfluxSettingURL), takes the username and password
// (InfluxSettingCredentials: InfluxDB does not tell a wrong password from
// an unknown user), has the database the user may read
// (InfluxSettingDatabase) with the retention policy (InfluxSettingRP), and
// answers Flux queries (InfluxSettingFlux), which detections, locations
// and health are read with. Its error is an *InfluxCheckError. It
// records the policy's duration (Policy) for the caller to judge. A reader
// (the dashboard) calls it at start, so a typo is an error naming the
// setting rather than HTTP 500 on every page that reads the time series.
func (s *Influx) Check(ctx context.Context) error {
	fail := func(setting InfluxSetting, format string, args ...any) error {
		return &InfluxCheckError{Setting: setting, Err: fmt.Errorf("influx: "+format, args...)}
	}
	res, err := s.influxQL(ctx, "SHOW DATABASES")
	if err != nil {
		var he *influxHTTPError
		if errors.As(err, &he) && (he.code == http.StatusUnauthorized || he.code == http.StatusForbidden) {
			return fail(InfluxSettingCredentials, "user %q at %s: username or password refused: %w", s.cfg.Username, redact.URL(s.cfg.URL), err)
		}
		if errors.As(err, &he) {
			return fail(InfluxSettingURL, "%s: %w", redact.URL(s.cfg.URL), err)
		}
		return fail(InfluxSettingURL, "%s not reachable: %w", redact.URL(s.cfg.URL), err)
	}
	if !qlListHas(res, s.cfg.Database) {
		return fail(InfluxSettingDatabase, "database %q not found at %s, or user %q may not read it (fusion creates it when it starts; it must be fusion.yaml's influx.database)",
			s.cfg.Database, redact.URL(s.cfg.URL), s.cfg.Username)
	}
	res, err = s.influxQL(ctx, "SHOW RETENTION POLICIES ON "+qlIdent(s.cfg.Database))
	if err != nil {
		return fail(InfluxSettingDatabase, "retention policies of database %q: %w", s.cfg.Database, err)
	}
	if !qlListHas(res, s.cfg.RP) {
		return fail(InfluxSettingRP, "retention policy %q not found in database %q (it must be fusion.yaml's influx.retention_policy; SHOW RETENTION POLICIES ON %s lists them)",
			s.cfg.RP, s.cfg.Database, qlIdent(s.cfg.Database))
	}
	if d, ok := qlPolicyDuration(res, s.cfg.RP); ok {
		s.mu.Lock()
		s.policy = InfluxPolicy{Database: s.cfg.Database, Name: s.cfg.RP, Duration: d, Asked: s.cfg.DatabaseDuration}
		s.policyOK = true
		s.mu.Unlock()
	}
	q := fmt.Sprintf(`from(bucket: %q) |> range(start: -1m) |> limit(n: 1)`, s.cfg.Database+"/"+s.cfg.RP)
	r, err := s.query.Query(ctx, q)
	if err == nil {
		for r.Next() {
		}
		err = r.Err()
		r.Close()
	}
	if err != nil {
		if strings.Contains(err.Error(), "Flux query service disabled") {
			return fail(InfluxSettingFlux, "%s answers no Flux queries: set flux-enabled = true in the [http] section of influxdb.conf and restart InfluxDB: %w", redact.URL(s.cfg.URL), err)
		}
		return fail(InfluxSettingFlux, "a Flux query on %s/%s: %w", s.cfg.Database, s.cfg.RP, err)
	}
	return nil
}

// InfluxPolicy is the retention policy the store writes to, as Check
// found it.
type InfluxPolicy struct {
	Database, Name string
	// Duration is how long InfluxDB keeps a point in it; 0: for ever
	// (SHOW RETENTION POLICIES says 0s).
	Duration time.Duration
	// Asked is InfluxConfig.DatabaseDuration: the duration fusion gives
	// a database it creates (history_days); negative: for ever, as asked.
	Asked time.Duration
}

// Policy returns the retention policy the store writes to as Check last
// found it; false before a Check found it.
func (s *Influx) Policy() (InfluxPolicy, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.policy, s.policyOK
}

// AlterQL is the InfluxQL statement (for an InfluxDB admin) that gives p
// the duration d, in whole days (at least one).
func (p InfluxPolicy) AlterQL(d time.Duration) string {
	return fmt.Sprintf("ALTER RETENTION POLICY %s ON %s DURATION %dd", qlIdent(p.Name), qlIdent(p.Database), max(int64(math.Ceil(d.Hours()/24)), 1))
}

// qlPolicyDuration returns the duration of the retention policy name in
// an answer to SHOW RETENTION POLICIES (its "duration" column, as
// "2160h0m0s"; "0s": for ever); false when not found or not readable.
func qlPolicyDuration(res []qlResult, name string) (time.Duration, bool) {
	for _, r := range res {
		for _, sr := range r.Series {
			col := slices.Index(sr.Columns, "duration")
			if col < 0 {
				continue
			}
			for _, v := range sr.Values {
				if len(v) <= col || v[0] != name {
					continue
				}
				str, ok := v[col].(string)
				if !ok {
					return 0, false
				}
				d, err := time.ParseDuration(str)
				if err != nil || d < 0 {
					return 0, false
				}
				return d, true
			}
		}
	}
	return 0, false
}

// qlListHas reports whether the first column of an InfluxQL SHOW answer
// lists name.
func qlListHas(res []qlResult, name string) bool {
	for _, r := range res {
		for _, sr := range r.Series {
			for _, v := range sr.Values {
				if len(v) > 0 && v[0] == name {
					return true
				}
			}
		}
	}
	return false
}
