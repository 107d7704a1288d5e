package keyturn

import "time"

// Snapshot format identifiers. A reader refuses a snapshot whose format is
// not SnapshotFormat or whose version is newer than SnapshotVersion.
const (
	SnapshotFormat  = "keyturn-snapshot"
	SnapshotVersion = 1
)

// Snapshot is the whole state of a server, or of one account, as records.
// Its JSON form is the documented snapshot file format: each record has the
// JSON form of its domain type.
type Snapshot struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// CreationTime is when the snapshot was taken, on the real clock.
	CreationTime time.Time `json:"creation_time"`
	// WorkflowTime is the workflow clock when the snapshot was taken. A
	// development server that imports the snapshot moves its clock at
	// least this far, so that no record lies in its future.
	WorkflowTime time.Time `json:"workflow_time"`
	// AccountID is the account the snapshot holds, or empty for all.
	AccountID string `json:"account_id,omitempty"`

	IdentitySources []*IdentitySource `json:"identity_sources"`
	Users           []*User           `json:"users"`
	Credentials     []*Credential     `json:"credentials"`
	Teams           []*Team           `json:"teams"`
	// Sessions carry their votes.
	Sessions []*Session `json:"sessions"`
	// Policies holds every version of every policy in the catalogue, or, in
	// the snapshot of one account, of the policies its teams reference. An
	// import adds the versions the server does not have and leaves the
	// others as they are, because every account shares the catalogue.
	Policies []*PolicyVersion `json:"policies"`
	Tags     []ResourceTags   `json:"tags"`
}

// ResourceTags are the tags of one resource.
type ResourceTags struct {
	ResourceArn string            `json:"resource_arn"`
	Tags        map[string]string `json:"tags"`
}
