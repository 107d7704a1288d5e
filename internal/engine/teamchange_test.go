package engine

import (
	"testing"
	"time"

	"github.com/keyturn/keyturn"
)

// startDeletion starts the deletion of an ACTIVE team.
func (f *fixture) startDeletion(teamArn string, days int) *TeamDeletion {
	f.t.Helper()
	d, err := f.eng.StartTeamDeletion(f.ctx, f.caller, teamArn, days)
	if err != nil {
		f.t.Fatalf("StartTeamDeletion: %v", err)
	}
	return d
}

func TestStartTeamDeletion(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)

	d := f.startDeletion(active.Arn, 7)

	team := f.team(active.Arn)
	wantStatus(t, team, keyturn.TeamActive, keyturn.TeamDeletePendingApproval, true)
	wantApprovers(t, team.Approvers, statuses(users, keyturn.IdentityAccepted))
	if team.DeletionSessionArn != d.SessionArn || !d.DeletionStartTime.Equal(testStart) {
		t.Errorf("deletion: team session %s, returned %s at %s; want the same session, started at %s", team.DeletionSessionArn, d.SessionArn, d.DeletionStartTime, testStart)
	}
	s := f.session(d.SessionArn)
	if s.Kind != keyturn.KindTeamDeletion || s.Status != keyturn.SessionPending || s.MinApprovals != 2 {
		t.Errorf("deletion session: got %s %s M=%d, want TEAM_DELETION PENDING M=2", s.Kind, s.Status, s.MinApprovals)
	}

	again := f.startDeletion(active.Arn, 7)
	if again.SessionArn != d.SessionArn {
		t.Errorf("repeated request: got session %s, want the first %s", again.SessionArn, d.SessionArn)
	}
	_, err := f.eng.StartTeamDeletion(f.ctx, f.caller, active.Arn, 1)
	wantCode(t, err, keyturn.ErrConflict)
	_, err = f.eng.UpdateTeam(f.ctx, f.caller, active.Arn, UpdateTeamInput{Description: ptr("Changed.")})
	wantCode(t, err, keyturn.ErrConflict)
}

func TestStartTeamDeletionRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, _ := f.activeTeam(3, 2)

	for _, days := range []int{-1, MaxPendingWindowDays + 1} {
		_, err := f.eng.StartTeamDeletion(f.ctx, f.caller, active.Arn, days)
		wantCode(t, err, keyturn.ErrInvalid)
	}

	users := f.addUsers(1)
	pending := f.createTeam(1, users[0].ID)
	_, err := f.eng.StartTeamDeletion(f.ctx, f.caller, pending.Arn, 0)
	wantCode(t, err, keyturn.ErrConflict)

	f.proposeUpdate(active.Arn, UpdateTeamInput{Description: ptr("Changed.")})
	_, err = f.eng.StartTeamDeletion(f.ctx, f.caller, active.Arn, 0)
	wantCode(t, err, keyturn.ErrConflict)
}

func TestDeletionApprovedWithoutWindow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	operation := f.startSession(active.Arn)
	d := f.startDeletion(active.Arn, 0)

	f.vote(users[0], d.SessionArn, keyturn.ResponseApproved)
	f.vote(users[1], d.SessionArn, keyturn.ResponseApproved)

	_, err := f.eng.GetTeam(f.ctx, f.caller, active.Arn)
	wantCode(t, err, keyturn.ErrNotFound)
	if s := f.session(d.SessionArn); s.Status != keyturn.SessionApproved {
		t.Errorf("deletion session: got %s, want APPROVED", s.Status)
	}
	s := f.session(operation.Arn)
	if s.Status != keyturn.SessionCancelled || s.StatusMessage == "" {
		t.Errorf("pending session of the deleted team: got %s %q, want CANCELLED with a message", s.Status, s.StatusMessage)
	}
	if s.CompletionTime.IsZero() {
		t.Error("CompletionTime of the cancelled session is zero, want the deletion time")
	}
}

func TestDeletionApprovedWithWindow(t *testing.T) {
	t.Parallel()
	for _, via := range []string{"read", "sweep"} {
		t.Run(via, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			active, users := f.activeTeam(3, 2)
			operation := f.startSession(active.Arn)
			d := f.startDeletion(active.Arn, 3)
			f.clock.Advance(time.Hour)

			f.vote(users[0], d.SessionArn, keyturn.ResponseApproved)
			f.vote(users[1], d.SessionArn, keyturn.ResponseApproved)

			team := f.team(active.Arn)
			wantStatus(t, team, keyturn.TeamDeleting, "", true)
			wantApprovers(t, team.Approvers, statuses(users, keyturn.IdentityAccepted))
			completion := testStart.Add(time.Hour + 3*24*time.Hour)
			if !team.DeletionCompletionTime.Equal(completion) {
				t.Errorf("DeletionCompletionTime: got %s, want %s", team.DeletionCompletionTime, completion)
			}
			if s := f.session(operation.Arn); s.Status != keyturn.SessionCancelled {
				t.Errorf("pending session of the DELETING team: got %s, want CANCELLED", s.Status)
			}
			_, err := f.eng.StartSession(f.ctx, f.caller, StartSessionInput{TeamArn: active.Arn, ActionName: deployAction})
			wantCode(t, err, keyturn.ErrConflict)

			f.clock.Advance(3*24*time.Hour - time.Millisecond)
			if via == "sweep" {
				f.sweep()
			}
			wantStatus(t, f.team(active.Arn), keyturn.TeamDeleting, "", true)

			f.clock.Advance(time.Millisecond)
			if via == "sweep" {
				if n := f.sweep(); n != 1 {
					t.Errorf("Sweep changed %d records, want 1", n)
				}
				err := f.store.View(f.ctx, func(tx keyturn.Tx) error {
					_, err := tx.GetTeam(f.ctx, active.Arn)
					return err
				})
				wantCode(t, err, keyturn.ErrNotFound)
			}
			_, err = f.eng.GetTeam(f.ctx, f.caller, active.Arn)
			wantCode(t, err, keyturn.ErrNotFound)
		})
	}
}

func TestDeletionFailedApproval(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		finish func(f *fixture, users []*keyturn.User, sessionArn string)
		code   keyturn.SessionStatusCode
	}{
		{"rejected", func(f *fixture, users []*keyturn.User, sessionArn string) {
			f.vote(users[0], sessionArn, keyturn.ResponseRejected)
			f.vote(users[1], sessionArn, keyturn.ResponseRejected)
		}, keyturn.SessionRejected},
		{"expired", func(f *fixture, _ []*keyturn.User, _ string) {
			f.clock.Advance(24 * time.Hour)
		}, keyturn.SessionExpired},
		{"expired and swept", func(f *fixture, _ []*keyturn.User, _ string) {
			f.clock.Advance(24 * time.Hour)
			f.sweep()
		}, keyturn.SessionExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			active, users := f.activeTeam(3, 2)
			d := f.startDeletion(active.Arn, 0)

			tt.finish(f, users, d.SessionArn)

			team := f.team(active.Arn)
			wantStatus(t, team, keyturn.TeamActive, keyturn.TeamDeleteFailedApproval, true)
			wantApprovers(t, team.Approvers, statuses(users, keyturn.IdentityAccepted))
			s := f.storedSession(d.SessionArn)
			if s.Status != keyturn.SessionFailed || s.StatusCode != tt.code {
				t.Errorf("stored deletion session: got %s/%s, want FAILED/%s", s.Status, s.StatusCode, tt.code)
			}

			// A team whose deletion failed can try again.
			again := f.startDeletion(active.Arn, 0)
			if again.SessionArn == d.SessionArn {
				t.Error("a new deletion reused the failed session")
			}
		})
	}
}

func TestDeletionCancelled(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	d := f.startDeletion(active.Arn, 5)

	if err := f.eng.CancelSession(f.ctx, f.caller, d.SessionArn); err != nil {
		t.Fatalf("CancelSession: %v", err)
	}

	team := f.team(active.Arn)
	wantStatus(t, team, keyturn.TeamActive, "", false)
	wantApprovers(t, team.Approvers, statuses(users, keyturn.IdentityAccepted))
	if team.DeletionSessionArn != "" || team.PendingWindowDays != 0 || !team.DeletionStartTime.IsZero() {
		t.Errorf("deletion fields: session %q, window %d, start %s: want all cleared", team.DeletionSessionArn, team.PendingWindowDays, team.DeletionStartTime)
	}
	if team.VersionID != active.VersionID {
		t.Errorf("VersionID: got %s, want the unchanged %s", team.VersionID, active.VersionID)
	}
	if s := f.session(d.SessionArn); s.Status != keyturn.SessionCancelled {
		t.Errorf("deletion session: got %s, want CANCELLED", s.Status)
	}
}

func TestAppliedUpdateCancelsPendingSessions(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	operation := f.startSession(active.Arn)
	decided := f.startSession(active.Arn)
	f.vote(users[0], decided.Arn, keyturn.ResponseApproved)
	f.vote(users[1], decided.Arn, keyturn.ResponseApproved)
	version, sessionArn := f.proposeUpdate(active.Arn, UpdateTeamInput{MinApprovals: ptr(3)})

	f.vote(users[0], sessionArn, keyturn.ResponseApproved)
	f.vote(users[1], sessionArn, keyturn.ResponseApproved)

	s := f.session(operation.Arn)
	if s.Status != keyturn.SessionCancelled || s.StatusCode != keyturn.SessionConfigurationChanged {
		t.Errorf("session started under the old version: got %s/%s, want CANCELLED/CONFIGURATION_CHANGED", s.Status, s.StatusCode)
	}
	if s.StatusMessage == "" {
		t.Error("StatusMessage of the cancelled session is empty, want the new version named")
	}
	if got := f.session(decided.Arn).Status; got != keyturn.SessionApproved {
		t.Errorf("session decided before the update: got %s, want APPROVED", got)
	}
	if got := f.session(sessionArn).Status; got != keyturn.SessionApproved {
		t.Errorf("update session: got %s, want APPROVED", got)
	}
	if got := f.team(active.Arn).VersionID; got != version {
		t.Errorf("VersionID: got %s, want %s", got, version)
	}
}

func TestBaseline(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	chosen := []string{active.ApproverByIdentity(users[0].ID).ApproverID, active.ApproverByIdentity(users[1].ID).ApproverID}

	sessionArn, err := f.eng.StartBaseline(f.ctx, f.caller, active.Arn, chosen)
	if err != nil {
		t.Fatalf("StartBaseline: %v", err)
	}

	team := f.team(active.Arn)
	for i, u := range users {
		got := team.ApproverByIdentity(u.ID).PendingBaselineSessionArn
		want := ""
		if i < 2 {
			want = sessionArn
		}
		if got != want {
			t.Errorf("PendingBaselineSessionArn of %s: got %q, want %q", u.UserName, got, want)
		}
	}
	s := f.session(sessionArn)
	if s.Kind != keyturn.KindBaseline || len(s.Approvers) != 2 || s.MinApprovals != 2 {
		t.Errorf("baseline session: got %s with %d approvers, M=%d; want BASELINE with 2 approvers, M=2", s.Kind, len(s.Approvers), s.MinApprovals)
	}
	v := voter(users[2])
	v.Delegated = true
	_, err = f.eng.Vote(f.ctx, v, sessionArn, keyturn.ResponseApproved, Proof{})
	wantCode(t, err, keyturn.ErrAccessDenied)

	f.clock.Advance(time.Minute)
	f.vote(users[0], sessionArn, keyturn.ResponseRejected)

	team = f.team(active.Arn)
	a := team.ApproverByIdentity(users[0].ID)
	if a.LastActivity != keyturn.ActivityBaselined || !a.LastActivityTime.Equal(testStart.Add(time.Minute)) {
		t.Errorf("responder's activity: got %q at %s, want BASELINED at %s", a.LastActivity, a.LastActivityTime, testStart.Add(time.Minute))
	}
	if a.PendingBaselineSessionArn != "" {
		t.Errorf("responder's PendingBaselineSessionArn: got %q, want it cleared", a.PendingBaselineSessionArn)
	}
	if got := team.ApproverByIdentity(users[1].ID).PendingBaselineSessionArn; got != sessionArn {
		t.Errorf("PendingBaselineSessionArn of the approver yet to respond: got %q, want %q", got, sessionArn)
	}
	if got := f.session(sessionArn).Status; got != keyturn.SessionPending {
		t.Fatalf("baseline session after one of two responses: got %s, want PENDING", got)
	}

	f.vote(users[1], sessionArn, keyturn.ResponseApproved)

	s = f.session(sessionArn)
	if s.Status != keyturn.SessionApproved || s.StatusCode != keyturn.SessionAllApproversResponded {
		t.Errorf("baseline session: got %s/%s, want APPROVED/ALL_APPROVERS_IN_SESSION", s.Status, s.StatusCode)
	}
	team = f.team(active.Arn)
	wantStatus(t, team, keyturn.TeamActive, "", false)
	for _, u := range users[:2] {
		a := team.ApproverByIdentity(u.ID)
		if a.LastActivity != keyturn.ActivityBaselined || a.PendingBaselineSessionArn != "" {
			t.Errorf("%s after the baseline: activity %q, pending %q; want BASELINED and none pending", u.UserName, a.LastActivity, a.PendingBaselineSessionArn)
		}
	}
	if got := team.ApproverByIdentity(users[2].ID).LastActivity; got != keyturn.ActivityRespondedToInvitation {
		t.Errorf("activity of the approver not chosen: got %q, want RESPONDED_TO_INVITATION", got)
	}
}

func TestBaselineAllApproversByDefault(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)

	sessionArn, err := f.eng.StartBaseline(f.ctx, f.caller, active.Arn, nil)
	if err != nil {
		t.Fatalf("StartBaseline: %v", err)
	}

	team := f.team(active.Arn)
	for _, a := range team.Approvers {
		if a.PendingBaselineSessionArn != sessionArn {
			t.Errorf("PendingBaselineSessionArn of %s: got %q, want %q", a.IdentityID, a.PendingBaselineSessionArn, sessionArn)
		}
	}
	if s := f.session(sessionArn); len(s.Approvers) != len(users) || s.MinApprovals != len(users) {
		t.Errorf("baseline session: got %d approvers, M=%d; want %d and %d", len(s.Approvers), s.MinApprovals, len(users), len(users))
	}
}

func TestBaselineExpiry(t *testing.T) {
	t.Parallel()
	for _, via := range []string{"read", "sweep"} {
		t.Run(via, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			active, users := f.activeTeam(3, 2)
			sessionArn, err := f.eng.StartBaseline(f.ctx, f.caller, active.Arn, nil)
			if err != nil {
				t.Fatalf("StartBaseline: %v", err)
			}
			f.vote(users[0], sessionArn, keyturn.ResponseApproved)

			f.clock.Advance(24 * time.Hour)
			var team *keyturn.Team
			if via == "sweep" {
				f.sweep()
				team = f.storedTeam(active.Arn)
			} else {
				team = f.team(active.Arn)
			}

			wantStatus(t, team, keyturn.TeamActive, "", false)
			for _, a := range team.Approvers {
				if a.PendingBaselineSessionArn != "" {
					t.Errorf("PendingBaselineSessionArn of %s: got %q, want it cleared", a.IdentityID, a.PendingBaselineSessionArn)
				}
			}
			s := f.storedSession(sessionArn)
			if s.Status != keyturn.SessionFailed || s.StatusCode != keyturn.SessionExpired {
				t.Errorf("stored baseline session: got %s/%s, want FAILED/EXPIRED", s.Status, s.StatusCode)
			}
		})
	}
}

func TestBaselineRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, _ := f.activeTeam(3, 2)

	_, err := f.eng.StartBaseline(f.ctx, f.caller, active.Arn, []string{"no-such-approver"})
	wantCode(t, err, keyturn.ErrInvalid)

	users := f.addUsers(1)
	pending := f.createTeam(1, users[0].ID)
	_, err = f.eng.StartBaseline(f.ctx, f.caller, pending.Arn, nil)
	wantCode(t, err, keyturn.ErrInvalid)
}

func TestVoteSetsLastActivity(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	s := f.startSession(active.Arn)
	f.clock.Advance(time.Minute)

	f.vote(users[0], s.Arn, keyturn.ResponseRejected)

	a := f.team(active.Arn).ApproverByIdentity(users[0].ID)
	if a.LastActivity != keyturn.ActivityVoted || !a.LastActivityTime.Equal(testStart.Add(time.Minute)) {
		t.Errorf("voter's activity: got %q at %s, want VOTED at %s", a.LastActivity, a.LastActivityTime, testStart.Add(time.Minute))
	}
	if !a.ResponseTime.Equal(testStart) {
		t.Errorf("ResponseTime: got %s, want the invitation answer's %s", a.ResponseTime, testStart)
	}
}

func TestDeleteFailedDraftDuringDeletion(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	version, sessionArn := f.proposeUpdate(active.Arn, UpdateTeamInput{Description: ptr("Changed.")})
	f.vote(users[0], sessionArn, keyturn.ResponseRejected)
	f.vote(users[1], sessionArn, keyturn.ResponseRejected)
	d := f.startDeletion(active.Arn, 0)

	if err := f.eng.DeleteInactiveTeamVersion(f.ctx, f.caller, active.Arn, version); err != nil {
		t.Fatalf("DeleteInactiveTeamVersion of the failed draft: %v", err)
	}

	team := f.team(active.Arn)
	wantStatus(t, team, keyturn.TeamActive, keyturn.TeamDeletePendingApproval, true)
	if team.PendingUpdate != nil {
		t.Errorf("PendingUpdate: got %+v, want the failed draft removed", team.PendingUpdate)
	}
	f.vote(users[0], d.SessionArn, keyturn.ResponseApproved)
	f.vote(users[1], d.SessionArn, keyturn.ResponseApproved)
	_, err := f.eng.GetTeam(f.ctx, f.caller, active.Arn)
	wantCode(t, err, keyturn.ErrNotFound)
}

func TestBaselineResponseKeepsNewerBaseline(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	older, err := f.eng.StartBaseline(f.ctx, f.caller, active.Arn, nil)
	if err != nil {
		t.Fatalf("StartBaseline: %v", err)
	}
	newer, err := f.eng.StartBaseline(f.ctx, f.caller, active.Arn, nil)
	if err != nil {
		t.Fatalf("second StartBaseline: %v", err)
	}

	f.vote(users[0], older, keyturn.ResponseApproved)

	a := f.team(active.Arn).ApproverByIdentity(users[0].ID)
	if a.PendingBaselineSessionArn != newer {
		t.Errorf("PendingBaselineSessionArn after a response to the older baseline: got %q, want the newer %s, which still waits", a.PendingBaselineSessionArn, newer)
	}
	if a.LastActivity != keyturn.ActivityBaselined {
		t.Errorf("LastActivity: got %q, want BASELINED", a.LastActivity)
	}
}

func TestCancelBaseline(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, _ := f.activeTeam(3, 2)
	sessionArn, err := f.eng.StartBaseline(f.ctx, f.caller, active.Arn, nil)
	if err != nil {
		t.Fatalf("StartBaseline: %v", err)
	}

	if err := f.eng.CancelSession(f.ctx, f.caller, sessionArn); err != nil {
		t.Fatalf("CancelSession: %v", err)
	}

	for _, a := range f.team(active.Arn).Approvers {
		if a.PendingBaselineSessionArn != "" {
			t.Errorf("PendingBaselineSessionArn of %s: got %q, want it cleared", a.IdentityID, a.PendingBaselineSessionArn)
		}
	}
}
