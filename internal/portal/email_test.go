package portal_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/engine"
	"github.com/keyturn/keyturn/internal/portal"
	"github.com/keyturn/keyturn/internal/sqlstore"
)

// The tests in this file build the portal on an engine over an in-memory
// SQLite store, so that e-mail goes to a recording sender instead of an
// SMTP server.

const (
	testAccount = "111122223333"
	testRegion  = "us-east-1"
)

// recordingSender is an engine.EmailSender that keeps each message.
type recordingSender struct {
	mu   sync.Mutex
	sent []sentEmail
}

type sentEmail struct{ To, Subject, Body string }

func (s *recordingSender) SendEmail(_ context.Context, to, subject, body string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, sentEmail{to, subject, body})
	return nil
}

// emailCodeRE finds the code that the engine indents on a line of its own.
var emailCodeRE = regexp.MustCompile(`\n {4}(\d{6})\n`)

// lastCode returns the code in the newest message, which must go to the
// address.
func (s *recordingSender) lastCode(t *testing.T, to string) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sent) == 0 {
		t.Fatalf("no e-mail was sent")
	}
	last := s.sent[len(s.sent)-1]
	if last.To != to {
		t.Fatalf("the newest e-mail went to %s, want %s", last.To, to)
	}
	match := emailCodeRE.FindStringSubmatch(last.Body)
	if match == nil {
		t.Fatalf("the newest e-mail has no code: %q", last.Body)
	}
	return match[1]
}

// engineFixture is a portal served by httptest on an engine of its own,
// with one user who is the only approver of an active team.
type engineFixture struct {
	engine  *engine.Engine
	store   *sqlstore.Store
	mail    *recordingSender
	logs    *logBuffer
	caller  engine.Caller
	user    *keyturn.User
	teamArn string
	server  *httptest.Server
	url     string
}

func newEngineFixture(t *testing.T) *engineFixture {
	t.Helper()
	return newEngineFixtureWith(t, portal.Config{}, httptest.NewServer)
}

// newEngineFixtureWith serves the portal with the configuration, on a
// server that start returns, such as httptest.NewTLSServer.
func newEngineFixtureWith(t *testing.T, cfg portal.Config, start func(http.Handler) *httptest.Server) *engineFixture {
	t.Helper()
	ctx := t.Context()
	store, err := sqlstore.OpenSQLite(ctx, sqlstore.Memory)
	if err != nil {
		t.Fatalf("open SQLite store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	f := &engineFixture{
		store:  store,
		mail:   &recordingSender{},
		logs:   &logBuffer{},
		caller: engine.Caller{AccountID: testAccount, Region: testRegion, PrincipalArn: "arn:aws:iam::111122223333:role/Admin", IdentityAdmin: true},
	}
	logger := slog.New(slog.NewTextHandler(f.logs, nil))
	f.engine = engine.New(store, engine.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), EmailSender: f.mail, Development: true})

	if err := f.engine.EnsureCatalogue(ctx); err != nil {
		t.Fatalf("EnsureCatalogue: %v", err)
	}
	operator := f.caller
	operator.Operator = true
	if _, err := f.engine.PutPolicy(ctx, operator, engine.PutPolicyInput{
		ServicePrincipal: "deploy.example.com", Name: "Deploy", Actions: []string{"deploy:Promote"},
	}); err != nil {
		t.Fatalf("PutPolicy: %v", err)
	}
	source, err := f.engine.CreateIdentitySource(ctx, f.caller, engine.CreateIdentitySourceInput{
		InstanceArn: "arn:aws:sso:::instance/ssoins-1111222233334444", SourceRegion: testRegion,
	})
	if err != nil {
		t.Fatalf("CreateIdentitySource: %v", err)
	}
	f.user, err = f.engine.CreateUser(ctx, f.caller, engine.CreateUserInput{UserName: "alice", Email: "alice@example.com"})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	team, err := f.engine.CreateTeam(ctx, f.caller, engine.CreateTeamInput{
		Name:         "payments",
		MinApprovals: 1,
		Approvers:    []engine.ApproverInput{{IdentityID: f.user.ID, IdentitySourceArn: source.Arn}},
		Policies:     []string{"arn:aws:mpa:::aws:policy/deploy.example.com/Deploy/$DEFAULT"},
	})
	if err != nil {
		t.Fatalf("CreateTeam: %v", err)
	}
	f.teamArn = team.Arn
	voter := engine.Voter{AccountID: testAccount, Region: testRegion, UserID: f.user.ID}
	if _, err := f.engine.RespondToInvitation(ctx, voter, team.Arn, true); err != nil {
		t.Fatalf("RespondToInvitation: %v", err)
	}

	cfg.Logger = logger
	f.server = start(portal.New(f.engine, cfg))
	t.Cleanup(f.server.Close)
	f.url = f.server.URL
	return f
}

// logBuffer keeps the portal's logs, written by concurrent requests.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// signIn enrols the fixture's user in a new browser.
func (f *engineFixture) signIn(t *testing.T) *browser {
	t.Helper()
	enrollment, err := f.engine.IssueEnrollment(t.Context(), f.caller, f.user.ID, false)
	if err != nil {
		t.Fatalf("IssueEnrollment: %v", err)
	}
	b := newBrowser(t, f.url)
	b.client.Transport = f.server.Client().Transport
	wantStatus(t, "enrol", b.post("/portal/enroll", url.Values{"code": {enrollment.Code}}), http.StatusOK)
	return b
}

func (f *engineFixture) startVerifiedSession(t *testing.T) string {
	t.Helper()
	s, err := f.engine.StartSession(t.Context(), f.caller, engine.StartSessionInput{
		TeamArn: f.teamArn, ActionName: "deploy:Promote",
		AdditionalSecurityRequirements: []string{keyturn.ApproverVerificationRequired},
	})
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	return s.Arn
}

func TestEmailFactorVote(t *testing.T) {
	t.Parallel()
	f := newEngineFixture(t)
	b := f.signIn(t)

	r := b.post("/portal/factors/email", nil)
	wantStatus(t, "send an enrolment code", r, http.StatusOK)
	wantText(t, "send an enrolment code", r, "A code was sent to alice@example.com.")
	code := f.mail.lastCode(t, "alice@example.com")

	r = b.post("/portal/factors/email/confirm", url.Values{"code": {"not-it"}})
	wantStatus(t, "confirm with a wrong code", r, http.StatusForbidden)
	if got, want := message(r), "The e-mail code is wrong, expired or already used. Ask for a new code."; got != want {
		t.Errorf("confirm with a wrong code: message %q, want %q", got, want)
	}
	r = b.post("/portal/factors/email/confirm", url.Values{"code": {code}})
	wantStatus(t, "confirm e-mailed codes", r, http.StatusOK)
	wantText(t, "confirm e-mailed codes", r, "E-mailed codes are enrolled.")
	r = b.post("/portal/factors/email/confirm", url.Values{"code": {code}})
	wantStatus(t, "confirm with a used code", r, http.StatusForbidden)

	sessionArn := f.startVerifiedSession(t)
	r = b.get(sessionPath(sessionArn))
	wantStatus(t, "session page", r, http.StatusOK)
	wantText(t, "session page", r, "E-mail me a code")
	if !strings.Contains(r.body, `<input type="hidden" name="method" value="EMAIL_OTP">`) {
		t.Errorf("session page: the vote form does not select EMAIL_OTP; page:\n%s", r.body)
	}

	r = b.post(sessionPath(sessionArn)+"/email-code", nil)
	wantStatus(t, "e-mail me a code", r, http.StatusOK)
	wantText(t, "e-mail me a code", r, "A code was sent to alice@example.com.")
	voteCode := f.mail.lastCode(t, "alice@example.com")

	r = b.post(sessionPath(sessionArn)+"/email-code", nil)
	wantStatus(t, "e-mail me a code again at once", r, http.StatusTooManyRequests)

	r = b.post(sessionPath(sessionArn)+"/vote", url.Values{"response": {"APPROVED"}, "method": {"EMAIL_OTP"}, "code": {voteCode}})
	wantStatus(t, "vote with the e-mailed code", r, http.StatusOK)
	if got := message(r); !strings.Contains(got, "The session is APPROVED.") {
		t.Errorf("vote with the e-mailed code: message %q, want one that says the session is APPROVED", got)
	}
	s, err := f.engine.GetSession(t.Context(), f.caller, sessionArn)
	if err != nil {
		t.Fatalf("GetSession: %v", err)
	}
	if s.Status != keyturn.SessionApproved {
		t.Errorf("session status: got %s, want APPROVED", s.Status)
	}
	if len(s.Votes) != 1 || s.Votes[0].MFAMethod != keyturn.MFAEmailOTP {
		t.Errorf("session votes: got %+v, want one verified with EMAIL_OTP", s.Votes)
	}
}

func TestVoteFormWithTwoFactors(t *testing.T) {
	t.Parallel()
	f := newEngineFixture(t)
	b := f.signIn(t)

	wantStatus(t, "send an enrolment code", b.post("/portal/factors/email", nil), http.StatusOK)
	r := b.post("/portal/factors/email/confirm", url.Values{"code": {f.mail.lastCode(t, "alice@example.com")}})
	wantStatus(t, "confirm e-mailed codes", r, http.StatusOK)
	// With a factor enrolled, adding another needs a code from it.
	r = b.post("/portal/factors/totp", nil)
	wantStatus(t, "add an authenticator without a code", r, http.StatusForbidden)
	wantStatus(t, "e-mail a code to change factors", b.post("/portal/factors/email-code", nil), http.StatusOK)
	r = b.post("/portal/factors/totp", url.Values{"proof_method": {"EMAIL_OTP"}, "proof_code": {f.mail.lastCode(t, "alice@example.com")}})
	wantStatus(t, "add an authenticator with an e-mailed code", r, http.StatusOK)
	secret := inputValue(t, r.body, "totp-secret")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatalf("generate a TOTP code: %v", err)
	}
	wantStatus(t, "confirm the authenticator", b.post("/portal/factors/totp/confirm", url.Values{"code": {code}}), http.StatusOK)

	r = b.get(sessionPath(f.startVerifiedSession(t)))
	wantStatus(t, "session page", r, http.StatusOK)
	for _, want := range []string{
		`<input type="radio" id="method-TOTP" name="method" value="TOTP" checked>`,
		`<input type="radio" id="method-EMAIL_OTP" name="method" value="EMAIL_OTP">`,
		`<label for="method-TOTP">`,
		`<label for="method-EMAIL_OTP">`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("session page lacks %s; page:\n%s", want, r.body)
		}
	}
}

func TestInternalErrorIsGeneric(t *testing.T) {
	t.Parallel()
	f := newEngineFixture(t)
	b := f.signIn(t)

	f.store.Close()
	r := b.get("/portal/")
	if r.status < 500 {
		t.Fatalf("home with a closed store: got status %d, want a server error", r.status)
	}
	if got := message(r); got != keyturn.Message(context.Canceled) {
		t.Errorf("home with a closed store: message %q, want the generic message", got)
	}
	if b.cookie() == nil {
		t.Errorf("home with a closed store: the cookie was cleared, but the token may still be valid")
	}
	if !strings.Contains(f.logs.String(), "portal: request failed") {
		t.Errorf("the internal error was not logged; logs:\n%s", f.logs)
	}
}

func TestSecureCookie(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cfg   portal.Config
		start func(http.Handler) *httptest.Server
	}{
		{"TLS request", portal.Config{}, httptest.NewTLSServer},
		{"https public URL", portal.Config{PublicURL: "https://keyturn.example.com"}, httptest.NewServer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newEngineFixtureWith(t, tc.cfg, tc.start)
			enrollment, err := f.engine.IssueEnrollment(t.Context(), f.caller, f.user.ID, false)
			if err != nil {
				t.Fatalf("IssueEnrollment: %v", err)
			}
			b := newBrowser(t, f.url)
			b.client.Transport = f.server.Client().Transport
			r := b.post("/portal/enroll", url.Values{"code": {enrollment.Code}})
			wantStatus(t, "enrol", r, http.StatusOK)
			if setCookie := r.header.Get("Set-Cookie"); !strings.Contains(setCookie, "; Secure") {
				t.Errorf("Set-Cookie %q is not Secure", setCookie)
			}
		})
	}
}
