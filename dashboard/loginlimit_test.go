package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// parallelLogins sends n logins at once to srv, each from bodies(i), and
// returns how many password checks ran (Users.checking) and the answers'
// status codes. Each check is held until every request has either reached
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
			codes[c]++
			answered++
		}
	}
	close(release)
	for answered < n {
		codes[<-answers]++
		answered++
	}
	return checks, codes
}

// TestLoginLimitHoldsUnderParallelGuesses: the failed-login limit (5 per
// address and user) counts an attempt before its password is checked.
// It counted a failure once bcrypt had said so, so every guess already in
// flight had passed the limit: 300 guesses sent at once were all checked.
func TestLoginLimitHoldsUnderParallelGuesses(t *testing.T) {
	u, err := NewUsers(context.Background(), memDB(t), UsersOptions{BcryptCost: bcrypt.MinCost, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Create(context.Background(), "t1", "t1-password", RoleViewer); err != nil {
		t.Fatal(err)
	}
	ev := newEnv(t)
	ev.deps.Users = u
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
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
