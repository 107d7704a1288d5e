package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/storetest"
)

func openSQLite(t testing.TB, path string) *Store {
	t.Helper()
	s, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatalf("OpenSQLite(%q): %v", path, err)
	}
	return s
}

func TestSQLiteMemoryConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) keyturn.Store {
		return openSQLite(t, Memory)
	})
}

func TestSQLiteFileConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) keyturn.Store {
		return openSQLite(t, filepath.Join(t.TempDir(), "keyturn.db"))
	})
}

func TestSQLiteReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "keyturn.db")
	team := &keyturn.Team{
		Arn:          keyturn.TeamArn("us-east-1", "111122223333", "team"),
		AccountID:    "111122223333",
		Region:       "us-east-1",
		Name:         "team",
		CreationTime: time.Date(2025, 3, 14, 15, 9, 26, 535_897_932, time.UTC),
		Status:       keyturn.TeamActive,
	}

	s := openSQLite(t, path)
	err := s.Update(ctx, func(tx keyturn.Tx) error {
		if err := tx.PutMeta(ctx, "token-key", "secret"); err != nil {
			return err
		}
		return tx.CreateTeam(ctx, team)
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openSQLite(t, path)
	defer s.Close()
	var got *keyturn.Team
	var meta string
	err = s.View(ctx, func(tx keyturn.Tx) error {
		var err error
		if meta, err = tx.GetMeta(ctx, "token-key"); err != nil {
			return err
		}
		got, err = tx.GetTeam(ctx, team.Arn)
		return err
	})
	if err != nil {
		t.Fatalf("View after reopen: %v", err)
	}
	if meta != "secret" {
		t.Errorf("GetMeta after reopen: got %q, want %q", meta, "secret")
	}
	if got.Seq != team.Seq || !got.CreationTime.Equal(team.CreationTime) || got.Name != team.Name {
		t.Errorf("GetTeam after reopen: got %+v, want %+v", got, team)
	}

	// Sequence numbers keep increasing across restarts.
	next := *team
	next.Arn = keyturn.TeamArn("us-east-1", "111122223333", "next")
	if err := s.Update(ctx, func(tx keyturn.Tx) error { return tx.CreateTeam(ctx, &next) }); err != nil {
		t.Fatalf("CreateTeam after reopen: %v", err)
	}
	if next.Seq <= team.Seq {
		t.Errorf("CreateTeam after reopen: got Seq %d, want more than %d", next.Seq, team.Seq)
	}
}

// appliedMigrations returns the rows of schema_migrations, one string per
// row, in version order.
func appliedMigrations(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var version, appliedAt int64
		var name string
		if err := rows.Scan(&version, &name, &appliedAt); err != nil {
			t.Fatalf("read schema_migrations: %v", err)
		}
		out = append(out, fmt.Sprintf("%d %s %d", version, name, appliedAt))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	return out
}

// checkMigrationsOnce fails the test unless applied contains each migration of
// the dialect exactly once, in order.
func checkMigrationsOnce(t *testing.T, dialect string, applied []string) {
	t.Helper()
	all, err := migrations(dialect)
	if err != nil {
		t.Fatalf("migrations(%s): %v", dialect, err)
	}
	if len(applied) != len(all) {
		t.Fatalf("schema_migrations: got %d rows %q, want %d, one per migration", len(applied), applied, len(all))
	}
	for i, m := range all {
		if prefix := fmt.Sprintf("%d %s ", m.version, m.name); !strings.HasPrefix(applied[i], prefix) {
			t.Errorf("schema_migrations row %d: got %q, want version %d named %s", i, applied[i], m.version, m.name)
		}
	}
}

func TestSQLiteMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyturn.db")

	s := openSQLite(t, path)
	first := appliedMigrations(t, s.write)
	checkMigrationsOnce(t, "sqlite", first)
	s.Close()

	s = openSQLite(t, path)
	again := appliedMigrations(t, s.write)
	if strings.Join(again, "\n") != strings.Join(first, "\n") {
		t.Errorf("schema_migrations after reopen: got %q, want %q unchanged", again, first)
	}

	newer := SchemaVersion() + 1
	if _, err := s.write.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from_the_future', 0)`, newer); err != nil {
		t.Fatalf("insert a newer migration: %v", err)
	}
	s.Close()

	_, err := OpenSQLite(t.Context(), path)
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("OpenSQLite of a newer schema: got error %v, want ErrSchemaTooNew", err)
	}
	for _, want := range []string{fmt.Sprintf("version %d", newer), "Upgrade keyturn", path} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("OpenSQLite of a newer schema: got message %q, want it to contain %q", err, want)
		}
	}
}

func TestSQLiteMemoryMigrations(t *testing.T) {
	s := openSQLite(t, Memory)
	defer s.Close()
	checkMigrationsOnce(t, "sqlite", appliedMigrations(t, s.write))
}

func TestMigrationFiles(t *testing.T) {
	sqlite, err := migrations("sqlite")
	if err != nil {
		t.Fatalf("migrations(sqlite): %v", err)
	}
	postgres, err := migrations("postgres")
	if err != nil {
		t.Fatalf("migrations(postgres): %v", err)
	}
	if len(sqlite) == 0 {
		t.Fatal("migrations(sqlite): got none, want at least the initial schema")
	}
	if got := SchemaVersion(); got != len(sqlite) {
		t.Errorf("SchemaVersion: got %d, want %d, the number of SQLite migrations", got, len(sqlite))
	}
	if len(postgres) != len(sqlite) {
		t.Fatalf("migrations: got %d for PostgreSQL and %d for SQLite, want the same number", len(postgres), len(sqlite))
	}
	for i := range sqlite {
		if sqlite[i].version != postgres[i].version || sqlite[i].name != postgres[i].name {
			t.Errorf("migration %d: got %03d_%s for SQLite and %03d_%s for PostgreSQL, want the same version and name",
				i, sqlite[i].version, sqlite[i].name, postgres[i].version, postgres[i].name)
		}
	}
}

// TestSQLiteFileViewReadOnly checks that the database itself rejects a
// write in a View of a file store, below the checks of the Tx methods.
func TestSQLiteFileViewReadOnly(t *testing.T) {
	s := openSQLite(t, filepath.Join(t.TempDir(), "keyturn.db"))
	defer s.Close()
	ctx := t.Context()

	var writeErr error
	err := s.View(ctx, func(ktx keyturn.Tx) error {
		_, writeErr = ktx.(*tx).tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('k', 'v')`)
		return nil
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}
	if writeErr == nil || !strings.Contains(writeErr.Error(), "readonly") {
		t.Errorf("INSERT in a View: got error %v, want SQLite's read-only error", writeErr)
	}
}
