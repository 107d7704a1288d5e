package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyturn/keyturn"
)

func getSession(arn string) func(context.Context, keyturn.Tx) (*keyturn.Session, error) {
	return func(ctx context.Context, tx keyturn.Tx) (*keyturn.Session, error) {
		return tx.GetSession(ctx, arn)
	}
}

func createSessions(t *testing.T, s keyturn.Store, sessions ...*keyturn.Session) {
	t.Helper()
	for _, session := range sessions {
		mustUpdate(t, s, "CreateSession "+session.Arn, func(ctx context.Context, tx keyturn.Tx) error {
			return tx.CreateSession(ctx, session)
		})
	}
}

func addVotes(t *testing.T, s keyturn.Store, sessionArn string, votes ...keyturn.Vote) {
	t.Helper()
	for _, v := range votes {
		mustUpdate(t, s, "AddVote "+v.ApproverID, func(ctx context.Context, tx keyturn.Tx) error {
			return tx.AddVote(ctx, sessionArn, v)
		})
	}
}

func sessionArns(sessions []*keyturn.Session) []string {
	arns := make([]string, len(sessions))
	for i, s := range sessions {
		arns[i] = s.Arn
	}
	return arns
}

func testSession(t *testing.T, s keyturn.Store) {
	team := newTeam(accountA, regionA, "team", at(-48*time.Hour))
	createTeams(t, s, team)
	session := fullSession(team, "full")
	requireFilled(t, session, "Seq", "Votes", "Summary")

	createSessions(t, s, session)
	if session.Seq <= 0 {
		t.Fatalf("CreateSession: got Seq %d, want a positive number", session.Seq)
	}
	checkEqual(t, "GetSession", get(t, s, "GetSession", getSession(session.Arn)), session)

	dup := fullSession(team, "full")
	dup.ClientToken = "another-token"
	err := updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		return tx.CreateSession(ctx, dup)
	})
	wantCode(t, "CreateSession with an existing ARN", err, keyturn.ErrConflict)

	// CreateSession stores no votes, even when the session carries some.
	withVotes := newSession(team, "with-votes", at(0))
	withVotes.Votes = []keyturn.Vote{fullVote("1", at(0))}
	createSessions(t, s, withVotes)
	if got := get(t, s, "GetSession", getSession(withVotes.Arn)); len(got.Votes) != 0 {
		t.Errorf("GetSession of a session created with votes: got %d votes, want 0", len(got.Votes))
	}

	votes := []keyturn.Vote{fullVote("1", at(time.Minute)), fullVote("2", at(2*time.Minute))}
	votes[1].Response = keyturn.ResponseRejected
	votes[1].MFAMethod = keyturn.MFAEmailOTP
	requireFilled(t, votes[0])
	addVotes(t, s, session.Arn, votes...)
	want := *session
	want.Votes = votes
	checkEqual(t, "GetSession with votes", get(t, s, "GetSession", getSession(session.Arn)), &want)

	// UpdateSession stores the session's state but leaves the votes alone.
	changed := want
	changed.Status = keyturn.SessionFailed
	changed.StatusCode = keyturn.SessionRejected
	changed.StatusMessage = "An approver rejected the session."
	changed.CompletionTime = at(3 * time.Minute)
	changed.ExecutionStatus = keyturn.ExecutionFailed
	changed.ExpirationTime = at(48 * time.Hour)
	changed.Metadata = map[string]string{"ticket": "OPS-9"}
	changed.Votes = []keyturn.Vote{fullVote("9", at(0))}
	mustUpdate(t, s, "UpdateSession", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.UpdateSession(ctx, &changed)
	})
	wantChanged := changed
	wantChanged.Votes = votes
	checkEqual(t, "GetSession after update", get(t, s, "GetSession", getSession(session.Arn)), &wantChanged)

	missing := newSession(team, "missing", at(0))
	wantNotFound(t, s, "GetSession of a missing session", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetSession(ctx, missing.Arn)
		return err
	})
	err = updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		return tx.UpdateSession(ctx, missing)
	})
	wantCode(t, "UpdateSession of a missing session", err, keyturn.ErrNotFound)
}

func testSessionSeq(t *testing.T, s keyturn.Store) {
	team := newTeam(accountA, regionA, "team", at(0))
	other := newTeam(accountB, regionA, "other", at(0))
	createTeams(t, s, team, other)

	var last int64
	for i := range 6 {
		// Sessions alternate between teams and go back in time, so that
		// only the store can make Seq increase.
		session := newSession([]*keyturn.Team{team, other}[i%2], fmt.Sprintf("s%d", i), at(-time.Duration(i)*time.Hour))
		createSessions(t, s, session)
		if session.Seq <= last {
			t.Errorf("CreateSession %d: got Seq %d, want more than %d", i, session.Seq, last)
		}
		last = session.Seq
		if got := get(t, s, "GetSession", getSession(session.Arn)); got.Seq != session.Seq {
			t.Errorf("GetSession %d: got Seq %d, want %d", i, got.Seq, session.Seq)
		}
	}
}

func testSessionClientToken(t *testing.T, s keyturn.Store) {
	team := newTeam(accountA, regionA, "team", at(0))
	otherTeam := newTeam(accountA, regionA, "other", at(0))
	createTeams(t, s, team, otherTeam)

	session := newSession(team, "tokened", at(0))
	session.RequesterAccountID = accountB
	session.ClientToken = "token-1"
	sameTokenOtherRequester := newSession(team, "other-requester", at(0))
	sameTokenOtherRequester.RequesterAccountID = accountA
	sameTokenOtherRequester.ClientToken = "token-1"
	sameTokenOtherTeam := newSession(otherTeam, "other-team", at(0))
	sameTokenOtherTeam.RequesterAccountID = accountB
	sameTokenOtherTeam.ClientToken = "token-1"
	noToken1 := newSession(team, "no-token-1", at(0))
	noToken1.RequesterAccountID = accountB
	noToken2 := newSession(team, "no-token-2", at(0))
	noToken2.RequesterAccountID = accountB
	createSessions(t, s, session, sameTokenOtherRequester, sameTokenOtherTeam, noToken1, noToken2)

	vote := fullVote("1", at(time.Minute))
	addVotes(t, s, session.Arn, vote)
	byToken := func(teamArn, requester, token string) func(context.Context, keyturn.Tx) (*keyturn.Session, error) {
		return func(ctx context.Context, tx keyturn.Tx) (*keyturn.Session, error) {
			return tx.GetSessionByClientToken(ctx, teamArn, requester, token)
		}
	}
	want := *session
	want.Votes = []keyturn.Vote{vote}
	checkEqual(t, "GetSessionByClientToken", get(t, s, "GetSessionByClientToken", byToken(team.Arn, accountB, "token-1")), &want)
	checkEqual(t, "GetSessionByClientToken of another requester",
		get(t, s, "GetSessionByClientToken", byToken(team.Arn, accountA, "token-1")), sameTokenOtherRequester)
	checkEqual(t, "GetSessionByClientToken of another team",
		get(t, s, "GetSessionByClientToken", byToken(otherTeam.Arn, accountB, "token-1")), sameTokenOtherTeam)

	notFound := []struct{ name, team, requester, token string }{
		{"missing token", team.Arn, accountB, "token-2"},
		{"token that differs in case", team.Arn, accountB, "TOKEN-1"},
		{"empty token", team.Arn, accountB, ""},
		{"requester without sessions", otherTeam.Arn, accountA, "token-1"},
	}
	for _, c := range notFound {
		wantNotFound(t, s, "GetSessionByClientToken of a "+c.name, func(ctx context.Context, tx keyturn.Tx) error {
			_, err := tx.GetSessionByClientToken(ctx, c.team, c.requester, c.token)
			return err
		})
	}

	dup := newSession(team, "duplicate", at(0))
	dup.RequesterAccountID = accountB
	dup.ClientToken = "token-1"
	err := updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		return tx.CreateSession(ctx, dup)
	})
	wantCode(t, "CreateSession with a used client token", err, keyturn.ErrConflict)
}

func testVotes(t *testing.T, s keyturn.Store) {
	team := newTeam(accountA, regionA, "team", at(0))
	createTeams(t, s, team)
	session := newSession(team, "s", at(0))
	other := newSession(team, "other", at(0))
	createSessions(t, s, session, other)

	votes := []keyturn.Vote{
		fullVote("3", at(time.Second)),
		fullVote("1", at(time.Second+time.Nanosecond)),
		fullVote("2", at(2*time.Second)),
	}
	addVotes(t, s, session.Arn, votes...)
	addVotes(t, s, other.Arn, fullVote("1", at(0)))

	again := fullVote("1", at(3*time.Second))
	again.Response = keyturn.ResponseRejected
	err := updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		return tx.AddVote(ctx, session.Arn, again)
	})
	wantCode(t, "AddVote of an approver who voted", err, keyturn.ErrConflict)

	got := get(t, s, "GetSession", getSession(session.Arn))
	checkEqual(t, "GetSession votes in arrival order", got.Votes, votes)
	got = get(t, s, "GetSession", getSession(other.Arn))
	checkEqual(t, "GetSession votes of another session", got.Votes, []keyturn.Vote{fullVote("1", at(0))})
}

// filterFixture is the set of sessions that the ListSessions filter cases
// select from, with now at base.
type filterFixture struct {
	team   *keyturn.Team
	byName map[string]*keyturn.Session
	// order lists the session names newest first, as ListSessions returns
	// them without filters.
	order []string
}

func newFilterFixture(t *testing.T, s keyturn.Store) *filterFixture {
	t.Helper()
	team := newTeam(accountA, regionA, "team", at(-24*time.Hour))
	other := newTeam(accountA, regionA, "other", at(-24*time.Hour))
	createTeams(t, s, team, other)

	specs := []struct {
		name    string
		action  string
		status  keyturn.SessionStatus
		started time.Duration
		expires time.Duration
	}{
		{"s1", "deploy:Promote", keyturn.SessionApproved, -50 * time.Minute, -10 * time.Minute},
		{"s2", "deploy:Rollback", keyturn.SessionPending, -40 * time.Minute, 10 * time.Minute},
		// s3 expires exactly at now, so it counts as FAILED.
		{"s3", "backup:Restore", keyturn.SessionPending, -30 * time.Minute, 0},
		{"s4", "deploy:Promote", keyturn.SessionFailed, -20 * time.Minute, time.Hour},
		{"s5", "Deploy:Promote", keyturn.SessionCancelled, -10 * time.Minute, time.Hour},
		// s6 starts with s5 and is created after it, so it comes first.
		{"s6", "backup:Restore", keyturn.SessionPending, -10 * time.Minute, -time.Minute},
		// s7 expires one nanosecond after now, so it is still PENDING.
		{"s7", "deploy:promote", keyturn.SessionPending, -5 * time.Minute, time.Nanosecond},
	}
	f := &filterFixture{team: team, byName: map[string]*keyturn.Session{}}
	for _, spec := range specs {
		session := newSession(team, spec.name, at(spec.started))
		session.ActionName = spec.action
		session.Status = spec.status
		session.ExpirationTime = at(spec.expires)
		createSessions(t, s, session)
		f.byName[spec.name] = session
	}
	f.order = []string{"s7", "s6", "s5", "s4", "s3", "s2", "s1"}

	// A session of another team matches every filter below, and must never
	// appear.
	stray := newSession(other, "stray", at(-10*time.Minute))
	stray.ActionName = "deploy:Promote"
	createSessions(t, s, stray)

	// Votes exist but ListSessions returns sessions without them.
	addVotes(t, s, f.byName["s2"].Arn, fullVote("1", at(-39*time.Minute)))
	return f
}

func (f *filterFixture) arns(names ...string) []string {
	arns := make([]string, len(names))
	for i, name := range names {
		arns[i] = f.byName[name].Arn
	}
	return arns
}

func testListSessionsFilters(t *testing.T, s keyturn.Store) {
	f := newFilterFixture(t, s)
	action := func(op, value string) keyturn.SessionFilter {
		return keyturn.SessionFilter{Field: keyturn.FieldActionName, Op: op, Value: value}
	}
	status := func(op string, value keyturn.SessionStatus) keyturn.SessionFilter {
		return keyturn.SessionFilter{Field: keyturn.FieldSessionStatus, Op: op, Value: string(value)}
	}
	started := func(op string, from, to time.Duration) keyturn.SessionFilter {
		filter := keyturn.SessionFilter{Field: keyturn.FieldInitiationTime, Op: op, From: at(from)}
		if op == keyturn.OpBetween {
			filter.To = at(to)
		}
		return filter
	}

	cases := []struct {
		name    string
		now     time.Time
		filters []keyturn.SessionFilter
		want    []string
	}{
		{"no filter", base, nil, f.order},

		{"action EQ", base, []keyturn.SessionFilter{action(keyturn.OpEQ, "deploy:Promote")}, []string{"s4", "s1"}},
		{"action EQ no match", base, []keyturn.SessionFilter{action(keyturn.OpEQ, "deploy")}, nil},
		{"action NE", base, []keyturn.SessionFilter{action(keyturn.OpNE, "deploy:Promote")}, []string{"s7", "s6", "s5", "s3", "s2"}},
		{"action CONTAINS is case sensitive", base, []keyturn.SessionFilter{action(keyturn.OpContains, "Promote")}, []string{"s5", "s4", "s1"}},
		{"action CONTAINS punctuation", base, []keyturn.SessionFilter{action(keyturn.OpContains, "y:R")}, []string{"s2"}},
		{"action CONTAINS a LIKE wildcard", base, []keyturn.SessionFilter{action(keyturn.OpContains, "%")}, nil},
		{"action CONTAINS an underscore", base, []keyturn.SessionFilter{action(keyturn.OpContains, "deploy_")}, nil},
		{"action NOT_CONTAINS", base, []keyturn.SessionFilter{action(keyturn.OpNotContains, "deploy")}, []string{"s6", "s5", "s3"}},

		{"status EQ PENDING", base, []keyturn.SessionFilter{status(keyturn.OpEQ, keyturn.SessionPending)}, []string{"s7", "s2"}},
		{"status EQ FAILED counts expired", base, []keyturn.SessionFilter{status(keyturn.OpEQ, keyturn.SessionFailed)}, []string{"s6", "s4", "s3"}},
		{"status EQ APPROVED", base, []keyturn.SessionFilter{status(keyturn.OpEQ, keyturn.SessionApproved)}, []string{"s1"}},
		{"status EQ CANCELLED", base, []keyturn.SessionFilter{status(keyturn.OpEQ, keyturn.SessionCancelled)}, []string{"s5"}},
		{"status NE PENDING", base, []keyturn.SessionFilter{status(keyturn.OpNE, keyturn.SessionPending)}, []string{"s6", "s5", "s4", "s3", "s1"}},
		{"status NE FAILED", base, []keyturn.SessionFilter{status(keyturn.OpNE, keyturn.SessionFailed)}, []string{"s7", "s5", "s2", "s1"}},
		{"status NE APPROVED", base, []keyturn.SessionFilter{status(keyturn.OpNE, keyturn.SessionApproved)}, []string{"s7", "s6", "s5", "s4", "s3", "s2"}},
		{"status EQ PENDING later", at(10 * time.Minute), []keyturn.SessionFilter{status(keyturn.OpEQ, keyturn.SessionPending)}, nil},
		{"status EQ FAILED later", at(10 * time.Minute), []keyturn.SessionFilter{status(keyturn.OpEQ, keyturn.SessionFailed)}, []string{"s7", "s6", "s4", "s3", "s2"}},
		{"status EQ PENDING earlier", at(-time.Minute), []keyturn.SessionFilter{status(keyturn.OpEQ, keyturn.SessionPending)}, []string{"s7", "s3", "s2"}},
		{"status NE FAILED earlier", at(-time.Minute), []keyturn.SessionFilter{status(keyturn.OpNE, keyturn.SessionFailed)}, []string{"s7", "s5", "s3", "s2", "s1"}},

		{"time GT", base, []keyturn.SessionFilter{started(keyturn.OpGT, -20*time.Minute, 0)}, []string{"s7", "s6", "s5"}},
		{"time GTE", base, []keyturn.SessionFilter{started(keyturn.OpGTE, -20*time.Minute, 0)}, []string{"s7", "s6", "s5", "s4"}},
		{"time LT", base, []keyturn.SessionFilter{started(keyturn.OpLT, -20*time.Minute, 0)}, []string{"s3", "s2", "s1"}},
		{"time LTE", base, []keyturn.SessionFilter{started(keyturn.OpLTE, -20*time.Minute, 0)}, []string{"s4", "s3", "s2", "s1"}},
		{"time GT by a nanosecond", base, []keyturn.SessionFilter{started(keyturn.OpGT, -20*time.Minute-time.Nanosecond, 0)}, []string{"s7", "s6", "s5", "s4"}},
		{"time LT by a nanosecond", base, []keyturn.SessionFilter{started(keyturn.OpLT, -20*time.Minute+time.Nanosecond, 0)}, []string{"s4", "s3", "s2", "s1"}},
		{"time BETWEEN is inclusive", base, []keyturn.SessionFilter{started(keyturn.OpBetween, -40*time.Minute, -10*time.Minute)}, []string{"s6", "s5", "s4", "s3", "s2"}},
		{"time BETWEEN one instant", base, []keyturn.SessionFilter{started(keyturn.OpBetween, -10*time.Minute, -10*time.Minute)}, []string{"s6", "s5"}},
		{"time BETWEEN reversed", base, []keyturn.SessionFilter{started(keyturn.OpBetween, -10*time.Minute, -40*time.Minute)}, nil},

		{"action and status", base, []keyturn.SessionFilter{
			action(keyturn.OpContains, "deploy"),
			status(keyturn.OpEQ, keyturn.SessionPending),
		}, []string{"s7", "s2"}},
		{"action, status and time", base, []keyturn.SessionFilter{
			action(keyturn.OpContains, "deploy"),
			status(keyturn.OpEQ, keyturn.SessionPending),
			started(keyturn.OpGTE, -30*time.Minute, 0),
		}, []string{"s7"}},
		{"status and action EQ", base, []keyturn.SessionFilter{
			status(keyturn.OpEQ, keyturn.SessionFailed),
			action(keyturn.OpEQ, "backup:Restore"),
		}, []string{"s6", "s3"}},
		{"two time filters", base, []keyturn.SessionFilter{
			started(keyturn.OpGT, -50*time.Minute, 0),
			started(keyturn.OpLT, -10*time.Minute, 0),
		}, []string{"s4", "s3", "s2"}},
		{"two status filters", base, []keyturn.SessionFilter{
			status(keyturn.OpNE, keyturn.SessionPending),
			status(keyturn.OpNE, keyturn.SessionFailed),
		}, []string{"s5", "s1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := get(t, s, "ListSessions", func(ctx context.Context, tx keyturn.Tx) ([]*keyturn.Session, error) {
				return tx.ListSessions(ctx, keyturn.SessionQuery{TeamArn: f.team.Arn, Now: c.now, Filters: c.filters, Limit: 100})
			})
			checkEqual(t, "ListSessions", sessionArns(got), f.arns(c.want...))
			for _, session := range got {
				if len(session.Votes) != 0 {
					t.Errorf("ListSessions %s: got %d votes, want none", session.Arn, len(session.Votes))
				}
			}
		})
	}

	// The sessions come back whole, or by their summaries.
	got := get(t, s, "ListSessions", func(ctx context.Context, tx keyturn.Tx) ([]*keyturn.Session, error) {
		return tx.ListSessions(ctx, keyturn.SessionQuery{TeamArn: f.team.Arn, Now: base, Limit: 100})
	})
	want := make([]*keyturn.Session, len(f.order))
	for i, name := range f.order {
		want[i] = f.byName[name]
	}
	checkListed(t, "ListSessions", got, want)

	// A team that does not exist has no sessions to list.
	missing := newTeam(accountA, regionA, "missing", at(-24*time.Hour))
	err := s.View(t.Context(), func(tx keyturn.Tx) error {
		_, err := tx.ListSessions(t.Context(), keyturn.SessionQuery{TeamArn: missing.Arn, Now: base, Limit: 100})
		return err
	})
	wantCode(t, "ListSessions of a missing team", err, keyturn.ErrNotFound)
}

func testListSessionsPaging(t *testing.T, s keyturn.Store) {
	team := newTeam(accountA, regionA, "team", at(-24*time.Hour))
	other := newTeam(accountA, regionA, "other", at(-24*time.Hour))
	createTeams(t, s, team, other)

	// Thirty sessions over ten start times: three share each time, and
	// creation order does not follow time order, so ties are broken by
	// Seq alone.
	var sessions []*keyturn.Session
	for i := range 30 {
		session := newSession(team, fmt.Sprintf("s%02d", i), at(-time.Duration((i*7)%10)*time.Minute))
		if i%2 == 0 {
			session.Status = keyturn.SessionApproved
		}
		createSessions(t, s, session)
		sessions = append(sessions, session)
	}
	createSessions(t, s, newSession(other, "stray", at(0)))

	newestFirst := func(a, b *keyturn.Session) int {
		if c := b.InitiationTime.Compare(a.InitiationTime); c != 0 {
			return c
		}
		return int(b.Seq - a.Seq)
	}
	all := slices.Clone(sessions)
	slices.SortFunc(all, newestFirst)
	approved := slices.DeleteFunc(slices.Clone(all), func(s *keyturn.Session) bool {
		return s.Status != keyturn.SessionApproved
	})
	approvedFilter := keyturn.SessionFilter{Field: keyturn.FieldSessionStatus, Op: keyturn.OpEQ, Value: string(keyturn.SessionApproved)}

	cases := []struct {
		name    string
		filters []keyturn.SessionFilter
		want    []*keyturn.Session
	}{
		{"no filter", nil, all},
		{"status filter", []keyturn.SessionFilter{approvedFilter}, approved},
	}
	for _, c := range cases {
		for _, limit := range []int{1, 2, 3, 4, 7, 30, 31} {
			t.Run(fmt.Sprintf("%s limit %d", c.name, limit), func(t *testing.T) {
				var got []string
				var after keyturn.Cursor
				for page := 0; page <= len(c.want); page++ {
					list := get(t, s, "ListSessions", func(ctx context.Context, tx keyturn.Tx) ([]*keyturn.Session, error) {
						return tx.ListSessions(ctx, keyturn.SessionQuery{
							TeamArn: team.Arn, Now: base, Filters: c.filters, After: after, Limit: limit,
						})
					})
					if len(list) > limit {
						t.Fatalf("ListSessions page %d: got %d sessions, want at most %d", page, len(list), limit)
					}
					if len(list) == 0 {
						break
					}
					got = append(got, sessionArns(list)...)
					last := list[len(list)-1]
					after = keyturn.Cursor{Time: last.InitiationTime, Seq: last.Seq}
				}
				checkEqual(t, "ListSessions pages joined", got, sessionArns(c.want))
			})
		}
	}
}

func testPendingSessions(t *testing.T, s keyturn.Store) {
	team := newTeam(accountA, regionA, "team", at(-24*time.Hour))
	other := newTeam(accountA, regionA, "other", at(-24*time.Hour))
	createTeams(t, s, team, other)

	live := newSession(team, "live", at(-3*time.Hour))
	// An expired session whose expiry is not yet stored is still PENDING
	// in the store.
	expired := newSession(team, "expired", at(-2*time.Hour))
	expired.ExpirationTime = at(-time.Hour)
	approved := newSession(team, "approved", at(-time.Hour))
	approved.Status = keyturn.SessionApproved
	cancelled := newSession(team, "cancelled", at(-time.Hour))
	cancelled.Status = keyturn.SessionCancelled
	stray := newSession(other, "stray", at(-time.Hour))
	createSessions(t, s, live, expired, approved, cancelled, stray)

	votes := []keyturn.Vote{fullVote("1", at(-170*time.Minute)), fullVote("2", at(-160*time.Minute))}
	addVotes(t, s, live.Arn, votes...)

	pending := func(teamArn string) []*keyturn.Session {
		t.Helper()
		got := get(t, s, "PendingSessions", func(ctx context.Context, tx keyturn.Tx) ([]*keyturn.Session, error) {
			return tx.PendingSessions(ctx, teamArn)
		})
		slices.SortFunc(got, func(a, b *keyturn.Session) int { return strings.Compare(a.Arn, b.Arn) })
		return got
	}
	wantLive := *live
	wantLive.Votes = votes
	checkEqual(t, "PendingSessions", pending(team.Arn), []*keyturn.Session{expired, &wantLive})

	expired.Status = keyturn.SessionFailed
	expired.StatusCode = keyturn.SessionExpired
	mustUpdate(t, s, "UpdateSession", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.UpdateSession(ctx, expired)
	})
	checkEqual(t, "PendingSessions after the expiry is stored", pending(team.Arn), []*keyturn.Session{&wantLive})

	if got := pending(keyturn.TeamArn(regionA, accountA, "missing")); len(got) != 0 {
		t.Errorf("PendingSessions of a missing team: got %v, want none", sessionArns(got))
	}
}

func testDueSessions(t *testing.T, s keyturn.Store) {
	team := newTeam(accountA, regionA, "team", at(-24*time.Hour))
	other := newTeam(accountB, regionB, "other", at(-24*time.Hour))
	createTeams(t, s, team, other)

	session := func(team *keyturn.Team, name string, status keyturn.SessionStatus, expires time.Duration) *keyturn.Session {
		session := newSession(team, name, at(-10*time.Hour))
		session.Status = status
		session.ExpirationTime = at(expires)
		return session
	}
	oldest := session(other, "oldest", keyturn.SessionPending, -2*time.Hour)
	older := session(team, "older", keyturn.SessionPending, -time.Hour)
	atNow := session(other, "at-now", keyturn.SessionPending, 0)
	later := session(team, "later", keyturn.SessionPending, time.Nanosecond)
	// Sessions with a final status are never due, however old.
	approved := session(team, "approved", keyturn.SessionApproved, -3*time.Hour)
	failed := session(team, "failed", keyturn.SessionFailed, -3*time.Hour)
	// Created in an order that differs from the expected one.
	createSessions(t, s, atNow, approved, older, later, failed, oldest)

	due := func(now time.Time, limit int) []string {
		t.Helper()
		return get(t, s, "DueSessions", func(ctx context.Context, tx keyturn.Tx) ([]string, error) {
			return tx.DueSessions(ctx, now, limit)
		})
	}
	cases := []struct {
		name  string
		now   time.Time
		limit int
		want  []*keyturn.Session
	}{
		{"none due", at(-2*time.Hour - time.Nanosecond), 10, nil},
		{"expiration equal to now", at(-2 * time.Hour), 10, []*keyturn.Session{oldest}},
		{"three due", base, 10, []*keyturn.Session{oldest, older, atNow}},
		{"all due", at(time.Hour), 10, []*keyturn.Session{oldest, older, atNow, later}},
		{"limit", at(time.Hour), 2, []*keyturn.Session{oldest, older}},
	}
	for _, c := range cases {
		checkEqual(t, "DueSessions "+c.name, due(c.now, c.limit), sessionArns(c.want))
	}

	// Storing a final status, or a later expiration time, takes a session
	// off the list.
	oldest.Status = keyturn.SessionFailed
	older.ExpirationTime = at(2 * time.Hour)
	mustUpdate(t, s, "UpdateSession", func(ctx context.Context, tx keyturn.Tx) error {
		if err := tx.UpdateSession(ctx, oldest); err != nil {
			return err
		}
		return tx.UpdateSession(ctx, older)
	})
	checkEqual(t, "DueSessions after updates", due(at(time.Hour), 10), sessionArns([]*keyturn.Session{atNow, later}))
}
