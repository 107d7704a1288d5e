package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/keyturn/keyturn"
)

// ApproverInput names an approver by identity-store user.
type ApproverInput struct {
	IdentityID        string
	IdentitySourceArn string
}

// CreateTeamInput is the input of CreateTeam.
type CreateTeamInput struct {
	Name         string
	Description  string
	MinApprovals int
	Approvers    []ApproverInput
	Policies     []string
	Tags         map[string]string
	ClientToken  string
}

// CreateTeam creates an approval team. The team starts PENDING with
// PENDING_ACTIVATION and invites its approvers; it becomes ACTIVE when every
// approver has accepted. If an approver's identity does not exist in the
// identity store, or is disabled, the team is created INACTIVE with
// FAILED_VALIDATION instead, as AWS reports identity problems through the
// team's status rather than as an error.
func (e *Engine) CreateTeam(ctx context.Context, c Caller, in CreateTeamInput) (*keyturn.Team, error) {
	if err := e.checkStrategy(in.MinApprovals, len(in.Approvers)); err != nil {
		return nil, err
	}
	if err := checkDuplicateApprovers(in.Approvers); err != nil {
		return nil, err
	}
	if err := e.checkTags(in.Tags); err != nil {
		return nil, err
	}
	var out *keyturn.Team
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		replayed, err := e.replay(ctx, tx, c, "CreateApprovalTeam", in.ClientToken, in, keyturn.ErrConflict, &out)
		if err != nil || replayed {
			return err
		}
		src, err := activeIdentitySource(ctx, tx, c)
		if err != nil {
			return err
		}
		if err := checkApproverSources(in.Approvers, src.Arn); err != nil {
			return err
		}
		if _, err := resolvePolicies(ctx, tx, in.Policies, true); err != nil {
			return err
		}
		n, err := tx.CountTeams(ctx, c.AccountID, c.Region)
		if err != nil {
			return err
		}
		if n >= e.cfg.MaxTeamsPerAccount {
			return keyturn.Errorf(keyturn.ErrQuotaExceeded,
				"Account %s has %d approval teams in %s, the most allowed. Delete a team before you create another.", c.AccountID, n, c.Region)
		}

		now := e.Now()
		t := &keyturn.Team{
			Arn:          keyturn.TeamArn(c.Region, c.AccountID, in.Name+"-"+e.newUUID()),
			AccountID:    c.AccountID,
			Region:       c.Region,
			Name:         in.Name,
			CreationTime: now,
			VersionID:    nextVersionID(now),
			Description:  in.Description,
			MinApprovals: in.MinApprovals,
			Policies:     in.Policies,
		}
		for _, a := range in.Approvers {
			t.Approvers = append(t.Approvers, keyturn.Approver{
				ApproverID:        e.newUUID(),
				IdentityID:        a.IdentityID,
				IdentitySourceArn: a.IdentitySourceArn,
				Status:            keyturn.IdentityPending,
			})
		}
		invalid, err := markInvalidIdentities(ctx, tx, c, t.Approvers)
		if err != nil {
			return err
		}
		if len(invalid) > 0 {
			t.Status, t.StatusCode = keyturn.TeamInactive, keyturn.TeamFailedValidation
			t.StatusMessage = invalidIdentitiesMessage(invalid)
		} else {
			t.Status, t.StatusCode = keyturn.TeamPending, keyturn.TeamPendingActivation
			t.StatusMessage = "Waiting for every approver to accept the invitation."
			t.ActivationDeadline = now.Add(e.cfg.InvitationTTL)
		}
		if err := tx.CreateTeam(ctx, t); err != nil {
			return err
		}
		if len(in.Tags) > 0 {
			if err := tx.SetTags(ctx, t.Arn, in.Tags); err != nil {
				return err
			}
		}
		out = t
		return e.remember(ctx, tx, c, "CreateApprovalTeam", in.ClientToken, in, t)
	})
	if err != nil {
		return nil, err
	}
	e.log.InfoContext(ctx, "approval team created", "arn", out.Arn, "status", out.Status, "status_code", out.StatusCode)
	return out, nil
}

// checkStrategy applies the team-size rules that the API model does not
// state: at least MinApprovers approvers, and a threshold of at least
// MinApprovals that the approvers can reach.
func (e *Engine) checkStrategy(minApprovals, approvers int) error {
	if approvers < e.cfg.MinApprovers {
		return keyturn.Errorf(keyturn.ErrInvalid, "Approvers lists %d approvers; this server requires at least %d.", approvers, e.cfg.MinApprovers)
	}
	if minApprovals < e.cfg.MinApprovals {
		return keyturn.Errorf(keyturn.ErrInvalid, "ApprovalStrategy.MofN.MinApprovalsRequired is %d; this server requires at least %d.", minApprovals, e.cfg.MinApprovals)
	}
	if minApprovals > approvers {
		return keyturn.Errorf(keyturn.ErrInvalid,
			"ApprovalStrategy.MofN.MinApprovalsRequired is %d, more than the %d approvers of the team, so no session could ever be approved.", minApprovals, approvers)
	}
	return nil
}

func checkDuplicateApprovers(approvers []ApproverInput) error {
	seen := make(map[string]int, len(approvers))
	for i, a := range approvers {
		if j, dup := seen[a.IdentityID]; dup {
			return keyturn.Errorf(keyturn.ErrInvalid,
				"Approvers[%d] and Approvers[%d] have the same PrimaryIdentityId %q; each approver must be a different user.", j, i, a.IdentityID)
		}
		seen[a.IdentityID] = i
	}
	return nil
}

func checkApproverSources(approvers []ApproverInput, sourceArn string) error {
	for i, a := range approvers {
		if a.IdentitySourceArn != sourceArn {
			return keyturn.Errorf(keyturn.ErrInvalid,
				"Approvers[%d].PrimaryIdentitySourceArn %q is not the account's identity source; use %s.", i, a.IdentitySourceArn, sourceArn)
		}
	}
	return nil
}

// markInvalidIdentities sets the status of approvers whose user does not
// exist or is disabled to INVALID, and returns their identity ids.
func markInvalidIdentities(ctx context.Context, tx keyturn.Tx, c Caller, approvers []keyturn.Approver) ([]string, error) {
	var invalid []string
	for i := range approvers {
		u, err := tx.GetUser(ctx, c.AccountID, c.Region, approvers[i].IdentityID)
		if err != nil && !isNotFound(err) {
			return nil, err
		}
		if err != nil || u.Status != keyturn.UserEnabled {
			approvers[i].Status = keyturn.IdentityInvalid
			invalid = append(invalid, approvers[i].IdentityID)
		}
	}
	return invalid, nil
}

func invalidIdentitiesMessage(ids []string) string {
	return fmt.Sprintf("Validation failed: the identity store has no enabled user with id %s.", strings.Join(ids, ", "))
}

// TeamView is a team as GetApprovalTeam reports it, with each approver's
// current MFA methods, from which the MFA sync status follows.
type TeamView struct {
	*keyturn.Team
	// MFAMethods maps an identity id to the method types the user has
	// enrolled now.
	MFAMethods map[string][]string
}

// GetTeam returns the team, after applying any transition that is due.
func (e *Engine) GetTeam(ctx context.Context, c Caller, arn string) (*TeamView, error) {
	if err := checkOwner(c, arn, "Approval team"); err != nil {
		return nil, err
	}
	t, err := e.readTeam(ctx, arn)
	if err != nil {
		return nil, err
	}
	view := &TeamView{Team: t, MFAMethods: map[string][]string{}}
	err = e.store.View(ctx, func(tx keyturn.Tx) error {
		ids := make([]string, 0, len(t.Approvers))
		for _, a := range t.Approvers {
			ids = append(ids, a.IdentityID)
		}
		if t.PendingUpdate != nil {
			for _, a := range t.PendingUpdate.Approvers {
				ids = append(ids, a.IdentityID)
			}
		}
		for _, id := range ids {
			methods, err := enrolledMethods(ctx, tx, c.AccountID, c.Region, id)
			if err != nil {
				return err
			}
			view.MFAMethods[id] = methods
		}
		return nil
	})
	return view, err
}

// readTeam reads a team and, when a transition is due, settles it in a
// write transaction first, so that no reader sees a state that has run out.
func (e *Engine) readTeam(ctx context.Context, arn string) (*keyturn.Team, error) {
	now := e.Now()
	var t *keyturn.Team
	var due bool
	err := e.store.View(ctx, func(tx keyturn.Tx) error {
		var err error
		t, err = tx.GetTeam(ctx, arn)
		if err != nil {
			return orNotFound(err, "Approval team", arn)
		}
		due, err = teamDue(ctx, tx, t, now)
		return err
	})
	if err != nil || !due {
		return t, err
	}
	err = e.store.Update(ctx, func(tx keyturn.Tx) error {
		locked, err := tx.LockTeam(ctx, arn)
		if err != nil {
			return orNotFound(err, "Approval team", arn)
		}
		t, err = e.settleTeam(ctx, tx, locked, now)
		return err
	})
	if err == nil && t == nil {
		return nil, notFound("Approval team", arn)
	}
	return t, err
}

// ListTeams returns the caller's teams, newest first, each settled as of
// now.
func (e *Engine) ListTeams(ctx context.Context, c Caller, p Page) ([]*keyturn.Team, string, error) {
	bind := binding("ListApprovalTeams", c.AccountID, c.Region)
	after, err := e.decodeToken(ctx, bind, p.NextToken)
	if err != nil {
		return nil, "", err
	}
	var teams []*keyturn.Team
	err = e.store.View(ctx, func(tx keyturn.Tx) error {
		teams, err = tx.ListTeams(ctx, c.AccountID, c.Region, after, p.limit()+1)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	page, token, err := pageOf(ctx, e, bind, teams, p.limit(), func(t *keyturn.Team) keyturn.Cursor {
		return keyturn.Cursor{Time: t.CreationTime, Seq: t.Seq}
	})
	if err != nil {
		return nil, "", err
	}
	out := page[:0]
	for _, t := range page {
		settled, err := e.readTeam(ctx, t.Arn)
		if isNotFound(err) {
			continue // its deletion window ended just now
		}
		if err != nil {
			return nil, "", err
		}
		out = append(out, settled)
	}
	return out, token, nil
}

// DeleteInactiveTeamVersion deletes a version of a team that is not in
// use, without a vote: the whole team when it never became ACTIVE (PENDING
// or INACTIVE), or a pending update that failed. An ACTIVE team's current
// version and an update still in progress give ErrConflict.
func (e *Engine) DeleteInactiveTeamVersion(ctx context.Context, c Caller, arn, versionID string) error {
	if err := checkOwner(c, arn, "Approval team"); err != nil {
		return err
	}
	now := e.Now()
	var deleted bool
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		t, err := tx.LockTeam(ctx, arn)
		if err != nil {
			return orNotFound(err, "Approval team", arn)
		}
		if t, err = e.settleTeam(ctx, tx, t, now); err != nil {
			return err
		}
		if t == nil {
			return notFound("Approval team", arn)
		}
		switch {
		case versionID == t.VersionID && (t.Status == keyturn.TeamInactive || t.Status == keyturn.TeamPending):
			deleted = true
			return e.deleteTeam(ctx, tx, t, now)
		case versionID == t.VersionID:
			return keyturn.Errorf(keyturn.ErrConflict,
				"Version %s is the current version of %s approval team %s. Use StartActiveApprovalTeamDeletion to delete an active team; its approvers must approve.", versionID, t.Status, arn)
		case t.PendingUpdate != nil && versionID == t.PendingUpdate.VersionID:
			if t.PendingUpdate.Status != keyturn.TeamInactive {
				return keyturn.Errorf(keyturn.ErrConflict,
					"Version %s is a pending update in %s. Cancel its session %s with CancelSession instead.", versionID, t.PendingUpdate.StatusCode, t.UpdateSessionArn)
			}
			// The team's status shows the failed draft unless a deletion
			// started since, whose status must stay.
			if t.StatusCode == t.PendingUpdate.StatusCode {
				t.StatusCode, t.StatusMessage = "", ""
			}
			t.PendingUpdate = nil
			t.UpdateSessionArn = ""
			return tx.UpdateTeam(ctx, t)
		default:
			return keyturn.Errorf(keyturn.ErrNotFound, "Approval team %s has no version %s.", arn, versionID)
		}
	})
	if err == nil {
		e.log.InfoContext(ctx, "approval team version deleted", "arn", arn, "version_id", versionID, "team_deleted", deleted)
	}
	return err
}

// deleteTeam removes a team and its tags, and cancels its pending sessions.
// The sessions themselves stay readable with GetSession.
func (e *Engine) deleteTeam(ctx context.Context, tx keyturn.Tx, t *keyturn.Team, now time.Time) error {
	if err := e.cancelPendingSessions(ctx, tx, t, "", "", "The approval team was deleted.", now); err != nil {
		return err
	}
	if err := tx.SetTags(ctx, t.Arn, nil); err != nil {
		return err
	}
	return tx.DeleteTeam(ctx, t.Arn)
}
