package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// txAuditor is an Auditor that writes an audit row in a transaction on
// its database, which it names: *store.SQLite (AuditTx, DB). Open uses it
// when that database is the registry's, so that an entry and its audit
// row are stored together or not at all. fusion, the dashboard and the
// demo (cmd/rfwarden) all open the registry as Open(ctx, db.DB(), db,
// ...) with db the store, and Open checks it (DB() == db) rather than
// relying on that.
type txAuditor interface {
	AuditTx(ctx context.Context, tx *sql.Tx, e store.AuditEntry) error
	DB() *sql.DB
}

var _ txAuditor = (*store.SQLite)(nil)

// writeRecorder is told the outcome of each of the registry's writes to
// its database, so that the database's write health (/healthz) follows
// them too: *store.SQLite (RecordWrite), the txAuditor of its own
// database.
type writeRecorder interface {
	RecordWrite(start time.Time, err error)
}

var _ writeRecorder = (*store.SQLite)(nil)

// change is one transaction of the registry's: the entries it writes and
// their audit rows.
type change struct {
	r     *Registry
	tx    *sql.Tx
	wrote bool               // an entry was written: commit and reload
	later []store.AuditEntry // audit rows for an Auditor outside the transaction, written after commit
	// fresh are the live entries this change made some device's
	// (keyOf): added, or updated to another device or back to life.
	// refuseDuplicates checks them against the others before commit.
	fresh []Entry
	// imported are the entries a CSV import stored, by line (ImportCSV)
	imported []storedRow
}

// write runs fn in one transaction on the registry's database, and
// commits what it wrote, with its audit rows, unless it fails: then
// nothing fn did is stored, and the in-memory copy is as it was. what
// names the change in the errors of beginning and committing. It reloads
// the entries after a commit; stored reports whether there was one.
//
// The store's transactions begin IMMEDIATE (the DSN's _txlock), so what
// fn reads (the entry an update replaces, its revision) stays so until
// the commit: two admins cannot both pass the revision check. On a
// database opened otherwise, a deferred transaction that read the entry
// fails with SQLITE_BUSY when another wrote it meanwhile, which is safe
// too.
//
// With an Auditor that cannot write in the transaction (txAudit nil: a
// test fake, an audit log elsewhere), the audit rows are written after
// the commit, in two steps as before: a failed audit is returned (stored
// true) while the change stays stored, unaudited.
func (r *Registry) write(ctx context.Context, what string, fn func(*change) error) (stored bool, err error) {
	if rec, ok := r.txAudit.(writeRecorder); ok {
		defer func(start time.Time) { rec.RecordWrite(start, err) }(time.Now())
	}
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("%s: begin: %w", what, err)
	}
	c := &change{r: r, tx: tx}
	if err := fn(c); err != nil {
		tx.Rollback()
		return false, err
	}
	if !c.wrote {
		tx.Rollback() // nothing to store: an update that changed nothing
		return false, nil
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("%s: commit: %w", what, err)
	}
	var errs []error
	for _, e := range c.later {
		if err := r.audit.Audit(context.WithoutCancel(ctx), e); err != nil { // stored: audit it, though the request has ended
			errs = append(errs, err)
		}
	}
	// Stored: the caller must not be told otherwise (a retry would store
	// it twice). A reload that fails leaves this copy behind until the
	// next Refresh, which sees the change counter moved.
	if err := r.reload(context.WithoutCancel(ctx)); err != nil {
		r.log.Error("registry: change stored, but reloading the entries failed; the next refresh retries", "change", what, "err", err)
	}
	if err := errors.Join(errs...); err != nil {
		return true, fmt.Errorf("%s: stored, but not audited: %w", what, err)
	}
	return true, nil
}

// audit records a change of entry id by user: in the transaction when the
// Auditor can join it, after the commit otherwise (write).
func (c *change) audit(ctx context.Context, user, action string, id int64, before string, after Entry) error {
	return c.auditRow(ctx, store.AuditEntry{TimeNS: c.r.now().UnixNano(), User: user, Action: action,
		Object: objectName(id), Before: before, After: string(encode(after))})
}

// auditRow writes the audit row e: in the transaction when the Auditor
// can join it, after the commit otherwise (write).
func (c *change) auditRow(ctx context.Context, e store.AuditEntry) error {
	if c.r.txAudit != nil {
		return c.r.txAudit.AuditTx(ctx, c.tx, e)
	}
	c.later = append(c.later, e)
	return nil
}

// read returns entry id as stored now, in the transaction (another
// process may have changed it since this Registry loaded it), as a load
// lists it; before is its body as the audit trail's "before" keeps it
// (the body as read, for an entry that does not decode), decoded whether
// it decodes.
func (c *change) read(ctx context.Context, id int64) (e Entry, before string, decoded bool, err error) {
	var body string
	err = c.tx.QueryRowContext(ctx, `SELECT body FROM registry_entry WHERE id = ?`, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return Entry{}, "", false, fmt.Errorf("registry entry %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return Entry{}, "", false, fmt.Errorf("read registry entry %d: %w", id, err)
	}
	e, derr := c.r.decodeStored(id, body)
	if derr != nil {
		return e, body, false, nil
	}
	return e, string(encode(e)), true, nil
}

// insert stores e, as prepareAdd returns it, and audits it as added by
// user.
func (c *change) insert(ctx context.Context, e Entry, user string) (Entry, error) {
	body := encode(e)
	e.Revision = revisionOf(string(body)) // what it is stored as
	res, err := c.tx.ExecContext(ctx, `INSERT INTO registry_entry(body) VALUES(?)`, body)
	if err != nil {
		return Entry{}, fmt.Errorf("add registry entry: %w", err)
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return Entry{}, fmt.Errorf("add registry entry: %w", err)
	}
	c.wrote = true
	if err := c.audit(ctx, user, "registry.add", e.ID, "", e); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// replace stores e over entry e.ID, whose stored body was before, and
// audits it as action by user.
func (c *change) replace(ctx context.Context, e Entry, before, user, action, verb string) (Entry, error) {
	body := encode(e)
	e.Revision = revisionOf(string(body)) // what it is stored as
	if _, err := c.tx.ExecContext(ctx, `UPDATE registry_entry SET body = ? WHERE id = ?`, body, e.ID); err != nil {
		return Entry{}, fmt.Errorf("%s registry entry %d: %w", verb, e.ID, err)
	}
	c.wrote = true
	if err := c.audit(ctx, user, action, e.ID, before, e); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// isLive reports whether e is in force at now or will be: it has no end
// (valid_until), or ends after now. The entries an Add or an import may
// not add again (liveDevices), and an update may not become.
func isLive(e Entry, now time.Time) bool {
	return e.ValidUntil.IsZero() || e.ValidUntil.After(now)
}

// duplicateError is the refusal of a change that would leave entry id
// the same device (keyOf) as live entry other: two identical live
// entries, one of which an admin later expires while the other goes on
// authorising the device. added says id is new (an imported row).
type duplicateError struct {
	id, other int64
	added     bool
}

func (e *duplicateError) Error() string {
	if e.added {
		return alreadyRegistered(e.other).Error()
	}
	return fmt.Sprintf("already in the register as entry %d (the same name, kind, signature and places), which entry %d would then repeat: change entry %d instead, or expire one of them",
		e.other, e.id, e.other)
}

func (e *duplicateError) Unwrap() error { return ErrConflict }

// refuseDuplicates refuses (a *duplicateError, wrapping ErrConflict)
// when an entry of c.fresh is, as stored in c, the device (keyOf) of
// another live entry, naming the lowest such; added names the entries
// of c.fresh the change added. It reads the entries once, at the end of
// the change, so an import that moves two entries' names round is judged
// on where they end, not a row at a time.
func (c *change) refuseDuplicates(ctx context.Context, added map[int64]bool) error {
	if len(c.fresh) == 0 {
		return nil
	}
	byDevice, err := c.liveByDevice(ctx)
	if err != nil {
		return err
	}
	for _, e := range c.fresh {
		for _, id := range byDevice[keyOf(e)] {
			if id != e.ID {
				return &duplicateError{id: e.ID, other: id, added: added[e.ID]}
			}
		}
	}
	return nil
}

// liveByDevice returns the IDs of the live entries as stored in c, by
// device (keyOf), in ID order.
func (c *change) liveByDevice(ctx context.Context) (map[deviceKey][]int64, error) {
	q, err := c.tx.QueryContext(ctx, `SELECT id, body FROM registry_entry ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read the live entries: %w", err)
	}
	defer q.Close()
	now := c.r.now()
	byDevice := map[deviceKey][]int64{}
	for q.Next() {
		var id int64
		var body string
		if err := q.Scan(&id, &body); err != nil {
			return nil, fmt.Errorf("read the live entries: %w", err)
		}
		if e, _ := c.r.decodeStored(id, body); isLive(e, now) {
			byDevice[keyOf(e)] = append(byDevice[keyOf(e)], id)
		}
	}
	if err := q.Err(); err != nil {
		return nil, fmt.Errorf("read the live entries: %w", err)
	}
	return byDevice, nil
}
