package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/keyturn/keyturn"
)

// Bounds of the concurrency tests: enough goroutines to contend for one
// record on every store, few enough to finish quickly on a small machine.
const (
	goroutines          = 32
	updatesPerGoroutine = 4
)

// runConcurrently calls fn from n goroutines that start together, and
// returns the error of each call, indexed by goroutine.
func runConcurrently(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func testConcurrentTeamUpdates(t *testing.T, s keyturn.Store) {
	team := newTeam(accountA, regionA, "counter", at(0))
	team.MinApprovals = 0
	createTeams(t, s, team)

	// Each update reads the team under LockTeam, increments a counter
	// field and writes the team back. A lost update leaves the counter
	// short.
	ctx := t.Context()
	errs := runConcurrently(goroutines, func(int) error {
		for range updatesPerGoroutine {
			err := s.Update(ctx, func(tx keyturn.Tx) error {
				locked, err := tx.LockTeam(ctx, team.Arn)
				if err != nil {
					return err
				}
				locked.MinApprovals++
				locked.Description = fmt.Sprintf("updated %d times", locked.MinApprovals)
				return tx.UpdateTeam(ctx, locked)
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: Update: %v", i, err)
		}
	}

	got := get(t, s, "GetTeam", getTeam(team.Arn))
	if want := goroutines * updatesPerGoroutine; got.MinApprovals != want {
		t.Errorf("GetTeam after %d concurrent increments: got %d, want %d", want, got.MinApprovals, want)
	}
}

func testConcurrentSameVote(t *testing.T, s keyturn.Store) {
	team := newTeam(accountA, regionA, "team", at(0))
	createTeams(t, s, team)
	session := newSession(team, "s", at(0))
	createSessions(t, s, session)

	ctx := t.Context()
	errs := runConcurrently(goroutines, func(i int) error {
		vote := fullVote("1", at(0))
		vote.MFAMethod = fmt.Sprintf("goroutine-%d", i)
		return s.Update(ctx, func(tx keyturn.Tx) error {
			return tx.AddVote(ctx, session.Arn, vote)
		})
	})

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("AddVote in goroutines %d and %d: both succeeded, want one", winner, i)
		case err == nil:
			winner = i
		default:
			wantCode(t, fmt.Sprintf("AddVote in goroutine %d", i), err, keyturn.ErrConflict)
		}
	}
	if winner < 0 {
		t.Fatalf("AddVote in %d goroutines: none succeeded, want one", goroutines)
	}

	got := get(t, s, "GetSession", getSession(session.Arn))
	if len(got.Votes) != 1 {
		t.Fatalf("GetSession: got %d votes, want 1", len(got.Votes))
	}
	if want := fmt.Sprintf("goroutine-%d", winner); got.Votes[0].MFAMethod != want {
		t.Errorf("GetSession: got the vote of %s, want that of %s, whose AddVote succeeded", got.Votes[0].MFAMethod, want)
	}
}

func testConcurrentVotes(t *testing.T, s keyturn.Store) {
	team := newTeam(accountA, regionA, "team", at(0))
	createTeams(t, s, team)
	session := newSession(team, "s", at(0))
	createSessions(t, s, session)

	// Votes of different approvers do not conflict, even when the
	// transactions also lock the team, as the engine's do.
	ctx := t.Context()
	errs := runConcurrently(goroutines, func(i int) error {
		return s.Update(ctx, func(tx keyturn.Tx) error {
			if _, err := tx.LockTeam(ctx, team.Arn); err != nil {
				return err
			}
			return tx.AddVote(ctx, session.Arn, fullVote(fmt.Sprint(i), at(0)))
		})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("AddVote in goroutine %d: %v", i, err)
		}
	}

	got := get(t, s, "GetSession", getSession(session.Arn))
	if len(got.Votes) != goroutines {
		t.Errorf("GetSession: got %d votes, want %d", len(got.Votes), goroutines)
	}
}
