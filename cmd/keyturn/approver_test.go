package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/keyturn/keyturn/client"
)

// enroll issues an enrolment code for the user and runs approver enroll
// with it, with any extra arguments.
func enroll(t *testing.T, user string, args ...string) {
	t.Helper()
	var enrollment client.Enrollment
	runJSON(t, &enrollment, "users", "enroll", user)
	run(t, 0, append([]string{"approver", "enroll", "--code", enrollment.EnrollmentCode, "--label", "test"}, args...)...)
}

func TestApproverEnrollAndAccept(t *testing.T) {
	srv := startServer(t)
	bob := srv.CreateUser(t, "bob")
	team := srv.CreateTeam(t, "ops", 1, bob.UserID)

	enroll(t, "bob")

	path := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "keyturn", "approver.json")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("token file: %v", err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("got token file mode %o, want 600", got)
	}
	dirInfo, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if got := dirInfo.Mode().Perm(); got != 0o700 {
		t.Errorf("got token directory mode %o, want 700", got)
	}
	var saved savedToken
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &saved); err != nil {
		t.Fatalf("token file is not JSON: %v", err)
	}
	if saved.EndpointURL != srv.URL || saved.ApproverToken == "" || saved.UserID != bob.UserID {
		t.Errorf("got token file %s, want endpoint %s, a token and user id %s", b, srv.URL, bob.UserID)
	}

	// The following commands read the token file and its endpoint.
	t.Setenv("KEYTURN_ENDPOINT_URL", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "")

	var me client.Me
	runJSON(t, &me, "approver", "whoami")
	if me.User.UserName != "bob" || me.AccountID != srv.AccountID {
		t.Errorf("got whoami %+v, want bob in account %s", me, srv.AccountID)
	}

	var invitations struct{ Invitations []client.Invitation }
	runJSON(t, &invitations, "approver", "invitations")
	if len(invitations.Invitations) != 1 || invitations.Invitations[0].ApprovalTeamArn != team {
		t.Fatalf("got invitations %+v, want one to %s", invitations.Invitations, team)
	}

	r := run(t, 0, "approver", "accept", team)
	if want := "Accepted the invitation to team " + team + ". The team is ACTIVE.\n"; r.stdout != want {
		t.Errorf("got %q, want %q", r.stdout, want)
	}
	runJSON(t, &invitations, "approver", "invitations")
	if len(invitations.Invitations) != 0 {
		t.Errorf("got invitations %+v after accepting, want none", invitations.Invitations)
	}
}

func TestApproverTokenSources(t *testing.T) {
	srv := startServer(t)
	srv.CreateUser(t, "carol")
	tokenFile := filepath.Join(t.TempDir(), "carol.json")
	enroll(t, "carol", "--token-file", tokenFile)

	var saved savedToken
	b, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &saved); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"token-file flag", nil, []string{"--token-file", tokenFile}},
		{"KEYTURN_TOKEN_FILE", map[string]string{"KEYTURN_TOKEN_FILE": tokenFile}, nil},
		{"KEYTURN_APPROVER_TOKEN", map[string]string{"KEYTURN_APPROVER_TOKEN": saved.ApproverToken}, nil},
		{"as flag", nil, []string{"--as", "carol"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var me client.Me
			runJSON(t, &me, append([]string{"approver", "whoami"}, tt.args...)...)
			if me.User.UserName != "carol" {
				t.Errorf("got user %q, want carol", me.User.UserName)
			}
		})
	}

	t.Run("token file of another server", func(t *testing.T) {
		r := run(t, 1, "approver", "whoami", "--token-file", tokenFile, "--endpoint-url", "http://127.0.0.1:1")
		if !strings.Contains(r.stderr, "is for "+srv.URL) {
			t.Errorf("got stderr %q, want it to name the token's server %s", r.stderr, srv.URL)
		}
	})
	t.Run("revoked token", func(t *testing.T) {
		run(t, 0, "users", "revoke-tokens", "carol")
		r := run(t, 1, "approver", "whoami", "--token-file", tokenFile)
		if !strings.HasPrefix(r.stderr, "keyturn: AccessDeniedException: ") {
			t.Errorf("got stderr %q, want AccessDeniedException", r.stderr)
		}
	})
}

func TestApproverVotesAs(t *testing.T) {
	srv := startServer(t)
	team, users := srv.ActiveTeam(t, "deploy", 2, 3)
	session := srv.StartSession(t, team, "test:Deploy")

	r := run(t, 0, "approver", "approve", session.SessionArn, "--as", users[0].UserName)
	if !strings.Contains(r.stdout, "Voted APPROVED in session "+session.SessionArn) {
		t.Errorf("got %q, want the vote confirmed", r.stdout)
	}

	var mine client.ApproverSession
	runJSON(t, &mine, "approver", "show", session.SessionArn, "--as", users[0].UserID)
	if mine.MyVote == nil || mine.MyVote.Response != "APPROVED" {
		t.Errorf("got my vote %+v, want APPROVED", mine.MyVote)
	}

	var pending struct{ Sessions []client.ApproverSession }
	runJSON(t, &pending, "approver", "sessions", "--as", users[1].UserName)
	if len(pending.Sessions) != 1 || pending.Sessions[0].Session.SessionArn != session.SessionArn {
		t.Fatalf("got sessions %+v, want %s", pending.Sessions, session.SessionArn)
	}
	if pending.Sessions[0].MyVote != nil {
		t.Errorf("got my vote %+v before voting, want none", pending.Sessions[0].MyVote)
	}
	r = run(t, 0, "approver", "sessions", "--as", users[1].UserName)
	if !strings.Contains(r.stdout, "1 of 2") || !strings.Contains(r.stdout, session.SessionArn) {
		t.Errorf("got table %q, want the session with 1 of 2 approvals", r.stdout)
	}

	var decided client.Session
	runJSON(t, &decided, "approver", "approve", session.SessionArn, "--as", users[1].UserName)
	if decided.Status != "APPROVED" {
		t.Errorf("got status %s, want APPROVED", decided.Status)
	}

	r = run(t, 1, "approver", "reject", session.SessionArn, "--as", users[2].UserName)
	if !strings.HasPrefix(r.stderr, "keyturn: ConflictException: ") {
		t.Errorf("got stderr %q, want ConflictException for a vote in a decided session", r.stderr)
	}
}

func TestApproverDeclineAndMFA(t *testing.T) {
	srv := startServer(t)
	dave := srv.CreateUser(t, "dave")
	team := srv.CreateTeam(t, "ops", 1, dave.UserID)

	r := run(t, 0, "approver", "decline", team, "--as", "dave")
	if !strings.HasPrefix(r.stdout, "Declined the invitation to team "+team) {
		t.Errorf("got %q, want the decline confirmed", r.stdout)
	}

	var enr client.TOTPEnrollment
	runJSON(t, &enr, "approver", "mfa", "totp", "enroll", "--as", "dave")
	if enr.Secret == "" || !strings.HasPrefix(enr.OtpauthURL, "otpauth://totp/") {
		t.Errorf("got enrolment %+v, want a secret and an otpauth URL", enr)
	}
	r = run(t, 1, "approver", "mfa", "totp", "confirm", "000000", "--as", "dave")
	if !strings.HasPrefix(r.stderr, "keyturn: ") || !strings.Contains(r.stderr, "Exception: ") {
		t.Errorf("got stderr %q, want the server's error for a wrong code", r.stderr)
	}

	var me client.Me
	runJSON(t, &me, "approver", "whoami", "--as", "dave")
	if len(me.Factors) != 1 || me.Factors[0].Method != "TOTP" || me.Factors[0].Confirmed {
		t.Errorf("got factors %+v, want one unconfirmed TOTP", me.Factors)
	}
	run(t, 0, "approver", "mfa", "remove", "TOTP", "--as", "dave")
	runJSON(t, &me, "approver", "whoami", "--as", "dave")
	if len(me.Factors) != 0 {
		t.Errorf("got factors %+v after removing, want none", me.Factors)
	}
}

func TestApproverVotesWithTOTP(t *testing.T) {
	srv := startServer(t)
	team, users := srv.ActiveTeam(t, "deploy", 1, 1)
	enroll(t, users[0].UserName)

	var enr client.TOTPEnrollment
	runJSON(t, &enr, "approver", "mfa", "totp", "enroll")
	// The server accepts the codes of the current and the next 30-second
	// step, each once, so these two codes stay valid even if a step ends
	// while the test runs.
	now := time.Now()
	confirmCode, err := totp.GenerateCode(enr.Secret, now)
	if err != nil {
		t.Fatal(err)
	}
	voteCode, err := totp.GenerateCode(enr.Secret, now.Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	run(t, 0, "approver", "mfa", "totp", "confirm", confirmCode)

	var start client.Session
	runJSON(t, &start, "sessions", "start", "--team", team, "--action", "test:Deploy", "--require-mfa")
	if len(start.AdditionalSecurityRequirements) != 1 || start.AdditionalSecurityRequirements[0] != "APPROVER_VERIFICATION_REQUIRED" {
		t.Errorf("got security requirements %v, want APPROVER_VERIFICATION_REQUIRED", start.AdditionalSecurityRequirements)
	}

	r := run(t, 1, "approver", "approve", start.SessionArn)
	if !strings.HasPrefix(r.stderr, "keyturn: AccessDeniedException: ") {
		t.Errorf("got stderr %q, want AccessDeniedException for a vote without a second factor", r.stderr)
	}
	var decided client.Session
	runJSON(t, &decided, "approver", "approve", start.SessionArn, "--totp", voteCode)
	if decided.Status != "APPROVED" {
		t.Errorf("got status %s, want APPROVED", decided.Status)
	}
}
