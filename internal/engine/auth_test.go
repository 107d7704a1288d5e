package engine

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keyturn/keyturn"
)

// enroll issues an enrolment code for the user and exchanges it for a
// token.
func (f *fixture) enroll(u *keyturn.User) string {
	f.t.Helper()
	enrollment, err := f.eng.IssueEnrollment(f.ctx, f.caller, u.ID, false)
	if err != nil {
		f.t.Fatalf("IssueEnrollment: %v", err)
	}
	token, _, err := f.eng.Enroll(f.ctx, enrollment.Code, "laptop")
	if err != nil {
		f.t.Fatalf("Enroll: %v", err)
	}
	return token
}

func TestEnrollAndAuthenticate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	u := f.addUsers(1)[0]

	enrollment, err := f.eng.IssueEnrollment(f.ctx, f.caller, u.UserName, false)
	if err != nil {
		t.Fatalf("IssueEnrollment: %v", err)
	}
	if !strings.HasPrefix(enrollment.Code, enrollmentPrefix) || enrollment.Emailed {
		t.Errorf("enrolment: got code %q, emailed %t; want a %s code returned, not e-mailed", enrollment.Code, enrollment.Emailed, enrollmentPrefix)
	}
	if want := testStart.Add(EnrollmentTTL); !enrollment.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt: got %s, want %s", enrollment.ExpiresAt, want)
	}

	token, enrolled, err := f.eng.Enroll(f.ctx, enrollment.Code, "laptop")
	if err != nil {
		t.Fatalf("Enroll: %v", err)
	}
	if !strings.HasPrefix(token, tokenPrefix) || enrolled.ID != u.ID {
		t.Errorf("Enroll: got token %q for user %s, want a %s token for %s", token, enrolled.ID, tokenPrefix, u.ID)
	}
	_, _, err = f.eng.Enroll(f.ctx, enrollment.Code, "laptop")
	wantCode(t, err, keyturn.ErrAccessDenied)

	v, user, err := f.eng.Authenticate(f.ctx, token)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if v != (Voter{AccountID: testAccount, Region: testRegion, UserID: u.ID}) || user.ID != u.ID {
		t.Errorf("Authenticate: got voter %+v, user %s; want user %s, not delegated", v, user.ID, u.ID)
	}

	for _, bad := range []string{"", "garbage", tokenPrefix + "nope", enrollment.Code, strings.TrimPrefix(token, tokenPrefix)} {
		_, _, err := f.eng.Authenticate(f.ctx, bad)
		wantCode(t, err, keyturn.ErrAccessDenied)
	}
}

func TestEnrollmentExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	u := f.addUsers(1)[0]
	enrollment, err := f.eng.IssueEnrollment(f.ctx, f.caller, u.ID, false)
	if err != nil {
		t.Fatalf("IssueEnrollment: %v", err)
	}

	f.clock.Advance(EnrollmentTTL)

	_, _, err = f.eng.Enroll(f.ctx, enrollment.Code, "laptop")
	wantCode(t, err, keyturn.ErrAccessDenied)
}

func TestEnrollmentReissueRevokesEarlierCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	u := f.addUsers(1)[0]
	first, err := f.eng.IssueEnrollment(f.ctx, f.caller, u.ID, false)
	if err != nil {
		t.Fatalf("IssueEnrollment: %v", err)
	}

	second, err := f.eng.IssueEnrollment(f.ctx, f.caller, u.ID, false)
	if err != nil {
		t.Fatalf("second IssueEnrollment: %v", err)
	}

	_, _, err = f.eng.Enroll(f.ctx, first.Code, "old")
	wantCode(t, err, keyturn.ErrAccessDenied)
	if _, _, err := f.eng.Enroll(f.ctx, second.Code, "new"); err != nil {
		t.Errorf("Enroll with the newest code: %v", err)
	}
}

func TestEnrollmentByEmail(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	u := f.addUsers(1)[0]

	enrollment, err := f.eng.IssueEnrollment(f.ctx, f.caller, u.ID, true)
	if err != nil {
		t.Fatalf("IssueEnrollment: %v", err)
	}

	if enrollment.Code != "" || !enrollment.Emailed {
		t.Errorf("enrolment: got code %q, emailed %t; want the code e-mailed only", enrollment.Code, enrollment.Emailed)
	}
	msgs := f.mail.messages()
	if len(msgs) != 1 || msgs[0].To != u.Email {
		t.Fatalf("messages: got %+v, want one to %s", msgs, u.Email)
	}
	code := regexp.MustCompile(enrollmentPrefix + `[a-z2-7]+`).FindString(msgs[0].Body)
	if code == "" {
		t.Fatalf("the message has no enrolment code: %q", msgs[0].Body)
	}
	if _, _, err := f.eng.Enroll(f.ctx, code, "laptop"); err != nil {
		t.Errorf("Enroll with the e-mailed code: %v", err)
	}

	noEmail, err := f.eng.CreateUser(f.ctx, f.caller, CreateUserInput{UserName: "no-email"})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	_, err = f.eng.IssueEnrollment(f.ctx, f.caller, noEmail.ID, true)
	wantCode(t, err, keyturn.ErrInvalid)

	_, err = f.eng.IssueEnrollment(f.ctx, f.caller, "nobody", false)
	wantCode(t, err, keyturn.ErrNotFound)
}

func TestRevokeTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	u := f.addUsers(1)[0]
	token := f.enroll(u)
	if _, _, err := f.eng.Authenticate(f.ctx, token); err != nil {
		t.Fatalf("Authenticate: %v", err)
	}

	_, err := f.eng.RevokeTokens(f.ctx, Caller{AccountID: testAccount, Region: testRegion, PrincipalArn: testPrincipal}, u.ID)
	wantCode(t, err, keyturn.ErrAccessDenied)
	n, err := f.eng.RevokeTokens(f.ctx, f.caller, u.UserName)
	if err != nil {
		t.Fatalf("RevokeTokens: %v", err)
	}

	if n != 1 {
		t.Errorf("revoked %d credentials, want the 1 token", n)
	}
	_, _, err = f.eng.Authenticate(f.ctx, token)
	wantCode(t, err, keyturn.ErrAccessDenied)
}

func TestEnrollmentRevokesTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	u := f.addUsers(1)[0]
	token := f.enroll(u)

	// A new code ends the user's access, so that the user notices when
	// someone else enrols in their name, and the user is told by e-mail.
	if _, err := f.eng.IssueEnrollment(f.ctx, f.caller, u.ID, false); err != nil {
		t.Fatalf("IssueEnrollment: %v", err)
	}
	_, _, err := f.eng.Authenticate(f.ctx, token)
	wantCode(t, err, keyturn.ErrAccessDenied)
	msgs := f.mail.messages()
	if len(msgs) == 0 || msgs[len(msgs)-1].To != u.Email || !strings.Contains(msgs[len(msgs)-1].Body, "tokens stopped working") {
		t.Errorf("messages: got %+v, want a notice to %s that a code was issued", msgs, u.Email)
	}

	// Only identity administrators may issue codes.
	_, err = f.eng.IssueEnrollment(f.ctx, Caller{AccountID: testAccount, Region: testRegion, PrincipalArn: testPrincipal}, u.ID, false)
	wantCode(t, err, keyturn.ErrAccessDenied)
}

func TestDisabledUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	u := users[0]
	token := f.enroll(u)
	s := f.startSession(active.Arn)
	invitedUsers := f.addUsers(1)
	pending := f.createTeam(1, invitedUsers[0].ID)
	code, err := f.eng.IssueEnrollment(f.ctx, f.caller, invitedUsers[0].ID, false)
	if err != nil {
		t.Fatalf("IssueEnrollment: %v", err)
	}
	disable := func(u *keyturn.User, enabled bool) {
		t.Helper()
		if _, err := f.eng.UpdateUser(f.ctx, f.caller, u.ID, UpdateUserInput{Enabled: ptr(enabled)}); err != nil {
			t.Fatalf("UpdateUser: %v", err)
		}
	}

	disable(u, false)
	disable(invitedUsers[0], false)

	_, _, err = f.eng.Authenticate(f.ctx, token)
	wantCode(t, err, keyturn.ErrAccessDenied)
	_, _, err = f.eng.Enroll(f.ctx, code.Code, "laptop")
	wantCode(t, err, keyturn.ErrAccessDenied)
	for _, delegated := range []bool{false, true} {
		v := voter(u)
		v.Delegated = delegated
		_, err = f.eng.Vote(f.ctx, v, s.Arn, keyturn.ResponseApproved, Proof{})
		wantCode(t, err, keyturn.ErrAccessDenied)
	}
	_, err = f.eng.RespondToInvitation(f.ctx, voter(invitedUsers[0]), pending.Arn, true)
	wantCode(t, err, keyturn.ErrAccessDenied)
	_, err = f.eng.EnrollTOTP(f.ctx, voter(u), Proof{})
	wantCode(t, err, keyturn.ErrAccessDenied)
	if got := f.session(s.Arn); len(got.Votes) != 0 {
		t.Errorf("got %d votes, want none from a disabled user", len(got.Votes))
	}

	disable(u, true)
	if _, _, err := f.eng.Authenticate(f.ctx, token); err != nil {
		t.Errorf("Authenticate after the user was enabled again: %v", err)
	}
}

func TestDeleteUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	users := f.addUsers(2)
	team := f.createTeam(1, users[0].ID)
	token := f.enroll(users[1])

	err := f.eng.DeleteUser(f.ctx, f.caller, users[0].ID)
	wantCode(t, err, keyturn.ErrConflict)

	if err := f.eng.DeleteUser(f.ctx, f.caller, users[1].UserName); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err = f.eng.GetUser(f.ctx, f.caller, users[1].ID)
	wantCode(t, err, keyturn.ErrNotFound)
	_, _, err = f.eng.Authenticate(f.ctx, token)
	wantCode(t, err, keyturn.ErrAccessDenied)

	if err := f.eng.DeleteInactiveTeamVersion(f.ctx, f.caller, team.Arn, team.VersionID); err != nil {
		t.Fatalf("DeleteInactiveTeamVersion: %v", err)
	}
	if err := f.eng.DeleteUser(f.ctx, f.caller, users[0].ID); err != nil {
		t.Errorf("DeleteUser after the team was deleted: %v", err)
	}
}

func TestUserRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.addUsers(1)
	tests := []struct {
		name string
		in   CreateUserInput
		want keyturn.ErrorCode
	}{
		{"empty name", CreateUserInput{UserName: ""}, keyturn.ErrInvalid},
		{"name with space", CreateUserInput{UserName: "a b"}, keyturn.ErrInvalid},
		{"name with slash", CreateUserInput{UserName: "a/b"}, keyturn.ErrInvalid},
		{"long name", CreateUserInput{UserName: strings.Repeat("a", 129)}, keyturn.ErrInvalid},
		{"bad e-mail", CreateUserInput{UserName: "bob", Email: "bob at example.com"}, keyturn.ErrInvalid},
		{"e-mail with name", CreateUserInput{UserName: "bob", Email: "Bob <bob@example.com>"}, keyturn.ErrInvalid},
		{"taken name", CreateUserInput{UserName: "user01"}, keyturn.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.eng.CreateUser(f.ctx, f.caller, tt.in)
			wantCode(t, err, tt.want)
		})
	}

	_, err := f.eng.UpdateUser(f.ctx, f.caller, "user01", UpdateUserInput{Email: ptr("not an address")})
	wantCode(t, err, keyturn.ErrInvalid)
	if got, _ := f.eng.GetUser(f.ctx, f.caller, "user01"); got.Email != "user01@example.com" {
		t.Errorf("Email after a rejected update: got %q, want the old address", got.Email)
	}
}

func TestActAs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	u := f.addUsers(1)[0]

	v, err := f.eng.ActAs(f.ctx, f.caller, u.UserName)
	if err != nil {
		t.Fatalf("ActAs: %v", err)
	}
	if v.UserID != u.ID || !v.Delegated {
		t.Errorf("ActAs: got %+v, want a delegated voter for %s", v, u.ID)
	}

	other := f.caller
	other.AccountID = "444455556666"
	_, err = f.eng.ActAs(f.ctx, other, u.UserName)
	wantCode(t, err, keyturn.ErrNotFound)
}

func TestListInvitations(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *Config) { c.InvitationTTL = time.Hour })
	users := f.addUsers(2)
	team := f.createTeam(2, userIDs(users)...)

	invitations, err := f.eng.ListInvitations(f.ctx, voter(users[0]))
	if err != nil {
		t.Fatalf("ListInvitations: %v", err)
	}
	if len(invitations) != 1 || invitations[0].TeamArn != team.Arn || invitations[0].Update {
		t.Fatalf("invitations: got %+v, want one to team %s", invitations, team.Arn)
	}
	inv := invitations[0]
	if inv.VersionID != team.VersionID || inv.MinApprovals != 2 || inv.Approvers != 2 || !inv.ExpiresAt.Equal(testStart.Add(time.Hour)) {
		t.Errorf("invitation: got %+v, want version %s, 2 of 2, expiring at %s", inv, team.VersionID, testStart.Add(time.Hour))
	}

	f.answer(team.Arn, users[0], true)
	invitations, err = f.eng.ListInvitations(f.ctx, voter(users[0]))
	if err != nil {
		t.Fatalf("ListInvitations: %v", err)
	}
	if len(invitations) != 0 {
		t.Errorf("invitations after accepting: got %+v, want none", invitations)
	}

	f.clock.Advance(time.Hour)
	invitations, err = f.eng.ListInvitations(f.ctx, voter(users[1]))
	if err != nil {
		t.Fatalf("ListInvitations: %v", err)
	}
	if len(invitations) != 0 {
		t.Errorf("invitations after expiry: got %+v, want none", invitations)
	}
}

func TestListApproverSessions(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	older := f.startSession(active.Arn)
	f.clock.Advance(time.Minute)
	newer := f.startSession(active.Arn)
	decided := f.startSession(active.Arn)
	f.vote(users[0], decided.Arn, keyturn.ResponseApproved)
	f.vote(users[1], decided.Arn, keyturn.ResponseApproved)
	f.vote(users[0], older.Arn, keyturn.ResponseRejected)

	got, err := f.eng.ListApproverSessions(f.ctx, voter(users[0]))
	if err != nil {
		t.Fatalf("ListApproverSessions: %v", err)
	}

	if len(got) != 2 || got[0].Arn != newer.Arn || got[1].Arn != older.Arn {
		t.Fatalf("got %d sessions, want the two PENDING ones, newest first", len(got))
	}
	if got[0].MyVote != nil {
		t.Errorf("MyVote in the newer session: got %+v, want none", got[0].MyVote)
	}
	if got[1].MyVote == nil || got[1].MyVote.Response != keyturn.ResponseRejected {
		t.Errorf("MyVote in the older session: got %+v, want the rejection", got[1].MyVote)
	}

	f.clock.Advance(24 * time.Hour)
	got, err = f.eng.ListApproverSessions(f.ctx, voter(users[0]))
	if err != nil {
		t.Fatalf("ListApproverSessions: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("got %d sessions after expiry, want none", len(got))
	}
}

func TestRequestersCannotAdministerIdentities(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *Config) { c.Development = false })
	team, _ := f.activeTeam(2, 1)
	requester := Caller{AccountID: testAccount, Region: testRegion, PrincipalArn: testPrincipal}

	_, err := f.eng.CreateUser(f.ctx, requester, CreateUserInput{UserName: "mallory"})
	wantCode(t, err, keyturn.ErrAccessDenied)
	if _, err := f.eng.StartSession(f.ctx, requester, StartSessionInput{TeamArn: team.Arn, ActionName: deployAction}); err != nil {
		t.Errorf("a requester starts a session: %v", err)
	}

	for name, c := range map[string]Caller{
		"identity administrator": f.caller,
		"operator":               {AccountID: testAccount, Region: testRegion, PrincipalArn: testPrincipal, Operator: true},
	} {
		_, err := f.eng.StartSession(f.ctx, c, StartSessionInput{TeamArn: team.Arn, ActionName: deployAction})
		if keyturn.Code(err) != keyturn.ErrAccessDenied {
			t.Errorf("an %s starts a session: error %v, want access denied", name, err)
		}
	}
}
