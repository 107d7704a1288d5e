package e2e

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mpa"
	"github.com/aws/aws-sdk-go-v2/service/mpa/types"

	"github.com/keyturn/keyturn/client"
	"github.com/keyturn/keyturn/internal/server"
	"github.com/keyturn/keyturn/internal/sigv4"
)

// productionServer starts a server without development mode, with an
// identity administrator, a requester and an operator in one account.
func productionServer(t *testing.T) (url string, admin, requester, operator sigv4.Credential) {
	t.Helper()
	const account = "123456789012"
	admin = sigv4.Credential{AccessKeyID: "AKIDADMIN", SecretAccessKey: "admin-secret", AccountID: account,
		PrincipalArn: "arn:aws:iam::123456789012:user/identity-admin", IdentityAdmin: true}
	requester = sigv4.Credential{AccessKeyID: "AKIDREQUESTER", SecretAccessKey: "requester-secret", AccountID: account,
		PrincipalArn: "arn:aws:iam::123456789012:role/deployer"}
	operator = sigv4.Credential{AccessKeyID: "AKIDOPERATOR", SecretAccessKey: "operator-secret", AccountID: account,
		PrincipalArn: "arn:aws:iam::123456789012:user/operator", Operator: true}
	srv, err := server.New(context.Background(), server.Config{
		Addr:        "127.0.0.1:0",
		Database:    "memory",
		Credentials: []sigv4.Credential{admin, requester, operator},
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("start a production server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(context.Background()) }()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return srv.URL(), admin, requester, operator
}

func clientAs(url string, c sigv4.Credential) *client.Client {
	return &client.Client{BaseURL: url, Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, "")}
}

func mpaAs(url string, c sigv4.Credential) *mpa.Client {
	return mpa.New(mpa.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, "")})
}

// TestPermissionsSeparateAdminsFromRequesters shows that a principal that
// requests approvals cannot create approvers or mint their enrolment codes,
// and that a principal that can cannot request approvals, so that no single
// principal can approve its own request.
func TestPermissionsSeparateAdminsFromRequesters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url, admin, requester, operator := productionServer(t)
	adminAPI, requesterAPI, operatorAPI := clientAs(url, admin), clientAs(url, requester), clientAs(url, operator)

	if _, err := mpaAs(url, admin).CreateIdentitySource(ctx, &mpa.CreateIdentitySourceInput{
		IdentitySourceParameters: &types.IdentitySourceParameters{IamIdentityCenter: &types.IamIdentityCenter{
			InstanceArn: aws.String("arn:aws:sso:::instance/ssoins-0000000000000000"), Region: aws.String("us-east-1")}},
	}); err != nil {
		t.Fatalf("create the identity source: %v", err)
	}

	_, err := requesterAPI.CreateUser(ctx, client.CreateUserInput{UserName: "mallory"})
	wantErrorCode(t, err, "AccessDeniedException", "a requester creates a user")
	alice, err := adminAPI.CreateUser(ctx, client.CreateUserInput{UserName: "alice"})
	if err != nil {
		t.Fatalf("the identity administrator creates a user: %v", err)
	}

	_, err = requesterAPI.IssueEnrollment(ctx, alice.UserID, false)
	wantErrorCode(t, err, "AccessDeniedException", "a requester issues an enrolment code")
	_, err = requesterAPI.RevokeTokens(ctx, alice.UserID)
	wantErrorCode(t, err, "AccessDeniedException", "a requester revokes tokens")
	_, err = requesterAPI.ResetFactors(ctx, alice.UserID)
	wantErrorCode(t, err, "AccessDeniedException", "a requester resets factors")
	if _, err := adminAPI.IssueEnrollment(ctx, alice.UserID, false); err != nil {
		t.Errorf("the identity administrator issues an enrolment code: %v", err)
	}

	for name, api := range map[string]*client.Client{"identity administrator": adminAPI, "operator": operatorAPI} {
		_, err := api.StartSession(ctx, client.StartSessionInput{
			ApprovalTeamArn: "arn:aws:mpa:us-east-1:123456789012:approval-team/any", ActionName: "deploy:Promote"})
		wantErrorCode(t, err, "AccessDeniedException", "the "+name+" starts a session")
	}

	// Acting as an approver is a development control only.
	actAs := clientAs(url, admin)
	actAs.ActAs = alice.UserID
	_, err = actAs.ListInvitations(ctx)
	wantErrorCode(t, err, "AccessDeniedException", "acting as an approver on a production server")
}
