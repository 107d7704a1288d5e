package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/keyturn/keyturn"
)

// summarizingStore is a store that can keep each session's ListSessions
// entry. Stores without it skip the tests of summaries.
type summarizingStore interface {
	SetSessionSummarizer(keyturn.SessionSummarizer)
}

// testSummary is the entry that testSummarizer encodes.
func testSummary(s *keyturn.Session) []byte {
	b, err := json.Marshal(map[string]string{"arn": s.Arn, "action": s.ActionName, "status": string(s.Status)})
	if err != nil {
		panic(err)
	}
	return b
}

func testSummarizer(format int) keyturn.SessionSummarizer {
	return keyturn.SessionSummarizer{
		Format: format,
		Encode: func(s *keyturn.Session) ([]byte, error) { return testSummary(s), nil },
	}
}

// withSummaries runs fn on a store that keeps summaries made by
// testSummarizer, or skips it when the store cannot.
func withSummaries(fn func(t *testing.T, s keyturn.Store)) func(t *testing.T, s keyturn.Store) {
	return func(t *testing.T, s keyturn.Store) {
		summarizing, ok := s.(summarizingStore)
		if !ok {
			t.Skip("the store does not keep session summaries")
		}
		summarizing.SetSessionSummarizer(testSummarizer(1))
		fn(t, s)
	}
}

// listed is what ListSessions returns of want when the store kept its
// summary: the summary and the fields that order and judge it.
func listed(want *keyturn.Session) *keyturn.Session {
	return &keyturn.Session{
		Arn:            want.Arn,
		Seq:            want.Seq,
		InitiationTime: want.InitiationTime,
		ExpirationTime: want.ExpirationTime,
		Status:         want.Status,
		Summary:        testSummary(want),
	}
}

// checkListed compares what ListSessions returned with the sessions
// expected: whole, or in their listed form where the store returned a
// summary.
func checkListed(t *testing.T, what string, got, want []*keyturn.Session) {
	t.Helper()
	checkEqual(t, what+" ARNs", sessionArns(got), sessionArns(want))
	if len(got) != len(want) {
		return
	}
	for i := range got {
		expected := want[i]
		if got[i].Summary != nil {
			expected = listed(want[i])
		}
		checkEqual(t, what+" "+want[i].Arn, got[i], expected)
	}
}

func testListSessionsSummaries(t *testing.T, s keyturn.Store) {
	summarizing, ok := s.(summarizingStore)
	if !ok {
		t.Skip("the store does not keep session summaries")
	}
	team := newTeam(accountA, regionA, "team", at(-24*time.Hour))
	createTeams(t, s, team)
	list := func(now time.Time) []*keyturn.Session {
		t.Helper()
		return get(t, s, "ListSessions", func(ctx context.Context, tx keyturn.Tx) ([]*keyturn.Session, error) {
			return tx.ListSessions(ctx, keyturn.SessionQuery{TeamArn: team.Arn, Now: now, Limit: 100})
		})
	}

	// A session written before the store kept summaries has none.
	older := newSession(team, "older", at(-time.Hour))
	createSessions(t, s, older)
	summarizing.SetSessionSummarizer(testSummarizer(1))

	pending := newSession(team, "pending", at(-40*time.Minute))
	expired := newSession(team, "expired", at(-30*time.Minute))
	expired.ExpirationTime = at(0)
	approved := newSession(team, "approved", at(-20*time.Minute))
	approved.Status = keyturn.SessionApproved
	createSessions(t, s, pending, expired, approved)

	got := list(base)
	checkEqual(t, "ListSessions", got, []*keyturn.Session{listed(approved), expired, listed(pending), older})

	// Before the expiry, the expiring session is listed by its summary.
	checkEqual(t, "ListSessions before the expiry", list(at(-time.Nanosecond)),
		[]*keyturn.Session{listed(approved), listed(expired), listed(pending), older})

	// Writing a session rewrites its summary.
	pending.Status = keyturn.SessionCancelled
	older.Status = keyturn.SessionFailed
	mustUpdate(t, s, "UpdateSession", func(ctx context.Context, tx keyturn.Tx) error {
		if err := tx.UpdateSession(ctx, pending); err != nil {
			return err
		}
		return tx.UpdateSession(ctx, older)
	})
	checkEqual(t, "ListSessions after updates", list(base),
		[]*keyturn.Session{listed(approved), expired, listed(pending), listed(older)})

	// Summaries of another format are not served.
	summarizing.SetSessionSummarizer(testSummarizer(2))
	checkEqual(t, "ListSessions in a new format", list(base),
		[]*keyturn.Session{approved, expired, pending, older})

	// GetSession never returns a summary.
	checkEqual(t, "GetSession", get(t, s, "GetSession", getSession(approved.Arn)), approved)
}
