package mpaapi

import (
	"context"
	"encoding/json"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/engine"
	"github.com/keyturn/keyturn/internal/wire"
)

// operations maps each operation of the model to its implementation. Input
// structs use the model's member names; the handler has validated every
// member against the model before the implementation runs.
var operations = map[string]opFunc{
	"CreateIdentitySource":              op(createIdentitySource),
	"GetIdentitySource":                 op(getIdentitySource),
	"ListIdentitySources":               op(listIdentitySources),
	"DeleteIdentitySource":              op(deleteIdentitySource),
	"CreateApprovalTeam":                op(createApprovalTeam),
	"GetApprovalTeam":                   op(getApprovalTeam),
	"ListApprovalTeams":                 op(listApprovalTeams),
	"UpdateApprovalTeam":                op(updateApprovalTeam),
	"StartActiveApprovalTeamDeletion":   op(startActiveApprovalTeamDeletion),
	"StartApprovalTeamBaseline":         op(startApprovalTeamBaseline),
	"DeleteInactiveApprovalTeamVersion": op(deleteInactiveApprovalTeamVersion),
	"GetSession":                        op(getSession),
	"CancelSession":                     op(cancelSession),
	"ListSessions":                      op(listSessions),
	"ListPolicies":                      op(listPolicies),
	"ListPolicyVersions":                op(listPolicyVersions),
	"GetPolicyVersion":                  op(getPolicyVersion),
	"ListResourcePolicies":              op(listResourcePolicies),
	"GetResourcePolicy":                 op(getResourcePolicy),
	"TagResource":                       op(tagResource),
	"UntagResource":                     op(untagResource),
	"ListTagsForResource":               op(listTagsForResource),
}

// empty is the output of operations that return no members.
type empty struct{}

type pageInput struct {
	MaxResults int
	NextToken  string
}

func (p pageInput) page() engine.Page {
	return engine.Page{MaxResults: p.MaxResults, NextToken: p.NextToken}
}

type iamIdentityCenterInput struct {
	InstanceArn string
	Region      string
}

type createIdentitySourceInput struct {
	IdentitySourceParameters struct {
		IamIdentityCenter *iamIdentityCenterInput
	}
	ClientToken string
	Tags        map[string]string
}

func createIdentitySource(ctx context.Context, h *Handler, c engine.Caller, in *createIdentitySourceInput) (any, error) {
	idc := in.IdentitySourceParameters.IamIdentityCenter
	if idc == nil {
		// The model makes IamIdentityCenter optional, but it is the only
		// kind of identity source.
		return nil, keyturn.Errorf(keyturn.ErrInvalid,
			"1 validation error detected: Value at 'IdentitySourceParameters.IamIdentityCenter' failed to satisfy constraint: Member must not be null")
	}
	src, err := h.engine.CreateIdentitySource(ctx, c, engine.CreateIdentitySourceInput{
		InstanceArn: idc.InstanceArn, SourceRegion: idc.Region, ClientToken: in.ClientToken, Tags: in.Tags,
	})
	if err != nil {
		return nil, err
	}
	return struct {
		IdentitySourceType string
		IdentitySourceArn  string
		CreationTime       wire.Time
	}{keyturn.IdentitySourceType, src.Arn, wire.TimeOf(src.CreationTime)}, nil
}

type identitySourceArnInput struct {
	IdentitySourceArn string
}

func getIdentitySource(ctx context.Context, h *Handler, c engine.Caller, in *identitySourceArnInput) (any, error) {
	src, err := h.engine.GetIdentitySource(ctx, c, in.IdentitySourceArn)
	if err != nil {
		return nil, err
	}
	return identitySourceOf(src), nil
}

func listIdentitySources(ctx context.Context, h *Handler, c engine.Caller, in *pageInput) (any, error) {
	sources, next, err := h.engine.ListIdentitySources(ctx, c, in.page())
	if err != nil {
		return nil, err
	}
	out := struct {
		NextToken       string                 `json:",omitempty"`
		IdentitySources []identitySourceOutput `json:"IdentitySources"`
	}{NextToken: next, IdentitySources: []identitySourceOutput{}}
	for _, s := range sources {
		out.IdentitySources = append(out.IdentitySources, identitySourceOf(s))
	}
	return out, nil
}

func deleteIdentitySource(ctx context.Context, h *Handler, c engine.Caller, in *identitySourceArnInput) (any, error) {
	return empty{}, h.engine.DeleteIdentitySource(ctx, c, in.IdentitySourceArn)
}

type approverInput struct {
	PrimaryIdentityID        string `json:"PrimaryIdentityId"`
	PrimaryIdentitySourceArn string
}

type strategyInput struct {
	MofN *struct {
		MinApprovalsRequired int
	}
}

func approverInputs(in []approverInput) []engine.ApproverInput {
	if in == nil {
		return nil
	}
	out := make([]engine.ApproverInput, len(in))
	for i, a := range in {
		out[i] = engine.ApproverInput{IdentityID: a.PrimaryIdentityID, IdentitySourceArn: a.PrimaryIdentitySourceArn}
	}
	return out
}

type createApprovalTeamInput struct {
	ClientToken      string
	ApprovalStrategy strategyInput
	Approvers        []approverInput
	Description      string
	Policies         []struct{ PolicyArn string }
	Name             string
	Tags             map[string]string
}

func createApprovalTeam(ctx context.Context, h *Handler, c engine.Caller, in *createApprovalTeamInput) (any, error) {
	policies := make([]string, len(in.Policies))
	for i, p := range in.Policies {
		policies[i] = p.PolicyArn
	}
	t, err := h.engine.CreateTeam(ctx, c, engine.CreateTeamInput{
		Name:         in.Name,
		Description:  in.Description,
		MinApprovals: in.ApprovalStrategy.MofN.MinApprovalsRequired,
		Approvers:    approverInputs(in.Approvers),
		Policies:     policies,
		Tags:         in.Tags,
		ClientToken:  in.ClientToken,
	})
	if err != nil {
		return nil, err
	}
	return struct {
		CreationTime wire.Time
		Arn          string
		Name         string
		VersionId    string
	}{wire.TimeOf(t.CreationTime), t.Arn, t.Name, t.VersionID}, nil
}

type teamArnInput struct {
	Arn string
}

func getApprovalTeam(ctx context.Context, h *Handler, c engine.Caller, in *teamArnInput) (any, error) {
	v, err := h.engine.GetTeam(ctx, c, in.Arn)
	if err != nil {
		return nil, err
	}
	return teamOutput(v), nil
}

func listApprovalTeams(ctx context.Context, h *Handler, c engine.Caller, in *pageInput) (any, error) {
	teams, next, err := h.engine.ListTeams(ctx, c, in.page())
	if err != nil {
		return nil, err
	}
	out := struct {
		NextToken     string        `json:",omitempty"`
		ApprovalTeams []teamSummary `json:"ApprovalTeams"`
	}{NextToken: next, ApprovalTeams: []teamSummary{}}
	for _, t := range teams {
		out.ApprovalTeams = append(out.ApprovalTeams, teamSummaryOf(t))
	}
	return out, nil
}

type updateApprovalTeamInput struct {
	Arn              string
	ApprovalStrategy *strategyInput
	Approvers        []approverInput
	Description      *string
	UpdateActions    []string
}

func updateApprovalTeam(ctx context.Context, h *Handler, c engine.Caller, in *updateApprovalTeamInput) (any, error) {
	upd := engine.UpdateTeamInput{Description: in.Description, Approvers: approverInputs(in.Approvers)}
	if in.ApprovalStrategy != nil && in.ApprovalStrategy.MofN != nil {
		upd.MinApprovals = &in.ApprovalStrategy.MofN.MinApprovalsRequired
	}
	for _, a := range in.UpdateActions {
		if a == "SYNCHRONIZE_MFA_DEVICES" {
			upd.SynchronizeMFA = true
		}
	}
	version, err := h.engine.UpdateTeam(ctx, c, in.Arn, upd)
	if err != nil {
		return nil, err
	}
	return struct{ VersionId string }{version}, nil
}

type startDeletionInput struct {
	Arn               string
	PendingWindowDays int
}

func startActiveApprovalTeamDeletion(ctx context.Context, h *Handler, c engine.Caller, in *startDeletionInput) (any, error) {
	d, err := h.engine.StartTeamDeletion(ctx, c, in.Arn, in.PendingWindowDays)
	if err != nil {
		return nil, err
	}
	// The completion time is known only once the team approves.
	return struct {
		DeletionStartTime wire.Time
	}{wire.TimeOf(d.DeletionStartTime)}, nil
}

type startBaselineInput struct {
	Arn         string
	ApproverIds []string
}

func startApprovalTeamBaseline(ctx context.Context, h *Handler, c engine.Caller, in *startBaselineInput) (any, error) {
	arn, err := h.engine.StartBaseline(ctx, c, in.Arn, in.ApproverIds)
	if err != nil {
		return nil, err
	}
	return struct{ BaselineSessionArn string }{arn}, nil
}

type deleteVersionInput struct {
	Arn       string
	VersionID string `json:"VersionId"`
}

func deleteInactiveApprovalTeamVersion(ctx context.Context, h *Handler, c engine.Caller, in *deleteVersionInput) (any, error) {
	return empty{}, h.engine.DeleteInactiveTeamVersion(ctx, c, in.Arn, in.VersionID)
}

type sessionArnInput struct {
	SessionArn string
}

func getSession(ctx context.Context, h *Handler, c engine.Caller, in *sessionArnInput) (any, error) {
	s, err := h.engine.GetSession(ctx, c, in.SessionArn)
	if err != nil {
		return nil, err
	}
	return sessionOutput(s), nil
}

func cancelSession(ctx context.Context, h *Handler, c engine.Caller, in *sessionArnInput) (any, error) {
	return empty{}, h.engine.CancelSession(ctx, c, in.SessionArn)
}

type listSessionsInput struct {
	ApprovalTeamArn string
	MaxResults      int
	NextToken       string
	Filters         []struct {
		FieldName string
		Operator  string
		Value     string
	}
}

func listSessions(ctx context.Context, h *Handler, c engine.Caller, in *listSessionsInput) (any, error) {
	filters := make([]engine.FilterInput, len(in.Filters))
	for i, f := range in.Filters {
		filters[i] = engine.FilterInput{FieldName: f.FieldName, Operator: f.Operator, Value: f.Value}
	}
	sessions, next, err := h.engine.ListSessions(ctx, c, in.ApprovalTeamArn, filters, engine.Page{MaxResults: in.MaxResults, NextToken: in.NextToken})
	if err != nil {
		return nil, err
	}
	// The body is assembled from the entries, which the store may have kept
	// in their wire form: encoding them again would only copy them.
	size := len(`{"NextToken":"","Sessions":[]}`) + len(next) + len(sessions)
	for _, s := range sessions {
		size += len(s.Summary)
	}
	body := make([]byte, 0, size)
	body = append(body, '{')
	if next != "" {
		token, err := json.Marshal(next)
		if err != nil {
			return nil, err
		}
		body = append(append(append(body, `"NextToken":`...), token...), ',')
	}
	body = append(body, `"Sessions":[`...)
	for i, s := range sessions {
		entry := s.Summary
		if entry == nil {
			if entry, err = SessionSummarizer.Encode(s); err != nil {
				return nil, err
			}
		}
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, entry...)
	}
	return wire.Encoded(append(body, "]}"...)), nil
}

func listPolicies(ctx context.Context, h *Handler, c engine.Caller, in *pageInput) (any, error) {
	policies, next, err := h.engine.ListPolicies(ctx, c, in.page())
	if err != nil {
		return nil, err
	}
	out := struct {
		NextToken string         `json:",omitempty"`
		Policies  []policyOutput `json:"Policies"`
	}{NextToken: next, Policies: []policyOutput{}}
	for _, p := range policies {
		out.Policies = append(out.Policies, policyOutput{Arn: p.PolicyArn, DefaultVersion: p.VersionID, PolicyType: keyturn.PolicyAWSManaged, Name: p.Name})
	}
	return out, nil
}

type listPolicyVersionsInput struct {
	PolicyArn string
	pageInput
}

func listPolicyVersions(ctx context.Context, h *Handler, c engine.Caller, in *listPolicyVersionsInput) (any, error) {
	versions, next, err := h.engine.ListPolicyVersions(ctx, c, in.PolicyArn, in.page())
	if err != nil {
		return nil, err
	}
	out := struct {
		NextToken      string                `json:",omitempty"`
		PolicyVersions []policyVersionOutput `json:"PolicyVersions"`
	}{NextToken: next, PolicyVersions: []policyVersionOutput{}}
	for _, v := range versions {
		out.PolicyVersions = append(out.PolicyVersions, policyVersionOf(v, false))
	}
	return out, nil
}

type policyVersionArnInput struct {
	PolicyVersionArn string
}

func getPolicyVersion(ctx context.Context, h *Handler, c engine.Caller, in *policyVersionArnInput) (any, error) {
	v, err := h.engine.GetPolicyVersion(ctx, c, in.PolicyVersionArn)
	if err != nil {
		return nil, err
	}
	return struct{ PolicyVersion policyVersionOutput }{policyVersionOf(v, true)}, nil
}

type listResourcePoliciesInput struct {
	ResourceArn string
	pageInput
}

func listResourcePolicies(ctx context.Context, h *Handler, c engine.Caller, in *listResourcePoliciesInput) (any, error) {
	policies, next, err := h.engine.ListResourcePolicies(ctx, c, in.ResourceArn, in.page())
	if err != nil {
		return nil, err
	}
	type resourcePolicy struct {
		PolicyArn  string
		PolicyType string
		PolicyName string
	}
	out := struct {
		NextToken        string           `json:",omitempty"`
		ResourcePolicies []resourcePolicy `json:"ResourcePolicies"`
	}{NextToken: next, ResourcePolicies: []resourcePolicy{}}
	for _, p := range policies {
		out.ResourcePolicies = append(out.ResourcePolicies, resourcePolicy{p.PolicyVersionArn, p.PolicyType, p.PolicyName})
	}
	return out, nil
}

type getResourcePolicyInput struct {
	ResourceArn string
	PolicyName  string
	PolicyType  string
}

func getResourcePolicy(ctx context.Context, h *Handler, c engine.Caller, in *getResourcePolicyInput) (any, error) {
	p, err := h.engine.GetResourcePolicy(ctx, c, in.ResourceArn, in.PolicyName, in.PolicyType)
	if err != nil {
		return nil, err
	}
	return struct {
		ResourceArn      string
		PolicyType       string
		PolicyVersionArn string
		PolicyName       string
		PolicyDocument   string
	}{in.ResourceArn, p.PolicyType, p.PolicyVersionArn, p.PolicyName, p.Document}, nil
}

type tagResourceInput struct {
	ResourceArn string
	Tags        map[string]string
}

func tagResource(ctx context.Context, h *Handler, c engine.Caller, in *tagResourceInput) (any, error) {
	return empty{}, h.engine.TagResource(ctx, c, in.ResourceArn, in.Tags)
}

type untagResourceInput struct {
	ResourceArn string
	TagKeys     []string
}

func untagResource(ctx context.Context, h *Handler, c engine.Caller, in *untagResourceInput) (any, error) {
	return empty{}, h.engine.UntagResource(ctx, c, in.ResourceArn, in.TagKeys)
}

type resourceArnInput struct {
	ResourceArn string
}

func listTagsForResource(ctx context.Context, h *Handler, c engine.Caller, in *resourceArnInput) (any, error) {
	tags, err := h.engine.ListTags(ctx, c, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if tags == nil {
		tags = map[string]string{}
	}
	return struct{ Tags map[string]string }{tags}, nil
}
