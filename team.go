package keyturn

import "time"

// TeamStatus is the coarse state of an approval team. Only an ACTIVE team
// can approve sessions.
type TeamStatus string

// Team statuses, as the MPA API names them.
const (
	TeamActive   TeamStatus = "ACTIVE"
	TeamInactive TeamStatus = "INACTIVE"
	TeamDeleting TeamStatus = "DELETING"
	TeamPending  TeamStatus = "PENDING"
)

// TeamStatusCode says where a team is in its workflow. The empty code means
// the team is idle.
type TeamStatusCode string

// Team status codes, as the MPA API names them.
const (
	TeamValidating              TeamStatusCode = "VALIDATING"
	TeamPendingActivation       TeamStatusCode = "PENDING_ACTIVATION"
	TeamFailedValidation        TeamStatusCode = "FAILED_VALIDATION"
	TeamFailedActivation        TeamStatusCode = "FAILED_ACTIVATION"
	TeamUpdatePendingApproval   TeamStatusCode = "UPDATE_PENDING_APPROVAL"
	TeamUpdatePendingActivation TeamStatusCode = "UPDATE_PENDING_ACTIVATION"
	TeamUpdateFailedApproval    TeamStatusCode = "UPDATE_FAILED_APPROVAL"
	TeamUpdateFailedActivation  TeamStatusCode = "UPDATE_FAILED_ACTIVATION"
	TeamUpdateFailedValidation  TeamStatusCode = "UPDATE_FAILED_VALIDATION"
	TeamDeletePendingApproval   TeamStatusCode = "DELETE_PENDING_APPROVAL"
	TeamDeleteFailedApproval    TeamStatusCode = "DELETE_FAILED_APPROVAL"
	TeamDeleteFailedValidation  TeamStatusCode = "DELETE_FAILED_VALIDATION"
)

// IdentityStatus is an approver's answer to the team invitation.
type IdentityStatus string

// Identity statuses, as the MPA API names them.
const (
	IdentityPending  IdentityStatus = "PENDING"
	IdentityAccepted IdentityStatus = "ACCEPTED"
	IdentityRejected IdentityStatus = "REJECTED"
	// IdentityInvalid marks an approver whose identity-store user does not
	// exist or is disabled.
	IdentityInvalid IdentityStatus = "INVALID"
)

// ApproverActivity is the kind of an approver's most recent action.
type ApproverActivity string

// Approver activities, as the MPA API names them.
const (
	ActivityVoted                 ApproverActivity = "VOTED"
	ActivityBaselined             ApproverActivity = "BASELINED"
	ActivityRespondedToInvitation ApproverActivity = "RESPONDED_TO_INVITATION"
)

// MFA method types. The MPA API defines only EMAIL_OTP; TOTP is Keyturn's
// addition for authenticator apps (RFC 6238).
const (
	MFAEmailOTP = "EMAIL_OTP"
	MFATOTP     = "TOTP"
)

// MFA sync statuses, as the MPA API names them.
const (
	MFAInSync    = "IN_SYNC"
	MFAOutOfSync = "OUT_OF_SYNC"
)

// Team is an approval team: a set of approvers who decide sessions for the
// operations that its policies protect. The store keeps the whole team,
// including any pending update, as one record.
type Team struct {
	Arn          string    `json:"arn"`
	AccountID    string    `json:"account_id,omitempty"`
	Region       string    `json:"region,omitempty"`
	Name         string    `json:"name,omitempty"`
	CreationTime time.Time `json:"creation_time,omitzero"`
	// Seq orders teams created at the same time. The store assigns it,
	// increasing with each team it creates.
	Seq int64 `json:"seq,omitempty"`

	Status        TeamStatus     `json:"status,omitempty"`
	StatusCode    TeamStatusCode `json:"status_code,omitempty"`
	StatusMessage string         `json:"status_message,omitempty"`

	// VersionID identifies the applied configuration. It changes each time
	// an update is applied.
	VersionID      string     `json:"version_id,omitempty"`
	Description    string     `json:"description,omitempty"`
	MinApprovals   int        `json:"min_approvals,omitempty"`
	Approvers      []Approver `json:"approvers,omitempty"`
	Policies       []string   `json:"policies,omitempty"` // qualified policy version ARNs, as given at creation
	LastUpdateTime time.Time  `json:"last_update_time,omitzero"`

	// ActivationDeadline is when unanswered invitations of a PENDING team
	// expire. It is zero in every other status.
	ActivationDeadline time.Time `json:"activation_deadline,omitzero"`

	// UpdateSessionArn names the session that decides PendingUpdate.
	UpdateSessionArn string         `json:"update_session_arn,omitempty"`
	PendingUpdate    *PendingUpdate `json:"pending_update,omitempty"`

	// DeletionSessionArn names the session that decides a deletion started
	// by StartActiveApprovalTeamDeletion.
	DeletionSessionArn     string    `json:"deletion_session_arn,omitempty"`
	PendingWindowDays      int       `json:"pending_window_days,omitempty"`
	DeletionStartTime      time.Time `json:"deletion_start_time,omitzero"`
	DeletionCompletionTime time.Time `json:"deletion_completion_time,omitzero"`
}

// Approver is one member of a team.
type Approver struct {
	ApproverID        string         `json:"approver_id,omitempty"`
	IdentityID        string         `json:"identity_id,omitempty"` // the identity-store user id
	IdentitySourceArn string         `json:"identity_source_arn,omitempty"`
	Status            IdentityStatus `json:"status,omitempty"`
	// ResponseTime is when the approver answered the invitation.
	ResponseTime     time.Time        `json:"response_time,omitzero"`
	LastActivity     ApproverActivity `json:"last_activity,omitempty"`
	LastActivityTime time.Time        `json:"last_activity_time,omitzero"`
	// PendingBaselineSessionArn names an open baseline session that waits
	// for this approver.
	PendingBaselineSessionArn string `json:"pending_baseline_session_arn,omitempty"`
	// SyncedMFAMethods lists the MFA method types that were enrolled when
	// the team last synchronised MFA devices. A user whose factors differ
	// from this list is OUT_OF_SYNC.
	SyncedMFAMethods []string `json:"synced_mfa_methods,omitempty"`
}

// PendingUpdate is a draft configuration of an ACTIVE team, waiting for the
// team's approval or for new approvers to accept their invitations.
type PendingUpdate struct {
	VersionID            string         `json:"version_id,omitempty"`
	Description          string         `json:"description,omitempty"`
	MinApprovals         int            `json:"min_approvals,omitempty"`
	Approvers            []Approver     `json:"approvers,omitempty"`
	Status               TeamStatus     `json:"status,omitempty"`
	StatusCode           TeamStatusCode `json:"status_code,omitempty"`
	StatusMessage        string         `json:"status_message,omitempty"`
	UpdateInitiationTime time.Time      `json:"update_initiation_time,omitzero"`
	// SynchronizeMFA records that the update asked for the
	// SYNCHRONIZE_MFA_DEVICES action.
	SynchronizeMFA bool `json:"synchronize_mfa,omitempty"`
	// ActivationDeadline is when invitations to approvers added by the
	// update expire, once the update is approved.
	ActivationDeadline time.Time `json:"activation_deadline,omitzero"`
}

// Approver returns the approver with the given id, or nil.
func (t *Team) Approver(id string) *Approver {
	for i := range t.Approvers {
		if t.Approvers[i].ApproverID == id {
			return &t.Approvers[i]
		}
	}
	return nil
}

// ApproverByIdentity returns the approver whose identity-store user is
// identityID, or nil.
func (t *Team) ApproverByIdentity(identityID string) *Approver {
	for i := range t.Approvers {
		if t.Approvers[i].IdentityID == identityID {
			return &t.Approvers[i]
		}
	}
	return nil
}

// NextDeadline returns the earliest time at which the team changes state on
// its own, or the zero time if nothing is scheduled. The background sweeper
// visits teams whose deadline has passed.
func (t *Team) NextDeadline() time.Time {
	var next time.Time
	consider := func(at time.Time) {
		if !at.IsZero() && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	if t.Status == TeamPending {
		consider(t.ActivationDeadline)
	}
	if t.Status == TeamDeleting {
		consider(t.DeletionCompletionTime)
	}
	if p := t.PendingUpdate; p != nil && p.StatusCode == TeamUpdatePendingActivation {
		consider(p.ActivationDeadline)
	}
	return next
}
