package mpaapi

import (
	"encoding/json"
	"slices"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/engine"
	"github.com/keyturn/keyturn/internal/wire"
)

// The types below are the output shapes of the MPA API, with the model's
// member names. Members that are empty are left out, as AWS leaves out
// members it has no value for.

type mofN struct {
	MinApprovalsRequired int `json:"MinApprovalsRequired"`
}

// strategy is the ApprovalStrategyResponse union; its one member is MofN.
type strategy struct {
	MofN mofN `json:"MofN"`
}

func strategyOf(m int) *strategy { return &strategy{MofN: mofN{MinApprovalsRequired: m}} }

type mfaMethod struct {
	Type       string `json:"Type"`
	SyncStatus string `json:"SyncStatus"`
}

type teamApprover struct {
	ApproverID                string      `json:"ApproverId,omitempty"`
	ResponseTime              wire.Time   `json:"ResponseTime,omitzero"`
	PrimaryIdentityID         string      `json:"PrimaryIdentityId,omitempty"`
	PrimaryIdentitySourceArn  string      `json:"PrimaryIdentitySourceArn,omitempty"`
	PrimaryIdentityStatus     string      `json:"PrimaryIdentityStatus,omitempty"`
	LastActivity              string      `json:"LastActivity,omitempty"`
	LastActivityTime          wire.Time   `json:"LastActivityTime,omitzero"`
	PendingBaselineSessionArn string      `json:"PendingBaselineSessionArn,omitempty"`
	MfaMethods                []mfaMethod `json:"MfaMethods,omitempty"`
}

type policyReference struct {
	PolicyArn string `json:"PolicyArn"`
}

type pendingUpdate struct {
	VersionID            string         `json:"VersionId,omitempty"`
	Description          string         `json:"Description,omitempty"`
	ApprovalStrategy     *strategy      `json:"ApprovalStrategy,omitempty"`
	NumberOfApprovers    int            `json:"NumberOfApprovers"`
	Status               string         `json:"Status,omitempty"`
	StatusCode           string         `json:"StatusCode,omitempty"`
	StatusMessage        string         `json:"StatusMessage,omitempty"`
	Approvers            []teamApprover `json:"Approvers"`
	UpdateInitiationTime wire.Time      `json:"UpdateInitiationTime,omitzero"`
}

type getApprovalTeamOutput struct {
	CreationTime      wire.Time         `json:"CreationTime,omitzero"`
	ApprovalStrategy  *strategy         `json:"ApprovalStrategy,omitempty"`
	NumberOfApprovers int               `json:"NumberOfApprovers"`
	Approvers         []teamApprover    `json:"Approvers"`
	Arn               string            `json:"Arn"`
	Description       string            `json:"Description,omitempty"`
	Name              string            `json:"Name"`
	Status            string            `json:"Status"`
	StatusCode        string            `json:"StatusCode,omitempty"`
	StatusMessage     string            `json:"StatusMessage,omitempty"`
	UpdateSessionArn  string            `json:"UpdateSessionArn,omitempty"`
	VersionID         string            `json:"VersionId"`
	Policies          []policyReference `json:"Policies"`
	LastUpdateTime    wire.Time         `json:"LastUpdateTime,omitzero"`
	PendingUpdate     *pendingUpdate    `json:"PendingUpdate,omitempty"`
}

func teamOutput(v *engine.TeamView) getApprovalTeamOutput {
	t := v.Team
	out := getApprovalTeamOutput{
		CreationTime:      wire.TimeOf(t.CreationTime),
		ApprovalStrategy:  strategyOf(t.MinApprovals),
		NumberOfApprovers: len(t.Approvers),
		Approvers:         approversOutput(t.Approvers, v.MFAMethods),
		Arn:               t.Arn,
		Description:       t.Description,
		Name:              t.Name,
		Status:            string(t.Status),
		StatusCode:        string(t.StatusCode),
		StatusMessage:     t.StatusMessage,
		UpdateSessionArn:  t.UpdateSessionArn,
		VersionID:         t.VersionID,
		LastUpdateTime:    wire.TimeOf(t.LastUpdateTime),
	}
	for _, p := range t.Policies {
		out.Policies = append(out.Policies, policyReference{PolicyArn: p})
	}
	if p := t.PendingUpdate; p != nil {
		out.PendingUpdate = &pendingUpdate{
			VersionID:            p.VersionID,
			Description:          p.Description,
			ApprovalStrategy:     strategyOf(p.MinApprovals),
			NumberOfApprovers:    len(p.Approvers),
			Status:               string(p.Status),
			StatusCode:           string(p.StatusCode),
			StatusMessage:        p.StatusMessage,
			Approvers:            approversOutput(p.Approvers, v.MFAMethods),
			UpdateInitiationTime: wire.TimeOf(p.UpdateInitiationTime),
		}
	}
	return out
}

func approversOutput(approvers []keyturn.Approver, current map[string][]string) []teamApprover {
	out := make([]teamApprover, 0, len(approvers))
	for _, a := range approvers {
		out = append(out, teamApprover{
			ApproverID:                a.ApproverID,
			ResponseTime:              wire.TimeOf(a.ResponseTime),
			PrimaryIdentityID:         a.IdentityID,
			PrimaryIdentitySourceArn:  a.IdentitySourceArn,
			PrimaryIdentityStatus:     string(a.Status),
			LastActivity:              string(a.LastActivity),
			LastActivityTime:          wire.TimeOf(a.LastActivityTime),
			PendingBaselineSessionArn: a.PendingBaselineSessionArn,
			MfaMethods:                mfaMethods(current[a.IdentityID], a.SyncedMFAMethods),
		})
	}
	return out
}

// mfaMethods lists every method that the user has now or that the team
// last synchronised: IN_SYNC when both agree, OUT_OF_SYNC otherwise.
func mfaMethods(current, synced []string) []mfaMethod {
	all := slices.Concat(current, synced)
	slices.Sort(all)
	var out []mfaMethod
	for _, m := range slices.Compact(all) {
		status := keyturn.MFAOutOfSync
		if slices.Contains(current, m) && slices.Contains(synced, m) {
			status = keyturn.MFAInSync
		}
		out = append(out, mfaMethod{Type: m, SyncStatus: status})
	}
	return out
}

type teamSummary struct {
	CreationTime      wire.Time `json:"CreationTime,omitzero"`
	ApprovalStrategy  *strategy `json:"ApprovalStrategy,omitempty"`
	NumberOfApprovers int       `json:"NumberOfApprovers"`
	Arn               string    `json:"Arn"`
	Name              string    `json:"Name"`
	Description       string    `json:"Description,omitempty"`
	Status            string    `json:"Status"`
	StatusCode        string    `json:"StatusCode,omitempty"`
	StatusMessage     string    `json:"StatusMessage,omitempty"`
}

func teamSummaryOf(t *keyturn.Team) teamSummary {
	return teamSummary{
		CreationTime:      wire.TimeOf(t.CreationTime),
		ApprovalStrategy:  strategyOf(t.MinApprovals),
		NumberOfApprovers: len(t.Approvers),
		Arn:               t.Arn,
		Name:              t.Name,
		Description:       t.Description,
		Status:            string(t.Status),
		StatusCode:        string(t.StatusCode),
		StatusMessage:     t.StatusMessage,
	}
}

type iamIdentityCenter struct {
	InstanceArn       string `json:"InstanceArn,omitempty"`
	ApprovalPortalURL string `json:"ApprovalPortalUrl,omitempty"`
	Region            string `json:"Region,omitempty"`
}

// identitySourceParameters is the IdentitySourceParametersForGet and
// ForList union; its one member is IamIdentityCenter.
type identitySourceParameters struct {
	IamIdentityCenter iamIdentityCenter `json:"IamIdentityCenter"`
}

type identitySourceOutput struct {
	IdentitySourceType       string                    `json:"IdentitySourceType"`
	IdentitySourceParameters *identitySourceParameters `json:"IdentitySourceParameters,omitempty"`
	IdentitySourceArn        string                    `json:"IdentitySourceArn"`
	CreationTime             wire.Time                 `json:"CreationTime,omitzero"`
	Status                   string                    `json:"Status,omitempty"`
	StatusCode               string                    `json:"StatusCode,omitempty"`
	StatusMessage            string                    `json:"StatusMessage,omitempty"`
}

func identitySourceOf(s *keyturn.IdentitySource) identitySourceOutput {
	return identitySourceOutput{
		IdentitySourceType: keyturn.IdentitySourceType,
		IdentitySourceParameters: &identitySourceParameters{IamIdentityCenter: iamIdentityCenter{
			InstanceArn:       s.InstanceArn,
			ApprovalPortalURL: s.PortalURL,
			Region:            s.SourceRegion,
		}},
		IdentitySourceArn: s.Arn,
		CreationTime:      wire.TimeOf(s.CreationTime),
		Status:            string(s.Status),
		StatusCode:        s.StatusCode,
		StatusMessage:     s.StatusMessage,
	}
}

type policyOutput struct {
	Arn            string `json:"Arn"`
	DefaultVersion int    `json:"DefaultVersion"`
	PolicyType     string `json:"PolicyType"`
	Name           string `json:"Name"`
}

type policyVersionOutput struct {
	Arn             string    `json:"Arn"`
	PolicyArn       string    `json:"PolicyArn"`
	VersionID       int       `json:"VersionId"`
	PolicyType      string    `json:"PolicyType"`
	IsDefault       bool      `json:"IsDefault"`
	Name            string    `json:"Name"`
	Status          string    `json:"Status"`
	CreationTime    wire.Time `json:"CreationTime"`
	LastUpdatedTime wire.Time `json:"LastUpdatedTime"`
	Document        string    `json:"Document,omitempty"`
}

func policyVersionOf(p *keyturn.PolicyVersion, withDocument bool) policyVersionOutput {
	out := policyVersionOutput{
		Arn:             p.Arn(),
		PolicyArn:       p.PolicyArn,
		VersionID:       p.VersionID,
		PolicyType:      keyturn.PolicyAWSManaged,
		IsDefault:       p.IsDefault,
		Name:            p.Name,
		Status:          p.Status,
		CreationTime:    wire.TimeOf(p.CreationTime),
		LastUpdatedTime: wire.TimeOf(p.LastUpdatedTime),
	}
	if withDocument {
		out.Document = p.Document
	}
	return out
}

type approverResponse struct {
	ApproverID        string    `json:"ApproverId,omitempty"`
	IdentitySourceArn string    `json:"IdentitySourceArn,omitempty"`
	IdentityID        string    `json:"IdentityId,omitempty"`
	Response          string    `json:"Response"`
	ResponseTime      wire.Time `json:"ResponseTime,omitzero"`
}

// SessionSummarizer encodes sessions as ListSessions entries, for a store
// that keeps each entry beside its session. Format changes whenever the
// encoding of sessionSummary does, so that entries of an older encoding
// are not served.
var SessionSummarizer = keyturn.SessionSummarizer{
	Format: 1,
	Encode: func(s *keyturn.Session) ([]byte, error) { return json.Marshal(sessionSummaryOf(s)) },
}

// sessionSummary is ListSessionsResponseSession; getSessionOutput adds the
// members that only GetSession returns.
type sessionSummary struct {
	SessionArn                     string    `json:"SessionArn"`
	ApprovalTeamName               string    `json:"ApprovalTeamName,omitempty"`
	ApprovalTeamArn                string    `json:"ApprovalTeamArn"`
	InitiationTime                 wire.Time `json:"InitiationTime,omitzero"`
	ExpirationTime                 wire.Time `json:"ExpirationTime,omitzero"`
	CompletionTime                 wire.Time `json:"CompletionTime,omitzero"`
	Description                    string    `json:"Description,omitempty"`
	ActionName                     string    `json:"ActionName,omitempty"`
	ProtectedResourceArn           string    `json:"ProtectedResourceArn,omitempty"`
	RequesterServicePrincipal      string    `json:"RequesterServicePrincipal,omitempty"`
	RequesterPrincipalArn          string    `json:"RequesterPrincipalArn,omitempty"`
	RequesterRegion                string    `json:"RequesterRegion,omitempty"`
	RequesterAccountID             string    `json:"RequesterAccountId,omitempty"`
	Status                         string    `json:"Status"`
	StatusCode                     string    `json:"StatusCode,omitempty"`
	StatusMessage                  string    `json:"StatusMessage,omitempty"`
	ActionCompletionStrategy       string    `json:"ActionCompletionStrategy"`
	AdditionalSecurityRequirements []string  `json:"AdditionalSecurityRequirements,omitempty"`
}

func sessionSummaryOf(s *keyturn.Session) sessionSummary {
	return sessionSummary{
		SessionArn:                     s.Arn,
		ApprovalTeamName:               s.TeamName,
		ApprovalTeamArn:                s.TeamArn,
		InitiationTime:                 wire.TimeOf(s.InitiationTime),
		ExpirationTime:                 wire.TimeOf(s.ExpirationTime),
		CompletionTime:                 wire.TimeOf(s.CompletionTime),
		Description:                    s.Description,
		ActionName:                     s.ActionName,
		ProtectedResourceArn:           s.ProtectedResourceArn,
		RequesterServicePrincipal:      s.RequesterServicePrincipal,
		RequesterPrincipalArn:          s.RequesterPrincipalArn,
		RequesterRegion:                s.RequesterRegion,
		RequesterAccountID:             s.RequesterAccountID,
		Status:                         string(s.Status),
		StatusCode:                     string(s.StatusCode),
		StatusMessage:                  s.StatusMessage,
		ActionCompletionStrategy:       keyturn.ActionCompletionAutomatic,
		AdditionalSecurityRequirements: s.AdditionalSecurityRequirements,
	}
}

type getSessionOutput struct {
	sessionSummary
	ApprovalStrategy  *strategy          `json:"ApprovalStrategy,omitempty"`
	NumberOfApprovers int                `json:"NumberOfApprovers"`
	Metadata          map[string]string  `json:"Metadata,omitempty"`
	ExecutionStatus   string             `json:"ExecutionStatus,omitempty"`
	RequesterComment  string             `json:"RequesterComment,omitempty"`
	ApproverResponses []approverResponse `json:"ApproverResponses"`
}

// SessionOutput returns the GetSession output of a session. Keyturn's own
// API embeds it, so that both APIs describe a session alike.
func SessionOutput(s *keyturn.Session) any { return sessionOutput(s) }

func sessionOutput(s *keyturn.Session) getSessionOutput {
	out := getSessionOutput{
		sessionSummary:    sessionSummaryOf(s),
		ApprovalStrategy:  strategyOf(s.MinApprovals),
		NumberOfApprovers: len(s.Approvers),
		Metadata:          s.Metadata,
		ExecutionStatus:   string(s.ExecutionStatus),
		RequesterComment:  s.RequesterComment,
		ApproverResponses: make([]approverResponse, 0, len(s.Approvers)),
	}
	for _, a := range s.Approvers {
		r := approverResponse{
			ApproverID:        a.ApproverID,
			IdentitySourceArn: a.IdentitySourceArn,
			IdentityID:        a.IdentityID,
			Response:          string(keyturn.ResponseNoResponse),
		}
		if v := s.Vote(a.ApproverID); v != nil {
			r.Response, r.ResponseTime = string(v.Response), wire.TimeOf(v.Time)
		}
		out.ApproverResponses = append(out.ApproverResponses, r)
	}
	return out
}
