package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// parallelLogins sends n logins at once to srv, each from bodies(i), and
// returns how many password checks ran (Users.checking) and the answers'
// status codes (codes[retryAfterMark]: how many had a Retry-After). Each check is held until every request has either reached
// its check or been answered, so requests in flight together are what the
// limit sees: no timing is involved.
func parallelLogins(t *testing.T, u *Users, srv *httptest.Server, n int, body func(i int) string) (checks int, codes map[int]int) {
	t.Helper()
	entered, release := make(chan struct{}, n), make(chan struct{})
	u.checking = func() {
		entered <- struct{}{}
		<-release
	}
	defer func() { u.checking = nil }()
	answers := make(chan int, n)
	for i := range n {
		go func() {
			resp, err := http.Post(srv.URL+"/api/v1/login", "application/json", strings.NewReader(body(i)))
			if err != nil {
				t.Error(err)
				answers <- 0
				return
			}
			resp.Body.Close()
			if resp.Header.Get("Retry-After") != "" {
				answers <- retryAfterMark + resp.StatusCode
				return
			}
			answers <- resp.StatusCode
		}()
	}
	codes = map[int]int{}
	answered := 0
	for checks+answered < n {
		select {
		case <-entered:
			checks++
		case c := <-answers:
			count(codes, c)
			answered++
		}
	}
	close(release)
	for answered < n {
		count(codes, <-answers)
		answered++
	}
	return checks, codes
}

// retryAfterMark is added to a status code in parallelLogins' answers
// that came with a Retry-After header; codes[retryAfterMark] counts them.
const retryAfterMark = 1000

// count adds an answer of parallelLogins to codes.
func count(codes map[int]int, c int) {
	if c >= retryAfterMark {
		codes[retryAfterMark]++
		c -= retryAfterMark
	}
	codes[c]++
}

// TestLoginLimitHoldsUnderParallelGuesses: the failed-login limit (5 per
// address and user) counts an attempt before its password is checked.
// It counted a failure once bcrypt had said so, so every guess already in
// flight had passed the limit: 300 guesses sent at once were all checked.
func TestLoginLimitHoldsUnderParallelGuesses(t *testing.T) {
	_, u, _, srv := limitEnv(t, UsersOptions{MaxChecks: 8}) // the check slots are not what is tested
	const n = 40
	checks, codes := parallelLogins(t, u, srv, n, func(i int) string {
		return fmt.Sprintf(`{"user":"t1","password":"wrongpass%dxx"}`, i)
	})
	if checks != 5 || codes[http.StatusUnauthorized] != 5 || codes[http.StatusTooManyRequests] != n-5 {
		t.Errorf("%d wrong passwords at once: %d checked, answers %v; want 5 checked (401), %d refused (429)", n, checks, codes, n-5)
	}
	// the right password is refused now too: the limit is reached
	resp, err := http.Post(srv.URL+"/api/v1/login", "application/json", strings.NewReader(`{"user":"t1","password":"t1-password"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("right password after 5 failures: %d, want 429", resp.StatusCode)
	}
}

// limitEnv is a dashboard whose Users has the options opt (bcrypt at
// MinCost, the test clock), the account t1 and a metrics registry, served
// on a loopback httptest server.
func limitEnv(t *testing.T, opt UsersOptions) (*env, *Users, *prometheus.Registry, *httptest.Server) {
	t.Helper()
	opt.BcryptCost, opt.Now = bcrypt.MinCost, func() time.Time { return testNow }
	u, err := NewUsers(context.Background(), memDB(t), opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Create(context.Background(), "t1", "t1-password", RoleViewer); err != nil {
		t.Fatal(err)
	}
	ev := newEnv(t)
	ev.deps.Users = u
	reg := prometheus.NewRegistry()
	ev.deps.Metrics = reg
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return ev, u, reg, srv
}

// postLogin logs in to srv as user with password and returns the answer.
func postLogin(t *testing.T, srv *httptest.Server, user, password string) *http.Response {
	t.Helper()
	b, _ := json.Marshal(loginReq{User: user, Password: password})
	resp, err := http.Post(srv.URL+"/api/v1/login", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// metricValue is the value of the counter or gauge name with labels
// (name=value pairs) in reg, 0 if it has none.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					found = found || lp.GetName() == labels[i] && lp.GetValue() == labels[i+1]
				}
				if !found {
					continue metrics
				}
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// TestLoginLimitPerAddress: one address gets MaxIPFailures failed logins
// in the window whatever names it tries, valid or not, existing or not.
// A name that could not be a user's was neither counted nor refused, and
// a new valid-looking name each time escaped the per-user count: each cost
// a bcrypt, and 100 at once made a real login take 13.8 s.
func TestLoginLimitPerAddress(t *testing.T) {
	_, u, _, srv := limitEnv(t, UsersOptions{})
	var checks atomic.Int32
	u.checking = func() { checks.Add(1) }
	names := []string{"no such!", "nobody-1", strings.Repeat("x", 100), "nobody-2", "t1"}
	var codes []int
	for i := range 30 {
		codes = append(codes, postLogin(t, srv, names[i%len(names)], fmt.Sprint("wrong-password-", i)).StatusCode)
	}
	for i, c := range codes {
		want := http.StatusUnauthorized
		if i >= 20 {
			want = http.StatusTooManyRequests
		}
		if c != want {
			t.Errorf("failed login %d from one address: %d, want %d (answers %v)", i+1, c, want, codes)
			break
		}
	}
	if n := checks.Load(); n != 20 {
		t.Errorf("30 failed logins from one address under five names: %d passwords checked, want 20", n)
	}
	// another address is not refused
	if _, err := u.Login(context.Background(), "192.0.2.99", "t1", "t1-password"); err != nil {
		t.Errorf("right password from another address: %v", err)
	}
}

// TestPasswordChecksCapped: at most MaxChecks password checks run at
// once; a login that finds none free within CheckWait is answered 503
// with Retry-After, its password not checked and its attempt not counted.
func TestPasswordChecksCapped(t *testing.T) {
	_, u, _, srv := limitEnv(t, UsersOptions{MaxChecks: 2, CheckWait: time.Millisecond})
	checks, codes := parallelLogins(t, u, srv, 3, func(i int) string {
		return fmt.Sprintf(`{"user":"nobody-%d","password":"wrong-password"}`, i)
	})
	if checks != 2 || codes[http.StatusServiceUnavailable] != 1 || codes[http.StatusUnauthorized] != 2 {
		t.Errorf("3 logins at once with 2 check slots: %d checked, answers %v; want 2 checked (401), 1 refused (503)", checks, codes)
	}
	if codes[retryAfterMark] != 1 {
		t.Errorf("the 503 had no Retry-After header")
	}
	u.checking = nil
	if resp := postLogin(t, srv, "t1", "t1-password"); resp.StatusCode != http.StatusOK {
		t.Errorf("login once the slots are free: %d, want 200", resp.StatusCode)
	}
}

// TestRefusedLoginsAuditedInSummary: a flood of refused logins writes the
// first few audit rows one by one and counts the rest (metric, and one
// summary row when the period ends): each refusal wrote a row.
func TestRefusedLoginsAuditedInSummary(t *testing.T) {
	ev, _, reg, srv := limitEnv(t, UsersOptions{})
	for i := range 5 {
		postLogin(t, srv, "t1", fmt.Sprint("wrong-password-", i))
	}
	const n = 100
	for range n {
		if resp := postLogin(t, srv, "t1", "wrong-password"); resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("login after 5 failures: %d, want 429", resp.StatusCode)
		} else if resp.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	}
	rows := 0
	for _, a := range ev.audit.entries {
		if a.Action == "login.limited" {
			rows++
		}
	}
	if rows != refusalAuditBurst {
		t.Errorf("%d refused logins: %d login.limited rows, want the first %d", n, rows, refusalAuditBurst)
	}
	if got := metricValue(t, reg, "rfwarden_dashboard_login_refused_total", "reason", "limited"); got != n {
		t.Errorf("rfwarden_dashboard_login_refused_total{reason=limited} = %v, want %d", got, n)
	}
	if got := metricValue(t, reg, "rfwarden_dashboard_login_refused_unaudited_total"); got != n-refusalAuditBurst {
		t.Errorf("rfwarden_dashboard_login_refused_unaudited_total = %v, want %d", got, n-refusalAuditBurst)
	}
}

// TestRefusalAuditSummary: past refusalAuditBurst refusals in a period the
// rest are counted, and the period's end writes one row summing them up;
// the next refusal begins a new period, audited one by one again.
func TestRefusalAuditSummary(t *testing.T) {
	audit := &fakeAudit{}
	var ends []func()
	r := &refusalAudit{auditor: audit, now: func() time.Time { return testNow }, unaudited: prometheus.NewCounter(prometheus.CounterOpts{Name: "x"}),
		afterFunc: func(d time.Duration, f func()) {
			if d != refusalAuditPeriod {
				t.Errorf("period end scheduled after %v, want %v", d, refusalAuditPeriod)
			}
			ends = append(ends, f)
		}}
	for i := range refusalAuditBurst + 7 {
		action := "login.limited"
		if i%3 == 0 {
			action = "login.busy"
		}
		r.record(context.Background(), store.AuditEntry{Action: action, Object: "user/t1"})
	}
	if len(audit.entries) != refusalAuditBurst || len(ends) != 1 {
		t.Fatalf("%d refusals in a period: %d rows, %d period ends scheduled; want %d rows, 1 end", refusalAuditBurst+7, len(audit.entries), len(ends), refusalAuditBurst)
	}
	ends[0]()
	last := audit.entries[len(audit.entries)-1]
	// refusals 11..17 (i = 10..16): busy at i = 12, 15
	if want := "2 login.busy, 5 login.limited not audited one by one since 2026-11-24T10:30:00Z"; last.Action != "login.refused.summary" || last.After != want {
		t.Errorf("summary row: %+v, want login.refused.summary saying %q", last, want)
	}
	r.record(context.Background(), store.AuditEntry{Action: "login.limited", Object: "user/t1"})
	if n := len(audit.entries); n != refusalAuditBurst+2 || audit.entries[n-1].Action != "login.limited" || len(ends) != 2 {
		t.Errorf("first refusal of the next period: %d rows, %d ends; want it audited and a new end scheduled", n, len(ends))
	}
	ends[1]() // nothing left out: no summary
	if n := len(audit.entries); n != refusalAuditBurst+2 {
		t.Errorf("a period with nothing left out wrote a summary: %+v", audit.entries[n-1])
	}
}

// ctxAudit is an Auditor that, like SQLite, refuses a write whose context
// has ended.
type ctxAudit struct{ fakeAudit }

func (a *ctxAudit) Audit(ctx context.Context, e store.AuditEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return a.fakeAudit.Audit(ctx, e)
}

// TestRefusalAuditedAfterClientLeft: a refused login is audited though its
// client hung up at once (the request's context ended): a guessing script
// that drops each connection kept its first refusals of a period out of
// the audit, and out of its summary too.
func TestRefusalAuditedAfterClientLeft(t *testing.T) {
	audit := &ctxAudit{}
	r := &refusalAudit{auditor: audit, now: func() time.Time { return testNow }, unaudited: prometheus.NewCounter(prometheus.CounterOpts{Name: "x"}),
		log: slog.New(slog.DiscardHandler), afterFunc: func(time.Duration, func()) {}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.record(ctx, store.AuditEntry{Action: "login.limited", Object: "user/t1"})
	if len(audit.entries) != 1 {
		t.Fatalf("%d audit rows for a refusal whose client left, want 1", len(audit.entries))
	}
}

// TestRefusalAuditWarns: the first login a limit refuses in a period is
// logged at warning level, the dashboard's default, naming the user and
// the address, and the period's end logs how many of each action it
// had; a period of one refusal logs it once. Someone guessing passwords
// showed in the journal only with -v.
func TestRefusalAuditWarns(t *testing.T) {
	var logs bytes.Buffer
	var ends []func()
	r := &refusalAudit{auditor: &fakeAudit{}, now: func() time.Time { return testNow }, unaudited: prometheus.NewCounter(prometheus.CounterOpts{Name: "x"}),
		log:       slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
		afterFunc: func(_ time.Duration, f func()) { ends = append(ends, f) }}
	for _, action := range []string{"login.limited", "login.busy", "login.limited"} {
		r.record(context.Background(), store.AuditEntry{Action: action, User: "t1", Object: "user/t1", Addr: "192.0.2.7"})
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], "action=login.limited user=t1 addr=192.0.2.7") {
		t.Fatalf("after 3 refusals the log is %q; want one warning naming the first's action, user and address", logs.String())
	}
	ends[0]()
	lines = strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "level=WARN") || !strings.Contains(lines[1], `refused="1 login.busy, 2 login.limited" since=2026-11-24T10:30:00Z`) {
		t.Errorf("at the period's end the log is %q; want a warning counting its refusals by action", logs.String())
	}
	logs.Reset()
	r.record(context.Background(), store.AuditEntry{Action: "login.limited", User: "t2", Addr: "192.0.2.8"})
	ends[1]()
	if n := strings.Count(logs.String(), "\n"); n != 1 || !strings.Contains(logs.String(), "user=t2") {
		t.Errorf("a period of one refusal logged %q; want its one warning", logs.String())
	}
}
