package sqlstore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/storetest"
)

// BenchmarkGetSessionSQLite measures GetSession, which reads a session and
// its votes, on a SQLite file that holds the ListSessions benchmarks'
// sessions.
func BenchmarkGetSessionSQLite(b *testing.B) {
	s := openSQLite(b, filepath.Join(b.TempDir(), "bench.db"))
	b.Cleanup(func() { s.Close() })
	benchmarkGetSession(b, s)
}

// BenchmarkGetSessionPostgres is BenchmarkGetSessionSQLite on PostgreSQL.
func BenchmarkGetSessionPostgres(b *testing.B) {
	s := openPostgres(b, storetest.PostgresURL(b))
	b.Cleanup(func() { s.Close() })
	benchmarkGetSession(b, s)
}

// benchmarkGetSession reads a session in the middle of the list, which
// has two votes.
func benchmarkGetSession(b *testing.B, s *Store) {
	n := benchSessionCount()
	teamArn := keyturn.TeamArn("us-east-1", "111122223333", "bench")
	fillSessions(b, s, teamArn, n)
	ctx := context.Background()
	arn := benchSessionArn(teamArn, n/2)
	err := s.Update(ctx, func(tx keyturn.Tx) error {
		for i, approver := range []string{"approver-a", "approver-b"} {
			v := keyturn.Vote{ApproverID: approver, IdentityID: approver, Response: keyturn.ResponseApproved,
				Time: benchTime(n / 2).Add(time.Duration(i+1) * time.Minute)}
			if err := tx.AddVote(ctx, arn, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("add votes to %s: %v", arn, err)
	}

	get := func() *keyturn.Session {
		var session *keyturn.Session
		err := s.View(ctx, func(tx keyturn.Tx) error {
			var err error
			session, err = tx.GetSession(ctx, arn)
			return err
		})
		if err != nil {
			b.Fatalf("GetSession %s: %v", arn, err)
		}
		return session
	}
	if got := len(get().Votes); got != 2 {
		b.Fatalf("GetSession returned %d votes, want 2", got)
	}
	b.ReportAllocs()
	for b.Loop() {
		get()
	}
}
