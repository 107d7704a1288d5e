package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/keyturn/keyturn"
)

// Snapshots copy the state of a server, or of one account, into a file and
// back, so that a test suite can start from a known fixture. A snapshot
// holds approvers' credentials, TOTP secrets among them, so only trusted
// callers may take one.

// Export returns a snapshot of one account, or of every account and the
// policy catalogue when account is empty.
func (e *Engine) Export(ctx context.Context, account string) (*keyturn.Snapshot, error) {
	var snap *keyturn.Snapshot
	err := e.store.View(ctx, func(tx keyturn.Tx) error {
		var err error
		if snap, err = tx.Export(ctx, account); err != nil {
			return err
		}
		if account != "" {
			snap.Policies, err = referencedPolicies(ctx, tx, snap.Teams)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	snap.Format, snap.Version = keyturn.SnapshotFormat, keyturn.SnapshotVersion
	snap.CreationTime = realNow()
	snap.WorkflowTime = e.Now()
	emptyNotNil(&snap.IdentitySources)
	emptyNotNil(&snap.Users)
	emptyNotNil(&snap.Credentials)
	emptyNotNil(&snap.Teams)
	emptyNotNil(&snap.Sessions)
	emptyNotNil(&snap.Tags)
	emptyNotNil(&snap.Policies)
	e.log.InfoContext(ctx, "snapshot exported", "account", account, "teams", len(snap.Teams), "sessions", len(snap.Sessions))
	return snap, nil
}

// referencedPolicies returns every version of the policies that the teams
// reference, so that a snapshot of one account carries the catalogue
// entries its teams need.
func referencedPolicies(ctx context.Context, tx keyturn.Tx, teams []*keyturn.Team) ([]*keyturn.PolicyVersion, error) {
	var arns []string
	for _, t := range teams {
		for _, ref := range t.Policies {
			if policyArn, _, ok := keyturn.ParsePolicyVersionArn(ref); ok && !slices.Contains(arns, policyArn) {
				arns = append(arns, policyArn)
			}
		}
	}
	slices.Sort(arns)
	var out []*keyturn.PolicyVersion
	for _, arn := range arns {
		var after keyturn.Cursor
		for {
			versions, err := tx.ListPolicyVersions(ctx, arn, after, 100)
			if err != nil {
				return nil, err
			}
			out = append(out, versions...)
			if len(versions) < 100 {
				break
			}
			after = keyturn.Cursor{Seq: int64(versions[len(versions)-1].VersionID)}
		}
	}
	return out, nil
}

// emptyNotNil makes a nil slice empty, so that it encodes as [] rather than
// null.
func emptyNotNil[T any](s *[]T) {
	if *s == nil {
		*s = []T{}
	}
}

// ImportResult counts what an import wrote.
type ImportResult struct {
	IdentitySources int
	Users           int
	Teams           int
	Sessions        int
	Votes           int
	Policies        int
}

// Import writes the records of a snapshot, in one transaction: either all
// of them are written or none. With replace, it first deletes the state the
// snapshot covers: its account's, or everything for a snapshot of every
// account. Without replace, a record that exists already fails the import
// with ErrConflict. Teams and sessions keep their order.
func (e *Engine) Import(ctx context.Context, snap *keyturn.Snapshot, replace bool) (*ImportResult, error) {
	if snap.Format != keyturn.SnapshotFormat {
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "The file is not a Keyturn snapshot: its format is %q, not %q.", snap.Format, keyturn.SnapshotFormat)
	}
	if snap.Version < 1 || snap.Version > keyturn.SnapshotVersion {
		return nil, keyturn.Errorf(keyturn.ErrInvalid,
			"Snapshot version %d is not supported: this server reads versions 1 to %d. Import it with the Keyturn version that exported it, or a newer one.",
			snap.Version, keyturn.SnapshotVersion)
	}
	if err := checkSnapshotAccount(snap); err != nil {
		return nil, err
	}
	res := &ImportResult{}
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		if replace {
			if err := tx.DeleteAccount(ctx, snap.AccountID); err != nil {
				return err
			}
		}
		return importRecords(ctx, tx, snap, res)
	})
	if err != nil {
		return nil, err
	}
	e.log.InfoContext(ctx, "snapshot imported", "account", snap.AccountID, "teams", res.Teams, "sessions", res.Sessions, "replace", replace)
	return res, nil
}

// checkSnapshotAccount makes sure that a snapshot of one account holds no
// record of another, which a replace would otherwise leave in place.
func checkSnapshotAccount(snap *keyturn.Snapshot) error {
	if snap.AccountID == "" {
		return nil
	}
	check := func(kind, id, account string) error {
		if account != snap.AccountID {
			return keyturn.Errorf(keyturn.ErrInvalid, "The snapshot is of account %s, but %s %s belongs to account %s.", snap.AccountID, kind, id, account)
		}
		return nil
	}
	for _, s := range snap.IdentitySources {
		if err := check("identity source", s.Arn, s.AccountID); err != nil {
			return err
		}
	}
	for _, u := range snap.Users {
		if err := check("user", u.ID, u.AccountID); err != nil {
			return err
		}
	}
	for _, t := range snap.Teams {
		if err := check("team", t.Arn, t.AccountID); err != nil {
			return err
		}
	}
	for _, s := range snap.Sessions {
		if err := check("session", s.Arn, s.AccountID); err != nil {
			return err
		}
	}
	return nil
}

func importRecords(ctx context.Context, tx keyturn.Tx, snap *keyturn.Snapshot, res *ImportResult) error {
	// The catalogue is shared, so a policy version that the server has
	// already stays as it is.
	for _, p := range snap.Policies {
		_, err := tx.GetPolicyVersion(ctx, p.PolicyArn, p.VersionID)
		if err == nil {
			continue
		}
		if !isNotFound(err) {
			return err
		}
		if err := tx.PutPolicyVersion(ctx, p); err != nil {
			return err
		}
		res.Policies++
	}
	for _, s := range snap.IdentitySources {
		if err := tx.CreateIdentitySource(ctx, s); err != nil {
			return importError("identity source", s.Arn, err)
		}
		res.IdentitySources++
	}
	for _, u := range snap.Users {
		if err := tx.CreateUser(ctx, u); err != nil {
			return importError("user", u.ID, err)
		}
		res.Users++
	}
	for _, c := range snap.Credentials {
		if err := tx.CreateCredential(ctx, c); err != nil {
			return importError("credential", c.ID, err)
		}
	}

	// The store gives new sequence numbers; creating the records in their
	// old order keeps the order of teams and sessions created at the same
	// time.
	teams := slices.Clone(snap.Teams)
	slices.SortStableFunc(teams, func(a, b *keyturn.Team) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, t := range teams {
		copied := *t
		if err := tx.CreateTeam(ctx, &copied); err != nil {
			return importError("team", t.Arn, err)
		}
		res.Teams++
	}
	sessions := slices.Clone(snap.Sessions)
	slices.SortStableFunc(sessions, func(a, b *keyturn.Session) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, s := range sessions {
		copied := *s
		if err := tx.CreateSession(ctx, &copied); err != nil {
			return importError("session", s.Arn, err)
		}
		for _, v := range s.Votes {
			if err := tx.AddVote(ctx, s.Arn, v); err != nil {
				return importError("vote in session", s.Arn+" of approver "+v.ApproverID, err)
			}
			res.Votes++
		}
		res.Sessions++
	}
	for _, rt := range snap.Tags {
		if err := tx.SetTags(ctx, rt.ResourceArn, rt.Tags); err != nil {
			return err
		}
	}
	return nil
}

// importError names the record whose import failed. A record that exists
// already becomes a conflict that says how to import instead.
func importError(kind, id string, err error) error {
	if keyturn.Code(err) == keyturn.ErrConflict {
		return keyturn.Errorf(keyturn.ErrConflict,
			"The server already has the %s %s that the snapshot holds. Import into a fresh server, or replace the existing state.", kind, id)
	}
	return fmt.Errorf("import %s %s: %w", kind, id, err)
}
