package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keyturn/keyturn"
)

// Rules answer for approvers automatically, so that a test suite on a
// development server can run without scripting every invitation and vote.
// The sweeper applies them, on the workflow clock: a rule with a delay acts
// once that much workflow time has passed since the invitation or session
// started. The rules are kept in the store, so every replica and a restart
// see them.

// Rule kinds.
const (
	// RuleAcceptInvitations accepts every matching invitation.
	RuleAcceptInvitations = "ACCEPT_INVITATIONS"
	// RuleDeclineInvitations declines every matching invitation.
	RuleDeclineInvitations = "DECLINE_INVITATIONS"
	// RuleVote votes in every matching session until it is decided.
	RuleVote = "VOTE"
)

const rulesMeta = "dev_rules"

// Rule is an automatic answer.
type Rule struct {
	ID   string `json:"RuleId"`
	Kind string `json:"Kind"`
	// AccountID limits the rule to one account. Empty means every account.
	AccountID string `json:"AccountId,omitempty"`
	// TeamArn limits the rule to one team. Empty means every team.
	TeamArn string `json:"ApprovalTeamArn,omitempty"`
	// ActionName limits a VOTE rule to sessions for the action. A trailing
	// * matches every action with that prefix; empty matches every action,
	// including the sessions that decide changes to teams.
	ActionName string `json:"ActionName,omitempty"`
	// Response is the vote of a VOTE rule: APPROVED or REJECTED.
	Response string `json:"Response,omitempty"`
	// DelaySeconds is the workflow time between the start of the
	// invitation or session and the answer.
	DelaySeconds int64 `json:"DelaySeconds,omitempty"`
}

func (r *Rule) validate() error {
	switch r.Kind {
	case RuleAcceptInvitations, RuleDeclineInvitations:
		if r.ActionName != "" || r.Response != "" {
			return keyturn.Errorf(keyturn.ErrInvalid, "A %s rule takes no ActionName or Response.", r.Kind)
		}
	case RuleVote:
		if r.Response != string(keyturn.ResponseApproved) && r.Response != string(keyturn.ResponseRejected) {
			return keyturn.Errorf(keyturn.ErrInvalid, "Response %q is invalid for a VOTE rule: use APPROVED or REJECTED.", r.Response)
		}
	default:
		return keyturn.Errorf(keyturn.ErrInvalid, "Kind %q is invalid: use ACCEPT_INVITATIONS, DECLINE_INVITATIONS or VOTE.", r.Kind)
	}
	if r.DelaySeconds < 0 || r.DelaySeconds > 365*24*3600 {
		return keyturn.Errorf(keyturn.ErrInvalid, "DelaySeconds %d is out of range: it must be between 0 and one year.", r.DelaySeconds)
	}
	if r.TeamArn != "" {
		if a, ok := keyturn.ParseResourceARN(r.TeamArn); !ok || a.Type != "approval-team" {
			return keyturn.Errorf(keyturn.ErrInvalid, "ApprovalTeamArn %q is not an approval team ARN.", r.TeamArn)
		}
	}
	return nil
}

func (r *Rule) matchesTeam(t *keyturn.Team) bool {
	return (r.AccountID == "" || r.AccountID == t.AccountID) && (r.TeamArn == "" || r.TeamArn == t.Arn)
}

func (r *Rule) matchesAction(action string) bool {
	if prefix, ok := strings.CutSuffix(r.ActionName, "*"); ok {
		return strings.HasPrefix(action, prefix)
	}
	return r.ActionName == "" || r.ActionName == action
}

func (r *Rule) delay() time.Duration { return time.Duration(r.DelaySeconds) * time.Second }

// Rules returns the automatic answers in force.
func (e *Engine) Rules(ctx context.Context) ([]Rule, error) {
	var rules []Rule
	err := e.store.View(ctx, func(tx keyturn.Tx) error {
		var err error
		rules, err = loadRules(ctx, tx)
		return err
	})
	return rules, err
}

func loadRules(ctx context.Context, tx keyturn.Tx) ([]Rule, error) {
	v, err := tx.GetMeta(ctx, rulesMeta)
	if isNotFound(err) {
		return []Rule{}, nil
	}
	if err != nil {
		return nil, err
	}
	var rules []Rule
	if err := json.Unmarshal([]byte(v), &rules); err != nil {
		return nil, fmt.Errorf("decode the stored rules: %w", err)
	}
	return rules, nil
}

func storeRules(ctx context.Context, tx keyturn.Tx, rules []Rule) error {
	b, err := json.Marshal(rules)
	if err != nil {
		return err
	}
	return tx.PutMeta(ctx, rulesMeta, string(b))
}

// AddRule adds an automatic answer and returns it with its id.
func (e *Engine) AddRule(ctx context.Context, r Rule) (*Rule, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	r.ID = e.newUUID()
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		rules, err := loadRules(ctx, tx)
		if err != nil {
			return err
		}
		if len(rules) >= 100 {
			return keyturn.Errorf(keyturn.ErrQuotaExceeded, "There are 100 rules already, the most allowed. Delete one first.")
		}
		return storeRules(ctx, tx, append(rules, r))
	})
	if err != nil {
		return nil, err
	}
	e.log.InfoContext(ctx, "rule added", "rule_id", r.ID, "kind", r.Kind)
	return &r, nil
}

// DeleteRule deletes the rule with the id.
func (e *Engine) DeleteRule(ctx context.Context, id string) error {
	return e.store.Update(ctx, func(tx keyturn.Tx) error {
		rules, err := loadRules(ctx, tx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(rules, func(r Rule) bool { return r.ID == id })
		if i < 0 {
			return keyturn.Errorf(keyturn.ErrNotFound, "Rule %s was not found.", id)
		}
		return storeRules(ctx, tx, slices.Delete(rules, i, i+1))
	})
}

// DeleteRules deletes the rules of the account, which are those whose
// AccountID is the account, or every rule when account is empty.
func (e *Engine) DeleteRules(ctx context.Context, account string) (int, error) {
	deleted := 0
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		rules, err := loadRules(ctx, tx)
		if err != nil {
			return err
		}
		kept := slices.DeleteFunc(rules, func(r Rule) bool { return account == "" || r.AccountID == account })
		deleted = len(rules) - len(kept)
		return storeRules(ctx, tx, kept)
	})
	return deleted, err
}

// farFuture bounds the queries that list every pending record.
var farFuture = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

// applyRules answers the invitations and votes that the rules cover and
// that are due at now. It returns the number of answers given.
func (e *Engine) applyRules(ctx context.Context, now time.Time) (int, error) {
	if !e.cfg.Development {
		// A database that a development server used may still hold
		// rules; a production server never votes for approvers.
		return 0, nil
	}
	rules, err := e.Rules(ctx)
	if err != nil || len(rules) == 0 {
		return 0, err
	}
	answered, err := e.applyInvitationRules(ctx, rules, now)
	if err != nil {
		return answered, err
	}
	votes, err := e.applyVoteRules(ctx, rules, now)
	return answered + votes, err
}

func (e *Engine) applyInvitationRules(ctx context.Context, rules []Rule, now time.Time) (int, error) {
	var arns []string
	err := e.store.View(ctx, func(tx keyturn.Tx) error {
		var err error
		arns, err = tx.DueTeams(ctx, farFuture, 1000)
		return err
	})
	if err != nil {
		return 0, err
	}
	answered := 0
	for _, arn := range arns {
		t, err := e.readTeam(ctx, arn)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return answered, err
		}
		invited, deadline := pendingInvitees(t)
		if len(invited) == 0 {
			continue
		}
		since := deadline.Add(-e.cfg.InvitationTTL)
		for _, r := range rules {
			if r.Kind == RuleVote || !r.matchesTeam(t) || now.Before(since.Add(r.delay())) {
				continue
			}
			for _, id := range invited {
				v := Voter{AccountID: t.AccountID, Region: t.Region, UserID: id, Delegated: true}
				_, err := e.RespondToInvitation(ctx, v, t.Arn, r.Kind == RuleAcceptInvitations)
				if err != nil && keyturn.Code(err) != keyturn.ErrConflict && keyturn.Code(err) != keyturn.ErrAccessDenied {
					return answered, err
				}
				if err == nil {
					answered++
				}
			}
			break
		}
	}
	return answered, nil
}

// pendingInvitees returns the identities with an open invitation to the
// team and when the invitations expire.
func pendingInvitees(t *keyturn.Team) ([]string, time.Time) {
	var ids []string
	var deadline time.Time
	switch {
	case t.Status == keyturn.TeamPending && t.StatusCode == keyturn.TeamPendingActivation:
		deadline = t.ActivationDeadline
		for _, a := range t.Approvers {
			if a.Status == keyturn.IdentityPending {
				ids = append(ids, a.IdentityID)
			}
		}
	case t.PendingUpdate != nil && t.PendingUpdate.StatusCode == keyturn.TeamUpdatePendingActivation:
		deadline = t.PendingUpdate.ActivationDeadline
		for _, a := range t.PendingUpdate.Approvers {
			if a.Status == keyturn.IdentityPending {
				ids = append(ids, a.IdentityID)
			}
		}
	}
	return ids, deadline
}

func (e *Engine) applyVoteRules(ctx context.Context, rules []Rule, now time.Time) (int, error) {
	var arns []string
	err := e.store.View(ctx, func(tx keyturn.Tx) error {
		var err error
		arns, err = tx.DueSessions(ctx, farFuture, 1000)
		return err
	})
	if err != nil {
		return 0, err
	}
	votes := 0
	for _, arn := range arns {
		var s *keyturn.Session
		var team *keyturn.Team
		err := e.store.View(ctx, func(tx keyturn.Tx) error {
			var err error
			if s, err = tx.GetSession(ctx, arn); err != nil {
				return err
			}
			team, err = tx.GetTeam(ctx, s.TeamArn)
			return err
		})
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return votes, err
		}
		if s.Status != keyturn.SessionPending || s.Expired(now) {
			continue
		}
		for _, r := range rules {
			if r.Kind != RuleVote || !r.matchesTeam(team) || !r.matchesAction(s.ActionName) || now.Before(s.InitiationTime.Add(r.delay())) {
				continue
			}
			n, err := e.voteUntilDecided(ctx, s, keyturn.Response(r.Response))
			votes += n
			if err != nil {
				return votes, err
			}
			break
		}
	}
	return votes, nil
}

// voteUntilDecided casts delegated votes of the session's approvers who
// have not voted, in snapshot order, until the session is decided.
func (e *Engine) voteUntilDecided(ctx context.Context, s *keyturn.Session, response keyturn.Response) (int, error) {
	votes := 0
	for _, a := range s.Approvers {
		if s.Vote(a.ApproverID) != nil {
			continue
		}
		v := Voter{AccountID: s.AccountID, Region: s.Region, UserID: a.IdentityID, Delegated: true}
		after, err := e.Vote(ctx, v, s.Arn, response, Proof{})
		switch keyturn.Code(err) {
		case "":
			votes++
			if after.Status != keyturn.SessionPending {
				return votes, nil
			}
		case keyturn.ErrConflict, keyturn.ErrAccessDenied:
			// The approver voted meanwhile, or was disabled: ask the next.
		default:
			return votes, err
		}
	}
	return votes, nil
}
