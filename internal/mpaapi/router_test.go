package mpaapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mpa"
	"github.com/aws/aws-sdk-go-v2/service/mpa/types"

	"github.com/keyturn/keyturn/internal/wire"
)

const (
	teamArn    = "arn:aws:mpa:us-east-1:111122223333:approval-team/ops-1"
	sessionArn = "arn:aws:mpa:us-east-1:111122223333:session/ops-1/abc"
	sourceArn  = "arn:aws:mpa:us-east-1:111122223333:identity-source/IamIdentityCenter"
	policyArn  = "arn:aws:mpa:::aws:policy/backup.amazonaws.com/CreateRestoreAccessVault"
)

// recorder is an HTTP client that keeps the last request the SDK sent and
// answers it with an empty JSON object.
type recorder struct{ last *http.Request }

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	r.last = req
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(bytes.NewReader([]byte("{}"))),
		Request:    req,
	}, nil
}

// TestRouterMatchesSDKRequests sends every operation through
// aws-sdk-go-v2, captures the request as the SDK builds it, and checks that
// the router finds the same operation and unescapes its path labels.
func TestRouterMatchesSDKRequests(t *testing.T) {
	rec := &recorder{}
	client := mpa.New(mpa.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://127.0.0.1:8080"),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
		HTTPClient:   rec,
	})
	ctx := context.Background()
	strategy := &types.ApprovalStrategyMemberMofN{Value: types.MofNApprovalStrategy{MinApprovalsRequired: aws.Int32(1)}}
	calls := []struct {
		op     string
		call   func() error
		labels map[string]string
	}{
		{"CancelSession", func() error {
			_, err := client.CancelSession(ctx, &mpa.CancelSessionInput{SessionArn: aws.String(sessionArn)})
			return err
		},
			map[string]string{"SessionArn": sessionArn}},
		{"CreateApprovalTeam", func() error {
			_, err := client.CreateApprovalTeam(ctx, &mpa.CreateApprovalTeamInput{Name: aws.String("n"), Description: aws.String("d"),
				ApprovalStrategy: strategy, Approvers: []types.ApprovalTeamRequestApprover{{PrimaryIdentityId: aws.String("u"), PrimaryIdentitySourceArn: aws.String(sourceArn)}},
				Policies: []types.PolicyReference{{PolicyArn: aws.String(policyArn + "/$DEFAULT")}}})
			return err
		}, nil},
		{"CreateIdentitySource", func() error {
			_, err := client.CreateIdentitySource(ctx, &mpa.CreateIdentitySourceInput{IdentitySourceParameters: &types.IdentitySourceParameters{}})
			return err
		}, nil},
		{"DeleteIdentitySource", func() error {
			_, err := client.DeleteIdentitySource(ctx, &mpa.DeleteIdentitySourceInput{IdentitySourceArn: aws.String(sourceArn)})
			return err
		}, map[string]string{"IdentitySourceArn": sourceArn}},
		{"DeleteInactiveApprovalTeamVersion", func() error {
			_, err := client.DeleteInactiveApprovalTeamVersion(ctx, &mpa.DeleteInactiveApprovalTeamVersionInput{Arn: aws.String(teamArn), VersionId: aws.String("17")})
			return err
		}, map[string]string{"Arn": teamArn, "VersionId": "17"}},
		{"GetApprovalTeam", func() error {
			_, err := client.GetApprovalTeam(ctx, &mpa.GetApprovalTeamInput{Arn: aws.String(teamArn)})
			return err
		},
			map[string]string{"Arn": teamArn}},
		{"GetIdentitySource", func() error {
			_, err := client.GetIdentitySource(ctx, &mpa.GetIdentitySourceInput{IdentitySourceArn: aws.String(sourceArn)})
			return err
		}, map[string]string{"IdentitySourceArn": sourceArn}},
		{"GetPolicyVersion", func() error {
			_, err := client.GetPolicyVersion(ctx, &mpa.GetPolicyVersionInput{PolicyVersionArn: aws.String(policyArn + "/$DEFAULT")})
			return err
		}, map[string]string{"PolicyVersionArn": policyArn + "/$DEFAULT"}},
		{"GetResourcePolicy", func() error {
			_, err := client.GetResourcePolicy(ctx, &mpa.GetResourcePolicyInput{ResourceArn: aws.String(teamArn), PolicyName: aws.String("p"), PolicyType: types.PolicyTypeAwsManaged})
			return err
		}, nil},
		{"GetSession", func() error {
			_, err := client.GetSession(ctx, &mpa.GetSessionInput{SessionArn: aws.String(sessionArn)})
			return err
		},
			map[string]string{"SessionArn": sessionArn}},
		{"ListApprovalTeams", func() error {
			_, err := client.ListApprovalTeams(ctx, &mpa.ListApprovalTeamsInput{MaxResults: aws.Int32(5)})
			return err
		}, nil},
		{"ListIdentitySources", func() error { _, err := client.ListIdentitySources(ctx, &mpa.ListIdentitySourcesInput{}); return err }, nil},
		{"ListPolicies", func() error {
			_, err := client.ListPolicies(ctx, &mpa.ListPoliciesInput{NextToken: aws.String("t")})
			return err
		}, nil},
		{"ListPolicyVersions", func() error {
			_, err := client.ListPolicyVersions(ctx, &mpa.ListPolicyVersionsInput{PolicyArn: aws.String(policyArn)})
			return err
		}, map[string]string{"PolicyArn": policyArn}},
		{"ListResourcePolicies", func() error {
			_, err := client.ListResourcePolicies(ctx, &mpa.ListResourcePoliciesInput{ResourceArn: aws.String(teamArn)})
			return err
		}, map[string]string{"ResourceArn": teamArn}},
		{"ListSessions", func() error {
			_, err := client.ListSessions(ctx, &mpa.ListSessionsInput{ApprovalTeamArn: aws.String(teamArn)})
			return err
		}, map[string]string{"ApprovalTeamArn": teamArn}},
		{"ListTagsForResource", func() error {
			_, err := client.ListTagsForResource(ctx, &mpa.ListTagsForResourceInput{ResourceArn: aws.String(teamArn)})
			return err
		}, map[string]string{"ResourceArn": teamArn}},
		{"StartActiveApprovalTeamDeletion", func() error {
			_, err := client.StartActiveApprovalTeamDeletion(ctx, &mpa.StartActiveApprovalTeamDeletionInput{Arn: aws.String(teamArn)})
			return err
		}, map[string]string{"Arn": teamArn}},
		{"StartApprovalTeamBaseline", func() error {
			_, err := client.StartApprovalTeamBaseline(ctx, &mpa.StartApprovalTeamBaselineInput{Arn: aws.String(teamArn)})
			return err
		}, map[string]string{"Arn": teamArn}},
		{"TagResource", func() error {
			_, err := client.TagResource(ctx, &mpa.TagResourceInput{ResourceArn: aws.String(teamArn), Tags: map[string]string{"k": "v"}})
			return err
		}, map[string]string{"ResourceArn": teamArn}},
		{"UntagResource", func() error {
			_, err := client.UntagResource(ctx, &mpa.UntagResourceInput{ResourceArn: aws.String(teamArn), TagKeys: []string{"k"}})
			return err
		}, map[string]string{"ResourceArn": teamArn}},
		{"UpdateApprovalTeam", func() error {
			_, err := client.UpdateApprovalTeam(ctx, &mpa.UpdateApprovalTeamInput{Arn: aws.String(teamArn), Description: aws.String("d")})
			return err
		}, map[string]string{"Arn": teamArn}},
	}
	if len(calls) != 22 {
		t.Fatalf("the table has %d operations, want 22", len(calls))
	}
	rt := newRouter()
	for _, c := range calls {
		t.Run(c.op, func(t *testing.T) {
			if err := c.call(); err != nil {
				t.Fatalf("SDK call: %v", err)
			}
			m, err := rt.find(rec.last)
			if err != nil {
				t.Fatalf("route %s %s: %v", rec.last.Method, rec.last.URL, err)
			}
			if m.op.Name != c.op {
				t.Errorf("route %s %s = %s, want %s", rec.last.Method, rec.last.URL, m.op.Name, c.op)
			}
			for name, want := range c.labels {
				if got := m.labels[name]; got != want {
					t.Errorf("label %s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestRouterRejectsUnknownRequests(t *testing.T) {
	rt := newRouter()
	tests := []struct {
		name, method, target string
		status               int
	}{
		{"unknown path", "GET", "/nothing-here", http.StatusNotFound},
		{"extra segment", "GET", "/approval-teams/a/b/c", http.StatusNotFound},
		{"wrong method", "PUT", "/approval-teams/arn%3Aaws", http.StatusMethodNotAllowed},
		{"list without key", "POST", "/approval-teams/", http.StatusMethodNotAllowed},
		{"empty label", "GET", "/sessions/", http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rt.find(httptest.NewRequest(tc.method, tc.target, nil))
			var apiErr *wire.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("find = %v, want an *APIError", err)
			}
			if apiErr.Status != tc.status || apiErr.Code != "UnknownOperationException" {
				t.Errorf("find = %d %s, want %d UnknownOperationException", apiErr.Status, apiErr.Code, tc.status)
			}
		})
	}
}

func TestRouterDeleteKeyWins(t *testing.T) {
	m, err := newRouter().find(httptest.NewRequest("POST", "/approval-teams/arn%3Aaws%3Ampa?Delete", nil))
	if err != nil {
		t.Fatalf("find: %v", err)
	}
	if m.op.Name != "StartActiveApprovalTeamDeletion" {
		t.Errorf("POST with ?Delete routes to %s, want StartActiveApprovalTeamDeletion", m.op.Name)
	}
}

// FuzzRouter checks that no request path or query makes the router panic,
// and that every match names a known operation with non-empty labels.
func FuzzRouter(f *testing.F) {
	for _, seed := range []string{
		"/approval-teams/?List", "/approval-teams/arn%3Aaws%3Ampa%3Aus-east-1%3A1%3Aapproval-team%2Fa?Delete",
		"/sessions/arn%3Aa%2Fb%2Fc", "/policy-versions/x%2F%24DEFAULT", "/tags/%", "//", "/approval-teams/a/sessions/?List",
	} {
		f.Add("POST", seed)
	}
	rt := newRouter()
	f.Fuzz(func(t *testing.T, method, target string) {
		req, err := http.NewRequest(method, "http://127.0.0.1"+target, nil)
		if err != nil {
			return
		}
		m, err := rt.find(req)
		if err != nil {
			return
		}
		if operations[m.op.Name] == nil {
			t.Fatalf("matched operation %s has no implementation", m.op.Name)
		}
		for name, v := range m.labels {
			if v == "" {
				t.Fatalf("label %s is empty for %s %s", name, method, target)
			}
		}
	})
}
