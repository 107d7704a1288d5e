package e2e

import (
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mpa"
	"github.com/aws/aws-sdk-go-v2/service/mpa/types"

	"github.com/keyturn/keyturn/client"
	"github.com/keyturn/keyturn/keyturntest"
)

// sdkVersionAt returns the version id that a team configuration made at t
// gets: its time in Unix milliseconds.
func sdkVersionAt(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// sdkTeamSession returns the only PENDING session of the team for the
// action, found with ListSessions filters.
func sdkTeamSession(t *testing.T, api *mpa.Client, team, action string) string {
	t.Helper()
	sessions, err := sdkListAllSessions(t.Context(), api, team, []types.Filter{
		{FieldName: types.FilterFieldActionName, Operator: types.OperatorEquals, Value: aws.String(action)},
		{FieldName: types.FilterFieldSessionStatus, Operator: types.OperatorEquals, Value: aws.String("PENDING")},
	})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if len(sessions) != 1 {
		t.Fatalf("got %d PENDING sessions for %s, want 1", len(sessions), action)
	}
	return aws.ToString(sessions[0].SessionArn)
}

// sdkWantTeamStatus checks a team's status and status code.
func sdkWantTeamStatus(t *testing.T, got *mpa.GetApprovalTeamOutput, status types.ApprovalTeamStatus, code types.ApprovalTeamStatusCode) {
	t.Helper()
	if got.Status != status || got.StatusCode != code {
		t.Errorf("got team %s/%s, want %s/%s", got.Status, got.StatusCode, status, code)
	}
}

func TestSDKTeamLifecycle(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	api := s.MPA()
	ctx := t.Context()
	sdkPutTestPolicy(t, s)
	source := s.IdentitySourceArn(t)
	alice := s.CreateUser(t, "alice")
	bob := s.CreateUser(t, "bob")
	carol := s.CreateUser(t, "carol")
	dave := s.CreateUser(t, "dave")
	now := sdkFreezeClock(t, s)

	// step moves the clock a minute on, so that each step's times differ.
	step := func(t *testing.T) {
		t.Helper()
		now = s.AdvanceClock(t, time.Minute)
	}

	var team, v1, v2 string
	if !t.Run("create", func(t *testing.T) {
		in := sdkTeamInput(source, 2, alice.UserID, bob.UserID, carol.UserID)
		out, err := api.CreateApprovalTeam(ctx, in)
		if err != nil {
			t.Fatalf("CreateApprovalTeam: %v", err)
		}
		team, v1 = aws.ToString(out.Arn), aws.ToString(out.VersionId)
		sdkWantString(t, "VersionId", out.VersionId, sdkVersionAt(now))
		got := sdkGetTeam(t, api, team)
		sdkWantTeamStatus(t, got, types.ApprovalTeamStatusPending, types.ApprovalTeamStatusCodePendingActivation)

		invitations, err := s.As(alice.UserID).ListInvitations(ctx)
		if err != nil {
			t.Fatalf("ListInvitations: %v", err)
		}
		if len(invitations) != 1 || invitations[0].ApprovalTeamArn != team || invitations[0].Update {
			t.Fatalf("got invitations %+v, want one to join %s", invitations, team)
		}
	}) {
		return
	}

	if !t.Run("accept", func(t *testing.T) {
		step(t)
		for i, u := range []*client.User{alice, bob, carol} {
			res, err := s.As(u.UserName).AnswerInvitation(ctx, team, true)
			if err != nil {
				t.Fatalf("%s accepts: %v", u.UserName, err)
			}
			want := "PENDING"
			if i == 2 {
				want = "ACTIVE"
			}
			if res.Status != want || res.VersionID != v1 {
				t.Errorf("after %s accepts: got %s at version %s, want %s at %s", u.UserName, res.Status, res.VersionID, want, v1)
			}
		}
		got := sdkGetTeam(t, api, team)
		sdkWantTeamStatus(t, got, types.ApprovalTeamStatusActive, "")
		sdkWantString(t, "StatusMessage", got.StatusMessage, "")
		sdkWantString(t, "VersionId", got.VersionId, v1)
		for _, a := range got.Approvers {
			if a.PrimaryIdentityStatus != types.IdentityStatusAccepted || a.LastActivity != types.ApproverLastActivityRespondedToInvitation {
				t.Errorf("approver %s: got %s with LastActivity %q, want ACCEPTED with RESPONDED_TO_INVITATION",
					aws.ToString(a.PrimaryIdentityId), a.PrimaryIdentityStatus, a.LastActivity)
			}
			sdkWantTime(t, "ResponseTime", a.ResponseTime, now)
			sdkWantTime(t, "LastActivityTime", a.LastActivityTime, now)
		}

		_, err := s.As(alice.UserID).AnswerInvitation(ctx, team, true)
		if !client.IsCode(err, "ConflictException") {
			t.Errorf("second answer: got %v, want ConflictException", err)
		}
	}) {
		return
	}

	if !t.Run("update approved", func(t *testing.T) {
		step(t)
		operation := s.StartSession(t, team, "test:Deploy").SessionArn
		step(t)
		proposed := now
		out, err := api.UpdateApprovalTeam(ctx, &mpa.UpdateApprovalTeamInput{
			Arn:              aws.String(team),
			Description:      aws.String("Approves production deploys with three approvals."),
			ApprovalStrategy: sdkStrategy(3),
		})
		if err != nil {
			t.Fatalf("UpdateApprovalTeam: %v", err)
		}
		v2 = aws.ToString(out.VersionId)
		sdkWantString(t, "VersionId", out.VersionId, sdkVersionAt(proposed))

		got := sdkGetTeam(t, api, team)
		sdkWantTeamStatus(t, got, types.ApprovalTeamStatusActive, types.ApprovalTeamStatusCodeUpdatePendingApproval)
		sdkWantString(t, "VersionId", got.VersionId, v1)
		if m := sdkMofN(t, got.ApprovalStrategy); m != 2 {
			t.Errorf("got current MinApprovalsRequired %d, want 2 until the update is approved", m)
		}
		p := got.PendingUpdate
		if p == nil {
			t.Fatal("PendingUpdate is missing")
		}
		sdkWantString(t, "PendingUpdate.VersionId", p.VersionId, v2)
		sdkWantString(t, "PendingUpdate.Description", p.Description, "Approves production deploys with three approvals.")
		if m := sdkMofN(t, p.ApprovalStrategy); m != 3 {
			t.Errorf("got PendingUpdate MinApprovalsRequired %d, want 3", m)
		}
		sdkWantInt(t, "PendingUpdate.NumberOfApprovers", p.NumberOfApprovers, 3)
		if len(p.Approvers) != 3 {
			t.Errorf("got %d PendingUpdate.Approvers, want 3", len(p.Approvers))
		}
		if p.Status != types.ApprovalTeamStatusPending || p.StatusCode != types.ApprovalTeamStatusCodeUpdatePendingApproval {
			t.Errorf("got PendingUpdate %s/%s, want PENDING/UPDATE_PENDING_APPROVAL", p.Status, p.StatusCode)
		}
		sdkWantTime(t, "PendingUpdate.UpdateInitiationTime", p.UpdateInitiationTime, proposed)

		updateSession := aws.ToString(got.UpdateSessionArn)
		session := sdkGetSession(t, api, updateSession)
		sdkWantString(t, "ActionName", session.ActionName, "mpa:UpdateApprovalTeam")
		sdkWantString(t, "ProtectedResourceArn", session.ProtectedResourceArn, team)
		sdkWantString(t, "RequesterServicePrincipal", session.RequesterServicePrincipal, "mpa.amazonaws.com")
		if m := sdkMofN(t, session.ApprovalStrategy); m != 2 {
			t.Errorf("got MinApprovalsRequired %d for the update session, want the current 2", m)
		}
		if sdkTeamSession(t, api, team, "mpa:UpdateApprovalTeam") != updateSession {
			t.Error("ListSessions does not find the update session by its action")
		}

		step(t)
		s.Vote(t, updateSession, alice.UserID, "APPROVED")
		if got := sdkGetTeam(t, api, team); aws.ToString(got.VersionId) != v1 {
			t.Errorf("got VersionId %s after one approval, want %s", aws.ToString(got.VersionId), v1)
		}
		decided := s.Vote(t, updateSession, bob.UserID, "APPROVED")
		if decided.Status != "APPROVED" {
			t.Errorf("got update session %s after two approvals, want APPROVED", decided.Status)
		}

		got = sdkGetTeam(t, api, team)
		sdkWantTeamStatus(t, got, types.ApprovalTeamStatusActive, "")
		sdkWantString(t, "VersionId", got.VersionId, v2)
		sdkWantString(t, "Description", got.Description, "Approves production deploys with three approvals.")
		if m := sdkMofN(t, got.ApprovalStrategy); m != 3 {
			t.Errorf("got MinApprovalsRequired %d, want 3", m)
		}
		sdkWantTime(t, "LastUpdateTime", got.LastUpdateTime, now)
		sdkWantString(t, "UpdateSessionArn", got.UpdateSessionArn, "")
		if got.PendingUpdate != nil {
			t.Errorf("got PendingUpdate %+v after it was applied, want none", got.PendingUpdate)
		}
		for _, u := range []*client.User{alice, bob} {
			a := sdkApproverOf(t, got.Approvers, u.UserID)
			if a.LastActivity != types.ApproverLastActivityVoted {
				t.Errorf("%s: got LastActivity %q, want VOTED", u.UserName, a.LastActivity)
			}
			sdkWantTime(t, "LastActivityTime of "+u.UserName, a.LastActivityTime, now)
		}

		op := sdkGetSession(t, api, operation)
		if op.Status != types.SessionStatusCancelled || op.StatusCode != types.SessionStatusCodeConfigurationChanged {
			t.Errorf("got session started before the update %s/%s, want CANCELLED/CONFIGURATION_CHANGED", op.Status, op.StatusCode)
		}
	}) {
		return
	}

	if !t.Run("update cancelled", func(t *testing.T) {
		step(t)
		out, err := api.UpdateApprovalTeam(ctx, &mpa.UpdateApprovalTeamInput{Arn: aws.String(team), Description: aws.String("A change nobody wants.")})
		if err != nil {
			t.Fatalf("UpdateApprovalTeam: %v", err)
		}
		if aws.ToString(out.VersionId) == v2 {
			t.Errorf("got VersionId %s for the new update, want a new id", v2)
		}
		updateSession := aws.ToString(sdkGetTeam(t, api, team).UpdateSessionArn)
		if _, err := api.CancelSession(ctx, &mpa.CancelSessionInput{SessionArn: aws.String(updateSession)}); err != nil {
			t.Fatalf("CancelSession of the update session: %v", err)
		}
		got := sdkGetTeam(t, api, team)
		sdkWantTeamStatus(t, got, types.ApprovalTeamStatusActive, "")
		sdkWantString(t, "VersionId", got.VersionId, v2)
		sdkWantString(t, "Description", got.Description, "Approves production deploys with three approvals.")
		sdkWantString(t, "UpdateSessionArn", got.UpdateSessionArn, "")
		if got.PendingUpdate != nil {
			t.Errorf("got PendingUpdate %+v after its session was cancelled, want none", got.PendingUpdate)
		}
		if session := sdkGetSession(t, api, updateSession); session.Status != types.SessionStatusCancelled {
			t.Errorf("got update session %s, want CANCELLED", session.Status)
		}
	}) {
		return
	}

	if !t.Run("update rejected", func(t *testing.T) {
		step(t)
		out, err := api.UpdateApprovalTeam(ctx, &mpa.UpdateApprovalTeamInput{Arn: aws.String(team), ApprovalStrategy: sdkStrategy(1)})
		if err != nil {
			t.Fatalf("UpdateApprovalTeam: %v", err)
		}
		failed := aws.ToString(out.VersionId)
		updateSession := aws.ToString(sdkGetTeam(t, api, team).UpdateSessionArn)
		// With 3 of 3 required, one rejection decides.
		s.Vote(t, updateSession, carol.UserID, "REJECTED")

		got := sdkGetTeam(t, api, team)
		sdkWantTeamStatus(t, got, types.ApprovalTeamStatusActive, types.ApprovalTeamStatusCodeUpdateFailedApproval)
		sdkWantString(t, "VersionId", got.VersionId, v2)
		if got.PendingUpdate == nil {
			t.Fatal("PendingUpdate is missing after the rejection, want the failed draft")
		}
		if p := got.PendingUpdate; p.Status != types.ApprovalTeamStatusInactive || p.StatusCode != types.ApprovalTeamStatusCodeUpdateFailedApproval {
			t.Errorf("got PendingUpdate %s/%s, want INACTIVE/UPDATE_FAILED_APPROVAL", p.Status, p.StatusCode)
		}

		if _, err := api.DeleteInactiveApprovalTeamVersion(ctx, &mpa.DeleteInactiveApprovalTeamVersionInput{Arn: aws.String(team), VersionId: aws.String(failed)}); err != nil {
			t.Fatalf("DeleteInactiveApprovalTeamVersion of the failed draft: %v", err)
		}
		got = sdkGetTeam(t, api, team)
		sdkWantTeamStatus(t, got, types.ApprovalTeamStatusActive, "")
		sdkWantString(t, "VersionId", got.VersionId, v2)
		if got.PendingUpdate != nil {
			t.Errorf("got PendingUpdate %+v after its deletion, want none", got.PendingUpdate)
		}
	}) {
		return
	}

	var v5 string
	if !t.Run("new approver", func(t *testing.T) {
		step(t)
		out, err := api.UpdateApprovalTeam(ctx, &mpa.UpdateApprovalTeamInput{
			Arn:       aws.String(team),
			Approvers: sdkApprovers(source, alice, bob, carol, dave),
		})
		if err != nil {
			t.Fatalf("UpdateApprovalTeam: %v", err)
		}
		v5 = aws.ToString(out.VersionId)
		updateSession := aws.ToString(sdkGetTeam(t, api, team).UpdateSessionArn)
		for _, u := range []*client.User{alice, bob, carol} {
			s.Vote(t, updateSession, u.UserID, "APPROVED")
		}

		got := sdkGetTeam(t, api, team)
		sdkWantTeamStatus(t, got, types.ApprovalTeamStatusActive, types.ApprovalTeamStatusCodeUpdatePendingActivation)
		sdkWantString(t, "VersionId", got.VersionId, v2)
		if got.PendingUpdate == nil {
			t.Fatal("PendingUpdate is missing while the new approver is invited")
		}
		if a := sdkApproverOf(t, got.PendingUpdate.Approvers, dave.UserID); a.PrimaryIdentityStatus != types.IdentityStatusPending {
			t.Errorf("got the new approver %s in the draft, want PENDING", a.PrimaryIdentityStatus)
		}

		invitations, err := s.As(dave.UserID).ListInvitations(ctx)
		if err != nil {
			t.Fatalf("ListInvitations: %v", err)
		}
		if len(invitations) != 1 || !invitations[0].Update || invitations[0].VersionID != v5 || invitations[0].NumberOfApprovers != 4 {
			t.Fatalf("got invitations %+v, want one to join version %s of 4 approvers", invitations, v5)
		}
		step(t)
		s.AcceptInvitation(t, team, dave.UserID)

		got = sdkGetTeam(t, api, team)
		sdkWantTeamStatus(t, got, types.ApprovalTeamStatusActive, "")
		sdkWantString(t, "VersionId", got.VersionId, v5)
		sdkWantInt(t, "NumberOfApprovers", got.NumberOfApprovers, 4)
		sdkWantTime(t, "LastUpdateTime", got.LastUpdateTime, now)
		if got.PendingUpdate != nil {
			t.Errorf("got PendingUpdate %+v after activation, want none", got.PendingUpdate)
		}
		if a := sdkApproverOf(t, got.Approvers, dave.UserID); a.PrimaryIdentityStatus != types.IdentityStatusAccepted {
			t.Errorf("got the new approver %s, want ACCEPTED", a.PrimaryIdentityStatus)
		}
	}) {
		return
	}

	if !t.Run("baseline", func(t *testing.T) {
		step(t)
		out, err := api.StartApprovalTeamBaseline(ctx, &mpa.StartApprovalTeamBaselineInput{Arn: aws.String(team)})
		if err != nil {
			t.Fatalf("StartApprovalTeamBaseline: %v", err)
		}
		baseline := aws.ToString(out.BaselineSessionArn)
		got := sdkGetTeam(t, api, team)
		for _, a := range got.Approvers {
			sdkWantString(t, "PendingBaselineSessionArn", a.PendingBaselineSessionArn, baseline)
		}

		step(t)
		responses := map[*client.User]string{alice: "APPROVED", bob: "REJECTED", carol: "APPROVED"}
		for u, response := range responses {
			if res := s.Vote(t, baseline, u.UserID, response); res.Status != "PENDING" {
				t.Errorf("got baseline session %s before every approver responded, want PENDING", res.Status)
			}
		}
		got = sdkGetTeam(t, api, team)
		for u := range responses {
			a := sdkApproverOf(t, got.Approvers, u.UserID)
			if a.LastActivity != types.ApproverLastActivityBaselined {
				t.Errorf("%s: got LastActivity %q, want BASELINED", u.UserName, a.LastActivity)
			}
			sdkWantTime(t, "LastActivityTime of "+u.UserName, a.LastActivityTime, now)
			sdkWantString(t, "PendingBaselineSessionArn of "+u.UserName, a.PendingBaselineSessionArn, "")
		}
		sdkWantString(t, "PendingBaselineSessionArn of dave", sdkApproverOf(t, got.Approvers, dave.UserID).PendingBaselineSessionArn, baseline)

		s.Vote(t, baseline, dave.UserID, "APPROVED")
		session := sdkGetSession(t, api, baseline)
		if session.Status != types.SessionStatusApproved || session.StatusCode != types.SessionStatusCodeAllApproversInSession {
			t.Errorf("got baseline session %s/%s, want APPROVED/ALL_APPROVERS_IN_SESSION", session.Status, session.StatusCode)
		}
		if a := sdkApproverOf(t, sdkGetTeam(t, api, team).Approvers, dave.UserID); a.LastActivity != types.ApproverLastActivityBaselined {
			t.Errorf("dave: got LastActivity %q, want BASELINED", a.LastActivity)
		}
		sdkWantString(t, "VersionId", sdkGetTeam(t, api, team).VersionId, v5)
	}) {
		return
	}

	if !t.Run("deletion rejected", func(t *testing.T) {
		step(t)
		if _, err := api.StartActiveApprovalTeamDeletion(ctx, &mpa.StartActiveApprovalTeamDeletionInput{Arn: aws.String(team)}); err != nil {
			t.Fatalf("StartActiveApprovalTeamDeletion: %v", err)
		}
		deletion := sdkTeamSession(t, api, team, "mpa:StartActiveApprovalTeamDeletion")
		// 3 of 4 are required, so two rejections decide.
		s.Vote(t, deletion, alice.UserID, "REJECTED")
		s.Vote(t, deletion, dave.UserID, "REJECTED")
		got := sdkGetTeam(t, api, team)
		sdkWantTeamStatus(t, got, types.ApprovalTeamStatusActive, types.ApprovalTeamStatusCodeDeleteFailedApproval)
		if session := sdkGetSession(t, api, deletion); session.Status != types.SessionStatusFailed || session.StatusCode != types.SessionStatusCodeRejected {
			t.Errorf("got deletion session %s/%s, want FAILED/REJECTED", session.Status, session.StatusCode)
		}
	}) {
		return
	}

	if !t.Run("deletion cancelled", func(t *testing.T) {
		step(t)
		if _, err := api.StartActiveApprovalTeamDeletion(ctx, &mpa.StartActiveApprovalTeamDeletionInput{Arn: aws.String(team)}); err != nil {
			t.Fatalf("StartActiveApprovalTeamDeletion after a rejected one: %v", err)
		}
		deletion := sdkTeamSession(t, api, team, "mpa:StartActiveApprovalTeamDeletion")
		if _, err := api.CancelSession(ctx, &mpa.CancelSessionInput{SessionArn: aws.String(deletion)}); err != nil {
			t.Fatalf("CancelSession of the deletion session: %v", err)
		}
		got := sdkGetTeam(t, api, team)
		sdkWantTeamStatus(t, got, types.ApprovalTeamStatusActive, "")
		sdkWantString(t, "VersionId", got.VersionId, v5)
	}) {
		return
	}

	t.Run("deletion approved", func(t *testing.T) {
		step(t)
		operation := s.StartSession(t, team, "test:Deploy").SessionArn
		out, err := api.StartActiveApprovalTeamDeletion(ctx, &mpa.StartActiveApprovalTeamDeletionInput{Arn: aws.String(team), PendingWindowDays: aws.Int32(2)})
		if err != nil {
			t.Fatalf("StartActiveApprovalTeamDeletion: %v", err)
		}
		sdkWantTime(t, "DeletionStartTime", out.DeletionStartTime, now)
		got := sdkGetTeam(t, api, team)
		sdkWantTeamStatus(t, got, types.ApprovalTeamStatusActive, types.ApprovalTeamStatusCodeDeletePendingApproval)

		deletion := sdkTeamSession(t, api, team, "mpa:StartActiveApprovalTeamDeletion")
		step(t)
		for _, u := range []*client.User{bob, carol, dave} {
			s.Vote(t, deletion, u.UserID, "APPROVED")
		}
		approvedAt := now

		got = sdkGetTeam(t, api, team)
		sdkWantTeamStatus(t, got, types.ApprovalTeamStatusDeleting, "")
		list, err := api.ListApprovalTeams(ctx, &mpa.ListApprovalTeamsInput{})
		if err != nil {
			t.Fatalf("ListApprovalTeams: %v", err)
		}
		if len(list.ApprovalTeams) != 1 || list.ApprovalTeams[0].Status != types.ApprovalTeamStatusDeleting {
			t.Errorf("got listed teams %+v, want the one DELETING team", list.ApprovalTeams)
		}
		op := sdkGetSession(t, api, operation)
		if op.Status != types.SessionStatusCancelled || op.StatusCode != "" {
			t.Errorf("got the pending operation session %s/%s, want CANCELLED with no status code", op.Status, op.StatusCode)
		}
		_, err = s.Admin().StartSession(ctx, client.StartSessionInput{ApprovalTeamArn: team, ActionName: "test:Deploy"})
		if !client.IsCode(err, "ConflictException") {
			t.Errorf("StartSession on a DELETING team: got %v, want ConflictException", err)
		}
		_, err = api.UpdateApprovalTeam(ctx, &mpa.UpdateApprovalTeamInput{Arn: aws.String(team), Description: aws.String("Too late.")})
		sdkWantConflict(t, err)

		// The team is removed when the two-day window ends, not before.
		s.AdvanceClock(t, approvedAt.Add(48*time.Hour-time.Millisecond).Sub(now))
		sdkWantTeamStatus(t, sdkGetTeam(t, api, team), types.ApprovalTeamStatusDeleting, "")
		s.AdvanceClock(t, time.Millisecond)
		_, err = api.GetApprovalTeam(ctx, &mpa.GetApprovalTeamInput{Arn: aws.String(team)})
		sdkWantNotFound(t, err)
		list, err = api.ListApprovalTeams(ctx, &mpa.ListApprovalTeamsInput{})
		if err != nil {
			t.Fatalf("ListApprovalTeams: %v", err)
		}
		if len(list.ApprovalTeams) != 0 {
			t.Errorf("got %d teams after the deletion, want 0", len(list.ApprovalTeams))
		}
		if session := sdkGetSession(t, api, deletion); session.Status != types.SessionStatusApproved {
			t.Errorf("got the deletion session %s after the team was removed, want APPROVED and still readable", session.Status)
		}
		_, err = api.ListSessions(ctx, &mpa.ListSessionsInput{ApprovalTeamArn: aws.String(team)})
		sdkWantNotFound(t, err)
		_, err = api.ListTagsForResource(ctx, &mpa.ListTagsForResourceInput{ResourceArn: aws.String(team)})
		sdkWantNotFound(t, err)
	})
}

func TestSDKTeamDeletionWithoutWindow(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	api := s.MPA()
	ctx := t.Context()
	team, users := s.ActiveTeam(t, "short-lived", 2, 3)
	operation := s.StartSession(t, team, "test:Deploy").SessionArn

	if _, err := api.StartActiveApprovalTeamDeletion(ctx, &mpa.StartActiveApprovalTeamDeletionInput{Arn: aws.String(team)}); err != nil {
		t.Fatalf("StartActiveApprovalTeamDeletion: %v", err)
	}
	deletion := sdkTeamSession(t, api, team, "mpa:StartActiveApprovalTeamDeletion")
	s.Vote(t, deletion, users[0].UserID, "APPROVED")
	if got := sdkGetTeam(t, api, team); got.StatusCode != types.ApprovalTeamStatusCodeDeletePendingApproval {
		t.Errorf("got StatusCode %q after one of two approvals, want DELETE_PENDING_APPROVAL", got.StatusCode)
	}
	s.Vote(t, deletion, users[2].UserID, "APPROVED")

	_, err := api.GetApprovalTeam(ctx, &mpa.GetApprovalTeamInput{Arn: aws.String(team)})
	sdkWantNotFound(t, err)
	op := sdkGetSession(t, api, operation)
	if op.Status != types.SessionStatusCancelled {
		t.Errorf("got the team's pending session %s, want CANCELLED", op.Status)
	}
	_, err = s.As(users[1].UserID).Vote(ctx, deletion, client.VoteInput{Response: "APPROVED"})
	if !client.IsCode(err, "ConflictException") {
		t.Errorf("vote in the decided deletion session: got %v, want ConflictException", err)
	}
}

func TestSDKTeamActivationFails(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	api := s.MPA()
	ctx := t.Context()
	users := sdkUsers(t, s, "invitee", 2)
	declined := s.CreateTeam(t, "declined", 1, users[0].UserID, users[1].UserID)
	expired := s.CreateTeam(t, "expired", 1, users[0].UserID, users[1].UserID)

	t.Run("decline", func(t *testing.T) {
		s.AcceptInvitation(t, declined, users[0].UserID)
		res, err := s.As(users[1].UserID).AnswerInvitation(ctx, declined, false)
		if err != nil {
			t.Fatalf("decline: %v", err)
		}
		if res.Status != "INACTIVE" || res.StatusCode != "FAILED_ACTIVATION" {
			t.Errorf("got %s/%s after the decline, want INACTIVE/FAILED_ACTIVATION", res.Status, res.StatusCode)
		}
		got := sdkGetTeam(t, api, declined)
		sdkWantTeamStatus(t, got, types.ApprovalTeamStatusInactive, types.ApprovalTeamStatusCodeFailedActivation)
		if a := sdkApproverOf(t, got.Approvers, users[1].UserID); a.PrimaryIdentityStatus != types.IdentityStatusRejected {
			t.Errorf("got PrimaryIdentityStatus %q for the approver who declined, want REJECTED", a.PrimaryIdentityStatus)
		}
		_, err = s.Admin().StartSession(ctx, client.StartSessionInput{ApprovalTeamArn: declined, ActionName: "test:Deploy"})
		if !client.IsCode(err, "ConflictException") {
			t.Errorf("StartSession on an INACTIVE team: got %v, want ConflictException", err)
		}
	})

	t.Run("invitations expire", func(t *testing.T) {
		s.AcceptInvitation(t, expired, users[0].UserID)
		s.AdvanceClock(t, 24*time.Hour)
		got := sdkGetTeam(t, api, expired)
		sdkWantTeamStatus(t, got, types.ApprovalTeamStatusInactive, types.ApprovalTeamStatusCodeFailedActivation)
		_, err := s.As(users[1].UserID).AnswerInvitation(ctx, expired, true)
		if !client.IsCode(err, "ConflictException") {
			t.Errorf("accept an expired invitation: got %v, want ConflictException", err)
		}

		// Updating an INACTIVE team invites again, without a vote.
		out, err := api.UpdateApprovalTeam(ctx, &mpa.UpdateApprovalTeamInput{Arn: aws.String(expired), Description: aws.String("Second try.")})
		if err != nil {
			t.Fatalf("UpdateApprovalTeam: %v", err)
		}
		got = sdkGetTeam(t, api, expired)
		sdkWantTeamStatus(t, got, types.ApprovalTeamStatusPending, types.ApprovalTeamStatusCodePendingActivation)
		sdkWantString(t, "VersionId", got.VersionId, aws.ToString(out.VersionId))
		s.AcceptInvitation(t, expired, users[1].UserID)
		sdkWantTeamStatus(t, sdkGetTeam(t, api, expired), types.ApprovalTeamStatusActive, "")
	})
}
