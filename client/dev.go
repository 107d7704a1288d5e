package client

import (
	"context"
	"encoding/json"
	"net/url"
)

// Rule kinds of a development server's automatic answers.
const (
	RuleAcceptInvitations  = "ACCEPT_INVITATIONS"
	RuleDeclineInvitations = "DECLINE_INVITATIONS"
	RuleVote               = "VOTE"
)

// Rule is an automatic answer of a development server: it accepts or
// declines invitations, or votes in sessions until they are decided, once
// DelaySeconds of workflow time have passed since they started.
type Rule struct {
	RuleID string `json:"RuleId,omitempty"`
	// Kind is ACCEPT_INVITATIONS, DECLINE_INVITATIONS or VOTE.
	Kind string
	// AccountID limits the rule to one account; AddRule fills in the
	// caller's account unless AllAccounts is set.
	AccountID string `json:"AccountId,omitempty"`
	// AllAccounts makes the rule cover every account.
	AllAccounts bool `json:",omitempty"`
	// ApprovalTeamArn limits the rule to one team.
	ApprovalTeamArn string `json:",omitempty"`
	// ActionName limits a VOTE rule to sessions for the action; a trailing
	// * matches every action with that prefix.
	ActionName string `json:",omitempty"`
	// Response is APPROVED or REJECTED, for a VOTE rule.
	Response     string `json:",omitempty"`
	DelaySeconds int64  `json:",omitempty"`
}

// AddRule adds an automatic answer to a development server and returns it
// with its id.
func (c *Client) AddRule(ctx context.Context, r Rule) (*Rule, error) {
	out := new(Rule)
	return out, c.do(ctx, "POST", "/keyturn/v1/dev/rules", nil, r, out, authAdmin)
}

// ListRules returns a development server's automatic answers.
func (c *Client) ListRules(ctx context.Context) ([]Rule, error) {
	var out struct{ Rules []Rule }
	return out.Rules, c.do(ctx, "GET", "/keyturn/v1/dev/rules", nil, nil, &out, authAdmin)
}

// DeleteRule deletes one automatic answer.
func (c *Client) DeleteRule(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", "/keyturn/v1/dev/rules/"+escape(id), nil, nil, nil, authAdmin)
}

// DeleteRules deletes the automatic answers of the caller's account, or of
// every account with allAccounts, and returns how many it deleted.
func (c *Client) DeleteRules(ctx context.Context, allAccounts bool) (int, error) {
	q := url.Values{}
	if allAccounts {
		q.Set("AllAccounts", "true")
	}
	var out struct{ Deleted int }
	return out.Deleted, c.do(ctx, "DELETE", "/keyturn/v1/dev/rules", q, nil, &out, authAdmin)
}

// ExportSnapshot returns the snapshot file of the caller's account, of the
// account named, or of every account when account is "*". The file holds
// approvers' credentials, so treat it as a secret.
func (c *Client) ExportSnapshot(ctx context.Context, account string) (json.RawMessage, error) {
	q := url.Values{}
	switch account {
	case "":
	case "*":
		q.Set("AllAccounts", "true")
	default:
		q.Set("AccountId", account)
	}
	var out json.RawMessage
	return out, c.do(ctx, "GET", "/keyturn/v1/snapshot", q, nil, &out, authAdmin)
}

// ImportResult counts what an import wrote.
type ImportResult struct {
	IdentitySources int
	Users           int
	Teams           int
	Sessions        int
	Votes           int
	Policies        int
}

// ImportSnapshot writes a snapshot file's records into the server. With
// replace, the state the snapshot covers is deleted first; without it, a
// record that exists already fails the whole import.
func (c *Client) ImportSnapshot(ctx context.Context, snapshot json.RawMessage, replace bool) (*ImportResult, error) {
	q := url.Values{}
	if replace {
		q.Set("Replace", "true")
	}
	out := new(ImportResult)
	return out, c.do(ctx, "POST", "/keyturn/v1/snapshot", q, snapshot, out, authAdmin)
}
