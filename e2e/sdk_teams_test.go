package e2e

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mpa"
	"github.com/aws/aws-sdk-go-v2/service/mpa/types"
	"github.com/google/go-cmp/cmp"

	"github.com/keyturn/keyturn/keyturntest"
)

var sdkTeamArnRE = regexp.MustCompile(`^arn:aws:mpa:us-east-1:111122223333:approval-team/deploy-approvers-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestSDKIdentitySources(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	api := s.MPA()
	ctx := t.Context()
	now := sdkFreezeClock(t, s)
	const wantArn = "arn:aws:mpa:us-east-1:111122223333:identity-source/IamIdentityCenter"
	const instanceArn = "arn:aws:sso:::instance/ssoins-7223a1b2c3d4e5f6"

	list, err := api.ListIdentitySources(ctx, &mpa.ListIdentitySourcesInput{})
	if err != nil {
		t.Fatalf("ListIdentitySources: %v", err)
	}
	if len(list.IdentitySources) != 0 || list.NextToken != nil {
		t.Fatalf("got %d identity sources and NextToken %v before any was created, want none", len(list.IdentitySources), list.NextToken)
	}
	_, err = api.GetIdentitySource(ctx, &mpa.GetIdentitySourceInput{IdentitySourceArn: aws.String(wantArn)})
	sdkWantNotFound(t, err)

	in := &mpa.CreateIdentitySourceInput{
		IdentitySourceParameters: &types.IdentitySourceParameters{IamIdentityCenter: &types.IamIdentityCenter{
			InstanceArn: aws.String(instanceArn),
			Region:      aws.String("eu-west-1"),
		}},
		ClientToken: aws.String("create-idc-1"),
		Tags:        map[string]string{"cost-centre": "security"},
	}
	created, err := api.CreateIdentitySource(ctx, in)
	if err != nil {
		t.Fatalf("CreateIdentitySource: %v", err)
	}
	sdkWantString(t, "IdentitySourceArn", created.IdentitySourceArn, wantArn)
	if created.IdentitySourceType != types.IdentitySourceTypeIamIdentityCenter {
		t.Errorf("got IdentitySourceType %q, want %q", created.IdentitySourceType, types.IdentitySourceTypeIamIdentityCenter)
	}
	sdkWantTime(t, "CreationTime", created.CreationTime, now)

	t.Run("replay", func(t *testing.T) {
		s.AdvanceClock(t, time.Minute)
		replayed, err := api.CreateIdentitySource(ctx, in)
		if err != nil {
			t.Fatalf("CreateIdentitySource again with the same ClientToken: %v", err)
		}
		sdkWantString(t, "IdentitySourceArn", replayed.IdentitySourceArn, wantArn)
		sdkWantTime(t, "CreationTime", replayed.CreationTime, now)

		other := *in
		other.IdentitySourceParameters = &types.IdentitySourceParameters{IamIdentityCenter: &types.IamIdentityCenter{
			InstanceArn: aws.String(instanceArn), Region: aws.String("us-west-2"),
		}}
		_, err = api.CreateIdentitySource(ctx, &other)
		sdkWantValidation(t, err, "create-idc-1")
	})

	t.Run("second source", func(t *testing.T) {
		second := *in
		second.ClientToken = nil // the SDK fills in a new one
		_, err := api.CreateIdentitySource(ctx, &second)
		sdkWantError[*types.ServiceQuotaExceededException](t, err, 402)
	})

	t.Run("get", func(t *testing.T) {
		got, err := api.GetIdentitySource(ctx, &mpa.GetIdentitySourceInput{IdentitySourceArn: aws.String(wantArn)})
		if err != nil {
			t.Fatalf("GetIdentitySource: %v", err)
		}
		sdkWantString(t, "IdentitySourceArn", got.IdentitySourceArn, wantArn)
		if got.IdentitySourceType != types.IdentitySourceTypeIamIdentityCenter {
			t.Errorf("got IdentitySourceType %q, want %q", got.IdentitySourceType, types.IdentitySourceTypeIamIdentityCenter)
		}
		idc, ok := got.IdentitySourceParameters.(*types.IdentitySourceParametersForGetMemberIamIdentityCenter)
		if !ok {
			t.Fatalf("got IdentitySourceParameters %T, want the IamIdentityCenter member", got.IdentitySourceParameters)
		}
		sdkWantString(t, "InstanceArn", idc.Value.InstanceArn, instanceArn)
		sdkWantString(t, "Region", idc.Value.Region, "eu-west-1")
		sdkWantString(t, "ApprovalPortalUrl", idc.Value.ApprovalPortalUrl, s.URL+"/portal/")
		sdkWantTime(t, "CreationTime", got.CreationTime, now)
		if got.Status != types.IdentitySourceStatusActive {
			t.Errorf("got Status %q, want ACTIVE", got.Status)
		}
		if got.StatusCode != "" {
			t.Errorf("got StatusCode %q, want none", got.StatusCode)
		}
		sdkWantString(t, "StatusMessage", got.StatusMessage, "")
	})

	t.Run("list", func(t *testing.T) {
		list, err := api.ListIdentitySources(ctx, &mpa.ListIdentitySourcesInput{MaxResults: aws.Int32(1)})
		if err != nil {
			t.Fatalf("ListIdentitySources: %v", err)
		}
		if list.NextToken != nil {
			t.Errorf("got NextToken %q on the only page, want none", *list.NextToken)
		}
		if len(list.IdentitySources) != 1 {
			t.Fatalf("got %d identity sources, want 1", len(list.IdentitySources))
		}
		got := list.IdentitySources[0]
		sdkWantString(t, "IdentitySourceArn", got.IdentitySourceArn, wantArn)
		idc, ok := got.IdentitySourceParameters.(*types.IdentitySourceParametersForListMemberIamIdentityCenter)
		if !ok {
			t.Fatalf("got IdentitySourceParameters %T, want the IamIdentityCenter member", got.IdentitySourceParameters)
		}
		sdkWantString(t, "InstanceArn", idc.Value.InstanceArn, instanceArn)
		sdkWantString(t, "Region", idc.Value.Region, "eu-west-1")
		sdkWantString(t, "ApprovalPortalUrl", idc.Value.ApprovalPortalUrl, s.URL+"/portal/")
		sdkWantTime(t, "CreationTime", got.CreationTime, now)
		if got.Status != types.IdentitySourceStatusActive || got.IdentitySourceType != types.IdentitySourceTypeIamIdentityCenter {
			t.Errorf("got Status %q and type %q, want ACTIVE and IAM_IDENTITY_CENTER", got.Status, got.IdentitySourceType)
		}

		tags, err := api.ListTagsForResource(ctx, &mpa.ListTagsForResourceInput{ResourceArn: aws.String(wantArn)})
		if err != nil {
			t.Fatalf("ListTagsForResource: %v", err)
		}
		if diff := cmp.Diff(map[string]string{"cost-centre": "security"}, tags.Tags); diff != "" {
			t.Errorf("tags of the identity source (-want +got):\n%s", diff)
		}
	})

	t.Run("invalid input", func(t *testing.T) {
		tests := []struct {
			name      string
			params    *types.IdentitySourceParameters
			tags      map[string]string
			fragments []string
		}{
			{"no IamIdentityCenter", &types.IdentitySourceParameters{}, nil, []string{"IdentitySourceParameters.IamIdentityCenter"}},
			{"instance ARN pattern", &types.IdentitySourceParameters{IamIdentityCenter: &types.IamIdentityCenter{
				InstanceArn: aws.String("arn:aws:sso:::instance/not-an-instance"), Region: aws.String("us-east-1"),
			}}, nil, []string{"IdentitySourceParameters.IamIdentityCenter.InstanceArn", "pattern"}},
			{"reserved tag key", in.IdentitySourceParameters, map[string]string{"aws:owner": "x"}, []string{"aws:owner"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := api.CreateIdentitySource(ctx, &mpa.CreateIdentitySourceInput{IdentitySourceParameters: tt.params, Tags: tt.tags})
				sdkWantValidation(t, err, tt.fragments...)
			})
		}
	})

	t.Run("delete", func(t *testing.T) {
		users := sdkUsers(t, s, "idc-user", 1)
		team := s.CreateTeam(t, "idc-team", 1, users[0].UserID)

		_, err := api.DeleteIdentitySource(ctx, &mpa.DeleteIdentitySourceInput{IdentitySourceArn: aws.String(wantArn)})
		sdkWantConflict(t, err)

		version := sdkGetTeam(t, api, team).VersionId
		if _, err := api.DeleteInactiveApprovalTeamVersion(ctx, &mpa.DeleteInactiveApprovalTeamVersionInput{Arn: aws.String(team), VersionId: version}); err != nil {
			t.Fatalf("DeleteInactiveApprovalTeamVersion of the PENDING team: %v", err)
		}
		if _, err := api.DeleteIdentitySource(ctx, &mpa.DeleteIdentitySourceInput{IdentitySourceArn: aws.String(wantArn)}); err != nil {
			t.Fatalf("DeleteIdentitySource: %v", err)
		}
		_, err = api.GetIdentitySource(ctx, &mpa.GetIdentitySourceInput{IdentitySourceArn: aws.String(wantArn)})
		sdkWantNotFound(t, err)
		list, err := api.ListIdentitySources(ctx, &mpa.ListIdentitySourcesInput{})
		if err != nil {
			t.Fatalf("ListIdentitySources: %v", err)
		}
		if len(list.IdentitySources) != 0 {
			t.Errorf("got %d identity sources after the delete, want 0", len(list.IdentitySources))
		}
		if _, err := api.DeleteIdentitySource(ctx, &mpa.DeleteIdentitySourceInput{IdentitySourceArn: aws.String(wantArn)}); err != nil {
			t.Errorf("DeleteIdentitySource of a deleted source: got %v, want success", err)
		}

		_, err = api.DeleteIdentitySource(ctx, &mpa.DeleteIdentitySourceInput{IdentitySourceArn: aws.String(team)})
		sdkWantValidation(t, err, "IdentitySourceArn")
	})
}

// sdkTeamInput returns a valid CreateApprovalTeam request for the users.
func sdkTeamInput(source string, minApprovals int32, users ...string) *mpa.CreateApprovalTeamInput {
	in := &mpa.CreateApprovalTeamInput{
		Name:             aws.String("deploy-approvers"),
		Description:      aws.String("Approves production deploys of the payments service."),
		ApprovalStrategy: sdkStrategy(minApprovals),
		Policies: []types.PolicyReference{
			{PolicyArn: aws.String(sdkTestPolicyArn)},
			{PolicyArn: aws.String(sdkBackupPolicyArn)},
		},
		Tags: map[string]string{"service": "payments", "env": "prod"},
	}
	for _, id := range users {
		in.Approvers = append(in.Approvers, types.ApprovalTeamRequestApprover{
			PrimaryIdentityId: aws.String(id), PrimaryIdentitySourceArn: aws.String(source),
		})
	}
	return in
}

func TestSDKCreateApprovalTeam(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	api := s.MPA()
	ctx := t.Context()
	sdkPutTestPolicy(t, s)
	source := s.IdentitySourceArn(t)
	users := sdkUsers(t, s, "deployer", 3)
	ids := []string{users[0].UserID, users[1].UserID, users[2].UserID}
	now := sdkFreezeClock(t, s)

	in := sdkTeamInput(source, 2, ids...)
	in.ClientToken = aws.String("create-deploy-approvers")
	created, err := api.CreateApprovalTeam(ctx, in)
	if err != nil {
		t.Fatalf("CreateApprovalTeam: %v", err)
	}
	arn := aws.ToString(created.Arn)
	if !sdkTeamArnRE.MatchString(arn) {
		t.Errorf("got Arn %q, want it to match %s", arn, sdkTeamArnRE)
	}
	sdkWantString(t, "Name", created.Name, "deploy-approvers")
	sdkWantString(t, "VersionId", created.VersionId, strconv.FormatInt(now.UnixMilli(), 10))
	sdkWantTime(t, "CreationTime", created.CreationTime, now)

	t.Run("replay", func(t *testing.T) {
		replayed, err := api.CreateApprovalTeam(ctx, in)
		if err != nil {
			t.Fatalf("CreateApprovalTeam again with the same ClientToken: %v", err)
		}
		sdkWantString(t, "Arn", replayed.Arn, arn)
		sdkWantString(t, "VersionId", replayed.VersionId, aws.ToString(created.VersionId))

		other := *in
		other.Description = aws.String("Another description.")
		_, err = api.CreateApprovalTeam(ctx, &other)
		sdkWantConflict(t, err)
	})

	t.Run("get", func(t *testing.T) {
		got := sdkGetTeam(t, api, arn)
		sdkWantString(t, "Arn", got.Arn, arn)
		sdkWantString(t, "Name", got.Name, "deploy-approvers")
		sdkWantString(t, "Description", got.Description, aws.ToString(in.Description))
		sdkWantString(t, "VersionId", got.VersionId, aws.ToString(created.VersionId))
		sdkWantTime(t, "CreationTime", got.CreationTime, now)
		sdkWantNoTime(t, "LastUpdateTime", got.LastUpdateTime)
		if m := sdkMofN(t, got.ApprovalStrategy); m != 2 {
			t.Errorf("got MinApprovalsRequired %d, want 2", m)
		}
		sdkWantInt(t, "NumberOfApprovers", got.NumberOfApprovers, 3)
		if got.Status != types.ApprovalTeamStatusPending || got.StatusCode != types.ApprovalTeamStatusCodePendingActivation {
			t.Errorf("got %s/%s, want PENDING/PENDING_ACTIVATION", got.Status, got.StatusCode)
		}
		if aws.ToString(got.StatusMessage) == "" {
			t.Error("StatusMessage is empty, want the reason the team is pending")
		}
		sdkWantString(t, "UpdateSessionArn", got.UpdateSessionArn, "")
		if got.PendingUpdate != nil {
			t.Errorf("got PendingUpdate %+v, want none", got.PendingUpdate)
		}
		var policies []string
		for _, p := range got.Policies {
			policies = append(policies, aws.ToString(p.PolicyArn))
		}
		if diff := cmp.Diff([]string{sdkTestPolicyArn, sdkBackupPolicyArn}, policies); diff != "" {
			t.Errorf("Policies (-want +got):\n%s", diff)
		}

		if len(got.Approvers) != 3 {
			t.Fatalf("got %d approvers, want 3", len(got.Approvers))
		}
		seen := map[string]bool{}
		for i, a := range got.Approvers {
			id := aws.ToString(a.ApproverId)
			if id == "" || seen[id] {
				t.Errorf("approver %d has ApproverId %q, want a new unique id", i, id)
			}
			seen[id] = true
			sdkWantString(t, "PrimaryIdentityId", a.PrimaryIdentityId, ids[i])
			sdkWantString(t, "PrimaryIdentitySourceArn", a.PrimaryIdentitySourceArn, source)
			if a.PrimaryIdentityStatus != types.IdentityStatusPending {
				t.Errorf("approver %d: got PrimaryIdentityStatus %q, want PENDING", i, a.PrimaryIdentityStatus)
			}
			sdkWantNoTime(t, "ResponseTime", a.ResponseTime)
			sdkWantNoTime(t, "LastActivityTime", a.LastActivityTime)
			if a.LastActivity != "" || a.PendingBaselineSessionArn != nil || len(a.MfaMethods) != 0 {
				t.Errorf("approver %d: got LastActivity %q, PendingBaselineSessionArn %v and MfaMethods %v, want none", i,
					a.LastActivity, a.PendingBaselineSessionArn, a.MfaMethods)
			}
		}

		tags, err := api.ListTagsForResource(ctx, &mpa.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("ListTagsForResource: %v", err)
		}
		if diff := cmp.Diff(in.Tags, tags.Tags); diff != "" {
			t.Errorf("tags of the team (-want +got):\n%s", diff)
		}
	})

	t.Run("unknown identity", func(t *testing.T) {
		const ghost = "00000000-0000-4000-8000-000000000000"
		in := sdkTeamInput(source, 1, users[0].UserID, ghost)
		in.Name = aws.String("ghost-team")
		out, err := api.CreateApprovalTeam(ctx, in)
		if err != nil {
			t.Fatalf("CreateApprovalTeam with an unknown identity: %v", err)
		}
		got := sdkGetTeam(t, api, aws.ToString(out.Arn))
		if got.Status != types.ApprovalTeamStatusInactive || got.StatusCode != types.ApprovalTeamStatusCodeFailedValidation {
			t.Errorf("got %s/%s, want INACTIVE/FAILED_VALIDATION", got.Status, got.StatusCode)
		}
		if !strings.Contains(aws.ToString(got.StatusMessage), ghost) {
			t.Errorf("got StatusMessage %q, want it to name %s", aws.ToString(got.StatusMessage), ghost)
		}
		if a := sdkApproverOf(t, got.Approvers, ghost); a.PrimaryIdentityStatus != types.IdentityStatusInvalid {
			t.Errorf("got PrimaryIdentityStatus %q for the unknown identity, want INVALID", a.PrimaryIdentityStatus)
		}
		if a := sdkApproverOf(t, got.Approvers, users[0].UserID); a.PrimaryIdentityStatus != types.IdentityStatusPending {
			t.Errorf("got PrimaryIdentityStatus %q for the known identity, want PENDING", a.PrimaryIdentityStatus)
		}

		// An INACTIVE team is deleted without a vote.
		if _, err := api.DeleteInactiveApprovalTeamVersion(ctx, &mpa.DeleteInactiveApprovalTeamVersionInput{Arn: out.Arn, VersionId: got.VersionId}); err != nil {
			t.Fatalf("DeleteInactiveApprovalTeamVersion of the INACTIVE team: %v", err)
		}
		_, err = api.GetApprovalTeam(ctx, &mpa.GetApprovalTeamInput{Arn: out.Arn})
		sdkWantNotFound(t, err)
	})

	t.Run("description length in characters", func(t *testing.T) {
		in := sdkTeamInput(source, 1, ids[0])
		in.Name = aws.String("accented-team")
		in.Description = aws.String(strings.Repeat("é", 256)) // 512 bytes
		out, err := api.CreateApprovalTeam(ctx, in)
		if err != nil {
			t.Fatalf("CreateApprovalTeam with a description of 256 two-byte characters: %v", err)
		}
		sdkWantString(t, "Description", sdkGetTeam(t, api, aws.ToString(out.Arn)).Description, strings.Repeat("é", 256))
	})

	t.Run("invalid input", func(t *testing.T) {
		manyTags := map[string]string{}
		for i := range 51 {
			manyTags[fmt.Sprintf("key-%02d", i)] = "v"
		}
		var tooMany []string
		for i := range 21 {
			tooMany = append(tooMany, fmt.Sprintf("user-%02d", i))
		}
		tests := []struct {
			name      string
			change    func(in *mpa.CreateApprovalTeamInput)
			fragments []string
		}{
			{"name pattern", func(in *mpa.CreateApprovalTeamInput) { in.Name = aws.String("deploy approvers") }, []string{"'Name'", "pattern"}},
			{"name length", func(in *mpa.CreateApprovalTeamInput) { in.Name = aws.String(strings.Repeat("n", 65)) }, []string{"'Name'", "64"}},
			{"description length", func(in *mpa.CreateApprovalTeamInput) { in.Description = aws.String(strings.Repeat("d", 257)) }, []string{"Description", "256"}},
			{"threshold zero", func(in *mpa.CreateApprovalTeamInput) { in.ApprovalStrategy = sdkStrategy(0) }, []string{"ApprovalStrategy.MofN.MinApprovalsRequired"}},
			{"threshold above approvers", func(in *mpa.CreateApprovalTeamInput) { in.ApprovalStrategy = sdkStrategy(4) }, []string{"MinApprovalsRequired", "4"}},
			{"too many approvers", func(in *mpa.CreateApprovalTeamInput) { *in = *sdkTeamInput(source, 1, tooMany...) }, []string{"Approvers", "20"}},
			{"duplicate approver", func(in *mpa.CreateApprovalTeamInput) { in.Approvers = append(in.Approvers, in.Approvers[0]) }, []string{"Approvers[0]", "Approvers[3]"}},
			{"foreign identity source", func(in *mpa.CreateApprovalTeamInput) {
				in.Approvers[1].PrimaryIdentitySourceArn = aws.String("arn:aws:mpa:us-east-1:111122223333:identity-source/Other")
			}, []string{"Approvers[1].PrimaryIdentitySourceArn"}},
			{"unqualified policy", func(in *mpa.CreateApprovalTeamInput) {
				in.Policies = []types.PolicyReference{{PolicyArn: aws.String(keyturntest.TestPolicyArn)}}
			}, []string{"Policies[0].PolicyArn"}},
			{"unknown policy", func(in *mpa.CreateApprovalTeamInput) {
				in.Policies = []types.PolicyReference{{PolicyArn: aws.String("arn:aws:mpa:::aws:policy/nobody.example.com/Missing/$DEFAULT")}}
			}, []string{"Policies[0].PolicyArn", "catalogue"}},
			{"no policies", func(in *mpa.CreateApprovalTeamInput) { in.Policies = []types.PolicyReference{} }, []string{"Policies"}},
			{"reserved tag key", func(in *mpa.CreateApprovalTeamInput) { in.Tags = map[string]string{"aws:owner": "ops"} }, []string{"aws:owner"}},
			{"too many tags", func(in *mpa.CreateApprovalTeamInput) { in.Tags = manyTags }, []string{"Tags", "50"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := sdkTeamInput(source, 2, ids...)
				in.Name = aws.String("invalid-team")
				tt.change(in)
				_, err := api.CreateApprovalTeam(ctx, in)
				sdkWantValidation(t, err, tt.fragments...)
			})
		}

		list, err := api.ListApprovalTeams(ctx, &mpa.ListApprovalTeamsInput{})
		if err != nil {
			t.Fatalf("ListApprovalTeams: %v", err)
		}
		for _, team := range list.ApprovalTeams {
			if aws.ToString(team.Name) == "invalid-team" {
				t.Errorf("a rejected request created team %s", aws.ToString(team.Arn))
			}
		}
	})

	t.Run("no identity source", func(t *testing.T) {
		other := s.WithAccount("222233334444").MPA()
		_, err := other.CreateApprovalTeam(ctx, sdkTeamInput("arn:aws:mpa:us-east-1:222233334444:identity-source/IamIdentityCenter", 1, ids[0]))
		sdkWantConflict(t, err)
	})

	t.Run("quota", func(t *testing.T) {
		other := s.WithAccount("333344445555")
		source := other.IdentitySourceArn(t)
		user := other.CreateUser(t, "quota-user")
		api := other.MPA()
		for i := range 100 {
			in := sdkTeamInput(source, 1, user.UserID)
			in.Name = aws.String(fmt.Sprintf("team-%03d", i))
			if _, err := api.CreateApprovalTeam(ctx, in); err != nil {
				t.Fatalf("CreateApprovalTeam %d of 100: %v", i+1, err)
			}
		}
		in := sdkTeamInput(source, 1, user.UserID)
		in.Name = aws.String("team-101")
		_, err := api.CreateApprovalTeam(ctx, in)
		sdkWantError[*types.ServiceQuotaExceededException](t, err, 402)
	})
}

func TestSDKGetApprovalTeamErrors(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	api := s.MPA()
	team, _ := s.ActiveTeam(t, "readers", 1, 1)

	t.Run("unknown", func(t *testing.T) {
		_, err := api.GetApprovalTeam(t.Context(), &mpa.GetApprovalTeamInput{Arn: aws.String(team + "x")})
		sdkWantNotFound(t, err)
	})
	t.Run("other region", func(t *testing.T) {
		arn := strings.Replace(team, ":us-east-1:", ":eu-west-1:", 1)
		_, err := api.GetApprovalTeam(t.Context(), &mpa.GetApprovalTeamInput{Arn: aws.String(arn)})
		sdkWantNotFound(t, err)
	})
	t.Run("malformed", func(t *testing.T) {
		_, err := api.GetApprovalTeam(t.Context(), &mpa.GetApprovalTeamInput{Arn: aws.String("arn:aws:mpa:us-east-1:111122223333:team/readers")})
		sdkWantValidation(t, err, "'Arn'", "pattern")
	})
}

func TestSDKListApprovalTeams(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	api := s.MPA()
	ctx := t.Context()
	sdkPutTestPolicy(t, s)
	source := s.IdentitySourceArn(t)
	users := sdkUsers(t, s, "lister", 2)
	start := sdkFreezeClock(t, s)

	// Seven teams a second apart, then four in the same millisecond. The
	// odd ones have two approvers.
	var want []string
	for i := range 11 {
		ids := []string{users[0].UserID}
		if i%2 == 1 {
			ids = append(ids, users[1].UserID)
		}
		in := sdkTeamInput(source, 1, ids...)
		in.Name = aws.String(fmt.Sprintf("team-%d", i))
		in.Description = aws.String(fmt.Sprintf("Team number %d.", i))
		out, err := api.CreateApprovalTeam(ctx, in)
		if err != nil {
			t.Fatalf("CreateApprovalTeam %d: %v", i, err)
		}
		want = append([]string{aws.ToString(out.Arn)}, want...) // newest first
		if i < 7 {
			s.AdvanceClock(t, time.Second)
		}
	}

	var got []string
	var sizes []int
	p := mpa.NewListApprovalTeamsPaginator(api, &mpa.ListApprovalTeamsInput{}, func(o *mpa.ListApprovalTeamsPaginatorOptions) { o.Limit = 3 })
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListApprovalTeams page %d: %v", len(sizes)+1, err)
		}
		sizes = append(sizes, len(page.ApprovalTeams))
		for _, team := range page.ApprovalTeams {
			got = append(got, aws.ToString(team.Arn))
			i, err := strconv.Atoi(strings.TrimPrefix(aws.ToString(team.Name), "team-"))
			if err != nil {
				t.Fatalf("unexpected team %q", aws.ToString(team.Name))
			}
			sdkWantTime(t, "CreationTime", team.CreationTime, start.Add(time.Duration(min(i, 7))*time.Second))
			sdkWantString(t, "Description", team.Description, fmt.Sprintf("Team number %d.", i))
			if m := sdkMofN(t, team.ApprovalStrategy); m != 1 {
				t.Errorf("team %d: got MinApprovalsRequired %d, want 1", i, m)
			}
			sdkWantInt(t, "NumberOfApprovers", team.NumberOfApprovers, int32(1+i%2))
			if team.Status != types.ApprovalTeamStatusPending || team.StatusCode != types.ApprovalTeamStatusCodePendingActivation {
				t.Errorf("team %d: got %s/%s, want PENDING/PENDING_ACTIVATION", i, team.Status, team.StatusCode)
			}
			if aws.ToString(team.StatusMessage) == "" {
				t.Errorf("team %d: StatusMessage is empty", i)
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("teams listed, newest first (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{3, 3, 3, 2}, sizes); diff != "" {
		t.Errorf("page sizes (-want +got):\n%s", diff)
	}

	t.Run("invalid input", func(t *testing.T) {
		_, err := api.ListApprovalTeams(ctx, &mpa.ListApprovalTeamsInput{MaxResults: aws.Int32(21)})
		sdkWantValidation(t, err, "MaxResults")
		_, err = api.ListApprovalTeams(ctx, &mpa.ListApprovalTeamsInput{MaxResults: aws.Int32(0)})
		sdkWantValidation(t, err, "MaxResults")
		_, err = api.ListApprovalTeams(ctx, &mpa.ListApprovalTeamsInput{NextToken: aws.String("not-a-token")})
		sdkWantValidation(t, err, "NextToken")
	})
}

func TestSDKUpdateApprovalTeam(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	api := s.MPA()
	ctx := t.Context()
	users := sdkUsers(t, s, "updater", 3)
	pending := s.CreateTeam(t, "pending-team", 1, users[0].UserID, users[1].UserID)
	active, _ := s.ActiveTeam(t, "active-team", 2, 3)
	now := sdkFreezeClock(t, s)

	t.Run("pending team changes at once", func(t *testing.T) {
		before := sdkGetTeam(t, api, pending)
		out, err := api.UpdateApprovalTeam(ctx, &mpa.UpdateApprovalTeamInput{
			Arn:              aws.String(pending),
			Description:      aws.String("Now with three approvers."),
			ApprovalStrategy: sdkStrategy(2),
			Approvers:        sdkApprovers(s.IdentitySourceArn(t), users...),
		})
		if err != nil {
			t.Fatalf("UpdateApprovalTeam: %v", err)
		}
		if aws.ToString(out.VersionId) == aws.ToString(before.VersionId) {
			t.Errorf("got VersionId %s, the version before the update, want a new one", aws.ToString(out.VersionId))
		}
		got := sdkGetTeam(t, api, pending)
		sdkWantString(t, "VersionId", got.VersionId, aws.ToString(out.VersionId))
		sdkWantString(t, "Description", got.Description, "Now with three approvers.")
		sdkWantInt(t, "NumberOfApprovers", got.NumberOfApprovers, 3)
		if m := sdkMofN(t, got.ApprovalStrategy); m != 2 {
			t.Errorf("got MinApprovalsRequired %d, want 2", m)
		}
		sdkWantTime(t, "LastUpdateTime", got.LastUpdateTime, now)
		if got.PendingUpdate != nil || got.UpdateSessionArn != nil {
			t.Errorf("got PendingUpdate %+v and UpdateSessionArn %v, want none: a PENDING team changes without a vote", got.PendingUpdate, got.UpdateSessionArn)
		}
		if got.Status != types.ApprovalTeamStatusPending || got.StatusCode != types.ApprovalTeamStatusCodePendingActivation {
			t.Errorf("got %s/%s, want PENDING/PENDING_ACTIVATION", got.Status, got.StatusCode)
		}
	})

	t.Run("synchronize MFA keeps version", func(t *testing.T) {
		before := sdkGetTeam(t, api, active)
		out, err := api.UpdateApprovalTeam(ctx, &mpa.UpdateApprovalTeamInput{
			Arn:           aws.String(active),
			UpdateActions: []types.UpdateAction{types.UpdateActionSynchronizeMfaDevices},
		})
		if err != nil {
			t.Fatalf("UpdateApprovalTeam with SYNCHRONIZE_MFA_DEVICES: %v", err)
		}
		sdkWantString(t, "VersionId", out.VersionId, aws.ToString(before.VersionId))
		after := sdkGetTeam(t, api, active)
		if after.StatusCode != "" || after.PendingUpdate != nil {
			t.Errorf("got StatusCode %q and PendingUpdate %+v, want neither", after.StatusCode, after.PendingUpdate)
		}
	})

	t.Run("errors", func(t *testing.T) {
		_, err := api.UpdateApprovalTeam(ctx, &mpa.UpdateApprovalTeamInput{Arn: aws.String(active + "0"), Description: aws.String("x")})
		sdkWantNotFound(t, err)

		current := sdkGetTeam(t, api, active)
		_, err = api.UpdateApprovalTeam(ctx, &mpa.UpdateApprovalTeamInput{Arn: aws.String(active), Description: current.Description})
		sdkWantValidation(t, err, "changes nothing")

		_, err = api.UpdateApprovalTeam(ctx, &mpa.UpdateApprovalTeamInput{Arn: aws.String(active), ApprovalStrategy: sdkStrategy(4)})
		sdkWantValidation(t, err, "MinApprovalsRequired")

		_, err = api.UpdateApprovalTeam(ctx, &mpa.UpdateApprovalTeamInput{Arn: aws.String(active), Description: aws.String("")})
		sdkWantValidation(t, err, "Description")

		_, err = api.UpdateApprovalTeam(ctx, &mpa.UpdateApprovalTeamInput{Arn: aws.String(active), UpdateActions: []types.UpdateAction{"RESET_EVERYTHING"}})
		sdkWantValidation(t, err, "UpdateActions")

		first, err := api.UpdateApprovalTeam(ctx, &mpa.UpdateApprovalTeamInput{Arn: aws.String(active), Description: aws.String("First change.")})
		if err != nil {
			t.Fatalf("UpdateApprovalTeam: %v", err)
		}
		_, err = api.UpdateApprovalTeam(ctx, &mpa.UpdateApprovalTeamInput{Arn: aws.String(active), Description: aws.String("Second change.")})
		sdkWantConflict(t, err)

		// The SDK retries UpdateApprovalTeam, so the same request again
		// returns the pending update.
		again, err := api.UpdateApprovalTeam(ctx, &mpa.UpdateApprovalTeamInput{Arn: aws.String(active), Description: aws.String("First change.")})
		if err != nil {
			t.Fatalf("UpdateApprovalTeam repeated: %v", err)
		}
		sdkWantString(t, "VersionId of the repeated update", again.VersionId, aws.ToString(first.VersionId))
	})
}

func TestSDKStartActiveApprovalTeamDeletion(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	api := s.MPA()
	ctx := t.Context()
	users := sdkUsers(t, s, "deleter", 1)
	pending := s.CreateTeam(t, "pending-team", 1, users[0].UserID)
	active, _ := s.ActiveTeam(t, "active-team", 1, 2)
	now := sdkFreezeClock(t, s)

	_, err := api.StartActiveApprovalTeamDeletion(ctx, &mpa.StartActiveApprovalTeamDeletionInput{Arn: aws.String(pending)})
	sdkWantConflict(t, err)
	_, err = api.StartActiveApprovalTeamDeletion(ctx, &mpa.StartActiveApprovalTeamDeletionInput{Arn: aws.String(active + "0")})
	sdkWantNotFound(t, err)
	_, err = api.StartActiveApprovalTeamDeletion(ctx, &mpa.StartActiveApprovalTeamDeletionInput{Arn: aws.String(active), PendingWindowDays: aws.Int32(-1)})
	sdkWantValidation(t, err, "PendingWindowDays")
	_, err = api.StartActiveApprovalTeamDeletion(ctx, &mpa.StartActiveApprovalTeamDeletionInput{Arn: aws.String(active), PendingWindowDays: aws.Int32(366)})
	sdkWantValidation(t, err, "PendingWindowDays")

	out, err := api.StartActiveApprovalTeamDeletion(ctx, &mpa.StartActiveApprovalTeamDeletionInput{Arn: aws.String(active), PendingWindowDays: aws.Int32(7)})
	if err != nil {
		t.Fatalf("StartActiveApprovalTeamDeletion: %v", err)
	}
	sdkWantTime(t, "DeletionStartTime", out.DeletionStartTime, now)
	sdkWantNoTime(t, "DeletionCompletionTime", out.DeletionCompletionTime)

	got := sdkGetTeam(t, api, active)
	if got.Status != types.ApprovalTeamStatusActive || got.StatusCode != types.ApprovalTeamStatusCodeDeletePendingApproval {
		t.Errorf("got %s/%s, want ACTIVE/DELETE_PENDING_APPROVAL", got.Status, got.StatusCode)
	}

	s.AdvanceClock(t, time.Minute)
	again, err := api.StartActiveApprovalTeamDeletion(ctx, &mpa.StartActiveApprovalTeamDeletionInput{Arn: aws.String(active), PendingWindowDays: aws.Int32(7)})
	if err != nil {
		t.Fatalf("StartActiveApprovalTeamDeletion again: %v", err)
	}
	sdkWantTime(t, "DeletionStartTime of the repeated request", again.DeletionStartTime, now)
	_, err = api.StartActiveApprovalTeamDeletion(ctx, &mpa.StartActiveApprovalTeamDeletionInput{Arn: aws.String(active), PendingWindowDays: aws.Int32(1)})
	sdkWantConflict(t, err)
	_, err = api.UpdateApprovalTeam(ctx, &mpa.UpdateApprovalTeamInput{Arn: aws.String(active), Description: aws.String("Change during deletion.")})
	sdkWantConflict(t, err)
}

func TestSDKStartApprovalTeamBaseline(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	api := s.MPA()
	ctx := t.Context()
	users := sdkUsers(t, s, "baseliner", 1)
	pending := s.CreateTeam(t, "pending-team", 1, users[0].UserID)
	active, _ := s.ActiveTeam(t, "active-team", 2, 3)
	team := sdkGetTeam(t, api, active)
	chosen := aws.ToString(team.Approvers[1].ApproverId)

	_, err := api.StartApprovalTeamBaseline(ctx, &mpa.StartApprovalTeamBaselineInput{Arn: aws.String(pending)})
	sdkWantValidation(t, err, "ACTIVE")
	_, err = api.StartApprovalTeamBaseline(ctx, &mpa.StartApprovalTeamBaselineInput{Arn: aws.String(active + "0")})
	sdkWantNotFound(t, err)
	_, err = api.StartApprovalTeamBaseline(ctx, &mpa.StartApprovalTeamBaselineInput{Arn: aws.String(active), ApproverIds: []string{"no-such-approver"}})
	sdkWantValidation(t, err, "ApproverIds[0]", "no-such-approver")

	out, err := api.StartApprovalTeamBaseline(ctx, &mpa.StartApprovalTeamBaselineInput{Arn: aws.String(active), ApproverIds: []string{chosen}})
	if err != nil {
		t.Fatalf("StartApprovalTeamBaseline: %v", err)
	}
	teamID := active[strings.LastIndex(active, "/")+1:]
	sessionRE := regexp.MustCompile(`^arn:aws:mpa:us-east-1:111122223333:session/` + regexp.QuoteMeta(teamID) + `/[0-9a-f-]{36}$`)
	if !sessionRE.MatchString(aws.ToString(out.BaselineSessionArn)) {
		t.Errorf("got BaselineSessionArn %q, want it to match %s", aws.ToString(out.BaselineSessionArn), sessionRE)
	}

	got := sdkGetTeam(t, api, active)
	for _, a := range got.Approvers {
		want := ""
		if aws.ToString(a.ApproverId) == chosen {
			want = aws.ToString(out.BaselineSessionArn)
		}
		sdkWantString(t, "PendingBaselineSessionArn", a.PendingBaselineSessionArn, want)
	}
	session := sdkGetSession(t, api, aws.ToString(out.BaselineSessionArn))
	sdkWantString(t, "ActionName", session.ActionName, "mpa:StartApprovalTeamBaseline")
	sdkWantInt(t, "NumberOfApprovers", session.NumberOfApprovers, 1)
	if len(session.ApproverResponses) != 1 || aws.ToString(session.ApproverResponses[0].ApproverId) != chosen {
		t.Errorf("got ApproverResponses %+v, want only approver %s", session.ApproverResponses, chosen)
	}
}

func TestSDKDeleteInactiveApprovalTeamVersion(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	api := s.MPA()
	ctx := t.Context()
	users := sdkUsers(t, s, "cleaner", 1)
	pending := s.CreateTeam(t, "pending-team", 1, users[0].UserID)
	active, _ := s.ActiveTeam(t, "active-team", 1, 2)
	activeVersion := sdkGetTeam(t, api, active).VersionId

	_, err := api.DeleteInactiveApprovalTeamVersion(ctx, &mpa.DeleteInactiveApprovalTeamVersionInput{Arn: aws.String(active), VersionId: activeVersion})
	sdkWantConflict(t, err)
	_, err = api.DeleteInactiveApprovalTeamVersion(ctx, &mpa.DeleteInactiveApprovalTeamVersionInput{Arn: aws.String(active), VersionId: aws.String("1")})
	sdkWantNotFound(t, err)
	_, err = api.DeleteInactiveApprovalTeamVersion(ctx, &mpa.DeleteInactiveApprovalTeamVersionInput{Arn: aws.String(active + "0"), VersionId: activeVersion})
	sdkWantNotFound(t, err)

	version := sdkGetTeam(t, api, pending).VersionId
	if _, err := api.DeleteInactiveApprovalTeamVersion(ctx, &mpa.DeleteInactiveApprovalTeamVersionInput{Arn: aws.String(pending), VersionId: version}); err != nil {
		t.Fatalf("DeleteInactiveApprovalTeamVersion of a PENDING team: %v", err)
	}
	_, err = api.GetApprovalTeam(ctx, &mpa.GetApprovalTeamInput{Arn: aws.String(pending)})
	sdkWantNotFound(t, err)
	_, err = api.DeleteInactiveApprovalTeamVersion(ctx, &mpa.DeleteInactiveApprovalTeamVersionInput{Arn: aws.String(pending), VersionId: version})
	sdkWantNotFound(t, err)
}
