package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/keyturn/keyturn"
)

func TestCreateTeamPendingActivation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	users := f.addUsers(3)

	created := f.createTeam(2, userIDs(users)...)

	team := f.team(created.Arn)
	wantStatus(t, team, keyturn.TeamPending, keyturn.TeamPendingActivation, true)
	wantApprovers(t, team.Approvers, statuses(users, keyturn.IdentityPending))
	if team.VersionID == "" {
		t.Error("VersionID is empty, want the id of the first version")
	}
	if want := testStart.Add(24 * time.Hour); !team.ActivationDeadline.Equal(want) {
		t.Errorf("ActivationDeadline: got %s, want %s", team.ActivationDeadline, want)
	}
	if team.MinApprovals != 2 {
		t.Errorf("MinApprovals: got %d, want 2", team.MinApprovals)
	}
}

func TestTeamActivatesWhenAllAccept(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	users := f.addUsers(3)
	created := f.createTeam(2, userIDs(users)...)

	f.answer(created.Arn, users[0], true)
	f.clock.Advance(time.Minute)
	f.answer(created.Arn, users[1], true)

	team := f.team(created.Arn)
	wantStatus(t, team, keyturn.TeamPending, keyturn.TeamPendingActivation, true)
	want := statuses(users, keyturn.IdentityAccepted)
	want[users[2].ID] = keyturn.IdentityPending
	wantApprovers(t, team.Approvers, want)

	f.clock.Advance(time.Minute)
	f.answer(created.Arn, users[2], true)

	team = f.team(created.Arn)
	wantStatus(t, team, keyturn.TeamActive, "", false)
	wantApprovers(t, team.Approvers, statuses(users, keyturn.IdentityAccepted))
	if !team.ActivationDeadline.IsZero() {
		t.Errorf("ActivationDeadline of an ACTIVE team: got %s, want zero", team.ActivationDeadline)
	}
	if team.VersionID != created.VersionID {
		t.Errorf("VersionID: got %s, want %s (activation does not change the version)", team.VersionID, created.VersionID)
	}
	for _, a := range team.Approvers {
		if a.LastActivity != keyturn.ActivityRespondedToInvitation {
			t.Errorf("approver %s LastActivity: got %q, want %s", a.IdentityID, a.LastActivity, keyturn.ActivityRespondedToInvitation)
		}
		if a.ResponseTime.IsZero() || !a.ResponseTime.Equal(a.LastActivityTime) {
			t.Errorf("approver %s ResponseTime %s, LastActivityTime %s: want both set to the answer's time", a.IdentityID, a.ResponseTime, a.LastActivityTime)
		}
	}
	if got := team.ApproverByIdentity(users[2].ID).ResponseTime; !got.Equal(testStart.Add(2 * time.Minute)) {
		t.Errorf("ResponseTime of the last approver: got %s, want %s", got, testStart.Add(2*time.Minute))
	}
}

func TestTeamDeclineFailsActivation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	users := f.addUsers(3)
	created := f.createTeam(2, userIDs(users)...)

	f.answer(created.Arn, users[0], true)
	f.answer(created.Arn, users[1], false)

	team := f.team(created.Arn)
	wantStatus(t, team, keyturn.TeamInactive, keyturn.TeamFailedActivation, true)
	wantApprovers(t, team.Approvers, map[string]keyturn.IdentityStatus{
		users[0].ID: keyturn.IdentityAccepted,
		users[1].ID: keyturn.IdentityRejected,
		users[2].ID: keyturn.IdentityPending,
	})
	if got := team.ApproverByIdentity(users[1].ID).LastActivity; got != keyturn.ActivityRespondedToInvitation {
		t.Errorf("LastActivity of the approver who declined: got %q, want %s", got, keyturn.ActivityRespondedToInvitation)
	}

	_, err := f.eng.RespondToInvitation(f.ctx, voter(users[2]), created.Arn, true)
	wantCode(t, err, keyturn.ErrConflict)
}

func TestTeamInvitationExpiry(t *testing.T) {
	t.Parallel()
	for _, via := range []string{"read", "sweep"} {
		t.Run(via, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, func(c *Config) { c.InvitationTTL = time.Hour })
			users := f.addUsers(3)
			created := f.createTeam(2, userIDs(users)...)
			f.answer(created.Arn, users[0], true)

			f.clock.Advance(time.Hour - time.Millisecond)
			if via == "sweep" {
				f.sweep()
			}
			wantStatus(t, f.team(created.Arn), keyturn.TeamPending, keyturn.TeamPendingActivation, true)

			f.clock.Advance(time.Millisecond)
			var team *keyturn.Team
			if via == "sweep" {
				if n := f.sweep(); n != 1 {
					t.Errorf("Sweep changed %d records, want 1", n)
				}
				team = f.storedTeam(created.Arn)
			} else {
				team = f.team(created.Arn)
			}
			wantStatus(t, team, keyturn.TeamInactive, keyturn.TeamFailedActivation, true)
			want := statuses(users, keyturn.IdentityPending)
			want[users[0].ID] = keyturn.IdentityAccepted
			wantApprovers(t, team.Approvers, want)
			if !team.ActivationDeadline.IsZero() {
				t.Errorf("ActivationDeadline: got %s, want zero", team.ActivationDeadline)
			}

			_, err := f.eng.RespondToInvitation(f.ctx, voter(users[1]), created.Arn, true)
			wantCode(t, err, keyturn.ErrConflict)
		})
	}
}

func TestCreateTeamInvalidIdentity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// bad returns the identity id of the invalid approver.
		bad func(f *fixture) string
	}{
		{"unknown user", func(*fixture) string { return "00000000-0000-0000-0000-000000000000" }},
		{"disabled user", func(f *fixture) string {
			u := f.addUsers(1)[0]
			if _, err := f.eng.UpdateUser(f.ctx, f.caller, u.ID, UpdateUserInput{Enabled: ptr(false)}); err != nil {
				t.Fatalf("UpdateUser: %v", err)
			}
			return u.ID
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			users := f.addUsers(2)
			bad := tt.bad(f)

			created := f.createTeam(2, users[0].ID, users[1].ID, bad)

			team := f.team(created.Arn)
			wantStatus(t, team, keyturn.TeamInactive, keyturn.TeamFailedValidation, true)
			want := statuses(users, keyturn.IdentityPending)
			want[bad] = keyturn.IdentityInvalid
			wantApprovers(t, team.Approvers, want)
			if !strings.Contains(team.StatusMessage, bad) {
				t.Errorf("StatusMessage %q does not name the invalid identity %s", team.StatusMessage, bad)
			}
			if !team.ActivationDeadline.IsZero() {
				t.Errorf("ActivationDeadline: got %s, want zero", team.ActivationDeadline)
			}
			_, err := f.eng.RespondToInvitation(f.ctx, voter(users[0]), created.Arn, true)
			wantCode(t, err, keyturn.ErrConflict)
		})
	}
}

func TestUpdateInactiveTeamAppliesAtOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	users := f.addUsers(4)
	created := f.createTeam(2, users[0].ID, users[1].ID, users[2].ID)
	f.answer(created.Arn, users[0], true)
	f.answer(created.Arn, users[1], false)
	f.clock.Advance(time.Hour)

	// Replace the approver who declined with a new user.
	version, err := f.eng.UpdateTeam(f.ctx, f.caller, created.Arn, UpdateTeamInput{
		Approvers: f.approverInputs(users[0].ID, users[2].ID, users[3].ID),
	})
	if err != nil {
		t.Fatalf("UpdateTeam: %v", err)
	}

	team := f.team(created.Arn)
	if version == created.VersionID {
		t.Errorf("UpdateTeam returned the old version id %s, want a new one", version)
	}
	if team.VersionID != version {
		t.Errorf("team VersionID: got %s, want the returned %s", team.VersionID, version)
	}
	wantStatus(t, team, keyturn.TeamPending, keyturn.TeamPendingActivation, true)
	wantApprovers(t, team.Approvers, map[string]keyturn.IdentityStatus{
		users[0].ID: keyturn.IdentityAccepted,
		users[2].ID: keyturn.IdentityPending,
		users[3].ID: keyturn.IdentityPending,
	})
	if team.PendingUpdate != nil || team.UpdateSessionArn != "" {
		t.Errorf("PendingUpdate %+v, UpdateSessionArn %q: want none, because a team that never became ACTIVE changes without a vote", team.PendingUpdate, team.UpdateSessionArn)
	}
	if want := testStart.Add(time.Hour + 24*time.Hour); !team.ActivationDeadline.Equal(want) {
		t.Errorf("ActivationDeadline: got %s, want %s (a new invitation period)", team.ActivationDeadline, want)
	}

	f.answer(created.Arn, users[2], true)
	f.answer(created.Arn, users[3], true)
	team = f.team(created.Arn)
	wantStatus(t, team, keyturn.TeamActive, "", false)
	if team.VersionID != version {
		t.Errorf("VersionID after activation: got %s, want %s", team.VersionID, version)
	}
}

func TestUpdatePendingTeamAppliesAtOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	users := f.addUsers(3)
	created := f.createTeam(2, userIDs(users)...)
	f.answer(created.Arn, users[0], true)
	f.clock.Advance(time.Hour)

	version, err := f.eng.UpdateTeam(f.ctx, f.caller, created.Arn, UpdateTeamInput{Description: ptr("New description."), MinApprovals: ptr(3)})
	if err != nil {
		t.Fatalf("UpdateTeam: %v", err)
	}

	team := f.team(created.Arn)
	if version == created.VersionID || team.VersionID != version {
		t.Errorf("VersionID: got %s, returned %s, old %s: want the returned, new id", team.VersionID, version, created.VersionID)
	}
	wantStatus(t, team, keyturn.TeamPending, keyturn.TeamPendingActivation, true)
	want := statuses(users, keyturn.IdentityPending)
	want[users[0].ID] = keyturn.IdentityAccepted
	wantApprovers(t, team.Approvers, want)
	if team.Description != "New description." || team.MinApprovals != 3 {
		t.Errorf("Description %q, MinApprovals %d: want the update applied", team.Description, team.MinApprovals)
	}
	if want := testStart.Add(25 * time.Hour); !team.ActivationDeadline.Equal(want) {
		t.Errorf("ActivationDeadline: got %s, want %s", team.ActivationDeadline, want)
	}
}

func TestUpdateActiveTeamProposesDraft(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	f.clock.Advance(time.Hour)

	version, err := f.eng.UpdateTeam(f.ctx, f.caller, active.Arn, UpdateTeamInput{Description: ptr("Changed.")})
	if err != nil {
		t.Fatalf("UpdateTeam: %v", err)
	}

	team := f.team(active.Arn)
	wantStatus(t, team, keyturn.TeamActive, keyturn.TeamUpdatePendingApproval, true)
	wantApprovers(t, team.Approvers, statuses(users, keyturn.IdentityAccepted))
	if team.VersionID != active.VersionID {
		t.Errorf("VersionID: got %s, want the unchanged %s until the update is approved", team.VersionID, active.VersionID)
	}
	if team.Description != active.Description {
		t.Errorf("Description: got %q, want the unchanged %q", team.Description, active.Description)
	}
	p := team.PendingUpdate
	if p == nil {
		t.Fatal("PendingUpdate is nil, want the draft")
	}
	if version == active.VersionID || p.VersionID != version {
		t.Errorf("draft VersionID: got %s, returned %s, current %s: want the returned id, different from the current one", p.VersionID, version, active.VersionID)
	}
	if p.Status != keyturn.TeamPending || p.StatusCode != keyturn.TeamUpdatePendingApproval || p.StatusMessage == "" {
		t.Errorf("draft status: got %s/%s %q, want PENDING/UPDATE_PENDING_APPROVAL with a message", p.Status, p.StatusCode, p.StatusMessage)
	}
	if p.Description != "Changed." || !p.UpdateInitiationTime.Equal(testStart.Add(time.Hour)) {
		t.Errorf("draft Description %q, UpdateInitiationTime %s: want the change and the request time", p.Description, p.UpdateInitiationTime)
	}
	if team.UpdateSessionArn == "" {
		t.Fatal("UpdateSessionArn is empty, want the session that decides the update")
	}

	s := f.session(team.UpdateSessionArn)
	if s.Kind != keyturn.KindTeamUpdate || s.Status != keyturn.SessionPending {
		t.Errorf("update session: got kind %s status %s, want TEAM_UPDATE PENDING", s.Kind, s.Status)
	}
	if s.MinApprovals != 2 || len(s.Approvers) != 3 {
		t.Errorf("update session strategy: got %d of %d, want 2 of 3", s.MinApprovals, len(s.Approvers))
	}
	if s.ProtectedResourceArn != active.Arn {
		t.Errorf("update session ProtectedResourceArn: got %s, want the team %s", s.ProtectedResourceArn, active.Arn)
	}
}

func TestUpdateApprovedApplies(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	version, err := f.eng.UpdateTeam(f.ctx, f.caller, active.Arn, UpdateTeamInput{Description: ptr("Changed."), MinApprovals: ptr(3)})
	if err != nil {
		t.Fatalf("UpdateTeam: %v", err)
	}
	sessionArn := f.team(active.Arn).UpdateSessionArn
	f.clock.Advance(time.Minute)

	f.vote(users[0], sessionArn, keyturn.ResponseApproved)
	f.vote(users[1], sessionArn, keyturn.ResponseApproved)

	team := f.team(active.Arn)
	wantStatus(t, team, keyturn.TeamActive, "", false)
	wantApprovers(t, team.Approvers, statuses(users, keyturn.IdentityAccepted))
	if team.VersionID != version {
		t.Errorf("VersionID: got %s, want the draft's %s", team.VersionID, version)
	}
	if team.Description != "Changed." || team.MinApprovals != 3 {
		t.Errorf("Description %q, MinApprovals %d: want the draft applied", team.Description, team.MinApprovals)
	}
	if team.PendingUpdate != nil || team.UpdateSessionArn != "" {
		t.Errorf("PendingUpdate %+v, UpdateSessionArn %q: want both cleared", team.PendingUpdate, team.UpdateSessionArn)
	}
	if !team.LastUpdateTime.Equal(testStart.Add(time.Minute)) {
		t.Errorf("LastUpdateTime: got %s, want %s", team.LastUpdateTime, testStart.Add(time.Minute))
	}
	for _, u := range users[:2] {
		if got := team.ApproverByIdentity(u.ID).LastActivity; got != keyturn.ActivityVoted {
			t.Errorf("LastActivity of %s, who voted on the update: got %q, want VOTED", u.UserName, got)
		}
	}
	if s := f.session(sessionArn); s.Status != keyturn.SessionApproved {
		t.Errorf("update session status: got %s, want APPROVED", s.Status)
	}
}

func TestUpdateNewApproversActivate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	newcomer := f.addUsers(1)[0]
	version, err := f.eng.UpdateTeam(f.ctx, f.caller, active.Arn, UpdateTeamInput{
		Approvers: f.approverInputs(append(userIDs(users), newcomer.ID)...),
	})
	if err != nil {
		t.Fatalf("UpdateTeam: %v", err)
	}
	sessionArn := f.team(active.Arn).UpdateSessionArn

	f.vote(users[0], sessionArn, keyturn.ResponseApproved)
	f.vote(users[1], sessionArn, keyturn.ResponseApproved)

	team := f.team(active.Arn)
	wantStatus(t, team, keyturn.TeamActive, keyturn.TeamUpdatePendingActivation, true)
	wantApprovers(t, team.Approvers, statuses(users, keyturn.IdentityAccepted))
	if team.VersionID != active.VersionID {
		t.Errorf("VersionID: got %s, want the unchanged %s while new approvers have not accepted", team.VersionID, active.VersionID)
	}
	p := team.PendingUpdate
	if p == nil || p.Status != keyturn.TeamPending || p.StatusCode != keyturn.TeamUpdatePendingActivation {
		t.Fatalf("draft: got %+v, want PENDING/UPDATE_PENDING_ACTIVATION", p)
	}
	want := statuses(users, keyturn.IdentityAccepted)
	want[newcomer.ID] = keyturn.IdentityPending
	wantApprovers(t, p.Approvers, want)

	invitations, err := f.eng.ListInvitations(f.ctx, voter(newcomer))
	if err != nil {
		t.Fatalf("ListInvitations: %v", err)
	}
	if len(invitations) != 1 || !invitations[0].Update || invitations[0].VersionID != version {
		t.Fatalf("invitations of the new approver: got %+v, want one update invitation to version %s", invitations, version)
	}

	f.clock.Advance(time.Hour)
	f.answer(active.Arn, newcomer, true)

	team = f.team(active.Arn)
	wantStatus(t, team, keyturn.TeamActive, "", false)
	want[newcomer.ID] = keyturn.IdentityAccepted
	wantApprovers(t, team.Approvers, want)
	if team.VersionID != version {
		t.Errorf("VersionID: got %s, want the draft's %s", team.VersionID, version)
	}
	if team.PendingUpdate != nil {
		t.Errorf("PendingUpdate: got %+v, want nil", team.PendingUpdate)
	}
	if got := team.ApproverByIdentity(newcomer.ID).LastActivity; got != keyturn.ActivityRespondedToInvitation {
		t.Errorf("LastActivity of the new approver: got %q, want RESPONDED_TO_INVITATION", got)
	}
}

// proposeUpdate opens an update of an ACTIVE team and returns the draft's
// version id and its session.
func (f *fixture) proposeUpdate(teamArn string, in UpdateTeamInput) (string, string) {
	f.t.Helper()
	version, err := f.eng.UpdateTeam(f.ctx, f.caller, teamArn, in)
	if err != nil {
		f.t.Fatalf("UpdateTeam: %v", err)
	}
	return version, f.team(teamArn).UpdateSessionArn
}

// wantFailedUpdate checks that the team is ACTIVE at its old version with a
// failed draft of the code.
func wantFailedUpdate(t *testing.T, team *keyturn.Team, oldVersion, draftVersion string, code keyturn.TeamStatusCode) {
	t.Helper()
	wantStatus(t, team, keyturn.TeamActive, code, true)
	if team.VersionID != oldVersion {
		t.Errorf("VersionID: got %s, want the unchanged %s", team.VersionID, oldVersion)
	}
	p := team.PendingUpdate
	if p == nil {
		t.Fatal("PendingUpdate is nil, want the failed draft kept until it is deleted")
	}
	if p.VersionID != draftVersion || p.Status != keyturn.TeamInactive || p.StatusCode != code || p.StatusMessage == "" {
		t.Errorf("draft: got version %s %s/%s %q, want version %s INACTIVE/%s with a message", p.VersionID, p.Status, p.StatusCode, p.StatusMessage, draftVersion, code)
	}
}

func TestUpdateRejected(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	version, sessionArn := f.proposeUpdate(active.Arn, UpdateTeamInput{Description: ptr("Changed.")})

	f.vote(users[0], sessionArn, keyturn.ResponseRejected)
	f.vote(users[1], sessionArn, keyturn.ResponseRejected)

	team := f.team(active.Arn)
	wantFailedUpdate(t, team, active.VersionID, version, keyturn.TeamUpdateFailedApproval)
	wantApprovers(t, team.Approvers, statuses(users, keyturn.IdentityAccepted))
	s := f.session(sessionArn)
	if s.Status != keyturn.SessionFailed || s.StatusCode != keyturn.SessionRejected {
		t.Errorf("update session: got %s/%s, want FAILED/REJECTED", s.Status, s.StatusCode)
	}
}

func TestUpdateSessionExpiry(t *testing.T) {
	t.Parallel()
	for _, via := range []string{"read", "sweep"} {
		t.Run(via, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			active, users := f.activeTeam(3, 2)
			version, sessionArn := f.proposeUpdate(active.Arn, UpdateTeamInput{Description: ptr("Changed.")})
			f.vote(users[0], sessionArn, keyturn.ResponseApproved)

			f.clock.Advance(24 * time.Hour)
			var team *keyturn.Team
			if via == "sweep" {
				f.sweep()
				team = f.storedTeam(active.Arn)
			} else {
				team = f.team(active.Arn)
			}

			wantFailedUpdate(t, team, active.VersionID, version, keyturn.TeamUpdateFailedApproval)
			wantApprovers(t, team.Approvers, statuses(users, keyturn.IdentityAccepted))
			s := f.storedSession(sessionArn)
			if s.Status != keyturn.SessionFailed || s.StatusCode != keyturn.SessionExpired {
				t.Errorf("stored update session: got %s/%s, want FAILED/EXPIRED", s.Status, s.StatusCode)
			}
		})
	}
}

func TestUpdateNewApproverDeclines(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	newcomer := f.addUsers(1)[0]
	version, sessionArn := f.proposeUpdate(active.Arn, UpdateTeamInput{Approvers: f.approverInputs(append(userIDs(users), newcomer.ID)...)})
	f.vote(users[0], sessionArn, keyturn.ResponseApproved)
	f.vote(users[1], sessionArn, keyturn.ResponseApproved)

	f.answer(active.Arn, newcomer, false)

	team := f.team(active.Arn)
	wantFailedUpdate(t, team, active.VersionID, version, keyturn.TeamUpdateFailedActivation)
	wantApprovers(t, team.Approvers, statuses(users, keyturn.IdentityAccepted))
	want := statuses(users, keyturn.IdentityAccepted)
	want[newcomer.ID] = keyturn.IdentityRejected
	wantApprovers(t, team.PendingUpdate.Approvers, want)
}

func TestUpdateNewApproverInvitationExpiry(t *testing.T) {
	t.Parallel()
	for _, via := range []string{"read", "sweep"} {
		t.Run(via, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, func(c *Config) { c.InvitationTTL = time.Hour })
			active, users := f.activeTeam(3, 2)
			newcomer := f.addUsers(1)[0]
			version, sessionArn := f.proposeUpdate(active.Arn, UpdateTeamInput{Approvers: f.approverInputs(append(userIDs(users), newcomer.ID)...)})
			f.vote(users[0], sessionArn, keyturn.ResponseApproved)
			f.vote(users[1], sessionArn, keyturn.ResponseApproved)

			f.clock.Advance(time.Hour)
			var team *keyturn.Team
			if via == "sweep" {
				f.sweep()
				team = f.storedTeam(active.Arn)
			} else {
				team = f.team(active.Arn)
			}

			wantFailedUpdate(t, team, active.VersionID, version, keyturn.TeamUpdateFailedActivation)
			want := statuses(users, keyturn.IdentityAccepted)
			want[newcomer.ID] = keyturn.IdentityPending
			wantApprovers(t, team.PendingUpdate.Approvers, want)
			_, err := f.eng.RespondToInvitation(f.ctx, voter(newcomer), active.Arn, true)
			wantCode(t, err, keyturn.ErrConflict)
		})
	}
}

func TestUpdateUnknownIdentityFailsValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	unknown := "00000000-0000-0000-0000-000000000000"

	version, err := f.eng.UpdateTeam(f.ctx, f.caller, active.Arn, UpdateTeamInput{Approvers: f.approverInputs(append(userIDs(users), unknown)...)})
	if err != nil {
		t.Fatalf("UpdateTeam: %v", err)
	}

	team := f.team(active.Arn)
	wantFailedUpdate(t, team, active.VersionID, version, keyturn.TeamUpdateFailedValidation)
	want := statuses(users, keyturn.IdentityAccepted)
	want[unknown] = keyturn.IdentityInvalid
	wantApprovers(t, team.PendingUpdate.Approvers, want)
	if team.UpdateSessionArn != "" {
		t.Errorf("UpdateSessionArn: got %s, want none for an update that failed validation", team.UpdateSessionArn)
	}
	sessions, _, err := f.eng.ListSessions(f.ctx, f.caller, active.Arn, nil, Page{})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if len(sessions) != 0 {
		t.Errorf("got %d sessions, want none", len(sessions))
	}
}

func TestSecondUpdateConflicts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, _ := f.activeTeam(3, 2)
	first := UpdateTeamInput{Description: ptr("First.")}
	version, sessionArn := f.proposeUpdate(active.Arn, first)
	f.clock.Advance(time.Second)

	_, err := f.eng.UpdateTeam(f.ctx, f.caller, active.Arn, UpdateTeamInput{Description: ptr("Second.")})
	wantCode(t, err, keyturn.ErrConflict)

	replayed, err := f.eng.UpdateTeam(f.ctx, f.caller, active.Arn, first)
	if err != nil {
		t.Fatalf("replay of the first update: %v", err)
	}
	if replayed != version {
		t.Errorf("replay returned version %s, want the pending update's %s", replayed, version)
	}
	if got := f.team(active.Arn).UpdateSessionArn; got != sessionArn {
		t.Errorf("UpdateSessionArn after the replay: got %s, want the first %s", got, sessionArn)
	}
}

func TestUpdateAfterFailedDraft(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	failed, sessionArn := f.proposeUpdate(active.Arn, UpdateTeamInput{Description: ptr("First.")})
	f.vote(users[0], sessionArn, keyturn.ResponseRejected)
	f.vote(users[1], sessionArn, keyturn.ResponseRejected)

	version, _ := f.proposeUpdate(active.Arn, UpdateTeamInput{Description: ptr("Second.")})

	team := f.team(active.Arn)
	wantStatus(t, team, keyturn.TeamActive, keyturn.TeamUpdatePendingApproval, true)
	if version == failed || team.PendingUpdate.VersionID != version {
		t.Errorf("draft VersionID: got %s, returned %s, failed draft %s: want a new id", team.PendingUpdate.VersionID, version, failed)
	}
}

func TestCancelUpdateSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	_, sessionArn := f.proposeUpdate(active.Arn, UpdateTeamInput{Description: ptr("Changed.")})

	if err := f.eng.CancelSession(f.ctx, f.caller, sessionArn); err != nil {
		t.Fatalf("CancelSession: %v", err)
	}

	team := f.team(active.Arn)
	wantStatus(t, team, keyturn.TeamActive, "", false)
	wantApprovers(t, team.Approvers, statuses(users, keyturn.IdentityAccepted))
	if team.VersionID != active.VersionID || team.Description != active.Description {
		t.Errorf("VersionID %s, Description %q: want the unchanged %s, %q", team.VersionID, team.Description, active.VersionID, active.Description)
	}
	if team.PendingUpdate != nil || team.UpdateSessionArn != "" {
		t.Errorf("PendingUpdate %+v, UpdateSessionArn %q: want the draft dropped", team.PendingUpdate, team.UpdateSessionArn)
	}
	if s := f.session(sessionArn); s.Status != keyturn.SessionCancelled {
		t.Errorf("update session: got %s, want CANCELLED", s.Status)
	}
}

func TestDeleteInactiveTeamVersion(t *testing.T) {
	t.Parallel()

	t.Run("failed draft", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, nil)
		active, users := f.activeTeam(3, 2)
		version, sessionArn := f.proposeUpdate(active.Arn, UpdateTeamInput{Description: ptr("Changed.")})
		f.vote(users[0], sessionArn, keyturn.ResponseRejected)
		f.vote(users[1], sessionArn, keyturn.ResponseRejected)

		if err := f.eng.DeleteInactiveTeamVersion(f.ctx, f.caller, active.Arn, version); err != nil {
			t.Fatalf("DeleteInactiveTeamVersion: %v", err)
		}

		team := f.team(active.Arn)
		wantStatus(t, team, keyturn.TeamActive, "", false)
		if team.PendingUpdate != nil || team.VersionID != active.VersionID {
			t.Errorf("PendingUpdate %+v, VersionID %s: want no draft and version %s", team.PendingUpdate, team.VersionID, active.VersionID)
		}
	})

	t.Run("pending draft", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, nil)
		active, _ := f.activeTeam(3, 2)
		version, _ := f.proposeUpdate(active.Arn, UpdateTeamInput{Description: ptr("Changed.")})

		err := f.eng.DeleteInactiveTeamVersion(f.ctx, f.caller, active.Arn, version)
		wantCode(t, err, keyturn.ErrConflict)
		if f.team(active.Arn).PendingUpdate == nil {
			t.Error("the pending draft was removed, want it kept")
		}
	})

	for _, status := range []keyturn.TeamStatus{keyturn.TeamInactive, keyturn.TeamPending} {
		t.Run(string(status)+" team", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			users := f.addUsers(2)
			created := f.createTeam(1, userIDs(users)...)
			if status == keyturn.TeamInactive {
				f.answer(created.Arn, users[0], false)
			}
			if got := f.team(created.Arn).Status; got != status {
				t.Fatalf("team status: got %s, want %s", got, status)
			}
			if err := f.eng.TagResource(f.ctx, f.caller, created.Arn, map[string]string{"env": "prod"}); err != nil {
				t.Fatalf("TagResource: %v", err)
			}

			if err := f.eng.DeleteInactiveTeamVersion(f.ctx, f.caller, created.Arn, created.VersionID); err != nil {
				t.Fatalf("DeleteInactiveTeamVersion: %v", err)
			}

			_, err := f.eng.GetTeam(f.ctx, f.caller, created.Arn)
			wantCode(t, err, keyturn.ErrNotFound)
			_, err = f.eng.ListTags(f.ctx, f.caller, created.Arn)
			wantCode(t, err, keyturn.ErrNotFound)
		})
	}

	t.Run("active team current version", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, nil)
		active, _ := f.activeTeam(3, 2)

		err := f.eng.DeleteInactiveTeamVersion(f.ctx, f.caller, active.Arn, active.VersionID)
		wantCode(t, err, keyturn.ErrConflict)
		wantStatus(t, f.team(active.Arn), keyturn.TeamActive, "", false)
	})

	t.Run("unknown version", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, nil)
		active, _ := f.activeTeam(3, 2)

		err := f.eng.DeleteInactiveTeamVersion(f.ctx, f.caller, active.Arn, "1")
		wantCode(t, err, keyturn.ErrNotFound)
	})

	t.Run("unknown team", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, nil)

		err := f.eng.DeleteInactiveTeamVersion(f.ctx, f.caller, keyturn.TeamArn(testRegion, testAccount, "gone-1234"), "1")
		wantCode(t, err, keyturn.ErrNotFound)
	})
}

func TestTeamQuota(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *Config) { c.MaxTeamsPerAccount = 2 })
	users := f.addUsers(1)
	f.createTeam(1, users[0].ID)
	f.createTeam(1, users[0].ID)

	_, err := f.eng.CreateTeam(f.ctx, f.caller, CreateTeamInput{
		Name: "third", Description: "One too many.", MinApprovals: 1,
		Approvers: f.approverInputs(users[0].ID), Policies: []string{deployPolicy + "/$DEFAULT"},
	})
	wantCode(t, err, keyturn.ErrQuotaExceeded)
}

func TestCreateTeamInputRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *Config) { c.MinApprovers = 2 })
	users := f.addUsers(3)
	valid := func() CreateTeamInput {
		return CreateTeamInput{
			Name: "team", Description: "A team.", MinApprovals: 2,
			Approvers: f.approverInputs(userIDs(users)...), Policies: []string{deployPolicy + "/$DEFAULT"},
		}
	}
	tests := []struct {
		name   string
		change func(*CreateTeamInput)
		want   keyturn.ErrorCode
	}{
		{"too few approvers", func(in *CreateTeamInput) { in.Approvers = in.Approvers[:1]; in.MinApprovals = 1 }, keyturn.ErrInvalid},
		{"threshold above team size", func(in *CreateTeamInput) { in.MinApprovals = 4 }, keyturn.ErrInvalid},
		{"zero threshold", func(in *CreateTeamInput) { in.MinApprovals = 0 }, keyturn.ErrInvalid},
		{"duplicate approver", func(in *CreateTeamInput) { in.Approvers[1] = in.Approvers[0] }, keyturn.ErrInvalid},
		{"foreign identity source", func(in *CreateTeamInput) {
			in.Approvers[0].IdentitySourceArn = keyturn.IdentitySourceArn(testRegion, "999988887777")
		}, keyturn.ErrInvalid},
		{"unknown policy", func(in *CreateTeamInput) { in.Policies = []string{deployPolicy + "-missing/1"} }, keyturn.ErrInvalid},
		{"unqualified policy", func(in *CreateTeamInput) { in.Policies = []string{deployPolicy} }, keyturn.ErrInvalid},
		{"reserved tag key", func(in *CreateTeamInput) { in.Tags = map[string]string{"aws:owner": "x"} }, keyturn.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := valid()
			tt.change(&in)
			_, err := f.eng.CreateTeam(f.ctx, f.caller, in)
			wantCode(t, err, tt.want)
		})
	}
	teams, _, err := f.eng.ListTeams(f.ctx, f.caller, Page{})
	if err != nil {
		t.Fatalf("ListTeams: %v", err)
	}
	if len(teams) != 0 {
		t.Errorf("got %d teams after rejected requests, want none", len(teams))
	}
}

func TestCreateTeamWithoutIdentitySource(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	other := Caller{AccountID: "444455556666", Region: testRegion, PrincipalArn: "arn:aws:iam::444455556666:role/Admin"}

	_, err := f.eng.CreateTeam(f.ctx, other, CreateTeamInput{
		Name: "team", Description: "A team.", MinApprovals: 1,
		Approvers: []ApproverInput{{IdentityID: "u", IdentitySourceArn: keyturn.IdentitySourceArn(testRegion, other.AccountID)}},
		Policies:  []string{deployPolicy + "/$DEFAULT"},
	})
	wantCode(t, err, keyturn.ErrConflict)
}

func TestCreateTeamClientToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	users := f.addUsers(2)
	in := CreateTeamInput{
		Name: "team", Description: "A team.", MinApprovals: 1,
		Approvers: f.approverInputs(userIDs(users)...), Policies: []string{deployPolicy + "/$DEFAULT"},
		ClientToken: "create-1",
	}
	first, err := f.eng.CreateTeam(f.ctx, f.caller, in)
	if err != nil {
		t.Fatalf("CreateTeam: %v", err)
	}

	again, err := f.eng.CreateTeam(f.ctx, f.caller, in)
	if err != nil {
		t.Fatalf("CreateTeam replay: %v", err)
	}
	if again.Arn != first.Arn || again.VersionID != first.VersionID {
		t.Errorf("replay: got %s version %s, want %s version %s", again.Arn, again.VersionID, first.Arn, first.VersionID)
	}

	in.Description = "Another team."
	_, err = f.eng.CreateTeam(f.ctx, f.caller, in)
	wantCode(t, err, keyturn.ErrConflict)

	teams, _, err := f.eng.ListTeams(f.ctx, f.caller, Page{})
	if err != nil {
		t.Fatalf("ListTeams: %v", err)
	}
	if len(teams) != 1 {
		t.Errorf("got %d teams, want 1", len(teams))
	}
}

func TestListTeamsPagination(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	users := f.addUsers(1)
	var want []string
	for i := range 5 {
		if i%2 == 0 {
			f.clock.Advance(time.Second)
		}
		want = append([]string{f.createTeam(1, users[0].ID).Arn}, want...)
	}

	for maxResults := 1; maxResults <= 6; maxResults++ {
		var got []string
		token := ""
		for page := 1; ; page++ {
			teams, next, err := f.eng.ListTeams(f.ctx, f.caller, Page{MaxResults: maxResults, NextToken: token})
			if err != nil {
				t.Fatalf("MaxResults %d, page %d: %v", maxResults, page, err)
			}
			for _, team := range teams {
				got = append(got, team.Arn)
			}
			if next == "" || page > 10 {
				break
			}
			token = next
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("MaxResults %d: got %v, want each team once, newest first: %v", maxResults, got, want)
		}
	}

	other := f.caller
	other.AccountID = "444455556666"
	teams, _, err := f.eng.ListTeams(f.ctx, other, Page{})
	if err != nil {
		t.Fatalf("ListTeams of another account: %v", err)
	}
	if len(teams) != 0 {
		t.Errorf("another account sees %d teams, want none", len(teams))
	}
}

func TestListTeamsSettlesExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	users := f.addUsers(1)
	created := f.createTeam(1, users[0].ID)
	f.clock.Advance(24 * time.Hour)

	teams, _, err := f.eng.ListTeams(f.ctx, f.caller, Page{})
	if err != nil {
		t.Fatalf("ListTeams: %v", err)
	}

	if len(teams) != 1 || teams[0].Arn != created.Arn {
		t.Fatalf("got %d teams, want the one created", len(teams))
	}
	wantStatus(t, teams[0], keyturn.TeamInactive, keyturn.TeamFailedActivation, true)
}
