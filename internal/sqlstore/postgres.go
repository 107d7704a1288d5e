package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/keyturn/keyturn"
)

var postgresDialect = &dialect{
	name:      "postgres",
	numbered:  true,
	forUpdate: " FOR UPDATE",
	contains: func(column string) string {
		return "strpos(" + column + ", ?) > 0"
	},
	translate: translatePostgres,
	retryable: func(err error) bool {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			// serialization_failure, deadlock_detected
			return pe.Code == "40001" || pe.Code == "40P01"
		}
		return false
	},
}

// errDatabaseUnavailable is the message of every error caused by a lost or
// refused database connection. SDKs retry InternalServerException, which
// it becomes on the wire.
const errDatabaseUnavailable = "The database is unavailable. Retry the request; if the problem persists, contact the server operator."

// errDatabaseTimeout is the message of an error caused by a database that
// did not respond before the request's deadline.
const errDatabaseTimeout = "The database did not respond in time. Retry the request; if the problem persists, contact the server operator."

// errUnstorableText is the message of an error caused by text that
// PostgreSQL cannot store, such as the NUL character.
const errUnstorableText = "The request contains text that the database cannot store, such as the NUL character (\\u0000). Remove it and send the request again."

func translatePostgres(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		// The caller's deadline passed while it waited for the database,
		// for a connection or for a response.
		return &keyturn.Error{Code: keyturn.ErrUnavailable, Message: errDatabaseTimeout, Err: err}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505": // unique_violation
			return &keyturn.Error{Code: keyturn.ErrConflict, Message: "The record already exists.", Err: err}
		case pe.Code == "22021", // character_not_in_repertoire: NUL in text
			pe.Code == "22P05": // untranslatable_character: \u0000 in JSON
			// The API layers reject NUL characters before they reach the
			// store. A value that slips past them is still the client's
			// error, not an internal one.
			return &keyturn.Error{Code: keyturn.ErrInvalid, Message: errUnstorableText, Err: err}
		case strings.HasPrefix(pe.Code, "08"), // connection_exception
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // shutdown, crash, cannot connect now
			return &keyturn.Error{Code: keyturn.ErrUnavailable, Message: errDatabaseUnavailable, Err: err}
		}
		return err
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, sql.ErrConnDone) ||
		pgconn.SafeToRetry(err) || pgconn.Timeout(err) || strings.Contains(err.Error(), "conn closed") {
		return &keyturn.Error{Code: keyturn.ErrUnavailable, Message: errDatabaseUnavailable, Err: err}
	}
	return err
}

// PostgresOptions tunes the connection pool of a PostgreSQL store.
type PostgresOptions struct {
	// MaxConns bounds the open connections. Default: 20.
	MaxConns int
}

// OpenPostgres connects to the PostgreSQL database at the URL, such as
// postgres://keyturn@db.example.com:5432/keyturn, and brings its schema up
// to date. Replicas that start at once apply each migration once: they take
// turns under an advisory lock.
func OpenPostgres(ctx context.Context, url string, opts PostgresOptions) (*Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("invalid PostgreSQL URL: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	db := sql.OpenDB(stdlib.GetConnector(*cfg))
	if opts.MaxConns <= 0 {
		opts.MaxConns = 20
	}
	db.SetMaxOpenConns(opts.MaxConns)
	db.SetMaxIdleConns(opts.MaxConns)
	db.SetConnMaxLifetime(30 * time.Minute)
	s := &Store{write: db, read: db, d: postgresDialect}
	if err := migrate(ctx, db, postgresDialect, postgresLock); err != nil {
		db.Close()
		return nil, fmt.Errorf("open PostgreSQL database: %w", err)
	}
	return s, nil
}

// migrationLockID is the key of the advisory lock that serialises
// migrations across replicas. It is an arbitrary constant.
const migrationLockID = 7_401_224_593

// postgresLock holds the migration advisory lock on conn until release.
func postgresLock(ctx context.Context, conn *sql.Conn) (release func(), err error) {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLockID)); err != nil {
		return nil, translatePostgres(err)
	}
	return func() {
		conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLockID))
	}, nil
}
