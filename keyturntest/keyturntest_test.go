package keyturntest_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mpa"
	"github.com/aws/aws-sdk-go-v2/service/mpa/types"

	"github.com/keyturn/keyturn/client"
	"github.com/keyturn/keyturn/keyturntest"
)

func getTeam(t *testing.T, s *keyturntest.Server, arn string) *mpa.GetApprovalTeamOutput {
	t.Helper()
	out, err := s.MPA().GetApprovalTeam(context.Background(), &mpa.GetApprovalTeamInput{Arn: aws.String(arn)})
	if err != nil {
		t.Fatalf("get team %s: %v", arn, err)
	}
	return out
}

func getSession(t *testing.T, s *keyturntest.Server, arn string) *mpa.GetSessionOutput {
	t.Helper()
	out, err := s.MPA().GetSession(context.Background(), &mpa.GetSessionInput{SessionArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("get session %s: %v", arn, err)
	}
	return out
}

func TestServerServesSDKClients(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	out, err := s.MPA().ListPolicies(context.Background(), &mpa.ListPoliciesInput{})
	if err != nil {
		t.Fatalf("ListPolicies through AWSConfig: %v", err)
	}
	if len(out.Policies) == 0 {
		t.Errorf("ListPolicies returned no policies, want the built-in catalogue")
	}
	if s.AccountID != "111122223333" || s.Region != "us-east-1" {
		t.Errorf("defaults: account %s in %s, want 111122223333 in us-east-1", s.AccountID, s.Region)
	}
}

func TestServersAreIndependent(t *testing.T) {
	t.Parallel()
	a, b := keyturntest.NewServer(t), keyturntest.NewServer(t)
	a.CreateUser(t, "alice")
	if a.URL == b.URL {
		t.Fatalf("two servers share the URL %s", a.URL)
	}
	users, err := b.Admin().ListUsers(context.Background(), 0, "")
	if err == nil && len(users.Users) > 0 {
		t.Errorf("server B lists %d users created on server A, want none", len(users.Users))
	}
}

func TestStartOptions(t *testing.T) {
	t.Parallel()
	s := keyturntest.Start(t, keyturntest.Options{AccountID: "444455556666", Region: "eu-west-1"})
	source := s.IdentitySourceArn(t)
	if want := "arn:aws:mpa:eu-west-1:444455556666:identity-source/IamIdentityCenter"; source != want {
		t.Errorf("identity source = %s, want %s", source, want)
	}
	if again := s.IdentitySourceArn(t); again != source {
		t.Errorf("second IdentitySourceArn = %s, want the same %s", again, source)
	}
}

func TestDatabaseFileSurvivesRestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "keyturn.db")
	first := keyturntest.Start(t, keyturntest.Options{Database: path})
	team, _ := first.ActiveTeam(t, "durable", 1, 1)

	second := keyturntest.Start(t, keyturntest.Options{Database: path})
	if got := getTeam(t, second, team).Status; got != types.ApprovalTeamStatusActive {
		t.Errorf("team status on a second server on the same file = %s, want ACTIVE", got)
	}
}

func TestCreateTeamWaitsForInvitations(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	alice, bob := s.CreateUser(t, "alice"), s.CreateUser(t, "bob")
	if alice.Email != "alice@example.com" {
		t.Errorf("CreateUser email = %q, want alice@example.com", alice.Email)
	}
	team := s.CreateTeam(t, "pair", 2, alice.UserID, bob.UserID)
	if got := getTeam(t, s, team).Status; got != types.ApprovalTeamStatusPending {
		t.Fatalf("new team status = %s, want PENDING", got)
	}
	s.AcceptInvitation(t, team, alice.UserName)
	s.AcceptInvitation(t, team, bob.UserID)
	if got := getTeam(t, s, team).Status; got != types.ApprovalTeamStatusActive {
		t.Errorf("team status after both accept = %s, want ACTIVE", got)
	}
}

func TestVoteDecidesSession(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	team, users := s.ActiveTeam(t, "ops", 2, 3)
	if len(users) != 3 || users[0].UserName != "ops-1" {
		t.Fatalf("ActiveTeam users = %+v, want ops-1 to ops-3", users)
	}
	session := s.StartSession(t, team, "test:Deploy")
	if got := s.Vote(t, session.SessionArn, users[0].UserID, "APPROVED"); got.Status != "PENDING" {
		t.Errorf("status after one of two approvals = %s, want PENDING", got.Status)
	}
	if got := s.Vote(t, session.SessionArn, users[1].UserName, "APPROVED"); got.Status != "APPROVED" {
		t.Errorf("status after two of two approvals = %s, want APPROVED", got.Status)
	}
}

func TestAdvanceClockExpiresSession(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	team, _ := s.ActiveTeam(t, "ops", 1, 1)
	session := s.StartSession(t, team, "test:Deploy")
	before := s.Now(t)
	after := s.AdvanceClock(t, 25*time.Hour)
	if d := after.Sub(before); d < 25*time.Hour {
		t.Errorf("AdvanceClock moved the clock %s, want at least 25h", d)
	}
	got := getSession(t, s, session.SessionArn)
	if got.Status != types.SessionStatusFailed || got.StatusCode != types.SessionStatusCodeExpired {
		t.Errorf("session after 25h = %s/%s, want FAILED/EXPIRED", got.Status, got.StatusCode)
	}
}

func TestAdvanceClockWithoutSweep(t *testing.T) {
	t.Parallel()
	s := keyturntest.Start(t, keyturntest.Options{SweepInterval: 24 * time.Hour})
	team, _ := s.ActiveTeam(t, "ops", 1, 1)
	session := s.StartSession(t, team, "test:Deploy")
	s.AdvanceClockWithoutSweep(t, 25*time.Hour)
	if got := getSession(t, s, session.SessionArn); got.Status != types.SessionStatusFailed {
		t.Errorf("session read after 25h without a sweep = %s, want FAILED", got.Status)
	}
}

func TestFreezeClock(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	at := time.Date(2031, 6, 1, 12, 0, 0, 0, time.UTC)
	s.FreezeClock(t, at)
	if got := s.Now(t); !got.Equal(at) {
		t.Fatalf("Now after FreezeClock = %s, want %s", got, at)
	}
	if got := s.AdvanceClock(t, time.Hour); !got.Equal(at.Add(time.Hour)) {
		t.Errorf("AdvanceClock on a frozen clock = %s, want %s", got, at.Add(time.Hour))
	}
}

func TestSeedRepeatsIds(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	run := func() (string, string) {
		s := keyturntest.Start(t, keyturntest.Options{Seed: 7})
		s.FreezeClock(t, at)
		team, _ := s.ActiveTeam(t, "golden", 1, 2)
		return team, aws.ToString(getTeam(t, s, team).Approvers[0].ApproverId)
	}
	team1, approver1 := run()
	team2, approver2 := run()
	if team1 != team2 || approver1 != approver2 {
		t.Errorf("seed 7 gave team %s approver %s, then team %s approver %s; want the same", team1, approver1, team2, approver2)
	}
}

func TestWithAccountIsolates(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	team, _ := s.ActiveTeam(t, "ops", 1, 1)
	other := s.WithAccount("999988887777")
	_, err := other.MPA().GetApprovalTeam(context.Background(), &mpa.GetApprovalTeamInput{Arn: aws.String(team)})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("another account reading the team: error = %v, want ResourceNotFoundException", err)
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	team, _ := s.ActiveTeam(t, "ops", 1, 1)
	s.Reset(t)
	_, err := s.MPA().GetApprovalTeam(context.Background(), &mpa.GetApprovalTeamInput{Arn: aws.String(team)})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("GetApprovalTeam after Reset: error = %v, want ResourceNotFoundException", err)
	}
}

func TestAutoAcceptAndApprove(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	s.AutoAccept(t)
	s.AutoApprove(t, "test:Deploy*", time.Hour)
	s.AutoReject(t, "test:Delete*", 0)
	alice, bob := s.CreateUser(t, "alice"), s.CreateUser(t, "bob")
	team := s.CreateTeam(t, "auto", 2, alice.UserID, bob.UserID)
	s.AdvanceClock(t, time.Second)
	if got := getTeam(t, s, team).Status; got != types.ApprovalTeamStatusActive {
		t.Fatalf("team status with AutoAccept = %s, want ACTIVE", got)
	}

	deploy := s.StartSession(t, team, "test:DeployProduction")
	drop := s.StartSession(t, team, "test:DeleteBackups")
	s.AdvanceClock(t, 30*time.Minute)
	if got := getSession(t, s, deploy.SessionArn).Status; got != types.SessionStatusPending {
		t.Errorf("deploy session before the rule's hour = %s, want PENDING", got)
	}
	if got := getSession(t, s, drop.SessionArn); got.Status != types.SessionStatusFailed || got.StatusCode != types.SessionStatusCodeRejected {
		t.Errorf("delete session with AutoReject = %s/%s, want FAILED/REJECTED", got.Status, got.StatusCode)
	}
	s.AdvanceClock(t, 30*time.Minute)
	if got := getSession(t, s, deploy.SessionArn).Status; got != types.SessionStatusApproved {
		t.Errorf("deploy session after the rule's hour = %s, want APPROVED", got)
	}
}

func TestAddRuleForOneTeam(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	team, _ := s.ActiveTeam(t, "ruled", 1, 2)
	other, _ := s.ActiveTeam(t, "unruled", 1, 2)
	id := s.AddRule(t, client.Rule{Kind: client.RuleVote, ApprovalTeamArn: team, Response: "APPROVED"})
	if id == "" {
		t.Fatalf("AddRule returned no rule id")
	}
	ruled := s.StartSession(t, team, "test:Deploy")
	unruled := s.StartSession(t, other, "test:Deploy")
	s.AdvanceClock(t, time.Second)
	if got := getSession(t, s, ruled.SessionArn).Status; got != types.SessionStatusApproved {
		t.Errorf("session of the rule's team = %s, want APPROVED", got)
	}
	if got := getSession(t, s, unruled.SessionArn).Status; got != types.SessionStatusPending {
		t.Errorf("session of another team = %s, want PENDING", got)
	}
}

func TestSnapshotRestoresEverything(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	team, users := s.ActiveTeam(t, "fixture", 2, 3)
	approved := s.StartSession(t, team, "test:Deploy")
	s.Vote(t, approved.SessionArn, users[0].UserID, "APPROVED")
	s.Vote(t, approved.SessionArn, users[1].UserID, "APPROVED")
	pending := s.StartSession(t, team, "test:Rollback")
	s.Vote(t, pending.SessionArn, users[2].UserID, "REJECTED")
	if _, err := s.MPA().TagResource(context.Background(), &mpa.TagResourceInput{
		ResourceArn: aws.String(team), Tags: map[string]string{"env": "prod"},
	}); err != nil {
		t.Fatalf("tag the team: %v", err)
	}

	path := filepath.Join(t.TempDir(), "fixture.json")
	s.SaveSnapshot(t, path)
	restored := keyturntest.NewServer(t)
	restored.LoadSnapshot(t, path)

	if want, got := records(t, s.Snapshot(t)), records(t, restored.Snapshot(t)); string(want) != string(got) {
		t.Errorf("the restored server's snapshot differs from the original's:\noriginal: %s\nrestored: %s", want, got)
	}
	if got := getSession(t, restored, pending.SessionArn); len(got.ApproverResponses) != 3 {
		t.Errorf("restored pending session has %d approver responses, want 3", len(got.ApproverResponses))
	}
	// The restored team still works: its policy came with the snapshot.
	next := restored.StartSession(t, team, "test:Deploy")
	restored.Vote(t, next.SessionArn, users[0].UserID, "APPROVED")

	restored.Restore(t, s.Snapshot(t)) // Restore replaces, so a second one succeeds
}

// records returns a snapshot's records without the members that differ
// between any two snapshots: the times the snapshot was taken, and the
// sequence numbers that an import assigns anew.
func records(t *testing.T, snapshot []byte) []byte {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(snapshot, &v); err != nil {
		t.Fatalf("decode snapshot: %v", err)
	}
	delete(v, "creation_time")
	delete(v, "workflow_time")
	for _, kind := range []string{"teams", "sessions"} {
		for _, r := range v[kind].([]any) {
			delete(r.(map[string]any), "seq")
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode snapshot records: %v", err)
	}
	return b
}
