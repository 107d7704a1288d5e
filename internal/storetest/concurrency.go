package storetest

import (
	"context"
	"errors"
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

func testConcurrentCredentialUpdates(t *testing.T, s keyturn.Store) {
	target := fullCredential(accountA, regionA, "user-ada", "cred-totp", keyturn.CredentialTOTP, "")
	target.Failures = 0
	other := fullCredential(accountA, regionA, "user-ada", "cred-token", keyturn.CredentialToken, "hash-token")
	other.Failures = 0
	mustUpdate(t, s, "CreateCredential", func(ctx context.Context, tx keyturn.Tx) error {
		if err := tx.CreateCredential(ctx, target); err != nil {
			return err
		}
		return tx.CreateCredential(ctx, other)
	})

	// Each update reads the user's credentials with ListCredentials, as a
	// check of a second factor does, increments the failure count of one
	// of them and writes it back. Without a row lock, a transaction can
	// write back a count that another one has already raised.
	ctx := t.Context()
	errs := runConcurrently(goroutines, func(int) error {
		for range updatesPerGoroutine {
			err := s.Update(ctx, func(tx keyturn.Tx) error {
				creds, err := tx.ListCredentials(ctx, accountA, regionA, "user-ada")
				if err != nil {
					return err
				}
				for _, c := range creds {
					if c.ID == target.ID {
						c.Failures++
						return tx.UpdateCredential(ctx, c)
					}
				}
				return fmt.Errorf("ListCredentials returned no credential %s", target.ID)
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

	creds := get(t, s, "ListCredentials", func(ctx context.Context, tx keyturn.Tx) ([]*keyturn.Credential, error) {
		return tx.ListCredentials(ctx, accountA, regionA, "user-ada")
	})
	want := goroutines * updatesPerGoroutine
	for _, c := range creds {
		if c.ID == target.ID && c.Failures != want {
			t.Errorf("Failures after %d concurrent increments: got %d, want %d", want, c.Failures, want)
		}
	}
}

func testConcurrentCredentialUse(t *testing.T, s keyturn.Store) {
	// Each transaction uses a code as an enrolment does: it finds the
	// credential by hash and deletes it. Exactly one must succeed, and the
	// others must find no credential, rather than find it and then fail to
	// delete it. A race shows only when reads overlap, so each round
	// races for a new code.
	const rounds = 8
	ctx := t.Context()
	errDeleteFailed := errors.New("DeleteCredential failed after GetCredentialByHash found the credential")
	for round := range rounds {
		hash := fmt.Sprintf("hash-code-%d", round)
		code := fullCredential(accountA, regionA, "user-ada", fmt.Sprintf("cred-enrollment-%d", round), keyturn.CredentialEnrollment, hash)
		mustUpdate(t, s, "CreateCredential", func(ctx context.Context, tx keyturn.Tx) error {
			return tx.CreateCredential(ctx, code)
		})

		errs := runConcurrently(goroutines, func(int) error {
			return s.Update(ctx, func(tx keyturn.Tx) error {
				c, err := tx.GetCredentialByHash(ctx, keyturn.CredentialEnrollment, hash)
				if err != nil {
					return err
				}
				if err := tx.DeleteCredential(ctx, c.ID); err != nil {
					return fmt.Errorf("%w: %w", errDeleteFailed, err)
				}
				return nil
			})
		})

		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Errorf("round %d: goroutines %d and %d both used the code, want one", round, winner, i)
			case err == nil:
				winner = i
			case errors.Is(err, errDeleteFailed):
				t.Errorf("round %d, goroutine %d: %v", round, i, err)
			default:
				wantCode(t, fmt.Sprintf("round %d: GetCredentialByHash in goroutine %d", round, i), err, keyturn.ErrNotFound)
			}
		}
		if winner < 0 {
			t.Errorf("round %d: none of %d goroutines used the code, want one", round, goroutines)
		}
	}
}

func testConcurrentOneTimeCodeUpdates(t *testing.T, s keyturn.Store) {
	code := fullOneTimeCode(accountA, regionA, "user-ada", "code-vote", "vote", at(0))
	code.Attempts, code.Used = 0, false
	mustUpdate(t, s, "CreateOneTimeCode", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.CreateOneTimeCode(ctx, code)
	})

	// Each update counts a wrong attempt as a check of an e-mailed code
	// does: LatestOneTimeCode, then UpdateOneTimeCode.
	ctx := t.Context()
	errs := runConcurrently(goroutines, func(int) error {
		for range updatesPerGoroutine {
			err := s.Update(ctx, func(tx keyturn.Tx) error {
				c, err := tx.LatestOneTimeCode(ctx, "user-ada", "vote")
				if err != nil {
					return err
				}
				c.Attempts++
				return tx.UpdateOneTimeCode(ctx, c)
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

	got := get(t, s, "LatestOneTimeCode", func(ctx context.Context, tx keyturn.Tx) (*keyturn.OneTimeCode, error) {
		return tx.LatestOneTimeCode(ctx, "user-ada", "vote")
	})
	if want := goroutines * updatesPerGoroutine; got.Attempts != want {
		t.Errorf("Attempts after %d concurrent increments: got %d, want %d", want, got.Attempts, want)
	}
}
