package keyturn

import "time"

// SessionStatus is the state of an approval session.
type SessionStatus string

// Session statuses, as the MPA API names them. Keyturn validates a session
// while it starts it, so no session is ever stored as CREATING.
const (
	SessionPending   SessionStatus = "PENDING"
	SessionCancelled SessionStatus = "CANCELLED"
	SessionApproved  SessionStatus = "APPROVED"
	SessionFailed    SessionStatus = "FAILED"
	SessionCreating  SessionStatus = "CREATING"
)

// SessionStatusCode gives the reason for a final status.
type SessionStatusCode string

// Session status codes, as the MPA API names them.
const (
	SessionRejected              SessionStatusCode = "REJECTED"
	SessionExpired               SessionStatusCode = "EXPIRED"
	SessionConfigurationChanged  SessionStatusCode = "CONFIGURATION_CHANGED"
	SessionAllApproversResponded SessionStatusCode = "ALL_APPROVERS_IN_SESSION"
)

// ExecutionStatus is what the requester reported about running an approved
// operation.
type ExecutionStatus string

// Execution statuses, as the MPA API names them.
const (
	ExecutionPending  ExecutionStatus = "PENDING"
	ExecutionExecuted ExecutionStatus = "EXECUTED"
	ExecutionFailed   ExecutionStatus = "FAILED"
)

// Response is an approver's answer in a session.
type Response string

// Responses, as the MPA API names them.
const (
	ResponseApproved   Response = "APPROVED"
	ResponseRejected   Response = "REJECTED"
	ResponseNoResponse Response = "NO_RESPONSE"
)

// SessionKind tells what a session decides.
type SessionKind string

// Session kinds.
const (
	// KindOperation decides a protected operation started by a requester.
	KindOperation SessionKind = "OPERATION"
	// KindTeamUpdate decides a team's pending update.
	KindTeamUpdate SessionKind = "TEAM_UPDATE"
	// KindTeamDeletion decides the deletion of an active team.
	KindTeamDeletion SessionKind = "TEAM_DELETION"
	// KindBaseline collects a response from each chosen approver, to show
	// that they can still be reached.
	KindBaseline SessionKind = "BASELINE"
)

// ApproverVerificationRequired is the additional security requirement that
// makes every vote in a session need a verified second factor.
const ApproverVerificationRequired = "APPROVER_VERIFICATION_REQUIRED"

// ActionCompletionAutomatic is the only action completion strategy of the
// MPA API: the operation runs as soon as the session is approved.
const ActionCompletionAutomatic = "AUTO_COMPLETION_UPON_APPROVAL"

// Session is an approval session: one request to run a protected operation,
// decided by the votes of a team's approvers.
type Session struct {
	Arn       string      `json:"arn"`
	TeamArn   string      `json:"team_arn,omitempty"`
	TeamName  string      `json:"team_name,omitempty"`
	AccountID string      `json:"account_id,omitempty"` // the team's account
	Region    string      `json:"region,omitempty"`     // the team's region
	Kind      SessionKind `json:"kind,omitempty"`
	// Seq orders sessions that started at the same time. The store assigns
	// it, increasing with each session it creates.
	Seq int64 `json:"seq,omitempty"`

	ActionName                     string            `json:"action_name,omitempty"`
	ProtectedResourceArn           string            `json:"protected_resource_arn,omitempty"`
	Description                    string            `json:"description,omitempty"`
	Metadata                       map[string]string `json:"metadata,omitempty"`
	RequesterComment               string            `json:"requester_comment,omitempty"`
	RequesterServicePrincipal      string            `json:"requester_service_principal,omitempty"`
	RequesterPrincipalArn          string            `json:"requester_principal_arn,omitempty"`
	RequesterAccountID             string            `json:"requester_account_id,omitempty"`
	RequesterRegion                string            `json:"requester_region,omitempty"`
	AdditionalSecurityRequirements []string          `json:"additional_security_requirements,omitempty"`

	// MinApprovals and Approvers are the team's strategy and accepted
	// approvers when the session started.
	MinApprovals int               `json:"min_approvals,omitempty"`
	Approvers    []SessionApprover `json:"approvers,omitempty"`

	InitiationTime  time.Time         `json:"initiation_time,omitzero"`
	ExpirationTime  time.Time         `json:"expiration_time,omitzero"`
	CompletionTime  time.Time         `json:"completion_time,omitzero"`
	Status          SessionStatus     `json:"status,omitempty"`
	StatusCode      SessionStatusCode `json:"status_code,omitempty"`
	StatusMessage   string            `json:"status_message,omitempty"`
	ExecutionStatus ExecutionStatus   `json:"execution_status,omitempty"`

	// ClientToken makes starting a session idempotent for one requester.
	ClientToken string `json:"client_token,omitempty"`

	// Votes are the responses received so far, ordered by vote time and
	// then approver id.
	Votes []Vote `json:"votes,omitempty"`

	// Summary is the session's ListSessions entry as the wire layer encoded
	// it, when the store kept one. Only ListSessions fills it, and then
	// only the fields that order and judge the entry are set besides:
	// Arn, Seq, InitiationTime, ExpirationTime and Status.
	Summary []byte `json:"-"`
}

// SessionSummarizer encodes a session's ListSessions entry. Format names
// the encoding, so that a store can tell entries of an older encoding.
type SessionSummarizer struct {
	Format int
	Encode func(*Session) ([]byte, error)
}

// SessionApprover is an approver in a session's snapshot of its team.
type SessionApprover struct {
	ApproverID        string `json:"approver_id,omitempty"`
	IdentityID        string `json:"identity_id,omitempty"`
	IdentitySourceArn string `json:"identity_source_arn,omitempty"`
}

// Vote is one approver's response in a session. A vote is final.
type Vote struct {
	ApproverID string    `json:"approver_id,omitempty"`
	IdentityID string    `json:"identity_id,omitempty"`
	Response   Response  `json:"response,omitempty"`
	Time       time.Time `json:"time,omitzero"`
	// MFAMethod names the second factor verified for the vote, if any.
	MFAMethod string `json:"mfa_method,omitempty"`
}

// Vote returns the vote of the approver, or nil.
func (s *Session) Vote(approverID string) *Vote {
	for i := range s.Votes {
		if s.Votes[i].ApproverID == approverID {
			return &s.Votes[i]
		}
	}
	return nil
}

// Approver returns the snapshot entry for the identity-store user, or nil
// if the user is not an approver in the session.
func (s *Session) Approver(identityID string) *SessionApprover {
	for i := range s.Approvers {
		if s.Approvers[i].IdentityID == identityID {
			return &s.Approvers[i]
		}
	}
	return nil
}

// Tally counts the approvals and rejections received.
func (s *Session) Tally() (approvals, rejections int) {
	for _, v := range s.Votes {
		switch v.Response {
		case ResponseApproved:
			approvals++
		case ResponseRejected:
			rejections++
		}
	}
	return approvals, rejections
}

// RequiresVerification reports whether votes need a verified second factor.
func (s *Session) RequiresVerification() bool {
	for _, r := range s.AdditionalSecurityRequirements {
		if r == ApproverVerificationRequired {
			return true
		}
	}
	return false
}

// Expired reports whether the session is PENDING at now but its expiration
// time has passed, so that it must be treated as FAILED with EXPIRED.
func (s *Session) Expired(now time.Time) bool {
	return s.Status == SessionPending && !now.Before(s.ExpirationTime)
}

// Effective returns the session as it stands at now: a PENDING session past
// its expiration time is reported as FAILED with EXPIRED, even before the
// expiry has been stored. The receiver is not changed.
func (s *Session) Effective(now time.Time) *Session {
	if !s.Expired(now) {
		return s
	}
	c := *s
	c.Summary = nil // it shows the stored status
	c.Status = SessionFailed
	c.StatusCode = SessionExpired
	c.StatusMessage = ExpiryMessage(s.Kind)
	c.CompletionTime = s.ExpirationTime
	return &c
}

// ExpiryMessage returns the status message of a session of the kind that
// expired.
func ExpiryMessage(kind SessionKind) string {
	if kind == KindBaseline {
		return "The session expired before every chosen approver responded."
	}
	return "The session expired before it reached the required number of approvals."
}
