package dashboard

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// Roles, from least to most privileged. Each role can do everything the
// roles before it can.
const (
	RoleViewer  = "viewer"  // control-room screens: alerts, heatmap, sensors
	RoleOfficer = "officer" // acknowledges alerts, records search outcomes
	RoleAnalyst = "analyst" // registry read, incidents, evidence (IQ snippets, bundles), exports, replay
	RoleAdmin   = "admin"   // registry changes, users, audit log
)

// roles are the roles in their order, least privileged first: the one
// list the checks (RoleAtLeast, checkRole) and the messages naming the
// roles (RoleList: a user's refused role, rfwarden users) are made of, so
// a role added here is in all of them. An array, so no one can change it.
var roles = [...]string{RoleViewer, RoleOfficer, RoleAnalyst, RoleAdmin}

// Roles returns the roles, least privileged first.
func Roles() []string { return slices.Clone(roles[:]) }

// RoleList names the roles, least privileged first, as a message offers
// them: "viewer, officer, analyst or admin".
func RoleList() string {
	return strings.Join(roles[:len(roles)-1], ", ") + " or " + roles[len(roles)-1]
}

// roleRank is role's place in roles, from 1; 0 for no role.
func roleRank(role string) int { return slices.Index(roles[:], role) + 1 }

// RoleAtLeast reports whether role has at least the privileges of min.
func RoleAtLeast(role, min string) bool { return roleRank(role) >= roleRank(min) && roleRank(min) > 0 }

// Errors returned by Users.
var (
	ErrBadCredentials = errors.New("bad user name or password")
	ErrRateLimited    = errors.New("too many failed logins, try again later")
	ErrBusy           = errors.New("too many logins being checked at once, try again in a moment")
	ErrUserExists     = errors.New("user already exists")
	ErrNoUser         = errors.New("no such user")
	ErrDisabled       = errors.New("account disabled; ask an administrator")
	ErrPassword       = errors.New("password not accepted")
	ErrLastAdmin      = errors.New("the last enabled admin account cannot be disabled or given another role")
)

// LimitError is a login refused by a limit (ErrRateLimited, ErrBusy,
// which errors.Is finds through it) and when to try again.
type LimitError struct {
	Err        error
	RetryAfter time.Duration
}

func (e *LimitError) Error() string { return e.Err.Error() }

// Unwrap returns the limit's error.
func (e *LimitError) Unwrap() error { return e.Err }

// errDisabledLogin is a login to a disabled account: a bad credential to
// the client, a disabled account to the audit log.
var errDisabledLogin = fmt.Errorf("%w: %w", ErrBadCredentials, ErrDisabled)

// Session is one logged-in browser.
type Session struct {
	Token string // cookie value
	CSRF  string // token the browser must echo in X-CSRF-Token
	User  string
	Role  string
	// MustChange: the password was set by an administrator (a new account
	// or a reset); the session may only change it, read /me and log out.
	MustChange bool
	IssuedAt   time.Time
	ExpiresAt  time.Time

	annotated string    // annotated SigMF meta of the last replay run
	checked   time.Time // when the account was last read for this session
}

// Users keeps local accounts and their sessions in SQLite tables, so a
// session outlives a dashboard restart (the control room's screens stay
// logged in through an upgrade) and serves every dashboard process on the
// database; sessions in use are also kept in memory. A user has at most
// MaxSessions at once; the expired ones are deleted, here and in the table,
// at each login.
type Users struct {
	db       *sql.DB
	log      *slog.Logger
	auditTx  func(ctx context.Context, tx *sql.Tx, e store.AuditEntry) error
	wrote    func(start time.Time, err error) // UsersOptions.RecordWrite; nil: none
	cost     int
	ttl      time.Duration
	maxSess  int // sessions per user (MaxSessions)
	now      func() time.Time
	maxFails int
	failWin  time.Duration
	recheck  time.Duration

	// decoy is a bcrypt hash of a random password at cost, compared for a
	// name no account has, so a login costs the same either way and its
	// time does not tell which accounts exist.
	decoy func() []byte
	// checking, when set (by tests), is called before each bcrypt
	// comparison of a login or a password change, and hashing before
	// each bcrypt hash of a new password.
	checking, hashing func()

	maxIPFails int
	// maxUserFails is MaxUserFailures; known holds, by user name and
	// limitAddr, when the user last logged in from that address (kept
	// knownAddrFor): those addresses are not refused by it.
	maxUserFails int
	known        map[string]map[string]time.Time
	// checkSlots holds a token per password check running (MaxChecks);
	// a check waits checkWait at most for one.
	checkSlots chan struct{}
	checkWait  time.Duration

	mu       sync.Mutex
	sessions map[string]Session
	fails    map[string][]time.Time // key ip|user
	ipFails  map[string][]time.Time // key ip, whatever the user name
	// userFails are the failures of each user name, from every address
	userFails map[string][]time.Time
	sweepAt   int // len(fails)+len(ipFails)+len(userFails) at which expired keys are swept
	// dropped counts the times sessions were dropped from memory (a
	// logout, an account changed); a session read from the database is
	// kept in memory only if none was dropped during the read, which may
	// have read it before the change.
	dropped uint64
}

// UsersOptions tune Users; zero values pick the defaults.
type UsersOptions struct {
	BcryptCost  int           // default bcrypt.DefaultCost
	SessionTTL  time.Duration // default 12 h (one shift plus margin)
	MaxFailures int           // failed logins per IP+user in FailWindow; default 5
	FailWindow  time.Duration // default 15 min
	// MaxIPFailures is how many failed logins one IP address may make in
	// FailWindow, whatever the user names (existing or not, valid or not);
	// default 20.
	MaxIPFailures int
	// MaxUserFailures is how many failed logins one user name may have in
	// FailWindow from all addresses together; past it the name's logins
	// are refused but from the addresses it logged in from in the last
	// 30 days (knownAddrFor), so a guesser spreading their guesses over
	// many addresses (a PC taking a hundred IPv4 addresses of its subnet)
	// cannot go on, while the user's own screens still log in. Default
	// 50.
	MaxUserFailures int
	// MaxChecks is how many password checks (bcrypt) run at once; default
	// GOMAXPROCS. A login finding none free for CheckWait (default 2 s)
	// gets ErrBusy.
	MaxChecks int
	CheckWait time.Duration
	// MaxSessions is how many sessions one user has at once, on every
	// dashboard process together; a login past it ends the user's oldest.
	// Default MaxSessionsPerUser.
	MaxSessions int
	// Recheck is how often a session's account is read again, so that an
	// account disabled, given another role or a new password by another
	// dashboard process (or `rfwarden users`) loses its sessions here too;
	// default 5 s. Changes made through this Users act at once.
	Recheck time.Duration
	Now     func() time.Time
	// Logger gets the warnings of NewUsers (user names differing only by
	// case); default slog.Default().
	Logger *slog.Logger
	// AuditTx, when the audit log is in the accounts' database (fusion's:
	// store.AuditInTx), writes a deletion's user.delete row in the
	// deletion's transaction (DeleteAudited); nil: the caller audits it
	// afterwards.
	AuditTx func(ctx context.Context, tx *sql.Tx, e store.AuditEntry) error
	// RecordWrite, when set, is told the outcome of each write of the
	// accounts to db begun at start (store.SQLite.RecordWrite), so that
	// /healthz says when the database refuses them (a full disk).
	RecordWrite func(start time.Time, err error)
}

// recordWrite tells UsersOptions.RecordWrite the outcome err of a write
// begun at start.
func (u *Users) recordWrite(start time.Time, err error) {
	if u.wrote != nil {
		u.wrote(start, err)
	}
}

// NewUsers creates the users table in db if needed, upgrading an older
// one, and records the schema version (store.MarkSchema). A database a
// newer rfwarden made is refused (store.ErrNewerSchema).
func NewUsers(ctx context.Context, db *sql.DB, opt UsersOptions) (*Users, error) {
	const ddl = `CREATE TABLE IF NOT EXISTS dashboard_users (
	name TEXT PRIMARY KEY,
	hash TEXT NOT NULL,
	role TEXT NOT NULL,
	created_ns INTEGER NOT NULL,
	disabled_ns INTEGER NOT NULL DEFAULT 0,
	revoked_ns INTEGER NOT NULL DEFAULT 0,
	must_change INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS dashboard_sessions (
	token_hash TEXT PRIMARY KEY, -- hex SHA-256 of the cookie's token: the table alone opens no session
	csrf TEXT NOT NULL,
	user TEXT NOT NULL,
	issued_ns INTEGER NOT NULL,
	expires_ns INTEGER NOT NULL,
	must_change INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS dashboard_sessions_user ON dashboard_sessions(user);
CREATE INDEX IF NOT EXISTS dashboard_sessions_expires ON dashboard_sessions(expires_ns);
CREATE TABLE IF NOT EXISTS dashboard_search_outcomes (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	time_ns INTEGER NOT NULL,
	user TEXT NOT NULL,
	room TEXT NOT NULL,
	found INTEGER NOT NULL,
	note TEXT NOT NULL
);`
	// a newer rfwarden's tables are refused before they are touched: an
	// older dashboard let accounts disabled since the upgrade log in
	if err := store.CheckSchema(ctx, db); err != nil {
		return nil, fmt.Errorf("dashboard tables: %w", err)
	}
	if _, err := db.ExecContext(ctx, ddl); err != nil {
		return nil, fmt.Errorf("create dashboard tables: %w", err)
	}
	if err := addAccountColumns(ctx, db); err != nil {
		return nil, err
	}
	if err := store.MarkSchema(ctx, db); err != nil {
		return nil, fmt.Errorf("dashboard tables: %w", err)
	}
	u := &Users{db: db, log: opt.Logger, auditTx: opt.AuditTx, wrote: opt.RecordWrite, cost: opt.BcryptCost, ttl: opt.SessionTTL, maxSess: opt.MaxSessions, now: opt.Now, maxFails: opt.MaxFailures,
		failWin: opt.FailWindow, recheck: opt.Recheck, maxIPFails: opt.MaxIPFailures, checkWait: opt.CheckWait,
		sessions: map[string]Session{}, fails: map[string][]time.Time{}, ipFails: map[string][]time.Time{},
		maxUserFails: opt.MaxUserFailures, userFails: map[string][]time.Time{}, known: map[string]map[string]time.Time{}}
	if u.log == nil {
		u.log = slog.Default()
	}
	if err := u.uniqueNames(ctx); err != nil {
		return nil, err
	}
	if u.cost == 0 {
		u.cost = bcrypt.DefaultCost
	}
	u.sweepAt = 1024
	u.decoy = sync.OnceValue(func() []byte {
		h, err := bcrypt.GenerateFromPassword([]byte(randToken(16)), u.cost)
		if err != nil { // a cost out of range, which Create refuses too
			h, _ = bcrypt.GenerateFromPassword([]byte(randToken(16)), bcrypt.DefaultCost)
		}
		return h
	})
	if u.ttl == 0 {
		u.ttl = 12 * time.Hour
	}
	if u.maxSess <= 0 {
		u.maxSess = MaxSessionsPerUser
	}
	if u.now == nil {
		u.now = time.Now
	}
	if u.maxFails == 0 {
		u.maxFails = 5
	}
	if u.failWin == 0 {
		u.failWin = 15 * time.Minute
	}
	if u.recheck == 0 {
		u.recheck = 5 * time.Second
	}
	if u.maxIPFails == 0 {
		u.maxIPFails = 20
	}
	if u.maxUserFails == 0 {
		u.maxUserFails = 50
	}
	if opt.MaxChecks <= 0 {
		opt.MaxChecks = runtime.GOMAXPROCS(0)
	}
	u.checkSlots = make(chan struct{}, opt.MaxChecks)
	if u.checkWait <= 0 {
		u.checkWait = 2 * time.Second
	}
	return u, nil
}

// UpgradeAccountsTable adds to db's dashboard_users table the columns an
// older dashboard made it without (disabled_ns, revoked_ns, must_change,
// each 0), as NewUsers does on open: rfwarden restore brings an old
// backup's accounts up to date with it. db must have the table.
func UpgradeAccountsTable(ctx context.Context, db *sql.DB) error {
	return addAccountColumns(ctx, db)
}

// addAccountColumns upgrades a users table made before accounts could be
// disabled or their sessions revoked. Two dashboards upgrading one file at
// once both succeed: the loser's "duplicate column" is what it wanted.
func addAccountColumns(ctx context.Context, db *sql.DB) error {
	for _, col := range []string{"disabled_ns", "revoked_ns", "must_change"} {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('dashboard_users') WHERE name = ?`, col).Scan(&n); err != nil {
			return fmt.Errorf("upgrade dashboard users: %w", err)
		}
		if n > 0 {
			continue
		}
		_, err := db.ExecContext(ctx, `ALTER TABLE dashboard_users ADD COLUMN `+col+` INTEGER NOT NULL DEFAULT 0`)
		if err != nil && !strings.Contains(err.Error(), "duplicate column") {
			return fmt.Errorf("upgrade dashboard users: add %s: %w", col, err)
		}
	}
	return nil
}

// uniqueNames makes user names unique ignoring case in the table (a unique
// index), so that "Alice" cannot be made beside "alice": the audit log
// could not tell them apart. A table that already holds such names keeps
// them, both still log in, with a warning for each pair; Create refuses
// new ones all the same.
func (u *Users) uniqueNames(ctx context.Context) error {
	rows, err := u.db.QueryContext(ctx, `SELECT a.name, b.name FROM dashboard_users AS a JOIN dashboard_users AS b
		ON a.name < b.name AND a.name = b.name COLLATE NOCASE ORDER BY a.name, b.name`)
	if err != nil {
		return fmt.Errorf("check user names: %w", err)
	}
	var pairs [][2]string
	for rows.Next() {
		var p [2]string
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			rows.Close()
			return fmt.Errorf("check user names: %w", err)
		}
		pairs = append(pairs, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check user names: %w", err)
	}
	if len(pairs) == 0 {
		_, err = u.db.ExecContext(ctx, `CREATE UNIQUE INDEX IF NOT EXISTS dashboard_users_name_nocase ON dashboard_users(name COLLATE NOCASE)`)
		if err == nil || !strings.Contains(err.Error(), "UNIQUE") { // UNIQUE: a pair made meanwhile by an older binary
			return err
		}
	}
	for _, p := range pairs {
		u.log.Warn("dashboard: two accounts' names differ only by case, which the audit log does not show: disable one of them (no new such name can be made)",
			"user", p[0], "other", p[1])
	}
	return nil
}

// existingName returns the name of the account called name ignoring case
// (the same name first), "" when none is.
func (u *Users) existingName(ctx context.Context, name string) (string, error) {
	var got string
	err := u.db.QueryRowContext(ctx, `SELECT name FROM dashboard_users WHERE name = ?1 COLLATE NOCASE ORDER BY name != ?1 LIMIT 1`, name).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("look up user %q: %w", name, err)
	}
	return got, nil
}

// userExists is the error of creating name beside the account existing.
func userExists(name, existing string) error {
	if existing == name || existing == "" {
		return fmt.Errorf("create user %q: %w", name, ErrUserExists)
	}
	return fmt.Errorf("create user %q: %w: %q (names may not differ only by case)", name, ErrUserExists, existing)
}

// Create adds a user with a bcrypt hash of password. A name differing
// from an account's only by case is refused (ErrUserExists) as the same
// name is.
func (u *Users) Create(ctx context.Context, name, password, role string) error {
	return u.create(ctx, name, password, role, false)
}

// create is Create; mustChange makes the user choose a new password at
// their next login (an admin chose this one), in the same statement.
func (u *Users) create(ctx context.Context, name, password, role string, mustChange bool) error {
	return u.createAudited(ctx, name, password, role, mustChange, nil, store.AuditEntry{})
}

// createAudited is create; with a TxAuditor it writes the audit row e in
// the same transaction as the account: both are stored or neither.
func (u *Users) createAudited(ctx context.Context, name, password, role string, mustChange bool, a TxAuditor, e store.AuditEntry) (err error) {
	defer func(start time.Time) { u.recordWrite(start, err) }(time.Now()) // for /healthz (UsersOptions.RecordWrite)
	if err := checkUserName(name); err != nil {
		return err
	}
	if err := checkRole(role); err != nil {
		return err
	}
	h, err := u.hash(password)
	if err != nil {
		return err
	}
	if existing, err := u.existingName(ctx, name); err != nil {
		return err
	} else if existing != "" {
		return userExists(name, existing)
	}
	tx, err := u.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create user %q: %w", name, err)
	}
	defer tx.Rollback()
	// The check again in the insert: another process may have made the
	// name since.
	res, err := tx.ExecContext(ctx, `INSERT INTO dashboard_users(name, hash, role, created_ns, must_change)
		SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM dashboard_users WHERE name = ?1 COLLATE NOCASE)`,
		name, h, role, u.now().UnixNano(), mustChange)
	var n int64
	if err == nil {
		n, err = res.RowsAffected()
	}
	if err != nil && !strings.Contains(err.Error(), "UNIQUE") {
		return fmt.Errorf("create user %q: %w", name, err)
	}
	if err != nil || n == 0 {
		tx.Rollback() // before reading again: a test's database has one connection
		existing, _ := u.existingName(ctx, name)
		return userExists(name, existing)
	}
	if a != nil {
		if err := a.AuditTx(ctx, tx, e); err != nil {
			return fmt.Errorf("create user %q: its audit row could not be written, so it is not created: %w", name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create user %q: %w", name, err)
	}
	return nil
}

// hash checks a new password's length and returns its bcrypt hash: at
// least MinPasswordChars characters, at most MaxPasswordBytes bytes of
// UTF-8.
func (u *Users) hash(password string) (string, error) {
	if err := checkNewPassword(password); err != nil {
		return "", err
	}
	if u.hashing != nil {
		u.hashing()
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), u.cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// checkNewPassword reports what makes password unfit to be set, or nil.
func checkNewPassword(password string) error {
	switch {
	case !utf8.ValidString(password):
		return fmt.Errorf("%w: it is not UTF-8", ErrPassword)
	case utf8.RuneCountInString(password) < MinPasswordChars:
		return fmt.Errorf("%w: it must be at least %d characters", ErrPassword, MinPasswordChars)
	case len(password) > MaxPasswordBytes:
		return fmt.Errorf("%w: it must be at most %d bytes (%d plain letters or digits; an accented letter takes two, most other scripts' three)",
			ErrPassword, MaxPasswordBytes, MaxPasswordBytes)
	}
	return nil
}

// MinPasswordChars is the fewest characters a password has.
const MinPasswordChars = 10

// MaxPasswordBytes is the most bytes a password has: bcrypt reads no
// more.
const MaxPasswordBytes = 72

// sweepFails forgets the keys with no failure in the window, and sets the
// size at which to sweep next to twice what is left (at least 1024), so
// the failures kept stay bounded by the window and a sweep's cost is
// spread over as many failures. Call with u.mu held.
func (u *Users) sweepFails(now time.Time) {
	for name, addrs := range u.known {
		for a, t := range addrs {
			if now.Sub(t) >= knownAddrFor {
				delete(addrs, a)
			}
		}
		if len(addrs) == 0 {
			delete(u.known, name)
		}
	}
	for _, m := range []map[string][]time.Time{u.fails, u.ipFails, u.userFails} {
		for k, ts := range m {
			if len(ts) == 0 || now.Sub(slices.MaxFunc(ts, time.Time.Compare)) >= u.failWin {
				delete(m, k)
			}
		}
	}
	u.sweepAt = max(1024, 2*(len(u.fails)+len(u.ipFails)+len(u.userFails)))
}

// checkUserName accepts 1..64 letters, digits, '.', '-' or '_'.
func checkUserName(s string) error {
	ok := s != "" && len(s) <= 64
	for _, r := range s {
		ok = ok && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_')
	}
	if !ok {
		return fmt.Errorf("user name %q: use 1..64 letters, digits, '.', '-' or '_'", s)
	}
	return nil
}

// checkRole accepts the roles (roles).
func checkRole(role string) error {
	if roleRank(role) == 0 {
		return fmt.Errorf("role %q: must be %s", role, RoleList())
	}
	return nil
}

// TxAuditor writes an audit row in a transaction on the database of
// Users (store.SQLite does): the row is stored with the change it records,
// or neither is.
type TxAuditor interface {
	AuditTx(ctx context.Context, tx *sql.Tx, e store.AuditEntry) error
}

// AdminOptions tune EnsureAdmin.
type AdminOptions struct {
	// Auditor, when set, gets the account's user.create row, by "system",
	// in the account's own transaction.
	Auditor TxAuditor
	// KeepPassword leaves the printed password the admin's own, with no
	// change asked at its first login: for a demo's throwaway state
	// only. A dashboard's admin must replace it, since the journal keeps
	// it.
	KeepPassword bool
}

// EnsureAdmin creates the user "admin" with a random password when no admin
// exists yet. It returns the password (for the caller to print once) and
// whether it created the account. The password must be replaced at the
// first login (the journal it is printed to keeps it), unless
// opt.KeepPassword. With opt.Auditor the creation is audited as
// user.create by "system"; when that row cannot be written no account is
// made.
func (u *Users) EnsureAdmin(ctx context.Context, opt AdminOptions) (password string, created bool, err error) {
	var n int
	if err := u.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM dashboard_users WHERE role = ?`, RoleAdmin).Scan(&n); err != nil {
		return "", false, fmt.Errorf("count admins: %w", err)
	}
	if n > 0 {
		return "", false, nil
	}
	password = randToken(15)
	after := RoleAdmin
	if opt.KeepPassword {
		after += " (password kept: no change asked at first login)"
	}
	e := store.AuditEntry{TimeNS: u.now().UnixNano(), User: "system", Action: "user.create", Object: "user/admin", After: after}
	if err := u.createAudited(ctx, "admin", password, RoleAdmin, !opt.KeepPassword, opt.Auditor, e); err != nil {
		return "", false, err
	}
	return password, true, nil
}

// Login checks the password and opens a session. Attempts are counted
// per ip+user, per ip (an IPv6 address's /64: limitAddr) and per user;
// after MaxFailures of the first, MaxIPFailures of the second or
// MaxUserFailures of the third (but from an address the user logged in
// from in the last 30 days) in FailWindow, Login returns ErrRateLimited
// without checking the password (checkPassword); with every password check slot
// taken for CheckWait, ErrBusy. Both are LimitErrors saying when to try
// again. A disabled account fails as a wrong password does, whatever the
// password (the error is both ErrBadCredentials and ErrDisabled). A login
// whose ctx ends before its password is checked fails with ctx's error,
// neither a success nor a failure; once a right password is checked the
// session is stored whatever becomes of ctx.
func (u *Users) Login(ctx context.Context, ip, name, password string) (Session, error) {
	key := limitAddr(ip) + "|" + name
	now := u.now()
	u.mu.Lock()
	dropped := u.dropped
	u.mu.Unlock()
	acct, err := u.checkPassword(ctx, key, now, name, password)
	if err != nil {
		return Session{}, err
	}
	// The password was right: the session is stored though the client
	// has gone since its check began (its failures are forgiven already).
	ctx, cancel := detach(ctx)
	defer cancel()
	s := Session{Token: randToken(32), CSRF: randToken(32), User: name, Role: acct.role, MustChange: acct.mustChange,
		IssuedAt: now, ExpiresAt: now.Add(u.ttl), checked: now}
	ended, err := u.storeSession(ctx, s)
	if err != nil {
		return Session{}, fmt.Errorf("open session: %w", err)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	keep := u.dropped == dropped // else the account may have changed since it was read: Session reads the row
	// The expired sessions leave memory as their rows left the table, and
	// the user's sessions past the cap too; the others' rows stay in memory
	// when they were never used again (a browser closed without logging out).
	for token, x := range u.sessions {
		if now.After(x.ExpiresAt) || len(ended) > 0 && x.User == name && ended[tokenHash(token)] {
			delete(u.sessions, token)
		}
	}
	if len(ended) > 0 {
		u.dropped++ // a read of an ended session under way is not kept (Session)
	}
	if keep {
		u.sessions[s.Token] = s
	}
	return s, nil
}

// MaxSessionsPerUser is how many sessions one user has at once by
// default (UsersOptions.MaxSessions): logging in again past it ends the
// user's oldest session. Sessions never logged out (a browser closed)
// were kept, in the table and in memory, until they expired.
const MaxSessionsPerUser = 20

// storeSession stores s in the sessions table, in one transaction with
// the deletion of the expired sessions and of s.User's oldest past
// maxSess, whose token hashes it returns.
func (u *Users) storeSession(ctx context.Context, s Session) (ended map[string]bool, err error) {
	defer func(start time.Time) { u.recordWrite(start, err) }(time.Now()) // for /healthz (UsersOptions.RecordWrite)
	tx, err := u.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM dashboard_sessions WHERE expires_ns < ?`, s.IssuedAt.UnixNano()); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO dashboard_sessions(token_hash, csrf, user, issued_ns, expires_ns, must_change) VALUES (?, ?, ?, ?, ?, ?)`,
		tokenHash(s.Token), s.CSRF, s.User, s.IssuedAt.UnixNano(), s.ExpiresAt.UnixNano(), s.MustChange); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `DELETE FROM dashboard_sessions WHERE user = ?1 AND token_hash NOT IN
		(SELECT token_hash FROM dashboard_sessions WHERE user = ?1 ORDER BY issued_ns DESC, rowid DESC LIMIT ?2) RETURNING token_hash`, s.User, u.maxSess)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		if ended == nil {
			ended = map[string]bool{}
		}
		ended[h] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return ended, tx.Commit()
}

// limitAddr is what the login limits count an attempt from the client
// address ip against: an IPv4 address itself (also written IPv4-mapped),
// an IPv6 address's /64 network. A host on IPv6 usually has a whole /64,
// and counted per address it had as many guesses as it took addresses.
// Anything else (not an address) is counted as it is.
func limitAddr(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a = a.Unmap(); a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// tokenHash is what the sessions table keeps of a cookie's token.
func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// account is a user's row, without its hash.
type account struct {
	role                  string
	disabledNS, revokedNS int64
	mustChange            bool
}

// checkPassword checks name's password, counting failures per key (ip and
// user) and per ip, whatever the name: after MaxFailures of the key or
// MaxIPFailures of the ip in FailWindow it returns ErrRateLimited (a
// LimitError) without checking. An attempt is counted before its password
// is checked, and the count is taken back when the password was right:
// guesses sent in parallel all passed a limit counted after bcrypt had
// said no, so 300 at once were all checked. At most MaxChecks passwords
// are checked at once; an attempt that waits CheckWait for its turn is
// ErrBusy (a LimitError), not counted. A wrong password or an unknown
// user is ErrBadCredentials. A disabled account is a failure with any
// password, counted and timed as a wrong one, so neither the answer nor
// the limit tells whether the password was right; its error is
// ErrBadCredentials and ErrDisabled.
func (u *Users) checkPassword(ctx context.Context, key string, now time.Time, name, password string) (account, error) {
	ip, _, _ := strings.Cut(key, "|")
	valid := checkUserName(name) == nil
	user := name
	if !valid {
		// No account has such a name: it is counted for its address
		// only, so a flood of ever new (up to 1 MiB) names keeps no
		// memory beyond the address's count.
		key, user = "", ""
	}
	if err := u.reserve(ip, key, user, now); err != nil {
		return account{}, err
	}
	hash := string(u.decoy())
	var a account
	var lookup error = sql.ErrNoRows
	if valid {
		lookup = u.db.QueryRowContext(ctx, `SELECT hash, role, disabled_ns, revoked_ns, must_change FROM dashboard_users WHERE name = ?`, name).
			Scan(&hash, &a.role, &a.disabledNS, &a.revokedNS, &a.mustChange)
		if lookup != nil && !errors.Is(lookup, sql.ErrNoRows) {
			u.unreserve(ip, key, user, now) // no password was checked
			return account{}, fmt.Errorf("look up user: %w", lookup)
		}
		if lookup != nil {
			hash = string(u.decoy())
		}
	}
	release, err := u.checkSlot(ctx)
	if err != nil {
		u.unreserve(ip, key, user, now)
		return account{}, err
	}
	if err := ctx.Err(); err != nil { // the client left before its check: no bcrypt, no success
		release()
		u.unreserve(ip, key, user, now)
		return account{}, err
	}
	if u.checking != nil {
		u.checking()
	}
	wrong := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil
	release()
	if wrong || lookup != nil || a.disabledNS != 0 {
		if lookup == nil && a.disabledNS != 0 {
			return account{}, errDisabledLogin
		}
		return account{}, ErrBadCredentials
	}
	u.unreserve(ip, key, user, now)
	u.mu.Lock()
	delete(u.fails, key) // the failures before a right password are forgiven
	if u.known[name] == nil {
		u.known[name] = map[string]time.Time{}
	}
	u.known[name][ip] = now // the user's own address: MaxUserFailures does not refuse it
	u.mu.Unlock()
	return a, nil
}

// knownAddrFor is how long an address a user logged in from stays
// theirs for MaxUserFailures.
const knownAddrFor = 30 * 24 * time.Hour

// reserve counts an attempt at now against ip, key and user ("": none),
// or returns ErrRateLimited (a LimitError) when any is at its limit; the
// user's limit (MaxUserFailures) does not refuse an address the user
// logged in from within knownAddrFor.
func (u *Users) reserve(ip, key, user string, now time.Time) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	ipRecent := u.recentFails(u.ipFails, ip, now)
	var keyRecent, userRecent []time.Time
	if key != "" {
		keyRecent = u.recentFails(u.fails, key, now)
	}
	userMax := u.maxUserFails
	if user != "" {
		userRecent = u.recentFails(u.userFails, user, now)
		if t, ok := u.known[user][ip]; ok && now.Sub(t) < knownAddrFor {
			userMax = math.MaxInt
		}
	}
	for _, r := range []struct {
		ts  []time.Time
		max int
	}{{keyRecent, u.maxFails}, {ipRecent, u.maxIPFails}, {userRecent, userMax}} {
		if len(r.ts) >= r.max {
			wait := slices.MinFunc(r.ts, time.Time.Compare).Add(u.failWin).Sub(now)
			return &LimitError{Err: ErrRateLimited, RetryAfter: max(wait, time.Second)}
		}
	}
	u.ipFails[ip] = append(ipRecent, now) // reserved: a failure unless the password is right
	if key != "" {
		u.fails[key] = append(keyRecent, now)
	}
	if user != "" {
		u.userFails[user] = append(userRecent, now)
	}
	if len(u.fails)+len(u.ipFails)+len(u.userFails) >= u.sweepAt {
		u.sweepFails(now)
	}
	return nil
}

// recentFails returns m[k]'s failures in the window before now, and keeps
// only those (k none, when none is). Call with u.mu held.
func (u *Users) recentFails(m map[string][]time.Time, k string, now time.Time) []time.Time {
	recent := m[k][:0]
	for _, t := range m[k] {
		if now.Sub(t) < u.failWin {
			recent = append(recent, t)
		}
	}
	if len(recent) == 0 {
		delete(m, k)
		return nil
	}
	m[k] = recent
	return recent
}

// unreserve takes back the attempt reserve counted at now.
func (u *Users) unreserve(ip, key, user string, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, f := range []struct {
		m map[string][]time.Time
		k string
	}{{u.ipFails, ip}, {u.fails, key}, {u.userFails, user}} {
		ts := f.m[f.k]
		if i := slices.IndexFunc(ts, now.Equal); i >= 0 {
			ts = slices.Delete(ts, i, i+1)
		}
		if len(ts) == 0 {
			delete(f.m, f.k)
		} else {
			f.m[f.k] = ts
		}
	}
}

// checkSlot waits up to checkWait for one of the MaxChecks password check
// slots and returns its release; else ErrBusy (a LimitError).
func (u *Users) checkSlot(ctx context.Context) (release func(), err error) {
	release = func() { <-u.checkSlots }
	select {
	case u.checkSlots <- struct{}{}:
		return release, nil
	default:
	}
	t := time.NewTimer(u.checkWait)
	defer t.Stop()
	select {
	case u.checkSlots <- struct{}{}:
		return release, nil
	case <-t.C:
	case <-ctx.Done(): // the client left
	}
	return nil, &LimitError{Err: ErrBusy, RetryAfter: time.Second}
}

// Session returns the live session for a cookie token: from memory, or
// from the sessions table (after a restart, or one another dashboard
// process opened). Every Recheck it reads the account again: a session ends
// when it was logged out (here or elsewhere), or its account is gone or
// disabled, or its sessions were revoked (a new password or role) after it
// was opened. If the database cannot be read a session in memory stands
// and is checked at the next request. A read during which a session was
// dropped here (a logout, an account changed) is not kept: it may have
// been made before the change, and would have revived the session for a
// Recheck.
func (u *Users) Session(token string) (Session, bool) {
	now := u.now()
	u.mu.Lock()
	s, ok := u.sessions[token]
	if ok && now.After(s.ExpiresAt) {
		delete(u.sessions, token)
		ok = false
	}
	dropped := u.dropped
	u.mu.Unlock()
	if ok && now.Sub(s.checked) < u.recheck {
		return s, true
	}
	if token == "" || len(token) > 256 {
		return Session{}, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var stored Session
	var issued, expires int64
	var a account
	err := u.db.QueryRowContext(ctx, `SELECT s.csrf, s.user, s.issued_ns, s.expires_ns, s.must_change, u.role, u.disabled_ns, u.revoked_ns
		FROM dashboard_sessions AS s JOIN dashboard_users AS u ON u.name = s.user WHERE s.token_hash = ?`, tokenHash(token)).
		Scan(&stored.CSRF, &stored.User, &issued, &expires, &stored.MustChange, &a.role, &a.disabledNS, &a.revokedNS)
	switch {
	case errors.Is(err, sql.ErrNoRows): // logged out, or never a session: nothing to delete
		u.forget(token)
		return Session{}, false
	case err != nil:
		return s, ok // a session in memory stands until the database answers
	case a.disabledNS != 0 || a.revokedNS >= issued || now.UnixNano() > expires || ok && a.role != s.Role:
		u.forget(token)
		_ = u.deleteRow(token) // a row left behind is refused again by this same check
		return Session{}, false
	}
	if !ok {
		s = Session{Token: token, CSRF: stored.CSRF, User: stored.User, Role: a.role, MustChange: stored.MustChange,
			IssuedAt: time.Unix(0, issued), ExpiresAt: time.Unix(0, expires)}
	}
	s.checked = now
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.dropped != dropped {
		return s, true // this request began before the change; the next reads the database again
	}
	if cur, had := u.sessions[token]; had {
		s.annotated = cur.annotated
	}
	u.sessions[token] = s
	return s, true
}

// Logout ends a session, in the sessions table and here. When the table
// cannot be written the session stands, here too, and the error says so:
// a session dropped here but left in the table would be served again from
// the table once the database answers.
func (u *Users) Logout(token string) error {
	if err := u.deleteRow(token); err != nil {
		return err
	}
	u.forget(token)
	return nil
}

// deleteRow deletes a session from the sessions table only.
func (u *Users) deleteRow(token string) (err error) {
	defer func(start time.Time) { u.recordWrite(start, err) }(time.Now()) // for /healthz (UsersOptions.RecordWrite)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := u.db.ExecContext(ctx, `DELETE FROM dashboard_sessions WHERE token_hash = ?`, tokenHash(token)); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// forget drops a session from memory only.
func (u *Users) forget(token string) {
	u.mu.Lock()
	delete(u.sessions, token)
	u.dropped++
	u.mu.Unlock()
}

// CheckCSRF compares a submitted token with the session's in constant time.
func (s Session) CheckCSRF(got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) == 1
}

func randToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// recordOutcome stores a handheld search result for a room.
func (u *Users) recordOutcome(ctx context.Context, at time.Time, user, room string, found bool, note string) error {
	_, err := u.recordOutcomeAudited(ctx, at, user, room, found, note, store.AuditEntry{})
	return err
}

// recordOutcomeAudited is recordOutcome, writing e (its search.outcome
// row) in the outcome's transaction when the audit log is in this
// database (UsersOptions.AuditTx), as DeleteAudited does: the outcome is
// stored with its row, or neither is. It reports whether it wrote e; if
// not (no AuditTx, or e has no Action) the caller audits it first.
func (u *Users) recordOutcomeAudited(ctx context.Context, at time.Time, user, room string, found bool, note string, e store.AuditEntry) (audited bool, err error) {
	defer func(start time.Time) { u.recordWrite(start, err) }(time.Now()) // for /healthz (UsersOptions.RecordWrite)
	f := 0
	if found {
		f = 1
	}
	audited = u.auditTx != nil && e.Action != ""
	tx, err := u.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("record search outcome for room %q: %w", room, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO dashboard_search_outcomes(time_ns, user, room, found, note) VALUES (?, ?, ?, ?, ?)`,
		at.UnixNano(), user, room, f, note); err != nil {
		return false, fmt.Errorf("record search outcome for room %q: %w", room, err)
	}
	if audited {
		if err := u.auditTx(ctx, tx, e); err != nil {
			return false, fmt.Errorf("record search outcome for room %q: %w", room, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("record search outcome for room %q: %w", room, err)
	}
	return audited, nil
}

// setAnnotated remembers the annotated SigMF meta of a session's last replay.
func (u *Users) setAnnotated(token, path string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if s, ok := u.sessions[token]; ok {
		s.annotated = path
		u.sessions[token] = s
	}
}

func (u *Users) annotated(token string) (string, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	s, ok := u.sessions[token]
	return s.annotated, ok && s.annotated != ""
}
