package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// maxCachedStatements bounds the statements a cache keeps. ListSessions
// builds its query from the filters, so a store runs many query texts. The
// first ones to run, usually the common ones, are kept.
const maxCachedStatements = 256

// stmtCache keeps the prepared statements of one database by query text,
// for a driver that parses each query again on every run. A statement is
// prepared after the transaction that first ran its query ends, because
// preparing takes a connection from the pool: a transaction that waited
// for one while holding the last would wait forever.
type stmtCache struct {
	db *sql.DB

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: make(map[string]*sql.Stmt)}
}

// lookup returns the statement of the query, or nil.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stmts[query]
}

// prepare prepares the queries that the cache lacks, while it has room.
// A query that fails to prepare is left out, so it keeps running as text
// and its error reaches the caller that runs it.
func (c *stmtCache) prepare(ctx context.Context, queries []string) {
	for _, query := range queries {
		c.mu.Lock()
		_, have := c.stmts[query]
		full := len(c.stmts) >= maxCachedStatements
		c.mu.Unlock()
		if have || full {
			continue
		}
		stmt, err := c.db.PrepareContext(ctx, query)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if _, have := c.stmts[query]; have || len(c.stmts) >= maxCachedStatements {
			stmt.Close()
		} else {
			c.stmts[query] = stmt
		}
		c.mu.Unlock()
	}
}

// close closes every statement. The cache must not be used afterwards.
func (c *stmtCache) close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for query, stmt := range c.stmts {
		errs = append(errs, stmt.Close())
		delete(c.stmts, query)
	}
	return errors.Join(errs...)
}
