package e2e

import (
	"context"
	"errors"
	"io"
	"net"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/pquerna/otp/totp"

	"github.com/keyturn/keyturn/client"
	"github.com/keyturn/keyturn/keyturntest"
)

// mailbox is an SMTP server on loopback that keeps every message it
// receives, so that tests read e-mailed codes as an approver would.
type mailbox struct {
	addr string

	mu       sync.Mutex
	messages []mailMessage
	arrived  chan struct{}
}

type mailMessage struct {
	From string
	To   []string
	Data string
}

func startMailbox(t *testing.T) *mailbox {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen for SMTP: %v", err)
	}
	mb := &mailbox{addr: ln.Addr().String(), arrived: make(chan struct{}, 100)}
	srv := smtp.NewServer(mb)
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return mb
}

// NewSession starts an SMTP session; it implements smtp.Backend.
func (mb *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &mailSession{mb: mb}, nil
}

type mailSession struct {
	mb  *mailbox
	msg mailMessage
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	s.msg.From = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.Data = string(b)
	s.mb.mu.Lock()
	s.mb.messages = append(s.mb.messages, s.msg)
	s.mb.mu.Unlock()
	s.mb.arrived <- struct{}{}
	return nil
}

func (s *mailSession) Reset()        { s.msg = mailMessage{} }
func (s *mailSession) Logout() error { return nil }

var sixDigitsRE = regexp.MustCompile(`(?m)^\s+([0-9]{6})\s*$`)

// nextCode waits for the next message to the address that carries a code,
// and returns the six-digit code in it. Messages without a code, such as
// the notice that an enrolment code was issued, are consumed on the way.
func (mb *mailbox) nextCode(t *testing.T, to string) string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		mb.mu.Lock()
		for i := 0; i < len(mb.messages); i++ {
			m := mb.messages[i]
			if len(m.To) != 1 || m.To[0] != to {
				continue
			}
			mb.messages = append(mb.messages[:i], mb.messages[i+1:]...)
			i--
			if match := sixDigitsRE.FindStringSubmatch(m.Data); match != nil {
				mb.mu.Unlock()
				return match[1]
			}
		}
		mb.mu.Unlock()
		select {
		case <-mb.arrived:
		case <-deadline:
			t.Fatalf("no e-mail reached %s within 10 seconds", to)
		}
	}
}

// approverClient enrols the user and returns a client that acts with the
// user's own approver token, as a real approver does. Unlike a development
// administrator acting as the user, such a client must pass the second
// factor.
func approverClient(t *testing.T, s *keyturntest.Server, user *client.User) *client.Client {
	t.Helper()
	ctx := context.Background()
	enr, err := s.Admin().IssueEnrollment(ctx, user.UserID, false)
	if err != nil {
		t.Fatalf("issue an enrolment code for %s: %v", user.UserName, err)
	}
	out, err := (&client.Client{BaseURL: s.URL}).Enroll(ctx, enr.EnrollmentCode, "e2e")
	if err != nil {
		t.Fatalf("enrol %s: %v", user.UserName, err)
	}
	return &client.Client{BaseURL: s.URL, ApproverToken: out.ApproverToken}
}

// startVerifiedSession starts a session whose votes need a second factor.
func startVerifiedSession(t *testing.T, s *keyturntest.Server, team string) string {
	t.Helper()
	out, err := s.Admin().StartSession(context.Background(), client.StartSessionInput{
		ApprovalTeamArn:                team,
		ActionName:                     "test:RotateKey",
		Description:                    "Rotate the signing key",
		AdditionalSecurityRequirements: []string{"APPROVER_VERIFICATION_REQUIRED"},
	})
	if err != nil {
		t.Fatalf("start a session that requires verification: %v", err)
	}
	return out.SessionArn
}

func wantErrorCode(t *testing.T, err error, code, what string) {
	t.Helper()
	var apiErr *client.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("%s: error = %v, want %s", what, err, code)
	}
	if apiErr.Code != code {
		t.Fatalf("%s: error code = %s (%s), want %s", what, apiErr.Code, apiErr.Message, code)
	}
}

func TestMFATOTPVote(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := keyturntest.NewServer(t)
	team, users := s.ActiveTeam(t, "mfa-totp", 2, 2)
	alice := approverClient(t, s, users[0])

	enrolment, err := alice.EnrollTOTP(ctx, client.FactorProof{})
	if err != nil {
		t.Fatalf("enrol an authenticator: %v", err)
	}
	now := time.Now()
	confirm, _ := totp.GenerateCode(enrolment.Secret, now.Add(-30*time.Second))
	if err := alice.ConfirmTOTP(ctx, confirm); err != nil {
		t.Fatalf("confirm the authenticator: %v", err)
	}

	first := startVerifiedSession(t, s, team)
	_, err = alice.Vote(ctx, first, client.VoteInput{Response: "APPROVED"})
	wantErrorCode(t, err, "AccessDeniedException", "vote without a code")

	_, err = alice.Vote(ctx, first, client.VoteInput{Response: "APPROVED", MfaMethod: "TOTP", MfaCode: "000000"})
	wantErrorCode(t, err, "AccessDeniedException", "vote with a wrong code")

	code, _ := totp.GenerateCode(enrolment.Secret, now)
	got, err := alice.Vote(ctx, first, client.VoteInput{Response: "APPROVED", MfaMethod: "TOTP", MfaCode: code})
	if err != nil {
		t.Fatalf("vote with a fresh code: %v", err)
	}
	if got.ApproverResponses[0].Response != "APPROVED" && got.ApproverResponses[1].Response != "APPROVED" {
		t.Errorf("after the vote, responses = %+v; want one APPROVED", got.ApproverResponses)
	}

	second := startVerifiedSession(t, s, team)
	_, err = alice.Vote(ctx, second, client.VoteInput{Response: "APPROVED", MfaMethod: "TOTP", MfaCode: code})
	wantErrorCode(t, err, "AccessDeniedException", "vote with a replayed code")

	next, _ := totp.GenerateCode(enrolment.Secret, now.Add(30*time.Second))
	if _, err := alice.Vote(ctx, second, client.VoteInput{Response: "APPROVED", MfaMethod: "TOTP", MfaCode: next}); err != nil {
		t.Fatalf("vote with the next fresh code: %v", err)
	}
}

func TestMFAEmailCodeVote(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mb := startMailbox(t)
	s := keyturntest.Start(t, keyturntest.Options{SMTPAddr: mb.addr, SMTPFrom: "keyturn@example.com"})
	team, users := s.ActiveTeam(t, "mfa-email", 1, 2)
	bob := approverClient(t, s, users[1])

	if err := bob.EnrollEmail(ctx, client.FactorProof{}); err != nil {
		t.Fatalf("enrol e-mail codes: %v", err)
	}
	if err := bob.ConfirmEmail(ctx, mb.nextCode(t, users[1].Email)); err != nil {
		t.Fatalf("confirm e-mail codes with the e-mailed code: %v", err)
	}

	session := startVerifiedSession(t, s, team)
	_, err := bob.Vote(ctx, session, client.VoteInput{Response: "APPROVED"})
	wantErrorCode(t, err, "AccessDeniedException", "vote without a code")

	if err := bob.RequestVoteCode(ctx, session); err != nil {
		t.Fatalf("ask for a vote code: %v", err)
	}
	code := mb.nextCode(t, users[1].Email)
	wrong := "111111"
	if code == wrong {
		wrong = "222222"
	}
	_, err = bob.Vote(ctx, session, client.VoteInput{Response: "APPROVED", MfaMethod: "EMAIL_OTP", MfaCode: wrong})
	wantErrorCode(t, err, "AccessDeniedException", "vote with a wrong code")

	got, err := bob.Vote(ctx, session, client.VoteInput{Response: "APPROVED", MfaMethod: "EMAIL_OTP", MfaCode: code})
	if err != nil {
		t.Fatalf("vote with the e-mailed code: %v", err)
	}
	if got.Status != "APPROVED" {
		t.Errorf("session status = %s after a 1-of-2 approval, want APPROVED", got.Status)
	}

	other := startVerifiedSession(t, s, team)
	_, err = bob.Vote(ctx, other, client.VoteInput{Response: "APPROVED", MfaMethod: "EMAIL_OTP", MfaCode: code})
	wantErrorCode(t, err, "AccessDeniedException", "vote with a code already used")
}
