package keyturn

import (
	"strings"
	"time"
)

// Policy types, as the MPA API names them.
const (
	PolicyAWSManaged = "AWS_MANAGED"
	PolicyAWSRAM     = "AWS_RAM"
)

// Policy version statuses, as the MPA API names them.
const (
	PolicyAttachable = "ATTACHABLE"
	PolicyDeprecated = "DEPRECATED"
)

// PolicyVersion is one version of an MPA policy: the operations that a team
// using it may approve. The catalogue holds AWS's published policies and
// those an operator adds for their own operations. Policies are global: every
// account sees the same catalogue.
type PolicyVersion struct {
	// PolicyArn is the unversioned ARN,
	// arn:aws:mpa:::aws:policy/<service principal>/<name>.
	PolicyArn        string `json:"policy_arn,omitempty"`
	Name             string `json:"name,omitempty"`
	ServicePrincipal string `json:"service_principal,omitempty"`
	VersionID        int    `json:"version_id,omitempty"`
	IsDefault        bool   `json:"is_default,omitempty"`
	Status           string `json:"status,omitempty"`
	// Actions are the operation names, such as backup:CreateRestoreAccessBackupVault,
	// that sessions of a team with this policy may request.
	Actions         []string  `json:"actions,omitempty"`
	Document        string    `json:"document,omitempty"`
	CreationTime    time.Time `json:"creation_time,omitzero"`
	LastUpdatedTime time.Time `json:"last_updated_time,omitzero"`
}

// Arn returns the qualified ARN of the version.
func (p *PolicyVersion) Arn() string {
	return PolicyVersionArn(p.PolicyArn, p.VersionID)
}

// Allows reports whether the policy version protects the action. An entry
// that ends in * protects every action that starts with the text before
// it, so deploy:* protects deploy:Promote and deploy:Rollback.
func (p *PolicyVersion) Allows(action string) bool {
	for _, a := range p.Actions {
		if a == action {
			return true
		}
		if prefix, ok := strings.CutSuffix(a, "*"); ok && strings.HasPrefix(action, prefix) {
			return true
		}
	}
	return false
}

// Tag is a key and value on a taggable resource.
type Tag struct {
	Key   string `json:"key,omitempty"`
	Value string `json:"value"`
}
