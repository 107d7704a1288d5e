// Package keyturntest runs a real Keyturn server in-process for Go tests,
// as net/http/httptest does for HTTP handlers.
//
// NewServer starts a development-mode server on a loopback port with an
// in-memory store, and stops it when the test ends. Each server is
// independent, so tests that call NewServer can run with t.Parallel. The
// server hands back an aws.Config for aws-sdk-go-v2 that points at it,
// and helpers that create users, accept invitations, start sessions, vote
// and move the workflow clock.
//
// The environment variable KEYTURN_TEST_STORE chooses the store of servers
// whose Options.Database is empty: "memory" (the default) or "postgres",
// which gives each server a fresh schema on the PostgreSQL test server
// that KEYTURN_TEST_POSTGRES names (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable), dropped when
// the test ends. Such tests skip when that server cannot be reached, and
// fail instead when the environment variable CI is "true". Run a suite on
// PostgreSQL with:
//
//	KEYTURN_TEST_STORE=postgres go test ./...
package keyturntest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mpa"
	mpatypes "github.com/aws/aws-sdk-go-v2/service/mpa/types"

	"github.com/keyturn/keyturn/client"
	"github.com/keyturn/keyturn/internal/mail"
	"github.com/keyturn/keyturn/internal/server"
	"github.com/keyturn/keyturn/internal/storetest"
)

// StoreEnv is the environment variable that chooses the store of servers
// whose Options.Database is empty: "memory" or "postgres".
const StoreEnv = "KEYTURN_TEST_STORE"

// Options configures a test server. The zero value is a fine default.
type Options struct {
	// AccountID is the account that AWSConfig and the helpers act in.
	// Default: 111122223333.
	AccountID string
	// Region is the region of AWSConfig and the helpers. Default:
	// us-east-1.
	Region string
	// Database is the store of the server's state: "memory" keeps nothing
	// on disk, and a file path or postgres:// URL keeps it there. Default:
	// "memory", or a fresh PostgreSQL schema when KEYTURN_TEST_STORE is
	// "postgres".
	Database string
	// Seed, when not zero, makes ARNs and ids repeatable across runs.
	Seed uint64
	// Logger receives the server's logs. Default: discarded.
	Logger *slog.Logger
	// SweepInterval is how often the background sweeper applies expiries.
	// Default: 50 milliseconds. An interval longer than the test, such as
	// 24 hours, keeps the sweeper from running, so that only AdvanceClock
	// stores the transitions that fall due.
	SweepInterval time.Duration
	// SMTPAddr is the host:port of an SMTP server through which the server
	// e-mails one-time codes, in the clear, from SMTPFrom. Default: no
	// e-mail.
	SMTPAddr string
	SMTPFrom string
}

// Server is a Keyturn server running in the test's process.
type Server struct {
	// URL is the server's base URL, such as http://127.0.0.1:41234.
	URL       string
	AccountID string
	Region    string

	srv *server.Server
}

// NewServer starts a server with default options.
func NewServer(tb testing.TB) *Server {
	tb.Helper()
	return Start(tb, Options{})
}

// Start starts a server with the options. It stops when the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if opts.AccountID == "" {
		opts.AccountID = "111122223333"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Database == "" {
		opts.Database = defaultDatabase(tb)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.SweepInterval == 0 {
		opts.SweepInterval = 50 * time.Millisecond
	}
	cfg := server.Config{
		Addr:          "127.0.0.1:0",
		Database:      opts.Database,
		Dev:           true,
		Seed:          opts.Seed,
		SweepInterval: opts.SweepInterval,
		Logger:        opts.Logger,
	}
	if opts.SMTPAddr != "" {
		cfg.SMTP = &mail.Config{Addr: opts.SMTPAddr, From: opts.SMTPFrom, TLS: mail.TLSNone}
	}
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("keyturntest: start server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(context.Background()) }()
	tb.Cleanup(func() {
		if err := srv.Close(); err != nil {
			tb.Errorf("keyturntest: stop server: %v", err)
		}
		<-done
	})
	return &Server{URL: srv.URL(), AccountID: opts.AccountID, Region: opts.Region, srv: srv}
}

// defaultDatabase returns the database of a server whose Options.Database
// is empty, as KEYTURN_TEST_STORE chooses: "memory", or the URL of a fresh
// PostgreSQL schema that is dropped when the test ends.
func defaultDatabase(tb testing.TB) string {
	tb.Helper()
	switch store := os.Getenv(StoreEnv); store {
	case "", "memory":
		return "memory"
	case "postgres":
		return storetest.PostgresURL(tb)
	default:
		tb.Fatalf("keyturntest: %s=%q is invalid: use memory or postgres", StoreEnv, store)
		return ""
	}
}

// WithAccount returns the server as seen by another account: its AWSConfig,
// clients and helpers sign requests as accountID, which must be 12 digits.
// Accounts share nothing but the policy catalogue.
func (s *Server) WithAccount(accountID string) *Server {
	c := *s
	c.AccountID = accountID
	return &c
}

// AWSConfig returns a configuration for aws-sdk-go-v2 clients that sends
// every request to the server, signed as the server's account. Clients
// retry as the SDK does by default, which covers the rare connection that
// Go's HTTP client closes under a request; the server's 4xx errors are
// never retried.
func (s *Server) AWSConfig() aws.Config {
	return aws.Config{
		Region:       s.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccountID, "keyturntest-secret", ""),
		BaseEndpoint: aws.String(s.URL),
		Retryer:      func() aws.Retryer { return retry.NewStandard() },
	}
}

// MPA returns an MPA API client for the server.
func (s *Server) MPA() *mpa.Client {
	return mpa.NewFromConfig(s.AWSConfig())
}

// Admin returns a client for Keyturn's own API, signed as the server's
// account.
func (s *Server) Admin() *client.Client {
	cfg := s.AWSConfig()
	return &client.Client{BaseURL: s.URL, Credentials: cfg.Credentials, Region: s.Region}
}

// As returns a client for Keyturn's own API that acts as the approver with
// the user id or name. Its votes need no second factor.
func (s *Server) As(user string) *client.Client {
	c := s.Admin()
	c.ActAs = user
	return c
}

// IdentitySourceArn returns the ARN of the account's identity source,
// creating the source if there is none.
func (s *Server) IdentitySourceArn(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	out, err := s.MPA().ListIdentitySources(ctx, &mpa.ListIdentitySourcesInput{})
	if err != nil {
		tb.Fatalf("keyturntest: list identity sources: %v", err)
	}
	if len(out.IdentitySources) > 0 {
		return aws.ToString(out.IdentitySources[0].IdentitySourceArn)
	}
	created, err := s.MPA().CreateIdentitySource(ctx, &mpa.CreateIdentitySourceInput{
		IdentitySourceParameters: &mpatypes.IdentitySourceParameters{IamIdentityCenter: &mpatypes.IamIdentityCenter{
			InstanceArn: aws.String("arn:aws:sso:::instance/ssoins-0000000000000000"),
			Region:      aws.String(s.Region),
		}},
	})
	if err != nil {
		tb.Fatalf("keyturntest: create identity source: %v", err)
	}
	return aws.ToString(created.IdentitySourceArn)
}

// CreateUser adds a user to the identity store, creating the identity
// source first if needed.
func (s *Server) CreateUser(tb testing.TB, userName string) *client.User {
	tb.Helper()
	s.IdentitySourceArn(tb)
	u, err := s.Admin().CreateUser(context.Background(), client.CreateUserInput{UserName: userName, Email: userName + "@example.com"})
	if err != nil {
		tb.Fatalf("keyturntest: create user %s: %v", userName, err)
	}
	return u
}

// TestPolicyArn is the policy that helpers attach to teams. It protects
// every action that starts with "test:".
const TestPolicyArn = "arn:aws:mpa:::aws:policy/keyturntest.example.com/TestOperations"

// CreateTeam creates a team of the users, which must exist, with the M of
// N threshold, protected by a policy for every action that starts with
// "test:". The team is PENDING until its approvers accept.
func (s *Server) CreateTeam(tb testing.TB, name string, minApprovals int, userIDs ...string) string {
	tb.Helper()
	ctx := context.Background()
	if _, err := s.Admin().PutPolicy(ctx, client.PutPolicyInput{
		ServicePrincipal: "keyturntest.example.com", Name: "TestOperations", Actions: []string{"test:*"},
	}); err != nil {
		tb.Fatalf("keyturntest: add the test policy: %v", err)
	}
	source := s.IdentitySourceArn(tb)
	var approvers []mpatypes.ApprovalTeamRequestApprover
	for _, id := range userIDs {
		approvers = append(approvers, mpatypes.ApprovalTeamRequestApprover{
			PrimaryIdentityId: aws.String(id), PrimaryIdentitySourceArn: aws.String(source),
		})
	}
	out, err := s.MPA().CreateApprovalTeam(ctx, &mpa.CreateApprovalTeamInput{
		Name:        aws.String(name),
		Description: aws.String("Test team " + name),
		ApprovalStrategy: &mpatypes.ApprovalStrategyMemberMofN{Value: mpatypes.MofNApprovalStrategy{
			MinApprovalsRequired: aws.Int32(int32(minApprovals)),
		}},
		Approvers: approvers,
		Policies:  []mpatypes.PolicyReference{{PolicyArn: aws.String(TestPolicyArn + "/$DEFAULT")}},
	})
	if err != nil {
		tb.Fatalf("keyturntest: create team %s: %v", name, err)
	}
	return aws.ToString(out.Arn)
}

// AcceptInvitation accepts the user's invitation to the team.
func (s *Server) AcceptInvitation(tb testing.TB, teamArn, user string) {
	tb.Helper()
	if _, err := s.As(user).AnswerInvitation(context.Background(), teamArn, true); err != nil {
		tb.Fatalf("keyturntest: %s accepts the invitation to %s: %v", user, teamArn, err)
	}
}

// ActiveTeam creates n users named <name>-1 to <name>-n and an ACTIVE team
// of them with the M of N threshold, and returns the team ARN and users.
func (s *Server) ActiveTeam(tb testing.TB, name string, minApprovals, n int) (string, []*client.User) {
	tb.Helper()
	users := make([]*client.User, n)
	ids := make([]string, n)
	for i := range n {
		users[i] = s.CreateUser(tb, fmt.Sprintf("%s-%d", name, i+1))
		ids[i] = users[i].UserID
	}
	arn := s.CreateTeam(tb, name, minApprovals, ids...)
	for _, id := range ids {
		s.AcceptInvitation(tb, arn, id)
	}
	return arn, users
}

// StartSession starts a session on the team for the action, which must
// start with "test:" on teams made by CreateTeam.
func (s *Server) StartSession(tb testing.TB, teamArn, action string) *client.Session {
	tb.Helper()
	out, err := s.Admin().StartSession(context.Background(), client.StartSessionInput{
		ApprovalTeamArn: teamArn, ActionName: action, Description: "Test session for " + action,
	})
	if err != nil {
		tb.Fatalf("keyturntest: start session %s on %s: %v", action, teamArn, err)
	}
	return out
}

// Vote casts the user's vote, APPROVED or REJECTED, and returns the session
// as the vote left it.
func (s *Server) Vote(tb testing.TB, sessionArn, user, response string) *client.Session {
	tb.Helper()
	out, err := s.As(user).Vote(context.Background(), sessionArn, client.VoteInput{Response: response})
	if err != nil {
		tb.Fatalf("keyturntest: %s votes %s in %s: %v", user, response, sessionArn, err)
	}
	return out
}

// AdvanceClock moves the server's workflow clock forward and applies the
// transitions that fall due, such as expiries.
func (s *Server) AdvanceClock(tb testing.TB, d time.Duration) time.Time {
	tb.Helper()
	c, err := s.Admin().AdvanceClock(context.Background(), d)
	if err != nil {
		tb.Fatalf("keyturntest: advance the clock by %s: %v", d, err)
	}
	return c.Time
}

// AdvanceClockWithoutSweep moves the server's workflow clock forward like
// AdvanceClock, but applies no transitions. Reads must still report what
// fell due, such as an expired session. With a long Options.SweepInterval,
// nothing is stored until the next AdvanceClock.
func (s *Server) AdvanceClockWithoutSweep(tb testing.TB, d time.Duration) time.Time {
	tb.Helper()
	now, err := s.srv.AdvanceClockWithoutSweep(context.Background(), d)
	if err != nil {
		tb.Fatalf("keyturntest: advance the clock by %s without a sweep: %v", d, err)
	}
	return now
}

// Now returns the server's workflow clock.
func (s *Server) Now(tb testing.TB) time.Time {
	tb.Helper()
	c, err := s.Admin().GetClock(context.Background())
	if err != nil {
		tb.Fatalf("keyturntest: read the clock: %v", err)
	}
	return c.Time
}
