package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mpa"

	"github.com/keyturn/keyturn/client"
	"github.com/keyturn/keyturn/keyturntest"
)

func TestDevRulesAnswerForApprovers(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()

	var accept client.Rule
	runJSON(t, &accept, "dev", "rules", "accept-invitations")
	run(t, 0, "dev", "rules", "approve", "--action", "test:Deploy*", "--delay", "10m")

	alice, bob := srv.CreateUser(t, "alice"), srv.CreateUser(t, "bob")
	team := srv.CreateTeam(t, "auto", 2, alice.UserID, bob.UserID)
	srv.AdvanceClock(t, time.Second) // the sweep after a clock move applies the rules
	got, err := srv.MPA().GetApprovalTeam(ctx, getTeamInput(team))
	if err != nil {
		t.Fatalf("get the team: %v", err)
	}
	if got.Status != "ACTIVE" {
		t.Fatalf("got team status %s after the accept rule, want ACTIVE", got.Status)
	}

	session := srv.StartSession(t, team, "test:DeployProduction")
	srv.AdvanceClock(t, 9*time.Minute)
	if s, _ := srv.Admin().GetSession(ctx, session.SessionArn); s.Status != "PENDING" {
		t.Errorf("got status %s before the rule's delay, want PENDING", s.Status)
	}
	srv.AdvanceClock(t, 2*time.Minute)
	if s, _ := srv.Admin().GetSession(ctx, session.SessionArn); s.Status != "APPROVED" {
		t.Errorf("got status %s after the rule's delay, want APPROVED", s.Status)
	}

	r := run(t, 0, "dev", "rules")
	if !strings.Contains(r.stdout, accept.RuleID) || !strings.Contains(r.stdout, "test:Deploy*") {
		t.Errorf("the rule list does not show both rules:\n%s", r.stdout)
	}
	run(t, 0, "dev", "rules", "delete", accept.RuleID)
	run(t, 1, "dev", "rules", "delete", accept.RuleID)
	run(t, 0, "dev", "rules", "delete", "--all")
	var out struct{ Rules []client.Rule }
	runJSON(t, &out, "dev", "rules")
	if len(out.Rules) != 0 {
		t.Errorf("got %d rules after delete --all, want 0", len(out.Rules))
	}
}

func TestSnapshotExportImport(t *testing.T) {
	srv := startServer(t)
	team, users := srv.ActiveTeam(t, "fixture", 1, 2)
	session := srv.StartSession(t, team, "test:Restore")
	srv.Vote(t, session.SessionArn, users[0].UserID, "APPROVED")

	file := filepath.Join(t.TempDir(), "fixture.json")
	run(t, 0, "snapshot", "export", "--file", file)
	if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("got snapshot file %v (err %v), want mode 0600", info, err)
	}

	other := keyturntest.Start(t, keyturntest.Options{AccountID: srv.AccountID})
	t.Setenv("KEYTURN_ENDPOINT_URL", other.URL)
	var res client.ImportResult
	runJSON(t, &res, "snapshot", "import", "--file", file)
	if res.Teams != 1 || res.Sessions != 1 || res.Votes != 1 || res.Users != 2 {
		t.Errorf("got import counts %+v, want 1 team, 1 session, 1 vote, 2 users", res)
	}
	got, err := other.Admin().GetSession(context.Background(), session.SessionArn)
	if err != nil {
		t.Fatalf("get the imported session: %v", err)
	}
	if got.Status != "APPROVED" || got.ApproverResponses[0].Response != "APPROVED" {
		t.Errorf("got imported session %s with responses %+v, want APPROVED with the vote", got.Status, got.ApproverResponses)
	}

	r := run(t, 1, "snapshot", "import", "--file", file)
	if !strings.Contains(r.stderr, "ConflictException") {
		t.Errorf("importing twice: got %q, want a ConflictException", r.stderr)
	}
	run(t, 0, "snapshot", "import", "--file", file, "--replace")
}

func getTeamInput(arn string) *mpa.GetApprovalTeamInput {
	return &mpa.GetApprovalTeamInput{Arn: aws.String(arn)}
}
