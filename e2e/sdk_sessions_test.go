package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mpa"
	"github.com/aws/aws-sdk-go-v2/service/mpa/types"
	"github.com/google/go-cmp/cmp"

	"github.com/keyturn/keyturn/client"
	"github.com/keyturn/keyturn/keyturntest"
)

func TestSDKGetSession(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	api := s.MPA()
	ctx := t.Context()
	team, users := s.ActiveTeam(t, "vault-guardians", 2, 3)
	teamOut := sdkGetTeam(t, api, team)
	source := s.IdentitySourceArn(t)
	start := sdkFreezeClock(t, s)

	started, err := s.Admin().StartSession(ctx, client.StartSessionInput{
		ApprovalTeamArn:                team,
		ActionName:                     "test:RotateRootKey",
		ProtectedResourceArn:           "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		Description:                    "Rotate the root key of the payments vault.",
		Metadata:                       map[string]string{"ticket": "CHG-4411", "requested-by": "jane@example.com"},
		RequesterComment:               "Quarterly rotation.",
		DurationMinutes:                90,
		AdditionalSecurityRequirements: []string{"APPROVER_VERIFICATION_REQUIRED"},
	})
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	arn := started.SessionArn
	teamID := team[strings.LastIndex(team, "/")+1:]
	sessionRE := regexp.MustCompile(`^arn:aws:mpa:us-east-1:111122223333:session/` + regexp.QuoteMeta(teamID) + `/[0-9a-f-]{36}$`)
	if !sessionRE.MatchString(arn) {
		t.Errorf("got SessionArn %q, want it to match %s", arn, sessionRE)
	}

	got := sdkGetSession(t, api, arn)
	sdkWantString(t, "SessionArn", got.SessionArn, arn)
	sdkWantString(t, "ApprovalTeamArn", got.ApprovalTeamArn, team)
	sdkWantString(t, "ApprovalTeamName", got.ApprovalTeamName, "vault-guardians")
	sdkWantString(t, "ActionName", got.ActionName, "test:RotateRootKey")
	sdkWantString(t, "ProtectedResourceArn", got.ProtectedResourceArn, "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab")
	sdkWantString(t, "Description", got.Description, "Rotate the root key of the payments vault.")
	sdkWantString(t, "RequesterComment", got.RequesterComment, "Quarterly rotation.")
	sdkWantString(t, "RequesterAccountId", got.RequesterAccountId, "111122223333")
	sdkWantString(t, "RequesterPrincipalArn", got.RequesterPrincipalArn, "arn:aws:iam::111122223333:root")
	sdkWantString(t, "RequesterRegion", got.RequesterRegion, "us-east-1")
	sdkWantString(t, "RequesterServicePrincipal", got.RequesterServicePrincipal, "keyturntest.example.com")
	sdkWantString(t, "StatusMessage", got.StatusMessage, "")
	if diff := cmp.Diff(map[string]string{"ticket": "CHG-4411", "requested-by": "jane@example.com"}, got.Metadata); diff != "" {
		t.Errorf("Metadata (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]types.AdditionalSecurityRequirement{types.AdditionalSecurityRequirementApproverVerificationRequired}, got.AdditionalSecurityRequirements); diff != "" {
		t.Errorf("AdditionalSecurityRequirements (-want +got):\n%s", diff)
	}
	if got.ActionCompletionStrategy != types.ActionCompletionStrategyAutoCompletionUponApproval {
		t.Errorf("got ActionCompletionStrategy %q, want AUTO_COMPLETION_UPON_APPROVAL", got.ActionCompletionStrategy)
	}
	if m := sdkMofN(t, got.ApprovalStrategy); m != 2 {
		t.Errorf("got MinApprovalsRequired %d, want 2", m)
	}
	sdkWantInt(t, "NumberOfApprovers", got.NumberOfApprovers, 3)
	sdkWantTime(t, "InitiationTime", got.InitiationTime, start)
	sdkWantTime(t, "ExpirationTime", got.ExpirationTime, start.Add(90*time.Minute))
	sdkWantNoTime(t, "CompletionTime", got.CompletionTime)
	if got.Status != types.SessionStatusPending || got.StatusCode != "" || got.ExecutionStatus != "" {
		t.Errorf("got Status %q, StatusCode %q, ExecutionStatus %q, want PENDING with neither code nor execution status",
			got.Status, got.StatusCode, got.ExecutionStatus)
	}
	if len(got.ApproverResponses) != 3 {
		t.Fatalf("got %d ApproverResponses, want 3", len(got.ApproverResponses))
	}
	for i, r := range got.ApproverResponses {
		sdkWantString(t, "ApproverId", r.ApproverId, aws.ToString(teamOut.Approvers[i].ApproverId))
		sdkWantString(t, "IdentityId", r.IdentityId, users[i].UserID)
		sdkWantString(t, "IdentitySourceArn", r.IdentitySourceArn, source)
		if r.Response != types.SessionResponseNoResponse {
			t.Errorf("approver %d: got Response %q, want NO_RESPONSE", i, r.Response)
		}
		sdkWantNoTime(t, "ResponseTime", r.ResponseTime)
	}

	// Two approvals, a minute apart, approve the session.
	s.AdvanceClock(t, time.Minute)
	s.Vote(t, arn, users[2].UserID, "APPROVED")
	s.AdvanceClock(t, time.Minute)
	s.Vote(t, arn, users[0].UserID, "APPROVED")

	got = sdkGetSession(t, api, arn)
	if got.Status != types.SessionStatusApproved || got.StatusCode != "" {
		t.Errorf("got %s/%s, want APPROVED with no status code", got.Status, got.StatusCode)
	}
	if aws.ToString(got.StatusMessage) == "" {
		t.Error("StatusMessage is empty, want the reason for the decision")
	}
	if got.ExecutionStatus != types.SessionExecutionStatusPending {
		t.Errorf("got ExecutionStatus %q, want PENDING", got.ExecutionStatus)
	}
	sdkWantTime(t, "CompletionTime", got.CompletionTime, start.Add(2*time.Minute))
	wantResponses := []struct {
		response types.SessionResponse
		at       time.Duration
	}{{types.SessionResponseApproved, 2 * time.Minute}, {types.SessionResponseNoResponse, 0}, {types.SessionResponseApproved, time.Minute}}
	for i, want := range wantResponses {
		r := got.ApproverResponses[i]
		if r.Response != want.response {
			t.Errorf("approver %d: got Response %q, want %q", i, r.Response, want.response)
		}
		if want.at == 0 {
			sdkWantNoTime(t, "ResponseTime", r.ResponseTime)
		} else {
			sdkWantTime(t, "ResponseTime", r.ResponseTime, start.Add(want.at))
		}
	}

	if _, err := s.Admin().ReportExecution(ctx, arn, "EXECUTED"); err != nil {
		t.Fatalf("ReportExecution: %v", err)
	}
	if got := sdkGetSession(t, api, arn); got.ExecutionStatus != types.SessionExecutionStatusExecuted {
		t.Errorf("got ExecutionStatus %q after the report, want EXECUTED", got.ExecutionStatus)
	}

	t.Run("errors", func(t *testing.T) {
		_, err := api.GetSession(ctx, &mpa.GetSessionInput{SessionArn: aws.String(sdkUnknownArn(arn))})
		sdkWantNotFound(t, err)
		_, err = api.GetSession(ctx, &mpa.GetSessionInput{SessionArn: aws.String(team)})
		sdkWantValidation(t, err, "SessionArn", "pattern")
	})
}

func TestSDKCancelSession(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	api := s.MPA()
	ctx := t.Context()
	team, users := s.ActiveTeam(t, "cancellers", 1, 2)
	start := sdkFreezeClock(t, s)
	pending := s.StartSession(t, team, "test:Deploy").SessionArn
	approved := s.StartSession(t, team, "test:Rollback").SessionArn
	s.Vote(t, approved, users[0].UserID, "APPROVED")

	s.AdvanceClock(t, time.Minute)
	if _, err := api.CancelSession(ctx, &mpa.CancelSessionInput{SessionArn: aws.String(pending)}); err != nil {
		t.Fatalf("CancelSession: %v", err)
	}
	got := sdkGetSession(t, api, pending)
	if got.Status != types.SessionStatusCancelled || got.StatusCode != "" {
		t.Errorf("got %s/%s, want CANCELLED with no status code", got.Status, got.StatusCode)
	}
	sdkWantString(t, "StatusMessage", got.StatusMessage, "Cancelled by arn:aws:iam::111122223333:root.")
	sdkWantTime(t, "CompletionTime", got.CompletionTime, start.Add(time.Minute))

	if _, err := api.CancelSession(ctx, &mpa.CancelSessionInput{SessionArn: aws.String(pending)}); err != nil {
		t.Errorf("CancelSession of a CANCELLED session: got %v, want success", err)
	}
	_, err := api.CancelSession(ctx, &mpa.CancelSessionInput{SessionArn: aws.String(approved)})
	sdkWantConflict(t, err)
	if got := sdkGetSession(t, api, approved); got.Status != types.SessionStatusApproved {
		t.Errorf("got Status %q after a refused cancel, want APPROVED", got.Status)
	}
	_, err = api.CancelSession(ctx, &mpa.CancelSessionInput{SessionArn: aws.String(sdkUnknownArn(pending))})
	sdkWantNotFound(t, err)
	_, err = api.CancelSession(ctx, &mpa.CancelSessionInput{SessionArn: aws.String("session-1")})
	sdkWantValidation(t, err, "SessionArn")

	_, err = s.As(users[1].UserID).Vote(ctx, pending, client.VoteInput{Response: "APPROVED"})
	if !client.IsCode(err, "ConflictException") {
		t.Errorf("vote in a cancelled session: got %v, want ConflictException", err)
	}
}

func TestSDKListSessionsMembers(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	api := s.MPA()
	ctx := t.Context()
	team, users := s.ActiveTeam(t, "listers", 1, 2)
	start := sdkFreezeClock(t, s)
	first, err := s.Admin().StartSession(ctx, client.StartSessionInput{
		ApprovalTeamArn:                team,
		ActionName:                     "test:PromoteRelease",
		ProtectedResourceArn:           "arn:aws:codepipeline:us-east-1:111122223333:payments",
		Description:                    "Promote release 4.2 to production.",
		AdditionalSecurityRequirements: []string{"APPROVER_VERIFICATION_REQUIRED"},
	})
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	s.AdvanceClock(t, time.Second)
	second := s.StartSession(t, team, "test:Rollback")
	s.Vote(t, second.SessionArn, users[1].UserID, "REJECTED")
	s.Vote(t, second.SessionArn, users[0].UserID, "REJECTED")

	out, err := api.ListSessions(ctx, &mpa.ListSessionsInput{ApprovalTeamArn: aws.String(team)})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if out.NextToken != nil {
		t.Errorf("got NextToken %q on the only page, want none", *out.NextToken)
	}
	if len(out.Sessions) != 2 {
		t.Fatalf("got %d sessions, want 2", len(out.Sessions))
	}
	if aws.ToString(out.Sessions[0].SessionArn) != second.SessionArn || aws.ToString(out.Sessions[1].SessionArn) != first.SessionArn {
		t.Fatalf("got sessions %s, %s, want the newest, %s, first", aws.ToString(out.Sessions[0].SessionArn), aws.ToString(out.Sessions[1].SessionArn), second.SessionArn)
	}

	// Every member of a listed session equals the one GetSession returns.
	for _, listed := range out.Sessions {
		got := sdkGetSession(t, api, aws.ToString(listed.SessionArn))
		want := types.ListSessionsResponseSession{
			ActionCompletionStrategy:       got.ActionCompletionStrategy,
			ActionName:                     got.ActionName,
			AdditionalSecurityRequirements: got.AdditionalSecurityRequirements,
			ApprovalTeamArn:                got.ApprovalTeamArn,
			ApprovalTeamName:               got.ApprovalTeamName,
			CompletionTime:                 got.CompletionTime,
			Description:                    got.Description,
			ExpirationTime:                 got.ExpirationTime,
			InitiationTime:                 got.InitiationTime,
			ProtectedResourceArn:           got.ProtectedResourceArn,
			RequesterAccountId:             got.RequesterAccountId,
			RequesterPrincipalArn:          got.RequesterPrincipalArn,
			RequesterRegion:                got.RequesterRegion,
			RequesterServicePrincipal:      got.RequesterServicePrincipal,
			SessionArn:                     got.SessionArn,
			Status:                         got.Status,
			StatusCode:                     got.StatusCode,
			StatusMessage:                  got.StatusMessage,
		}
		if diff := cmp.Diff(want, listed, sdkIgnoreDocumentSerde); diff != "" {
			t.Errorf("ListSessions and GetSession disagree on %s (-GetSession +ListSessions):\n%s", aws.ToString(listed.SessionArn), diff)
		}
	}
	rejected := out.Sessions[0]
	if rejected.Status != types.SessionStatusFailed || rejected.StatusCode != types.SessionStatusCodeRejected {
		t.Errorf("got %s/%s for the rejected session, want FAILED/REJECTED", rejected.Status, rejected.StatusCode)
	}
	sdkWantTime(t, "CompletionTime", rejected.CompletionTime, start.Add(time.Second))
	promoted := out.Sessions[1]
	sdkWantString(t, "ProtectedResourceArn", promoted.ProtectedResourceArn, "arn:aws:codepipeline:us-east-1:111122223333:payments")
	sdkWantString(t, "Description", promoted.Description, "Promote release 4.2 to production.")
	sdkWantTime(t, "InitiationTime", promoted.InitiationTime, start)
	sdkWantTime(t, "ExpirationTime", promoted.ExpirationTime, start.Add(24*time.Hour))
	if promoted.ActionCompletionStrategy != types.ActionCompletionStrategyAutoCompletionUponApproval {
		t.Errorf("got ActionCompletionStrategy %q, want AUTO_COMPLETION_UPON_APPROVAL", promoted.ActionCompletionStrategy)
	}

	t.Run("errors", func(t *testing.T) {
		filter := func(field types.FilterField, op types.Operator, value string) types.Filter {
			return types.Filter{FieldName: field, Operator: op, Value: aws.String(value)}
		}
		var eleven []types.Filter
		for range 11 {
			eleven = append(eleven, filter(types.FilterFieldActionName, types.OperatorNotEquals, "test:Nothing"))
		}
		tests := []struct {
			name      string
			in        mpa.ListSessionsInput
			fragments []string
		}{
			{"page size", mpa.ListSessionsInput{MaxResults: aws.Int32(21)}, []string{"MaxResults"}},
			{"page size zero", mpa.ListSessionsInput{MaxResults: aws.Int32(0)}, []string{"MaxResults"}},
			{"too many filters", mpa.ListSessionsInput{Filters: eleven}, []string{"Filters"}},
			{"unsupported field", mpa.ListSessionsInput{Filters: []types.Filter{filter(types.FilterFieldApprovalTeamName, types.OperatorEquals, "listers")}}, []string{"Filters[0]", "ApprovalTeamName"}},
			{"unsupported operator", mpa.ListSessionsInput{Filters: []types.Filter{filter(types.FilterFieldSessionStatus, types.OperatorContains, "PEND")}}, []string{"Filters[0]", "CONTAINS"}},
			{"unknown status", mpa.ListSessionsInput{Filters: []types.Filter{filter(types.FilterFieldSessionStatus, types.OperatorEquals, "DONE")}}, []string{"Filters[0]", "DONE"}},
			{"unparseable time", mpa.ListSessionsInput{Filters: []types.Filter{filter(types.FilterFieldInitiationTime, types.OperatorGreaterThan, "yesterday")}}, []string{"Filters[0]", "yesterday"}},
			{"reversed range", mpa.ListSessionsInput{Filters: []types.Filter{filter(types.FilterFieldInitiationTime, types.OperatorBetween,
				"2026-02-01T00:00:00Z AND 2026-01-01T00:00:00Z")}}, []string{"Filters[0]", "reversed"}},
			{"missing operator", mpa.ListSessionsInput{Filters: []types.Filter{{FieldName: types.FilterFieldActionName, Value: aws.String("x")}}}, []string{"Filters[0]", "Operator"}},
			{"missing value", mpa.ListSessionsInput{Filters: []types.Filter{{FieldName: types.FilterFieldActionName, Operator: types.OperatorEquals}}}, []string{"Filters[0]", "Value"}},
			{"second filter", mpa.ListSessionsInput{Filters: []types.Filter{
				filter(types.FilterFieldActionName, types.OperatorEquals, "test:Rollback"),
				filter(types.FilterFieldInitiationTime, types.OperatorBetween, "2026-01-01T00:00:00Z"),
			}}, []string{"Filters[1]", "BETWEEN"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := tt.in
				in.ApprovalTeamArn = aws.String(team)
				_, err := api.ListSessions(ctx, &in)
				sdkWantValidation(t, err, tt.fragments...)
			})
		}

		_, err := api.ListSessions(ctx, &mpa.ListSessionsInput{ApprovalTeamArn: aws.String(team + "0")})
		sdkWantNotFound(t, err)
	})
}

func TestSDKPolicies(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	api := s.MPA()
	ctx := t.Context()
	const policyArn = keyturntest.TestPolicyArn
	const backupArn = "arn:aws:mpa:::aws:policy/backup.amazonaws.com/CreateRestoreAccessVault"
	first := sdkFreezeClock(t, s)
	sdkPutTestPolicy(t, s)
	s.AdvanceClock(t, time.Minute)
	sdkPutTestPolicy(t, s)

	t.Run("list policies", func(t *testing.T) {
		var got []types.Policy
		p := mpa.NewListPoliciesPaginator(api, &mpa.ListPoliciesInput{}, func(o *mpa.ListPoliciesPaginatorOptions) { o.Limit = 1 })
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("ListPolicies: %v", err)
			}
			if len(page.Policies) != 1 {
				t.Errorf("got a page of %d policies, want 1", len(page.Policies))
			}
			got = append(got, page.Policies...)
		}
		want := []types.Policy{
			{Arn: aws.String(backupArn), DefaultVersion: aws.Int32(1), PolicyType: types.PolicyTypeAwsManaged, Name: aws.String("CreateRestoreAccessVault")},
			{Arn: aws.String(policyArn), DefaultVersion: aws.Int32(2), PolicyType: types.PolicyTypeAwsManaged, Name: aws.String("TestOperations")},
		}
		if diff := cmp.Diff(want, got, sdkIgnoreDocumentSerde); diff != "" {
			t.Errorf("ListPolicies (-want +got):\n%s", diff)
		}
	})

	t.Run("list versions", func(t *testing.T) {
		var got []types.PolicyVersionSummary
		p := mpa.NewListPolicyVersionsPaginator(api, &mpa.ListPolicyVersionsInput{PolicyArn: aws.String(policyArn)},
			func(o *mpa.ListPolicyVersionsPaginatorOptions) { o.Limit = 1 })
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("ListPolicyVersions: %v", err)
			}
			got = append(got, page.PolicyVersions...)
		}
		want := []types.PolicyVersionSummary{
			{
				Arn: aws.String(policyArn + "/1"), PolicyArn: aws.String(policyArn), VersionId: aws.Int32(1),
				PolicyType: types.PolicyTypeAwsManaged, IsDefault: aws.Bool(false), Name: aws.String("TestOperations"),
				Status: types.PolicyStatusAttachable, CreationTime: aws.Time(first), LastUpdatedTime: aws.Time(first.Add(time.Minute)),
			},
			{
				Arn: aws.String(policyArn + "/2"), PolicyArn: aws.String(policyArn), VersionId: aws.Int32(2),
				PolicyType: types.PolicyTypeAwsManaged, IsDefault: aws.Bool(true), Name: aws.String("TestOperations"),
				Status: types.PolicyStatusAttachable, CreationTime: aws.Time(first.Add(time.Minute)), LastUpdatedTime: aws.Time(first.Add(time.Minute)),
			},
		}
		if diff := cmp.Diff(want, got, sdkIgnoreDocumentSerde); diff != "" {
			t.Errorf("ListPolicyVersions (-want +got):\n%s", diff)
		}
		for _, v := range got {
			if v.CreationTime.Location() != time.UTC {
				t.Errorf("version %d: CreationTime is in %s, want UTC", aws.ToInt32(v.VersionId), v.CreationTime.Location())
			}
		}

		_, err := api.ListPolicyVersions(ctx, &mpa.ListPolicyVersionsInput{PolicyArn: aws.String("arn:aws:mpa:::aws:policy/nobody.example.com/Missing")})
		sdkWantNotFound(t, err)
		_, err = api.ListPolicyVersions(ctx, &mpa.ListPolicyVersionsInput{PolicyArn: aws.String(policyArn + "/$DEFAULT")})
		sdkWantValidation(t, err, "PolicyArn")
	})

	t.Run("get version", func(t *testing.T) {
		tests := []struct {
			arn       string
			version   int32
			isDefault bool
		}{
			{policyArn + "/$DEFAULT", 2, true},
			{policyArn + "/2", 2, true},
			{policyArn + "/1", 1, false},
			{backupArn + "/$DEFAULT", 1, true},
		}
		for _, tt := range tests {
			t.Run(tt.arn, func(t *testing.T) {
				out, err := api.GetPolicyVersion(ctx, &mpa.GetPolicyVersionInput{PolicyVersionArn: aws.String(tt.arn)})
				if err != nil {
					t.Fatalf("GetPolicyVersion: %v", err)
				}
				v := out.PolicyVersion
				if v == nil {
					t.Fatal("PolicyVersion is missing")
				}
				base := tt.arn[:strings.LastIndex(tt.arn, "/")]
				sdkWantString(t, "Arn", v.Arn, fmt.Sprintf("%s/%d", base, tt.version))
				sdkWantString(t, "PolicyArn", v.PolicyArn, base)
				sdkWantInt(t, "VersionId", v.VersionId, tt.version)
				if aws.ToBool(v.IsDefault) != tt.isDefault {
					t.Errorf("got IsDefault %t, want %t", aws.ToBool(v.IsDefault), tt.isDefault)
				}
				if v.PolicyType != types.PolicyTypeAwsManaged || v.Status != types.PolicyStatusAttachable {
					t.Errorf("got PolicyType %q and Status %q, want AWS_MANAGED and ATTACHABLE", v.PolicyType, v.Status)
				}
				if v.CreationTime == nil || v.LastUpdatedTime == nil || v.CreationTime.Location() != time.UTC {
					t.Errorf("got CreationTime %v and LastUpdatedTime %v, want both in UTC", v.CreationTime, v.LastUpdatedTime)
				}
				if doc := aws.ToString(v.Document); !strings.Contains(doc, "mpa:StartSession") {
					t.Errorf("got Document %q, want a policy document that grants mpa:StartSession", doc)
				}
			})
		}

		_, err := api.GetPolicyVersion(ctx, &mpa.GetPolicyVersionInput{PolicyVersionArn: aws.String(policyArn + "/7")})
		sdkWantNotFound(t, err)
		_, err = api.GetPolicyVersion(ctx, &mpa.GetPolicyVersionInput{PolicyVersionArn: aws.String("arn:aws:mpa:::aws:policy/nobody.example.com/Missing/$DEFAULT")})
		sdkWantNotFound(t, err)
		_, err = api.GetPolicyVersion(ctx, &mpa.GetPolicyVersionInput{PolicyVersionArn: aws.String(policyArn)})
		sdkWantValidation(t, err, "PolicyVersionArn")
	})

	t.Run("deprecated version", func(t *testing.T) {
		if _, err := s.Admin().PutPolicy(ctx, client.PutPolicyInput{
			ServicePrincipal: "retired.example.com", Name: "OldOperations", Actions: []string{"retired:*"}, Deprecated: true,
		}); err != nil {
			t.Fatalf("PutPolicy: %v", err)
		}
		out, err := api.GetPolicyVersion(ctx, &mpa.GetPolicyVersionInput{PolicyVersionArn: aws.String("arn:aws:mpa:::aws:policy/retired.example.com/OldOperations/$DEFAULT")})
		if err != nil {
			t.Fatalf("GetPolicyVersion: %v", err)
		}
		if out.PolicyVersion.Status != types.PolicyStatusDeprecated {
			t.Errorf("got Status %q, want DEPRECATED", out.PolicyVersion.Status)
		}
		user := s.CreateUser(t, "retiree")
		in := sdkTeamInput(s.IdentitySourceArn(t), 1, user.UserID)
		in.Policies = []types.PolicyReference{{PolicyArn: aws.String("arn:aws:mpa:::aws:policy/retired.example.com/OldOperations/1")}}
		_, err = api.CreateApprovalTeam(ctx, in)
		sdkWantValidation(t, err, "Policies[0].PolicyArn", "DEPRECATED")
	})
}

func TestSDKResourcePolicies(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	api := s.MPA()
	ctx := t.Context()
	sdkPutTestPolicy(t, s)
	user := s.CreateUser(t, "owner")
	created, err := api.CreateApprovalTeam(ctx, sdkTeamInput(s.IdentitySourceArn(t), 1, user.UserID))
	if err != nil {
		t.Fatalf("CreateApprovalTeam: %v", err)
	}
	team := aws.ToString(created.Arn)

	list := func(t *testing.T) []types.ListResourcePoliciesResponseResourcePolicy {
		t.Helper()
		var out []types.ListResourcePoliciesResponseResourcePolicy
		p := mpa.NewListResourcePoliciesPaginator(api, &mpa.ListResourcePoliciesInput{ResourceArn: aws.String(team)},
			func(o *mpa.ListResourcePoliciesPaginatorOptions) { o.Limit = 1 })
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("ListResourcePolicies: %v", err)
			}
			out = append(out, page.ResourcePolicies...)
		}
		return out
	}
	policy := func(arn, name string) types.ListResourcePoliciesResponseResourcePolicy {
		return types.ListResourcePoliciesResponseResourcePolicy{PolicyArn: aws.String(arn), PolicyName: aws.String(name), PolicyType: types.PolicyTypeAwsManaged}
	}

	want := []types.ListResourcePoliciesResponseResourcePolicy{
		policy(sdkBackupPolicyArn, "CreateRestoreAccessVault"),
		policy(keyturntest.TestPolicyArn+"/1", "TestOperations"),
	}
	if diff := cmp.Diff(want, list(t), sdkIgnoreDocumentSerde); diff != "" {
		t.Errorf("ListResourcePolicies (-want +got):\n%s", diff)
	}

	// The team references $DEFAULT, so it follows a new default version.
	sdkPutTestPolicy(t, s)
	want[1] = policy(keyturntest.TestPolicyArn+"/2", "TestOperations")
	if diff := cmp.Diff(want, list(t), sdkIgnoreDocumentSerde); diff != "" {
		t.Errorf("ListResourcePolicies after a new default version (-want +got):\n%s", diff)
	}

	got, err := api.GetResourcePolicy(ctx, &mpa.GetResourcePolicyInput{
		ResourceArn: aws.String(team), PolicyName: aws.String("TestOperations"), PolicyType: types.PolicyTypeAwsManaged,
	})
	if err != nil {
		t.Fatalf("GetResourcePolicy: %v", err)
	}
	sdkWantString(t, "ResourceArn", got.ResourceArn, team)
	sdkWantString(t, "PolicyName", got.PolicyName, "TestOperations")
	sdkWantString(t, "PolicyVersionArn", got.PolicyVersionArn, keyturntest.TestPolicyArn+"/2")
	if got.PolicyType != types.PolicyTypeAwsManaged {
		t.Errorf("got PolicyType %q, want AWS_MANAGED", got.PolicyType)
	}
	if doc := aws.ToString(got.PolicyDocument); !strings.Contains(doc, "test:*") {
		t.Errorf("got PolicyDocument %q, want the document of the test policy", doc)
	}

	t.Run("errors", func(t *testing.T) {
		_, err := api.GetResourcePolicy(ctx, &mpa.GetResourcePolicyInput{
			ResourceArn: aws.String(team), PolicyName: aws.String("NoSuchPolicy"), PolicyType: types.PolicyTypeAwsManaged,
		})
		sdkWantError[*types.InvalidParameterException](t, err, 400)
		_, err = api.GetResourcePolicy(ctx, &mpa.GetResourcePolicyInput{
			ResourceArn: aws.String(team), PolicyName: aws.String("TestOperations"), PolicyType: types.PolicyTypeAwsRam,
		})
		sdkWantError[*types.InvalidParameterException](t, err, 400)
		_, err = api.GetResourcePolicy(ctx, &mpa.GetResourcePolicyInput{
			ResourceArn: aws.String(s.IdentitySourceArn(t)), PolicyName: aws.String("TestOperations"), PolicyType: types.PolicyTypeAwsManaged,
		})
		sdkWantError[*types.InvalidParameterException](t, err, 400)
		_, err = api.GetResourcePolicy(ctx, &mpa.GetResourcePolicyInput{
			ResourceArn: aws.String(team + "0"), PolicyName: aws.String("TestOperations"), PolicyType: types.PolicyTypeAwsManaged,
		})
		sdkWantNotFound(t, err)
		_, err = api.GetResourcePolicy(ctx, &mpa.GetResourcePolicyInput{
			ResourceArn: aws.String(team), PolicyName: aws.String("TestOperations"), PolicyType: "CUSTOMER_MANAGED",
		})
		sdkWantValidation(t, err, "PolicyType")
		_, err = api.ListResourcePolicies(ctx, &mpa.ListResourcePoliciesInput{ResourceArn: aws.String(team + "0")})
		sdkWantNotFound(t, err)
	})
}

func TestSDKTags(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	api := s.MPA()
	ctx := t.Context()
	// Dots and underscores in the name travel inside the path's ARN.
	team, _ := s.ActiveTeam(t, "ops.taggers_v2", 1, 1)
	session := s.StartSession(t, team, "test:Deploy").SessionArn

	tags := func(t *testing.T, arn string) map[string]string {
		t.Helper()
		out, err := api.ListTagsForResource(ctx, &mpa.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("ListTagsForResource %s: %v", arn, err)
		}
		return out.Tags
	}

	if got := tags(t, team); len(got) != 0 {
		t.Errorf("got tags %v on a new team, want none", got)
	}
	if _, err := api.TagResource(ctx, &mpa.TagResourceInput{ResourceArn: aws.String(team), Tags: map[string]string{"env": "staging", "owner": "platform"}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	if _, err := api.TagResource(ctx, &mpa.TagResourceInput{ResourceArn: aws.String(team), Tags: map[string]string{"env": "prod", "empty": ""}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	if diff := cmp.Diff(map[string]string{"env": "prod", "owner": "platform", "empty": ""}, tags(t, team)); diff != "" {
		t.Errorf("tags after two TagResource calls (-want +got):\n%s", diff)
	}
	if _, err := api.UntagResource(ctx, &mpa.UntagResourceInput{ResourceArn: aws.String(team), TagKeys: []string{"owner", "never-set"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	if diff := cmp.Diff(map[string]string{"env": "prod", "empty": ""}, tags(t, team)); diff != "" {
		t.Errorf("tags after UntagResource (-want +got):\n%s", diff)
	}

	source := s.IdentitySourceArn(t)
	if _, err := api.TagResource(ctx, &mpa.TagResourceInput{ResourceArn: aws.String(source), Tags: map[string]string{"cost-centre": "sec"}}); err != nil {
		t.Fatalf("TagResource on the identity source: %v", err)
	}
	if diff := cmp.Diff(map[string]string{"cost-centre": "sec"}, tags(t, source)); diff != "" {
		t.Errorf("tags of the identity source (-want +got):\n%s", diff)
	}

	t.Run("too many tags", func(t *testing.T) {
		more := map[string]string{}
		for i := range 49 {
			more[fmt.Sprintf("key-%02d", i)] = "v"
		}
		_, err := api.TagResource(ctx, &mpa.TagResourceInput{ResourceArn: aws.String(team), Tags: more})
		tte := sdkWantError[*types.TooManyTagsException](t, err, 400)
		sdkWantString(t, "ResourceName", tte.ResourceName, team)
		if got := tags(t, team); len(got) != 2 {
			t.Errorf("got %d tags after the refused TagResource, want the 2 from before", len(got))
		}

		delete(more, "key-00")
		if _, err := api.TagResource(ctx, &mpa.TagResourceInput{ResourceArn: aws.String(team), Tags: more}); err != nil {
			t.Fatalf("TagResource up to 50 tags: %v", err)
		}
		if got := tags(t, team); len(got) != 50 {
			t.Errorf("got %d tags, want 50", len(got))
		}
	})

	t.Run("errors", func(t *testing.T) {
		_, err := api.TagResource(ctx, &mpa.TagResourceInput{ResourceArn: aws.String(session), Tags: map[string]string{"a": "b"}})
		sdkWantValidation(t, err, "session")
		_, err = api.ListTagsForResource(ctx, &mpa.ListTagsForResourceInput{ResourceArn: aws.String(session)})
		sdkWantValidation(t, err, "session")
		_, err = api.TagResource(ctx, &mpa.TagResourceInput{ResourceArn: aws.String(team + "0"), Tags: map[string]string{"a": "b"}})
		sdkWantNotFound(t, err)
		_, err = api.UntagResource(ctx, &mpa.UntagResourceInput{ResourceArn: aws.String(team + "0"), TagKeys: []string{"a"}})
		sdkWantNotFound(t, err)
		_, err = api.ListTagsForResource(ctx, &mpa.ListTagsForResourceInput{ResourceArn: aws.String(team + "0")})
		sdkWantNotFound(t, err)
		_, err = api.TagResource(ctx, &mpa.TagResourceInput{ResourceArn: aws.String(team), Tags: map[string]string{"AWS:managed": "x"}})
		sdkWantValidation(t, err, "AWS:managed")
		_, err = api.TagResource(ctx, &mpa.TagResourceInput{ResourceArn: aws.String(team), Tags: map[string]string{strings.Repeat("k", 129): "x"}})
		sdkWantValidation(t, err, "Tags")
		var keys []string
		for i := range 51 {
			keys = append(keys, fmt.Sprintf("key-%02d", i))
		}
		_, err = api.UntagResource(ctx, &mpa.UntagResourceInput{ResourceArn: aws.String(team), TagKeys: keys})
		sdkWantValidation(t, err, "TagKeys")
	})
}
