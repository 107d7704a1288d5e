package keyturn

import (
	"context"
	"time"
)

// Store keeps Keyturn's state. The SQLite and PostgreSQL stores implement
// it, and one conformance suite holds both to the same behaviour.
//
// Every method of Tx runs inside the transaction that Update or View opened.
// Lookups of a missing record return an *Error with ErrNotFound; inserts of
// a record whose key exists return one with ErrConflict. A database that
// cannot be reached yields ErrUnavailable.
type Store interface {
	// Update runs fn in a read-write transaction and commits it if fn
	// returns nil. Writers are serialised per record: Lock methods block
	// until no other transaction holds the record.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	Close() error
}

// Cursor is a position in a keyset-paginated list: the sort key of the last
// item of the previous page. The zero Cursor means the first page.
type Cursor struct {
	Time time.Time
	Seq  int64
	Key  string
}

// IsZero reports whether c is the start of the list.
func (c Cursor) IsZero() bool {
	return c.Time.IsZero() && c.Seq == 0 && c.Key == ""
}

// Session filter fields and operators of ListSessions.
const (
	FieldActionName     = "ActionName"
	FieldSessionStatus  = "SessionStatus"
	FieldInitiationTime = "InitiationTime"

	OpEQ          = "EQ"
	OpNE          = "NE"
	OpContains    = "CONTAINS"
	OpNotContains = "NOT_CONTAINS"
	OpGT          = "GT"
	OpLT          = "LT"
	OpGTE         = "GTE"
	OpLTE         = "LTE"
	OpBetween     = "BETWEEN"
)

// SessionFilter is one compiled ListSessions filter. Value holds the action
// name or status; From and To hold the times of an InitiationTime filter
// (From only, except for BETWEEN).
type SessionFilter struct {
	Field string
	Op    string
	Value string
	From  time.Time
	To    time.Time
}

// SessionQuery selects one page of a team's sessions, newest first, with
// ties broken by Seq, highest first.
type SessionQuery struct {
	TeamArn string
	// Now decides whether a PENDING session has expired: status filters
	// treat a PENDING session whose expiration time is not after Now as
	// FAILED.
	Now     time.Time
	Filters []SessionFilter
	After   Cursor
	Limit   int
}

// IdempotencyRecord remembers the outcome of a request that carried a
// client token, so that a replay returns the same result.
type IdempotencyRecord struct {
	// Key combines the account, region, operation and client token.
	Key          string
	RequestHash  string
	Result       []byte
	CreationTime time.Time
}

// Tx is the set of operations available inside a transaction.
type Tx interface {
	// Meta values are small named settings shared by every replica, such
	// as the key that authenticates pagination tokens.
	GetMeta(ctx context.Context, key string) (string, error)
	// PutMeta inserts or replaces a value.
	PutMeta(ctx context.Context, key, value string) error
	// CreateMeta inserts a value, or returns ErrConflict if the key exists.
	CreateMeta(ctx context.Context, key, value string) error

	CreateIdentitySource(ctx context.Context, s *IdentitySource) error
	GetIdentitySource(ctx context.Context, account, region string) (*IdentitySource, error)
	UpdateIdentitySource(ctx context.Context, s *IdentitySource) error
	DeleteIdentitySource(ctx context.Context, account, region string) error
	// ListIdentitySources returns the identity sources of the account in
	// the region. There is at most one.
	ListIdentitySources(ctx context.Context, account, region string) ([]*IdentitySource, error)

	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, account, region, id string) (*User, error)
	GetUserByName(ctx context.Context, account, region, userName string) (*User, error)
	UpdateUser(ctx context.Context, u *User) error
	DeleteUser(ctx context.Context, account, region, id string) error
	// ListUsers returns users ordered by user name, after the cursor's Key.
	ListUsers(ctx context.Context, account, region string, after Cursor, limit int) ([]*User, error)

	CreateCredential(ctx context.Context, c *Credential) error
	// GetCredentialByHash returns the credential of the kind whose hash
	// matches, in any account. In a read-write transaction it also locks the
	// credential until the transaction ends, so that a code is used once.
	GetCredentialByHash(ctx context.Context, kind, hash string) (*Credential, error)
	// ListCredentials returns the user's credentials. In a read-write
	// transaction it also locks them until the transaction ends, so that
	// checks of a second factor that change its counters serialise.
	ListCredentials(ctx context.Context, account, region, userID string) ([]*Credential, error)
	UpdateCredential(ctx context.Context, c *Credential) error
	DeleteCredential(ctx context.Context, id string) error

	CreateOneTimeCode(ctx context.Context, c *OneTimeCode) error
	// LatestOneTimeCode returns the newest code of the user for the
	// purpose, used or not, so that a code replaced by a newer one can never
	// be used again. In a read-write transaction it also locks the code
	// until the transaction ends, so that its attempts are counted one
	// check at a time.
	LatestOneTimeCode(ctx context.Context, userID, purpose string) (*OneTimeCode, error)
	UpdateOneTimeCode(ctx context.Context, c *OneTimeCode) error

	CreateTeam(ctx context.Context, t *Team) error
	GetTeam(ctx context.Context, arn string) (*Team, error)
	// LockTeam returns the team and holds it until the transaction ends.
	// Every change to a team, or to a session together with its team,
	// locks the team first, so that concurrent transactions serialise.
	LockTeam(ctx context.Context, arn string) (*Team, error)
	UpdateTeam(ctx context.Context, t *Team) error
	DeleteTeam(ctx context.Context, arn string) error
	// ListTeams returns the account's teams in the region, newest first.
	ListTeams(ctx context.Context, account, region string, after Cursor, limit int) ([]*Team, error)
	CountTeams(ctx context.Context, account, region string) (int, error)
	// CountTeamsUsingIdentitySource counts the teams of the source's account
	// and region whose approvers, in the applied configuration or a pending
	// update, come from the source.
	CountTeamsUsingIdentitySource(ctx context.Context, sourceArn string) (int, error)
	// DueTeams returns the ARNs of teams whose next deadline is not after
	// now, oldest deadline first.
	DueTeams(ctx context.Context, now time.Time, limit int) ([]string, error)

	// CreateSession stores a new session and sets its Seq.
	CreateSession(ctx context.Context, s *Session) error
	// GetSession returns the session with its votes, ordered by vote time
	// and then approver id.
	GetSession(ctx context.Context, arn string) (*Session, error)
	// GetSessionByClientToken returns the session that a requester started
	// on the team with the client token.
	GetSessionByClientToken(ctx context.Context, teamArn, requesterAccount, token string) (*Session, error)
	// UpdateSession stores the session's state. It does not change votes.
	UpdateSession(ctx context.Context, s *Session) error
	// AddVote records a vote. A second vote of the same approver in the
	// session returns ErrConflict.
	AddVote(ctx context.Context, sessionArn string, v Vote) error
	// ListSessions returns the sessions of the query, without their votes,
	// or ErrNotFound when the query's team does not exist. A store that
	// keeps ListSessions entries may return a session as its entry
	// instead; see Session.Summary.
	ListSessions(ctx context.Context, q SessionQuery) ([]*Session, error)
	// PendingSessions returns the team's sessions whose stored status is
	// PENDING, with their votes.
	PendingSessions(ctx context.Context, teamArn string) ([]*Session, error)
	// DueSessions returns the ARNs of PENDING sessions whose expiration time
	// is not after now, oldest first.
	DueSessions(ctx context.Context, now time.Time, limit int) ([]string, error)

	// PutPolicyVersion inserts or replaces one version of a policy.
	PutPolicyVersion(ctx context.Context, p *PolicyVersion) error
	// GetPolicyVersion returns the version; version 0 means the default.
	GetPolicyVersion(ctx context.Context, policyArn string, version int) (*PolicyVersion, error)
	// ListPolicies returns the default version of each policy, ordered by
	// policy ARN, after the cursor's Key.
	ListPolicies(ctx context.Context, after Cursor, limit int) ([]*PolicyVersion, error)
	// ListPolicyVersions returns a policy's versions in ascending order,
	// after the cursor's Seq.
	ListPolicyVersions(ctx context.Context, policyArn string, after Cursor, limit int) ([]*PolicyVersion, error)

	GetTags(ctx context.Context, resourceArn string) (map[string]string, error)
	// SetTags replaces all tags of the resource.
	SetTags(ctx context.Context, resourceArn string, tags map[string]string) error

	GetIdempotencyRecord(ctx context.Context, key string) (*IdempotencyRecord, error)
	PutIdempotencyRecord(ctx context.Context, r *IdempotencyRecord) error
	// DeleteIdempotencyRecords removes records created before the time.
	DeleteIdempotencyRecords(ctx context.Context, before time.Time) error

	// Export returns every record of the account, or of every account and
	// the policy catalogue when account is empty, with teams and sessions
	// in Seq order. One-time codes and idempotency records are left out:
	// they last minutes and hours.
	Export(ctx context.Context, account string) (*Snapshot, error)

	// DeleteAccount removes every record of the account: identity
	// sources, users and their credentials, teams, sessions, votes, tags
	// and idempotency records. With an empty account it removes the
	// records of every account and the policy catalogue too, leaving only
	// meta values.
	DeleteAccount(ctx context.Context, account string) error
}
