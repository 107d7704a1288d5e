package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mpa"
	"github.com/pquerna/otp/totp"

	"github.com/keyturn/keyturn/client"
	"github.com/keyturn/keyturn/keyturntest"
)

// The tests in this file run a real development server with
// keyturntest.NewServer and drive its portal over HTTP, as a browser does.

func sessionPath(arn string) string {
	return "/portal/sessions/" + url.PathEscape(arn)
}

// enrollmentCode issues an enrolment code for the user.
func enrollmentCode(t *testing.T, srv *keyturntest.Server, userID string) string {
	t.Helper()
	e, err := srv.Admin().IssueEnrollment(t.Context(), userID, false)
	if err != nil {
		t.Fatalf("issue an enrolment code for %s: %v", userID, err)
	}
	return e.EnrollmentCode
}

// enrollInPortal signs a new browser in with an enrolment code for the
// user, and returns the browser and the token that the portal showed.
func enrollInPortal(t *testing.T, srv *keyturntest.Server, userID string) (*browser, string) {
	t.Helper()
	b := newBrowser(t, srv.URL)
	r := b.post("/portal/enroll", url.Values{"code": {enrollmentCode(t, srv, userID)}})
	wantStatus(t, "enrol", r, http.StatusOK)
	token := inputValue(t, r.body, "token")
	if !strings.HasPrefix(token, "ktat_") {
		t.Fatalf("enrol: the page shows token %q, want one that starts with ktat_", token)
	}
	return b, token
}

func sessionStatus(t *testing.T, srv *keyturntest.Server, arn string) string {
	t.Helper()
	out, err := srv.MPA().GetSession(t.Context(), &mpa.GetSessionInput{SessionArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetSession %s: %v", arn, err)
	}
	return string(out.Status)
}

func TestEnrolAcceptAndApprove(t *testing.T) {
	t.Parallel()
	srv := keyturntest.NewServer(t)
	ctx := t.Context()
	alice := srv.CreateUser(t, "alice")
	bob := srv.CreateUser(t, "bob")
	teamArn := srv.CreateTeam(t, "payments", 2, alice.UserID, bob.UserID)
	srv.AcceptInvitation(t, teamArn, bob.UserID)

	// Signed out, the home page leads to the sign-in page.
	b := newBrowser(t, srv.URL)
	r := b.get("/portal/")
	wantStatus(t, "home while signed out", r, http.StatusOK)
	if r.url.Path != "/portal/sign-in" {
		t.Errorf("home while signed out: ended at %s, want /portal/sign-in", r.url)
	}

	// Enrol with a code, which signs the browser in.
	r = b.post("/portal/enroll", url.Values{"code": {enrollmentCode(t, srv, alice.UserID)}, "label": {"test browser"}})
	wantStatus(t, "enrol", r, http.StatusOK)
	token := inputValue(t, r.body, "token")
	if !strings.HasPrefix(token, "ktat_") {
		t.Errorf("enrol: the page shows token %q, want one that starts with ktat_", token)
	}
	if c := b.cookie(); c == nil || c.Value != token {
		t.Errorf("enrol: cookie %v, want one that holds the token shown", c)
	}
	me, err := (&client.Client{BaseURL: srv.URL, ApproverToken: token}).Me(ctx)
	if err != nil {
		t.Fatalf("the token shown does not work on the command-line API: %v", err)
	}
	if me.User.UserID != alice.UserID {
		t.Errorf("the token shown belongs to %s, want %s", me.User.UserID, alice.UserID)
	}

	// The invitation shows on the home page; accepting it activates the team.
	r = b.get("/portal/")
	wantStatus(t, "home with an invitation", r, http.StatusOK)
	wantText(t, "home with an invitation", r, "Approval team payments")
	wantText(t, "home with an invitation", r, "2 of 2 approvers")
	wantText(t, "home with an invitation", r, teamArn)

	r = b.post("/portal/invitations", url.Values{"team": {teamArn}, "response": {"ACCEPT"}})
	wantStatus(t, "accept the invitation", r, http.StatusOK)
	if got, want := message(r), "You accepted the invitation to approval team payments. The team is ACTIVE."; got != want {
		t.Errorf("accept the invitation: message %q, want %q", got, want)
	}
	team, err := srv.MPA().GetApprovalTeam(ctx, &mpa.GetApprovalTeamInput{Arn: aws.String(teamArn)})
	if err != nil {
		t.Fatalf("GetApprovalTeam: %v", err)
	}
	if team.Status != "ACTIVE" {
		t.Errorf("team status after the portal accepted: got %s, want ACTIVE", team.Status)
	}
	wantText(t, "home after accepting", r, "You have no open invitations.")

	// A session started by an administrator shows with its details.
	session, err := srv.Admin().StartSession(ctx, client.StartSessionInput{
		ApprovalTeamArn:      teamArn,
		ActionName:           "test:PromoteToProduction",
		ProtectedResourceArn: "arn:aws:deploy:us-east-1:111122223333:app/shop",
		Description:          "Promote build <42> & tag it",
		RequesterComment:     "Release train 7",
		Metadata:             map[string]string{"ticket": "OPS-1234", "build": "42"},
	})
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	r = b.get("/portal/")
	for _, text := range []string{
		"test:PromoteToProduction",
		"arn:aws:deploy:us-east-1:111122223333:app/shop",
		"Promote build <42> & tag it",
		"Release train 7",
		"OPS-1234",
		"PENDING: 0 of 2 required approvals",
		sessionPath(session.SessionArn),
	} {
		wantText(t, "home with a session", r, text)
	}
	if strings.Contains(r.body, "<42>") {
		t.Errorf("home with a session: the description is not HTML-escaped")
	}

	// Bob votes first, so the session page lists his response.
	srv.Vote(t, session.SessionArn, bob.UserID, "APPROVED")
	r = b.get(sessionPath(session.SessionArn))
	wantStatus(t, "session page", r, http.StatusOK)
	wantText(t, "session page", r, "Your vote is final")
	if !regexp.MustCompile(`<td>bob</td>\s*<td>APPROVED</td>`).MatchString(r.body) {
		t.Errorf("session page: bob's response is not listed as APPROVED; page:\n%s", r.body)
	}
	if !regexp.MustCompile(`<td>alice \(you\)</td>\s*<td>No response yet</td>`).MatchString(r.body) {
		t.Errorf("session page: alice's response is not listed as missing; page:\n%s", r.body)
	}

	// Alice's approval is the second of two, so it approves the session.
	r = b.post(sessionPath(session.SessionArn)+"/vote", url.Values{"response": {"APPROVED"}})
	wantStatus(t, "approve", r, http.StatusOK)
	if got, want := message(r), "Your vote to approve is recorded. The session is APPROVED. Approved by 2 of 2 approvers."; got != want {
		t.Errorf("approve: message %q, want %q", got, want)
	}
	if got := sessionStatus(t, srv, session.SessionArn); got != "APPROVED" {
		t.Errorf("session status after the portal approved: got %s, want APPROVED", got)
	}
	if strings.Contains(r.body, `value="APPROVED">Approve</button>`) {
		t.Errorf("approve: the page still offers the vote form")
	}

	// Votes are final.
	r = b.post(sessionPath(session.SessionArn)+"/vote", url.Values{"response": {"REJECTED"}})
	wantStatus(t, "vote again", r, http.StatusConflict)
	if got := message(r); !strings.Contains(got, "no longer takes votes") {
		t.Errorf("vote again: message %q, want one that says the session takes no more votes", got)
	}
}

func TestVotePendingAndRejected(t *testing.T) {
	t.Parallel()
	srv := keyturntest.NewServer(t)
	teamArn, users := srv.ActiveTeam(t, "ops", 2, 3)
	b, _ := enrollInPortal(t, srv, users[0].UserID)

	first := srv.StartSession(t, teamArn, "test:First")
	r := b.post(sessionPath(first.SessionArn)+"/vote", url.Values{"response": {"APPROVED"}})
	wantStatus(t, "approve the first session", r, http.StatusOK)
	if got, want := message(r), "Your vote to approve is recorded. The session is still PENDING with 1 of 2 required approvals."; got != want {
		t.Errorf("approve the first session: message %q, want %q", got, want)
	}
	wantText(t, "home after a vote", b.get("/portal/"), "Your vote")
	if got := sessionStatus(t, srv, first.SessionArn); got != "PENDING" {
		t.Errorf("first session status: got %s, want PENDING", got)
	}

	// With one rejection already in, a second leaves too few approvers to
	// reach two approvals.
	second := srv.StartSession(t, teamArn, "test:Second")
	srv.Vote(t, second.SessionArn, users[1].UserID, "REJECTED")
	r = b.post(sessionPath(second.SessionArn)+"/vote", url.Values{"response": {"REJECTED"}})
	wantStatus(t, "reject the second session", r, http.StatusOK)
	if got := message(r); !strings.HasPrefix(got, "Your vote to reject is recorded. The session is REJECTED.") {
		t.Errorf("reject the second session: message %q, want one that says the session is REJECTED", got)
	}
	if got := sessionStatus(t, srv, second.SessionArn); got != "FAILED" {
		t.Errorf("second session status: got %s, want FAILED", got)
	}

	r = b.post(sessionPath(first.SessionArn)+"/vote", url.Values{"response": {"MAYBE"}})
	wantStatus(t, "vote with an invalid response", r, http.StatusBadRequest)
}

// totpCodeOtherThan returns a 6-digit code that none of the steps around
// now accepts.
func totpCodeOtherThan(t *testing.T, secret string) string {
	t.Helper()
	valid := map[string]bool{}
	for _, d := range []time.Duration{-time.Minute, -30 * time.Second, 0, 30 * time.Second, time.Minute} {
		code, err := totp.GenerateCode(secret, time.Now().Add(d))
		if err != nil {
			t.Fatalf("generate a TOTP code: %v", err)
		}
		valid[code] = true
	}
	for _, code := range []string{"000000", "111111", "222222", "333333", "444444", "555555"} {
		if !valid[code] {
			return code
		}
	}
	t.Fatal("every candidate code is valid now")
	return ""
}

func TestVoteRequiresVerification(t *testing.T) {
	t.Parallel()
	srv := keyturntest.NewServer(t)
	teamArn, users := srv.ActiveTeam(t, "guarded", 1, 2)
	b, _ := enrollInPortal(t, srv, users[0].UserID)

	// Enrol an authenticator app.
	r := b.post("/portal/factors/totp", nil)
	wantStatus(t, "start the authenticator enrolment", r, http.StatusOK)
	secret := inputValue(t, r.body, "totp-secret")
	otpauthURL := inputValue(t, r.body, "totp-url")
	if !strings.HasPrefix(otpauthURL, "otpauth://totp/") || !strings.Contains(otpauthURL, "secret="+secret) {
		t.Errorf("otpauth URL %q does not carry the secret %q", otpauthURL, secret)
	}
	r = b.post("/portal/factors/totp/confirm", url.Values{"code": {totpCodeOtherThan(t, secret)}})
	wantStatus(t, "confirm the authenticator with a wrong code", r, http.StatusForbidden)
	now, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatalf("generate a TOTP code: %v", err)
	}
	r = b.post("/portal/factors/totp/confirm", url.Values{"code": {now[:3] + " " + now[3:]}})
	wantStatus(t, "confirm the authenticator", r, http.StatusOK)
	wantText(t, "confirm the authenticator", r, "Your authenticator app is enrolled.")

	session, err := srv.Admin().StartSession(t.Context(), client.StartSessionInput{
		ApprovalTeamArn: teamArn, ActionName: "test:RotateKeys",
		AdditionalSecurityRequirements: []string{"APPROVER_VERIFICATION_REQUIRED"},
	})
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	r = b.get(sessionPath(session.SessionArn))
	wantStatus(t, "session page", r, http.StatusOK)
	wantText(t, "session page", r, "Approver verification")
	if !strings.Contains(r.body, `<input type="hidden" name="method" value="TOTP">`) {
		t.Errorf("session page: the vote form does not select TOTP; page:\n%s", r.body)
	}
	if !strings.Contains(r.body, `<input id="code" name="code"`) {
		t.Errorf("session page: the vote form has no code field; page:\n%s", r.body)
	}
	if strings.Contains(r.body, "E-mail me a code") {
		t.Errorf("session page: offers e-mailed codes that the approver did not enrol")
	}

	votePath := sessionPath(session.SessionArn) + "/vote"
	r = b.post(votePath, url.Values{"response": {"APPROVED"}, "method": {"TOTP"}})
	wantStatus(t, "vote without a code", r, http.StatusForbidden)
	if got := message(r); !strings.Contains(got, "requires approver verification") {
		t.Errorf("vote without a code: message %q, want one about approver verification", got)
	}
	r = b.post(votePath, url.Values{"response": {"APPROVED"}, "method": {"TOTP"}, "code": {totpCodeOtherThan(t, secret)}})
	wantStatus(t, "vote with a wrong code", r, http.StatusForbidden)
	if got, want := message(r), "The authenticator code is wrong. Check the clock of the device and try the current code."; got != want {
		t.Errorf("vote with a wrong code: message %q, want %q", got, want)
	}
	if got := sessionStatus(t, srv, session.SessionArn); got != "PENDING" {
		t.Fatalf("session status after votes without a valid code: got %s, want PENDING", got)
	}

	// The confirmation spent the current step's code, so vote with the
	// next step's, which the server accepts for clock drift.
	next, err := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	if err != nil {
		t.Fatalf("generate a TOTP code: %v", err)
	}
	r = b.post(votePath, url.Values{"response": {"APPROVED"}, "method": {"TOTP"}, "code": {next}})
	wantStatus(t, "vote with a valid code", r, http.StatusOK)
	if got := message(r); !strings.Contains(got, "The session is APPROVED.") {
		t.Errorf("vote with a valid code: message %q, want one that says the session is APPROVED", got)
	}
	if got := sessionStatus(t, srv, session.SessionArn); got != "APPROVED" {
		t.Errorf("session status after a verified vote: got %s, want APPROVED", got)
	}

	// Removing the factor needs a fresh code from it, so the approver token
	// in the cookie alone cannot take the factor away. Both codes of this
	// test are spent now.
	r = b.post("/portal/factors/remove", url.Values{"method": {"TOTP"}})
	wantStatus(t, "remove the authenticator without a code", r, http.StatusForbidden)
	wantText(t, "remove the authenticator without a code", r, "Changing your factors needs a code from a factor you have")
	r = b.post("/portal/factors/remove", url.Values{"method": {"TOTP"}, "proof_method": {"TOTP"}, "proof_code": {next}})
	wantStatus(t, "remove the authenticator with a spent code", r, http.StatusForbidden)
	wantText(t, "remove the authenticator with a spent code", r, "already used")
}

func TestNoFactorForVerifiedSession(t *testing.T) {
	t.Parallel()
	srv := keyturntest.NewServer(t)
	teamArn, users := srv.ActiveTeam(t, "guarded", 1, 1)
	b, _ := enrollInPortal(t, srv, users[0].UserID)
	session, err := srv.Admin().StartSession(t.Context(), client.StartSessionInput{
		ApprovalTeamArn: teamArn, ActionName: "test:RotateKeys",
		AdditionalSecurityRequirements: []string{"APPROVER_VERIFICATION_REQUIRED"},
	})
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}

	wantText(t, "home", b.get("/portal/"), "You have no second factor.")
	r := b.get(sessionPath(session.SessionArn))
	wantText(t, "session page", r, "you have no second factor, so you cannot vote yet")
	if strings.Contains(r.body, `value="APPROVED"`) {
		t.Errorf("session page: offers a vote that cannot count")
	}

	// The test server has no SMTP server, and the engine says so.
	r = b.post("/portal/factors/email", nil)
	wantStatus(t, "enrol e-mailed codes", r, http.StatusConflict)
	if got := message(r); !strings.Contains(got, "no SMTP server configured") {
		t.Errorf("enrol e-mailed codes: message %q, want the engine's reason", got)
	}
}

func TestDeclineInvitation(t *testing.T) {
	t.Parallel()
	srv := keyturntest.NewServer(t)
	alice := srv.CreateUser(t, "alice")
	teamArn := srv.CreateTeam(t, "declined", 1, alice.UserID)
	b, _ := enrollInPortal(t, srv, alice.UserID)

	r := b.post("/portal/invitations", url.Values{"team": {teamArn}, "response": {"DECLINE"}})
	wantStatus(t, "decline", r, http.StatusOK)
	if got, want := message(r), "You declined the invitation to approval team declined."; got != want {
		t.Errorf("decline: message %q, want %q", got, want)
	}
	team, err := srv.MPA().GetApprovalTeam(t.Context(), &mpa.GetApprovalTeamInput{Arn: aws.String(teamArn)})
	if err != nil {
		t.Fatalf("GetApprovalTeam: %v", err)
	}
	if team.Status != "INACTIVE" {
		t.Errorf("team status after the decline: got %s, want INACTIVE", team.Status)
	}

	r = b.post("/portal/invitations", url.Values{"team": {teamArn}, "response": {"ACCEPT"}})
	wantStatus(t, "accept after declining", r, http.StatusConflict)
	r = b.post("/portal/invitations", url.Values{"team": {teamArn}, "response": {"MAYBE"}})
	wantStatus(t, "respond MAYBE", r, http.StatusBadRequest)
}

func TestCrossOriginPostRejected(t *testing.T) {
	t.Parallel()
	srv := keyturntest.NewServer(t)
	teamArn, users := srv.ActiveTeam(t, "ops", 1, 1)
	b, _ := enrollInPortal(t, srv, users[0].UserID)
	session := srv.StartSession(t, teamArn, "test:Deploy")

	tests := []struct {
		name    string
		headers map[string]string
	}{
		{"Sec-Fetch-Site cross-site", map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"Sec-Fetch-Site same-site", map[string]string{"Sec-Fetch-Site": "same-site"}},
		{"Origin of another host", map[string]string{"Origin": "http://attacker.example"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := b.newPost(sessionPath(session.SessionArn)+"/vote", url.Values{"response": {"APPROVED"}})
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			r := b.do(req)
			wantStatus(t, "cross-origin vote", r, http.StatusForbidden)
			wantText(t, "cross-origin vote", r, "The request came from another site, so it was rejected.")
		})
	}
	if got := sessionStatus(t, srv, session.SessionArn); got != "PENDING" {
		t.Errorf("session status after cross-origin votes: got %s, want PENDING", got)
	}

	req := b.newPost("/portal/sign-out", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	wantStatus(t, "cross-origin sign-out", b.do(req), http.StatusForbidden)
	if b.cookie() == nil {
		t.Errorf("a cross-origin sign-out cleared the cookie")
	}

	// Another site cannot sign the browser in to an account of its choice.
	other := newBrowser(t, srv.URL)
	outsider := srv.CreateUser(t, "outsider")
	req = other.newPost("/portal/enroll", url.Values{"code": {enrollmentCode(t, srv, outsider.UserID)}})
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	wantStatus(t, "cross-origin enrolment", other.do(req), http.StatusForbidden)
	if c := other.cookie(); c != nil {
		t.Errorf("a cross-origin enrolment set cookie %v", c)
	}

	// A same-origin POST still works.
	r := b.post(sessionPath(session.SessionArn)+"/vote", url.Values{"response": {"APPROVED"}})
	wantStatus(t, "same-origin vote", r, http.StatusOK)
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	srv := keyturntest.NewServer(t)
	teamArn, users := srv.ActiveTeam(t, "ops", 1, 1)
	b, _ := enrollInPortal(t, srv, users[0].UserID)
	session := srv.StartSession(t, teamArn, "test:Deploy")

	for _, path := range []string{"/portal/sign-in", "/portal/", "/portal/factors", sessionPath(session.SessionArn), "/portal/no-such-page"} {
		t.Run(path, func(t *testing.T) {
			r := b.get(path)
			csp := r.header.Get("Content-Security-Policy")
			for _, directive := range []string{"default-src 'self'", "script-src 'none'", "form-action 'self'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, directive) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, directive)
				}
			}
			for header, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "same-origin",
				"Cache-Control":          "no-store",
				"X-Frame-Options":        "DENY",
				"Content-Type":           "text/html; charset=utf-8",
			} {
				if got := r.header.Get(header); got != want {
					t.Errorf("%s: got %q, want %q", header, got, want)
				}
			}
			if strings.Contains(r.body, "<script") || strings.Contains(r.body, " style=") {
				t.Errorf("the page has inline script or style, which the policy blocks")
			}
		})
	}

	r := b.get("/portal/static/style.css")
	wantStatus(t, "stylesheet", r, http.StatusOK)
	if got := r.header.Get("Content-Type"); got != "text/css; charset=utf-8" {
		t.Errorf("stylesheet Content-Type: got %q, want text/css", got)
	}
	if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("stylesheet X-Content-Type-Options: got %q, want nosniff", got)
	}
	if r.header.Get("ETag") == "" {
		t.Errorf("stylesheet has no ETag")
	}
}

func TestCookieAttributes(t *testing.T) {
	t.Parallel()
	srv := keyturntest.NewServer(t)
	user := srv.CreateUser(t, "alice")
	b := newBrowser(t, srv.URL)

	r := b.post("/portal/enroll", url.Values{"code": {enrollmentCode(t, srv, user.UserID)}})
	wantStatus(t, "enrol", r, http.StatusOK)
	setCookie := r.header.Get("Set-Cookie")
	for _, attribute := range []string{"keyturn_portal=ktat_", "Path=/portal/", "Max-Age=43200", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(setCookie, attribute) {
			t.Errorf("Set-Cookie %q lacks %q", setCookie, attribute)
		}
	}
	if strings.Contains(setCookie, "Secure") {
		t.Errorf("Set-Cookie %q is Secure on a plain-HTTP server, so browsers would drop it", setCookie)
	}
}

func TestSignOutClearsCookie(t *testing.T) {
	t.Parallel()
	srv := keyturntest.NewServer(t)
	user := srv.CreateUser(t, "alice")
	b, token := enrollInPortal(t, srv, user.UserID)

	r := b.post("/portal/sign-out", nil)
	wantStatus(t, "sign out", r, http.StatusOK)
	if got := message(r); got != "You are signed out." {
		t.Errorf("sign out: message %q, want %q", got, "You are signed out.")
	}
	setCookie := r.header.Get("Set-Cookie")
	if !strings.HasPrefix(setCookie, "keyturn_portal=;") || !strings.Contains(setCookie, "Max-Age=0") {
		t.Errorf("sign out: Set-Cookie %q does not clear the cookie", setCookie)
	}
	if c := b.cookie(); c != nil {
		t.Errorf("sign out: the browser still holds cookie %v", c)
	}
	r = b.get("/portal/factors")
	if r.url.Path != "/portal/sign-in" {
		t.Errorf("after sign-out, /portal/factors ended at %s, want the sign-in page", r.url)
	}

	// The token itself still works, for the command line.
	if _, err := (&client.Client{BaseURL: srv.URL, ApproverToken: token}).Me(t.Context()); err != nil {
		t.Errorf("the token stopped working after a portal sign-out: %v", err)
	}
}

func TestSignInWithToken(t *testing.T) {
	t.Parallel()
	srv := keyturntest.NewServer(t)
	user := srv.CreateUser(t, "alice")
	out, err := (&client.Client{BaseURL: srv.URL}).Enroll(t.Context(), enrollmentCode(t, srv, user.UserID), "cli")
	if err != nil {
		t.Fatalf("Enroll: %v", err)
	}

	// A signed-out visit to a page comes back to it after sign-in.
	b := newBrowser(t, srv.URL)
	r := b.get("/portal/factors")
	if got, want := r.url.String(), srv.URL+"/portal/sign-in?next=%2Fportal%2Ffactors"; got != want {
		t.Errorf("signed-out visit: ended at %s, want %s", got, want)
	}
	if !strings.Contains(r.body, `name="next" value="/portal/factors"`) {
		t.Errorf("the sign-in form does not carry the page to return to; page:\n%s", r.body)
	}
	r = b.post("/portal/sign-in", url.Values{"token": {" " + out.ApproverToken + "\n"}, "next": {"/portal/factors"}})
	wantStatus(t, "sign in", r, http.StatusOK)
	if r.url.Path != "/portal/factors" {
		t.Errorf("sign in: ended at %s, want /portal/factors", r.url)
	}
	wantText(t, "sign in", r, "Signed in as")

	// Signed in, the sign-in page goes home.
	r = b.get("/portal/sign-in")
	if r.url.Path != "/portal/" {
		t.Errorf("sign-in page while signed in: ended at %s, want /portal/", r.url)
	}
}

func TestSignInRedirectsOnlyInsidePortal(t *testing.T) {
	t.Parallel()
	srv := keyturntest.NewServer(t)
	user := srv.CreateUser(t, "alice")
	out, err := (&client.Client{BaseURL: srv.URL}).Enroll(t.Context(), enrollmentCode(t, srv, user.UserID), "cli")
	if err != nil {
		t.Fatalf("Enroll: %v", err)
	}

	for _, next := range []string{
		"https://attacker.example/portal/",
		"//attacker.example/portal/",
		"/portal/../keyturn/health",
		"/portal/%2e%2e/keyturn/health",
		`/portal/\attacker.example`,
		"/keyturn/health",
		"javascript:alert(1)",
	} {
		t.Run(next, func(t *testing.T) {
			b := newBrowser(t, srv.URL).withoutRedirects()
			r := b.post("/portal/sign-in", url.Values{"token": {out.ApproverToken}, "next": {next}})
			wantStatus(t, "sign in", r, http.StatusSeeOther)
			if got := r.header.Get("Location"); got != "/portal/" {
				t.Errorf("sign in with next=%q: Location %q, want /portal/", next, got)
			}
		})
	}
}

func TestBadTokenRejected(t *testing.T) {
	t.Parallel()
	srv := keyturntest.NewServer(t)

	b := newBrowser(t, srv.URL)
	r := b.post("/portal/sign-in", url.Values{"token": {"ktat_not-a-real-token"}})
	wantStatus(t, "sign in with a bad token", r, http.StatusForbidden)
	if got, want := message(r), "The approver token is invalid or revoked. Enrol again with a new enrolment code."; got != want {
		t.Errorf("sign in with a bad token: message %q, want %q", got, want)
	}
	if c := b.cookie(); c != nil {
		t.Errorf("sign in with a bad token set cookie %v", c)
	}
	if strings.Contains(r.body, "ktat_not-a-real-token") {
		t.Errorf("the sign-in page echoes the rejected token")
	}

	r = b.post("/portal/sign-in", url.Values{"token": {""}})
	wantStatus(t, "sign in without a token", r, http.StatusBadRequest)

	r = b.post("/portal/enroll", url.Values{"code": {"ktec_used-or-wrong"}})
	wantStatus(t, "enrol with a bad code", r, http.StatusForbidden)
	if got, want := message(r), "The enrolment code is invalid, expired or already used. Ask an administrator for a new one."; got != want {
		t.Errorf("enrol with a bad code: message %q, want %q", got, want)
	}

	// A forged cookie is cleared, with the engine's reason.
	b.setCookie("ktat_forged")
	r = b.get("/portal/")
	wantStatus(t, "home with a forged cookie", r, http.StatusUnauthorized)
	wantText(t, "home with a forged cookie", r, "The approver token is invalid or revoked.")
	if c := b.cookie(); c != nil {
		t.Errorf("home with a forged cookie: the cookie %v was not cleared", c)
	}
}

func TestRevokedTokenSignsOut(t *testing.T) {
	t.Parallel()
	srv := keyturntest.NewServer(t)
	user := srv.CreateUser(t, "alice")
	b, _ := enrollInPortal(t, srv, user.UserID)
	wantStatus(t, "home", b.get("/portal/"), http.StatusOK)

	if _, err := srv.Admin().RevokeTokens(t.Context(), user.UserID); err != nil {
		t.Fatalf("RevokeTokens: %v", err)
	}
	r := b.get("/portal/factors")
	wantStatus(t, "factors after revocation", r, http.StatusUnauthorized)
	wantText(t, "factors after revocation", r, "The approver token is invalid or revoked.")
	if !strings.Contains(r.body, `name="next" value="/portal/factors"`) {
		t.Errorf("factors after revocation: the sign-in form does not return to the page")
	}
	if c := b.cookie(); c != nil {
		t.Errorf("factors after revocation: the cookie %v was not cleared", c)
	}
}

func TestDisabledUserSignsOut(t *testing.T) {
	t.Parallel()
	srv := keyturntest.NewServer(t)
	teamArn, users := srv.ActiveTeam(t, "ops", 1, 1)
	b, _ := enrollInPortal(t, srv, users[0].UserID)
	session := srv.StartSession(t, teamArn, "test:Deploy")

	disabled := false
	if _, err := srv.Admin().UpdateUser(context.Background(), users[0].UserID, client.UpdateUserInput{Enabled: &disabled}); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	r := b.post(sessionPath(session.SessionArn)+"/vote", url.Values{"response": {"APPROVED"}})
	wantStatus(t, "vote of a disabled user", r, http.StatusUnauthorized)
	if got, want := message(r), "User "+users[0].UserID+" is disabled."; got != want {
		t.Errorf("vote of a disabled user: message %q, want %q", got, want)
	}
	if c := b.cookie(); c != nil {
		t.Errorf("vote of a disabled user: the cookie %v was not cleared", c)
	}
	if got := sessionStatus(t, srv, session.SessionArn); got != "PENDING" {
		t.Errorf("session status after a disabled user's vote: got %s, want PENDING", got)
	}
}

func TestLinkFromAnotherSite(t *testing.T) {
	t.Parallel()
	srv := keyturntest.NewServer(t)
	b := newBrowser(t, srv.URL).withoutRedirects()

	// A browser does not send the SameSite=Strict cookie with a navigation
	// from another site, so the portal continues from a page of its own.
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/portal/factors", nil)
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	r := b.do(req)
	wantStatus(t, "cross-site navigation", r, http.StatusOK)
	if !strings.Contains(r.body, `<meta http-equiv="refresh" content="0; url=/portal/factors">`) {
		t.Errorf("cross-site navigation: the page does not continue to /portal/factors; page:\n%s", r.body)
	}
	if !strings.Contains(r.body, `<a href="/portal/factors">`) {
		t.Errorf("cross-site navigation: the page has no link to /portal/factors")
	}
}

func TestPortalPathWithoutSlash(t *testing.T) {
	t.Parallel()
	srv := keyturntest.NewServer(t)
	r := newBrowser(t, srv.URL).get("/portal")
	wantStatus(t, "GET /portal", r, http.StatusOK)
	if r.url.Path != "/portal/sign-in" {
		t.Errorf("GET /portal: ended at %s, want /portal/sign-in", r.url)
	}
}

func TestActionsNeedPost(t *testing.T) {
	t.Parallel()
	srv := keyturntest.NewServer(t)
	teamArn, users := srv.ActiveTeam(t, "ops", 1, 1)
	b, _ := enrollInPortal(t, srv, users[0].UserID)
	session := srv.StartSession(t, teamArn, "test:Deploy")

	// The portal has no GET handler for these paths, so the catch-all
	// answers 404 and nothing changes.
	for _, path := range []string{
		"/portal/sign-out",
		"/portal/enroll",
		"/portal/invitations",
		"/portal/factors/totp",
		"/portal/factors/remove",
		sessionPath(session.SessionArn) + "/vote?response=APPROVED",
	} {
		r := b.get(path)
		if r.status != http.StatusNotFound {
			t.Errorf("GET %s: got status %d, want %d", path, r.status, http.StatusNotFound)
		}
	}
	if b.cookie() == nil {
		t.Errorf("GET /portal/sign-out cleared the cookie")
	}
	if got := sessionStatus(t, srv, session.SessionArn); got != "PENDING" {
		t.Errorf("session status after GET .../vote: got %s, want PENDING", got)
	}
}

func TestVoteRedirectsToSession(t *testing.T) {
	t.Parallel()
	srv := keyturntest.NewServer(t)
	teamArn, users := srv.ActiveTeam(t, "redirect", 1, 2)
	b, _ := enrollInPortal(t, srv, users[0].UserID)
	session := srv.StartSession(t, teamArn, "test:Deploy")

	// The vote answers with a redirect, so that reloading the page that
	// follows reads the session instead of voting again.
	r := b.withoutRedirects().post(sessionPath(session.SessionArn)+"/vote", url.Values{"response": {"APPROVED"}})
	wantStatus(t, "vote", r, http.StatusSeeOther)
	location := r.header.Get("Location")
	if want := sessionPath(session.SessionArn) + "?voted=approved"; location != want {
		t.Fatalf("vote redirects to %q, want %q", location, want)
	}
	page := b.get(location)
	wantStatus(t, "page after the vote", page, http.StatusOK)
	wantText(t, "page after the vote", page, "Your vote to approve is recorded. The session is APPROVED.")
	if got := sessionStatus(t, srv, session.SessionArn); got != "APPROVED" {
		t.Errorf("session status after the vote: got %s, want APPROVED", got)
	}
}
