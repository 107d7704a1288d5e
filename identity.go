package keyturn

import "time"

// IdentitySourceStatus is the state of an identity source.
type IdentitySourceStatus string

// Identity source statuses, as the MPA API names them.
const (
	IdentitySourceCreating IdentitySourceStatus = "CREATING"
	IdentitySourceActive   IdentitySourceStatus = "ACTIVE"
	IdentitySourceDeleting IdentitySourceStatus = "DELETING"
	IdentitySourceError    IdentitySourceStatus = "ERROR"
)

// IdentitySourceType is the only identity source type of the MPA API.
const IdentitySourceType = "IAM_IDENTITY_CENTER"

// IdentitySource links an account to the directory of its approvers. An
// account has at most one per region. Keyturn keeps the directory itself:
// the users of an identity source are the ones added through Keyturn's API.
type IdentitySource struct {
	Arn           string               `json:"arn"`
	AccountID     string               `json:"account_id,omitempty"`
	Region        string               `json:"region,omitempty"`
	InstanceArn   string               `json:"instance_arn,omitempty"`  // the IAM Identity Center instance ARN given at creation
	SourceRegion  string               `json:"source_region,omitempty"` // the IAM Identity Center region given at creation
	PortalURL     string               `json:"portal_url,omitempty"`
	CreationTime  time.Time            `json:"creation_time,omitzero"`
	Status        IdentitySourceStatus `json:"status,omitempty"`
	StatusCode    string               `json:"status_code,omitempty"`
	StatusMessage string               `json:"status_message,omitempty"`
}

// UserStatus says whether an identity-store user may act as an approver.
type UserStatus string

// User statuses.
const (
	UserEnabled  UserStatus = "ENABLED"
	UserDisabled UserStatus = "DISABLED"
)

// User is a person in an account's identity store. The user's ID is what an
// approver's PrimaryIdentityId refers to.
type User struct {
	ID           string     `json:"id"`
	AccountID    string     `json:"account_id,omitempty"`
	Region       string     `json:"region,omitempty"`
	UserName     string     `json:"user_name,omitempty"`
	DisplayName  string     `json:"display_name,omitempty"`
	Email        string     `json:"email,omitempty"`
	Status       UserStatus `json:"status,omitempty"`
	CreationTime time.Time  `json:"creation_time,omitzero"`
}

// Credential kinds of a user.
const (
	// CredentialToken is an approver API token. Only its SHA-256 hash is
	// stored.
	CredentialToken = "TOKEN"
	// CredentialEnrollment is a one-time enrolment code that a user
	// exchanges for a token. Only its SHA-256 hash is stored.
	CredentialEnrollment = "ENROLLMENT"
	// CredentialTOTP is an authenticator app secret (RFC 6238).
	CredentialTOTP = "TOTP"
	// CredentialEmailOTP marks e-mail one-time codes as enrolled.
	CredentialEmailOTP = "EMAIL_OTP"
)

// Credential is something a user authenticates with: an API token, an
// enrolment code or a second factor.
type Credential struct {
	ID        string `json:"id"`
	UserID    string `json:"user_id,omitempty"`
	AccountID string `json:"account_id,omitempty"`
	Region    string `json:"region,omitempty"`
	Kind      string `json:"kind,omitempty"`
	// Hash is the SHA-256 of a token or code, hex encoded. Lookups go by
	// hash, so the secret itself is never stored.
	Hash string `json:"hash,omitempty"`
	// Secret is the TOTP seed. It is empty for other kinds.
	Secret       string    `json:"secret,omitempty"`
	Label        string    `json:"label,omitempty"`
	CreationTime time.Time `json:"creation_time,omitzero"`
	ExpiresAt    time.Time `json:"expires_at,omitzero"` // zero means no expiry
	LastUsedTime time.Time `json:"last_used_time,omitzero"`
	// Confirmed is false for a second factor that has not yet been proven
	// with a first code.
	Confirmed bool `json:"confirmed,omitempty"`
	// LastCounter is the last TOTP time step accepted, so that a code is
	// accepted once only.
	LastCounter int64 `json:"last_counter,omitempty"`
	// Failures counts wrong codes since the last right one. At the limit,
	// the credential is locked until LockedUntil.
	Failures    int       `json:"failures,omitempty"`
	LockedUntil time.Time `json:"locked_until,omitzero"`
}

// OneTimeCode is an e-mail one-time code issued to a user for a purpose,
// such as a vote in one session.
type OneTimeCode struct {
	ID        string    `json:"id"`
	UserID    string    `json:"user_id,omitempty"`
	AccountID string    `json:"account_id,omitempty"`
	Region    string    `json:"region,omitempty"`
	Purpose   string    `json:"purpose,omitempty"`
	Hash      string    `json:"hash,omitempty"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	Attempts  int       `json:"attempts,omitempty"`
	Used      bool      `json:"used,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}
