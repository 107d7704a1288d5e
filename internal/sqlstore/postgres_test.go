package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/storetest"
)

// testPostgresOptions keeps each test store's pool small, because the
// conformance subtests run in parallel against one server.
var testPostgresOptions = PostgresOptions{MaxConns: 8}

func openPostgres(t testing.TB, url string) *Store {
	t.Helper()
	s, err := OpenPostgres(context.Background(), url, testPostgresOptions)
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	return s
}

func TestPostgresConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) keyturn.Store {
		return openPostgres(t, storetest.PostgresURL(t))
	})
}

func TestPostgresMigrationsConcurrent(t *testing.T) {
	url := storetest.PostgresURL(t)

	// Replicas that start at the same moment on a fresh database take
	// turns, and each migration is applied once.
	const replicas = 6
	stores := make([]*Store, replicas)
	errs := make([]error, replicas)
	start := make(chan struct{})
	done := make(chan int)
	for i := range replicas {
		go func() {
			<-start
			stores[i], errs[i] = OpenPostgres(t.Context(), url, PostgresOptions{MaxConns: 2})
			done <- i
		}()
	}
	close(start)
	for range replicas {
		<-done
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("OpenPostgres replica %d: %v", i, err)
			continue
		}
		defer stores[i].Close()
	}
	if t.Failed() {
		t.FailNow()
	}

	checkMigrationsOnce(t, "postgres", appliedMigrations(t, stores[0].write))

	// Every replica can write to the migrated schema.
	for i, s := range stores {
		err := s.Update(t.Context(), func(tx keyturn.Tx) error {
			return tx.PutMeta(t.Context(), fmt.Sprintf("replica-%d", i), "ready")
		})
		if err != nil {
			t.Errorf("PutMeta through replica %d: %v", i, err)
		}
	}
}

func TestPostgresReopenAppliesNoMigration(t *testing.T) {
	url := storetest.PostgresURL(t)
	s := openPostgres(t, url)
	first := appliedMigrations(t, s.write)
	s.Close()

	s = openPostgres(t, url)
	defer s.Close()
	if again := appliedMigrations(t, s.write); strings.Join(again, "\n") != strings.Join(first, "\n") {
		t.Errorf("schema_migrations after reopen: got %q, want %q unchanged", again, first)
	}
}

func TestPostgresSchemaTooNew(t *testing.T) {
	url := storetest.PostgresURL(t)
	s := openPostgres(t, url)
	newer := SchemaVersion() + 1
	if _, err := s.write.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'from_the_future', 0)`, newer); err != nil {
		t.Fatalf("insert a newer migration: %v", err)
	}
	s.Close()

	_, err := OpenPostgres(t.Context(), url, testPostgresOptions)
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("OpenPostgres of a newer schema: got error %v, want ErrSchemaTooNew", err)
	}
	for _, want := range []string{fmt.Sprintf("version %d", newer), "Upgrade keyturn"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("OpenPostgres of a newer schema: got message %q, want it to contain %q", err, want)
		}
	}
}

// TestPostgresViewReadOnly checks that PostgreSQL itself rejects a write in
// a View, below the checks of the Tx methods.
func TestPostgresViewReadOnly(t *testing.T) {
	s := openPostgres(t, storetest.PostgresURL(t))
	defer s.Close()
	ctx := t.Context()

	var writeErr error
	err := s.View(ctx, func(ktx keyturn.Tx) error {
		_, writeErr = ktx.(*tx).tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('k', 'v')`)
		return nil
	})
	if err == nil && writeErr == nil {
		t.Fatal("INSERT in a View: got no error, want PostgreSQL to reject it")
	}
	var pe *pgconn.PgError
	if !errors.As(writeErr, &pe) || pe.Code != "25006" {
		t.Errorf("INSERT in a View: got error %v, want read_only_sql_transaction (25006)", writeErr)
	}
}

// TestPostgresSortColumnsUseByteOrder checks that the text columns that
// lists sort on compare bytes, whatever the database's default collation.
// The conformance suite checks the order itself, but only a server whose
// default collation differs from byte order would catch a missing COLLATE.
func TestPostgresSortColumnsUseByteOrder(t *testing.T) {
	s := openPostgres(t, storetest.PostgresURL(t))
	defer s.Close()

	columns := []struct{ table, column string }{
		{"users", "user_name"},
		{"policy_versions", "policy_arn"},
	}
	for _, c := range columns {
		var collation string
		err := s.write.QueryRowContext(t.Context(), `SELECT COALESCE(collation_name, '')
			FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`,
			c.table, c.column).Scan(&collation)
		if err != nil {
			t.Fatalf("read the collation of %s.%s: %v", c.table, c.column, err)
		}
		if collation != "C" {
			t.Errorf("collation of %s.%s: got %q, want C", c.table, c.column, collation)
		}
	}
}

// TestPostgresNULIsInvalid checks that text PostgreSQL cannot store is a
// client error. The API layers reject NUL characters first; the store
// keeps one that slips past them from becoming an internal error.
func TestPostgresNULIsInvalid(t *testing.T) {
	s := openPostgres(t, storetest.PostgresURL(t))
	defer s.Close()
	ctx := t.Context()

	user := &keyturn.User{ID: "user-1", AccountID: "111122223333", Region: "us-east-1", UserName: "ali\x00ce", Status: keyturn.UserEnabled}
	tests := []struct {
		name string
		fn   func(tx keyturn.Tx) error
	}{
		{"CreateUser with NUL in the user name", func(tx keyturn.Tx) error {
			return tx.CreateUser(ctx, user)
		}},
		{"GetUserByName with NUL", func(tx keyturn.Tx) error {
			_, err := tx.GetUserByName(ctx, "111122223333", "us-east-1", "ali\x00ce")
			return err
		}},
		{"SetTags with NUL in a value", func(tx keyturn.Tx) error {
			return tx.SetTags(ctx, "arn:aws:mpa:us-east-1:111122223333:approval-team/a", map[string]string{"env": "prod\x00"})
		}},
		{"GetSessionByClientToken with NUL", func(tx keyturn.Tx) error {
			_, err := tx.GetSessionByClientToken(ctx, "arn:aws:mpa:us-east-1:111122223333:approval-team/a", "111122223333", "token\x00")
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Update(ctx, tc.fn)
			if code := keyturn.Code(err); code != keyturn.ErrInvalid {
				t.Fatalf("got error %v (code %q), want code %q", err, code, keyturn.ErrInvalid)
			}
			if msg := keyturn.Message(err); !strings.Contains(msg, "NUL character") {
				t.Errorf("got message %q, want it to name the NUL character", msg)
			}
		})
	}
}

func TestTranslatePostgresUnstorableText(t *testing.T) {
	for _, code := range []string{"22021", "22P05"} {
		err := translatePostgres(&pgconn.PgError{Code: code, Message: "invalid byte sequence"})
		if got := keyturn.Code(err); got != keyturn.ErrInvalid {
			t.Errorf("SQLSTATE %s: got code %q, want %q", code, got, keyturn.ErrInvalid)
		}
	}
}
