package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/keyturn/keyturn"
)

func getPolicyVersion(policyArn string, version int) func(context.Context, keyturn.Tx) (*keyturn.PolicyVersion, error) {
	return func(ctx context.Context, tx keyturn.Tx) (*keyturn.PolicyVersion, error) {
		return tx.GetPolicyVersion(ctx, policyArn, version)
	}
}

func putPolicyVersions(t *testing.T, s keyturn.Store, versions ...*keyturn.PolicyVersion) {
	t.Helper()
	mustUpdate(t, s, "PutPolicyVersion", func(ctx context.Context, tx keyturn.Tx) error {
		for _, p := range versions {
			if err := tx.PutPolicyVersion(ctx, p); err != nil {
				return fmt.Errorf("%s: %w", p.Arn(), err)
			}
		}
		return nil
	})
}

func testPolicyVersion(t *testing.T, s keyturn.Store) {
	arn := keyturn.PolicyArn("deploy.example.com", "Promote")
	v1 := fullPolicyVersion(arn, 1, true)
	v2 := fullPolicyVersion(arn, 2, false)
	v2.Actions = []string{"deploy:*"}
	requireFilled(t, v1)

	wantNotFound(t, s, "GetPolicyVersion of the default before put", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetPolicyVersion(ctx, arn, 0)
		return err
	})
	putPolicyVersions(t, s, v1, v2)
	checkEqual(t, "GetPolicyVersion 1", get(t, s, "GetPolicyVersion", getPolicyVersion(arn, 1)), v1)
	checkEqual(t, "GetPolicyVersion 2", get(t, s, "GetPolicyVersion", getPolicyVersion(arn, 2)), v2)
	checkEqual(t, "GetPolicyVersion of the default", get(t, s, "GetPolicyVersion", getPolicyVersion(arn, 0)), v1)

	notFound := []struct {
		name      string
		policyArn string
		version   int
	}{
		{"missing version", arn, 3},
		{"missing policy", keyturn.PolicyArn("deploy.example.com", "Missing"), 1},
		{"policy ARN that differs in case", keyturn.PolicyArn("deploy.example.com", "promote"), 1},
	}
	for _, c := range notFound {
		wantNotFound(t, s, "GetPolicyVersion of a "+c.name, func(ctx context.Context, tx keyturn.Tx) error {
			_, err := tx.GetPolicyVersion(ctx, c.policyArn, c.version)
			return err
		})
	}

	// Putting an existing version replaces it, and moves the default.
	v1.IsDefault = false
	v1.Status = keyturn.PolicyDeprecated
	v1.LastUpdatedTime = at(time.Hour)
	v2.IsDefault = true
	putPolicyVersions(t, s, v1, v2)
	checkEqual(t, "GetPolicyVersion 1 after replace", get(t, s, "GetPolicyVersion", getPolicyVersion(arn, 1)), v1)
	checkEqual(t, "GetPolicyVersion of the new default", get(t, s, "GetPolicyVersion", getPolicyVersion(arn, 0)), v2)
}

// policyArns returns policy ARNs whose order in bytes differs from the
// order of most locale collations.
func policyArns() []string {
	arns := make([]string, 0, len(sortNames))
	for _, name := range sortNames {
		if name == "a b" || name == "é" || name == "~tilde" {
			continue // not valid in a policy ARN
		}
		arns = append(arns, keyturn.PolicyArn("deploy.example.com", name))
	}
	return append(arns,
		keyturn.PolicyArn("Deploy.example.com", "x"),
		keyturn.PolicyArn("deploy-example.com", "x"),
		keyturn.PolicyArn("backup.amazonaws.com", "CreateRestoreAccessBackupVault"),
	)
}

func testListPolicies(t *testing.T, s keyturn.Store) {
	arns := policyArns()
	var versions []*keyturn.PolicyVersion
	for _, arn := range arns {
		versions = append(versions, fullPolicyVersion(arn, 1, false), fullPolicyVersion(arn, 2, true))
	}
	// A policy without a default version is not listed.
	hidden := keyturn.PolicyArn("deploy.example.com", "hidden")
	versions = append(versions, fullPolicyVersion(hidden, 1, false))
	putPolicyVersions(t, s, versions...)

	want := slices.Clone(arns)
	slices.Sort(want) // byte order

	all := get(t, s, "ListPolicies", func(ctx context.Context, tx keyturn.Tx) ([]*keyturn.PolicyVersion, error) {
		return tx.ListPolicies(ctx, keyturn.Cursor{}, 100)
	})
	checkEqual(t, "ListPolicies ARNs in byte order", policyVersionArns(all), want)
	for _, p := range all {
		if !p.IsDefault || p.VersionID != 2 {
			t.Errorf("ListPolicies %s: got version %d (default %t), want the default version 2", p.PolicyArn, p.VersionID, p.IsDefault)
		}
	}

	for _, limit := range []int{1, 4, 9} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			var got []string
			var after keyturn.Cursor
			for page := 0; page <= len(want); page++ {
				list := get(t, s, "ListPolicies", func(ctx context.Context, tx keyturn.Tx) ([]*keyturn.PolicyVersion, error) {
					return tx.ListPolicies(ctx, after, limit)
				})
				if len(list) > limit {
					t.Fatalf("ListPolicies page %d: got %d policies, want at most %d", page, len(list), limit)
				}
				if len(list) == 0 {
					break
				}
				got = append(got, policyVersionArns(list)...)
				after = keyturn.Cursor{Key: list[len(list)-1].PolicyArn}
			}
			checkEqual(t, "ListPolicies pages joined", got, want)
		})
	}
}

func policyVersionArns(versions []*keyturn.PolicyVersion) []string {
	arns := make([]string, len(versions))
	for i, p := range versions {
		arns[i] = p.PolicyArn
	}
	return arns
}

func testListPolicyVersions(t *testing.T, s keyturn.Store) {
	arn := keyturn.PolicyArn("deploy.example.com", "Promote")
	other := keyturn.PolicyArn("deploy.example.com", "Promote2")
	// Version 10 sorts after 9 only when versions compare as numbers.
	var versions []*keyturn.PolicyVersion
	for _, v := range []int{10, 2, 1, 9, 3} {
		versions = append(versions, fullPolicyVersion(arn, v, v == 3))
	}
	versions = append(versions, fullPolicyVersion(other, 4, true))
	putPolicyVersions(t, s, versions...)
	want := []int{1, 2, 3, 9, 10}

	list := func(after keyturn.Cursor, limit int) []*keyturn.PolicyVersion {
		t.Helper()
		return get(t, s, "ListPolicyVersions", func(ctx context.Context, tx keyturn.Tx) ([]*keyturn.PolicyVersion, error) {
			return tx.ListPolicyVersions(ctx, arn, after, limit)
		})
	}
	checkEqual(t, "ListPolicyVersions in ascending order", versionIDs(list(keyturn.Cursor{}, 100)), want)

	for _, limit := range []int{1, 2, 3} {
		var got []int
		var after keyturn.Cursor
		for range len(want) + 1 {
			page := list(after, limit)
			if len(page) > limit {
				t.Fatalf("ListPolicyVersions limit %d: got %d versions, want at most %d", limit, len(page), limit)
			}
			if len(page) == 0 {
				break
			}
			got = append(got, versionIDs(page)...)
			after = keyturn.Cursor{Seq: int64(page[len(page)-1].VersionID)}
		}
		checkEqual(t, fmt.Sprintf("ListPolicyVersions limit %d pages joined", limit), got, want)
	}

	missing := get(t, s, "ListPolicyVersions", func(ctx context.Context, tx keyturn.Tx) ([]*keyturn.PolicyVersion, error) {
		return tx.ListPolicyVersions(ctx, keyturn.PolicyArn("deploy.example.com", "Missing"), keyturn.Cursor{}, 100)
	})
	if len(missing) != 0 {
		t.Errorf("ListPolicyVersions of a missing policy: got %d versions, want 0", len(missing))
	}
}

func versionIDs(versions []*keyturn.PolicyVersion) []int {
	ids := make([]int, len(versions))
	for i, p := range versions {
		ids[i] = p.VersionID
	}
	return ids
}
