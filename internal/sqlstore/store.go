// Package sqlstore implements keyturn.Store on SQLite and on PostgreSQL.
//
// Both databases share one implementation: the SQL is written once, with ?
// placeholders, and a dialect supplies what differs: placeholders, row
// locks, a substring test, and the translation of driver errors into
// keyturn errors. Each record is stored as a JSON document, with the columns
// that queries filter and sort on copied beside it. Times are stored as Unix
// nanoseconds in UTC, so both databases compare and order them alike.
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/keyturn/keyturn"
)

// dialect is what differs between the databases.
type dialect struct {
	name string
	// numbered placeholders ($1, $2) instead of ?.
	numbered bool
	// forUpdate is the suffix of a SELECT that locks the rows it reads.
	forUpdate string
	// contains returns an expression that is true when the column contains
	// the text bound to the placeholder.
	contains func(column string) string
	// translate turns a driver error into a keyturn error where it has a
	// meaning for callers: a unique violation, a lost connection.
	translate func(error) error
	// retryable reports whether a transaction that failed with the error
	// can be run again: a serialisation failure or a deadlock.
	retryable func(error) bool
}

// rebind rewrites ? placeholders for the dialect.
func (d *dialect) rebind(query string) string {
	if !d.numbered {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Store is a keyturn.Store on a SQL database.
type Store struct {
	write *sql.DB
	read  *sql.DB
	d     *dialect
	// writeStmts and readStmts keep prepared statements of write and read,
	// for a dialect whose driver does not; they are the same cache when
	// write and read are the same database.
	writeStmts, readStmts *stmtCache
	// summarizer, when set, encodes the ListSessions entry of each session
	// the store writes; see SetSessionSummarizer.
	summarizer *keyturn.SessionSummarizer
}

// SetSessionSummarizer makes the store keep each session's ListSessions
// entry, encoded by the summarizer when the session is written, and return
// it from ListSessions in Session.Summary instead of the decoded session.
// It must be called before the store is used.
func (s *Store) SetSessionSummarizer(summarizer keyturn.SessionSummarizer) {
	s.summarizer = &summarizer
}

var _ keyturn.Store = (*Store)(nil)

// maxAttempts bounds how often Update runs a transaction that failed with a
// retryable error.
const maxAttempts = 5

// Update runs fn in a read-write transaction and commits it if fn returns
// nil. A transaction that fails with a serialisation failure or deadlock is
// run again, up to maxAttempts times.
func (s *Store) Update(ctx context.Context, fn func(keyturn.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.run(ctx, s.write, s.writeStmts, true, fn)
		if err == nil || attempt == maxAttempts || !s.d.retryable(err) {
			return err
		}
		time.Sleep(time.Duration(attempt) * 10 * time.Millisecond)
	}
}

// View runs fn in a read-only transaction.
func (s *Store) View(ctx context.Context, fn func(keyturn.Tx) error) error {
	return s.run(ctx, s.read, s.readStmts, false, fn)
}

func (s *Store) run(ctx context.Context, db *sql.DB, stmts *stmtCache, write bool, fn func(keyturn.Tx) error) (err error) {
	sqlTx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: !write && s.d.name == "postgres"})
	if err != nil {
		return s.d.translate(err)
	}
	t := &tx{tx: sqlTx, d: s.d, write: write, summarizer: s.summarizer, stmts: stmts}
	defer func() {
		if err != nil {
			sqlTx.Rollback()
		}
		// The connection is back in the pool now, free to prepare on.
		if len(t.missed) > 0 {
			stmts.prepare(ctx, t.missed)
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	return s.d.translate(sqlTx.Commit())
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return s.d.translate(err)
	}
	return nil
}

// Close closes the database connections.
func (s *Store) Close() error {
	err := s.writeStmts.close()
	if s.readStmts != s.writeStmts {
		err = errors.Join(err, s.readStmts.close())
	}
	err = errors.Join(err, s.write.Close())
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// tx is one transaction.
type tx struct {
	tx         *sql.Tx
	d          *dialect
	write      bool
	summarizer *keyturn.SessionSummarizer
	// stmts, when not nil, holds prepared statements; missed lists the
	// queries the transaction ran that it lacked, to prepare afterwards.
	stmts  *stmtCache
	missed []string
}

// prepared returns the cached statement of the query, for use in the
// transaction, or nil when there is none yet.
func (t *tx) prepared(ctx context.Context, query string) *sql.Stmt {
	if t.stmts == nil {
		return nil
	}
	if stmt := t.stmts.lookup(query); stmt != nil {
		return t.tx.StmtContext(ctx, stmt)
	}
	t.missed = append(t.missed, query)
	return nil
}

// exec runs a statement that writes.
func (t *tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := t.checkWritable(); err != nil {
		return nil, err
	}
	query = t.d.rebind(query)
	var (
		res sql.Result
		err error
	)
	if stmt := t.prepared(ctx, query); stmt != nil {
		res, err = stmt.ExecContext(ctx, args...)
	} else {
		res, err = t.tx.ExecContext(ctx, query, args...)
	}
	return res, t.d.translate(err)
}

// errReadOnly is returned by a write in a View. It is a bug in the caller,
// so it carries no keyturn error code.
var errReadOnly = errors.New("sqlstore: write in a read-only transaction: use Store.Update for writes")

// checkWritable returns errReadOnly in a View. The databases reject writes
// in a View too, except in an in-memory SQLite store, whose one connection
// serves reads and writes, so no transaction on it is read-only.
func (t *tx) checkWritable() error {
	if !t.write {
		return errReadOnly
	}
	return nil
}

func (t *tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = t.d.rebind(query)
	var (
		rows *sql.Rows
		err  error
	)
	if stmt := t.prepared(ctx, query); stmt != nil {
		rows, err = stmt.QueryContext(ctx, args...)
	} else {
		rows, err = t.tx.QueryContext(ctx, query, args...)
	}
	return rows, t.d.translate(err)
}

// queryRow runs a query for one row.
func (t *tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	query = t.d.rebind(query)
	if stmt := t.prepared(ctx, query); stmt != nil {
		return stmt.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// get scans one row into dest, or returns ErrNotFound.
func (t *tx) get(ctx context.Context, query string, args []any, dest ...any) error {
	err := t.queryRow(ctx, query, args...).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return errNotFound
	}
	return t.d.translate(err)
}

// lockSuffix is the dialect's row-lock suffix in read-write transactions,
// and empty in read-only ones.
func (t *tx) lockSuffix() string {
	if t.write {
		return t.d.forUpdate
	}
	return ""
}

var errNotFound = keyturn.Errorf(keyturn.ErrNotFound, "The record was not found.")

// mustAffect returns ErrNotFound when an UPDATE or DELETE changed no row.
func mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return errNotFound
	}
	return nil
}

func encode(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("sqlstore: encode %T: %w", v, err)
	}
	return string(b), nil
}

func decode(doc string, v any) error {
	if err := json.Unmarshal([]byte(doc), v); err != nil {
		return fmt.Errorf("sqlstore: decode %T: %w", v, err)
	}
	return nil
}

// nanos returns t as Unix nanoseconds, the stored form of times.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// nullNanos returns t as Unix nanoseconds, or NULL for the zero time.
func nullNanos(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

// scanner is the Scan method of *sql.Row or *sql.Rows.
type scanner func(dest ...any) error

// queryOne reads one record with scan, or returns ErrNotFound.
func queryOne[T any](ctx context.Context, t *tx, scan func(scanner) (*T, error), query string, args ...any) (*T, error) {
	v, err := scan(t.queryRow(ctx, query, args...).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, t.d.translate(err)
	}
	return v, nil
}

// queryAll reads every record of a query with scan.
func queryAll[T any](ctx context.Context, t *tx, scan func(scanner) (*T, error), query string, args ...any) ([]*T, error) {
	rows, err := t.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows.Scan)
		if err != nil {
			return nil, t.d.translate(err)
		}
		out = append(out, v)
	}
	return out, t.d.translate(rows.Err())
}

// scanDoc decodes a row of one JSON document column.
func scanDoc[T any](scan scanner) (*T, error) {
	var doc string
	if err := scan(&doc); err != nil {
		return nil, err
	}
	v := new(T)
	return v, decode(doc, v)
}
