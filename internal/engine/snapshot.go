package engine

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

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
// of them are written or none. Every record is checked first, and a
// malformed one fails the import with ErrInvalid. With replace, it first
// deletes the state the snapshot covers: its account's, or everything for a
// snapshot of every account. Without replace, a record that exists already
// fails the import with ErrConflict. Teams and sessions keep their order.
func (e *Engine) Import(ctx context.Context, snap *keyturn.Snapshot, replace bool) (*ImportResult, error) {
	if snap.Format != keyturn.SnapshotFormat {
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "The file is not a Keyturn snapshot: its format is %q, not %q.", snap.Format, keyturn.SnapshotFormat)
	}
	if snap.Version < 1 || snap.Version > keyturn.SnapshotVersion {
		return nil, keyturn.Errorf(keyturn.ErrInvalid,
			"Snapshot version %d is not supported: this server reads versions 1 to %d. Import it with the Keyturn version that exported it, or a newer one.",
			snap.Version, keyturn.SnapshotVersion)
	}
	if err := checkSnapshotRecords(snap); err != nil {
		return nil, err
	}
	res := &ImportResult{}
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		if replace {
			if err := tx.DeleteAccount(ctx, snap.AccountID); err != nil {
				return err
			}
		}
		if err := checkSnapshotReferences(ctx, tx, snap); err != nil {
			return err
		}
		return importRecords(ctx, tx, snap, res)
	})
	if err != nil {
		return nil, err
	}
	e.log.InfoContext(ctx, "snapshot imported", "account", snap.AccountID, "teams", res.Teams, "sessions", res.Sessions, "replace", replace)
	return res, nil
}

var (
	accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE    = regexp.MustCompile(`^[a-z0-9-]{1,20}$`)
)

// recordError reports a malformed snapshot record, named by its list in
// the snapshot file, its index and its id.
func recordError(list string, i int, id, format string, args ...any) error {
	name := fmt.Sprintf("%s[%d]", list, i)
	if id != "" {
		name += " (" + id + ")"
	}
	return keyturn.Errorf(keyturn.ErrInvalid, "Snapshot record %s is invalid: %s. Correct or remove the record and import again.",
		name, fmt.Sprintf(format, args...))
}

// snapshotChecker checks the records of one snapshot. Its methods return
// the reason a record is invalid, or "".
type snapshotChecker struct {
	snap *keyturn.Snapshot
}

// owner checks the account and region of a record. In a snapshot of one
// account, every record must belong to that account, because a replace
// deletes that account's state only and would leave another's in place.
func (c snapshotChecker) owner(account, region string) string {
	switch {
	case !accountIDRE.MatchString(account):
		return fmt.Sprintf("its account id %q is not 12 digits", account)
	case !regionRE.MatchString(region):
		return fmt.Sprintf("its region %q is missing or invalid", region)
	case c.snap.AccountID != "" && account != c.snap.AccountID:
		return fmt.Sprintf("it belongs to account %s, but the snapshot is of account %s", account, c.snap.AccountID)
	}
	return ""
}

// resource checks that arn is an ARN of the type that names a record of
// the account and region.
func (c snapshotChecker) resource(member, arn, wantType, account, region string) string {
	r, ok := keyturn.ParseResourceARN(arn)
	switch {
	case !ok || r.Type != wantType:
		return fmt.Sprintf("its %s %q is not a valid %s ARN", member, arn, wantType)
	case r.AccountID != account || r.Region != region:
		return fmt.Sprintf("its %s %s names account %s in %s, but the record has account %q in %q", member, arn, r.AccountID, r.Region, account, region)
	}
	return ""
}

// checkSnapshotRecords checks every record of a snapshot on its own, before
// the import writes any: no null records, ids and ARNs present and well
// formed, and, in a snapshot of one account, no record of another account.
func checkSnapshotRecords(snap *keyturn.Snapshot) error {
	if snap.AccountID != "" && !accountIDRE.MatchString(snap.AccountID) {
		return keyturn.Errorf(keyturn.ErrInvalid, "The snapshot's account_id %q is not 12 digits. Correct it, or leave it out for a snapshot of every account.", snap.AccountID)
	}
	c := snapshotChecker{snap: snap}
	checks := []func() error{
		func() error { return checkList(snap.IdentitySources, "identity_sources", c.identitySource) },
		func() error { return checkList(snap.Users, "users", c.user) },
		func() error { return checkList(snap.Credentials, "credentials", c.credential) },
		func() error { return checkList(snap.Teams, "teams", c.team) },
		func() error { return checkList(snap.Sessions, "sessions", c.session) },
		func() error { return checkList(snap.Policies, "policies", c.policy) },
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	for i, rt := range snap.Tags {
		if reason := c.tags(rt); reason != "" {
			return recordError("tags", i, rt.ResourceArn, "%s", reason)
		}
	}
	return nil
}

// checkList checks each record of a list with check, which returns the
// record's id and the reason it is invalid, or "".
func checkList[T any](records []*T, list string, check func(*T) (id, reason string)) error {
	for i, r := range records {
		if r == nil {
			return recordError(list, i, "", "it is null")
		}
		if id, reason := check(r); reason != "" {
			return recordError(list, i, id, "%s", reason)
		}
	}
	return nil
}

func (c snapshotChecker) identitySource(s *keyturn.IdentitySource) (string, string) {
	if reason := c.resource("arn", s.Arn, "identity-source", s.AccountID, s.Region); reason != "" {
		return s.Arn, reason
	}
	return s.Arn, c.owner(s.AccountID, s.Region)
}

func (c snapshotChecker) user(u *keyturn.User) (string, string) {
	if u.ID == "" {
		return "", "its id is missing"
	}
	return u.ID, c.owner(u.AccountID, u.Region)
}

func (c snapshotChecker) credential(cr *keyturn.Credential) (string, string) {
	switch {
	case cr.ID == "":
		return "", "its id is missing"
	case cr.UserID == "":
		return cr.ID, "its user_id is missing"
	}
	switch cr.Kind {
	case keyturn.CredentialToken, keyturn.CredentialEnrollment, keyturn.CredentialTOTP, keyturn.CredentialEmailOTP:
	default:
		return cr.ID, fmt.Sprintf("its kind %q is not one of %s, %s, %s or %s", cr.Kind,
			keyturn.CredentialToken, keyturn.CredentialEnrollment, keyturn.CredentialTOTP, keyturn.CredentialEmailOTP)
	}
	return cr.ID, c.owner(cr.AccountID, cr.Region)
}

func (c snapshotChecker) team(t *keyturn.Team) (string, string) {
	if reason := c.resource("arn", t.Arn, "approval-team", t.AccountID, t.Region); reason != "" {
		return t.Arn, reason
	}
	return t.Arn, c.owner(t.AccountID, t.Region)
}

func (c snapshotChecker) session(s *keyturn.Session) (string, string) {
	if reason := c.resource("arn", s.Arn, "session", s.AccountID, s.Region); reason != "" {
		return s.Arn, reason
	}
	if reason := c.resource("team_arn", s.TeamArn, "approval-team", s.AccountID, s.Region); reason != "" {
		return s.Arn, reason
	}
	if r, _ := keyturn.ParseResourceARN(s.Arn); !strings.HasPrefix(r.ID, keyturn.TeamID(s.TeamArn)+"/") {
		return s.Arn, fmt.Sprintf("its ARN does not name its team %s", s.TeamArn)
	}
	return s.Arn, c.owner(s.AccountID, s.Region)
}

func (c snapshotChecker) policy(p *keyturn.PolicyVersion) (string, string) {
	if _, _, ok := keyturn.ParsePolicyArn(p.PolicyArn); !ok {
		return p.PolicyArn, fmt.Sprintf("its policy_arn %q is not a policy ARN of the form %s", p.PolicyArn, keyturn.PolicyArn("<service principal>", "<name>"))
	}
	if p.VersionID < 1 {
		return p.PolicyArn, fmt.Sprintf("its version_id %d is not a positive number", p.VersionID)
	}
	return p.PolicyArn, ""
}

// tags checks the tags of one resource. Teams and identity sources carry
// tags; sessions cannot be tagged.
func (c snapshotChecker) tags(rt keyturn.ResourceTags) string {
	r, ok := keyturn.ParseResourceARN(rt.ResourceArn)
	if !ok || r.Type == "session" {
		return fmt.Sprintf("its resource_arn %q is not the ARN of an approval team or identity source", rt.ResourceArn)
	}
	if c.snap.AccountID != "" && r.AccountID != c.snap.AccountID {
		return fmt.Sprintf("its resource belongs to account %s, but the snapshot is of account %s", r.AccountID, c.snap.AccountID)
	}
	return ""
}

// checkSnapshotReferences checks that every session's team and every
// credential's user is in the snapshot or in the store, after a replace
// has deleted what the snapshot covers. A session that is no longer
// PENDING may name a team that exists in neither: sessions of deleted
// teams stay readable, so exports hold them.
func checkSnapshotReferences(ctx context.Context, tx keyturn.Tx, snap *keyturn.Snapshot) error {
	teams := map[string]bool{}
	for _, t := range snap.Teams {
		teams[t.Arn] = true
	}
	for i, s := range snap.Sessions {
		if teams[s.TeamArn] || s.Status != keyturn.SessionPending {
			continue
		}
		_, err := tx.GetTeam(ctx, s.TeamArn)
		if isNotFound(err) {
			return recordError("sessions", i, s.Arn, "it is PENDING, but its team %s is neither in the snapshot nor on the server", s.TeamArn)
		}
		if err != nil {
			return err
		}
	}

	type userKey struct{ account, region, id string }
	users := map[userKey]bool{}
	for _, u := range snap.Users {
		users[userKey{u.AccountID, u.Region, u.ID}] = true
	}
	for i, cr := range snap.Credentials {
		if users[userKey{cr.AccountID, cr.Region, cr.UserID}] {
			continue
		}
		_, err := tx.GetUser(ctx, cr.AccountID, cr.Region, cr.UserID)
		if isNotFound(err) {
			return recordError("credentials", i, cr.ID, "its user %s is neither in the snapshot nor on the server in account %s, %s", cr.UserID, cr.AccountID, cr.Region)
		}
		if err != nil {
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
