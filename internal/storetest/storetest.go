// Package storetest is the conformance suite of keyturn.Store. Every store
// implementation runs it, so that the approval engine gets the same
// behaviour from each database.
//
// A store's tests call Run with a function that opens a fresh, empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) keyturn.Store {
//			s, err := sqlstore.OpenSQLite(t.Context(), sqlstore.Memory)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// PostgresURL gives tests of any package an isolated PostgreSQL schema.
package storetest

import (
	"context"
	"testing"

	"github.com/keyturn/keyturn"
)

// Run runs the conformance suite. Each subtest calls open for a fresh,
// empty store and closes that store when the subtest ends. Subtests run in
// parallel, so open must be safe to call from several goroutines.
func Run(t *testing.T, open func(t *testing.T) keyturn.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s keyturn.Store)
	}{
		{"Meta", testMeta},
		{"IdentitySource", testIdentitySource},
		{"User", testUser},
		{"ListUsers", testListUsers},
		{"Credential", testCredential},
		{"OneTimeCode", testOneTimeCode},
		{"Tags", testTags},
		{"Idempotency", testIdempotency},

		{"Team", testTeam},
		{"TeamSeq", testTeamSeq},
		{"ListTeams", testListTeams},
		{"CountTeamsUsingSource", testCountTeamsUsingIdentitySource},
		{"DueTeams", testDueTeams},

		{"Session", testSession},
		{"SessionSeq", testSessionSeq},
		{"SessionClientToken", testSessionClientToken},
		{"Votes", testVotes},
		{"ListSessionsFilters", testListSessionsFilters},
		{"ListSessionsPaging", testListSessionsPaging},
		{"ListSessionsSummaries", testListSessionsSummaries},
		{"ListSessionsFiltersSummarized", withSummaries(testListSessionsFilters)},
		{"ListSessionsPagingSummarized", withSummaries(testListSessionsPaging)},
		{"PendingSessions", testPendingSessions},
		{"DueSessions", testDueSessions},

		{"PolicyVersion", testPolicyVersion},
		{"ListPolicies", testListPolicies},
		{"ListPolicyVersions", testListPolicyVersions},

		{"UpdateRollsBack", testUpdateRollsBack},
		{"ErrorsPassThrough", testErrorsPassThrough},
		{"ViewIsReadOnly", testViewIsReadOnly},
		{"DeleteAccount", testDeleteAccount},
		{"DeleteAllAccounts", testDeleteAllAccounts},

		{"ConcurrentTeamUpdates", testConcurrentTeamUpdates},
		{"ConcurrentSameVote", testConcurrentSameVote},
		{"ConcurrentVotes", testConcurrentVotes},
		{"ConcurrentCredentialUpdates", testConcurrentCredentialUpdates},
		{"ConcurrentCredentialUse", testConcurrentCredentialUse},
		{"ConcurrentOneTimeCodeUpdates", testConcurrentOneTimeCodeUpdates},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("close store: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

// mustUpdate runs fn in a read-write transaction and fails the test if it
// returns an error.
func mustUpdate(t *testing.T, s keyturn.Store, what string, fn func(ctx context.Context, tx keyturn.Tx) error) {
	t.Helper()
	ctx := t.Context()
	if err := s.Update(ctx, func(tx keyturn.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// updateErr runs fn in a read-write transaction and returns its error, for
// checks that expect one.
func updateErr(t *testing.T, s keyturn.Store, fn func(ctx context.Context, tx keyturn.Tx) error) error {
	t.Helper()
	ctx := t.Context()
	return s.Update(ctx, func(tx keyturn.Tx) error { return fn(ctx, tx) })
}

// mustView runs fn in a read-only transaction and fails the test if it
// returns an error.
func mustView(t *testing.T, s keyturn.Store, what string, fn func(ctx context.Context, tx keyturn.Tx) error) {
	t.Helper()
	ctx := t.Context()
	if err := s.View(ctx, func(tx keyturn.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs one read in a View and fails the test if it returns an error.
func get[T any](t *testing.T, s keyturn.Store, what string, fn func(ctx context.Context, tx keyturn.Tx) (T, error)) T {
	t.Helper()
	var v T
	ctx := t.Context()
	err := s.View(ctx, func(tx keyturn.Tx) error {
		var err error
		v, err = fn(ctx, tx)
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// viewErr runs fn in a View and returns its error, for checks that expect
// one.
func viewErr(t *testing.T, s keyturn.Store, fn func(ctx context.Context, tx keyturn.Tx) error) error {
	t.Helper()
	ctx := t.Context()
	return s.View(ctx, func(tx keyturn.Tx) error { return fn(ctx, tx) })
}

// wantCode fails the test unless err carries the code.
func wantCode(t *testing.T, what string, err error, code keyturn.ErrorCode) {
	t.Helper()
	if got := keyturn.Code(err); got != code {
		t.Errorf("%s: got error %v (code %q), want code %q", what, err, got, code)
	}
}

// wantNotFound fails the test unless a read in a View returns ErrNotFound.
func wantNotFound(t *testing.T, s keyturn.Store, what string, fn func(ctx context.Context, tx keyturn.Tx) error) {
	t.Helper()
	wantCode(t, what, viewErr(t, s, fn), keyturn.ErrNotFound)
}
