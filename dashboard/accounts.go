package dashboard

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// User is one account as an administrator sees it (never its hash).
type User struct {
	Name       string `json:"name"`
	Role       string `json:"role"`
	CreatedNS  int64  `json:"created_ns"`
	DisabledNS int64  `json:"disabled_ns,omitempty"` // when it was disabled; 0 while enabled
	Sessions   int    `json:"sessions"`              // open sessions, on every dashboard
}

// List returns every account, by name.
func (u *Users) List(ctx context.Context) ([]User, error) {
	rows, err := u.db.QueryContext(ctx, `SELECT name, role, created_ns, disabled_ns FROM dashboard_users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	users := []User{}
	for rows.Next() {
		var x User
		if err := rows.Scan(&x.Name, &x.Role, &x.CreatedNS, &x.DisabledNS); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		users = append(users, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	open, err := u.db.QueryContext(ctx, `SELECT user, COUNT(*) FROM dashboard_sessions WHERE expires_ns >= ? GROUP BY user`, u.now().UnixNano())
	if err != nil {
		return nil, fmt.Errorf("list users: sessions: %w", err)
	}
	defer open.Close()
	for open.Next() {
		var name string
		var n int
		if err := open.Scan(&name, &n); err != nil {
			return nil, fmt.Errorf("list users: sessions: %w", err)
		}
		if i := slices.IndexFunc(users, func(x User) bool { return x.Name == name }); i >= 0 {
			users[i].Sessions = n
		}
	}
	return users, open.Err()
}

// lastAdminGuard is true for a row that may lose admin rights: it is not an
// enabled admin, or another enabled admin remains. In one UPDATE statement
// it is atomic, also between processes sharing the database.
const lastAdminGuard = `(role != 'admin' OR disabled_ns != 0 OR
	(SELECT COUNT(*) FROM dashboard_users AS o WHERE o.role = 'admin' AND o.disabled_ns = 0 AND o.name != dashboard_users.name) > 0)`

// SetRole gives name another role and ends its sessions (its rights change
// at its next login). It returns the old role. The last enabled admin
// keeps its role (ErrLastAdmin).
func (u *Users) SetRole(ctx context.Context, name, role string) (old string, err error) {
	if err := checkRole(role); err != nil {
		return "", err
	}
	if err := u.db.QueryRowContext(ctx, `SELECT role FROM dashboard_users WHERE name = ?`, name).Scan(&old); err != nil {
		return "", u.lookupErr(name, err)
	}
	if old == role {
		return old, nil
	}
	guard := lastAdminGuard
	if role == RoleAdmin {
		guard = "1"
	}
	if err := u.update(ctx, name, `UPDATE dashboard_users SET role = ?, revoked_ns = ? WHERE name = ? AND `+guard,
		role, u.now().UnixNano(), name); err != nil {
		return "", fmt.Errorf("set role of %q: %w", name, err)
	}
	return old, nil
}

// SetDisabled disables an account, ending its sessions, or enables it
// again. The last enabled admin cannot be disabled (ErrLastAdmin).
func (u *Users) SetDisabled(ctx context.Context, name string, disabled bool) (err error) {
	if disabled {
		now := u.now().UnixNano()
		if err := u.update(ctx, name, `UPDATE dashboard_users SET disabled_ns = ?, revoked_ns = ? WHERE name = ? AND `+lastAdminGuard, now, now, name); err != nil {
			return fmt.Errorf("disable %q: %w", name, err)
		}
		return nil
	}
	start := time.Now()
	res, err := u.db.ExecContext(ctx, `UPDATE dashboard_users SET disabled_ns = 0 WHERE name = ?`, name)
	u.recordWrite(start, err)
	if err != nil {
		return fmt.Errorf("enable %q: %w", name, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return u.lookupErr(name, sql.ErrNoRows)
	}
	return nil
}

// Delete deletes the account name (its name, role and password hash)
// and ends its sessions, in one transaction. The last enabled admin is
// kept (ErrLastAdmin). What names the account elsewhere stays: its audit
// rows (until audit_days), the acknowledgements, closures and search
// outcomes it recorded. A new account may take the name again later; the
// audit log tells the two apart by the user.delete and user.create rows
// between them.
func (u *Users) Delete(ctx context.Context, name string) error {
	_, err := u.DeleteAudited(ctx, name, store.AuditEntry{})
	return err
}

// DeleteAudited is Delete, writing e (its user.delete row) in the
// deletion's transaction when the audit log is in this database
// (UsersOptions.AuditTx): the account goes with its row, or neither does
// (rfwarden restore deletes again the accounts such rows name). It
// reports whether it wrote e; if not (no AuditTx, or e has no Action) the
// caller audits the deletion afterwards.
func (u *Users) DeleteAudited(ctx context.Context, name string, e store.AuditEntry) (audited bool, err error) {
	var then func(tx *sql.Tx) error
	if u.auditTx != nil && e.Action != "" {
		then = func(tx *sql.Tx) error { return u.auditTx(ctx, tx, e) }
	}
	if err := u.updateThen(ctx, name, then, `DELETE FROM dashboard_users WHERE name = ? AND `+lastAdminGuard, name); err != nil {
		return false, fmt.Errorf("delete %q: %w", name, err)
	}
	return then != nil, nil
}

// ResetPassword gives name a new random password, which it returns for an
// administrator to hand over, and ends name's sessions; name must choose
// its own at its next login.
func (u *Users) ResetPassword(ctx context.Context, name string) (string, error) {
	password := randToken(15)
	h, err := u.hash(password)
	if err != nil {
		return "", err
	}
	if err := u.update(ctx, name, `UPDATE dashboard_users SET hash = ?, revoked_ns = ?, must_change = 1 WHERE name = ?`, h, u.now().UnixNano(), name); err != nil {
		return "", fmt.Errorf("reset password of %q: %w", name, err)
	}
	return password, nil
}

// ChangePassword sets name's password to next after checking current,
// rate-limited per ip and user like Login, and ends every session of name,
// this one included: the user logs in again with the new password.
func (u *Users) ChangePassword(ctx context.Context, ip, name, current, next string) error {
	if next == current {
		return fmt.Errorf("%w: the new password must differ from the current one", ErrPassword)
	}
	// The new password's rules first (no attempt spent on a typo in it),
	// then the current password under the login limit, and only then the
	// new one's bcrypt: a user past the limit costs no hash per request.
	if err := checkNewPassword(next); err != nil {
		return err
	}
	if _, err := u.checkPassword(ctx, limitAddr(ip)+"|"+name, u.now(), name, current); err != nil {
		return err
	}
	// The current password was right: the change is made though the
	// client has gone since its check began. The new password is hashed
	// before detach, whose bound is the write's alone: bcrypt took 7.4 s
	// of its 5 s under the race detector on a loaded machine, and the
	// write was refused before it began ("context deadline exceeded", a
	// 500 for a right password; TestChangePasswordSlowHashStillWrites).
	h, err := u.hash(next)
	if err != nil {
		return err
	}
	ctx, cancel := detach(ctx)
	defer cancel()
	if err := u.update(ctx, name, `UPDATE dashboard_users SET hash = ?, revoked_ns = ?, must_change = 0 WHERE name = ?`, h, u.now().UnixNano(), name); err != nil {
		return fmt.Errorf("change password of %q: %w", name, err)
	}
	return nil
}

// update runs a statement on name's row and deletes name's sessions, in
// one transaction, then ends them here. When it changed no row it tells
// why: no such user, or the last-admin guard. The change committed before
// the sessions' deletion: when that failed (the database busy), update
// returned an error for a change made, which its callers did not audit (a
// reset password was never shown). Now an error means nothing changed.
func (u *Users) update(ctx context.Context, name, query string, args ...any) error {
	return u.updateThen(ctx, name, nil, query, args...)
}

// updateThen is update, calling then (when not nil) in the transaction
// after the change: its error rolls the change back.
func (u *Users) updateThen(ctx context.Context, name string, then func(tx *sql.Tx) error, query string, args ...any) (err error) {
	defer func(start time.Time) { u.recordWrite(start, err) }(time.Now()) // for /healthz (UsersOptions.RecordWrite)
	tx, err := u.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM dashboard_users WHERE name = ?`, name).Scan(&one); err != nil {
			return u.lookupErr(name, err)
		}
		return ErrLastAdmin
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM dashboard_sessions WHERE user = ?`, name); err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	if then != nil {
		if err := then(tx); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	u.mu.Lock()
	for token, s := range u.sessions {
		if s.User == name {
			delete(u.sessions, token)
		}
	}
	u.dropped++ // a read of name's sessions under way is not kept (Session)
	u.mu.Unlock()
	return nil
}

func (u *Users) lookupErr(name string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("user %q: %w", name, ErrNoUser)
	}
	return fmt.Errorf("look up user %q: %w", name, err)
}
