package dashboard

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// pausingConnector opens SQLite connections whose queries can be held
// after their rows are read and closed (the statement reset, its lock
// released), so a test can run something between a read and what its
// caller does with it.
type pausingConnector struct {
	drv  driver.Driver
	dsn  string
	mu   sync.Mutex
	hold func(query string) // called after a query's rows are closed; may block
}

func (p *pausingConnector) Connect(context.Context) (driver.Conn, error) {
	c, err := p.drv.Open(p.dsn)
	if err != nil {
		return nil, err
	}
	return pausingConn{Conn: c, p: p}, nil
}

func (p *pausingConnector) Driver() driver.Driver { return p.drv }

// setHold sets the function run after each query (nil for none).
func (p *pausingConnector) setHold(f func(query string)) {
	p.mu.Lock()
	p.hold = f
	p.mu.Unlock()
}

type pausingConn struct {
	driver.Conn
	p *pausingConnector
}

func (c pausingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	if err != nil {
		return nil, err
	}
	return pausingRows{Rows: rows, query: query, p: c.p}, nil
}

func (c pausingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

func (c pausingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

type pausingRows struct {
	driver.Rows
	query string
	p     *pausingConnector
}

func (r pausingRows) Close() error {
	err := r.Rows.Close()
	r.p.mu.Lock()
	hold := r.p.hold
	r.p.mu.Unlock()
	if hold != nil {
		hold(r.query)
	}
	return err
}

// pausingDB is a file database of two connections (one held by a paused
// read, one for the change made meanwhile) behind a pausingConnector.
func pausingDB(t *testing.T) (*sql.DB, *pausingConnector) {
	t.Helper()
	probe, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	drv := probe.Driver()
	probe.Close()
	p := &pausingConnector{drv: drv, dsn: "file:" + filepath.Join(t.TempDir(), "rfw.db") + "?_pragma=busy_timeout(10000)"}
	db := sql.OpenDB(p)
	db.SetMaxOpenConns(2)
	t.Cleanup(func() { db.Close() })
	return db, p
}

// TestSessionNotRevived: a session logged out, or whose account is
// disabled, demoted or given a new password, while a request of it is
// reading the session from the database, stays ended in this process.
// The read's result was cached after the change had dropped the session
// from memory, so the session was accepted again, without a database
// read, for up to Recheck (5 s). Likewise a login that read the account
// just before it was disabled cached its new session.
func TestSessionNotRevived(t *testing.T) {
	const sessionRead = "FROM dashboard_sessions AS s JOIN"
	const accountRead = "SELECT hash, role"
	tests := []struct {
		name   string
		during string // the read during which the change is made
		change func(ctx context.Context, u *Users, token string) error
	}{
		{"logout", sessionRead, func(_ context.Context, u *Users, token string) error { return u.Logout(token) }},
		{"disabled", sessionRead, func(ctx context.Context, u *Users, _ string) error { return u.SetDisabled(ctx, "ops", true) }},
		{"demoted", sessionRead, func(ctx context.Context, u *Users, _ string) error {
			_, err := u.SetRole(ctx, "ops", RoleViewer)
			return err
		}},
		{"password reset", sessionRead, func(ctx context.Context, u *Users, _ string) error {
			_, err := u.ResetPassword(ctx, "ops")
			return err
		}},
		{"own password changed", sessionRead, func(ctx context.Context, u *Users, _ string) error {
			return u.ChangePassword(ctx, "192.0.2.9", "ops", "ops-password", "a-new-long-password")
		}},
		{"disabled during login", accountRead, func(ctx context.Context, u *Users, _ string) error { return u.SetDisabled(ctx, "ops", true) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, p := pausingDB(t)
			var now atomic.Int64
			now.Store(testNow.UnixNano())
			ctx := context.Background()
			u, err := NewUsers(ctx, db, UsersOptions{BcryptCost: bcrypt.MinCost, Recheck: 5 * time.Second,
				Now: func() time.Time { return time.Unix(0, now.Load()) }})
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range []string{"admin", "ops"} {
				if err := u.Create(ctx, n, n+"-password", RoleAdmin); err != nil {
					t.Fatal(err)
				}
			}
			var token string
			if tc.during == sessionRead {
				s, err := u.Login(ctx, "192.0.2.1", "ops", "ops-password")
				if err != nil {
					t.Fatal(err)
				}
				token = s.Token
				now.Add(int64(6 * time.Second)) // past Recheck: the next request reads the database
			}

			read, resume := make(chan struct{}), make(chan struct{})
			var once sync.Once
			p.setHold(func(query string) {
				if strings.Contains(query, tc.during) {
					once.Do(func() { close(read); <-resume })
				}
			})
			done := make(chan string, 1)
			go func() {
				if tc.during == accountRead {
					s, err := u.Login(ctx, "192.0.2.1", "ops", "ops-password")
					if err != nil {
						close(read) // never paused: let the test go on and fail below
						done <- ""
						return
					}
					done <- s.Token
					return
				}
				u.Session(token)
				done <- token
			}()
			select {
			case <-read:
			case <-time.After(10 * time.Second):
				t.Fatal("the read was never made")
			}
			if err := tc.change(ctx, u, token); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			close(resume)
			p.setHold(nil)
			token = <-done
			if token == "" {
				t.Fatal("the login failed")
			}
			// within Recheck of the read: only memory could still accept it
			if _, ok := u.Session(token); ok {
				t.Errorf("%s during a read of the session: the session is accepted again", tc.name)
			}
		})
	}
}
