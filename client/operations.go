package client

import (
	"context"
	"net/url"
	"strconv"
	"time"
)

// User is an identity-store user.
type User struct {
	UserID            string `json:"UserId"`
	UserName          string
	DisplayName       string
	Email             string
	Status            string
	IdentitySourceArn string
	CreationTime      time.Time
}

// CreateUserInput is the input of CreateUser.
type CreateUserInput struct {
	UserName    string
	DisplayName string `json:",omitempty"`
	Email       string `json:",omitempty"`
}

// CreateUser adds a user to the identity store of the caller's account.
// The account needs an identity source first.
func (c *Client) CreateUser(ctx context.Context, in CreateUserInput) (*User, error) {
	out := new(User)
	return out, c.do(ctx, "POST", "/keyturn/v1/users", nil, in, out, authAdmin)
}

// GetUser returns a user by id or user name.
func (c *Client) GetUser(ctx context.Context, user string) (*User, error) {
	out := new(User)
	return out, c.do(ctx, "GET", "/keyturn/v1/users/"+escape(user), nil, nil, out, authAdmin)
}

// ListUsersOutput is one page of users.
type ListUsersOutput struct {
	Users     []User
	NextToken string
}

// ListUsers returns one page of users, ordered by user name.
func (c *Client) ListUsers(ctx context.Context, maxResults int, nextToken string) (*ListUsersOutput, error) {
	q := url.Values{}
	if maxResults > 0 {
		q.Set("MaxResults", strconv.Itoa(maxResults))
	}
	if nextToken != "" {
		q.Set("NextToken", nextToken)
	}
	out := new(ListUsersOutput)
	return out, c.do(ctx, "GET", "/keyturn/v1/users", q, nil, out, authAdmin)
}

// UpdateUserInput changes a user; nil fields stay as they are.
type UpdateUserInput struct {
	DisplayName *string `json:",omitempty"`
	Email       *string `json:",omitempty"`
	Enabled     *bool   `json:",omitempty"`
}

// UpdateUser changes a user's display name, e-mail address or status.
func (c *Client) UpdateUser(ctx context.Context, user string, in UpdateUserInput) (*User, error) {
	out := new(User)
	return out, c.do(ctx, "PATCH", "/keyturn/v1/users/"+escape(user), nil, in, out, authAdmin)
}

// DeleteUser removes a user who is no approver of any team.
func (c *Client) DeleteUser(ctx context.Context, user string) error {
	return c.do(ctx, "DELETE", "/keyturn/v1/users/"+escape(user), nil, nil, nil, authAdmin)
}

// Enrollment is an issued enrolment code.
type Enrollment struct {
	UserID         string `json:"UserId"`
	EnrollmentCode string
	Emailed        bool
	ExpirationTime time.Time
}

// IssueEnrollment creates a one-time enrolment code for a user. With
// byEmail, the server e-mails the code to the user and does not return it.
func (c *Client) IssueEnrollment(ctx context.Context, user string, byEmail bool) (*Enrollment, error) {
	in := struct{ Delivery string }{"RESPONSE"}
	if byEmail {
		in.Delivery = "EMAIL"
	}
	out := new(Enrollment)
	return out, c.do(ctx, "POST", "/keyturn/v1/users/"+escape(user)+"/enrollment", nil, in, out, authAdmin)
}

// RevokeTokens deletes a user's approver tokens and enrolment codes and
// returns how many there were.
func (c *Client) RevokeTokens(ctx context.Context, user string) (int, error) {
	var out struct{ Revoked int }
	return out.Revoked, c.do(ctx, "DELETE", "/keyturn/v1/users/"+escape(user)+"/tokens", nil, nil, &out, authAdmin)
}

// EnrollOutput is the result of Enroll.
type EnrollOutput struct {
	ApproverToken string
	User          User
}

// Enroll exchanges an enrolment code for an approver token. It needs no
// credentials.
func (c *Client) Enroll(ctx context.Context, code, label string) (*EnrollOutput, error) {
	in := struct{ EnrollmentCode, Label string }{code, label}
	out := new(EnrollOutput)
	return out, c.do(ctx, "POST", "/keyturn/v1/approver/enroll", nil, in, out, authNone)
}

// ApproverResponse is one approver's answer in a session.
type ApproverResponse struct {
	ApproverID        string `json:"ApproverId"`
	IdentitySourceArn string
	IdentityID        string `json:"IdentityId"`
	Response          string
	ResponseTime      time.Time
}

// Session is a session in the shape of the MPA API's GetSession output.
type Session struct {
	SessionArn                     string
	ApprovalTeamName               string
	ApprovalTeamArn                string
	InitiationTime                 time.Time
	ExpirationTime                 time.Time
	CompletionTime                 time.Time `json:",omitzero"`
	Description                    string
	ActionName                     string
	ProtectedResourceArn           string
	RequesterServicePrincipal      string
	RequesterPrincipalArn          string
	RequesterRegion                string
	RequesterAccountID             string `json:"RequesterAccountId"`
	Status                         string
	StatusCode                     string
	StatusMessage                  string
	ActionCompletionStrategy       string
	AdditionalSecurityRequirements []string
	ApprovalStrategy               struct {
		MofN struct{ MinApprovalsRequired int }
	}
	NumberOfApprovers int
	Metadata          map[string]string
	ExecutionStatus   string
	RequesterComment  string
	ApproverResponses []ApproverResponse
}

// Decided reports whether the session has a final status.
func (s *Session) Decided() bool { return s.Status != "PENDING" && s.Status != "CREATING" }

// StartSessionInput asks a team to approve an operation.
type StartSessionInput struct {
	ApprovalTeamArn                string
	ActionName                     string
	ProtectedResourceArn           string            `json:",omitempty"`
	Description                    string            `json:",omitempty"`
	Metadata                       map[string]string `json:",omitempty"`
	RequesterComment               string            `json:",omitempty"`
	DurationMinutes                int               `json:",omitempty"`
	AdditionalSecurityRequirements []string          `json:",omitempty"`
	ClientToken                    string            `json:",omitempty"`
}

// StartSession opens a session for a protected operation.
func (c *Client) StartSession(ctx context.Context, in StartSessionInput) (*Session, error) {
	out := new(Session)
	return out, c.do(ctx, "POST", "/keyturn/v1/sessions", nil, in, out, authAdmin)
}

// GetSession returns a session of the caller's account.
func (c *Client) GetSession(ctx context.Context, arn string) (*Session, error) {
	out := new(Session)
	return out, c.do(ctx, "GET", "/keyturn/v1/sessions/"+escape(arn), nil, nil, out, authAdmin)
}

// WaitForDecision polls a session every interval until it has a final
// status or ctx ends, and returns the last state read.
func (c *Client) WaitForDecision(ctx context.Context, arn string, interval time.Duration) (*Session, error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s, err := c.GetSession(ctx, arn)
		if err != nil || s.Decided() {
			return s, err
		}
		select {
		case <-ctx.Done():
			return s, ctx.Err()
		case <-t.C:
		}
	}
}

// ReportExecution records whether an approved operation ran: EXECUTED or
// FAILED.
func (c *Client) ReportExecution(ctx context.Context, arn, status string) (*Session, error) {
	in := struct{ ExecutionStatus string }{status}
	out := new(Session)
	return out, c.do(ctx, "POST", "/keyturn/v1/sessions/"+escape(arn)+"/execution", nil, in, out, authAdmin)
}

// PutPolicyInput adds a policy version to the catalogue.
type PutPolicyInput struct {
	ServicePrincipal string
	Name             string
	Actions          []string
	Deprecated       bool `json:",omitempty"`
}

// PolicyVersion is a policy version as PutPolicy returns it.
type PolicyVersion struct {
	Arn              string
	PolicyArn        string
	VersionID        int `json:"VersionId"`
	Name             string
	ServicePrincipal string
	Actions          []string
	Status           string
}

// PutPolicy adds a new default version of a policy that protects the
// actions. It needs operator credentials.
func (c *Client) PutPolicy(ctx context.Context, in PutPolicyInput) (*PolicyVersion, error) {
	out := new(PolicyVersion)
	return out, c.do(ctx, "PUT", "/keyturn/v1/policies", nil, in, out, authAdmin)
}

// Factor is a second factor of an approver.
type Factor struct {
	Method       string
	Label        string
	Confirmed    bool
	CreationTime time.Time
	LastUsedTime time.Time `json:",omitzero"`
}

// Me describes the approver a call acts as.
type Me struct {
	User      User
	Factors   []Factor
	AccountID string `json:"AccountId"`
	Region    string
}

// Me returns the approver the client acts as, with the approver's factors.
func (c *Client) Me(ctx context.Context) (*Me, error) {
	out := new(Me)
	return out, c.do(ctx, "GET", "/keyturn/v1/approver/me", nil, nil, out, authApprover)
}

// Invitation is an open invitation to join a team.
type Invitation struct {
	ApprovalTeamArn      string
	ApprovalTeamName     string
	Description          string
	ApproverID           string `json:"ApproverId"`
	VersionID            string `json:"VersionId"`
	MinApprovalsRequired int
	NumberOfApprovers    int
	Update               bool
	ExpirationTime       time.Time
}

// ListInvitations returns the approver's open invitations.
func (c *Client) ListInvitations(ctx context.Context) ([]Invitation, error) {
	var out struct{ Invitations []Invitation }
	return out.Invitations, c.do(ctx, "GET", "/keyturn/v1/approver/invitations", nil, nil, &out, authApprover)
}

// InvitationResult is the team's state after an answer.
type InvitationResult struct {
	ApprovalTeamArn string
	Status          string
	StatusCode      string
	VersionID       string `json:"VersionId"`
}

// AnswerInvitation accepts or declines the approver's invitation to a team.
func (c *Client) AnswerInvitation(ctx context.Context, teamArn string, accept bool) (*InvitationResult, error) {
	in := struct{ Response string }{"DECLINE"}
	if accept {
		in.Response = "ACCEPT"
	}
	out := new(InvitationResult)
	return out, c.do(ctx, "POST", "/keyturn/v1/approver/invitations/"+escape(teamArn), nil, in, out, authApprover)
}

// ApproverSession is a session with the approver's own vote, if any.
type ApproverSession struct {
	Session Session
	MyVote  *struct {
		Response     string
		ResponseTime time.Time
	}
}

// ListApproverSessions returns the pending sessions in which the client's
// approver may vote.
func (c *Client) ListApproverSessions(ctx context.Context) ([]ApproverSession, error) {
	var out struct{ Sessions []ApproverSession }
	return out.Sessions, c.do(ctx, "GET", "/keyturn/v1/approver/sessions", nil, nil, &out, authApprover)
}

// GetApproverSession returns a session with the approver's vote.
func (c *Client) GetApproverSession(ctx context.Context, arn string) (*ApproverSession, error) {
	out := new(ApproverSession)
	return out, c.do(ctx, "GET", "/keyturn/v1/approver/sessions/"+escape(arn), nil, nil, out, authApprover)
}

// VoteInput is a vote, with a second factor when the session requires one.
type VoteInput struct {
	// Response is APPROVED or REJECTED.
	Response string
	// MfaMethod is TOTP or EMAIL_OTP.
	MfaMethod string `json:",omitempty"`
	MfaCode   string `json:",omitempty"`
}

// Vote casts the approver's vote in a session and returns the session as
// the vote left it.
func (c *Client) Vote(ctx context.Context, arn string, in VoteInput) (*Session, error) {
	out := new(Session)
	return out, c.do(ctx, "POST", "/keyturn/v1/approver/sessions/"+escape(arn)+"/vote", nil, in, out, authApprover)
}

// RequestVoteCode asks the server to e-mail the approver a one-time code
// for a vote in the session.
func (c *Client) RequestVoteCode(ctx context.Context, arn string) error {
	return c.do(ctx, "POST", "/keyturn/v1/approver/sessions/"+escape(arn)+"/email-code", nil, nil, nil, authApprover)
}

// TOTPEnrollment is a new authenticator secret.
type TOTPEnrollment struct {
	Secret     string
	OtpauthURL string `json:"OtpauthUrl"`
}

// FactorProof is a code from a factor the approver has, which changing
// factors needs once the approver has one. The zero value proves nothing.
type FactorProof struct {
	// MfaMethod is TOTP or EMAIL_OTP.
	MfaMethod string `json:",omitempty"`
	MfaCode   string `json:",omitempty"`
}

// EnrollTOTP starts the enrolment of an authenticator app.
func (c *Client) EnrollTOTP(ctx context.Context, proof FactorProof) (*TOTPEnrollment, error) {
	out := new(TOTPEnrollment)
	return out, c.do(ctx, "POST", "/keyturn/v1/approver/mfa/totp", nil, proof, out, authApprover)
}

// ConfirmTOTP completes an authenticator enrolment with a code from it.
func (c *Client) ConfirmTOTP(ctx context.Context, code string) error {
	return c.do(ctx, "POST", "/keyturn/v1/approver/mfa/totp/confirm", nil, struct{ Code string }{code}, nil, authApprover)
}

// EnrollEmail asks the server to e-mail a code that confirms the
// approver's address for e-mail one-time codes.
func (c *Client) EnrollEmail(ctx context.Context, proof FactorProof) error {
	return c.do(ctx, "POST", "/keyturn/v1/approver/mfa/email", nil, proof, nil, authApprover)
}

// RequestFactorCode asks the server to e-mail the approver a code that
// proves the e-mail factor before factors change.
func (c *Client) RequestFactorCode(ctx context.Context) error {
	return c.do(ctx, "POST", "/keyturn/v1/approver/mfa/email-code", nil, nil, nil, authApprover)
}

// ConfirmEmail completes the e-mail factor enrolment with the e-mailed code.
func (c *Client) ConfirmEmail(ctx context.Context, code string) error {
	return c.do(ctx, "POST", "/keyturn/v1/approver/mfa/email/confirm", nil, struct{ Code string }{code}, nil, authApprover)
}

// RemoveFactor deletes the approver's factor of the method, TOTP or
// EMAIL_OTP.
func (c *Client) RemoveFactor(ctx context.Context, method string, proof FactorProof) error {
	return c.do(ctx, "DELETE", "/keyturn/v1/approver/mfa/"+escape(method), nil, proof, nil, authApprover)
}

// ResetFactors deletes every second factor and approver token of a user
// who lost them, and returns how many it deleted. It needs identity
// administrator credentials.
func (c *Client) ResetFactors(ctx context.Context, user string) (int, error) {
	var out struct{ Removed int }
	return out.Removed, c.do(ctx, "DELETE", "/keyturn/v1/users/"+escape(user)+"/factors", nil, nil, &out, authAdmin)
}

// Clock is the workflow clock of a development server.
type Clock struct {
	Time          time.Time
	OffsetSeconds float64
	// Frozen is true while the clock stands still between moves.
	Frozen bool
}

// GetClock reads a development server's workflow clock.
func (c *Client) GetClock(ctx context.Context) (*Clock, error) {
	out := new(Clock)
	return out, c.do(ctx, "GET", "/keyturn/v1/dev/clock", nil, nil, out, authAdmin)
}

// AdvanceClock moves a development server's clock forward by d and applies
// the transitions that fall due.
func (c *Client) AdvanceClock(ctx context.Context, d time.Duration) (*Clock, error) {
	in := struct{ AdvanceSeconds float64 }{d.Seconds()}
	out := new(Clock)
	return out, c.do(ctx, "PUT", "/keyturn/v1/dev/clock", nil, in, out, authAdmin)
}

// SetClock moves a development server's clock forward to t.
func (c *Client) SetClock(ctx context.Context, t time.Time) (*Clock, error) {
	in := struct{ Time string }{t.UTC().Format(time.RFC3339Nano)}
	out := new(Clock)
	return out, c.do(ctx, "PUT", "/keyturn/v1/dev/clock", nil, in, out, authAdmin)
}

// FreezeClock stops a development server's clock at t, which must not be
// before its current time, so that times and version ids repeat from run to
// run. The clock then moves only when AdvanceClock or SetClock moves it.
func (c *Client) FreezeClock(ctx context.Context, t time.Time) (*Clock, error) {
	in := struct {
		Time   string
		Frozen bool
	}{t.UTC().Format(time.RFC3339Nano), true}
	out := new(Clock)
	return out, c.do(ctx, "PUT", "/keyturn/v1/dev/clock", nil, in, out, authAdmin)
}

// SetClockFrozen stops a development server's clock at its current time,
// or lets it run again from there when frozen is false.
func (c *Client) SetClockFrozen(ctx context.Context, frozen bool) (*Clock, error) {
	in := struct{ Frozen bool }{frozen}
	out := new(Clock)
	return out, c.do(ctx, "PUT", "/keyturn/v1/dev/clock", nil, in, out, authAdmin)
}

// Reset deletes a development server's state: the caller's account, the
// account named, or every account when account is "*".
func (c *Client) Reset(ctx context.Context, account string) error {
	in := map[string]any{}
	switch account {
	case "":
	case "*":
		in["AllAccounts"] = true
	default:
		in["AccountId"] = account
	}
	return c.do(ctx, "POST", "/keyturn/v1/dev/reset", nil, in, nil, authAdmin)
}
