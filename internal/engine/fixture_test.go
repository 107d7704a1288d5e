package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/sqlstore"
)

// The tests in this package run the engine on a real SQLite store, in
// memory unless a test needs a file, and on a fake workflow clock.

const (
	testAccount   = "111122223333"
	testRegion    = "us-east-1"
	testPrincipal = "arn:aws:iam::111122223333:role/Requester"

	// deployPolicy is the policy that fixture teams reference. It protects
	// the actions in deployActions.
	deployPolicy = "arn:aws:mpa:::aws:policy/deploy.example.com/Deploy"
	deployAction = "deploy:PromoteToProduction"
)

var deployActions = []string{deployAction, "deploy:Rollback"}

// operatorCaller may change the policy catalogue.
var operatorCaller = Caller{AccountID: testAccount, Region: testRegion, PrincipalArn: "arn:aws:iam::111122223333:role/Operator", Operator: true}

// testStart is the fake clock's initial time.
var testStart = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// fakeClock is a keyturn.Clock that moves only when a test advances it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// sentEmail is one message that fakeMailer received.
type sentEmail struct {
	To, Subject, Body string
}

// fakeMailer is an EmailSender that records messages instead of sending
// them.
type fakeMailer struct {
	mu   sync.Mutex
	sent []sentEmail
}

func (m *fakeMailer) SendEmail(_ context.Context, to, subject, body string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, sentEmail{To: to, Subject: subject, Body: body})
	return nil
}

func (m *fakeMailer) messages() []sentEmail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]sentEmail(nil), m.sent...)
}

// emailCodeRE finds the code that sendEmailCode indents on a line of its
// own.
var emailCodeRE = regexp.MustCompile(`\n {4}(\d{6})\n`)

// lastCode returns the code of the newest message to the address.
func (m *fakeMailer) lastCode(t *testing.T, to string) string {
	t.Helper()
	msgs := m.messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To != to {
			continue
		}
		match := emailCodeRE.FindStringSubmatch(msgs[i].Body)
		if match == nil {
			t.Fatalf("message to %s has no code: %q", to, msgs[i].Body)
		}
		return match[1]
	}
	t.Fatalf("no message was sent to %s", to)
	return ""
}

// fixture is an engine on a fresh store, with an identity source and the
// deploy policy in the catalogue.
type fixture struct {
	t      *testing.T
	ctx    context.Context
	eng    *Engine
	store  *sqlstore.Store
	clock  *fakeClock
	mail   *fakeMailer
	caller Caller
	source string // the identity source ARN
	users  int    // users created so far, for unique names
}

// newFixture returns a fixture on an in-memory store. configure, when not
// nil, changes the engine's configuration before the engine starts.
func newFixture(t *testing.T, configure func(*Config)) *fixture {
	t.Helper()
	store, err := sqlstore.OpenSQLite(t.Context(), sqlstore.Memory)
	if err != nil {
		t.Fatalf("open SQLite store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	return newFixtureOn(t, store, configure)
}

// newFixtureOn returns a fixture on the store.
func newFixtureOn(t *testing.T, store *sqlstore.Store, configure func(*Config)) *fixture {
	t.Helper()
	f := &fixture{
		t:      t,
		ctx:    t.Context(),
		store:  store,
		clock:  &fakeClock{now: testStart},
		mail:   &fakeMailer{},
		caller: Caller{AccountID: testAccount, Region: testRegion, PrincipalArn: testPrincipal, IdentityAdmin: true},
	}

	// The fixture's caller is an identity administrator, which a
	// production engine would not let start sessions; development mode
	// lets one principal play every part, as these tests need.
	cfg := Config{
		Clock:       f.clock,
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		EmailSender: f.mail,
		Development: true,
	}
	if configure != nil {
		configure(&cfg)
	}
	f.eng = New(store, cfg)

	if err := f.eng.EnsureCatalogue(f.ctx); err != nil {
		t.Fatalf("EnsureCatalogue: %v", err)
	}
	if _, err := f.eng.PutPolicy(f.ctx, operatorCaller, PutPolicyInput{
		ServicePrincipal: "deploy.example.com", Name: "Deploy", Actions: deployActions,
	}); err != nil {
		t.Fatalf("PutPolicy: %v", err)
	}

	src, err := f.eng.CreateIdentitySource(f.ctx, f.caller, CreateIdentitySourceInput{
		InstanceArn: "arn:aws:sso:::instance/ssoins-1111222233334444", SourceRegion: testRegion,
	})
	if err != nil {
		t.Fatalf("CreateIdentitySource: %v", err)
	}
	f.source = src.Arn
	return f
}

// addUsers creates n enabled users with e-mail addresses.
func (f *fixture) addUsers(n int) []*keyturn.User {
	f.t.Helper()
	users := make([]*keyturn.User, n)
	for i := range users {
		f.users++
		name := fmt.Sprintf("user%02d", f.users)
		u, err := f.eng.CreateUser(f.ctx, f.caller, CreateUserInput{UserName: name, DisplayName: "User " + name, Email: name + "@example.com"})
		if err != nil {
			f.t.Fatalf("CreateUser %s: %v", name, err)
		}
		users[i] = u
	}
	return users
}

// approverInputs names the users as approvers from the fixture's identity
// source.
func (f *fixture) approverInputs(ids ...string) []ApproverInput {
	out := make([]ApproverInput, len(ids))
	for i, id := range ids {
		out[i] = ApproverInput{IdentityID: id, IdentitySourceArn: f.source}
	}
	return out
}

func userIDs(users []*keyturn.User) []string {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	return ids
}

// createTeam creates a team of the users with threshold m, protected by the
// deploy policy. The invitations stay open.
func (f *fixture) createTeam(m int, ids ...string) *keyturn.Team {
	f.t.Helper()
	team, err := f.eng.CreateTeam(f.ctx, f.caller, CreateTeamInput{
		Name:         "payments",
		Description:  "Approves production deploys.",
		MinApprovals: m,
		Approvers:    f.approverInputs(ids...),
		Policies:     []string{deployPolicy + "/$DEFAULT"},
	})
	if err != nil {
		f.t.Fatalf("CreateTeam: %v", err)
	}
	return team
}

// activeTeam creates n users and an ACTIVE team of them with threshold m.
func (f *fixture) activeTeam(n, m int) (*keyturn.Team, []*keyturn.User) {
	f.t.Helper()
	users := f.addUsers(n)
	team := f.createTeam(m, userIDs(users)...)
	for _, u := range users {
		f.answer(team.Arn, u, true)
	}
	got := f.team(team.Arn)
	if got.Status != keyturn.TeamActive {
		f.t.Fatalf("team status after every approver accepted: got %s/%s, want ACTIVE", got.Status, got.StatusCode)
	}
	return got, users
}

func voter(u *keyturn.User) Voter {
	return Voter{AccountID: u.AccountID, Region: u.Region, UserID: u.ID}
}

// answer accepts or declines the user's invitation to the team, as
// RespondToInvitation does.
func (f *fixture) answer(teamArn string, u *keyturn.User, accept bool) *keyturn.Team {
	f.t.Helper()
	t, err := f.eng.RespondToInvitation(f.ctx, voter(u), teamArn, accept)
	if err != nil {
		f.t.Fatalf("RespondToInvitation(%s, accept=%t): %v", u.UserName, accept, err)
	}
	return t
}

// team returns the team as GetTeam reports it.
func (f *fixture) team(arn string) *keyturn.Team {
	f.t.Helper()
	view, err := f.eng.GetTeam(f.ctx, f.caller, arn)
	if err != nil {
		f.t.Fatalf("GetTeam: %v", err)
	}
	return view.Team
}

// storedTeam returns the team as the store holds it, without settling
// anything that is due.
func (f *fixture) storedTeam(arn string) *keyturn.Team {
	f.t.Helper()
	var t *keyturn.Team
	err := f.store.View(f.ctx, func(tx keyturn.Tx) error {
		var err error
		t, err = tx.GetTeam(f.ctx, arn)
		return err
	})
	if err != nil {
		f.t.Fatalf("read stored team: %v", err)
	}
	return t
}

// storedSession returns the session as the store holds it.
func (f *fixture) storedSession(arn string) *keyturn.Session {
	f.t.Helper()
	var s *keyturn.Session
	err := f.store.View(f.ctx, func(tx keyturn.Tx) error {
		var err error
		s, err = tx.GetSession(f.ctx, arn)
		return err
	})
	if err != nil {
		f.t.Fatalf("read stored session: %v", err)
	}
	return s
}

// session returns the session as GetSession reports it.
func (f *fixture) session(arn string) *keyturn.Session {
	f.t.Helper()
	s, err := f.eng.GetSession(f.ctx, f.caller, arn)
	if err != nil {
		f.t.Fatalf("GetSession: %v", err)
	}
	return s
}

// startSession starts a session for deployAction on the team.
func (f *fixture) startSession(teamArn string) *keyturn.Session {
	f.t.Helper()
	s, err := f.eng.StartSession(f.ctx, f.caller, StartSessionInput{
		TeamArn:              teamArn,
		ActionName:           deployAction,
		ProtectedResourceArn: "arn:aws:deploy:us-east-1:111122223333:app/shop",
		Description:          "Promote build 42.",
	})
	if err != nil {
		f.t.Fatalf("StartSession: %v", err)
	}
	return s
}

// vote casts a delegated vote, which needs no second factor.
func (f *fixture) vote(u *keyturn.User, sessionArn string, r keyturn.Response) *keyturn.Session {
	f.t.Helper()
	v := voter(u)
	v.Delegated = true
	s, err := f.eng.Vote(f.ctx, v, sessionArn, r, Proof{})
	if err != nil {
		f.t.Fatalf("Vote(%s, %s): %v", u.UserName, r, err)
	}
	return s
}

// sweep runs the sweeper and fails the test on an error.
func (f *fixture) sweep() int {
	f.t.Helper()
	n, err := f.eng.Sweep(f.ctx)
	if err != nil {
		f.t.Fatalf("Sweep: %v", err)
	}
	return n
}

// wantCode fails the test unless err is an *keyturn.Error with the code.
func wantCode(t *testing.T, err error, want keyturn.ErrorCode) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", want)
	}
	var kerr *keyturn.Error
	if !errors.As(err, &kerr) {
		t.Fatalf("got error %v of type %T, want a *keyturn.Error with code %s", err, err, want)
	}
	if kerr.Code != want {
		t.Fatalf("got error code %s (%v), want %s", kerr.Code, err, want)
	}
}

// wantStatus checks a team's status, status code and whether it has a
// status message.
func wantStatus(t *testing.T, team *keyturn.Team, status keyturn.TeamStatus, code keyturn.TeamStatusCode, withMessage bool) {
	t.Helper()
	if team.Status != status {
		t.Errorf("team Status: got %s, want %s", team.Status, status)
	}
	if team.StatusCode != code {
		t.Errorf("team StatusCode: got %q, want %q", team.StatusCode, code)
	}
	if withMessage && team.StatusMessage == "" {
		t.Errorf("team StatusMessage is empty, want an explanation of %s", code)
	}
	if !withMessage && team.StatusMessage != "" {
		t.Errorf("team StatusMessage: got %q, want none", team.StatusMessage)
	}
}

// wantApprovers checks the identity status of each approver, by identity
// id.
func wantApprovers(t *testing.T, approvers []keyturn.Approver, want map[string]keyturn.IdentityStatus) {
	t.Helper()
	if len(approvers) != len(want) {
		t.Errorf("got %d approvers, want %d", len(approvers), len(want))
	}
	for _, a := range approvers {
		w, ok := want[a.IdentityID]
		if !ok {
			t.Errorf("unexpected approver %s", a.IdentityID)
			continue
		}
		if a.Status != w {
			t.Errorf("approver %s status: got %s, want %s", a.IdentityID, a.Status, w)
		}
	}
}

// statuses maps each user's id to the status.
func statuses(users []*keyturn.User, s keyturn.IdentityStatus) map[string]keyturn.IdentityStatus {
	m := make(map[string]keyturn.IdentityStatus, len(users))
	for _, u := range users {
		m[u.ID] = s
	}
	return m
}

func ptr[T any](v T) *T { return &v }
