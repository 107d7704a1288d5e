package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mpa"
	"github.com/aws/aws-sdk-go-v2/service/mpa/types"
	"github.com/pquerna/otp/totp"

	"github.com/keyturn/keyturn/client"
	"github.com/keyturn/keyturn/keyturntest"
)

// The lifecycle table walks each approval team status transition that the
// section "Approval teams" of docs/behaviour.md states, one row per
// transition. Each row is named after the state it starts from and the
// event, and runs on a server of its own whose workflow clock is frozen, so
// that only the row's clock moves decide expiries. The MPA API does
// everything it can. Keyturn's own API creates users, accepts and declines
// invitations and votes as approvers, and moves the clock.
// e2e/python/test_lifecycle_table.py walks the same table through boto3.

// lifecycleRow is one transition of the lifecycle table.
type lifecycleRow struct {
	name string
	run  func(t *testing.T, f *lifecycleFixture)
}

var lifecycleRows = []lifecycleRow{
	{"pending_activation_all_accept", lifecyclePendingActivationAllAccept},
	{"new_create_unknown_identity", lifecycleNewCreateUnknownIdentity},
	{"pending_activation_decline", lifecyclePendingActivationDecline},
	{"pending_activation_invitations_expire", lifecyclePendingActivationInvitationsExpire},
	{"inactive_update_then_delete_version", lifecycleInactiveUpdateThenDeleteVersion},
	{"update_pending_approval_approved", lifecycleUpdatePendingApprovalApproved},
	{"update_pending_activation_new_approver_accepts", lifecycleUpdatePendingActivationAccepts},
	{"update_pending_activation_new_approver_declines", lifecycleUpdatePendingActivationDeclines},
	{"update_pending_activation_invitation_expires", lifecycleUpdatePendingActivationExpires},
	{"update_pending_approval_rejected", lifecycleUpdatePendingApprovalRejected},
	{"update_pending_approval_session_expires", lifecycleUpdatePendingApprovalExpires},
	{"active_update_unknown_identity", lifecycleActiveUpdateUnknownIdentity},
	{"update_pending_approval_cancelled", lifecycleUpdatePendingApprovalCancelled},
	{"update_pending_approval_second_update", lifecycleUpdatePendingApprovalSecondUpdate},
	{"update_pending_approval_applied_cancels_sessions", lifecycleUpdateAppliedCancelsSessions},
	{"delete_pending_approval_rejected", lifecycleDeletePendingApprovalRejected},
	{"delete_pending_approval_session_expires", lifecycleDeletePendingApprovalExpires},
	{"delete_pending_approval_cancelled", lifecycleDeletePendingApprovalCancelled},
	{"delete_pending_approval_approved_without_window", lifecycleDeleteApprovedWithoutWindow},
	{"delete_pending_approval_approved_two_day_window", lifecycleDeleteApprovedTwoDayWindow},
	{"active_baseline_responses_then_expiry", lifecycleActiveBaseline},
	{"active_synchronize_mfa_devices", lifecycleActiveSynchronizeMFA},
}

func TestSDKLifecycleTable(t *testing.T) {
	t.Parallel()
	for _, row := range lifecycleRows {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			row.run(t, newLifecycleFixture(t))
		})
	}
}

// lifecycleFixture is the server of one row: an identity source, the test
// policy, and three users. Alice and Bob are the approvers of the row's
// team, and Carol joins it in updates.
type lifecycleFixture struct {
	s                 *keyturntest.Server
	api               *mpa.Client
	source            string
	alice, bob, carol *client.User
}

func newLifecycleFixture(t *testing.T) *lifecycleFixture {
	t.Helper()
	s := keyturntest.NewServer(t)
	sdkPutTestPolicy(t, s)
	f := &lifecycleFixture{
		s:      s,
		api:    s.MPA(),
		source: s.IdentitySourceArn(t),
		alice:  s.CreateUser(t, "alice"),
		bob:    s.CreateUser(t, "bob"),
		carol:  s.CreateUser(t, "carol"),
	}
	sdkFreezeClock(t, s)
	return f
}

// lifecycleUnknownIdentity is a PrimaryIdentityId that no user has.
const lifecycleUnknownIdentity = "no-such-user"

// unknownApprover returns an approver entry for a user that does not exist.
func (f *lifecycleFixture) unknownApprover() types.ApprovalTeamRequestApprover {
	return types.ApprovalTeamRequestApprover{
		PrimaryIdentityId:        aws.String(lifecycleUnknownIdentity),
		PrimaryIdentitySourceArn: aws.String(f.source),
	}
}

// createTeam creates a team of the approvers with CreateApprovalTeam and
// returns its ARN and version id.
func (f *lifecycleFixture) createTeam(t *testing.T, minApprovals int32, approvers []types.ApprovalTeamRequestApprover) (string, string) {
	t.Helper()
	out, err := f.api.CreateApprovalTeam(t.Context(), &mpa.CreateApprovalTeamInput{
		Name:             aws.String("lifecycle"),
		Description:      aws.String("Approves test operations."),
		ApprovalStrategy: sdkStrategy(minApprovals),
		Approvers:        approvers,
		Policies:         []types.PolicyReference{{PolicyArn: aws.String(sdkTestPolicyArn)}},
	})
	if err != nil {
		t.Fatalf("CreateApprovalTeam: %v", err)
	}
	return aws.ToString(out.Arn), aws.ToString(out.VersionId)
}

// activeTeam creates a team of Alice and Bob, lets both accept, and returns
// the ARN and version id of the ACTIVE team.
func (f *lifecycleFixture) activeTeam(t *testing.T, minApprovals int32) (string, string) {
	t.Helper()
	team, version := f.createTeam(t, minApprovals, sdkApprovers(f.source, f.alice, f.bob))
	f.answer(t, team, f.alice, true)
	f.answer(t, team, f.bob, true)
	lifecycleWantIdle(t, "before the row's event", f.team(t, team), version)
	return team, version
}

// answer accepts or declines the user's invitation to the team.
func (f *lifecycleFixture) answer(t *testing.T, team string, u *client.User, accept bool) {
	t.Helper()
	if _, err := f.s.As(u.UserID).AnswerInvitation(t.Context(), team, accept); err != nil {
		t.Fatalf("%s answers the invitation (accept %t): %v", u.UserName, accept, err)
	}
}

func (f *lifecycleFixture) vote(t *testing.T, session string, u *client.User, response string) {
	t.Helper()
	f.s.Vote(t, session, u.UserID, response)
}

func (f *lifecycleFixture) team(t *testing.T, team string) *mpa.GetApprovalTeamOutput {
	t.Helper()
	return sdkGetTeam(t, f.api, team)
}

// update calls UpdateApprovalTeam and returns the version id it reports.
func (f *lifecycleFixture) update(t *testing.T, in *mpa.UpdateApprovalTeamInput) string {
	t.Helper()
	out, err := f.api.UpdateApprovalTeam(t.Context(), in)
	if err != nil {
		t.Fatalf("UpdateApprovalTeam: %v", err)
	}
	return aws.ToString(out.VersionId)
}

// proposeDescription proposes a new description for an ACTIVE team and
// returns the draft's version id and the update session.
func (f *lifecycleFixture) proposeDescription(t *testing.T, team, description string) (string, string) {
	t.Helper()
	draft := f.update(t, &mpa.UpdateApprovalTeamInput{Arn: aws.String(team), Description: aws.String(description)})
	got := f.team(t, team)
	lifecycleWantTeam(t, "after UpdateApprovalTeam", got, types.ApprovalTeamStatusActive, types.ApprovalTeamStatusCodeUpdatePendingApproval)
	lifecycleWantPendingUpdate(t, "after UpdateApprovalTeam", got, types.ApprovalTeamStatusPending, types.ApprovalTeamStatusCodeUpdatePendingApproval, draft)
	if got.UpdateSessionArn == nil {
		t.Fatal("after UpdateApprovalTeam: UpdateSessionArn is missing")
	}
	return draft, aws.ToString(got.UpdateSessionArn)
}

// addCarol proposes Carol as a third approver of an ACTIVE team whose
// threshold is 1, lets Alice approve the update, and checks that the team
// then waits for Carol. It returns the draft's version id.
func (f *lifecycleFixture) addCarol(t *testing.T, team, version string) string {
	t.Helper()
	draft := f.update(t, &mpa.UpdateApprovalTeamInput{
		Arn:       aws.String(team),
		Approvers: sdkApprovers(f.source, f.alice, f.bob, f.carol),
	})
	session := aws.ToString(f.team(t, team).UpdateSessionArn)
	f.vote(t, session, f.alice, "APPROVED")

	const step = "after the update that adds Carol is approved"
	got := f.team(t, team)
	lifecycleWantTeam(t, step, got, types.ApprovalTeamStatusActive, types.ApprovalTeamStatusCodeUpdatePendingActivation)
	lifecycleWantVersion(t, step, got, version)
	lifecycleWantPendingUpdate(t, step, got, types.ApprovalTeamStatusPending, types.ApprovalTeamStatusCodeUpdatePendingActivation, draft)
	lifecycleWantIdentity(t, step+", in PendingUpdate", got.PendingUpdate.Approvers, f.carol, types.IdentityStatusPending)
	f.wantSession(t, step, session, types.SessionStatusApproved, "")
	return draft
}

// startDeletion calls StartActiveApprovalTeamDeletion, checks that the team
// waits for approval, and returns the deletion session.
func (f *lifecycleFixture) startDeletion(t *testing.T, team string, pendingWindowDays int32) string {
	t.Helper()
	_, err := f.api.StartActiveApprovalTeamDeletion(t.Context(), &mpa.StartActiveApprovalTeamDeletionInput{
		Arn: aws.String(team), PendingWindowDays: aws.Int32(pendingWindowDays),
	})
	if err != nil {
		t.Fatalf("StartActiveApprovalTeamDeletion: %v", err)
	}
	lifecycleWantTeam(t, "after StartActiveApprovalTeamDeletion", f.team(t, team),
		types.ApprovalTeamStatusActive, types.ApprovalTeamStatusCodeDeletePendingApproval)
	return sdkTeamSession(t, f.api, team, "mpa:StartActiveApprovalTeamDeletion")
}

func (f *lifecycleFixture) cancel(t *testing.T, session string) {
	t.Helper()
	if _, err := f.api.CancelSession(t.Context(), &mpa.CancelSessionInput{SessionArn: aws.String(session)}); err != nil {
		t.Fatalf("CancelSession %s: %v", session, err)
	}
}

// wantGone checks that GetApprovalTeam no longer finds the team.
func (f *lifecycleFixture) wantGone(t *testing.T, step, team string) {
	t.Helper()
	_, err := f.api.GetApprovalTeam(t.Context(), &mpa.GetApprovalTeamInput{Arn: aws.String(team)})
	if err == nil {
		t.Fatalf("%s: GetApprovalTeam found the team, want ResourceNotFoundException", step)
	}
	sdkWantNotFound(t, err)
}

// wantNoSessions checks that the team has no session at all.
func (f *lifecycleFixture) wantNoSessions(t *testing.T, step, team string) {
	t.Helper()
	sessions, err := sdkListAllSessions(t.Context(), f.api, team, nil)
	if err != nil {
		t.Fatalf("%s: ListSessions: %v", step, err)
	}
	if len(sessions) != 0 {
		t.Errorf("%s: got %d sessions, want none; the first is %s %s",
			step, len(sessions), aws.ToString(sessions[0].ActionName), sessions[0].Status)
	}
}

// wantSession checks a session's Status and StatusCode. An empty code
// means that the session has none.
func (f *lifecycleFixture) wantSession(t *testing.T, step, session string, status types.SessionStatus, code types.SessionStatusCode) {
	t.Helper()
	got := sdkGetSession(t, f.api, session)
	if got.Status != status || got.StatusCode != code {
		t.Errorf("%s: got session %s with code %q, want %s with code %q", step, got.Status, got.StatusCode, status, code)
	}
}

// lifecycleWantTeam checks a team's Status and StatusCode. An empty code
// means that the team has none.
func lifecycleWantTeam(t *testing.T, step string, got *mpa.GetApprovalTeamOutput, status types.ApprovalTeamStatus, code types.ApprovalTeamStatusCode) {
	t.Helper()
	if got.Status != status || got.StatusCode != code {
		t.Errorf("%s: got team %s with code %q, want %s with code %q (StatusMessage %q)",
			step, got.Status, got.StatusCode, status, code, aws.ToString(got.StatusMessage))
	}
}

func lifecycleWantVersion(t *testing.T, step string, got *mpa.GetApprovalTeamOutput, version string) {
	t.Helper()
	if v := aws.ToString(got.VersionId); v != version {
		t.Errorf("%s: got VersionId %q, want %q", step, v, version)
	}
}

// lifecycleWantIdle checks an ACTIVE team at the version with no change in
// progress: no status code, no PendingUpdate and no UpdateSessionArn.
func lifecycleWantIdle(t *testing.T, step string, got *mpa.GetApprovalTeamOutput, version string) {
	t.Helper()
	lifecycleWantTeam(t, step, got, types.ApprovalTeamStatusActive, "")
	lifecycleWantVersion(t, step, got, version)
	if p := got.PendingUpdate; p != nil {
		t.Errorf("%s: got PendingUpdate at version %q (%s, %s), want none", step, aws.ToString(p.VersionId), p.Status, p.StatusCode)
	}
	if got.UpdateSessionArn != nil {
		t.Errorf("%s: got UpdateSessionArn %q, want none", step, *got.UpdateSessionArn)
	}
}

// lifecycleWantPendingUpdate checks the Status, StatusCode and VersionId of
// the team's PendingUpdate, and stops the row when there is none.
func lifecycleWantPendingUpdate(t *testing.T, step string, got *mpa.GetApprovalTeamOutput,
	status types.ApprovalTeamStatus, code types.ApprovalTeamStatusCode, version string) {
	t.Helper()
	p := got.PendingUpdate
	if p == nil {
		t.Fatalf("%s: PendingUpdate is missing, want version %q in %s with code %s", step, version, status, code)
	}
	if p.Status != status || p.StatusCode != code {
		t.Errorf("%s: got PendingUpdate %s with code %q, want %s with code %q", step, p.Status, p.StatusCode, status, code)
	}
	if v := aws.ToString(p.VersionId); v != version {
		t.Errorf("%s: got PendingUpdate.VersionId %q, want %q", step, v, version)
	}
}

// lifecycleWantIdentity checks the PrimaryIdentityStatus of the user's
// entry in an approver list.
func lifecycleWantIdentity(t *testing.T, step string, approvers []types.GetApprovalTeamResponseApprover, u *client.User, want types.IdentityStatus) {
	t.Helper()
	if got := sdkApproverOf(t, approvers, u.UserID).PrimaryIdentityStatus; got != want {
		t.Errorf("%s: got PrimaryIdentityStatus %q for %s, want %q", step, got, u.UserName, want)
	}
}

func lifecyclePendingActivationAllAccept(t *testing.T, f *lifecycleFixture) {
	team, version := f.createTeam(t, 2, sdkApprovers(f.source, f.alice, f.bob))
	got := f.team(t, team)
	lifecycleWantTeam(t, "after CreateApprovalTeam", got, types.ApprovalTeamStatusPending, types.ApprovalTeamStatusCodePendingActivation)
	lifecycleWantVersion(t, "after CreateApprovalTeam", got, version)
	lifecycleWantIdentity(t, "after CreateApprovalTeam", got.Approvers, f.alice, types.IdentityStatusPending)
	lifecycleWantIdentity(t, "after CreateApprovalTeam", got.Approvers, f.bob, types.IdentityStatusPending)

	f.answer(t, team, f.alice, true)
	got = f.team(t, team)
	lifecycleWantTeam(t, "after Alice accepts", got, types.ApprovalTeamStatusPending, types.ApprovalTeamStatusCodePendingActivation)
	lifecycleWantIdentity(t, "after Alice accepts", got.Approvers, f.alice, types.IdentityStatusAccepted)

	f.answer(t, team, f.bob, true)
	got = f.team(t, team)
	lifecycleWantIdle(t, "after every approver accepts", got, version)
	lifecycleWantIdentity(t, "after every approver accepts", got.Approvers, f.bob, types.IdentityStatusAccepted)
}

func lifecycleNewCreateUnknownIdentity(t *testing.T, f *lifecycleFixture) {
	approvers := append(sdkApprovers(f.source, f.alice), f.unknownApprover())
	team, version := f.createTeam(t, 1, approvers)

	got := f.team(t, team)
	lifecycleWantTeam(t, "after CreateApprovalTeam", got, types.ApprovalTeamStatusInactive, types.ApprovalTeamStatusCodeFailedValidation)
	lifecycleWantVersion(t, "after CreateApprovalTeam", got, version)
	if msg := aws.ToString(got.StatusMessage); !strings.Contains(msg, lifecycleUnknownIdentity) {
		t.Errorf("after CreateApprovalTeam: got StatusMessage %q, want it to name %s", msg, lifecycleUnknownIdentity)
	}
	if a := sdkApproverOf(t, got.Approvers, lifecycleUnknownIdentity); a.PrimaryIdentityStatus != types.IdentityStatusInvalid {
		t.Errorf("after CreateApprovalTeam: got PrimaryIdentityStatus %q for the unknown identity, want INVALID", a.PrimaryIdentityStatus)
	}
}

func lifecyclePendingActivationDecline(t *testing.T, f *lifecycleFixture) {
	team, version := f.createTeam(t, 1, sdkApprovers(f.source, f.alice, f.bob))
	f.answer(t, team, f.alice, true)
	f.answer(t, team, f.bob, false)

	got := f.team(t, team)
	lifecycleWantTeam(t, "after Bob declines", got, types.ApprovalTeamStatusInactive, types.ApprovalTeamStatusCodeFailedActivation)
	lifecycleWantVersion(t, "after Bob declines", got, version)
	lifecycleWantIdentity(t, "after Bob declines", got.Approvers, f.alice, types.IdentityStatusAccepted)
	lifecycleWantIdentity(t, "after Bob declines", got.Approvers, f.bob, types.IdentityStatusRejected)
}

func lifecyclePendingActivationInvitationsExpire(t *testing.T, f *lifecycleFixture) {
	team, version := f.createTeam(t, 1, sdkApprovers(f.source, f.alice, f.bob))
	f.answer(t, team, f.alice, true)
	f.s.AdvanceClock(t, 25*time.Hour)

	got := f.team(t, team)
	lifecycleWantTeam(t, "25 hours after the invitations", got, types.ApprovalTeamStatusInactive, types.ApprovalTeamStatusCodeFailedActivation)
	lifecycleWantVersion(t, "25 hours after the invitations", got, version)
	lifecycleWantIdentity(t, "25 hours after the invitations", got.Approvers, f.alice, types.IdentityStatusAccepted)
}

func lifecycleInactiveUpdateThenDeleteVersion(t *testing.T, f *lifecycleFixture) {
	team, first := f.createTeam(t, 1, sdkApprovers(f.source, f.alice, f.bob))
	f.answer(t, team, f.alice, true)
	f.answer(t, team, f.bob, false)
	lifecycleWantTeam(t, "after Bob declines", f.team(t, team), types.ApprovalTeamStatusInactive, types.ApprovalTeamStatusCodeFailedActivation)

	second := f.update(t, &mpa.UpdateApprovalTeamInput{Arn: aws.String(team), Approvers: sdkApprovers(f.source, f.alice, f.bob, f.carol)})
	if second == first {
		t.Errorf("UpdateApprovalTeam returned the old VersionId %q, want a new one", second)
	}
	const step = "after UpdateApprovalTeam of the INACTIVE team"
	got := f.team(t, team)
	lifecycleWantTeam(t, step, got, types.ApprovalTeamStatusPending, types.ApprovalTeamStatusCodePendingActivation)
	lifecycleWantVersion(t, step, got, second)
	if got.PendingUpdate != nil || got.UpdateSessionArn != nil {
		t.Errorf("%s: got PendingUpdate %v and UpdateSessionArn %q, want neither", step, got.PendingUpdate != nil, aws.ToString(got.UpdateSessionArn))
	}
	lifecycleWantIdentity(t, step, got.Approvers, f.alice, types.IdentityStatusAccepted)
	lifecycleWantIdentity(t, step+", Bob invited again", got.Approvers, f.bob, types.IdentityStatusPending)
	lifecycleWantIdentity(t, step, got.Approvers, f.carol, types.IdentityStatusPending)
	f.wantNoSessions(t, step, team)

	_, err := f.api.DeleteInactiveApprovalTeamVersion(t.Context(), &mpa.DeleteInactiveApprovalTeamVersionInput{
		Arn: aws.String(team), VersionId: aws.String(second),
	})
	if err != nil {
		t.Fatalf("DeleteInactiveApprovalTeamVersion %s: %v", second, err)
	}
	f.wantGone(t, "after DeleteInactiveApprovalTeamVersion", team)
}

func lifecycleUpdatePendingApprovalApproved(t *testing.T, f *lifecycleFixture) {
	team, version := f.activeTeam(t, 2)
	draft := f.update(t, &mpa.UpdateApprovalTeamInput{
		Arn:              aws.String(team),
		Description:      aws.String("Approves test operations with one approval."),
		ApprovalStrategy: sdkStrategy(1),
	})
	if draft == version {
		t.Errorf("UpdateApprovalTeam returned the current VersionId %q, want the draft's own", draft)
	}
	const step = "after UpdateApprovalTeam"
	got := f.team(t, team)
	lifecycleWantTeam(t, step, got, types.ApprovalTeamStatusActive, types.ApprovalTeamStatusCodeUpdatePendingApproval)
	lifecycleWantVersion(t, step, got, version)
	lifecycleWantPendingUpdate(t, step, got, types.ApprovalTeamStatusPending, types.ApprovalTeamStatusCodeUpdatePendingApproval, draft)
	if got.UpdateSessionArn == nil {
		t.Fatalf("%s: UpdateSessionArn is missing", step)
	}
	session := aws.ToString(got.UpdateSessionArn)
	f.wantSession(t, step, session, types.SessionStatusPending, "")

	f.vote(t, session, f.alice, "APPROVED")
	lifecycleWantTeam(t, "after one of two approvals", f.team(t, team), types.ApprovalTeamStatusActive, types.ApprovalTeamStatusCodeUpdatePendingApproval)
	f.vote(t, session, f.bob, "APPROVED")

	got = f.team(t, team)
	lifecycleWantIdle(t, "after the update is approved", got, draft)
	sdkWantString(t, "Description", got.Description, "Approves test operations with one approval.")
	if m := sdkMofN(t, got.ApprovalStrategy); m != 1 {
		t.Errorf("after the update is approved: got MinApprovalsRequired %d, want 1", m)
	}
	f.wantSession(t, "after the update is approved", session, types.SessionStatusApproved, "")
}

func lifecycleUpdatePendingActivationAccepts(t *testing.T, f *lifecycleFixture) {
	team, version := f.activeTeam(t, 1)
	draft := f.addCarol(t, team, version)
	f.answer(t, team, f.carol, true)

	got := f.team(t, team)
	lifecycleWantIdle(t, "after Carol accepts", got, draft)
	sdkWantInt(t, "NumberOfApprovers", got.NumberOfApprovers, 3)
	lifecycleWantIdentity(t, "after Carol accepts", got.Approvers, f.carol, types.IdentityStatusAccepted)
}

func lifecycleUpdatePendingActivationDeclines(t *testing.T, f *lifecycleFixture) {
	team, version := f.activeTeam(t, 1)
	draft := f.addCarol(t, team, version)
	f.answer(t, team, f.carol, false)

	const step = "after Carol declines"
	got := f.team(t, team)
	lifecycleWantTeam(t, step, got, types.ApprovalTeamStatusActive, types.ApprovalTeamStatusCodeUpdateFailedActivation)
	lifecycleWantVersion(t, step, got, version)
	lifecycleWantPendingUpdate(t, step, got, types.ApprovalTeamStatusInactive, types.ApprovalTeamStatusCodeUpdateFailedActivation, draft)
	lifecycleWantIdentity(t, step+", in PendingUpdate", got.PendingUpdate.Approvers, f.carol, types.IdentityStatusRejected)

	_, err := f.api.DeleteInactiveApprovalTeamVersion(t.Context(), &mpa.DeleteInactiveApprovalTeamVersionInput{
		Arn: aws.String(team), VersionId: aws.String(draft),
	})
	if err != nil {
		t.Fatalf("DeleteInactiveApprovalTeamVersion of the failed draft %s: %v", draft, err)
	}
	got = f.team(t, team)
	lifecycleWantIdle(t, "after the failed draft is deleted", got, version)
	sdkWantInt(t, "NumberOfApprovers", got.NumberOfApprovers, 2)
}

func lifecycleUpdatePendingActivationExpires(t *testing.T, f *lifecycleFixture) {
	team, version := f.activeTeam(t, 1)
	draft := f.addCarol(t, team, version)
	f.s.AdvanceClock(t, 25*time.Hour)

	const step = "25 hours after Carol's invitation"
	got := f.team(t, team)
	lifecycleWantTeam(t, step, got, types.ApprovalTeamStatusActive, types.ApprovalTeamStatusCodeUpdateFailedActivation)
	lifecycleWantVersion(t, step, got, version)
	lifecycleWantPendingUpdate(t, step, got, types.ApprovalTeamStatusInactive, types.ApprovalTeamStatusCodeUpdateFailedActivation, draft)
}

func lifecycleUpdatePendingApprovalRejected(t *testing.T, f *lifecycleFixture) {
	team, version := f.activeTeam(t, 2)
	draft, session := f.proposeDescription(t, team, "Rejected description.")
	// With 2 of 2 required, one rejection decides.
	f.vote(t, session, f.alice, "REJECTED")

	const step = "after Alice rejects the update"
	got := f.team(t, team)
	lifecycleWantTeam(t, step, got, types.ApprovalTeamStatusActive, types.ApprovalTeamStatusCodeUpdateFailedApproval)
	lifecycleWantVersion(t, step, got, version)
	lifecycleWantPendingUpdate(t, step, got, types.ApprovalTeamStatusInactive, types.ApprovalTeamStatusCodeUpdateFailedApproval, draft)
	f.wantSession(t, step, session, types.SessionStatusFailed, types.SessionStatusCodeRejected)
}

func lifecycleUpdatePendingApprovalExpires(t *testing.T, f *lifecycleFixture) {
	team, version := f.activeTeam(t, 1)
	draft, session := f.proposeDescription(t, team, "Expired description.")
	f.s.AdvanceClock(t, 25*time.Hour)

	const step = "25 hours after UpdateApprovalTeam"
	got := f.team(t, team)
	lifecycleWantTeam(t, step, got, types.ApprovalTeamStatusActive, types.ApprovalTeamStatusCodeUpdateFailedApproval)
	lifecycleWantVersion(t, step, got, version)
	lifecycleWantPendingUpdate(t, step, got, types.ApprovalTeamStatusInactive, types.ApprovalTeamStatusCodeUpdateFailedApproval, draft)
	f.wantSession(t, step, session, types.SessionStatusFailed, types.SessionStatusCodeExpired)
}

func lifecycleActiveUpdateUnknownIdentity(t *testing.T, f *lifecycleFixture) {
	team, version := f.activeTeam(t, 1)
	approvers := append(sdkApprovers(f.source, f.alice, f.bob), f.unknownApprover())
	draft := f.update(t, &mpa.UpdateApprovalTeamInput{Arn: aws.String(team), Approvers: approvers})

	const step = "after an update that names an unknown identity"
	got := f.team(t, team)
	lifecycleWantTeam(t, step, got, types.ApprovalTeamStatusActive, types.ApprovalTeamStatusCodeUpdateFailedValidation)
	lifecycleWantVersion(t, step, got, version)
	lifecycleWantPendingUpdate(t, step, got, types.ApprovalTeamStatusInactive, types.ApprovalTeamStatusCodeUpdateFailedValidation, draft)
	if a := sdkApproverOf(t, got.PendingUpdate.Approvers, lifecycleUnknownIdentity); a.PrimaryIdentityStatus != types.IdentityStatusInvalid {
		t.Errorf("%s: got PrimaryIdentityStatus %q for the unknown identity in PendingUpdate, want INVALID", step, a.PrimaryIdentityStatus)
	}
	if got.UpdateSessionArn != nil {
		t.Errorf("%s: got UpdateSessionArn %q, want none", step, *got.UpdateSessionArn)
	}
	f.wantNoSessions(t, step, team)
}

func lifecycleUpdatePendingApprovalCancelled(t *testing.T, f *lifecycleFixture) {
	team, version := f.activeTeam(t, 1)
	_, session := f.proposeDescription(t, team, "Cancelled description.")
	f.cancel(t, session)

	got := f.team(t, team)
	lifecycleWantIdle(t, "after CancelSession of the update session", got, version)
	sdkWantString(t, "Description", got.Description, "Approves test operations.")
	f.wantSession(t, "after CancelSession of the update session", session, types.SessionStatusCancelled, "")
}

func lifecycleUpdatePendingApprovalSecondUpdate(t *testing.T, f *lifecycleFixture) {
	team, version := f.activeTeam(t, 2)
	first, firstSession := f.proposeDescription(t, team, "First description.")

	again := f.update(t, &mpa.UpdateApprovalTeamInput{Arn: aws.String(team), Description: aws.String("First description.")})
	if again != first {
		t.Errorf("repeated UpdateApprovalTeam: got VersionId %q, want the pending %q", again, first)
	}
	_, err := f.api.UpdateApprovalTeam(t.Context(), &mpa.UpdateApprovalTeamInput{Arn: aws.String(team), Description: aws.String("Second description.")})
	sdkWantConflict(t, err)
	lifecycleWantPendingUpdate(t, "after the conflicting update", f.team(t, team),
		types.ApprovalTeamStatusPending, types.ApprovalTeamStatusCodeUpdatePendingApproval, first)

	f.vote(t, firstSession, f.alice, "REJECTED")
	lifecycleWantTeam(t, "after Alice rejects the first update", f.team(t, team),
		types.ApprovalTeamStatusActive, types.ApprovalTeamStatusCodeUpdateFailedApproval)

	third, thirdSession := f.proposeDescription(t, team, "Third description.")
	if third == first {
		t.Errorf("the update after a failed one got the failed draft's VersionId %q", first)
	}
	if thirdSession == firstSession {
		t.Errorf("the update after a failed one got the failed update's session %s", firstSession)
	}
	lifecycleWantVersion(t, "after the update that follows a failed one", f.team(t, team), version)
}

func lifecycleUpdateAppliedCancelsSessions(t *testing.T, f *lifecycleFixture) {
	team, _ := f.activeTeam(t, 1)
	operation := f.s.StartSession(t, team, "test:Deploy").SessionArn
	draft, session := f.proposeDescription(t, team, "Applied description.")
	f.vote(t, session, f.alice, "APPROVED")

	lifecycleWantIdle(t, "after the update is approved", f.team(t, team), draft)
	f.wantSession(t, "after the update is applied, the operation", operation,
		types.SessionStatusCancelled, types.SessionStatusCodeConfigurationChanged)
}

func lifecycleDeletePendingApprovalRejected(t *testing.T, f *lifecycleFixture) {
	team, version := f.activeTeam(t, 2)
	deletion := f.startDeletion(t, team, 0)
	// With 2 of 2 required, one rejection decides.
	f.vote(t, deletion, f.alice, "REJECTED")

	got := f.team(t, team)
	lifecycleWantTeam(t, "after Alice rejects the deletion", got, types.ApprovalTeamStatusActive, types.ApprovalTeamStatusCodeDeleteFailedApproval)
	lifecycleWantVersion(t, "after Alice rejects the deletion", got, version)
	f.wantSession(t, "after Alice rejects the deletion", deletion, types.SessionStatusFailed, types.SessionStatusCodeRejected)
}

func lifecycleDeletePendingApprovalExpires(t *testing.T, f *lifecycleFixture) {
	team, version := f.activeTeam(t, 1)
	deletion := f.startDeletion(t, team, 0)
	f.s.AdvanceClock(t, 25*time.Hour)

	const step = "25 hours after StartActiveApprovalTeamDeletion"
	got := f.team(t, team)
	lifecycleWantTeam(t, step, got, types.ApprovalTeamStatusActive, types.ApprovalTeamStatusCodeDeleteFailedApproval)
	lifecycleWantVersion(t, step, got, version)
	f.wantSession(t, step, deletion, types.SessionStatusFailed, types.SessionStatusCodeExpired)
}

func lifecycleDeletePendingApprovalCancelled(t *testing.T, f *lifecycleFixture) {
	team, version := f.activeTeam(t, 1)
	deletion := f.startDeletion(t, team, 0)
	f.cancel(t, deletion)

	lifecycleWantIdle(t, "after CancelSession of the deletion session", f.team(t, team), version)
	f.wantSession(t, "after CancelSession of the deletion session", deletion, types.SessionStatusCancelled, "")
}

func lifecycleDeleteApprovedWithoutWindow(t *testing.T, f *lifecycleFixture) {
	team, _ := f.activeTeam(t, 1)
	operation := f.s.StartSession(t, team, "test:Deploy").SessionArn
	deletion := f.startDeletion(t, team, 0)
	f.vote(t, deletion, f.alice, "APPROVED")

	f.wantGone(t, "after the deletion is approved", team)
	f.wantSession(t, "after the deletion is approved", deletion, types.SessionStatusApproved, "")
	f.wantSession(t, "after the deletion is approved, the operation", operation, types.SessionStatusCancelled, "")
	// A team's deletion cancels its pending sessions with this message, as
	// docs/behaviour.md states.
	if msg := aws.ToString(sdkGetSession(t, f.api, operation).StatusMessage); msg != "The approval team was deleted." {
		t.Errorf("after the deletion is approved: got the operation's StatusMessage %q, want %q", msg, "The approval team was deleted.")
	}
}

func lifecycleDeleteApprovedTwoDayWindow(t *testing.T, f *lifecycleFixture) {
	team, _ := f.activeTeam(t, 1)
	deletion := f.startDeletion(t, team, 2)
	f.vote(t, deletion, f.alice, "APPROVED")
	lifecycleWantTeam(t, "after the deletion is approved", f.team(t, team), types.ApprovalTeamStatusDeleting, "")
	f.wantSession(t, "after the deletion is approved", deletion, types.SessionStatusApproved, "")

	// The frozen clock has not moved since the approval, so the window
	// ends exactly two days from now.
	f.s.AdvanceClock(t, 48*time.Hour-time.Second)
	lifecycleWantTeam(t, "a second before the window ends", f.team(t, team), types.ApprovalTeamStatusDeleting, "")
	f.s.AdvanceClock(t, time.Second)
	f.wantGone(t, "when the two-day window ends", team)
}

func lifecycleActiveBaseline(t *testing.T, f *lifecycleFixture) {
	team, version := f.activeTeam(t, 1)
	first := f.startBaseline(t, team)
	f.vote(t, first, f.alice, "APPROVED")
	f.wantSession(t, "after one of two responses", first, types.SessionStatusPending, "")
	f.vote(t, first, f.bob, "REJECTED")

	const step = "after every approver responds"
	f.wantSession(t, step, first, types.SessionStatusApproved, types.SessionStatusCodeAllApproversInSession)
	got := f.team(t, team)
	lifecycleWantIdle(t, step, got, version)
	for _, a := range got.Approvers {
		if a.LastActivity != types.ApproverLastActivityBaselined {
			t.Errorf("%s: got LastActivity %q for %s, want BASELINED", step, a.LastActivity, aws.ToString(a.PrimaryIdentityId))
		}
		sdkWantString(t, step+": PendingBaselineSessionArn", a.PendingBaselineSessionArn, "")
	}

	second := f.startBaseline(t, team)
	f.s.AdvanceClock(t, 25*time.Hour)
	f.wantSession(t, "25 hours after the second baseline", second, types.SessionStatusFailed, types.SessionStatusCodeExpired)
	for _, a := range f.team(t, team).Approvers {
		sdkWantString(t, "25 hours after the second baseline: PendingBaselineSessionArn", a.PendingBaselineSessionArn, "")
	}
}

// startBaseline calls StartApprovalTeamBaseline for every approver, checks
// that each one's PendingBaselineSessionArn names the session, and returns
// the session.
func (f *lifecycleFixture) startBaseline(t *testing.T, team string) string {
	t.Helper()
	out, err := f.api.StartApprovalTeamBaseline(t.Context(), &mpa.StartApprovalTeamBaselineInput{Arn: aws.String(team)})
	if err != nil {
		t.Fatalf("StartApprovalTeamBaseline: %v", err)
	}
	session := aws.ToString(out.BaselineSessionArn)
	for _, a := range f.team(t, team).Approvers {
		sdkWantString(t, "after StartApprovalTeamBaseline: PendingBaselineSessionArn", a.PendingBaselineSessionArn, session)
	}
	return session
}

func lifecycleActiveSynchronizeMFA(t *testing.T, f *lifecycleFixture) {
	team, version := f.activeTeam(t, 1)
	alice := approverClient(t, f.s, f.alice)
	enrolment, err := alice.EnrollTOTP(t.Context(), client.FactorProof{})
	if err != nil {
		t.Fatalf("Alice starts TOTP enrolment: %v", err)
	}
	// Factor checks use the real clock, not the frozen workflow clock.
	code, err := totp.GenerateCode(enrolment.Secret, time.Now())
	if err != nil {
		t.Fatalf("generate a TOTP code: %v", err)
	}
	if err := alice.ConfirmTOTP(t.Context(), code); err != nil {
		t.Fatalf("Alice confirms TOTP: %v", err)
	}
	lifecycleWantMFA(t, "after Alice enrols TOTP", f.team(t, team), f.alice, types.MfaSyncStatusOutOfSync)

	synced := f.update(t, &mpa.UpdateApprovalTeamInput{
		Arn:           aws.String(team),
		UpdateActions: []types.UpdateAction{types.UpdateActionSynchronizeMfaDevices},
	})
	if synced != version {
		t.Errorf("UpdateApprovalTeam with SYNCHRONIZE_MFA_DEVICES returned VersionId %q, want the current %q", synced, version)
	}
	const step = "after SYNCHRONIZE_MFA_DEVICES"
	got := f.team(t, team)
	lifecycleWantIdle(t, step, got, version)
	lifecycleWantMFA(t, step, got, f.alice, types.MfaSyncStatusInSync)
	f.wantNoSessions(t, step, team)
}

// lifecycleWantMFA checks that the user's only MFA method in the team is
// TOTP with the sync status.
func lifecycleWantMFA(t *testing.T, step string, got *mpa.GetApprovalTeamOutput, u *client.User, status types.MfaSyncStatus) {
	t.Helper()
	methods := sdkApproverOf(t, got.Approvers, u.UserID).MfaMethods
	if len(methods) != 1 || methods[0].Type != "TOTP" || methods[0].SyncStatus != status {
		t.Errorf("%s: got MfaMethods %+v for %s, want only TOTP with SyncStatus %s", step, methods, u.UserName, status)
	}
}
