package dashboard

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// fuzzContentTypes are the content types a FuzzAPI input picks from.
var fuzzContentTypes = []string{"application/json", "multipart/form-data; boundary=B", "text/csv", ""}

// apiSeed is a seed input of FuzzAPI: a route of routes.go (method and
// path), the value of its path parameter, a query, a body, the content
// type (fuzzContentTypes) and who sends it (0 the admin, 1 the admin
// without the CSRF token, 2 no session).
type apiSeed struct {
	name, method, path, param, query, body string
	ct, who                                uint8
}

// apiSeeds are FuzzAPI's seeds (testdata/fuzz/FuzzAPI has them too):
// requests the page sends, and broken ones.
func apiSeeds() []apiSeed {
	regCSV := "name,kind,class,freq_min_hz,freq_max_hz,rooms,valid_from\nKiosk A,kiosk,wifi,2400000000,2483500000,a-101,2026-01-01T00:00:00Z\n"
	upload := "--B\r\nContent-Disposition: form-data; name=\"meta\"; filename=\"r.sigmf-meta\"\r\n\r\n{}\r\n--B\r\n" +
		"Content-Disposition: form-data; name=\"data\"; filename=\"r.sigmf-data\"\r\n\r\nabcd\r\n--B--\r\n"
	raw := "--B\r\nContent-Disposition: form-data; name=\"datatype\"\r\n\r\nci8\r\n--B\r\nContent-Disposition: form-data; name=\"sample_rate\"\r\n\r\n1e6\r\n--B\r\n" +
		"Content-Disposition: form-data; name=\"raw\"; filename=\"night.cs8\"\r\n\r\n" + strings.Repeat("\x05\xfb", 32) + "\r\n--B--\r\n"
	return []apiSeed{
		{"alerts-filtered", "GET", "/api/v1/alerts", "", "state=firing&window=day&sort=time", "", 3, 0},
		{"alert", "GET", "/api/v1/alerts/:id", "al1", "", "", 3, 0},
		{"ack", "POST", "/api/v1/alerts/:id/ack", "al1", "", `{"note":"seen on camera"}`, 0, 0},
		{"bulk-ack", "POST", "/api/v1/alerts/ack", "", "", `{"ids":["al1","al2"],"note":"n"}`, 0, 0},
		{"heatmap", "GET", "/api/v1/heatmap", "", "window=shift&hour=3", "", 3, 0},
		{"locations", "GET", "/api/v1/locations", "", "minutes=15", "", 3, 0},
		{"floor-svg", "GET", "/api/v1/floors/:floor/svg", "g", "", "", 3, 0},
		{"registry-add", "POST", "/api/v1/registry", "", "", `{"name":"Tablet","kind":"in_cell_tablet","signature":{"class":"wifi","freq_min_hz":2.4e9,"freq_max_hz":2.5e9},"rooms":["a-101"]}`, 0, 0},
		{"registry-update", "PUT", "/api/v1/registry/:id", "1", "", `{"name":"x","kind":"kiosk","revision":"1"}`, 0, 0},
		{"registry-import", "POST", "/api/v1/registry/import", "", "force=1", regCSV, 2, 0},
		{"maintenance", "POST", "/api/v1/sensors/:id/maintenance", "s1", "", `{"minutes":30,"reason":"new antenna"}`, 0, 0},
		{"upload", "POST", "/api/v1/replay/upload", "", "name=r", upload, 1, 0},
		{"upload-raw", "POST", "/api/v1/replay/upload", "", "", raw, 1, 0},
		{"replay-run-traversal", "POST", "/api/v1/replay/run", "", "", `{"path":"../../etc/passwd","start_s":1e308}`, 0, 0},
		{"replay-progress", "GET", "/api/v1/replay/progress", "", "run=run-1-abc", "", 3, 0},
		{"snippet-traversal", "GET", "/api/v1/snippets/:name", "../../../etc/passwd", "", "", 3, 0},
		{"user-create", "POST", "/api/v1/users", "", "", `{"name":"bob","password":"long-enough-password","role":"viewer"}`, 0, 0},
		{"own-role", "PUT", "/api/v1/users/:name/role", "admin", "", `{"role":"viewer"}`, 0, 0},
		{"password-not-utf8", "POST", "/api/v1/me/password", "", "", "{\"old\":\"admin-password\",\"new\":\"\xff\xfe\"}", 0, 0},
		{"audit-bad-query", "GET", "/api/v1/audit", "", "user=%zz&from=2026-13-45", "", 3, 0},
		{"deep-json", "POST", "/api/v1/incidents/:id/close", "inc1", "", `{"note":` + strings.Repeat("[", 10000) + `}`, 0, 0},
		{"login-wrong", "POST", "/api/v1/login", "", "", `{"user":"admin","password":"wrong"}`, 0, 2},
		{"ack-no-csrf", "POST", "/api/v1/alerts/:id/ack", "al1", "", `{"note":"no token"}`, 0, 1},
		{"huge-query", "GET", "/api/v1/incidents", "", "state=" + strings.Repeat("x", 1<<16), "", 3, 0},
	}
}

// FuzzAPI sends the dashboard what any client could: one request to a
// route of its choice, with a path parameter, a query and a body of its
// choice, as the admin (with or without the CSRF token) or with no
// session. The accounts, the registry, the audit log and maintenance are
// the real SQLite stores. Whatever it sends, the answer is never a
// server error (5xx: the problem is the request's, and the answer must
// name it), and an error is JSON naming it in "error".
func FuzzAPI(f *testing.F) {
	for _, s := range apiSeeds() {
		f.Add(s.method+" "+s.path, s.param, s.query, []byte(s.body), s.ct, s.who)
	}
	f.Fuzz(func(t *testing.T, route, param, query string, body []byte, ct, who uint8) {
		method, pattern, ok := strings.Cut(route, " ")
		if !ok || strings.HasSuffix(pattern, "/events") {
			t.Skip("not a route, or the live feed (it streams until its client goes)")
		}
		e, admin := fuzzDashboard(t)
		if !slices.ContainsFunc(e.Routes(), func(r *echo.Route) bool { return r.Method == method && r.Path == pattern }) {
			t.Skip("not a route of the dashboard")
		}
		var segs []string
		for seg := range strings.SplitSeq(pattern, "/") {
			if strings.HasPrefix(seg, ":") || seg == "*" {
				seg = param
			}
			segs = append(segs, seg)
		}
		req := httptest.NewRequest(method, "/", strings.NewReader(string(body)))
		req.URL.Path, req.URL.RawQuery = strings.Join(segs, "/"), query
		if c := fuzzContentTypes[int(ct)%len(fuzzContentTypes)]; c != "" {
			req.Header.Set("Content-Type", c)
		}
		if who%3 != 2 {
			req.AddCookie(admin.cookie)
			if who%3 == 0 {
				req.Header.Set(CSRFHeader, admin.csrf)
			}
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q?%.200q: %d %.300s: a request's problem must be answered 4xx naming it", method, req.URL.Path, query, rec.Code, rec.Body)
		}
		if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			return
		}
		if !utf8.Valid(rec.Body.Bytes()) {
			t.Errorf("%s %q: the answer is not UTF-8: %.300q", method, req.URL.Path, rec.Body)
		}
		if rec.Code >= 400 {
			var msg struct{ Error string }
			if err := json.Unmarshal(rec.Body.Bytes(), &msg); err != nil || msg.Error == "" {
				t.Errorf("%s %q: %d %.300s: want JSON naming the problem in \"error\"", method, req.URL.Path, rec.Code, rec.Body)
			}
		}
	})
}

// fuzzDashboard is a dashboard over newEnv's fakes but with real SQLite
// accounts, registry, audit log and maintenance (in memory: a file's
// fsyncs took most of an input's time), and the admin's session.
func fuzzDashboard(t *testing.T) (*echo.Echo, creds) {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenSQLite(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	users, err := NewUsers(ctx, db.DB(), UsersOptions{BcryptCost: bcrypt.MinCost, Now: func() time.Time { return testNow }, AuditTx: store.AuditInTx})
	if err != nil {
		t.Fatal(err)
	}
	if err := users.Create(ctx, RoleAdmin, "admin-password", RoleAdmin); err != nil {
		t.Fatal(err)
	}
	ev := newEnv(t)
	reg, err := registry.Open(ctx, db.DB(), db, registry.Options{Site: ev.deps.Site, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	ev.deps.Users, ev.deps.Auditor, ev.deps.Registry, ev.deps.Maintenance = users, db, reg, db
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	return e, login(t, e, RoleAdmin, "admin-password")
}
