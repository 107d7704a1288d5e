package engine

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"sort"

	"github.com/keyturn/keyturn"
)

// builtinPolicies are the MPA policies that AWS publishes, with the
// operations they protect. AWS Backup's policy covers the vault operations
// that its documentation lists as protected by multi-party approval.
var builtinPolicies = []PutPolicyInput{
	{
		ServicePrincipal: "backup.amazonaws.com",
		Name:             "CreateRestoreAccessVault",
		Actions: []string{
			"backup:CreateRestoreAccessBackupVault",
			"backup:AssociateBackupVaultMpaApprovalTeam",
			"backup:DisassociateBackupVaultMpaApprovalTeam",
			"backup:RevokeRestoreAccessBackupVault",
		},
	},
}

// PutPolicyInput adds a version of a policy to the catalogue.
type PutPolicyInput struct {
	// ServicePrincipal names the service whose operations the policy
	// protects, such as deploy.example.com.
	ServicePrincipal string
	// Name is the policy name, unique within the service principal.
	Name string
	// Actions are the operations that sessions of a team with the policy may
	// request, such as deploy:PromoteToProduction.
	Actions []string
	// Deprecated versions stay readable but cannot be attached to new
	// teams.
	Deprecated bool
}

var (
	policyNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,64}$`)
	principalRE  = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,100}$`)
	actionRE     = regexp.MustCompile(`^[a-zA-Z0-9_.-]+:[a-zA-Z0-9_.*-]+$`)
)

// EnsureCatalogue adds AWS's published policies to the store when they are
// missing. The server calls it at start.
func (e *Engine) EnsureCatalogue(ctx context.Context) error {
	return e.store.Update(ctx, func(tx keyturn.Tx) error {
		for _, in := range builtinPolicies {
			arn := keyturn.PolicyArn(in.ServicePrincipal, in.Name)
			if _, err := tx.GetPolicyVersion(ctx, arn, 1); err == nil {
				continue
			} else if !isNotFound(err) {
				return err
			}
			if _, err := e.putPolicy(ctx, tx, in); err != nil {
				return err
			}
		}
		return nil
	})
}

// PutPolicy adds a new version of a policy to the catalogue and makes it
// the default. Only operators may change the catalogue, because it is shared
// by every account.
func (e *Engine) PutPolicy(ctx context.Context, c Caller, in PutPolicyInput) (*keyturn.PolicyVersion, error) {
	if !c.Operator {
		return nil, keyturn.Errorf(keyturn.ErrAccessDenied,
			"%s is not an operator. Only operator credentials may change the policy catalogue.", c.PrincipalArn)
	}
	var out *keyturn.PolicyVersion
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		var err error
		out, err = e.putPolicy(ctx, tx, in)
		return err
	})
	if err == nil {
		e.log.InfoContext(ctx, "policy version added", "policy_arn", out.PolicyArn, "version", out.VersionID)
	}
	return out, err
}

func (e *Engine) putPolicy(ctx context.Context, tx keyturn.Tx, in PutPolicyInput) (*keyturn.PolicyVersion, error) {
	switch {
	case !principalRE.MatchString(in.ServicePrincipal):
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "ServicePrincipal %q is invalid: it must be 1 to 100 letters, digits, dots, dashes or underscores.", in.ServicePrincipal)
	case !policyNameRE.MatchString(in.Name):
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "Name %q is invalid: it must be 1 to 64 letters, digits, dots, dashes or underscores.", in.Name)
	case len(in.Actions) == 0 || len(in.Actions) > 100:
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "Actions must list 1 to 100 operation names, such as deploy:PromoteToProduction.")
	}
	for _, a := range in.Actions {
		if len(a) > 500 || !actionRE.MatchString(a) {
			return nil, keyturn.Errorf(keyturn.ErrInvalid, "Action %q is invalid: it must have the form service:Operation and at most 500 characters.", a)
		}
	}
	arn := keyturn.PolicyArn(in.ServicePrincipal, in.Name)
	now := e.Now()
	version := 1
	created := now
	previous, err := tx.GetPolicyVersion(ctx, arn, 0)
	switch {
	case err == nil:
		version = previous.VersionID + 1
		previous.IsDefault = false
		previous.LastUpdatedTime = now
		if err := tx.PutPolicyVersion(ctx, previous); err != nil {
			return nil, err
		}
	case !isNotFound(err):
		return nil, err
	}
	status := keyturn.PolicyAttachable
	if in.Deprecated {
		status = keyturn.PolicyDeprecated
	}
	p := &keyturn.PolicyVersion{
		PolicyArn:        arn,
		Name:             in.Name,
		ServicePrincipal: in.ServicePrincipal,
		VersionID:        version,
		IsDefault:        true,
		Status:           status,
		Actions:          slices.Clone(in.Actions),
		Document:         policyDocument(in.Name, in.Actions),
		CreationTime:     created,
		LastUpdatedTime:  now,
	}
	return p, tx.PutPolicyVersion(ctx, p)
}

// policyDocument returns the policy's document: a statement that lets any
// principal start and cancel sessions for the protected operations, in the
// IAM policy grammar that AWS's MPA policies use.
func policyDocument(name string, actions []string) string {
	type statement struct {
		Sid       string
		Effect    string
		Principal map[string]string
		Action    []string
		Resource  string
		Condition map[string]map[string][]string
	}
	doc := struct {
		Version   string
		Statement []statement
	}{
		Version: "2012-10-17",
		Statement: []statement{{
			Sid:       name + "Sessions",
			Effect:    "Allow",
			Principal: map[string]string{"AWS": "*"},
			Action:    []string{"mpa:StartSession", "mpa:CancelSession"},
			Resource:  "*",
			Condition: map[string]map[string][]string{
				"StringEquals": {"mpa:RequestedOperation": actions},
			},
		}},
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return string(b)
}

// ListPolicies returns the default version of each policy in the catalogue.
func (e *Engine) ListPolicies(ctx context.Context, c Caller, p Page) ([]*keyturn.PolicyVersion, string, error) {
	bind := binding("ListPolicies")
	after, err := e.decodeToken(ctx, bind, p.NextToken)
	if err != nil {
		return nil, "", err
	}
	var out []*keyturn.PolicyVersion
	err = e.store.View(ctx, func(tx keyturn.Tx) error {
		out, err = tx.ListPolicies(ctx, after, p.limit()+1)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return pageOf(ctx, e, bind, out, p.limit(), func(v *keyturn.PolicyVersion) keyturn.Cursor {
		return keyturn.Cursor{Key: v.PolicyArn}
	})
}

// ListPolicyVersions returns the versions of a policy, oldest first.
func (e *Engine) ListPolicyVersions(ctx context.Context, c Caller, policyArn string, p Page) ([]*keyturn.PolicyVersion, string, error) {
	bind := binding("ListPolicyVersions", policyArn)
	after, err := e.decodeToken(ctx, bind, p.NextToken)
	if err != nil {
		return nil, "", err
	}
	var out []*keyturn.PolicyVersion
	err = e.store.View(ctx, func(tx keyturn.Tx) error {
		if _, err := tx.GetPolicyVersion(ctx, policyArn, 0); err != nil {
			return orNotFound(err, "Policy", policyArn)
		}
		out, err = tx.ListPolicyVersions(ctx, policyArn, after, p.limit()+1)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return pageOf(ctx, e, bind, out, p.limit(), func(v *keyturn.PolicyVersion) keyturn.Cursor {
		return keyturn.Cursor{Seq: int64(v.VersionID)}
	})
}

// GetPolicyVersion returns the version named by a qualified ARN, whose last
// part is a version number or $DEFAULT.
func (e *Engine) GetPolicyVersion(ctx context.Context, c Caller, versionArn string) (*keyturn.PolicyVersion, error) {
	policyArn, version, ok := keyturn.ParsePolicyVersionArn(versionArn)
	if !ok {
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "PolicyVersionArn %q is not a qualified policy ARN ending in a version number or $DEFAULT.", versionArn)
	}
	var out *keyturn.PolicyVersion
	err := e.store.View(ctx, func(tx keyturn.Tx) error {
		var err error
		out, err = tx.GetPolicyVersion(ctx, policyArn, version)
		return orNotFound(err, "Policy version", versionArn)
	})
	return out, err
}

// resolvePolicies looks up the policy versions that a team references. It
// returns ErrInvalid for a reference that is malformed or unknown, naming
// the reference. With attach, for a team being created, it also rejects
// DEPRECATED versions. A team that already has a version keeps using it
// after the version is deprecated.
func resolvePolicies(ctx context.Context, tx keyturn.Tx, refs []string, attach bool) ([]*keyturn.PolicyVersion, error) {
	out := make([]*keyturn.PolicyVersion, 0, len(refs))
	for i, ref := range refs {
		policyArn, version, ok := keyturn.ParsePolicyVersionArn(ref)
		if !ok {
			return nil, keyturn.Errorf(keyturn.ErrInvalid,
				"Policies[%d].PolicyArn %q is not a qualified policy ARN: it must end in a version number or $DEFAULT, as in %s/$DEFAULT.", i, ref, ref)
		}
		p, err := tx.GetPolicyVersion(ctx, policyArn, version)
		if isNotFound(err) {
			return nil, keyturn.Errorf(keyturn.ErrInvalid,
				"Policies[%d].PolicyArn %q does not name a policy version in the catalogue. ListPolicies shows the available policies.", i, ref)
		}
		if err != nil {
			return nil, err
		}
		if attach && p.Status == keyturn.PolicyDeprecated {
			return nil, keyturn.Errorf(keyturn.ErrInvalid, "Policies[%d].PolicyArn %q is DEPRECATED and cannot be attached to a team.", i, ref)
		}
		out = append(out, p)
	}
	return out, nil
}

// ResourcePolicy is a policy attached to an approval team.
type ResourcePolicy struct {
	PolicyVersionArn string
	PolicyType       string
	PolicyName       string
	Document         string
}

// ListResourcePolicies returns the policies attached to a team: one
// AWS_MANAGED entry per policy that the team references, with $DEFAULT
// resolved to the current default version.
func (e *Engine) ListResourcePolicies(ctx context.Context, c Caller, arn string, p Page) ([]ResourcePolicy, string, error) {
	bind := binding("ListResourcePolicies", c.AccountID, c.Region, arn)
	after, err := e.decodeToken(ctx, bind, p.NextToken)
	if err != nil {
		return nil, "", err
	}
	all, err := e.resourcePolicies(ctx, c, arn)
	if err != nil {
		return nil, "", err
	}
	var out []ResourcePolicy
	for _, rp := range all {
		if after.Key == "" || rp.PolicyVersionArn > after.Key {
			out = append(out, rp)
		}
	}
	return pageOf(ctx, e, bind, out, p.limit(), func(rp ResourcePolicy) keyturn.Cursor {
		return keyturn.Cursor{Key: rp.PolicyVersionArn}
	})
}

// GetResourcePolicy returns the policy of the name and type attached to a
// team. A name or type that the team does not have gives
// ErrInvalidParameter.
func (e *Engine) GetResourcePolicy(ctx context.Context, c Caller, arn, name, policyType string) (*ResourcePolicy, error) {
	if r, ok := keyturn.ParseResourceARN(arn); !ok || r.Type != "approval-team" {
		return nil, keyturn.Errorf(keyturn.ErrInvalidParameter, "ResourceArn %q is not an approval team ARN; only approval teams have resource policies.", arn)
	}
	all, err := e.resourcePolicies(ctx, c, arn)
	if err != nil {
		return nil, err
	}
	for _, rp := range all {
		if rp.PolicyName == name && rp.PolicyType == policyType {
			return &rp, nil
		}
	}
	return nil, keyturn.Errorf(keyturn.ErrInvalidParameter,
		"Approval team %s has no %s policy named %q. ListResourcePolicies shows the team's policies.", arn, policyType, name)
}

func (e *Engine) resourcePolicies(ctx context.Context, c Caller, arn string) ([]ResourcePolicy, error) {
	if err := checkOwner(c, arn, "Resource"); err != nil {
		return nil, err
	}
	var out []ResourcePolicy
	err := e.store.View(ctx, func(tx keyturn.Tx) error {
		t, err := tx.GetTeam(ctx, arn)
		if err != nil {
			return orNotFound(err, "Resource", arn)
		}
		for _, ref := range t.Policies {
			policyArn, version, _ := keyturn.ParsePolicyVersionArn(ref)
			p, err := tx.GetPolicyVersion(ctx, policyArn, version)
			if err != nil {
				if isNotFound(err) {
					continue // removed from the catalogue since
				}
				return err
			}
			out = append(out, ResourcePolicy{
				PolicyVersionArn: p.Arn(),
				PolicyType:       keyturn.PolicyAWSManaged,
				PolicyName:       p.Name,
				Document:         p.Document,
			})
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].PolicyVersionArn < out[j].PolicyVersionArn })
	return out, err
}
