package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/keyturn/keyturn"
)

func testUpdateRollsBack(t *testing.T, s keyturn.Store) {
	team := newTeam(accountA, regionA, "kept", at(0))
	createTeams(t, s, team)

	failure := errors.New("the transaction failed on purpose")
	var created *keyturn.Team
	err := updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		if err := tx.PutMeta(ctx, "rolled-back", "value"); err != nil {
			return err
		}
		created = newTeam(accountA, regionA, "rolled-back", at(0))
		if err := tx.CreateTeam(ctx, created); err != nil {
			return err
		}
		changed := *team
		changed.Description = "changed in a failed transaction"
		if err := tx.UpdateTeam(ctx, &changed); err != nil {
			return err
		}
		if err := tx.SetTags(ctx, team.Arn, map[string]string{"k": "v"}); err != nil {
			return err
		}
		return failure
	})
	if err != failure {
		t.Fatalf("Update: got error %v, want the error that fn returned", err)
	}

	wantNotFound(t, s, "GetMeta written by a failed transaction", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetMeta(ctx, "rolled-back")
		return err
	})
	wantNotFound(t, s, "GetTeam created by a failed transaction", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetTeam(ctx, created.Arn)
		return err
	})
	checkEqual(t, "GetTeam changed by a failed transaction", get(t, s, "GetTeam", getTeam(team.Arn)), team)
	if tags := get(t, s, "GetTags", func(ctx context.Context, tx keyturn.Tx) (map[string]string, error) {
		return tx.GetTags(ctx, team.Arn)
	}); len(tags) != 0 {
		t.Errorf("GetTags set by a failed transaction: got %v, want no tags", tags)
	}

	// A store error that fn returns rolls back the writes before it.
	err = updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		if err := tx.PutMeta(ctx, "before-conflict", "value"); err != nil {
			return err
		}
		return tx.CreateTeam(ctx, newTeam(accountA, regionA, "kept", at(0)))
	})
	wantCode(t, "Update that creates a duplicate team", err, keyturn.ErrConflict)
	wantNotFound(t, s, "GetMeta written before a conflict", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetMeta(ctx, "before-conflict")
		return err
	})

	// The store stays usable after the failures.
	mustUpdate(t, s, "PutMeta after failed transactions", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.PutMeta(ctx, "after", "value")
	})
	if got := get(t, s, "GetMeta", metaValue("after")); got != "value" {
		t.Errorf("GetMeta after failed transactions: got %q, want %q", got, "value")
	}
}

// wrappedError is an error type that only fn creates, so that a store that
// wraps or replaces it is caught.
type wrappedError struct{ id int }

func (e *wrappedError) Error() string { return fmt.Sprintf("error %d from fn", e.id) }

func testErrorsPassThrough(t *testing.T, s keyturn.Store) {
	cases := []struct {
		name string
		err  error
	}{
		{"plain error", errors.New("plain")},
		{"error type", &wrappedError{id: 7}},
		{"keyturn error", keyturn.Errorf(keyturn.ErrNotFound, "Team x was not found.")},
		{"context error", context.Canceled},
	}
	for _, c := range cases {
		ctx := t.Context()
		if got := s.Update(ctx, func(keyturn.Tx) error { return c.err }); got != c.err {
			t.Errorf("Update with a %s from fn: got %#v, want %#v", c.name, got, c.err)
		}
		if got := s.View(ctx, func(keyturn.Tx) error { return c.err }); got != c.err {
			t.Errorf("View with a %s from fn: got %#v, want %#v", c.name, got, c.err)
		}
	}

	// A lookup error that fn returns unchanged keeps its code.
	err := viewErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetTeam(ctx, keyturn.TeamArn(regionA, accountA, "missing"))
		return err
	})
	wantCode(t, "View returning a GetTeam error", err, keyturn.ErrNotFound)
}

func testViewIsReadOnly(t *testing.T, s keyturn.Store) {
	team := newTeam(accountA, regionA, "team", at(0))
	createTeams(t, s, team)

	writes := []struct {
		name string
		fn   func(ctx context.Context, tx keyturn.Tx) error
	}{
		{"PutMeta", func(ctx context.Context, tx keyturn.Tx) error {
			return tx.PutMeta(ctx, "written-in-view", "value")
		}},
		{"CreateTeam", func(ctx context.Context, tx keyturn.Tx) error {
			return tx.CreateTeam(ctx, newTeam(accountA, regionA, "written-in-view", at(0)))
		}},
		{"UpdateTeam", func(ctx context.Context, tx keyturn.Tx) error {
			changed := *team
			changed.Description = "written in view"
			return tx.UpdateTeam(ctx, &changed)
		}},
		{"CreateSession", func(ctx context.Context, tx keyturn.Tx) error {
			return tx.CreateSession(ctx, newSession(team, "written-in-view", at(0)))
		}},
		{"DeleteTeam", func(ctx context.Context, tx keyturn.Tx) error {
			return tx.DeleteTeam(ctx, team.Arn)
		}},
	}
	for _, w := range writes {
		// fn returns nil whatever the write returned, so that View would
		// commit a write that the transaction allowed.
		var writeErr error
		err := viewErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
			writeErr = w.fn(ctx, tx)
			return nil
		})
		if writeErr == nil && err == nil {
			t.Errorf("%s in View: got no error, want the write rejected", w.name)
		}
	}

	wantNotFound(t, s, "GetMeta written in View", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetMeta(ctx, "written-in-view")
		return err
	})
	wantNotFound(t, s, "GetTeam created in View", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetTeam(ctx, keyturn.TeamArn(regionA, accountA, "written-in-view"))
		return err
	})
	wantNotFound(t, s, "GetSession created in View", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetSession(ctx, newSession(team, "written-in-view", at(0)).Arn)
		return err
	})
	checkEqual(t, "GetTeam after writes in View", get(t, s, "GetTeam", getTeam(team.Arn)), team)
}

// accountRecords is one account's records of every kind, for the
// DeleteAccount tests.
type accountRecords struct {
	account     string
	source      *keyturn.IdentitySource
	user        *keyturn.User
	deletedUser *keyturn.User
	credential  *keyturn.Credential
	code        *keyturn.OneTimeCode
	orphanCode  *keyturn.OneTimeCode
	team        *keyturn.Team
	session     *keyturn.Session
	idempotency string
}

func createAccountRecords(t *testing.T, s keyturn.Store, account string) *accountRecords {
	t.Helper()
	r := &accountRecords{
		account:     account,
		source:      fullIdentitySource(account, regionA),
		user:        fullUser(account, regionA, "user-"+account, "ada"),
		deletedUser: fullUser(account, regionA, "user-deleted-"+account, "gone"),
		team:        newTeam(account, regionA, "team", at(0)),
		idempotency: account + "|" + regionA + "|CreateApprovalTeam|token",
	}
	r.credential = fullCredential(account, regionA, r.user.ID, "cred-"+account, keyturn.CredentialToken, "hash-"+account)
	r.code = fullOneTimeCode(account, regionA, r.user.ID, "code-"+account, "vote", at(0))
	r.orphanCode = fullOneTimeCode(account, regionA, r.deletedUser.ID, "code-deleted-"+account, "vote", at(0))
	r.session = newSession(r.team, "session", at(0))

	mustUpdate(t, s, "create records of account "+account, func(ctx context.Context, tx keyturn.Tx) error {
		steps := []error{
			tx.CreateIdentitySource(ctx, r.source),
			tx.CreateUser(ctx, r.user),
			tx.CreateUser(ctx, r.deletedUser),
			tx.CreateCredential(ctx, r.credential),
			tx.CreateOneTimeCode(ctx, r.code),
			tx.CreateOneTimeCode(ctx, r.orphanCode),
			// A user deleted earlier leaves its one-time codes behind, and
			// DeleteAccount must remove them too.
			tx.DeleteUser(ctx, account, regionA, r.deletedUser.ID),
			tx.CreateTeam(ctx, r.team),
			tx.CreateSession(ctx, r.session),
			tx.AddVote(ctx, r.session.Arn, fullVote("1", at(time.Minute))),
			tx.SetTags(ctx, r.team.Arn, map[string]string{"env": account}),
			tx.SetTags(ctx, r.session.Arn, map[string]string{"env": account}),
			tx.PutIdempotencyRecord(ctx, &keyturn.IdempotencyRecord{
				Key: r.idempotency, RequestHash: "h", Result: []byte("{}"), CreationTime: at(0),
			}),
		}
		return errors.Join(steps...)
	})
	return r
}

// checkAccountRecords checks that every record of the account exists, or
// that none does.
func checkAccountRecords(t *testing.T, s keyturn.Store, r *accountRecords, exist bool) {
	t.Helper()
	lookups := []struct {
		name string
		fn   func(ctx context.Context, tx keyturn.Tx) error
	}{
		{"GetIdentitySource", func(ctx context.Context, tx keyturn.Tx) error {
			_, err := tx.GetIdentitySource(ctx, r.account, regionA)
			return err
		}},
		{"GetUser", func(ctx context.Context, tx keyturn.Tx) error {
			_, err := tx.GetUser(ctx, r.account, regionA, r.user.ID)
			return err
		}},
		{"GetCredentialByHash", func(ctx context.Context, tx keyturn.Tx) error {
			_, err := tx.GetCredentialByHash(ctx, r.credential.Kind, r.credential.Hash)
			return err
		}},
		{"LatestOneTimeCode", func(ctx context.Context, tx keyturn.Tx) error {
			_, err := tx.LatestOneTimeCode(ctx, r.user.ID, "vote")
			return err
		}},
		{"LatestOneTimeCode of a deleted user", func(ctx context.Context, tx keyturn.Tx) error {
			_, err := tx.LatestOneTimeCode(ctx, r.deletedUser.ID, "vote")
			return err
		}},
		{"GetTeam", func(ctx context.Context, tx keyturn.Tx) error {
			_, err := tx.GetTeam(ctx, r.team.Arn)
			return err
		}},
		{"GetSession", func(ctx context.Context, tx keyturn.Tx) error {
			_, err := tx.GetSession(ctx, r.session.Arn)
			return err
		}},
		{"GetIdempotencyRecord", func(ctx context.Context, tx keyturn.Tx) error {
			_, err := tx.GetIdempotencyRecord(ctx, r.idempotency)
			return err
		}},
	}
	for _, l := range lookups {
		err := viewErr(t, s, l.fn)
		switch {
		case exist && err != nil:
			t.Errorf("%s of account %s: got error %v, want the record", l.name, r.account, err)
		case !exist:
			wantCode(t, fmt.Sprintf("%s of deleted account %s", l.name, r.account), err, keyturn.ErrNotFound)
		}
	}

	counts := []struct {
		name string
		fn   func(ctx context.Context, tx keyturn.Tx) (int, error)
	}{
		{"ListCredentials", func(ctx context.Context, tx keyturn.Tx) (int, error) {
			creds, err := tx.ListCredentials(ctx, r.account, regionA, r.user.ID)
			return len(creds), err
		}},
		{"ListUsers", func(ctx context.Context, tx keyturn.Tx) (int, error) {
			users, err := tx.ListUsers(ctx, r.account, regionA, keyturn.Cursor{}, 100)
			return len(users), err
		}},
		{"CountTeams", func(ctx context.Context, tx keyturn.Tx) (int, error) {
			return tx.CountTeams(ctx, r.account, regionA)
		}},
		{"team tags", func(ctx context.Context, tx keyturn.Tx) (int, error) {
			tags, err := tx.GetTags(ctx, r.team.Arn)
			return len(tags), err
		}},
		{"session tags", func(ctx context.Context, tx keyturn.Tx) (int, error) {
			tags, err := tx.GetTags(ctx, r.session.Arn)
			return len(tags), err
		}},
		{"ListSessions", func(ctx context.Context, tx keyturn.Tx) (int, error) {
			sessions, err := tx.ListSessions(ctx, keyturn.SessionQuery{TeamArn: r.team.Arn, Now: base, Limit: 100})
			if !exist && keyturn.Code(err) == keyturn.ErrNotFound {
				// The team went with its account; checkVotesGone shows
				// that its session did too.
				return 0, nil
			}
			return len(sessions), err
		}},
	}
	for _, c := range counts {
		got := get(t, s, c.name, c.fn)
		if exist && got != 1 {
			t.Errorf("%s of account %s: got %d, want 1", c.name, r.account, got)
		}
		if !exist && got != 0 {
			t.Errorf("%s of deleted account %s: got %d, want 0", c.name, r.account, got)
		}
	}

	if exist {
		session := get(t, s, "GetSession", getSession(r.session.Arn))
		if len(session.Votes) != 1 {
			t.Errorf("GetSession of account %s: got %d votes, want 1", r.account, len(session.Votes))
		}
	}
}

// checkVotesGone fails the test if a vote of the deleted session survives:
// it creates the session again and adds the same approver's vote, which
// conflicts with a vote left behind.
func checkVotesGone(t *testing.T, s keyturn.Store, r *accountRecords) {
	t.Helper()
	err := updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		if err := tx.CreateSession(ctx, newSession(r.team, "session", at(0))); err != nil {
			return err
		}
		return tx.AddVote(ctx, r.session.Arn, fullVote("1", at(time.Minute)))
	})
	if err != nil {
		t.Errorf("AddVote to a recreated session of deleted account %s: %v, want no vote left behind", r.account, err)
	}
}

func testDeleteAccount(t *testing.T, s keyturn.Store) {
	a := createAccountRecords(t, s, accountA)
	b := createAccountRecords(t, s, accountB)
	policy := fullPolicyVersion(keyturn.PolicyArn("deploy.example.com", "Promote"), 1, true)
	putPolicyVersions(t, s, policy)
	mustUpdate(t, s, "PutMeta", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.PutMeta(ctx, "token-key", "secret")
	})
	checkAccountRecords(t, s, a, true)
	checkAccountRecords(t, s, b, true)

	mustUpdate(t, s, "DeleteAccount", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.DeleteAccount(ctx, accountA)
	})
	checkAccountRecords(t, s, a, false)
	checkAccountRecords(t, s, b, true)
	checkVotesGone(t, s, a)
	checkEqual(t, "GetPolicyVersion after DeleteAccount", get(t, s, "GetPolicyVersion", getPolicyVersion(policy.PolicyArn, 0)), policy)
	if got := get(t, s, "GetMeta", metaValue("token-key")); got != "secret" {
		t.Errorf("GetMeta after DeleteAccount: got %q, want %q", got, "secret")
	}

	mustUpdate(t, s, "DeleteAccount of an account without records", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.DeleteAccount(ctx, "999999999999")
	})
	checkAccountRecords(t, s, b, true)
}

func testDeleteAllAccounts(t *testing.T, s keyturn.Store) {
	a := createAccountRecords(t, s, accountA)
	b := createAccountRecords(t, s, accountB)
	policy := fullPolicyVersion(keyturn.PolicyArn("deploy.example.com", "Promote"), 1, true)
	putPolicyVersions(t, s, policy)
	mustUpdate(t, s, "PutMeta", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.PutMeta(ctx, "token-key", "secret")
	})

	mustUpdate(t, s, "DeleteAccount of every account", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.DeleteAccount(ctx, "")
	})
	checkAccountRecords(t, s, a, false)
	checkAccountRecords(t, s, b, false)
	checkVotesGone(t, s, a)
	wantNotFound(t, s, "GetPolicyVersion after DeleteAccount of every account", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetPolicyVersion(ctx, policy.PolicyArn, 0)
		return err
	})
	if got := get(t, s, "GetMeta", metaValue("token-key")); got != "secret" {
		t.Errorf("GetMeta after DeleteAccount of every account: got %q, want %q", got, "secret")
	}
}
