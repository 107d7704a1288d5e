package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/keyturn/keyturn"
)

// Deadlines drive part of the workflow: sessions expire, invitations run
// out, deletion windows end. Each transition is applied by the first of two
// paths to reach it: a read of the record (readTeam, and Session.Effective
// for sessions), or the background sweeper. Both run settle functions inside
// a transaction that holds the team's lock, and those functions re-check
// the state they change, so a transition happens once on any number of
// replicas.

// teamDue reports whether a transition of the team is due at now.
func teamDue(ctx context.Context, tx keyturn.Tx, t *keyturn.Team, now time.Time) (bool, error) {
	if d := t.NextDeadline(); !d.IsZero() && !now.Before(d) {
		return true, nil
	}
	for _, arn := range teamSessionArns(t) {
		s, err := tx.GetSession(ctx, arn)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return false, err
		}
		if s.Expired(now) {
			return true, nil
		}
	}
	return false, nil
}

// teamSessionArns returns the sessions that Keyturn opened for the team and
// that may still be pending: its update, its deletion and its baselines.
func teamSessionArns(t *keyturn.Team) []string {
	var arns []string
	seen := map[string]bool{"": true}
	add := func(arn string) {
		if !seen[arn] {
			seen[arn] = true
			arns = append(arns, arn)
		}
	}
	if t.PendingUpdate != nil && t.PendingUpdate.StatusCode == keyturn.TeamUpdatePendingApproval {
		add(t.UpdateSessionArn)
	}
	if t.StatusCode == keyturn.TeamDeletePendingApproval {
		add(t.DeletionSessionArn)
	}
	for _, a := range t.Approvers {
		add(a.PendingBaselineSessionArn)
	}
	return arns
}

// settleTeam applies every transition of a locked team that is due at now,
// stores the result and returns the team, or nil if its deletion window has
// ended and it was removed.
func (e *Engine) settleTeam(ctx context.Context, tx keyturn.Tx, t *keyturn.Team, now time.Time) (*keyturn.Team, error) {
	changed := false
	for _, arn := range teamSessionArns(t) {
		s, err := tx.GetSession(ctx, arn)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !s.Expired(now) {
			continue
		}
		deleted, err := e.finishSession(ctx, tx, t, s, keyturn.SessionFailed, keyturn.SessionExpired, keyturn.ExpiryMessage(s.Kind), s.ExpirationTime)
		if err != nil {
			return nil, err
		}
		if deleted {
			return nil, nil
		}
		changed = true
	}

	if t.Status == keyturn.TeamPending && !t.ActivationDeadline.IsZero() && !now.Before(t.ActivationDeadline) {
		t.Status, t.StatusCode = keyturn.TeamInactive, keyturn.TeamFailedActivation
		t.StatusMessage = "Activation failed: the invitations expired before every approver accepted."
		t.ActivationDeadline = time.Time{}
		e.log.InfoContext(ctx, "approval team activation expired", "arn", t.Arn)
		changed = true
	}
	if p := t.PendingUpdate; p != nil && p.StatusCode == keyturn.TeamUpdatePendingActivation && !now.Before(p.ActivationDeadline) {
		failUpdate(t, keyturn.TeamUpdateFailedActivation, "Update failed: the invitations to new approvers expired before every new approver accepted.")
		e.log.InfoContext(ctx, "approval team update activation expired", "arn", t.Arn, "version_id", p.VersionID)
		changed = true
	}
	if t.Status == keyturn.TeamDeleting && !now.Before(t.DeletionCompletionTime) {
		if err := e.deleteTeam(ctx, tx, t, now); err != nil {
			return nil, err
		}
		e.log.InfoContext(ctx, "approval team deleted after its pending window", "arn", t.Arn)
		return nil, nil
	}
	if changed {
		if err := tx.UpdateTeam(ctx, t); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// failUpdate marks the team's pending update as failed with the code.
func failUpdate(t *keyturn.Team, code keyturn.TeamStatusCode, message string) {
	p := t.PendingUpdate
	p.Status, p.StatusCode, p.StatusMessage = keyturn.TeamInactive, code, message
	p.ActivationDeadline = time.Time{}
	t.StatusCode, t.StatusMessage = code, message
}

// finishSession gives a pending session its final status at the time, and
// applies what that means for the team: an approved update is applied, an
// approved deletion starts the pending window, and so on. It stores the
// session but not the team, unless it deletes it; it returns true then.
func (e *Engine) finishSession(ctx context.Context, tx keyturn.Tx, t *keyturn.Team, s *keyturn.Session,
	status keyturn.SessionStatus, code keyturn.SessionStatusCode, message string, at time.Time) (teamDeleted bool, err error) {
	s.Status, s.StatusCode, s.StatusMessage = status, code, message
	s.CompletionTime = at
	if status == keyturn.SessionApproved && s.Kind == keyturn.KindOperation {
		s.ExecutionStatus = keyturn.ExecutionPending
	}
	if err := tx.UpdateSession(ctx, s); err != nil {
		return false, err
	}
	// NOTE: this line is logged inside the transaction. If the transaction
	// then rolls back, such as when a replica dies before the commit, the
	// log shows a decision that was never stored.
	e.log.InfoContext(ctx, "session decided", "arn", s.Arn, "kind", s.Kind, "status", status, "status_code", code)
	if t == nil {
		return false, nil
	}

	switch s.Kind {
	case keyturn.KindTeamUpdate:
		if t.UpdateSessionArn != s.Arn || t.PendingUpdate == nil {
			return false, nil
		}
		switch status {
		case keyturn.SessionApproved:
			return false, e.approveUpdate(ctx, tx, t, at)
		case keyturn.SessionFailed:
			failUpdate(t, keyturn.TeamUpdateFailedApproval, "Update failed: "+message)
		case keyturn.SessionCancelled:
			t.PendingUpdate = nil
			t.UpdateSessionArn = ""
			t.StatusCode, t.StatusMessage = "", ""
		}
	case keyturn.KindTeamDeletion:
		if t.DeletionSessionArn != s.Arn || t.StatusCode != keyturn.TeamDeletePendingApproval {
			return false, nil
		}
		switch status {
		case keyturn.SessionApproved:
			return e.approveDeletion(ctx, tx, t, at)
		case keyturn.SessionFailed:
			t.StatusCode = keyturn.TeamDeleteFailedApproval
			t.StatusMessage = "Deletion failed: " + message
		case keyturn.SessionCancelled:
			t.StatusCode, t.StatusMessage = "", ""
			t.DeletionSessionArn = ""
			t.PendingWindowDays = 0
			t.DeletionStartTime = time.Time{}
		}
	case keyturn.KindBaseline:
		for i := range t.Approvers {
			if t.Approvers[i].PendingBaselineSessionArn == s.Arn {
				t.Approvers[i].PendingBaselineSessionArn = ""
			}
		}
	}
	return false, nil
}

// approveUpdate handles an approved update session. Without new approvers
// the draft takes effect at once; otherwise the new approvers are invited
// and the draft waits in UPDATE_PENDING_ACTIVATION.
func (e *Engine) approveUpdate(ctx context.Context, tx keyturn.Tx, t *keyturn.Team, now time.Time) error {
	p := t.PendingUpdate
	for _, a := range p.Approvers {
		if a.Status == keyturn.IdentityPending {
			p.Status, p.StatusCode = keyturn.TeamPending, keyturn.TeamUpdatePendingActivation
			p.StatusMessage = "Waiting for new approvers to accept the invitation."
			p.ActivationDeadline = now.Add(e.cfg.InvitationTTL)
			t.StatusCode, t.StatusMessage = p.StatusCode, p.StatusMessage
			return nil
		}
	}
	return e.applyDraft(ctx, tx, t, now)
}

// applyDraft makes the pending update the team's configuration, and ends the
// team's other pending sessions, which were started under the old one.
func (e *Engine) applyDraft(ctx context.Context, tx keyturn.Tx, t *keyturn.Team, now time.Time) error {
	p := t.PendingUpdate
	t.VersionID = p.VersionID
	t.Description = p.Description
	t.MinApprovals = p.MinApprovals
	t.Approvers = mergeApprovers(t.Approvers, p.Approvers)
	t.LastUpdateTime = now
	if p.SynchronizeMFA {
		if err := synchronizeMFA(ctx, tx, t); err != nil {
			return err
		}
	}
	updateSession := t.UpdateSessionArn
	t.PendingUpdate = nil
	t.UpdateSessionArn = ""
	t.StatusCode, t.StatusMessage = "", ""
	e.log.InfoContext(ctx, "approval team update applied", "arn", t.Arn, "version_id", t.VersionID)
	return e.cancelPendingSessions(ctx, tx, t, updateSession, keyturn.SessionConfigurationChanged,
		fmt.Sprintf("The approval team's configuration changed to version %s while the session was pending.", t.VersionID), now)
}

// mergeApprovers returns the draft's approvers, taking the current record
// of each approver who stays. The draft copied those records when the
// update was proposed, so only the current ones hold the activity since
// then, such as the votes on the update session itself.
func mergeApprovers(current, draft []keyturn.Approver) []keyturn.Approver {
	out := make([]keyturn.Approver, len(draft))
	for i, a := range draft {
		out[i] = a
		for _, c := range current {
			if c.ApproverID == a.ApproverID {
				out[i] = c
				break
			}
		}
	}
	return out
}

// approveDeletion starts the pending window of an approved deletion, or
// deletes the team at once when the window is zero days. Either way the
// team's other pending sessions end: with the team's deletion, or now,
// with the start of its window.
func (e *Engine) approveDeletion(ctx context.Context, tx keyturn.Tx, t *keyturn.Team, now time.Time) (bool, error) {
	t.Status, t.StatusCode = keyturn.TeamDeleting, ""
	t.DeletionCompletionTime = now.AddDate(0, 0, t.PendingWindowDays)
	if t.PendingWindowDays == 0 {
		return true, e.deleteTeam(ctx, tx, t, now)
	}
	t.StatusMessage = fmt.Sprintf("The approvers approved the deletion. The team will be deleted at %s.", t.DeletionCompletionTime.Format(time.RFC3339))
	return false, e.cancelPendingSessions(ctx, tx, t, t.DeletionSessionArn, "", "The approval team is being deleted.", now)
}

// cancelPendingSessions cancels every pending session of the team except
// the one named, with the status code and message given.
func (e *Engine) cancelPendingSessions(ctx context.Context, tx keyturn.Tx, t *keyturn.Team, except string,
	code keyturn.SessionStatusCode, message string, now time.Time) error {
	sessions, err := tx.PendingSessions(ctx, t.Arn)
	if err != nil {
		return err
	}
	for _, s := range sessions {
		if s.Arn == except {
			continue
		}
		if s.Expired(now) {
			// It ran out before the change: record that, not a cancellation.
			if _, err := e.finishSession(ctx, tx, t, s, keyturn.SessionFailed, keyturn.SessionExpired, keyturn.ExpiryMessage(s.Kind), s.ExpirationTime); err != nil {
				return err
			}
			continue
		}
		if _, err := e.finishSession(ctx, tx, t, s, keyturn.SessionCancelled, code, message, now); err != nil {
			return err
		}
	}
	return nil
}

// Sweep applies every transition due at the workflow clock's now: expired
// sessions, expired invitations and ended deletion windows. It also drops
// idempotency records that have run out, and applies the automatic answers
// of development rules. It returns the number of teams, sessions and
// answers it handled. Each transition has its own transaction, so an error
// leaves the others applied.
func (e *Engine) Sweep(ctx context.Context) (int, error) {
	now := e.Now()
	changed := 0
	for {
		var arns []string
		err := e.store.View(ctx, func(tx keyturn.Tx) error {
			var err error
			arns, err = tx.DueSessions(ctx, now, 100)
			return err
		})
		if err != nil {
			return changed, err
		}
		for _, arn := range arns {
			if err := e.settleSession(ctx, arn, now); err != nil {
				return changed, err
			}
			changed++
		}
		if len(arns) < 100 {
			break
		}
	}
	for {
		var arns []string
		err := e.store.View(ctx, func(tx keyturn.Tx) error {
			var err error
			arns, err = tx.DueTeams(ctx, now, 100)
			return err
		})
		if err != nil {
			return changed, err
		}
		for _, arn := range arns {
			err := e.store.Update(ctx, func(tx keyturn.Tx) error {
				t, err := tx.LockTeam(ctx, arn)
				if isNotFound(err) {
					return nil
				}
				if err != nil {
					return err
				}
				_, err = e.settleTeam(ctx, tx, t, now)
				return err
			})
			if err != nil {
				return changed, err
			}
			changed++
		}
		if len(arns) < 100 {
			break
		}
	}
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		return tx.DeleteIdempotencyRecords(ctx, now.Add(-idempotencyTTL))
	})
	if err != nil {
		return changed, err
	}
	answered, err := e.applyRules(ctx, now)
	return changed + answered, err
}

// settleSession records the expiry of one session, with its effect on the
// team, if it is still due.
func (e *Engine) settleSession(ctx context.Context, arn string, now time.Time) error {
	return e.store.Update(ctx, func(tx keyturn.Tx) error {
		s, err := tx.GetSession(ctx, arn)
		if err != nil {
			return err
		}
		t, err := tx.LockTeam(ctx, s.TeamArn)
		if err != nil && !isNotFound(err) {
			return err
		}
		if err == nil {
			// Read again under the team's lock: a vote may have decided it.
			if s, err = tx.GetSession(ctx, arn); err != nil {
				return err
			}
		}
		if !s.Expired(now) {
			return nil
		}
		if t == nil {
			_, err = e.finishSession(ctx, tx, nil, s, keyturn.SessionFailed, keyturn.SessionExpired, keyturn.ExpiryMessage(s.Kind), s.ExpirationTime)
			return err
		}
		deleted, err := e.finishSession(ctx, tx, t, s, keyturn.SessionFailed, keyturn.SessionExpired, keyturn.ExpiryMessage(s.Kind), s.ExpirationTime)
		if err != nil || deleted {
			return err
		}
		return tx.UpdateTeam(ctx, t)
	})
}
