package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/keyturn/keyturn"
)

// Proof is a second factor presented with a vote.
type Proof struct {
	// Method is TOTP or EMAIL_OTP.
	Method string
	Code   string
}

// Vote records an approver's response in a PENDING session and, in the same
// transaction, decides the session when the vote settles it: APPROVED at the
// M-th approval, FAILED with REJECTED as soon as M approvals can no longer be
// reached. Votes are final. A session that requires approver verification
// accepts a vote only with a valid second factor, unless the vote is
// delegated.
func (e *Engine) Vote(ctx context.Context, v Voter, sessionArn string, response keyturn.Response, proof Proof) (*keyturn.Session, error) {
	if response != keyturn.ResponseApproved && response != keyturn.ResponseRejected {
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "Response %q is invalid: vote APPROVED or REJECTED.", response)
	}
	if err := checkOwner(Caller{AccountID: v.AccountID, Region: v.Region}, sessionArn, "Session"); err != nil {
		return nil, err
	}

	// Check everything that does not need the lock first, so that a vote
	// that cannot count spends no one-time code.
	var s *keyturn.Session
	var user *keyturn.User
	err := e.store.View(ctx, func(tx keyturn.Tx) error {
		var err error
		if s, err = tx.GetSession(ctx, sessionArn); err != nil {
			return orNotFound(err, "Session", sessionArn)
		}
		if user, err = tx.GetUser(ctx, v.AccountID, v.Region, v.UserID); err != nil {
			return err
		}
		return checkVote(s, user, e.Now())
	})
	if err != nil {
		return nil, err
	}
	method := ""
	if s.RequiresVerification() && !v.Delegated {
		if method, err = e.verifyFactor(ctx, user, votePurpose(sessionArn), proof); err != nil {
			return nil, err
		}
	}

	err = e.store.Update(ctx, func(tx keyturn.Tx) error {
		t, err := tx.LockTeam(ctx, s.TeamArn)
		if err != nil && !isNotFound(err) {
			return err
		}
		// Read the time under the team's lock, so that the votes of a
		// session and its decision carry times in the order they commit.
		now := e.Now()
		if s, err = tx.GetSession(ctx, sessionArn); err != nil {
			return err
		}
		if err := checkVote(s, user, now); err != nil {
			return err
		}
		a := s.Approver(user.ID)
		vote := keyturn.Vote{ApproverID: a.ApproverID, IdentityID: user.ID, Response: response, Time: now, MFAMethod: method}
		if v.Delegated {
			vote.MFAMethod = "DELEGATED"
		}
		if err := tx.AddVote(ctx, sessionArn, vote); err != nil {
			if keyturn.Code(err) == keyturn.ErrConflict {
				return keyturn.Errorf(keyturn.ErrConflict, "You already voted in session %s; votes are final.", sessionArn)
			}
			return err
		}
		s.Votes = append(s.Votes, vote)
		if t == nil {
			return nil
		}
		if ta := t.Approver(a.ApproverID); ta != nil {
			ta.LastActivity, ta.LastActivityTime = keyturn.ActivityVoted, now
			// A newer baseline may wait for this approver too; only this
			// session's mark is cleared.
			if s.Kind == keyturn.KindBaseline {
				ta.LastActivity = keyturn.ActivityBaselined
				if ta.PendingBaselineSessionArn == s.Arn {
					ta.PendingBaselineSessionArn = ""
				}
			}
		}
		deleted := false
		if status, code, message, done := decide(s); done {
			if deleted, err = e.finishSession(ctx, tx, t, s, status, code, message, now); err != nil {
				return err
			}
		}
		if deleted {
			return nil
		}
		return tx.UpdateTeam(ctx, t)
	})
	if err != nil {
		return nil, err
	}
	e.log.InfoContext(ctx, "vote recorded", "session_arn", sessionArn, "user_id", user.ID, "response", response, "delegated", v.Delegated)
	return s, nil
}

// checkVote returns why the user may not vote in the session now, or nil.
func checkVote(s *keyturn.Session, u *keyturn.User, now time.Time) error {
	switch {
	case u.Status != keyturn.UserEnabled:
		return keyturn.Errorf(keyturn.ErrAccessDenied, "User %s is disabled and cannot vote.", u.ID)
	case s.Approver(u.ID) == nil:
		return keyturn.Errorf(keyturn.ErrAccessDenied, "User %s is not an approver in session %s.", u.ID, s.Arn)
	case s.Expired(now):
		return keyturn.Errorf(keyturn.ErrConflict, "Session %s expired at %s; it no longer takes votes.", s.Arn, s.ExpirationTime.Format(time.RFC3339))
	case s.Status != keyturn.SessionPending:
		return keyturn.Errorf(keyturn.ErrConflict, "Session %s is %s; it no longer takes votes.", s.Arn, describeStatus(s))
	}
	if prior := s.Vote(s.Approver(u.ID).ApproverID); prior != nil {
		return keyturn.Errorf(keyturn.ErrConflict, "You already voted %s in session %s at %s; votes are final.",
			prior.Response, s.Arn, prior.Time.Format(time.RFC3339))
	}
	return nil
}

// describeStatus returns a session's status with its code, such as
// "FAILED (EXPIRED)".
func describeStatus(s *keyturn.Session) string {
	if s.StatusCode == "" {
		return string(s.Status)
	}
	return fmt.Sprintf("%s (%s)", s.Status, s.StatusCode)
}

// decide returns the session's final status once its votes settle it.
func decide(s *keyturn.Session) (keyturn.SessionStatus, keyturn.SessionStatusCode, string, bool) {
	approvals, rejections := s.Tally()
	n := len(s.Approvers)
	if s.Kind == keyturn.KindBaseline {
		if approvals+rejections == n {
			return keyturn.SessionApproved, keyturn.SessionAllApproversResponded, "Every chosen approver responded.", true
		}
		return "", "", "", false
	}
	if approvals >= s.MinApprovals {
		return keyturn.SessionApproved, "", fmt.Sprintf("Approved by %d of %d approvers.", approvals, n), true
	}
	if outstanding := n - approvals - rejections; approvals+outstanding < s.MinApprovals {
		return keyturn.SessionFailed, keyturn.SessionRejected,
			fmt.Sprintf("Rejected: %d of %d approvers rejected, so the %d approvals required can no longer be reached.", rejections, n, s.MinApprovals), true
	}
	return "", "", "", false
}

func votePurpose(sessionArn string) string { return "vote:" + sessionArn }

// Invitation is an open invitation for a user to join a team, either as
// it is created or through a pending update.
type Invitation struct {
	TeamArn      string
	TeamName     string
	Description  string
	ApproverID   string
	VersionID    string
	MinApprovals int
	Approvers    int
	// Update is true for an invitation to join through a pending update.
	Update    bool
	ExpiresAt time.Time
}

// ListInvitations returns the user's open invitations.
func (e *Engine) ListInvitations(ctx context.Context, v Voter) ([]Invitation, error) {
	var teams []*keyturn.Team
	err := e.store.View(ctx, func(tx keyturn.Tx) error {
		var err error
		teams, err = teamsOfUser(ctx, tx, v.AccountID, v.Region, v.UserID)
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []Invitation
	for _, t := range teams {
		if t, err = e.readTeam(ctx, t.Arn); err != nil {
			if isNotFound(err) {
				continue
			}
			return nil, err
		}
		if inv, ok := invitationOf(t, v.UserID); ok {
			out = append(out, inv)
		}
	}
	return out, nil
}

// invitationOf returns the user's open invitation to the team, if any.
func invitationOf(t *keyturn.Team, userID string) (Invitation, bool) {
	inv := Invitation{TeamArn: t.Arn, TeamName: t.Name}
	if t.Status == keyturn.TeamPending && t.StatusCode == keyturn.TeamPendingActivation {
		if a := t.ApproverByIdentity(userID); a != nil && a.Status == keyturn.IdentityPending {
			inv.Description, inv.ApproverID, inv.VersionID = t.Description, a.ApproverID, t.VersionID
			inv.MinApprovals, inv.Approvers, inv.ExpiresAt = t.MinApprovals, len(t.Approvers), t.ActivationDeadline
			return inv, true
		}
	}
	if p := t.PendingUpdate; p != nil && p.StatusCode == keyturn.TeamUpdatePendingActivation {
		if a := draftApprover(p, userID); a != nil && a.Status == keyturn.IdentityPending {
			inv.Description, inv.ApproverID, inv.VersionID = p.Description, a.ApproverID, p.VersionID
			inv.MinApprovals, inv.Approvers, inv.ExpiresAt = p.MinApprovals, len(p.Approvers), p.ActivationDeadline
			inv.Update = true
			return inv, true
		}
	}
	return Invitation{}, false
}

// RespondToInvitation accepts or declines the user's open invitation to a
// team. When the last approver of a new team accepts, the team becomes
// ACTIVE; when the last new approver of an update accepts, the update takes
// effect. A decline fails the team's activation, or the update.
func (e *Engine) RespondToInvitation(ctx context.Context, v Voter, teamArn string, accept bool) (*keyturn.Team, error) {
	if err := checkOwner(Caller{AccountID: v.AccountID, Region: v.Region}, teamArn, "Approval team"); err != nil {
		return nil, err
	}
	now := e.Now()
	var out *keyturn.Team
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		u, err := tx.GetUser(ctx, v.AccountID, v.Region, v.UserID)
		if err != nil {
			return err
		}
		if u.Status != keyturn.UserEnabled {
			return keyturn.Errorf(keyturn.ErrAccessDenied, "User %s is disabled and cannot answer invitations.", u.ID)
		}
		t, err := tx.LockTeam(ctx, teamArn)
		if err != nil {
			return orNotFound(err, "Approval team", teamArn)
		}
		if t, err = e.settleTeam(ctx, tx, t, now); err != nil {
			return err
		}
		if t == nil {
			return notFound("Approval team", teamArn)
		}
		inv, ok := invitationOf(t, v.UserID)
		if !ok {
			return keyturn.Errorf(keyturn.ErrConflict,
				"User %s has no open invitation to approval team %s: it was already answered, it expired, or the user is not invited.", v.UserID, teamArn)
		}
		if inv.Update {
			e.answerUpdateInvitation(t, v.UserID, accept, now)
			if accept && allAccepted(t.PendingUpdate.Approvers) {
				if err := e.applyDraft(ctx, tx, t, now); err != nil {
					return err
				}
			}
		} else {
			e.answerTeamInvitation(t, v.UserID, accept, now)
		}
		out = t
		return tx.UpdateTeam(ctx, t)
	})
	if err == nil {
		e.log.InfoContext(ctx, "invitation answered", "team_arn", teamArn, "user_id", v.UserID, "accepted", accept, "team_status", out.Status)
	}
	return out, err
}

func (e *Engine) answerTeamInvitation(t *keyturn.Team, userID string, accept bool, now time.Time) {
	a := t.ApproverByIdentity(userID)
	recordAnswer(a, accept, now)
	switch {
	case !accept:
		t.Status, t.StatusCode = keyturn.TeamInactive, keyturn.TeamFailedActivation
		t.StatusMessage = fmt.Sprintf("Activation failed: approver %s declined the invitation.", a.ApproverID)
		t.ActivationDeadline = time.Time{}
	case allAccepted(t.Approvers):
		t.Status, t.StatusCode, t.StatusMessage = keyturn.TeamActive, "", ""
		t.ActivationDeadline = time.Time{}
	}
}

func (e *Engine) answerUpdateInvitation(t *keyturn.Team, userID string, accept bool, now time.Time) {
	a := draftApprover(t.PendingUpdate, userID)
	recordAnswer(a, accept, now)
	if !accept {
		failUpdate(t, keyturn.TeamUpdateFailedActivation, fmt.Sprintf("Update failed: new approver %s declined the invitation.", a.ApproverID))
	}
}

func recordAnswer(a *keyturn.Approver, accept bool, now time.Time) {
	a.Status = keyturn.IdentityRejected
	if accept {
		a.Status = keyturn.IdentityAccepted
	}
	a.ResponseTime = now
	a.LastActivity, a.LastActivityTime = keyturn.ActivityRespondedToInvitation, now
}

// ApproverSession is a session as an approver sees it, with the approver's
// own vote.
type ApproverSession struct {
	*keyturn.Session
	MyVote *keyturn.Vote
}

// ListApproverSessions returns the PENDING sessions in which the user is an
// approver, with any vote the user cast, newest first.
func (e *Engine) ListApproverSessions(ctx context.Context, v Voter) ([]ApproverSession, error) {
	now := e.Now()
	var out []ApproverSession
	err := e.store.View(ctx, func(tx keyturn.Tx) error {
		teams, err := teamsOfUser(ctx, tx, v.AccountID, v.Region, v.UserID)
		if err != nil {
			return err
		}
		for _, t := range teams {
			sessions, err := tx.PendingSessions(ctx, t.Arn)
			if err != nil {
				return err
			}
			for _, s := range sessions {
				a := s.Approver(v.UserID)
				if a == nil || s.Expired(now) {
					continue
				}
				out = append(out, ApproverSession{Session: s, MyVote: s.Vote(a.ApproverID)})
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b ApproverSession) int { return compareNewestFirst(a.Session, b.Session) })
	return out, err
}

// GetApproverSession returns a session in which the user is an approver,
// with the user's vote. Any other session is reported as not found, as one
// of another account is, so that approvers cannot read every session of
// their account.
func (e *Engine) GetApproverSession(ctx context.Context, v Voter, arn string) (*ApproverSession, error) {
	s, err := e.GetSession(ctx, Caller{AccountID: v.AccountID, Region: v.Region}, arn)
	if err != nil {
		return nil, err
	}
	a := s.Approver(v.UserID)
	if a == nil {
		return nil, notFound("Session", arn)
	}
	return &ApproverSession{Session: s, MyVote: s.Vote(a.ApproverID)}, nil
}

// compareNewestFirst orders sessions as ListSessions does: by initiation
// time, then Seq, both descending.
func compareNewestFirst(a, b *keyturn.Session) int {
	if c := b.InitiationTime.Compare(a.InitiationTime); c != 0 {
		return c
	}
	return cmp.Compare(b.Seq, a.Seq)
}
