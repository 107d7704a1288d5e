package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// PostgresEnv is the environment variable that sets the PostgreSQL server
// of the tests, as a URL such as DefaultPostgresURL. The tests create and
// drop schemas in its database.
const PostgresEnv = "KEYTURN_TEST_POSTGRES"

// DefaultPostgresURL is the server that the tests use when PostgresEnv is
// not set.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// unreachable caches, per server URL, the error of a failed connection, so
// that the tests after the first skip at once.
var unreachable sync.Map

// PostgresURL returns the URL of a new, empty schema on the test server,
// which it drops when the test ends. The URL sets search_path to that
// schema, so tests that use it run in parallel without seeing each
// other's tables.
//
// If the server cannot be reached, PostgresURL skips the test, or fails it
// when the environment variable CI is "true", so that CI cannot skip the
// PostgreSQL tests unnoticed.
func PostgresURL(t testing.TB) string {
	t.Helper()
	server := os.Getenv(PostgresEnv)
	if server == "" {
		server = DefaultPostgresURL
	}
	if err, ok := unreachable.Load(server); ok {
		skipUnreachable(t, server, err.(error))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatalf("open PostgreSQL test server %s: %v. Set %s to a valid postgres:// URL", redact(server), err, PostgresEnv)
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		unreachable.Store(server, err)
		skipUnreachable(t, server, err)
	}

	schema := "kt_" + randomHex(8)
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s on PostgreSQL test server %s: %v", schema, redact(server), err)
	}
	t.Cleanup(func() { dropSchema(t, server, schema) })
	return withSearchPath(server, schema)
}

func skipUnreachable(t testing.TB, server string, err error) {
	t.Helper()
	msg := fmt.Sprintf("PostgreSQL test server %s cannot be reached: %v. "+
		"Start PostgreSQL there, or set %s to the URL of a server where the tests may create schemas",
		redact(server), err, PostgresEnv)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI is true, so the PostgreSQL tests fail instead of skipping)")
	}
	t.Skip(msg)
}

func dropSchema(t testing.TB, server, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", server)
	if err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
		return
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
		t.Errorf("drop schema %s on PostgreSQL test server %s: %v", schema, redact(server), err)
	}
}

// withSearchPath returns the server's connection string with search_path
// set to the schema. It accepts URLs and key=value connection strings.
func withSearchPath(server, schema string) string {
	if !strings.HasPrefix(server, "postgres://") && !strings.HasPrefix(server, "postgresql://") {
		return server + " search_path=" + schema
	}
	u, err := url.Parse(server)
	if err != nil {
		return server // unreachable: pgx parsed the same URL to connect
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// redact returns the connection string without its password, for
// messages.
func redact(server string) string {
	u, err := url.Parse(server)
	if err != nil || u.Scheme == "" {
		return "(" + PostgresEnv + ")"
	}
	return u.Redacted()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
