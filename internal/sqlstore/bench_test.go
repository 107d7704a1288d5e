package sqlstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/storetest"
)

// benchPageSize is the page size of the ListSessions benchmarks, the
// largest MaxResults that ListSessions accepts.
const benchPageSize = 20

// benchSessionCount returns how many sessions the ListSessions benchmarks
// store: 10,000, or 1,000,000 when KEYTURN_BENCH_LARGE is 1. Filling a
// million rows takes tens of seconds and hundreds of megabytes of disk.
func benchSessionCount() int {
	if os.Getenv("KEYTURN_BENCH_LARGE") == "1" {
		return 1_000_000
	}
	return 10_000
}

// BenchmarkListSessionsSQLite measures ListSessions on a SQLite file: the
// first page and a page near the end of a team's sessions. See
// benchmarkListSessions for the metrics.
func BenchmarkListSessionsSQLite(b *testing.B) {
	s := openSQLite(b, filepath.Join(b.TempDir(), "bench.db"))
	b.Cleanup(func() { s.Close() })
	benchmarkListSessions(b, s)
}

// BenchmarkListSessionsPostgres is BenchmarkListSessionsSQLite on
// PostgreSQL.
func BenchmarkListSessionsPostgres(b *testing.B) {
	s := openPostgres(b, storetest.PostgresURL(b))
	b.Cleanup(func() { s.Close() })
	benchmarkListSessions(b, s)
}

// benchmarkListSessions fills one team with sessions, then runs one
// sub-benchmark per filter. Each operation lists the first page and a page
// whose cursor lies near the end of the list. Beside ns/op, for both pages
// together, it reports first-ns/op and deep-ns/op for each page and their
// ratio deep/first, which stays near 1 while a page's cost does not grow
// with its depth.
func benchmarkListSessions(b *testing.B, s *Store) {
	n := benchSessionCount()
	teamArn := keyturn.TeamArn("us-east-1", "111122223333", "bench")
	start := time.Now()
	fillSessions(b, s, teamArn, n)
	b.Logf("stored %d sessions in %s", n, time.Since(start).Round(time.Millisecond))

	now := benchTime(n)
	cases := []struct {
		name    string
		filters []keyturn.SessionFilter
		// deepIndex is the fill index of the session whose position is the
		// cursor of the deep page.
		deepIndex int
	}{
		{"sessions=" + fmt.Sprint(n) + "/no-filter", nil, benchPageSize},
		{"sessions=" + fmt.Sprint(n) + "/status", []keyturn.SessionFilter{
			{Field: keyturn.FieldSessionStatus, Op: keyturn.OpEQ, Value: string(keyturn.SessionApproved)},
		}, 4 * benchPageSize},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			first := keyturn.SessionQuery{TeamArn: teamArn, Now: now, Filters: c.filters, Limit: benchPageSize}
			deep := first
			deep.After = sessionCursor(b, s, benchSessionArn(teamArn, c.deepIndex))
			for _, q := range []keyturn.SessionQuery{first, deep} {
				if got := listSessions(ctx, b, s, q); got != benchPageSize {
					b.Fatalf("ListSessions after %+v: got %d sessions, want a full page of %d", q.After, got, benchPageSize)
				}
			}

			var firstTime, deepTime time.Duration
			for b.Loop() {
				t0 := time.Now()
				listSessions(ctx, b, s, first)
				t1 := time.Now()
				listSessions(ctx, b, s, deep)
				firstTime += t1.Sub(t0)
				deepTime += time.Since(t1)
			}
			b.ReportMetric(float64(firstTime.Nanoseconds())/float64(b.N), "first-ns/op")
			b.ReportMetric(float64(deepTime.Nanoseconds())/float64(b.N), "deep-ns/op")
			b.ReportMetric(float64(deepTime)/float64(firstTime), "deep/first")
		})
	}
}

func listSessions(ctx context.Context, b testing.TB, s *Store, q keyturn.SessionQuery) int {
	var n int
	err := s.View(ctx, func(tx keyturn.Tx) error {
		sessions, err := tx.ListSessions(ctx, q)
		n = len(sessions)
		return err
	})
	if err != nil {
		b.Fatalf("ListSessions: %v", err)
	}
	return n
}

// benchTime returns the start time of the session with fill index i. Three
// sessions share each second, so pages break ties by Seq.
func benchTime(i int) time.Time {
	return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i/3) * time.Second)
}

func benchSessionArn(teamArn string, i int) string {
	return keyturn.SessionArn("us-east-1", "111122223333", keyturn.TeamID(teamArn), fmt.Sprintf("s%07d", i))
}

// benchStatuses cycles through the stored statuses, so a status filter
// keeps a quarter of the sessions.
var benchStatuses = []keyturn.SessionStatus{
	keyturn.SessionApproved, keyturn.SessionFailed, keyturn.SessionCancelled, keyturn.SessionPending,
}

// fillSessions stores n sessions of the team, and one of another team for
// every ten, with multi-row INSERT statements in transactions of up to
// 50,000 rows.
func fillSessions(b testing.TB, s *Store, teamArn string, n int) {
	b.Helper()
	const (
		rowsPerInsert = 500
		rowsPerTx     = 50_000
		columns       = `(arn, team_arn, action_name, status, initiation_time, expiration_time, requester_account_id, client_token, doc)`
		placeholders  = `(?, ?, ?, ?, ?, ?, ?, ?, ?)`
	)
	otherTeam := keyturn.TeamArn("us-east-1", "111122223333", "other")
	ctx := context.Background()

	row := func(teamArn string, i int, arn string) []any {
		started := benchTime(i)
		session := &keyturn.Session{
			Arn: arn, TeamArn: teamArn, TeamName: "bench", AccountID: "111122223333", Region: "us-east-1",
			Kind: keyturn.KindOperation, ActionName: "deploy:Promote", MinApprovals: 2,
			Description:        "Promote build to production",
			RequesterAccountID: "444455556666", RequesterRegion: "us-east-1",
			InitiationTime: started, ExpirationTime: started.Add(24 * time.Hour),
			Status: benchStatuses[i%len(benchStatuses)],
		}
		doc, err := sessionDoc(session)
		if err != nil {
			b.Fatal(err)
		}
		return []any{arn, teamArn, session.ActionName, string(session.Status), nanos(session.InitiationTime),
			nanos(session.ExpirationTime), session.RequesterAccountID, "", doc}
	}

	for txStart := 0; txStart < n; txStart += rowsPerTx {
		err := s.Update(ctx, func(ktx keyturn.Tx) error {
			sqlTx := ktx.(*tx)
			for insertStart := txStart; insertStart < min(txStart+rowsPerTx, n); insertStart += rowsPerInsert {
				var args []any
				count := 0
				for i := insertStart; i < min(insertStart+rowsPerInsert, n); i++ {
					args = append(args, row(teamArn, i, benchSessionArn(teamArn, i))...)
					count++
					if i%10 == 0 {
						args = append(args, row(otherTeam, i, benchSessionArn(otherTeam, i))...)
						count++
					}
				}
				query := `INSERT INTO sessions ` + columns + ` VALUES ` + strings.TrimSuffix(strings.Repeat(placeholders+", ", count), ", ")
				if _, err := sqlTx.exec(ctx, query, args...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("store sessions %d to %d: %v", txStart, min(txStart+rowsPerTx, n)-1, err)
		}
	}
}

// sessionCursor returns the list position of the session, as a cursor.
func sessionCursor(b testing.TB, s *Store, arn string) keyturn.Cursor {
	b.Helper()
	var session *keyturn.Session
	err := s.View(context.Background(), func(tx keyturn.Tx) error {
		var err error
		session, err = tx.GetSession(context.Background(), arn)
		return err
	})
	if err != nil {
		b.Fatalf("GetSession %s: %v", arn, err)
	}
	return keyturn.Cursor{Time: session.InitiationTime, Seq: session.Seq}
}
