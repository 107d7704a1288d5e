package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/keyturn/keyturn"
)

// Memory is the SQLite path that keeps the database in memory only. It
// vanishes when the store is closed.
const Memory = ":memory:"

var sqliteDialect = &dialect{
	name:      "sqlite",
	forUpdate: "", // one writer connection and BEGIN IMMEDIATE serialise writers
	contains: func(column string) string {
		return "instr(" + column + ", ?) > 0"
	},
	translate: translateSQLite,
	retryable: func(err error) bool {
		var se *sqlite.Error
		if errors.As(err, &se) {
			code := se.Code() & 0xff
			return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
		}
		return false
	},
}

func translateSQLite(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &keyturn.Error{Code: keyturn.ErrConflict, Message: "The record already exists.", Err: err}
		}
	}
	return err
}

// OpenSQLite opens the SQLite database file at path, creating it if needed,
// and brings its schema up to date. Path Memory opens an in-memory database.
//
// Writes go through one connection that begins transactions with BEGIN
// IMMEDIATE, so writers queue in the process instead of failing with
// SQLITE_BUSY; reads use a pool of read-only connections, which WAL mode
// lets run beside the writer. A database file must not be shared by two
// Keyturn processes: run PostgreSQL for several replicas.
func OpenSQLite(ctx context.Context, path string) (*Store, error) {
	s := &Store{d: sqliteDialect}
	if path == Memory {
		// An in-memory database lives as long as its connection, so one
		// connection, never closed while idle, serves reads and writes.
		db, err := sql.Open("sqlite", "file::memory:?_pragma=foreign_keys(1)")
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		s.write, s.read = db, db
		s.writeStmts = newStmtCache(db)
		s.readStmts = s.writeStmts
	} else {
		if path == "" {
			return nil, errors.New("sqlstore: empty SQLite path")
		}
		pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
		write, err := sql.Open("sqlite", sqliteURI(path, "_txlock=immediate&"+pragmas))
		if err != nil {
			return nil, err
		}
		write.SetMaxOpenConns(1)
		read, err := sql.Open("sqlite", sqliteURI(path, pragmas+"&_pragma=query_only(1)"))
		if err != nil {
			write.Close()
			return nil, err
		}
		// Idle connections stay open: database/sql keeps two by default,
		// and a reader that opened a new one would pay for the pragmas and
		// its prepared statements again.
		read.SetMaxOpenConns(8)
		read.SetMaxIdleConns(8)
		s.write, s.read = write, read
		s.writeStmts, s.readStmts = newStmtCache(write), newStmtCache(read)
	}
	if err := migrate(ctx, s.write, sqliteDialect, nil); err != nil {
		s.Close()
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	return s, nil
}

// sqliteURI returns a file: URI for the path, with the characters that
// URIs reserve escaped.
func sqliteURI(path, query string) string {
	escaped := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
	return "file:" + escaped + "?" + (&url.URL{RawQuery: query}).RawQuery
}
