package engine

import (
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/sqlstore"
)

// TestConcurrentVotes has every approver of a 10-of-20 team vote at once, on
// a SQLite file store, whose reads and writes use separate connections as
// in production. Exactly one vote must decide the session, every vote that
// succeeded must be stored, and the decision must be the one that counting
// the stored votes in their commit order gives.
func TestConcurrentVotes(t *testing.T) {
	t.Parallel()
	const n, m = 20, 10
	tests := []struct {
		name      string
		approvals int // of n votes; the rest are rejections
		seed      uint64
	}{
		{"all approve", 20, 1},
		{"all reject", 0, 2},
		{"even split", 10, 3},
		{"mostly approve", 15, 4},
		{"mostly reject", 5, 5},
		{"near threshold", 11, 6},
		{"just short", 9, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "keyturn.db"))
			if err != nil {
				t.Fatalf("open SQLite file store: %v", err)
			}
			t.Cleanup(func() { store.Close() })
			f := newFixtureOn(t, store, nil)
			active, users := f.activeTeam(n, m)
			s := f.startSession(active.Arn)

			responses := make([]keyturn.Response, n)
			for i := range responses {
				responses[i] = keyturn.ResponseRejected
				if i < tt.approvals {
					responses[i] = keyturn.ResponseApproved
				}
			}
			rand.New(rand.NewPCG(tt.seed, 0)).Shuffle(n, func(i, j int) {
				responses[i], responses[j] = responses[j], responses[i]
			})

			type result struct {
				session *keyturn.Session
				err     error
			}
			results := make([]result, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					v := voter(users[i])
					v.Delegated = true
					<-start
					got, err := f.eng.Vote(f.ctx, v, s.Arn, responses[i], Proof{})
					results[i] = result{got, err}
				})
			}
			close(start)
			wg.Wait()

			// Each successful vote saw the votes committed before it, so
			// its position in the commit order is the number of votes in
			// the session it returned.
			order := make([]int, n+1) // position → voter index + 1
			succeeded, decisions := 0, 0
			for i, r := range results {
				if r.err != nil {
					if keyturn.Code(r.err) != keyturn.ErrConflict {
						t.Errorf("vote %d: got %v, want success or a conflict with the decided session", i, r.err)
					}
					continue
				}
				succeeded++
				pos := len(r.session.Votes)
				if pos < 1 || pos > n || order[pos] != 0 {
					t.Fatalf("vote %d returned %d votes, a position already taken or out of range", i, pos)
				}
				order[pos] = i + 1
				if r.session.Status != keyturn.SessionPending {
					decisions++
				}
			}
			if decisions != 1 {
				t.Fatalf("got %d votes that decided the session, want exactly 1", decisions)
			}

			stored := f.storedSession(s.Arn)
			if len(stored.Votes) != succeeded {
				t.Errorf("stored %d votes, want the %d that succeeded", len(stored.Votes), succeeded)
			}
			for i, r := range results {
				if r.err != nil {
					continue
				}
				a := stored.Approver(users[i].ID)
				v := stored.Vote(a.ApproverID)
				if v == nil || v.Response != responses[i] {
					t.Errorf("stored vote of approver %d: got %+v, want %s", i, v, responses[i])
				}
			}

			// Count the votes in commit order: the decision must fall on
			// the last one, and match the stored status.
			replay := &keyturn.Session{Kind: keyturn.KindOperation, MinApprovals: m, Approvers: stored.Approvers}
			for pos := 1; pos <= succeeded; pos++ {
				i := order[pos] - 1
				if i < 0 {
					t.Fatalf("no successful vote has position %d", pos)
				}
				replay.Votes = append(replay.Votes, keyturn.Vote{ApproverID: stored.Approver(users[i].ID).ApproverID, Response: responses[i]})
				status, code, _, done := decide(replay)
				if pos < succeeded && done {
					t.Fatalf("the votes decide the session at position %d, but %d votes were accepted", pos, succeeded)
				}
				if pos == succeeded {
					if !done {
						t.Fatalf("the %d accepted votes do not decide the session", succeeded)
					}
					if stored.Status != status || stored.StatusCode != code {
						t.Errorf("stored decision: got %s/%s, want %s/%s from the votes in commit order", stored.Status, stored.StatusCode, status, code)
					}
				}
			}

			wantFinal := keyturn.SessionApproved
			if tt.approvals < m {
				wantFinal = keyturn.SessionFailed
			}
			if stored.Status != wantFinal {
				t.Errorf("final status: got %s, want %s with %d approvals of %d", stored.Status, wantFinal, tt.approvals, n)
			}
		})
	}
}

// TestConcurrentInvitationAnswers has every approver of a new team accept at
// once: the team must become ACTIVE with every acceptance stored.
func TestConcurrentInvitationAnswers(t *testing.T) {
	t.Parallel()
	store, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "keyturn.db"))
	if err != nil {
		t.Fatalf("open SQLite file store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	f := newFixtureOn(t, store, nil)
	users := f.addUsers(20)
	created := f.createTeam(10, userIDs(users)...)

	errs := make([]error, len(users))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Go(func() {
			<-start
			_, errs[i] = f.eng.RespondToInvitation(f.ctx, voter(u), created.Arn, true)
		})
	}
	close(start)
	wg.Wait()

	for i, err := range errs {
		if err != nil {
			t.Errorf("acceptance %d: %v", i, err)
		}
	}
	team := f.storedTeam(created.Arn)
	wantStatus(t, team, keyturn.TeamActive, "", false)
	wantApprovers(t, team.Approvers, statuses(users, keyturn.IdentityAccepted))
}
