package engine

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/keyturn/keyturn"
)

const otherAccount = "444455556666"

// snapshotFixture is a fixture with a record of every kind, and its
// export.
type snapshotFixture struct {
	*fixture
	active *keyturn.Team
	snap   *keyturn.Snapshot
}

func newSnapshotFixture(t *testing.T) *snapshotFixture {
	t.Helper()
	f := newFixture(t, nil)
	team, users := f.activeTeam(2, 1)
	f.startSession(team.Arn)
	if err := f.eng.TagResource(f.ctx, f.caller, team.Arn, map[string]string{"env": "prod"}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	err := f.store.Update(f.ctx, func(tx keyturn.Tx) error {
		return tx.CreateCredential(f.ctx, &keyturn.Credential{
			ID: "cred-totp", UserID: users[0].ID, AccountID: testAccount, Region: testRegion,
			Kind: keyturn.CredentialTOTP, Secret: "JBSWY3DPEHPK3PXP", Confirmed: true, CreationTime: f.eng.Now(),
		})
	})
	if err != nil {
		t.Fatalf("store a credential: %v", err)
	}
	snap, err := f.eng.Export(f.ctx, testAccount)
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	return &snapshotFixture{fixture: f, active: team, snap: snap}
}

// copySnapshot returns a deep copy of the snapshot, through its file form.
func copySnapshot(t *testing.T, snap *keyturn.Snapshot) *keyturn.Snapshot {
	t.Helper()
	b, err := json.Marshal(snap)
	if err != nil {
		t.Fatalf("encode snapshot: %v", err)
	}
	var out keyturn.Snapshot
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("decode snapshot: %v", err)
	}
	return &out
}

func TestImportRejectsMalformedRecords(t *testing.T) {
	t.Parallel()
	f := newSnapshotFixture(t)
	missingTeam := keyturn.TeamArn(testRegion, testAccount, "missing-0b6f3d1e")
	tests := []struct {
		name   string
		change func(s *keyturn.Snapshot)
		// want is text that the message must contain: the record's name
		// in the file and the reason.
		want []string
	}{
		{"null identity source", func(s *keyturn.Snapshot) { s.IdentitySources = append(s.IdentitySources, nil) }, []string{"identity_sources[1]", "null"}},
		{"null user", func(s *keyturn.Snapshot) { s.Users = append([]*keyturn.User{nil}, s.Users...) }, []string{"users[0]", "null"}},
		{"null credential", func(s *keyturn.Snapshot) { s.Credentials = append(s.Credentials, nil) }, []string{"credentials[1]", "null"}},
		{"null team", func(s *keyturn.Snapshot) { s.Teams = append(s.Teams, nil) }, []string{"teams[1]", "null"}},
		{"null session", func(s *keyturn.Snapshot) { s.Sessions = append(s.Sessions, nil) }, []string{"sessions[1]", "null"}},
		{"null policy", func(s *keyturn.Snapshot) { s.Policies = append(s.Policies, nil) }, []string{"null"}},
		{"null tags", func(s *keyturn.Snapshot) { s.Tags = append(s.Tags, keyturn.ResourceTags{}) }, []string{"tags[1]", "resource_arn"}},

		{"identity source without ARN", func(s *keyturn.Snapshot) { s.IdentitySources[0].Arn = "" }, []string{"identity_sources[0]", "arn"}},
		{"identity source of another region", func(s *keyturn.Snapshot) { s.IdentitySources[0].Region = "eu-west-1" }, []string{"identity_sources[0]", "eu-west-1"}},
		{"user without id", func(s *keyturn.Snapshot) { s.Users[0].ID = "" }, []string{"users[0]", "id is missing"}},
		{"user without region", func(s *keyturn.Snapshot) { s.Users[0].Region = "" }, []string{"users[0]", "region"}},
		{"credential without id", func(s *keyturn.Snapshot) { s.Credentials[0].ID = "" }, []string{"credentials[0]", "id is missing"}},
		{"credential without user", func(s *keyturn.Snapshot) { s.Credentials[0].UserID = "" }, []string{"credentials[0]", "user_id is missing"}},
		{"credential of unknown kind", func(s *keyturn.Snapshot) { s.Credentials[0].Kind = "PASSWORD" }, []string{"credentials[0]", "PASSWORD"}},
		{"team without ARN", func(s *keyturn.Snapshot) { s.Teams[0].Arn = "" }, []string{"teams[0]", "approval-team ARN"}},
		{"team ARN of a session", func(s *keyturn.Snapshot) { s.Teams[0].Arn = s.Sessions[0].Arn }, []string{"teams[0]", "approval-team ARN"}},
		{"team of another region", func(s *keyturn.Snapshot) { s.Teams[0].Region = "eu-west-1" }, []string{"teams[0]", "eu-west-1"}},
		{"session without ARN", func(s *keyturn.Snapshot) { s.Sessions[0].Arn = "" }, []string{"sessions[0]", "session ARN"}},
		{"session without team", func(s *keyturn.Snapshot) { s.Sessions[0].TeamArn = "" }, []string{"sessions[0]", "team_arn"}},
		{"session ARN of another team", func(s *keyturn.Snapshot) {
			s.Sessions[0].Arn = keyturn.SessionArn(testRegion, testAccount, "other-team", "0b6f3d1e")
		}, []string{"sessions[0]", "does not name its team"}},
		{"policy with a malformed ARN", func(s *keyturn.Snapshot) { s.Policies[0].PolicyArn = "arn:aws:mpa:::aws:policy/deploy.example.com" }, []string{"policies[0]", "policy_arn"}},
		{"policy with a version ARN", func(s *keyturn.Snapshot) { s.Policies[0].PolicyArn += "/1" }, []string{"policies[0]", "policy_arn"}},
		{"policy without version", func(s *keyturn.Snapshot) { s.Policies[0].VersionID = 0 }, []string{"policies[0]", "version_id"}},
		{"tags of a session", func(s *keyturn.Snapshot) { s.Tags[0].ResourceArn = s.Sessions[0].Arn }, []string{"tags[0]", "resource_arn"}},
		{"snapshot account not 12 digits", func(s *keyturn.Snapshot) { s.AccountID = "acme" }, []string{"account_id", "acme"}},

		{"pending session of a missing team", func(s *keyturn.Snapshot) {
			s.Sessions[0].TeamArn = missingTeam
			s.Sessions[0].Arn = keyturn.SessionArn(testRegion, testAccount, keyturn.TeamID(missingTeam), "0b6f3d1e")
		}, []string{"sessions[0]", missingTeam, "neither in the snapshot nor on the server"}},
		{"credential of a missing user", func(s *keyturn.Snapshot) { s.Credentials[0].UserID = "missing-user" }, []string{"credentials[0]", "missing-user", "neither in the snapshot nor on the server"}},

		{"user of another account", func(s *keyturn.Snapshot) { s.Users[0].AccountID = otherAccount }, []string{"users[0]", otherAccount}},
		{"credential of another account", func(s *keyturn.Snapshot) { s.Credentials[0].AccountID = otherAccount }, []string{"credentials[0]", otherAccount}},
		{"tags of another account", func(s *keyturn.Snapshot) {
			s.Tags[0].ResourceArn = keyturn.TeamArn(testRegion, otherAccount, "payments-0b6f3d1e")
		}, []string{"tags[0]", otherAccount}},
		{"team of another account", func(s *keyturn.Snapshot) {
			s.Teams[0].AccountID = otherAccount
			s.Teams[0].Arn = keyturn.TeamArn(testRegion, otherAccount, keyturn.TeamID(s.Teams[0].Arn))
		}, []string{"teams[0]", otherAccount}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := copySnapshot(t, f.snap)
			tt.change(snap)
			_, err := f.eng.Import(f.ctx, snap, true)
			wantCode(t, err, keyturn.ErrInvalid)
			msg := keyturn.Message(err)
			for _, want := range tt.want {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not contain %q", msg, want)
				}
			}
		})
	}

	// A failed import with replace leaves the state as it was.
	if got := f.team(f.active.Arn); got.Arn != f.active.Arn {
		t.Errorf("team after failed imports: got %s, want %s", got.Arn, f.active.Arn)
	}
	tags, err := f.eng.ListTags(f.ctx, f.caller, f.active.Arn)
	if err != nil || tags["env"] != "prod" {
		t.Errorf("tags after failed imports: got %v, %v; want env=prod", tags, err)
	}
}

// TestImportRejectsOtherAccountCredential checks that a snapshot of one
// account cannot plant a token for another account's user, even one that
// exists on the server.
func TestImportRejectsOtherAccountCredential(t *testing.T) {
	t.Parallel()
	f := newSnapshotFixture(t)
	other := Caller{AccountID: otherAccount, Region: testRegion, PrincipalArn: "arn:aws:iam::444455556666:role/Admin", IdentityAdmin: true}
	if _, err := f.eng.CreateIdentitySource(f.ctx, other, CreateIdentitySourceInput{InstanceArn: "arn:aws:sso:::instance/ssoins-5555666677778888"}); err != nil {
		t.Fatalf("CreateIdentitySource in the other account: %v", err)
	}
	victim, err := f.eng.CreateUser(f.ctx, other, CreateUserInput{UserName: "victim"})
	if err != nil {
		t.Fatalf("CreateUser in the other account: %v", err)
	}

	snap := copySnapshot(t, f.snap)
	snap.Credentials = append(snap.Credentials, &keyturn.Credential{
		ID: "planted", UserID: victim.ID, AccountID: otherAccount, Region: testRegion,
		Kind: keyturn.CredentialToken, Hash: hashSecret(tokenPrefix + "planted"), Confirmed: true,
	})
	_, err = f.eng.Import(f.ctx, snap, true)
	wantCode(t, err, keyturn.ErrInvalid)

	_, _, err = f.eng.Authenticate(f.ctx, tokenPrefix+"planted")
	wantCode(t, err, keyturn.ErrAccessDenied)
}

func TestImportRoundTrip(t *testing.T) {
	t.Parallel()
	f := newSnapshotFixture(t)

	res, err := f.eng.Import(f.ctx, copySnapshot(t, f.snap), true)
	if err != nil {
		t.Fatalf("Import of an export: %v", err)
	}
	if res.Teams != 1 || res.Sessions != 1 || res.Users != 2 {
		t.Errorf("Import: got %+v, want 1 team, 1 session and 2 users", res)
	}

	// Sessions of a deleted team stay readable, so an export holds
	// sessions whose team is gone, and importing it must still work.
	team, users := f.activeTeam(1, 1)
	f.startSession(team.Arn)
	d := f.startDeletion(team.Arn, 0)
	f.vote(users[0], d.SessionArn, keyturn.ResponseApproved)
	if _, err := f.eng.GetTeam(f.ctx, f.caller, team.Arn); keyturn.Code(err) != keyturn.ErrNotFound {
		t.Fatalf("GetTeam of the deleted team: got %v, want %s", err, keyturn.ErrNotFound)
	}
	snap, err := f.eng.Export(f.ctx, testAccount)
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	if _, err := f.eng.Import(f.ctx, snap, true); err != nil {
		t.Errorf("Import of an export with sessions of a deleted team: %v", err)
	}

	all, err := f.eng.Export(f.ctx, "")
	if err != nil {
		t.Fatalf("Export of every account: %v", err)
	}
	if _, err := f.eng.Import(f.ctx, all, true); err != nil {
		t.Errorf("Import of an export of every account: %v", err)
	}
}
