package storetest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/keyturn/keyturn"
)

func testMeta(t *testing.T, s keyturn.Store) {
	wantNotFound(t, s, "GetMeta of a missing key", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetMeta(ctx, "token-key")
		return err
	})

	mustUpdate(t, s, "CreateMeta", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.CreateMeta(ctx, "token-key", "first")
	})
	err := updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		return tx.CreateMeta(ctx, "token-key", "second")
	})
	wantCode(t, "CreateMeta of an existing key", err, keyturn.ErrConflict)
	if got := get(t, s, "GetMeta", metaValue("token-key")); got != "first" {
		t.Errorf("GetMeta after a rejected CreateMeta: got %q, want %q", got, "first")
	}

	mustUpdate(t, s, "PutMeta over an existing key", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.PutMeta(ctx, "token-key", "replaced")
	})
	if got := get(t, s, "GetMeta", metaValue("token-key")); got != "replaced" {
		t.Errorf("GetMeta after PutMeta: got %q, want %q", got, "replaced")
	}

	mustUpdate(t, s, "PutMeta of a new key", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.PutMeta(ctx, "Token-Key", "other case")
	})
	if got := get(t, s, "GetMeta", metaValue("Token-Key")); got != "other case" {
		t.Errorf("GetMeta of a key that differs in case: got %q, want %q", got, "other case")
	}
	if got := get(t, s, "GetMeta", metaValue("token-key")); got != "replaced" {
		t.Errorf("GetMeta after PutMeta of another key: got %q, want %q", got, "replaced")
	}
}

func metaValue(key string) func(ctx context.Context, tx keyturn.Tx) (string, error) {
	return func(ctx context.Context, tx keyturn.Tx) (string, error) {
		return tx.GetMeta(ctx, key)
	}
}

func testIdentitySource(t *testing.T, s keyturn.Store) {
	src := fullIdentitySource(accountA, regionA)
	requireFilled(t, src)
	getSource := func(account, region string) func(context.Context, keyturn.Tx) (*keyturn.IdentitySource, error) {
		return func(ctx context.Context, tx keyturn.Tx) (*keyturn.IdentitySource, error) {
			return tx.GetIdentitySource(ctx, account, region)
		}
	}

	wantNotFound(t, s, "GetIdentitySource before create", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetIdentitySource(ctx, accountA, regionA)
		return err
	})
	mustUpdate(t, s, "CreateIdentitySource", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.CreateIdentitySource(ctx, src)
	})
	checkEqual(t, "GetIdentitySource", get(t, s, "GetIdentitySource", getSource(accountA, regionA)), src)

	second := fullIdentitySource(accountA, regionA)
	second.Arn += "-second"
	err := updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		return tx.CreateIdentitySource(ctx, second)
	})
	wantCode(t, "CreateIdentitySource of a second source in the account and region", err, keyturn.ErrConflict)

	mustUpdate(t, s, "CreateIdentitySource in other regions and accounts", func(ctx context.Context, tx keyturn.Tx) error {
		if err := tx.CreateIdentitySource(ctx, fullIdentitySource(accountA, regionB)); err != nil {
			return err
		}
		return tx.CreateIdentitySource(ctx, fullIdentitySource(accountB, regionA))
	})
	checkEqual(t, "GetIdentitySource of another region",
		get(t, s, "GetIdentitySource", getSource(accountA, regionB)), fullIdentitySource(accountA, regionB))

	list := get(t, s, "ListIdentitySources", func(ctx context.Context, tx keyturn.Tx) ([]*keyturn.IdentitySource, error) {
		return tx.ListIdentitySources(ctx, accountA, regionA)
	})
	checkEqual(t, "ListIdentitySources", list, []*keyturn.IdentitySource{src})
	empty := get(t, s, "ListIdentitySources", func(ctx context.Context, tx keyturn.Tx) ([]*keyturn.IdentitySource, error) {
		return tx.ListIdentitySources(ctx, accountB, regionB)
	})
	if len(empty) != 0 {
		t.Errorf("ListIdentitySources of an account without a source: got %d sources, want 0", len(empty))
	}

	changed := *src
	changed.Status = keyturn.IdentitySourceError
	changed.StatusCode = "INSTANCE_NOT_FOUND"
	changed.StatusMessage = "The instance was deleted."
	mustUpdate(t, s, "UpdateIdentitySource", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.UpdateIdentitySource(ctx, &changed)
	})
	checkEqual(t, "GetIdentitySource after update", get(t, s, "GetIdentitySource", getSource(accountA, regionA)), &changed)

	err = updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		return tx.UpdateIdentitySource(ctx, fullIdentitySource(accountB, regionB))
	})
	wantCode(t, "UpdateIdentitySource of a missing source", err, keyturn.ErrNotFound)

	mustUpdate(t, s, "DeleteIdentitySource", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.DeleteIdentitySource(ctx, accountA, regionA)
	})
	wantNotFound(t, s, "GetIdentitySource after delete", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetIdentitySource(ctx, accountA, regionA)
		return err
	})
	err = updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		return tx.DeleteIdentitySource(ctx, accountA, regionA)
	})
	wantCode(t, "DeleteIdentitySource of a deleted source", err, keyturn.ErrNotFound)
	checkEqual(t, "GetIdentitySource of another account after delete",
		get(t, s, "GetIdentitySource", getSource(accountB, regionA)), fullIdentitySource(accountB, regionA))
}

func testUser(t *testing.T, s keyturn.Store) {
	ada := fullUser(accountA, regionA, "user-ada", "ada")
	requireFilled(t, ada)
	getUser := func(account, region, id string) func(context.Context, keyturn.Tx) (*keyturn.User, error) {
		return func(ctx context.Context, tx keyturn.Tx) (*keyturn.User, error) {
			return tx.GetUser(ctx, account, region, id)
		}
	}
	getByName := func(account, region, name string) func(context.Context, keyturn.Tx) (*keyturn.User, error) {
		return func(ctx context.Context, tx keyturn.Tx) (*keyturn.User, error) {
			return tx.GetUserByName(ctx, account, region, name)
		}
	}

	mustUpdate(t, s, "CreateUser", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.CreateUser(ctx, ada)
	})
	checkEqual(t, "GetUser", get(t, s, "GetUser", getUser(accountA, regionA, "user-ada")), ada)
	checkEqual(t, "GetUserByName", get(t, s, "GetUserByName", getByName(accountA, regionA, "ada")), ada)

	conflicts := []struct {
		name string
		user *keyturn.User
	}{
		{"same id", fullUser(accountA, regionA, "user-ada", "other-name")},
		{"same user name", fullUser(accountA, regionA, "user-other", "ada")},
	}
	for _, c := range conflicts {
		err := updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
			return tx.CreateUser(ctx, c.user)
		})
		wantCode(t, "CreateUser with the "+c.name, err, keyturn.ErrConflict)
	}

	// The same id and user name may exist in another region or account.
	elsewhere := []*keyturn.User{
		fullUser(accountA, regionB, "user-ada", "ada"),
		fullUser(accountB, regionA, "user-ada", "ada"),
		fullUser(accountA, regionA, "user-ada-upper", "Ada"),
	}
	for _, u := range elsewhere {
		mustUpdate(t, s, fmt.Sprintf("CreateUser %s/%s/%s", u.AccountID, u.Region, u.UserName), func(ctx context.Context, tx keyturn.Tx) error {
			return tx.CreateUser(ctx, u)
		})
	}
	checkEqual(t, "GetUserByName of a name that differs in case",
		get(t, s, "GetUserByName", getByName(accountA, regionA, "Ada")), elsewhere[2])

	notFound := []struct {
		name string
		fn   func(ctx context.Context, tx keyturn.Tx) error
	}{
		{"GetUser of a missing id", func(ctx context.Context, tx keyturn.Tx) error {
			_, err := tx.GetUser(ctx, accountA, regionA, "user-missing")
			return err
		}},
		{"GetUser in another account", func(ctx context.Context, tx keyturn.Tx) error {
			_, err := tx.GetUser(ctx, accountB, regionB, "user-ada")
			return err
		}},
		{"GetUserByName of a missing name", func(ctx context.Context, tx keyturn.Tx) error {
			_, err := tx.GetUserByName(ctx, accountA, regionA, "ADA")
			return err
		}},
	}
	for _, c := range notFound {
		wantNotFound(t, s, c.name, c.fn)
	}

	renamed := *ada
	renamed.UserName = "ada.lovelace"
	renamed.DisplayName = "Ada Lovelace"
	renamed.Status = keyturn.UserDisabled
	mustUpdate(t, s, "UpdateUser", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.UpdateUser(ctx, &renamed)
	})
	checkEqual(t, "GetUser after rename", get(t, s, "GetUser", getUser(accountA, regionA, "user-ada")), &renamed)
	checkEqual(t, "GetUserByName of the new name", get(t, s, "GetUserByName", getByName(accountA, regionA, "ada.lovelace")), &renamed)
	wantNotFound(t, s, "GetUserByName of the old name", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetUserByName(ctx, accountA, regionA, "ada")
		return err
	})

	taken := renamed
	taken.UserName = "Ada"
	err := updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		return tx.UpdateUser(ctx, &taken)
	})
	wantCode(t, "UpdateUser to a taken user name", err, keyturn.ErrConflict)

	err = updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		return tx.UpdateUser(ctx, fullUser(accountA, regionA, "user-missing", "missing"))
	})
	wantCode(t, "UpdateUser of a missing user", err, keyturn.ErrNotFound)

	mustUpdate(t, s, "DeleteUser", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.DeleteUser(ctx, accountA, regionA, "user-ada")
	})
	wantNotFound(t, s, "GetUser after delete", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetUser(ctx, accountA, regionA, "user-ada")
		return err
	})
	err = updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		return tx.DeleteUser(ctx, accountA, regionA, "user-ada")
	})
	wantCode(t, "DeleteUser of a deleted user", err, keyturn.ErrNotFound)
	checkEqual(t, "GetUser in another region after delete",
		get(t, s, "GetUser", getUser(accountA, regionB, "user-ada")), elsewhere[0])

	// The name of a deleted user is free again.
	mustUpdate(t, s, "CreateUser with a deleted user's name", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.CreateUser(ctx, fullUser(accountA, regionA, "user-new", "ada.lovelace"))
	})
}

// sortNames are user names and policy ARN parts whose byte order differs
// from the order of most locale collations: upper case sorts before lower
// case, and punctuation and spaces are not ignored.
var sortNames = []string{
	"bob", "Bob", "BOB", "alice", "Alice", "a-b", "a_b", "a.b", "ab", "a b", "aB", "a", "Z", "z",
	"10", "9", "é", "e", "~tilde", "_under",
}

func testListUsers(t *testing.T, s keyturn.Store) {
	mustUpdate(t, s, "CreateUser", func(ctx context.Context, tx keyturn.Tx) error {
		for i, name := range sortNames {
			if err := tx.CreateUser(ctx, fullUser(accountA, regionA, fmt.Sprintf("user-%02d", i), name)); err != nil {
				return err
			}
		}
		// Users of another account and region must not appear.
		if err := tx.CreateUser(ctx, fullUser(accountB, regionA, "user-b", "0-other-account")); err != nil {
			return err
		}
		return tx.CreateUser(ctx, fullUser(accountA, regionB, "user-c", "0-other-region"))
	})
	want := slices.Clone(sortNames)
	slices.Sort(want) // byte order

	all := get(t, s, "ListUsers", func(ctx context.Context, tx keyturn.Tx) ([]*keyturn.User, error) {
		return tx.ListUsers(ctx, accountA, regionA, keyturn.Cursor{}, 100)
	})
	checkEqual(t, "ListUsers names in byte order", userNames(all), want)

	for _, limit := range []int{1, 3, 7} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			var got []string
			var after keyturn.Cursor
			for page := 0; page <= len(want); page++ {
				users := get(t, s, "ListUsers", func(ctx context.Context, tx keyturn.Tx) ([]*keyturn.User, error) {
					return tx.ListUsers(ctx, accountA, regionA, after, limit)
				})
				if len(users) > limit {
					t.Fatalf("ListUsers page %d: got %d users, want at most %d", page, len(users), limit)
				}
				if len(users) == 0 {
					break
				}
				got = append(got, userNames(users)...)
				after = keyturn.Cursor{Key: users[len(users)-1].UserName}
			}
			checkEqual(t, "ListUsers pages joined", got, want)
		})
	}
}

func userNames(users []*keyturn.User) []string {
	names := make([]string, len(users))
	for i, u := range users {
		names[i] = u.UserName
	}
	return names
}

func testCredential(t *testing.T, s keyturn.Store) {
	token := fullCredential(accountA, regionA, "user-ada", "cred-token", keyturn.CredentialToken, "hash-1")
	requireFilled(t, token)
	byHash := func(kind, hash string) func(context.Context, keyturn.Tx) (*keyturn.Credential, error) {
		return func(ctx context.Context, tx keyturn.Tx) (*keyturn.Credential, error) {
			return tx.GetCredentialByHash(ctx, kind, hash)
		}
	}

	mustUpdate(t, s, "CreateCredential", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.CreateCredential(ctx, token)
	})
	checkEqual(t, "GetCredentialByHash", get(t, s, "GetCredentialByHash", byHash(keyturn.CredentialToken, "hash-1")), token)

	conflicts := []struct {
		name string
		cred *keyturn.Credential
	}{
		{"same id", fullCredential(accountA, regionA, "user-ada", "cred-token", keyturn.CredentialToken, "hash-2")},
		{"same kind and hash", fullCredential(accountA, regionA, "user-ada", "cred-dup", keyturn.CredentialToken, "hash-1")},
		{"same kind and hash in another account", fullCredential(accountB, regionB, "user-bob", "cred-other", keyturn.CredentialToken, "hash-1")},
	}
	for _, c := range conflicts {
		err := updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
			return tx.CreateCredential(ctx, c.cred)
		})
		wantCode(t, "CreateCredential with the "+c.name, err, keyturn.ErrConflict)
	}

	// The same hash under another kind, and any number of credentials
	// without a hash, may coexist.
	enrollment := fullCredential(accountA, regionA, "user-ada", "cred-enrollment", keyturn.CredentialEnrollment, "hash-1")
	totp1 := fullCredential(accountA, regionA, "user-ada", "cred-totp-1", keyturn.CredentialTOTP, "")
	totp2 := fullCredential(accountA, regionA, "user-ada", "cred-totp-2", keyturn.CredentialTOTP, "")
	others := []*keyturn.Credential{
		fullCredential(accountA, regionA, "user-bob", "cred-bob", keyturn.CredentialToken, "hash-bob"),
		fullCredential(accountA, regionB, "user-ada", "cred-region-b", keyturn.CredentialToken, "hash-region-b"),
		fullCredential(accountB, regionA, "user-ada", "cred-account-b", keyturn.CredentialToken, "hash-account-b"),
	}
	mustUpdate(t, s, "CreateCredential", func(ctx context.Context, tx keyturn.Tx) error {
		for _, c := range append([]*keyturn.Credential{enrollment, totp1, totp2}, others...) {
			if err := tx.CreateCredential(ctx, c); err != nil {
				return fmt.Errorf("credential %s: %w", c.ID, err)
			}
		}
		return nil
	})
	checkEqual(t, "GetCredentialByHash of another kind",
		get(t, s, "GetCredentialByHash", byHash(keyturn.CredentialEnrollment, "hash-1")), enrollment)
	checkEqual(t, "GetCredentialByHash in another account",
		get(t, s, "GetCredentialByHash", byHash(keyturn.CredentialToken, "hash-account-b")), others[2])
	wantNotFound(t, s, "GetCredentialByHash of an empty hash", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetCredentialByHash(ctx, keyturn.CredentialTOTP, "")
		return err
	})
	wantNotFound(t, s, "GetCredentialByHash of a missing hash", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetCredentialByHash(ctx, keyturn.CredentialToken, "hash-missing")
		return err
	})

	list := get(t, s, "ListCredentials", func(ctx context.Context, tx keyturn.Tx) ([]*keyturn.Credential, error) {
		return tx.ListCredentials(ctx, accountA, regionA, "user-ada")
	})
	checkEqual(t, "ListCredentials of the user", sortedByID(list), sortedByID([]*keyturn.Credential{token, enrollment, totp1, totp2}))

	changed := *token
	changed.Hash = "hash-rotated"
	changed.Label = "rotated"
	changed.LastUsedTime = at(time.Minute)
	changed.Failures = 0
	changed.LockedUntil = time.Time{}
	mustUpdate(t, s, "UpdateCredential", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.UpdateCredential(ctx, &changed)
	})
	checkEqual(t, "GetCredentialByHash of the new hash",
		get(t, s, "GetCredentialByHash", byHash(keyturn.CredentialToken, "hash-rotated")), &changed)
	wantNotFound(t, s, "GetCredentialByHash of the replaced hash", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetCredentialByHash(ctx, keyturn.CredentialToken, "hash-1")
		return err
	})

	taken := changed
	taken.Hash = "hash-bob"
	err := updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		return tx.UpdateCredential(ctx, &taken)
	})
	wantCode(t, "UpdateCredential to another credential's hash", err, keyturn.ErrConflict)

	err = updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		return tx.UpdateCredential(ctx, fullCredential(accountA, regionA, "user-ada", "cred-missing", keyturn.CredentialToken, "hash-x"))
	})
	wantCode(t, "UpdateCredential of a missing credential", err, keyturn.ErrNotFound)

	mustUpdate(t, s, "DeleteCredential", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.DeleteCredential(ctx, "cred-token")
	})
	wantNotFound(t, s, "GetCredentialByHash after delete", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetCredentialByHash(ctx, keyturn.CredentialToken, "hash-rotated")
		return err
	})
	err = updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		return tx.DeleteCredential(ctx, "cred-token")
	})
	wantCode(t, "DeleteCredential of a deleted credential", err, keyturn.ErrNotFound)

	list = get(t, s, "ListCredentials", func(ctx context.Context, tx keyturn.Tx) ([]*keyturn.Credential, error) {
		return tx.ListCredentials(ctx, accountA, regionA, "user-ada")
	})
	checkEqual(t, "ListCredentials after delete", sortedByID(list), sortedByID([]*keyturn.Credential{enrollment, totp1, totp2}))
}

func sortedByID(creds []*keyturn.Credential) []*keyturn.Credential {
	out := slices.Clone(creds)
	slices.SortFunc(out, func(a, b *keyturn.Credential) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out
}

func testOneTimeCode(t *testing.T, s keyturn.Store) {
	latest := func(userID, purpose string) func(context.Context, keyturn.Tx) (*keyturn.OneTimeCode, error) {
		return func(ctx context.Context, tx keyturn.Tx) (*keyturn.OneTimeCode, error) {
			return tx.LatestOneTimeCode(ctx, userID, purpose)
		}
	}
	wantNotFound(t, s, "LatestOneTimeCode without codes", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.LatestOneTimeCode(ctx, "user-ada", "vote")
		return err
	})

	// Codes are created out of time order, and their ids do not follow
	// their times, so that only the creation time can pick the newest.
	older := fullOneTimeCode(accountA, regionA, "user-ada", "code-c", "vote", at(-2*time.Minute))
	newest := fullOneTimeCode(accountA, regionA, "user-ada", "code-a", "vote", at(-time.Minute+time.Nanosecond))
	middle := fullOneTimeCode(accountA, regionA, "user-ada", "code-b", "vote", at(-time.Minute))
	requireFilled(t, newest)
	for _, c := range []*keyturn.OneTimeCode{
		older, newest, middle,
		fullOneTimeCode(accountA, regionA, "user-ada", "code-enrol", "enrol", at(time.Hour)),
		fullOneTimeCode(accountA, regionA, "user-bob", "code-bob", "vote", at(time.Hour)),
	} {
		mustUpdate(t, s, "CreateOneTimeCode "+c.ID, func(ctx context.Context, tx keyturn.Tx) error {
			return tx.CreateOneTimeCode(ctx, c)
		})
	}
	checkEqual(t, "LatestOneTimeCode", get(t, s, "LatestOneTimeCode", latest("user-ada", "vote")), newest)

	err := updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		return tx.CreateOneTimeCode(ctx, fullOneTimeCode(accountA, regionA, "user-ada", "code-a", "vote", at(0)))
	})
	wantCode(t, "CreateOneTimeCode with an existing id", err, keyturn.ErrConflict)

	changed := *newest
	changed.Attempts = 3
	changed.Used = false
	mustUpdate(t, s, "UpdateOneTimeCode", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.UpdateOneTimeCode(ctx, &changed)
	})
	checkEqual(t, "LatestOneTimeCode after update", get(t, s, "LatestOneTimeCode", latest("user-ada", "vote")), &changed)

	err = updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		return tx.UpdateOneTimeCode(ctx, fullOneTimeCode(accountA, regionA, "user-ada", "code-missing", "vote", at(0)))
	})
	wantCode(t, "UpdateOneTimeCode of a missing code", err, keyturn.ErrNotFound)

	wantNotFound(t, s, "LatestOneTimeCode of another purpose without codes", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.LatestOneTimeCode(ctx, "user-ada", "other")
		return err
	})
}

func testTags(t *testing.T, s keyturn.Store) {
	team := keyturn.TeamArn(regionA, accountA, "tagged")
	other := keyturn.TeamArn(regionA, accountA, "other")
	tags := func(arn string) func(context.Context, keyturn.Tx) (map[string]string, error) {
		return func(ctx context.Context, tx keyturn.Tx) (map[string]string, error) {
			return tx.GetTags(ctx, arn)
		}
	}

	if got := get(t, s, "GetTags", tags(team)); len(got) != 0 {
		t.Errorf("GetTags of an untagged resource: got %v, want no tags", got)
	}

	first := map[string]string{"env": "prod", "Env": "upper case key", "owner": "", "a:b/c=d+e@f": "ünïcödé"}
	mustUpdate(t, s, "SetTags", func(ctx context.Context, tx keyturn.Tx) error {
		if err := tx.SetTags(ctx, other, map[string]string{"env": "dev"}); err != nil {
			return err
		}
		return tx.SetTags(ctx, team, first)
	})
	checkEqual(t, "GetTags", get(t, s, "GetTags", tags(team)), first)

	second := map[string]string{"env": "staging", "cost-center": "42"}
	mustUpdate(t, s, "SetTags that replaces tags", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.SetTags(ctx, team, second)
	})
	checkEqual(t, "GetTags after replace", get(t, s, "GetTags", tags(team)), second)

	mustUpdate(t, s, "SetTags that clears tags", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.SetTags(ctx, team, nil)
	})
	if got := get(t, s, "GetTags", tags(team)); len(got) != 0 {
		t.Errorf("GetTags after clear: got %v, want no tags", got)
	}
	checkEqual(t, "GetTags of another resource", get(t, s, "GetTags", tags(other)), map[string]string{"env": "dev"})
}

func testIdempotency(t *testing.T, s keyturn.Store) {
	record := func(key string, created time.Time) *keyturn.IdempotencyRecord {
		return &keyturn.IdempotencyRecord{
			Key:          key,
			RequestHash:  "sha256-of-" + key,
			Result:       []byte(`{"Arn":"arn:aws:mpa:us-east-1:111122223333:approval-team/x","Note":"ünïcödé <&>"}`),
			CreationTime: created,
		}
	}
	getRecord := func(key string) func(context.Context, keyturn.Tx) (*keyturn.IdempotencyRecord, error) {
		return func(ctx context.Context, tx keyturn.Tx) (*keyturn.IdempotencyRecord, error) {
			return tx.GetIdempotencyRecord(ctx, key)
		}
	}
	checkRecord := func(what string, got, want *keyturn.IdempotencyRecord) {
		t.Helper()
		if !bytes.Equal(got.Result, want.Result) {
			t.Errorf("%s: got Result %q, want %q", what, got.Result, want.Result)
		}
		checkEqual(t, what, &keyturn.IdempotencyRecord{Key: got.Key, RequestHash: got.RequestHash, CreationTime: got.CreationTime},
			&keyturn.IdempotencyRecord{Key: want.Key, RequestHash: want.RequestHash, CreationTime: want.CreationTime})
	}

	key := accountA + "|" + regionA + "|CreateApprovalTeam|token-1"
	wantNotFound(t, s, "GetIdempotencyRecord before put", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetIdempotencyRecord(ctx, key)
		return err
	})

	first := record(key, at(-time.Hour))
	mustUpdate(t, s, "PutIdempotencyRecord", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.PutIdempotencyRecord(ctx, first)
	})
	checkRecord("GetIdempotencyRecord", get(t, s, "GetIdempotencyRecord", getRecord(key)), first)

	replaced := record(key, at(-time.Minute))
	replaced.RequestHash = "sha256-other"
	replaced.Result = []byte(`{}`)
	mustUpdate(t, s, "PutIdempotencyRecord over an existing key", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.PutIdempotencyRecord(ctx, replaced)
	})
	checkRecord("GetIdempotencyRecord after replace", get(t, s, "GetIdempotencyRecord", getRecord(key)), replaced)

	undated := record("undated", time.Time{})
	mustUpdate(t, s, "PutIdempotencyRecord without a creation time", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.PutIdempotencyRecord(ctx, undated)
	})
	checkRecord("GetIdempotencyRecord without a creation time", get(t, s, "GetIdempotencyRecord", getRecord("undated")), undated)

	// DeleteIdempotencyRecords removes records created strictly before the
	// time and keeps one created at it.
	cutoff := at(0)
	records := []*keyturn.IdempotencyRecord{
		record("old", cutoff.Add(-time.Nanosecond)),
		record("at-cutoff", cutoff),
		record("new", cutoff.Add(time.Nanosecond)),
	}
	mustUpdate(t, s, "PutIdempotencyRecord", func(ctx context.Context, tx keyturn.Tx) error {
		for _, r := range records {
			if err := tx.PutIdempotencyRecord(ctx, r); err != nil {
				return err
			}
		}
		return tx.DeleteIdempotencyRecords(ctx, cutoff)
	})
	for _, k := range []string{"old", key} {
		wantNotFound(t, s, "GetIdempotencyRecord "+k+" after DeleteIdempotencyRecords", func(ctx context.Context, tx keyturn.Tx) error {
			_, err := tx.GetIdempotencyRecord(ctx, k)
			return err
		})
	}
	checkRecord("GetIdempotencyRecord at the cutoff", get(t, s, "GetIdempotencyRecord", getRecord("at-cutoff")), records[1])
	checkRecord("GetIdempotencyRecord after the cutoff", get(t, s, "GetIdempotencyRecord", getRecord("new")), records[2])
}
