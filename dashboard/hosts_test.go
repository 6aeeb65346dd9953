package dashboard

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// rawGet sends one request for path to addr over a new connection, with
// the Host header host exactly as given ("" sends an HTTP/1.0 request
// with no Host header, as an old health check does), and returns the
// status and body.
func rawGet(t *testing.T, addr, path, host string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if host == "" {
		fmt.Fprintf(conn, "GET %s HTTP/1.0\r\n\r\n", path)
	} else {
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, host)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s Host %q: %v", path, host, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestHostHeaderChecked: given a dashboard on 127.0.0.1 on a machine
// named dash01.site.example that lists dashboard.example.org and
// *.hmp-north.example in AllowedHosts, when a request comes with a Host
// header, expect it answered (the login, /metrics and the page) for an IP
// literal, with or without its port, localhost, the machine's name or its
// short form, the listed name or a name under the listed domain, in any
// case and with a trailing dot, and refused 421
// naming RFW_ALLOWED_HOSTS before anything is done for any other name
// (a page that rebinds evil.example to the dashboard's address), a
// listed name's look-alikes, the wildcard's domain itself and names
// merely ending like it, and an empty Host; /healthz answers whatever
// the Host. Until 2026-12-06 the Host was not looked at: on plain HTTP
// such a page, same-origin in a control-room browser, could spend that
// PC's login failures and read an open /metrics.
func TestHostHeaderChecked(t *testing.T) {
	ev := newEnv(t)
	ev.deps.AllowedHosts = []string{"dashboard.example.org", "*.hmp-north.example"}
	ev.deps.hostname = func() (string, error) { return "Dash01.site.example", nil }
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)

	for _, tc := range []struct {
		host    string
		allowed bool
	}{
		{"127.0.0.1:" + port, true},
		{"127.0.0.1", true},
		{"10.20.30.40:8080", true},
		{"[::1]:" + port, true},
		{"[::1]", true},
		{"[fe80::1]:443", true},
		{"localhost:" + port, true},
		{"LOCALHOST", true},
		{"localhost.", true},
		{"dash01.site.example", true},
		{"DASH01", true},
		{"dash01.:" + port, true},
		{"dashboard.example.org", true},
		{"Dashboard.Example.ORG:8443", true},
		{"dashboard.example.org.", true},
		{"evil.example", false},
		{"evil.example:" + port, false},
		{"EVIL.example.", false},
		{"dashboard.example.org.evil.example", false},
		{"example.org", false},
		{"127.0.0.1.evil.example", false},
		{"localhost.evil.example", false},
		{"dashboard.example.org..", false},
		{"ctl.hmp-north.example", true},
		{"Rfw.Ctl.HMP-North.example.:" + port, true},
		{"hmp-north.example", false},
		{"evilhmp-north.example", false},
		{"hmp-north.example.evil.example", false},
		{".hmp-north.example", false},
		{"", false},
	} {
		t.Run(fmt.Sprintf("Host %q", tc.host), func(t *testing.T) {
			for _, path := range []string{"/metrics", "/", "/api/v1/me"} {
				code, body := rawGet(t, addr, path, tc.host)
				switch {
				case tc.allowed && code == http.StatusMisdirectedRequest:
					t.Errorf("GET %s: %d %s; want it answered", path, code, body)
				case !tc.allowed && (code != http.StatusMisdirectedRequest || !strings.Contains(body, "RFW_ALLOWED_HOSTS")):
					t.Errorf("GET %s: %d %s; want 421 naming RFW_ALLOWED_HOSTS", path, code, body)
				}
			}
			if code, body := rawGet(t, addr, "/healthz", tc.host); code != http.StatusOK {
				t.Errorf("GET /healthz: %d %s; want 200 whatever the Host", code, body)
			}
		})
	}
}

// TestHostRefusedBeforeLogin: given a dashboard that does not answer to
// evil.example, when a page rebound to its address posts wrong passwords
// as Host evil.example, expect each refused 421 and none counted against
// the client's address: the PC's own users still log in (no 429). Until
// 2026-12-06 twenty such posts locked that PC's users out for 15
// minutes.
func TestHostRefusedBeforeLogin(t *testing.T) {
	ev := newEnv(t)
	ev.deps.AllowedHosts = nil
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	post := func(host, pass string) int {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/login", strings.NewReader(`{"user":"viewer","password":"`+pass+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 30 {
		if code := post("evil.example", "guess"); code != http.StatusMisdirectedRequest {
			t.Fatalf("wrong password %d with Host evil.example: %d, want 421", i, code)
		}
	}
	if code := post(srv.Listener.Addr().String(), "viewer-password"); code != http.StatusOK {
		t.Errorf("the viewer's own login after 30 refused posts: %d, want 200", code)
	}
}

// TestHostRefusalsLoggedAndCounted: every refusal is counted in
// rfwarden_dashboard_host_refused_total; the first hostRefusalLogBurst
// of a minute are logged one by one at warn, naming the host and the
// setting, the rest only counted, and the next line logged (in the next
// minute) says how many were not, so a flood cannot fill the log.
func TestHostRefusalsLoggedAndCounted(t *testing.T) {
	ev := newEnv(t)
	var mu sync.Mutex
	now := testNow
	ev.deps.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	reg := prometheus.NewRegistry()
	ev.deps.Metrics = reg
	logs := new(syncbuf.Buffer)
	ev.deps.Logger = slog.New(slog.NewTextHandler(logs, nil))
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	get := func(host string) {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != http.StatusMisdirectedRequest {
			t.Fatalf("Host %q: %d, want 421", host, rec.Code)
		}
	}
	for i := range hostRefusalLogBurst + 3 {
		get(fmt.Sprintf("evil%d.example", i))
	}
	lines := func() []string {
		var out []string
		for l := range strings.Lines(logs.String()) {
			if strings.Contains(l, "request refused (421)") {
				out = append(out, l)
			}
		}
		return out
	}
	got := lines()
	if len(got) != hostRefusalLogBurst {
		t.Fatalf("%d refusals in a minute logged %d lines, want %d:\n%s", hostRefusalLogBurst+3, len(got), hostRefusalLogBurst, logs)
	}
	if !strings.Contains(got[0], "level=WARN") || !strings.Contains(got[0], "host=evil0.example") || !strings.Contains(got[0], "RFW_ALLOWED_HOSTS") {
		t.Errorf("refusal line %q: want a warning naming the host and RFW_ALLOWED_HOSTS", got[0])
	}
	mu.Lock()
	now = now.Add(hostRefusalLogPeriod)
	mu.Unlock()
	get("later.example")
	got = lines()
	if len(got) != hostRefusalLogBurst+1 || !strings.Contains(got[len(got)-1], "host=later.example") || !strings.Contains(got[len(got)-1], "not_logged_before=3") {
		t.Errorf("the first refusal of the next minute logged %q, want its host and not_logged_before=3", got[len(got)-1])
	}
	if v := metricValue(t, reg, "rfwarden_dashboard_host_refused_total"); v != hostRefusalLogBurst+4 {
		t.Errorf("rfwarden_dashboard_host_refused_total = %v, want %d", v, hostRefusalLogBurst+4)
	}
}

// TestParseAllowedHosts: RFW_ALLOWED_HOSTS is comma-separated host
// names (spaces, case and a trailing dot dropped), IP literals, or "*"
// alone, or "*.domain" (at least two labels); an entry that is empty, has
// a port, a scheme, a path, another wildcard or a character no host name
// has is refused naming it.
func TestParseAllowedHosts(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []string
		wantErr string // in the error; "" for none
	}{
		{in: "", want: nil},
		{in: "  ", want: nil},
		{in: "dashboard.example.org", want: []string{"dashboard.example.org"}},
		{in: " Dashboard.Example.ORG. , rfw-dash ,ctl_room.local", want: []string{"dashboard.example.org", "rfw-dash", "ctl_room.local"}},
		{in: "10.0.0.5,[::1],fe80::1", want: []string{"10.0.0.5", "::1", "fe80::1"}},
		{in: "*", want: []string{"*"}},
		{in: "a.example,,b.example", wantErr: `entry 2 "": empty`},
		{in: "a.example,", wantErr: `entry 2 "": empty`},
		{in: "https://a.example", wantErr: "a URL"},
		{in: "a.example:8443", wantErr: "has a port (8443)"},
		{in: "*.hmp-north.example, *.Ops.Example.ORG.", want: []string{"*.hmp-north.example", "*.ops.example.org"}},
		{in: "*.org", wantErr: "a wildcard over a whole top-level domain"},
		{in: "*.10.0.0.5", wantErr: "a wildcard over an IP address"},
		{in: "*.*.example.org", wantErr: `a wildcard other than a leading "*."`},
		{in: "dash*.example.org", wantErr: `a wildcard other than a leading "*."`},
		{in: "*.example.org:443", wantErr: "has a port (443)"},
		{in: "*.", wantErr: "empty"},
		{in: "*,a.example", wantErr: `"*" allows any host, give it alone`},
		{in: "a.example/path", wantErr: "not a host name"},
		{in: "a example", wantErr: "not a host name"},
		{in: "a..example", wantErr: "1 to 63 characters"},
		{in: ".", wantErr: "1 to 63 characters"},
		{in: strings.Repeat("a", 64) + ".example", wantErr: "1 to 63 characters"},
		{in: strings.Repeat("abcdefghi.", 26) + "org", wantErr: "at most 253"},
		{in: "dash!.example", wantErr: `character '!'`},
		{in: "dashbörd.example", wantErr: `character 'ö'`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseAllowedHosts(tc.in)
			if tc.wantErr == "" {
				if err != nil || !slices.Equal(got, tc.want) {
					t.Errorf("got %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrAllowedHosts) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("got %q, %v; want an ErrAllowedHosts error containing %q", got, err, tc.wantErr)
			}
		})
	}
}

// TestNewRefusesBadAllowedHosts: New refuses a Deps.AllowedHosts entry
// ParseAllowedHosts would, naming the setting; "*" lets any Host in.
func TestNewRefusesBadAllowedHosts(t *testing.T) {
	ev := newEnv(t)
	ev.deps.AllowedHosts = []string{"dashboard.example.org:8080"}
	if _, err := New(ev.deps); !errors.Is(err, ErrAllowedHosts) || !strings.Contains(err.Error(), "RFW_ALLOWED_HOSTS") {
		t.Errorf("New with a port in AllowedHosts: %v; want an ErrAllowedHosts error naming RFW_ALLOWED_HOSTS", err)
	}
	ev.deps.AllowedHosts = []string{AnyHost}
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Host = "anything.behind.proxy"
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf(`GET /metrics with AllowedHosts "*": %d, want 200`, rec.Code)
	}
}
