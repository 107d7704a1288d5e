package engine

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/keyturn/keyturn"
)

// Factor checks use the real clock. The tests compute TOTP codes for the
// current 30-second step and the next one, which the engine accepts once
// each, so that no test has to wait for a new step.

// totpCode returns the code of the secret for the time step that is steps
// away from the current one.
func totpCode(t *testing.T, secret string, steps int) string {
	t.Helper()
	at := time.Now().Add(time.Duration(steps) * totpPeriod)
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatalf("generate TOTP code: %v", err)
	}
	return code
}

// wrongTOTPCode returns a six-digit code that no step the engine accepts
// now produces.
func wrongTOTPCode(t *testing.T, secret string) string {
	t.Helper()
	valid := []string{totpCode(t, secret, -1), totpCode(t, secret, 0), totpCode(t, secret, 1), totpCode(t, secret, 2)}
	for i := 0; ; i++ {
		code := fmt.Sprintf("%06d", i)
		if !slices.Contains(valid, code) {
			return code
		}
	}
}

// enrollTOTP enrols and confirms an authenticator for the user with the
// code of the current step, and returns the secret.
func (f *fixture) enrollTOTP(u *keyturn.User) string {
	f.t.Helper()
	enrollment, err := f.eng.EnrollTOTP(f.ctx, voter(u), Proof{})
	if err != nil {
		f.t.Fatalf("EnrollTOTP: %v", err)
	}
	if err := f.eng.ConfirmTOTP(f.ctx, voter(u), totpCode(f.t, enrollment.Secret, 0)); err != nil {
		f.t.Fatalf("ConfirmTOTP: %v", err)
	}
	return enrollment.Secret
}

// verifiedSession starts a session whose votes need a second factor.
func (f *fixture) verifiedSession(teamArn string) *keyturn.Session {
	f.t.Helper()
	s, err := f.eng.StartSession(f.ctx, f.caller, StartSessionInput{
		TeamArn:                        teamArn,
		ActionName:                     deployAction,
		AdditionalSecurityRequirements: []string{keyturn.ApproverVerificationRequired},
	})
	if err != nil {
		f.t.Fatalf("StartSession: %v", err)
	}
	if !s.RequiresVerification() {
		f.t.Fatal("the session does not require verification")
	}
	return s
}

func TestTOTPEnrollment(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	u := f.addUsers(1)[0]

	enrollment, err := f.eng.EnrollTOTP(f.ctx, voter(u), Proof{})
	if err != nil {
		t.Fatalf("EnrollTOTP: %v", err)
	}
	if enrollment.Secret == "" || !strings.HasPrefix(enrollment.URL, "otpauth://totp/") {
		t.Fatalf("enrolment: got secret %q and URL %q, want a secret and an otpauth://totp/ URL", enrollment.Secret, enrollment.URL)
	}
	factors, err := f.eng.ListFactors(f.ctx, voter(u))
	if err != nil {
		t.Fatalf("ListFactors: %v", err)
	}
	if len(factors) != 1 || factors[0].Method != keyturn.MFATOTP || factors[0].Confirmed {
		t.Errorf("factors before confirmation: got %+v, want one unconfirmed TOTP factor", factors)
	}

	err = f.eng.ConfirmTOTP(f.ctx, voter(u), wrongTOTPCode(t, enrollment.Secret))
	wantCode(t, err, keyturn.ErrAccessDenied)
	// The codes of three successive steps serve three proofs below: each
	// code counts once.
	if err := f.eng.ConfirmTOTP(f.ctx, voter(u), totpCode(t, enrollment.Secret, -1)); err != nil {
		t.Fatalf("ConfirmTOTP: %v", err)
	}

	factors, err = f.eng.ListFactors(f.ctx, voter(u))
	if err != nil {
		t.Fatalf("ListFactors: %v", err)
	}
	if len(factors) != 1 || !factors[0].Confirmed {
		t.Errorf("factors after confirmation: got %+v, want one confirmed TOTP factor", factors)
	}
	_, err = f.eng.EnrollTOTP(f.ctx, voter(u), Proof{})
	wantCode(t, err, keyturn.ErrAccessDenied)
	_, err = f.eng.EnrollTOTP(f.ctx, voter(u), Proof{Method: keyturn.MFATOTP, Code: totpCode(t, enrollment.Secret, 0)})
	wantCode(t, err, keyturn.ErrConflict)
	err = f.eng.ConfirmTOTP(f.ctx, voter(u), totpCode(t, enrollment.Secret, 1))
	wantCode(t, err, keyturn.ErrConflict)

	err = f.eng.RemoveFactor(f.ctx, voter(u), keyturn.MFATOTP, Proof{})
	wantCode(t, err, keyturn.ErrAccessDenied)
	proof := Proof{Method: keyturn.MFATOTP, Code: totpCode(t, enrollment.Secret, 1)}
	if err := f.eng.RemoveFactor(f.ctx, voter(u), keyturn.MFATOTP, proof); err != nil {
		t.Fatalf("RemoveFactor with a fresh code: %v", err)
	}
	err = f.eng.RemoveFactor(f.ctx, voter(u), keyturn.MFATOTP, Proof{})
	wantCode(t, err, keyturn.ErrNotFound)
}

func TestFactorChangesNeedProof(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	u := f.addUsers(1)[0]
	f.enrollEmail(u)

	// An approver token alone cannot add a factor to vote with.
	_, err := f.eng.EnrollTOTP(f.ctx, voter(u), Proof{})
	wantCode(t, err, keyturn.ErrAccessDenied)
	_, err = f.eng.EnrollTOTP(f.ctx, voter(u), Proof{Method: keyturn.MFAEmailOTP, Code: "000000"})
	wantCode(t, err, keyturn.ErrAccessDenied)

	if err := f.eng.RequestFactorCode(f.ctx, voter(u)); err != nil {
		t.Fatalf("RequestFactorCode: %v", err)
	}
	proof := Proof{Method: keyturn.MFAEmailOTP, Code: f.mail.lastCode(t, u.Email)}
	if _, err := f.eng.EnrollTOTP(f.ctx, voter(u), proof); err != nil {
		t.Fatalf("EnrollTOTP with an e-mailed code: %v", err)
	}
	_, err = f.eng.EnrollTOTP(f.ctx, voter(u), proof)
	wantCode(t, err, keyturn.ErrAccessDenied)

	// A development administrator's delegated action needs no proof.
	delegated := voter(u)
	delegated.Delegated = true
	if err := f.eng.RemoveFactor(f.ctx, delegated, keyturn.MFAEmailOTP, Proof{}); err != nil {
		t.Errorf("delegated RemoveFactor: %v", err)
	}
}

func TestResetFactors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	u := f.addUsers(1)[0]
	f.enrollEmail(u)

	_, err := f.eng.ResetFactors(f.ctx, Caller{AccountID: testAccount, Region: testRegion, PrincipalArn: testPrincipal}, u.ID)
	wantCode(t, err, keyturn.ErrAccessDenied)
	n, err := f.eng.ResetFactors(f.ctx, f.caller, u.UserName)
	if err != nil {
		t.Fatalf("ResetFactors: %v", err)
	}
	if n != 1 {
		t.Errorf("ResetFactors removed %d credentials, want the 1 e-mail factor", n)
	}
	if _, err := f.eng.EnrollTOTP(f.ctx, voter(u), Proof{}); err != nil {
		t.Errorf("EnrollTOTP after a reset, with no factor left: %v", err)
	}
}

func TestTOTPUnconfirmedEnrollmentIsReplaced(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	u := f.addUsers(1)[0]
	first, err := f.eng.EnrollTOTP(f.ctx, voter(u), Proof{})
	if err != nil {
		t.Fatalf("EnrollTOTP: %v", err)
	}

	second, err := f.eng.EnrollTOTP(f.ctx, voter(u), Proof{})
	if err != nil {
		t.Fatalf("second EnrollTOTP: %v", err)
	}

	if first.Secret == second.Secret {
		t.Fatal("the second enrolment returned the first secret")
	}
	err = f.eng.ConfirmTOTP(f.ctx, voter(u), totpCode(t, first.Secret, 0))
	wantCode(t, err, keyturn.ErrAccessDenied)
	if err := f.eng.ConfirmTOTP(f.ctx, voter(u), totpCode(t, second.Secret, 0)); err != nil {
		t.Errorf("ConfirmTOTP with the second secret: %v", err)
	}
}

func TestVerifiedVoteWithTOTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	secret := f.enrollTOTP(users[0])
	s := f.verifiedSession(active.Arn)
	v := voter(users[0])
	confirmed := totpCode(t, secret, 0) // spent by the confirmation

	tests := []struct {
		name  string
		proof Proof
		want  keyturn.ErrorCode
	}{
		{"no proof", Proof{}, keyturn.ErrAccessDenied},
		{"method without code", Proof{Method: keyturn.MFATOTP}, keyturn.ErrAccessDenied},
		{"unknown method", Proof{Method: "SMS", Code: "123456"}, keyturn.ErrInvalid},
		{"wrong code", Proof{Method: keyturn.MFATOTP, Code: wrongTOTPCode(t, secret)}, keyturn.ErrAccessDenied},
		{"code already used", Proof{Method: keyturn.MFATOTP, Code: confirmed}, keyturn.ErrAccessDenied},
		{"e-mail code not enrolled", Proof{Method: keyturn.MFAEmailOTP, Code: "123456"}, keyturn.ErrAccessDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.eng.Vote(f.ctx, v, s.Arn, keyturn.ResponseApproved, tt.proof)
			wantCode(t, err, tt.want)
		})
	}
	if got := f.session(s.Arn); len(got.Votes) != 0 {
		t.Fatalf("got %d votes after refused attempts, want none", len(got.Votes))
	}

	fresh := totpCode(t, secret, 1)
	got, err := f.eng.Vote(f.ctx, v, s.Arn, keyturn.ResponseApproved, Proof{Method: keyturn.MFATOTP, Code: fresh})
	if err != nil {
		t.Fatalf("Vote with a fresh code: %v", err)
	}
	if len(got.Votes) != 1 || got.Votes[0].MFAMethod != keyturn.MFATOTP {
		t.Errorf("votes: got %+v, want one vote verified with TOTP", got.Votes)
	}

	// The code counted once: another session does not take it again.
	other := f.verifiedSession(active.Arn)
	_, err = f.eng.Vote(f.ctx, v, other.Arn, keyturn.ResponseApproved, Proof{Method: keyturn.MFATOTP, Code: fresh})
	wantCode(t, err, keyturn.ErrAccessDenied)

	// A session without the requirement takes a vote with no proof.
	plain := f.startSession(active.Arn)
	if _, err := f.eng.Vote(f.ctx, v, plain.Arn, keyturn.ResponseApproved, Proof{}); err != nil {
		t.Errorf("Vote without proof in a session without the requirement: %v", err)
	}
}

func TestTOTPLockout(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	secret := f.enrollTOTP(users[0])
	s := f.verifiedSession(active.Arn)
	v := voter(users[0])
	wrong := Proof{Method: keyturn.MFATOTP, Code: wrongTOTPCode(t, secret)}

	for i := range maxFailures {
		_, err := f.eng.Vote(f.ctx, v, s.Arn, keyturn.ResponseApproved, wrong)
		if keyturn.Code(err) != keyturn.ErrAccessDenied {
			t.Fatalf("wrong code %d: got %v, want access denied", i+1, err)
		}
	}

	_, err := f.eng.Vote(f.ctx, v, s.Arn, keyturn.ResponseApproved, Proof{Method: keyturn.MFATOTP, Code: totpCode(t, secret, 1)})
	wantCode(t, err, keyturn.ErrThrottled)
	if got := f.session(s.Arn); len(got.Votes) != 0 {
		t.Errorf("got %d votes while the factor is locked, want none", len(got.Votes))
	}
}

func TestVerifiedSessionDelegatedVote(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	s := f.verifiedSession(active.Arn)

	got := f.vote(users[0], s.Arn, keyturn.ResponseApproved)

	if len(got.Votes) != 1 || got.Votes[0].MFAMethod != "DELEGATED" {
		t.Errorf("votes: got %+v, want one delegated vote", got.Votes)
	}
}

// enrollEmail enrols e-mail codes for the user.
func (f *fixture) enrollEmail(u *keyturn.User) {
	f.t.Helper()
	if err := f.eng.EnrollEmailOTP(f.ctx, voter(u), Proof{}); err != nil {
		f.t.Fatalf("EnrollEmailOTP: %v", err)
	}
	if err := f.eng.ConfirmEmailOTP(f.ctx, voter(u), f.mail.lastCode(f.t, u.Email)); err != nil {
		f.t.Fatalf("ConfirmEmailOTP: %v", err)
	}
}

func TestEmailOTPEnrollment(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	u := f.addUsers(1)[0]

	if err := f.eng.EnrollEmailOTP(f.ctx, voter(u), Proof{}); err != nil {
		t.Fatalf("EnrollEmailOTP: %v", err)
	}
	msgs := f.mail.messages()
	if len(msgs) != 1 || msgs[0].To != u.Email {
		t.Fatalf("messages: got %+v, want one to %s", msgs, u.Email)
	}
	code := f.mail.lastCode(t, u.Email)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	err := f.eng.ConfirmEmailOTP(f.ctx, voter(u), wrong)
	wantCode(t, err, keyturn.ErrAccessDenied)
	if err := f.eng.ConfirmEmailOTP(f.ctx, voter(u), code); err != nil {
		t.Fatalf("ConfirmEmailOTP: %v", err)
	}
	err = f.eng.ConfirmEmailOTP(f.ctx, voter(u), code)
	wantCode(t, err, keyturn.ErrAccessDenied)

	factors, err := f.eng.ListFactors(f.ctx, voter(u))
	if err != nil {
		t.Fatalf("ListFactors: %v", err)
	}
	if len(factors) != 1 || factors[0].Method != keyturn.MFAEmailOTP || !factors[0].Confirmed {
		t.Errorf("factors: got %+v, want one confirmed EMAIL_OTP factor", factors)
	}

	// A new code cannot be sent before the resend interval has passed.
	if err := f.eng.RequestFactorCode(f.ctx, voter(u)); err != nil {
		t.Fatalf("RequestFactorCode: %v", err)
	}
	err = f.eng.RequestFactorCode(f.ctx, voter(u))
	wantCode(t, err, keyturn.ErrThrottled)
	if n := len(f.mail.messages()); n != 2 {
		t.Errorf("got %d messages, want 2", n)
	}
}

func TestVerifiedVoteWithEmailCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	u := users[0]
	f.enrollEmail(u)
	s := f.verifiedSession(active.Arn)
	other := f.verifiedSession(active.Arn)

	if err := f.eng.RequestVoteCode(f.ctx, voter(u), s.Arn); err != nil {
		t.Fatalf("RequestVoteCode: %v", err)
	}
	code := f.mail.lastCode(t, u.Email)
	err := f.eng.RequestVoteCode(f.ctx, voter(u), s.Arn)
	wantCode(t, err, keyturn.ErrThrottled)

	// The code belongs to its session.
	if err := f.eng.RequestVoteCode(f.ctx, voter(u), other.Arn); err != nil {
		t.Fatalf("RequestVoteCode for the other session: %v", err)
	}
	otherCode := f.mail.lastCode(t, u.Email)
	if otherCode != code {
		_, err = f.eng.Vote(f.ctx, voter(u), other.Arn, keyturn.ResponseApproved, Proof{Method: keyturn.MFAEmailOTP, Code: code})
		wantCode(t, err, keyturn.ErrAccessDenied)
	}

	got, err := f.eng.Vote(f.ctx, voter(u), s.Arn, keyturn.ResponseApproved, Proof{Method: keyturn.MFAEmailOTP, Code: code})
	if err != nil {
		t.Fatalf("Vote with the e-mailed code: %v", err)
	}
	if len(got.Votes) != 1 || got.Votes[0].MFAMethod != keyturn.MFAEmailOTP {
		t.Errorf("votes: got %+v, want one vote verified with EMAIL_OTP", got.Votes)
	}
}

func TestEmailCodeAttemptLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	u := users[0]
	f.enrollEmail(u)
	s := f.verifiedSession(active.Arn)
	if err := f.eng.RequestVoteCode(f.ctx, voter(u), s.Arn); err != nil {
		t.Fatalf("RequestVoteCode: %v", err)
	}
	code := f.mail.lastCode(t, u.Email)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}

	for i := range maxFailures {
		_, err := f.eng.Vote(f.ctx, voter(u), s.Arn, keyturn.ResponseApproved, Proof{Method: keyturn.MFAEmailOTP, Code: wrong})
		if keyturn.Code(err) != keyturn.ErrAccessDenied {
			t.Fatalf("wrong code %d: got %v, want access denied", i+1, err)
		}
	}

	_, err := f.eng.Vote(f.ctx, voter(u), s.Arn, keyturn.ResponseApproved, Proof{Method: keyturn.MFAEmailOTP, Code: code})
	wantCode(t, err, keyturn.ErrAccessDenied)
	if got := f.session(s.Arn); len(got.Votes) != 0 {
		t.Errorf("got %d votes after the code was spent by wrong attempts, want none", len(got.Votes))
	}
}

func TestRequestVoteCodeRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	outsider := f.addUsers(1)[0]
	f.enrollEmail(outsider)
	s := f.verifiedSession(active.Arn)

	err := f.eng.RequestVoteCode(f.ctx, voter(users[0]), s.Arn)
	wantCode(t, err, keyturn.ErrConflict)
	// A user who is not an approver in the session cannot see it.
	err = f.eng.RequestVoteCode(f.ctx, voter(outsider), s.Arn)
	wantCode(t, err, keyturn.ErrNotFound)

	noMail := newFixture(t, func(c *Config) { c.EmailSender = nil })
	u := noMail.addUsers(1)[0]
	err = noMail.eng.EnrollEmailOTP(noMail.ctx, voter(u), Proof{})
	wantCode(t, err, keyturn.ErrConflict)
}

func TestSynchronizeMFA(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	f.enrollTOTP(users[0])

	view, err := f.eng.GetTeam(f.ctx, f.caller, active.Arn)
	if err != nil {
		t.Fatalf("GetTeam: %v", err)
	}
	if got := view.MFAMethods[users[0].ID]; !slices.Equal(got, []string{keyturn.MFATOTP}) {
		t.Errorf("MFAMethods of the enrolled user: got %v, want [TOTP]", got)
	}
	if got := view.ApproverByIdentity(users[0].ID).SyncedMFAMethods; len(got) != 0 {
		t.Errorf("SyncedMFAMethods before synchronisation: got %v, want none", got)
	}

	version, err := f.eng.UpdateTeam(f.ctx, f.caller, active.Arn, UpdateTeamInput{SynchronizeMFA: true})
	if err != nil {
		t.Fatalf("UpdateTeam: %v", err)
	}

	team := f.team(active.Arn)
	if version != active.VersionID || team.VersionID != active.VersionID {
		t.Errorf("version: returned %s, team %s; want the unchanged %s", version, team.VersionID, active.VersionID)
	}
	wantStatus(t, team, keyturn.TeamActive, "", false)
	if got := team.ApproverByIdentity(users[0].ID).SyncedMFAMethods; !slices.Equal(got, []string{keyturn.MFATOTP}) {
		t.Errorf("SyncedMFAMethods after synchronisation: got %v, want [TOTP]", got)
	}

	_, err = f.eng.UpdateTeam(f.ctx, f.caller, active.Arn, UpdateTeamInput{})
	wantCode(t, err, keyturn.ErrInvalid)
}
