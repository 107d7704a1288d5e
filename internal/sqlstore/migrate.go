package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migrations are numbered SQL files, migrations/<dialect>/NNN_name.sql,
// with the same numbers in both dialects. Each is applied once, in its own
// transaction together with its row in schema_migrations.
//
//go:embed migrations
var migrationFiles embed.FS

// ErrSchemaTooNew is returned when the database was migrated by a newer
// Keyturn than this one.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

type migration struct {
	version int
	name    string
	sql     string
}

func migrations(dialectName string) ([]migration, error) {
	dir := path.Join("migrations", dialectName)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration file %s is not named NNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %03d_%s is out of sequence: want version %d", m.version, m.name, i+1)
		}
	}
	return out, nil
}

// SchemaVersion returns the newest migration version this binary knows.
func SchemaVersion() int {
	ms, err := migrations("sqlite")
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrate brings the database's schema up to date. lock, when not nil,
// serialises migrate across processes; it is held until migrate returns.
func migrate(ctx context.Context, db *sql.DB, d *dialect, lock func(context.Context, *sql.Conn) (func(), error)) error {
	all, err := migrations(d.name)
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return d.translate(err)
	}
	defer conn.Close()
	if lock != nil {
		release, err := lock(ctx, conn)
		if err != nil {
			return err
		}
		defer release()
	}

	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return d.translate(err)
	}
	var current sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&current); err != nil {
		return d.translate(err)
	}
	if int(current.Int64) > len(all) {
		return fmt.Errorf("%w: the database is at schema version %d, but this keyturn knows versions up to %d. Upgrade keyturn, or point it at another database",
			ErrSchemaTooNew, current.Int64, len(all))
	}
	for _, m := range all[current.Int64:] {
		if err := applyMigration(ctx, conn, d, m); err != nil {
			return fmt.Errorf("apply migration %03d_%s: %w", m.version, m.name, err)
		}
	}
	return nil
}

func applyMigration(ctx context.Context, conn *sql.Conn, d *dialect, m migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return d.translate(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return d.translate(err)
	}
	if _, err := tx.ExecContext(ctx, d.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
		m.version, m.name, time.Now().UnixNano()); err != nil {
		return d.translate(err)
	}
	return d.translate(tx.Commit())
}
