package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/mpa"
	"github.com/aws/aws-sdk-go-v2/service/mpa/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/keyturn/keyturn/client"
	"github.com/keyturn/keyturn/keyturntest"
)

// The tests in the sdk_*_test.go files drive Keyturn through
// aws-sdk-go-v2's MPA client, as a Go program that uses MPA would, and
// check the typed outputs and errors that the SDK decodes.

// sdkTestPolicyArn is the policy that keyturntest.CreateTeam attaches, by
// its default version.
const sdkTestPolicyArn = keyturntest.TestPolicyArn + "/$DEFAULT"

// sdkBackupPolicyArn is AWS's published MPA policy, which every Keyturn
// catalogue holds, by its first version.
const sdkBackupPolicyArn = "arn:aws:mpa:::aws:policy/backup.amazonaws.com/CreateRestoreAccessVault/1"

// sdkIgnoreDocumentSerde makes cmp skip the unexported marker field that
// every SDK type embeds.
var sdkIgnoreDocumentSerde = cmp.FilterPath(func(p cmp.Path) bool {
	f, ok := p.Last().(cmp.StructField)
	return ok && !unicode.IsUpper([]rune(f.Name())[0])
}, cmp.Ignore())

// sdkWantError checks that err is the SDK's typed error E, sent with the
// HTTP status and a request id, and returns it.
func sdkWantError[E smithy.APIError](t *testing.T, err error, status int) E {
	t.Helper()
	var target E
	if err == nil {
		t.Fatalf("got no error, want %T", target)
	}
	if !errors.As(err, &target) {
		t.Fatalf("got error %v, want %T", err, target)
	}
	if target.ErrorMessage() == "" {
		t.Errorf("%s has an empty message", target.ErrorCode())
	}
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v carries no HTTP response", err)
	}
	if got := re.HTTPStatusCode(); got != status {
		t.Errorf("got HTTP status %d for %s, want %d", got, target.ErrorCode(), status)
	}
	var awsErr *awshttp.ResponseError
	if errors.As(err, &awsErr) && awsErr.ServiceRequestID() == "" {
		t.Errorf("%s came without a request id", target.ErrorCode())
	}
	return target
}

// sdkWantValidation checks that err is a ValidationException whose message
// contains each of the fragments, which name the member and the rule.
func sdkWantValidation(t *testing.T, err error, fragments ...string) {
	t.Helper()
	ve := sdkWantError[*types.ValidationException](t, err, 400)
	for _, f := range fragments {
		if !strings.Contains(ve.ErrorMessage(), f) {
			t.Errorf("got message %q, want it to contain %q", ve.ErrorMessage(), f)
		}
	}
}

// sdkWantNotFound checks that err is a ResourceNotFoundException.
func sdkWantNotFound(t *testing.T, err error) {
	t.Helper()
	sdkWantError[*types.ResourceNotFoundException](t, err, 404)
}

// sdkWantConflict checks that err is a ConflictException.
func sdkWantConflict(t *testing.T, err error) {
	t.Helper()
	sdkWantError[*types.ConflictException](t, err, 409)
}

// sdkUnknownArn returns the ARN with its last character changed, which
// names a resource of the same kind that does not exist.
func sdkUnknownArn(arn string) string {
	last := byte('0')
	if arn[len(arn)-1] == '0' {
		last = '1'
	}
	return arn[:len(arn)-1] + string(last)
}

// sdkWantTime checks that a timestamp member is set, in UTC, and equal to
// want.
func sdkWantTime(t *testing.T, name string, got *time.Time, want time.Time) {
	t.Helper()
	if got == nil {
		t.Errorf("%s is missing, want %s", name, want.Format(time.RFC3339Nano))
		return
	}
	if got.Location() != time.UTC {
		t.Errorf("%s is in %s, want UTC", name, got.Location())
	}
	if !got.Equal(want) {
		t.Errorf("got %s %s, want %s", name, got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
	}
}

// sdkWantNoTime checks that a timestamp member is absent.
func sdkWantNoTime(t *testing.T, name string, got *time.Time) {
	t.Helper()
	if got != nil {
		t.Errorf("got %s %s, want none", name, got.Format(time.RFC3339Nano))
	}
}

// sdkWantString checks an optional string member. An empty want means
// that the member must be absent.
func sdkWantString(t *testing.T, name string, got *string, want string) {
	t.Helper()
	if want == "" && got != nil {
		t.Errorf("got %s %q, want none", name, *got)
		return
	}
	if g := aws.ToString(got); g != want {
		t.Errorf("got %s %q, want %q", name, g, want)
	}
}

// sdkWantInt checks an optional int32 member.
func sdkWantInt(t *testing.T, name string, got *int32, want int32) {
	t.Helper()
	if got == nil {
		t.Errorf("%s is missing, want %d", name, want)
		return
	}
	if *got != want {
		t.Errorf("got %s %d, want %d", name, *got, want)
	}
}

// sdkMofN returns the threshold of an ApprovalStrategyResponse union,
// failing the test unless its member is MofN.
func sdkMofN(t *testing.T, strategy types.ApprovalStrategyResponse) int32 {
	t.Helper()
	m, ok := strategy.(*types.ApprovalStrategyResponseMemberMofN)
	if !ok {
		t.Fatalf("got ApprovalStrategy %T, want *types.ApprovalStrategyResponseMemberMofN", strategy)
	}
	if m.Value.MinApprovalsRequired == nil {
		t.Fatal("ApprovalStrategy.MofN.MinApprovalsRequired is missing")
	}
	return *m.Value.MinApprovalsRequired
}

// sdkStrategy returns an M of N approval strategy of the input shape.
func sdkStrategy(minApprovals int32) types.ApprovalStrategy {
	return &types.ApprovalStrategyMemberMofN{Value: types.MofNApprovalStrategy{MinApprovalsRequired: aws.Int32(minApprovals)}}
}

// sdkApprovers returns the approver list of a team request for the users.
func sdkApprovers(sourceArn string, users ...*client.User) []types.ApprovalTeamRequestApprover {
	out := make([]types.ApprovalTeamRequestApprover, len(users))
	for i, u := range users {
		out[i] = types.ApprovalTeamRequestApprover{PrimaryIdentityId: aws.String(u.UserID), PrimaryIdentitySourceArn: aws.String(sourceArn)}
	}
	return out
}

// sdkUsers creates users named <prefix>-1 to <prefix>-n.
func sdkUsers(t *testing.T, s *keyturntest.Server, prefix string, n int) []*client.User {
	t.Helper()
	users := make([]*client.User, n)
	for i := range users {
		users[i] = s.CreateUser(t, fmt.Sprintf("%s-%d", prefix, i+1))
	}
	return users
}

// sdkPutTestPolicy adds a version of the policy that keyturntest teams use,
// so that teams created through the SDK can reference it.
func sdkPutTestPolicy(t *testing.T, s *keyturntest.Server) *client.PolicyVersion {
	t.Helper()
	p, err := s.Admin().PutPolicy(t.Context(), client.PutPolicyInput{
		ServicePrincipal: "keyturntest.example.com", Name: "TestOperations", Actions: []string{"test:*"},
	})
	if err != nil {
		t.Fatalf("put the test policy: %v", err)
	}
	return p
}

// sdkFreezeClock stops the server's workflow clock at a whole second a
// minute ahead, so that every time the server records can be predicted,
// and returns that time.
func sdkFreezeClock(t *testing.T, s *keyturntest.Server) time.Time {
	t.Helper()
	at := s.Now(t).Add(time.Minute).Truncate(time.Second)
	c, err := s.Admin().FreezeClock(t.Context(), at)
	if err != nil {
		t.Fatalf("freeze the clock: %v", err)
	}
	if !c.Time.Equal(at) || !c.Frozen {
		t.Fatalf("got clock %s (frozen %t), want %s (frozen)", c.Time, c.Frozen, at)
	}
	return at
}

// sdkGetTeam returns the team through GetApprovalTeam.
func sdkGetTeam(t *testing.T, api *mpa.Client, arn string) *mpa.GetApprovalTeamOutput {
	t.Helper()
	out, err := api.GetApprovalTeam(t.Context(), &mpa.GetApprovalTeamInput{Arn: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetApprovalTeam %s: %v", arn, err)
	}
	return out
}

// sdkGetSession returns the session through GetSession.
func sdkGetSession(t *testing.T, api *mpa.Client, arn string) *mpa.GetSessionOutput {
	t.Helper()
	out, err := api.GetSession(t.Context(), &mpa.GetSessionInput{SessionArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetSession %s: %v", arn, err)
	}
	return out
}

// sdkListAllSessions returns every session of the team that matches the
// filters, in the order ListSessions lists them.
func sdkListAllSessions(ctx context.Context, api *mpa.Client, teamArn string, filters []types.Filter) ([]types.ListSessionsResponseSession, error) {
	var out []types.ListSessionsResponseSession
	p := mpa.NewListSessionsPaginator(api, &mpa.ListSessionsInput{ApprovalTeamArn: aws.String(teamArn), Filters: filters})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Sessions...)
	}
	return out, nil
}

// sdkApproverOf returns the team's approver whose identity is the user.
func sdkApproverOf(t *testing.T, approvers []types.GetApprovalTeamResponseApprover, userID string) types.GetApprovalTeamResponseApprover {
	t.Helper()
	for _, a := range approvers {
		if aws.ToString(a.PrimaryIdentityId) == userID {
			return a
		}
	}
	t.Fatalf("no approver has PrimaryIdentityId %s", userID)
	return types.GetApprovalTeamResponseApprover{}
}
