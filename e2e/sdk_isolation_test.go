package e2e

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mpa"
	"github.com/aws/aws-sdk-go-v2/service/mpa/types"
	"github.com/google/go-cmp/cmp"

	"github.com/keyturn/keyturn/client"
	"github.com/keyturn/keyturn/keyturntest"
)

// sdkSnapshot is what one account can read of its own resources, to show
// that another account's requests changed nothing.
type sdkSnapshot struct {
	Team     *mpa.GetApprovalTeamOutput
	Session  *mpa.GetSessionOutput
	Tags     map[string]string
	Source   *mpa.GetIdentitySourceOutput
	Sessions int
}

func sdkTakeSnapshot(t *testing.T, api *mpa.Client, team, session, source string) sdkSnapshot {
	t.Helper()
	tags, err := api.ListTagsForResource(t.Context(), &mpa.ListTagsForResourceInput{ResourceArn: aws.String(team)})
	if err != nil {
		t.Fatalf("ListTagsForResource: %v", err)
	}
	src, err := api.GetIdentitySource(t.Context(), &mpa.GetIdentitySourceInput{IdentitySourceArn: aws.String(source)})
	if err != nil {
		t.Fatalf("GetIdentitySource: %v", err)
	}
	sessions, err := sdkListAllSessions(t.Context(), api, team, nil)
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	return sdkSnapshot{
		Team:     sdkGetTeam(t, api, team),
		Session:  sdkGetSession(t, api, session),
		Tags:     tags.Tags,
		Source:   src,
		Sessions: len(sessions),
	}
}

func TestSDKAccountIsolation(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	ctx := t.Context()

	// Account A has a team with a pending session and a tag.
	a := s.MPA()
	team, users := s.ActiveTeam(t, "payments", 1, 2)
	session := s.StartSession(t, team, "test:Deploy").SessionArn
	sourceA := s.IdentitySourceArn(t)
	if _, err := a.TagResource(ctx, &mpa.TagResourceInput{ResourceArn: aws.String(team), Tags: map[string]string{"owner": "a"}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	before := sdkTakeSnapshot(t, a, team, session, sourceA)

	// Account B starts empty, signed with another 12-digit access key id.
	other := s.WithAccount("444455556666")
	b := other.MPA()

	t.Run("lists are empty", func(t *testing.T) {
		teams, err := b.ListApprovalTeams(ctx, &mpa.ListApprovalTeamsInput{})
		if err != nil {
			t.Fatalf("ListApprovalTeams: %v", err)
		}
		if len(teams.ApprovalTeams) != 0 {
			t.Errorf("account B lists %d teams, want none", len(teams.ApprovalTeams))
		}
		sources, err := b.ListIdentitySources(ctx, &mpa.ListIdentitySourcesInput{})
		if err != nil {
			t.Fatalf("ListIdentitySources: %v", err)
		}
		if len(sources.IdentitySources) != 0 {
			t.Errorf("account B lists %d identity sources, want none", len(sources.IdentitySources))
		}
	})

	t.Run("reads are not found", func(t *testing.T) {
		_, err := b.GetApprovalTeam(ctx, &mpa.GetApprovalTeamInput{Arn: aws.String(team)})
		sdkWantNotFound(t, err)
		_, err = b.GetSession(ctx, &mpa.GetSessionInput{SessionArn: aws.String(session)})
		sdkWantNotFound(t, err)
		_, err = b.ListSessions(ctx, &mpa.ListSessionsInput{ApprovalTeamArn: aws.String(team)})
		sdkWantNotFound(t, err)
		_, err = b.GetIdentitySource(ctx, &mpa.GetIdentitySourceInput{IdentitySourceArn: aws.String(sourceA)})
		sdkWantNotFound(t, err)
		_, err = b.ListTagsForResource(ctx, &mpa.ListTagsForResourceInput{ResourceArn: aws.String(team)})
		sdkWantNotFound(t, err)
		_, err = b.ListTagsForResource(ctx, &mpa.ListTagsForResourceInput{ResourceArn: aws.String(sourceA)})
		sdkWantNotFound(t, err)
		_, err = b.ListResourcePolicies(ctx, &mpa.ListResourcePoliciesInput{ResourceArn: aws.String(team)})
		sdkWantNotFound(t, err)
		_, err = b.GetResourcePolicy(ctx, &mpa.GetResourcePolicyInput{
			ResourceArn: aws.String(team), PolicyName: aws.String("TestOperations"), PolicyType: types.PolicyTypeAwsManaged,
		})
		sdkWantNotFound(t, err)
	})

	t.Run("changes are not found", func(t *testing.T) {
		_, err := b.UpdateApprovalTeam(ctx, &mpa.UpdateApprovalTeamInput{Arn: aws.String(team), Description: aws.String("Taken over.")})
		sdkWantNotFound(t, err)
		_, err = b.StartActiveApprovalTeamDeletion(ctx, &mpa.StartActiveApprovalTeamDeletionInput{Arn: aws.String(team)})
		sdkWantNotFound(t, err)
		_, err = b.StartApprovalTeamBaseline(ctx, &mpa.StartApprovalTeamBaselineInput{Arn: aws.String(team)})
		sdkWantNotFound(t, err)
		_, err = b.DeleteInactiveApprovalTeamVersion(ctx, &mpa.DeleteInactiveApprovalTeamVersionInput{Arn: aws.String(team), VersionId: before.Team.VersionId})
		sdkWantNotFound(t, err)
		_, err = b.CancelSession(ctx, &mpa.CancelSessionInput{SessionArn: aws.String(session)})
		sdkWantNotFound(t, err)
		_, err = b.TagResource(ctx, &mpa.TagResourceInput{ResourceArn: aws.String(team), Tags: map[string]string{"owner": "b"}})
		sdkWantNotFound(t, err)
		_, err = b.UntagResource(ctx, &mpa.UntagResourceInput{ResourceArn: aws.String(team), TagKeys: []string{"owner"}})
		sdkWantNotFound(t, err)
		// DeleteIdentitySource has no not-found error: another account's
		// source is nothing of the caller's to delete, so it succeeds and
		// leaves the source alone.
		if _, err := b.DeleteIdentitySource(ctx, &mpa.DeleteIdentitySourceInput{IdentitySourceArn: aws.String(sourceA)}); err != nil {
			t.Errorf("DeleteIdentitySource of another account's source: got %v, want success without effect", err)
		}
	})

	t.Run("Keyturn API", func(t *testing.T) {
		_, err := other.Admin().GetSession(ctx, session)
		if !client.IsCode(err, "ResourceNotFoundException") {
			t.Errorf("GetSession of Keyturn's API from account B: got %v, want ResourceNotFoundException", err)
		}
		_, err = other.Admin().StartSession(ctx, client.StartSessionInput{ApprovalTeamArn: team, ActionName: "test:Deploy"})
		if !client.IsCode(err, "ResourceNotFoundException") {
			t.Errorf("StartSession on account A's team from account B: got %v, want ResourceNotFoundException", err)
		}
		_, err = other.Admin().ReportExecution(ctx, session, "EXECUTED")
		if !client.IsCode(err, "ResourceNotFoundException") {
			t.Errorf("ReportExecution from account B: got %v, want ResourceNotFoundException", err)
		}
		// Account A's approver cannot be acted as in account B.
		_, err = other.As(users[0].UserID).Vote(ctx, session, client.VoteInput{Response: "APPROVED"})
		if !client.IsCode(err, "ResourceNotFoundException") {
			t.Errorf("account B acts as account A's approver: got %v, want ResourceNotFoundException for the unknown user", err)
		}
	})

	t.Run("own resources", func(t *testing.T) {
		// B builds its own team, and each account lists only its own.
		teamB, usersB := other.ActiveTeam(t, "payments", 1, 1)
		sessionB := other.StartSession(t, teamB, "test:Deploy").SessionArn
		sourceB := other.IdentitySourceArn(t)
		if sourceB == sourceA {
			t.Errorf("both accounts have identity source %s, want one each", sourceA)
		}

		listB, err := b.ListApprovalTeams(ctx, &mpa.ListApprovalTeamsInput{})
		if err != nil {
			t.Fatalf("ListApprovalTeams: %v", err)
		}
		if len(listB.ApprovalTeams) != 1 || aws.ToString(listB.ApprovalTeams[0].Arn) != teamB {
			t.Errorf("account B lists %+v, want only its team %s", listB.ApprovalTeams, teamB)
		}
		listA, err := a.ListApprovalTeams(ctx, &mpa.ListApprovalTeamsInput{})
		if err != nil {
			t.Fatalf("ListApprovalTeams: %v", err)
		}
		if len(listA.ApprovalTeams) != 1 || aws.ToString(listA.ApprovalTeams[0].Arn) != team {
			t.Errorf("account A lists %+v, want only its team %s", listA.ApprovalTeams, team)
		}
		_, err = a.GetApprovalTeam(ctx, &mpa.GetApprovalTeamInput{Arn: aws.String(teamB)})
		sdkWantNotFound(t, err)
		_, err = a.GetSession(ctx, &mpa.GetSessionInput{SessionArn: aws.String(sessionB)})
		sdkWantNotFound(t, err)

		// An approver of B cannot vote in A's session.
		_, err = other.As(usersB[0].UserID).Vote(ctx, session, client.VoteInput{Response: "APPROVED"})
		if !client.IsCode(err, "ResourceNotFoundException") {
			t.Errorf("B's approver votes in A's session: got %v, want ResourceNotFoundException", err)
		}
		// Nor can B name A's identity source for its approvers.
		in := sdkTeamInput(sourceA, 1, usersB[0].UserID)
		in.Policies = []types.PolicyReference{{PolicyArn: aws.String(sdkTestPolicyArn)}}
		_, err = b.CreateApprovalTeam(ctx, in)
		sdkWantValidation(t, err, "PrimaryIdentitySourceArn")

		// Both see the one policy catalogue.
		policiesA, err := a.ListPolicies(ctx, &mpa.ListPoliciesInput{})
		if err != nil {
			t.Fatalf("ListPolicies: %v", err)
		}
		policiesB, err := b.ListPolicies(ctx, &mpa.ListPoliciesInput{})
		if err != nil {
			t.Fatalf("ListPolicies: %v", err)
		}
		if diff := cmp.Diff(policiesA.Policies, policiesB.Policies, sdkIgnoreDocumentSerde); diff != "" {
			t.Errorf("the accounts see different policy catalogues (-A +B):\n%s", diff)
		}
	})

	t.Run("other region", func(t *testing.T) {
		cfg := s.AWSConfig()
		cfg.Region = "eu-west-1"
		west := mpa.NewFromConfig(cfg)
		_, err := west.GetApprovalTeam(ctx, &mpa.GetApprovalTeamInput{Arn: aws.String(team)})
		sdkWantNotFound(t, err)
		_, err = west.GetSession(ctx, &mpa.GetSessionInput{SessionArn: aws.String(session)})
		sdkWantNotFound(t, err)
		teams, err := west.ListApprovalTeams(ctx, &mpa.ListApprovalTeamsInput{})
		if err != nil {
			t.Fatalf("ListApprovalTeams: %v", err)
		}
		if len(teams.ApprovalTeams) != 0 {
			t.Errorf("eu-west-1 lists %d teams of us-east-1, want none", len(teams.ApprovalTeams))
		}
	})

	after := sdkTakeSnapshot(t, a, team, session, sourceA)
	if diff := cmp.Diff(before, after, sdkIgnoreDocumentSerde); diff != "" {
		t.Errorf("account A's resources changed (-before +after):\n%s", diff)
	}
}
