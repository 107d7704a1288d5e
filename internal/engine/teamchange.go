package engine

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/keyturn/keyturn"
)

// Actions of the sessions that Keyturn opens on a team's behalf. Their
// requester is the MPA service principal, and the protected resource is
// the team.
const (
	mpaServicePrincipal = "mpa.amazonaws.com"
	actionUpdateTeam    = "mpa:UpdateApprovalTeam"
	actionDeleteTeam    = "mpa:StartActiveApprovalTeamDeletion"
	actionBaseline      = "mpa:StartApprovalTeamBaseline"
)

// UpdateTeamInput changes a team. Nil or empty fields keep their current
// value; Approvers, when given, replaces the whole list.
type UpdateTeamInput struct {
	Description    *string
	MinApprovals   *int
	Approvers      []ApproverInput
	SynchronizeMFA bool
}

// UpdateTeam changes a team and returns the version id of the new
// configuration.
//
// A team that never became ACTIVE changes at once, with no vote, and sends
// invitations again. An ACTIVE team protects itself: the change becomes a
// pending update with its own version id, and a session that the current
// approvers vote on. A change that only synchronises MFA devices applies at
// once and keeps the version id, because it records the devices enrolled
// and grants nothing. A replay of the request that opened the current
// pending update returns that update's version id.
func (e *Engine) UpdateTeam(ctx context.Context, c Caller, arn string, in UpdateTeamInput) (string, error) {
	if err := checkOwner(c, arn, "Approval team"); err != nil {
		return "", err
	}
	if err := checkDuplicateApprovers(in.Approvers); err != nil {
		return "", err
	}
	now := e.Now()
	var versionID string
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
		src, err := activeIdentitySource(ctx, tx, c)
		if err != nil {
			return err
		}
		if err := checkApproverSources(in.Approvers, src.Arn); err != nil {
			return err
		}

		draft := e.draftOf(t, in)
		if err := e.checkStrategy(draft.MinApprovals, len(draft.Approvers)); err != nil {
			return err
		}
		switch t.Status {
		case keyturn.TeamPending, keyturn.TeamInactive:
			versionID, err = e.updateInactiveTeam(ctx, tx, c, t, draft, now)
			return err
		case keyturn.TeamDeleting:
			return keyturn.Errorf(keyturn.ErrConflict, "Approval team %s is being deleted and can no longer change.", arn)
		}

		if p := t.PendingUpdate; p != nil && p.Status != keyturn.TeamInactive {
			if sameConfiguration(p.Description, p.MinApprovals, p.Approvers, draft) && p.SynchronizeMFA == in.SynchronizeMFA {
				versionID = p.VersionID
				return nil
			}
			return keyturn.Errorf(keyturn.ErrConflict,
				"Approval team %s already has a pending update (version %s, %s). Cancel its session %s with CancelSession before you start another.",
				arn, p.VersionID, p.StatusCode, t.UpdateSessionArn)
		}
		if t.StatusCode == keyturn.TeamDeletePendingApproval {
			return keyturn.Errorf(keyturn.ErrConflict,
				"Approval team %s has a deletion waiting for approval. Cancel session %s before you update the team.", arn, t.DeletionSessionArn)
		}
		if sameConfiguration(t.Description, t.MinApprovals, t.Approvers, draft) {
			if !in.SynchronizeMFA {
				return keyturn.Errorf(keyturn.ErrInvalid, "The update changes nothing: Description, ApprovalStrategy and Approvers equal the current version %s.", t.VersionID)
			}
			if err := synchronizeMFA(ctx, tx, t); err != nil {
				return err
			}
			versionID = t.VersionID
			return tx.UpdateTeam(ctx, t)
		}
		versionID, err = e.proposeUpdate(ctx, tx, c, t, draft, in.SynchronizeMFA, now)
		return err
	})
	if err == nil {
		e.log.InfoContext(ctx, "approval team update requested", "arn", arn, "version_id", versionID)
	}
	return versionID, err
}

// draft is a proposed configuration of a team.
type draft struct {
	Description  string
	MinApprovals int
	Approvers    []keyturn.Approver
}

// draftOf merges the update into the team's current configuration.
// Approvers who stay keep their id, status and activity; new ones are
// PENDING with a new id.
func (e *Engine) draftOf(t *keyturn.Team, in UpdateTeamInput) draft {
	d := draft{Description: t.Description, MinApprovals: t.MinApprovals, Approvers: slices.Clone(t.Approvers)}
	if in.Description != nil {
		d.Description = *in.Description
	}
	if in.MinApprovals != nil {
		d.MinApprovals = *in.MinApprovals
	}
	if in.Approvers != nil {
		d.Approvers = nil
		for _, a := range in.Approvers {
			if existing := t.ApproverByIdentity(a.IdentityID); existing != nil {
				d.Approvers = append(d.Approvers, *existing)
				continue
			}
			d.Approvers = append(d.Approvers, keyturn.Approver{
				ApproverID:        e.newUUID(),
				IdentityID:        a.IdentityID,
				IdentitySourceArn: a.IdentitySourceArn,
				Status:            keyturn.IdentityPending,
			})
		}
	}
	return d
}

// sameConfiguration reports whether a configuration equals the draft,
// comparing approvers by identity in order.
func sameConfiguration(description string, minApprovals int, approvers []keyturn.Approver, d draft) bool {
	if description != d.Description || minApprovals != d.MinApprovals || len(approvers) != len(d.Approvers) {
		return false
	}
	for i := range approvers {
		if approvers[i].IdentityID != d.Approvers[i].IdentityID {
			return false
		}
	}
	return true
}

// updateInactiveTeam applies a change to a team that never became ACTIVE:
// no vote, a new version, and invitations sent again to every approver who
// has not accepted.
func (e *Engine) updateInactiveTeam(ctx context.Context, tx keyturn.Tx, c Caller, t *keyturn.Team, d draft, now time.Time) (string, error) {
	t.VersionID = nextVersionID(now, t.VersionID)
	t.Description, t.MinApprovals, t.Approvers = d.Description, d.MinApprovals, d.Approvers
	t.LastUpdateTime = now
	for i := range t.Approvers {
		if t.Approvers[i].Status != keyturn.IdentityAccepted {
			t.Approvers[i].Status = keyturn.IdentityPending
		}
	}
	invalid, err := markInvalidIdentities(ctx, tx, c, t.Approvers)
	if err != nil {
		return "", err
	}
	switch {
	case len(invalid) > 0:
		t.Status, t.StatusCode = keyturn.TeamInactive, keyturn.TeamFailedValidation
		t.StatusMessage = invalidIdentitiesMessage(invalid)
		t.ActivationDeadline = time.Time{}
	case allAccepted(t.Approvers):
		t.Status, t.StatusCode, t.StatusMessage = keyturn.TeamActive, "", ""
		t.ActivationDeadline = time.Time{}
	default:
		t.Status, t.StatusCode = keyturn.TeamPending, keyturn.TeamPendingActivation
		t.StatusMessage = "Waiting for every approver to accept the invitation."
		t.ActivationDeadline = now.Add(e.cfg.InvitationTTL)
	}
	return t.VersionID, tx.UpdateTeam(ctx, t)
}

func allAccepted(approvers []keyturn.Approver) bool {
	for _, a := range approvers {
		if a.Status != keyturn.IdentityAccepted {
			return false
		}
	}
	return true
}

// proposeUpdate stores the draft as the pending update of an ACTIVE team
// and opens the session that decides it. A draft that names an unknown or
// disabled user fails validation at once, with no session.
func (e *Engine) proposeUpdate(ctx context.Context, tx keyturn.Tx, c Caller, t *keyturn.Team, d draft, syncMFA bool, now time.Time) (string, error) {
	previous := []string{t.VersionID}
	if t.PendingUpdate != nil {
		previous = append(previous, t.PendingUpdate.VersionID)
	}
	p := &keyturn.PendingUpdate{
		VersionID:            nextVersionID(now, previous...),
		Description:          d.Description,
		MinApprovals:         d.MinApprovals,
		Approvers:            d.Approvers,
		UpdateInitiationTime: now,
		SynchronizeMFA:       syncMFA,
	}
	t.PendingUpdate = p
	t.UpdateSessionArn = ""
	invalid, err := markInvalidIdentities(ctx, tx, c, p.Approvers)
	if err != nil {
		return "", err
	}
	if len(invalid) > 0 {
		failUpdate(t, keyturn.TeamUpdateFailedValidation, invalidIdentitiesMessage(invalid))
		return p.VersionID, tx.UpdateTeam(ctx, t)
	}

	s := e.teamSession(t, keyturn.KindTeamUpdate, actionUpdateTeam,
		fmt.Sprintf("Update approval team %s to version %s.", t.Name, p.VersionID), c, now)
	if err := tx.CreateSession(ctx, s); err != nil {
		return "", err
	}
	p.Status, p.StatusCode = keyturn.TeamPending, keyturn.TeamUpdatePendingApproval
	p.StatusMessage = "Waiting for the team to approve the update."
	t.StatusCode, t.StatusMessage = p.StatusCode, p.StatusMessage
	t.UpdateSessionArn = s.Arn
	return p.VersionID, tx.UpdateTeam(ctx, t)
}

// teamSession returns a new session, voted on by the team's current
// approvers, for a change that Keyturn makes to the team itself.
func (e *Engine) teamSession(t *keyturn.Team, kind keyturn.SessionKind, action, description string, c Caller, now time.Time) *keyturn.Session {
	s := &keyturn.Session{
		Arn:                       keyturn.SessionArn(t.Region, t.AccountID, keyturn.TeamID(t.Arn), e.newUUID()),
		TeamArn:                   t.Arn,
		TeamName:                  t.Name,
		AccountID:                 t.AccountID,
		Region:                    t.Region,
		Kind:                      kind,
		ActionName:                action,
		ProtectedResourceArn:      t.Arn,
		Description:               description,
		RequesterServicePrincipal: mpaServicePrincipal,
		RequesterPrincipalArn:     c.PrincipalArn,
		RequesterAccountID:        c.AccountID,
		RequesterRegion:           c.Region,
		MinApprovals:              t.MinApprovals,
		InitiationTime:            now,
		ExpirationTime:            now.Add(e.cfg.SessionTTL),
		Status:                    keyturn.SessionPending,
	}
	if e.cfg.TeamChangesRequireVerification && (kind == keyturn.KindTeamUpdate || kind == keyturn.KindTeamDeletion) {
		s.AdditionalSecurityRequirements = []string{keyturn.ApproverVerificationRequired}
	}
	for _, a := range t.Approvers {
		if a.Status == keyturn.IdentityAccepted {
			s.Approvers = append(s.Approvers, keyturn.SessionApprover{
				ApproverID: a.ApproverID, IdentityID: a.IdentityID, IdentitySourceArn: a.IdentitySourceArn,
			})
		}
	}
	return s
}

// TeamDeletion is the result of StartTeamDeletion.
type TeamDeletion struct {
	DeletionStartTime time.Time
	SessionArn        string
}

// MaxPendingWindowDays bounds the days a deleted team stays DELETING after
// its approvers approve the deletion.
const MaxPendingWindowDays = 365

// StartTeamDeletion opens a session in which an ACTIVE team's approvers
// decide whether to delete it. Once they approve, the team is DELETING for
// pendingWindowDays and then removed. Repeating the request while the same
// deletion waits for approval returns it again.
func (e *Engine) StartTeamDeletion(ctx context.Context, c Caller, arn string, pendingWindowDays int) (*TeamDeletion, error) {
	if err := checkOwner(c, arn, "Approval team"); err != nil {
		return nil, err
	}
	if pendingWindowDays < 0 || pendingWindowDays > MaxPendingWindowDays {
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "PendingWindowDays is %d; it must be between 0 and %d.", pendingWindowDays, MaxPendingWindowDays)
	}
	now := e.Now()
	var out *TeamDeletion
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
		if t.StatusCode == keyturn.TeamDeletePendingApproval {
			if t.PendingWindowDays != pendingWindowDays {
				return keyturn.Errorf(keyturn.ErrConflict,
					"Approval team %s already has a deletion waiting for approval, with PendingWindowDays %d. Cancel session %s to start another.",
					arn, t.PendingWindowDays, t.DeletionSessionArn)
			}
			out = &TeamDeletion{DeletionStartTime: t.DeletionStartTime, SessionArn: t.DeletionSessionArn}
			return nil
		}
		if t.Status != keyturn.TeamActive {
			return keyturn.Errorf(keyturn.ErrConflict,
				"Approval team %s is %s. Only an ACTIVE team needs an approved deletion; delete a PENDING or INACTIVE team with DeleteInactiveApprovalTeamVersion.",
				arn, t.Status)
		}
		if p := t.PendingUpdate; p != nil && p.Status != keyturn.TeamInactive {
			return keyturn.Errorf(keyturn.ErrConflict,
				"Approval team %s has a pending update (%s). Cancel its session %s before you delete the team.", arn, p.StatusCode, t.UpdateSessionArn)
		}
		s := e.teamSession(t, keyturn.KindTeamDeletion, actionDeleteTeam, fmt.Sprintf("Delete approval team %s.", t.Name), c, now)
		if err := tx.CreateSession(ctx, s); err != nil {
			return err
		}
		t.StatusCode = keyturn.TeamDeletePendingApproval
		t.StatusMessage = "Waiting for the team to approve its deletion."
		t.DeletionSessionArn = s.Arn
		t.PendingWindowDays = pendingWindowDays
		t.DeletionStartTime = now
		t.DeletionCompletionTime = time.Time{}
		out = &TeamDeletion{DeletionStartTime: now, SessionArn: s.Arn}
		return tx.UpdateTeam(ctx, t)
	})
	if err == nil {
		e.log.InfoContext(ctx, "approval team deletion requested", "arn", arn, "session_arn", out.SessionArn)
	}
	return out, err
}

// StartBaseline opens a baseline session, in which each chosen approver of
// an ACTIVE team responds to show that they can still be reached. With no
// approver ids, every approver is chosen. The session is APPROVED with
// ALL_APPROVERS_IN_SESSION once every chosen approver has responded, either
// way, and FAILED with EXPIRED if the time runs out first.
func (e *Engine) StartBaseline(ctx context.Context, c Caller, arn string, approverIDs []string) (string, error) {
	if err := checkOwner(c, arn, "Approval team"); err != nil {
		return "", err
	}
	now := e.Now()
	var sessionArn string
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
		if t.Status != keyturn.TeamActive {
			return keyturn.Errorf(keyturn.ErrInvalid, "Approval team %s is %s; only an ACTIVE team can be baselined.", arn, t.Status)
		}
		chosen, err := chooseApprovers(t, approverIDs)
		if err != nil {
			return err
		}
		s := e.teamSession(t, keyturn.KindBaseline, actionBaseline,
			fmt.Sprintf("Baseline of approval team %s: each chosen approver responds.", t.Name), c, now)
		s.Approvers = chosen
		s.MinApprovals = len(chosen)
		if err := tx.CreateSession(ctx, s); err != nil {
			return err
		}
		for _, a := range chosen {
			t.Approver(a.ApproverID).PendingBaselineSessionArn = s.Arn
		}
		sessionArn = s.Arn
		return tx.UpdateTeam(ctx, t)
	})
	if err == nil {
		e.log.InfoContext(ctx, "approval team baseline started", "arn", arn, "session_arn", sessionArn)
	}
	return sessionArn, err
}

func chooseApprovers(t *keyturn.Team, ids []string) ([]keyturn.SessionApprover, error) {
	var chosen []keyturn.SessionApprover
	if len(ids) == 0 {
		for _, a := range t.Approvers {
			ids = append(ids, a.ApproverID)
		}
	}
	seen := map[string]bool{}
	for i, id := range ids {
		a := t.Approver(id)
		if a == nil {
			return nil, keyturn.Errorf(keyturn.ErrInvalid, "ApproverIds[%d] %q is not an approver of team %s; GetApprovalTeam lists the approver ids.", i, id, t.Arn)
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		chosen = append(chosen, keyturn.SessionApprover{ApproverID: a.ApproverID, IdentityID: a.IdentityID, IdentitySourceArn: a.IdentitySourceArn})
	}
	return chosen, nil
}
