package engine

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/keyturn/keyturn"
)

const backupPolicy = "arn:aws:mpa:::aws:policy/backup.amazonaws.com/CreateRestoreAccessVault"

func TestIdentitySourceOnePerRegion(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)

	_, err := f.eng.CreateIdentitySource(f.ctx, f.caller, CreateIdentitySourceInput{InstanceArn: "arn:aws:sso:::instance/ssoins-2", SourceRegion: testRegion})
	wantCode(t, err, keyturn.ErrQuotaExceeded)

	west := f.caller
	west.Region = "eu-west-1"
	src, err := f.eng.CreateIdentitySource(f.ctx, west, CreateIdentitySourceInput{InstanceArn: "arn:aws:sso:::instance/ssoins-3", SourceRegion: "eu-west-1"})
	if err != nil {
		t.Fatalf("CreateIdentitySource in another region: %v", err)
	}
	if src.Arn != keyturn.IdentitySourceArn("eu-west-1", testAccount) || src.Status != keyturn.IdentitySourceActive {
		t.Errorf("identity source: got %s %s, want %s ACTIVE", src.Arn, src.Status, keyturn.IdentitySourceArn("eu-west-1", testAccount))
	}

	list, token, err := f.eng.ListIdentitySources(f.ctx, f.caller, Page{})
	if err != nil {
		t.Fatalf("ListIdentitySources: %v", err)
	}
	if len(list) != 1 || list[0].Arn != f.source || token != "" {
		t.Errorf("ListIdentitySources: got %d sources, token %q; want only %s", len(list), token, f.source)
	}
	got, err := f.eng.GetIdentitySource(f.ctx, f.caller, f.source)
	if err != nil || got.Arn != f.source {
		t.Errorf("GetIdentitySource: got %v, %v; want %s", got, err, f.source)
	}
	_, err = f.eng.GetIdentitySource(f.ctx, f.caller, src.Arn)
	wantCode(t, err, keyturn.ErrNotFound)
}

func TestIdentitySourceClientToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	other := Caller{AccountID: "444455556666", Region: testRegion, PrincipalArn: "arn:aws:iam::444455556666:role/Admin"}
	in := CreateIdentitySourceInput{InstanceArn: "arn:aws:sso:::instance/ssoins-4", SourceRegion: testRegion, ClientToken: "source-1"}
	first, err := f.eng.CreateIdentitySource(f.ctx, other, in)
	if err != nil {
		t.Fatalf("CreateIdentitySource: %v", err)
	}

	again, err := f.eng.CreateIdentitySource(f.ctx, other, in)
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if again.Arn != first.Arn {
		t.Errorf("replay: got %s, want %s", again.Arn, first.Arn)
	}
	in.SourceRegion = "eu-west-1"
	_, err = f.eng.CreateIdentitySource(f.ctx, other, in)
	wantCode(t, err, keyturn.ErrInvalid)
}

func TestDeleteIdentitySource(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	users := f.addUsers(1)
	team := f.createTeam(1, users[0].ID)
	if err := f.eng.TagResource(f.ctx, f.caller, f.source, map[string]string{"owner": "security"}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}

	err := f.eng.DeleteIdentitySource(f.ctx, f.caller, f.source)
	wantCode(t, err, keyturn.ErrConflict)

	if err := f.eng.DeleteInactiveTeamVersion(f.ctx, f.caller, team.Arn, team.VersionID); err != nil {
		t.Fatalf("DeleteInactiveTeamVersion: %v", err)
	}
	if err := f.eng.DeleteIdentitySource(f.ctx, f.caller, f.source); err != nil {
		t.Fatalf("DeleteIdentitySource: %v", err)
	}
	_, err = f.eng.GetIdentitySource(f.ctx, f.caller, f.source)
	wantCode(t, err, keyturn.ErrNotFound)
	if err := f.eng.DeleteIdentitySource(f.ctx, f.caller, f.source); err != nil {
		t.Errorf("DeleteIdentitySource of a missing source: got %v, want nil", err)
	}
	if err := f.eng.DeleteIdentitySource(f.ctx, f.caller, keyturn.IdentitySourceArn(testRegion, "444455556666")); err != nil {
		t.Errorf("DeleteIdentitySource of another account's source: got %v, want nil", err)
	}
	err = f.eng.DeleteIdentitySource(f.ctx, f.caller, "arn:aws:mpa:us-east-1:111122223333:approval-team/x")
	wantCode(t, err, keyturn.ErrInvalid)
	_, err = f.eng.CreateUser(f.ctx, f.caller, CreateUserInput{UserName: "late"})
	wantCode(t, err, keyturn.ErrConflict)

	// The users survive and come back with a new source of the same ARN.
	src, err := f.eng.CreateIdentitySource(f.ctx, f.caller, CreateIdentitySourceInput{InstanceArn: "arn:aws:sso:::instance/ssoins-5", SourceRegion: testRegion})
	if err != nil {
		t.Fatalf("CreateIdentitySource: %v", err)
	}
	if src.Arn != f.source {
		t.Errorf("new source ARN: got %s, want %s", src.Arn, f.source)
	}
	tags, err := f.eng.ListTags(f.ctx, f.caller, src.Arn)
	if err != nil {
		t.Fatalf("ListTags: %v", err)
	}
	if len(tags) != 0 {
		t.Errorf("tags of the new source: got %v, want none left from the deleted one", tags)
	}
	if _, err := f.eng.GetUser(f.ctx, f.caller, users[0].ID); err != nil {
		t.Errorf("GetUser after the source was recreated: %v", err)
	}
}

func TestDeleteIdentitySourceUsedByPendingUpdate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(2, 1)
	newcomer := f.addUsers(1)[0]
	f.proposeUpdate(active.Arn, UpdateTeamInput{Approvers: f.approverInputs(users[0].ID, newcomer.ID)})

	err := f.eng.DeleteIdentitySource(f.ctx, f.caller, f.source)
	wantCode(t, err, keyturn.ErrConflict)
}

func TestTags(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *Config) { c.MaxTagsPerResource = 3 })
	users := f.addUsers(1)
	team, err := f.eng.CreateTeam(f.ctx, f.caller, CreateTeamInput{
		Name: "tagged", Description: "Tagged.", MinApprovals: 1,
		Approvers: f.approverInputs(users[0].ID), Policies: []string{deployPolicy + "/$DEFAULT"},
		Tags: map[string]string{"env": "prod"},
	})
	if err != nil {
		t.Fatalf("CreateTeam: %v", err)
	}
	wantTags := func(want map[string]string) {
		t.Helper()
		got, err := f.eng.ListTags(f.ctx, f.caller, team.Arn)
		if err != nil {
			t.Fatalf("ListTags: %v", err)
		}
		if !maps.Equal(got, want) {
			t.Errorf("tags: got %v, want %v", got, want)
		}
	}
	wantTags(map[string]string{"env": "prod"})

	if err := f.eng.TagResource(f.ctx, f.caller, team.Arn, map[string]string{"env": "staging", "owner": "payments"}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	wantTags(map[string]string{"env": "staging", "owner": "payments"})

	if err := f.eng.UntagResource(f.ctx, f.caller, team.Arn, []string{"owner", "missing"}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	wantTags(map[string]string{"env": "staging"})

	err = f.eng.TagResource(f.ctx, f.caller, team.Arn, map[string]string{"a": "1", "b": "2", "c": "3"})
	wantCode(t, err, keyturn.ErrTooManyTags)
	var kerr *keyturn.Error
	if errors.As(err, &kerr) && kerr.Resource != team.Arn {
		t.Errorf("ErrTooManyTags Resource: got %q, want %s", kerr.Resource, team.Arn)
	}
	err = f.eng.TagResource(f.ctx, f.caller, team.Arn, map[string]string{"AWS:owner": "x"})
	wantCode(t, err, keyturn.ErrInvalid)
	wantTags(map[string]string{"env": "staging"})

	if err := f.eng.TagResource(f.ctx, f.caller, f.source, map[string]string{"owner": "security"}); err != nil {
		t.Fatalf("TagResource on the identity source: %v", err)
	}
	if got, err := f.eng.ListTags(f.ctx, f.caller, f.source); err != nil || got["owner"] != "security" {
		t.Errorf("identity source tags: got %v, %v; want owner=security", got, err)
	}

	active, _ := f.activeTeam(1, 1)
	s := f.startSession(active.Arn)
	err = f.eng.TagResource(f.ctx, f.caller, s.Arn, map[string]string{"k": "v"})
	wantCode(t, err, keyturn.ErrInvalid)
	err = f.eng.TagResource(f.ctx, f.caller, "not-an-arn", map[string]string{"k": "v"})
	wantCode(t, err, keyturn.ErrInvalid)
	_, err = f.eng.ListTags(f.ctx, f.caller, keyturn.TeamArn(testRegion, testAccount, "missing-1234"))
	wantCode(t, err, keyturn.ErrNotFound)
	other := f.caller
	other.AccountID = "444455556666"
	_, err = f.eng.ListTags(f.ctx, other, team.Arn)
	wantCode(t, err, keyturn.ErrNotFound)
	err = f.eng.UntagResource(f.ctx, other, team.Arn, []string{"env"})
	wantCode(t, err, keyturn.ErrNotFound)
	wantTags(map[string]string{"env": "staging"})
}

func TestPutPolicy(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)

	_, err := f.eng.PutPolicy(f.ctx, f.caller, PutPolicyInput{ServicePrincipal: "deploy.example.com", Name: "Deploy", Actions: []string{"deploy:X"}})
	wantCode(t, err, keyturn.ErrAccessDenied)

	v2, err := f.eng.PutPolicy(f.ctx, operatorCaller, PutPolicyInput{ServicePrincipal: "deploy.example.com", Name: "Deploy", Actions: []string{"deploy:*"}})
	if err != nil {
		t.Fatalf("PutPolicy: %v", err)
	}
	if v2.VersionID != 2 || !v2.IsDefault || v2.Status != keyturn.PolicyAttachable || v2.Document == "" {
		t.Errorf("new version: got %d default=%t %s, want version 2, default, ATTACHABLE, with a document", v2.VersionID, v2.IsDefault, v2.Status)
	}
	def, err := f.eng.GetPolicyVersion(f.ctx, f.caller, deployPolicy+"/$DEFAULT")
	if err != nil || def.VersionID != 2 {
		t.Errorf("$DEFAULT: got %+v, %v; want version 2", def, err)
	}
	v1, err := f.eng.GetPolicyVersion(f.ctx, f.caller, deployPolicy+"/1")
	if err != nil || v1.IsDefault || !slices.Equal(v1.Actions, deployActions) {
		t.Errorf("version 1: got %+v, %v; want it kept, with its actions, no longer default", v1, err)
	}

	versions, _, err := f.eng.ListPolicyVersions(f.ctx, f.caller, deployPolicy, Page{})
	if err != nil {
		t.Fatalf("ListPolicyVersions: %v", err)
	}
	if len(versions) != 2 || versions[0].VersionID != 1 || versions[1].VersionID != 2 {
		t.Errorf("versions: got %d, want 1 and 2 in order", len(versions))
	}
	page, token, err := f.eng.ListPolicyVersions(f.ctx, f.caller, deployPolicy, Page{MaxResults: 1})
	if err != nil || len(page) != 1 || token == "" {
		t.Fatalf("first page of versions: got %d, token %q, %v; want 1 and a token", len(page), token, err)
	}
	page, token, err = f.eng.ListPolicyVersions(f.ctx, f.caller, deployPolicy, Page{MaxResults: 1, NextToken: token})
	if err != nil || len(page) != 1 || page[0].VersionID != 2 || token != "" {
		t.Errorf("second page of versions: got %d, token %q, %v; want version 2 and no token", len(page), token, err)
	}

	policies, _, err := f.eng.ListPolicies(f.ctx, f.caller, Page{})
	if err != nil {
		t.Fatalf("ListPolicies: %v", err)
	}
	var arns []string
	for _, p := range policies {
		arns = append(arns, p.PolicyArn)
		if p.PolicyArn == deployPolicy && p.VersionID != 2 {
			t.Errorf("ListPolicies lists the deploy policy at version %d, want the default 2", p.VersionID)
		}
	}
	if !slices.Equal(arns, []string{backupPolicy, deployPolicy}) {
		t.Errorf("ListPolicies: got %v, want the built-in backup policy and the deploy policy", arns)
	}

	_, err = f.eng.GetPolicyVersion(f.ctx, f.caller, deployPolicy+"/9")
	wantCode(t, err, keyturn.ErrNotFound)
	_, err = f.eng.GetPolicyVersion(f.ctx, f.caller, deployPolicy)
	wantCode(t, err, keyturn.ErrInvalid)
	_, _, err = f.eng.ListPolicyVersions(f.ctx, f.caller, deployPolicy+"-missing", Page{})
	wantCode(t, err, keyturn.ErrNotFound)
}

func TestPutPolicyRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tests := []struct {
		name string
		in   PutPolicyInput
	}{
		{"empty principal", PutPolicyInput{ServicePrincipal: "", Name: "P", Actions: []string{"a:B"}}},
		{"principal with slash", PutPolicyInput{ServicePrincipal: "a/b", Name: "P", Actions: []string{"a:B"}}},
		{"name with space", PutPolicyInput{ServicePrincipal: "a.example.com", Name: "P Q", Actions: []string{"a:B"}}},
		{"long name", PutPolicyInput{ServicePrincipal: "a.example.com", Name: strings.Repeat("p", 65), Actions: []string{"a:B"}}},
		{"no actions", PutPolicyInput{ServicePrincipal: "a.example.com", Name: "P"}},
		{"action without service", PutPolicyInput{ServicePrincipal: "a.example.com", Name: "P", Actions: []string{"Deploy"}}},
		{"action with space", PutPolicyInput{ServicePrincipal: "a.example.com", Name: "P", Actions: []string{"a:B C"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.eng.PutPolicy(f.ctx, operatorCaller, tt.in)
			wantCode(t, err, keyturn.ErrInvalid)
		})
	}
}

func TestDeprecatedPolicyVersion(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	if _, err := f.eng.PutPolicy(f.ctx, operatorCaller, PutPolicyInput{ServicePrincipal: "deploy.example.com", Name: "Deploy", Actions: deployActions, Deprecated: true}); err != nil {
		t.Fatalf("PutPolicy: %v", err)
	}
	users := f.addUsers(1)
	create := func(policy string) error {
		_, err := f.eng.CreateTeam(f.ctx, f.caller, CreateTeamInput{
			Name: "team", Description: "A team.", MinApprovals: 1,
			Approvers: f.approverInputs(users[0].ID), Policies: []string{policy},
		})
		return err
	}

	wantCode(t, create(deployPolicy+"/2"), keyturn.ErrInvalid)
	wantCode(t, create(deployPolicy+"/$DEFAULT"), keyturn.ErrInvalid)
	if err := create(deployPolicy + "/1"); err != nil {
		t.Errorf("CreateTeam with the attachable version 1: %v", err)
	}
	v2, err := f.eng.GetPolicyVersion(f.ctx, f.caller, deployPolicy+"/2")
	if err != nil || v2.Status != keyturn.PolicyDeprecated {
		t.Errorf("version 2: got %+v, %v; want DEPRECATED and still readable", v2, err)
	}
}

func TestResourcePolicies(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	users := f.addUsers(1)
	team, err := f.eng.CreateTeam(f.ctx, f.caller, CreateTeamInput{
		Name: "vaults", Description: "Backup and deploy.", MinApprovals: 1,
		Approvers: f.approverInputs(users[0].ID),
		Policies:  []string{deployPolicy + "/$DEFAULT", backupPolicy + "/1"},
	})
	if err != nil {
		t.Fatalf("CreateTeam: %v", err)
	}

	list, token, err := f.eng.ListResourcePolicies(f.ctx, f.caller, team.Arn, Page{})
	if err != nil {
		t.Fatalf("ListResourcePolicies: %v", err)
	}
	if token != "" || len(list) != 2 {
		t.Fatalf("ListResourcePolicies: got %d policies, token %q; want 2 and no token", len(list), token)
	}
	want := []ResourcePolicy{
		{PolicyVersionArn: backupPolicy + "/1", PolicyType: keyturn.PolicyAWSManaged, PolicyName: "CreateRestoreAccessVault"},
		{PolicyVersionArn: deployPolicy + "/1", PolicyType: keyturn.PolicyAWSManaged, PolicyName: "Deploy"},
	}
	for i, w := range want {
		got := list[i]
		if got.PolicyVersionArn != w.PolicyVersionArn || got.PolicyType != w.PolicyType || got.PolicyName != w.PolicyName || got.Document == "" {
			t.Errorf("policy %d: got %s %s %s, want %s %s %s with a document", i, got.PolicyVersionArn, got.PolicyType, got.PolicyName, w.PolicyVersionArn, w.PolicyType, w.PolicyName)
		}
	}

	first, token, err := f.eng.ListResourcePolicies(f.ctx, f.caller, team.Arn, Page{MaxResults: 1})
	if err != nil || len(first) != 1 || token == "" {
		t.Fatalf("first page: got %d, token %q, %v; want 1 and a token", len(first), token, err)
	}
	second, token, err := f.eng.ListResourcePolicies(f.ctx, f.caller, team.Arn, Page{MaxResults: 1, NextToken: token})
	if err != nil || len(second) != 1 || second[0].PolicyName != "Deploy" || token != "" {
		t.Errorf("second page: got %+v, token %q, %v; want Deploy and no token", second, token, err)
	}

	got, err := f.eng.GetResourcePolicy(f.ctx, f.caller, team.Arn, "Deploy", keyturn.PolicyAWSManaged)
	if err != nil || got.PolicyVersionArn != deployPolicy+"/1" {
		t.Errorf("GetResourcePolicy: got %+v, %v; want %s/1", got, err, deployPolicy)
	}
	_, err = f.eng.GetResourcePolicy(f.ctx, f.caller, team.Arn, "Missing", keyturn.PolicyAWSManaged)
	wantCode(t, err, keyturn.ErrInvalidParameter)
	_, err = f.eng.GetResourcePolicy(f.ctx, f.caller, team.Arn, "Deploy", keyturn.PolicyAWSRAM)
	wantCode(t, err, keyturn.ErrInvalidParameter)
	_, err = f.eng.GetResourcePolicy(f.ctx, f.caller, f.source, "Deploy", keyturn.PolicyAWSManaged)
	wantCode(t, err, keyturn.ErrInvalidParameter)
	_, err = f.eng.GetResourcePolicy(f.ctx, f.caller, keyturn.TeamArn(testRegion, testAccount, "missing-1234"), "Deploy", keyturn.PolicyAWSManaged)
	wantCode(t, err, keyturn.ErrNotFound)
}

func TestReset(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, _ := f.activeTeam(1, 1)

	if err := f.eng.Reset(f.ctx, testAccount); err != nil {
		t.Fatalf("Reset of the account: %v", err)
	}
	_, err := f.eng.GetTeam(f.ctx, f.caller, active.Arn)
	wantCode(t, err, keyturn.ErrNotFound)
	if _, err := f.eng.GetPolicyVersion(f.ctx, f.caller, deployPolicy+"/1"); err != nil {
		t.Errorf("the policy catalogue after an account reset: %v", err)
	}

	if err := f.eng.Reset(f.ctx, ""); err != nil {
		t.Fatalf("Reset of every account: %v", err)
	}
	_, err = f.eng.GetPolicyVersion(f.ctx, f.caller, deployPolicy+"/1")
	wantCode(t, err, keyturn.ErrNotFound)
	if _, err := f.eng.GetPolicyVersion(f.ctx, f.caller, backupPolicy+"/1"); err != nil {
		t.Errorf("the built-in policy after a full reset: %v", err)
	}
}
