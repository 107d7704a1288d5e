"""Every approval team status transition through boto3, one row per transition.

ROWS is the table of lifecycleRows in e2e/sdk_lifecycle_table_test.go. Each
row walks one transition that the section "Approval teams" of
docs/behaviour.md states. It is named after the state it starts from and
the event, and starts from a fresh team in an account of its own. boto3's MPA
client does everything the MPA API can do. Keyturn's own API creates users,
accepts and declines invitations and votes as approvers, and moves the
clock. Rows that move the clock run on a private server whose clock is
frozen, because every account of a server shares its clock.
"""

import base64
import hashlib
import hmac
import struct
import time
import unittest
from typing import NamedTuple

import harness
from harness import Account, KeyturnAPIError, KeyturnTestCase, Server, send, shared_url

HOUR = 3600
DESCRIPTION = "Approves test operations."
# A PrimaryIdentityId that no user has.
UNKNOWN_IDENTITY = "no-such-user"
DELETION_ACTION = "mpa:StartActiveApprovalTeamDeletion"


class Row(NamedTuple):
    name: str
    moves_clock: bool


ROWS = (
    Row("pending_activation_all_accept", False),
    Row("new_create_unknown_identity", False),
    Row("pending_activation_decline", False),
    Row("pending_activation_invitations_expire", True),
    Row("inactive_update_then_delete_version", False),
    Row("update_pending_approval_approved", False),
    Row("update_pending_activation_new_approver_accepts", False),
    Row("update_pending_activation_new_approver_declines", False),
    Row("update_pending_activation_invitation_expires", True),
    Row("update_pending_approval_rejected", False),
    Row("update_pending_approval_session_expires", True),
    Row("active_update_unknown_identity", False),
    Row("update_pending_approval_cancelled", False),
    Row("update_pending_approval_second_update", False),
    Row("update_pending_approval_applied_cancels_sessions", False),
    Row("delete_pending_approval_rejected", False),
    Row("delete_pending_approval_session_expires", True),
    Row("delete_pending_approval_cancelled", False),
    Row("delete_pending_approval_approved_without_window", False),
    Row("delete_pending_approval_approved_two_day_window", True),
    Row("active_baseline_responses_then_expiry", True),
    Row("active_synchronize_mfa_devices", False),
)


def totp_code(secret, at=None):
    """Return the RFC 6238 code of a base32 secret at a Unix time (default
    now): HMAC-SHA1, 30-second steps, 6 digits, as Keyturn checks them."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


class LifecycleRows(KeyturnTestCase):
    """The rows of ROWS as methods named row_<name>, with their helpers.

    The subclasses at the end of the module run each row as test_<name>.
    Alice and Bob are the approvers of each row's team, and Carol joins it
    in updates.
    """

    url = None

    def setUp(self):
        self.account = Account(self.url).setup("alice", "bob", "carol")
        self.mpa = self.account.mpa

    # Steps through the clients.

    def user_id(self, name):
        return self.account.users[name]["UserId"]

    def unknown_approver(self):
        return {"PrimaryIdentityId": UNKNOWN_IDENTITY, "PrimaryIdentitySourceArn": self.account.identity_source_arn}

    def create_team(self, min_approvals, approvers):
        """Create a team of the approver entries and return its ARN and
        version id."""
        out = self.mpa.create_approval_team(
            Name="lifecycle",
            Description=DESCRIPTION,
            ApprovalStrategy={"MofN": {"MinApprovalsRequired": min_approvals}},
            Approvers=approvers,
            Policies=[{"PolicyArn": harness.TEST_POLICY_ARN + "/$DEFAULT"}],
        )
        return out["Arn"], out["VersionId"]

    def approvers(self, *names):
        return [self.account.approver(n) for n in names]

    def active_team(self, min_approvals):
        """Create a team of Alice and Bob, let both accept, and return the
        ARN and version id of the ACTIVE team."""
        arn, version = self.create_team(min_approvals, self.approvers("alice", "bob"))
        self.account.answer_invitation(arn, "alice", "ACCEPT")
        self.account.answer_invitation(arn, "bob", "ACCEPT")
        self.assert_idle("before the row's event", self.team(arn), version)
        return arn, version

    def team(self, arn):
        return self.mpa.get_approval_team(Arn=arn)

    def propose_description(self, arn, description):
        """Propose a new description for an ACTIVE team and return the
        draft's version id and the update session."""
        draft = self.mpa.update_approval_team(Arn=arn, Description=description)["VersionId"]
        team = self.team(arn)
        step = "after UpdateApprovalTeam"
        self.assert_team(step, team, "ACTIVE", "UPDATE_PENDING_APPROVAL")
        self.assert_pending_update(step, team, "PENDING", "UPDATE_PENDING_APPROVAL", draft)
        self.assertIn("UpdateSessionArn", team, f"{step}: UpdateSessionArn is missing")
        return draft, team["UpdateSessionArn"]

    def add_carol(self, arn, version):
        """Propose Carol as a third approver of an ACTIVE team whose
        threshold is 1, let Alice approve, check that the team then waits for
        Carol, and return the draft's version id."""
        draft = self.mpa.update_approval_team(Arn=arn, Approvers=self.approvers("alice", "bob", "carol"))["VersionId"]
        session = self.team(arn)["UpdateSessionArn"]
        self.account.vote(session, "alice", "APPROVED")

        step = "after the update that adds Carol is approved"
        team = self.team(arn)
        self.assert_team(step, team, "ACTIVE", "UPDATE_PENDING_ACTIVATION")
        self.assert_version(step, team, version)
        self.assert_pending_update(step, team, "PENDING", "UPDATE_PENDING_ACTIVATION", draft)
        self.assert_identity(step + ", in PendingUpdate", team["PendingUpdate"]["Approvers"], "carol", "PENDING")
        self.assert_session(step, session, "APPROVED")
        return draft

    def start_deletion(self, arn, pending_window_days):
        """Call StartActiveApprovalTeamDeletion, check that the team waits for
        approval, and return the deletion session."""
        self.mpa.start_active_approval_team_deletion(Arn=arn, PendingWindowDays=pending_window_days)
        self.assert_team("after StartActiveApprovalTeamDeletion", self.team(arn), "ACTIVE", "DELETE_PENDING_APPROVAL")
        sessions = self.sessions(arn, [
            {"FieldName": "ActionName", "Operator": "EQ", "Value": DELETION_ACTION},
            {"FieldName": "SessionStatus", "Operator": "EQ", "Value": "PENDING"},
        ])
        self.assertEqual(len(sessions), 1, f"PENDING {DELETION_ACTION} sessions of the team")
        return sessions[0]["SessionArn"]

    def start_baseline(self, arn):
        """Call StartApprovalTeamBaseline for every approver, check that each
        one's PendingBaselineSessionArn names the session, and return it."""
        session = self.mpa.start_approval_team_baseline(Arn=arn)["BaselineSessionArn"]
        for approver in self.team(arn)["Approvers"]:
            self.assertEqual(approver.get("PendingBaselineSessionArn"), session,
                             f"after StartApprovalTeamBaseline: PendingBaselineSessionArn of {approver['PrimaryIdentityId']}")
        return session

    def sessions(self, arn, filters=()):
        pages = self.mpa.get_paginator("list_sessions").paginate(ApprovalTeamArn=arn, Filters=list(filters))
        return [s for page in pages for s in page["Sessions"]]

    def approver_call(self, token, method, path, body=None):
        """Call Keyturn's approver API with an approver token."""
        response = send(self.url, method, path, b"" if body is None else body,
                        headers={"Authorization": "Bearer " + token})
        if response.status != 200:
            raise KeyturnAPIError(response)
        return response.json()

    def approver_token(self, name):
        """Issue an enrolment code for the user with a signed call, exchange
        it for an approver token as the approver does, and return the token."""
        issued = self.account.call("POST", f"/keyturn/v1/users/{self.user_id(name)}/enrollment", {"Delivery": "RESPONSE"})
        enrolled = send(self.url, "POST", "/keyturn/v1/approver/enroll", {"EnrollmentCode": issued["EnrollmentCode"], "Label": "e2e"})
        if enrolled.status != 200:
            raise KeyturnAPIError(enrolled)
        return enrolled.json()["ApproverToken"]

    # Checks. Each message starts with the step of the row.

    def assert_team(self, step, team, status, code=None):
        """Check the team's Status and StatusCode. code None means that the
        team has no status code."""
        got = (team["Status"], team.get("StatusCode"))
        self.assertEqual(got, (status, code), f"{step}: team Status and StatusCode (StatusMessage {team.get('StatusMessage')!r})")

    def assert_version(self, step, team, version):
        self.assertEqual(team["VersionId"], version, f"{step}: VersionId")

    def assert_idle(self, step, team, version):
        """Check an ACTIVE team at the version with no change in progress."""
        self.assert_team(step, team, "ACTIVE")
        self.assert_version(step, team, version)
        self.assertNotIn("PendingUpdate", team, f"{step}: PendingUpdate")
        self.assertNotIn("UpdateSessionArn", team, f"{step}: UpdateSessionArn")

    def assert_pending_update(self, step, team, status, code, version):
        self.assertIn("PendingUpdate", team, f"{step}: PendingUpdate is missing")
        pending = team["PendingUpdate"]
        self.assertEqual((pending.get("Status"), pending.get("StatusCode")), (status, code),
                         f"{step}: PendingUpdate Status and StatusCode")
        self.assertEqual(pending.get("VersionId"), version, f"{step}: PendingUpdate.VersionId")

    def approver_entry(self, step, approvers, identity_id):
        for approver in approvers:
            if approver["PrimaryIdentityId"] == identity_id:
                return approver
        self.fail(f"{step}: no approver has PrimaryIdentityId {identity_id}")

    def assert_identity(self, step, approvers, name, status):
        approver = self.approver_entry(step, approvers, self.user_id(name))
        self.assertEqual(approver["PrimaryIdentityStatus"], status, f"{step}: PrimaryIdentityStatus of {name}")

    def assert_session(self, step, arn, status, code=None):
        """Check a session's Status and StatusCode. code None means that the
        session has no status code."""
        session = self.mpa.get_session(SessionArn=arn)
        self.assertEqual((session["Status"], session.get("StatusCode")), (status, code),
                         f"{step}: session Status and StatusCode (StatusMessage {session.get('StatusMessage')!r})")
        return session

    def assert_gone(self, step, arn):
        with self.assertRaises(self.mpa.exceptions.ResourceNotFoundException, msg=f"{step}: GetApprovalTeam") as ctx:
            self.mpa.get_approval_team(Arn=arn)
        self.assertClientError(ctx, "ResourceNotFoundException", 404)

    def assert_no_sessions(self, step, arn):
        sessions = self.sessions(arn)
        self.assertEqual([(s["ActionName"], s["Status"]) for s in sessions], [], f"{step}: sessions of the team")

    def assert_mfa(self, step, team, name, sync_status):
        """Check that the user's only MFA method in the team is TOTP with the
        sync status."""
        approver = self.approver_entry(step, team["Approvers"], self.user_id(name))
        self.assertEqual(approver.get("MfaMethods"), [{"Type": "TOTP", "SyncStatus": sync_status}], f"{step}: MfaMethods of {name}")

    # The rows, in the order of ROWS.

    def row_pending_activation_all_accept(self):
        arn, version = self.create_team(2, self.approvers("alice", "bob"))
        step = "after CreateApprovalTeam"
        team = self.team(arn)
        self.assert_team(step, team, "PENDING", "PENDING_ACTIVATION")
        self.assert_version(step, team, version)
        self.assert_identity(step, team["Approvers"], "alice", "PENDING")
        self.assert_identity(step, team["Approvers"], "bob", "PENDING")

        self.account.answer_invitation(arn, "alice", "ACCEPT")
        team = self.team(arn)
        self.assert_team("after Alice accepts", team, "PENDING", "PENDING_ACTIVATION")
        self.assert_identity("after Alice accepts", team["Approvers"], "alice", "ACCEPTED")

        self.account.answer_invitation(arn, "bob", "ACCEPT")
        team = self.team(arn)
        self.assert_idle("after every approver accepts", team, version)
        self.assert_identity("after every approver accepts", team["Approvers"], "bob", "ACCEPTED")

    def row_new_create_unknown_identity(self):
        arn, version = self.create_team(1, self.approvers("alice") + [self.unknown_approver()])

        step = "after CreateApprovalTeam"
        team = self.team(arn)
        self.assert_team(step, team, "INACTIVE", "FAILED_VALIDATION")
        self.assert_version(step, team, version)
        self.assertIn(UNKNOWN_IDENTITY, team.get("StatusMessage", ""), f"{step}: StatusMessage")
        unknown = self.approver_entry(step, team["Approvers"], UNKNOWN_IDENTITY)
        self.assertEqual(unknown["PrimaryIdentityStatus"], "INVALID", f"{step}: PrimaryIdentityStatus of the unknown identity")

    def row_pending_activation_decline(self):
        arn, version = self.create_team(1, self.approvers("alice", "bob"))
        self.account.answer_invitation(arn, "alice", "ACCEPT")
        self.account.answer_invitation(arn, "bob", "DECLINE")

        step = "after Bob declines"
        team = self.team(arn)
        self.assert_team(step, team, "INACTIVE", "FAILED_ACTIVATION")
        self.assert_version(step, team, version)
        self.assert_identity(step, team["Approvers"], "alice", "ACCEPTED")
        self.assert_identity(step, team["Approvers"], "bob", "REJECTED")

    def row_pending_activation_invitations_expire(self):
        arn, version = self.create_team(1, self.approvers("alice", "bob"))
        self.account.answer_invitation(arn, "alice", "ACCEPT")
        self.account.advance_clock(25 * HOUR)

        step = "25 hours after the invitations"
        team = self.team(arn)
        self.assert_team(step, team, "INACTIVE", "FAILED_ACTIVATION")
        self.assert_version(step, team, version)
        self.assert_identity(step, team["Approvers"], "alice", "ACCEPTED")

    def row_inactive_update_then_delete_version(self):
        arn, first = self.create_team(1, self.approvers("alice", "bob"))
        self.account.answer_invitation(arn, "alice", "ACCEPT")
        self.account.answer_invitation(arn, "bob", "DECLINE")
        self.assert_team("after Bob declines", self.team(arn), "INACTIVE", "FAILED_ACTIVATION")

        second = self.mpa.update_approval_team(Arn=arn, Approvers=self.approvers("alice", "bob", "carol"))["VersionId"]
        self.assertNotEqual(second, first, "UpdateApprovalTeam returned the old VersionId")
        step = "after UpdateApprovalTeam of the INACTIVE team"
        team = self.team(arn)
        self.assert_team(step, team, "PENDING", "PENDING_ACTIVATION")
        self.assert_version(step, team, second)
        self.assertNotIn("PendingUpdate", team, f"{step}: PendingUpdate")
        self.assertNotIn("UpdateSessionArn", team, f"{step}: UpdateSessionArn")
        self.assert_identity(step, team["Approvers"], "alice", "ACCEPTED")
        self.assert_identity(step + ", Bob invited again", team["Approvers"], "bob", "PENDING")
        self.assert_identity(step, team["Approvers"], "carol", "PENDING")
        self.assert_no_sessions(step, arn)

        self.mpa.delete_inactive_approval_team_version(Arn=arn, VersionId=second)
        self.assert_gone("after DeleteInactiveApprovalTeamVersion", arn)

    def row_update_pending_approval_approved(self):
        arn, version = self.active_team(2)
        draft = self.mpa.update_approval_team(
            Arn=arn,
            Description="Approves test operations with one approval.",
            ApprovalStrategy={"MofN": {"MinApprovalsRequired": 1}},
        )["VersionId"]
        self.assertNotEqual(draft, version, "UpdateApprovalTeam returned the current VersionId, want the draft's own")
        step = "after UpdateApprovalTeam"
        team = self.team(arn)
        self.assert_team(step, team, "ACTIVE", "UPDATE_PENDING_APPROVAL")
        self.assert_version(step, team, version)
        self.assert_pending_update(step, team, "PENDING", "UPDATE_PENDING_APPROVAL", draft)
        self.assertIn("UpdateSessionArn", team, f"{step}: UpdateSessionArn is missing")
        session = team["UpdateSessionArn"]
        self.assert_session(step, session, "PENDING")

        self.account.vote(session, "alice", "APPROVED")
        self.assert_team("after one of two approvals", self.team(arn), "ACTIVE", "UPDATE_PENDING_APPROVAL")
        self.account.vote(session, "bob", "APPROVED")

        step = "after the update is approved"
        team = self.team(arn)
        self.assert_idle(step, team, draft)
        self.assertEqual(team["Description"], "Approves test operations with one approval.", f"{step}: Description")
        self.assertEqual(team["ApprovalStrategy"], {"MofN": {"MinApprovalsRequired": 1}}, f"{step}: ApprovalStrategy")
        self.assert_session(step, session, "APPROVED")

    def row_update_pending_activation_new_approver_accepts(self):
        arn, version = self.active_team(1)
        draft = self.add_carol(arn, version)
        self.account.answer_invitation(arn, "carol", "ACCEPT")

        step = "after Carol accepts"
        team = self.team(arn)
        self.assert_idle(step, team, draft)
        self.assertEqual(team["NumberOfApprovers"], 3, f"{step}: NumberOfApprovers")
        self.assert_identity(step, team["Approvers"], "carol", "ACCEPTED")

    def row_update_pending_activation_new_approver_declines(self):
        arn, version = self.active_team(1)
        draft = self.add_carol(arn, version)
        self.account.answer_invitation(arn, "carol", "DECLINE")

        step = "after Carol declines"
        team = self.team(arn)
        self.assert_team(step, team, "ACTIVE", "UPDATE_FAILED_ACTIVATION")
        self.assert_version(step, team, version)
        self.assert_pending_update(step, team, "INACTIVE", "UPDATE_FAILED_ACTIVATION", draft)
        self.assert_identity(step + ", in PendingUpdate", team["PendingUpdate"]["Approvers"], "carol", "REJECTED")

        self.mpa.delete_inactive_approval_team_version(Arn=arn, VersionId=draft)
        team = self.team(arn)
        self.assert_idle("after the failed draft is deleted", team, version)
        self.assertEqual(team["NumberOfApprovers"], 2, "after the failed draft is deleted: NumberOfApprovers")

    def row_update_pending_activation_invitation_expires(self):
        arn, version = self.active_team(1)
        draft = self.add_carol(arn, version)
        self.account.advance_clock(25 * HOUR)

        step = "25 hours after Carol's invitation"
        team = self.team(arn)
        self.assert_team(step, team, "ACTIVE", "UPDATE_FAILED_ACTIVATION")
        self.assert_version(step, team, version)
        self.assert_pending_update(step, team, "INACTIVE", "UPDATE_FAILED_ACTIVATION", draft)

    def row_update_pending_approval_rejected(self):
        arn, version = self.active_team(2)
        draft, session = self.propose_description(arn, "Rejected description.")
        # With 2 of 2 required, one rejection decides.
        self.account.vote(session, "alice", "REJECTED")

        step = "after Alice rejects the update"
        team = self.team(arn)
        self.assert_team(step, team, "ACTIVE", "UPDATE_FAILED_APPROVAL")
        self.assert_version(step, team, version)
        self.assert_pending_update(step, team, "INACTIVE", "UPDATE_FAILED_APPROVAL", draft)
        self.assert_session(step, session, "FAILED", "REJECTED")

    def row_update_pending_approval_session_expires(self):
        arn, version = self.active_team(1)
        draft, session = self.propose_description(arn, "Expired description.")
        self.account.advance_clock(25 * HOUR)

        step = "25 hours after UpdateApprovalTeam"
        team = self.team(arn)
        self.assert_team(step, team, "ACTIVE", "UPDATE_FAILED_APPROVAL")
        self.assert_version(step, team, version)
        self.assert_pending_update(step, team, "INACTIVE", "UPDATE_FAILED_APPROVAL", draft)
        self.assert_session(step, session, "FAILED", "EXPIRED")

    def row_active_update_unknown_identity(self):
        arn, version = self.active_team(1)
        approvers = self.approvers("alice", "bob") + [self.unknown_approver()]
        draft = self.mpa.update_approval_team(Arn=arn, Approvers=approvers)["VersionId"]

        step = "after an update that names an unknown identity"
        team = self.team(arn)
        self.assert_team(step, team, "ACTIVE", "UPDATE_FAILED_VALIDATION")
        self.assert_version(step, team, version)
        self.assert_pending_update(step, team, "INACTIVE", "UPDATE_FAILED_VALIDATION", draft)
        unknown = self.approver_entry(step, team["PendingUpdate"]["Approvers"], UNKNOWN_IDENTITY)
        self.assertEqual(unknown["PrimaryIdentityStatus"], "INVALID", f"{step}: the unknown identity in PendingUpdate")
        self.assertNotIn("UpdateSessionArn", team, f"{step}: UpdateSessionArn")
        self.assert_no_sessions(step, arn)

    def row_update_pending_approval_cancelled(self):
        arn, version = self.active_team(1)
        _, session = self.propose_description(arn, "Cancelled description.")
        self.mpa.cancel_session(SessionArn=session)

        step = "after CancelSession of the update session"
        team = self.team(arn)
        self.assert_idle(step, team, version)
        self.assertEqual(team["Description"], DESCRIPTION, f"{step}: Description")
        self.assert_session(step, session, "CANCELLED")

    def row_update_pending_approval_second_update(self):
        arn, version = self.active_team(2)
        first, first_session = self.propose_description(arn, "First description.")

        again = self.mpa.update_approval_team(Arn=arn, Description="First description.")["VersionId"]
        self.assertEqual(again, first, "repeated UpdateApprovalTeam: VersionId")
        with self.assertRaises(self.mpa.exceptions.ConflictException, msg="a second update while one is pending") as ctx:
            self.mpa.update_approval_team(Arn=arn, Description="Second description.")
        self.assertClientError(ctx, "ConflictException", 409)
        self.assert_pending_update("after the conflicting update", self.team(arn), "PENDING", "UPDATE_PENDING_APPROVAL", first)

        self.account.vote(first_session, "alice", "REJECTED")
        self.assert_team("after Alice rejects the first update", self.team(arn), "ACTIVE", "UPDATE_FAILED_APPROVAL")

        third, third_session = self.propose_description(arn, "Third description.")
        self.assertNotEqual(third, first, "the update after a failed one got the failed draft's VersionId")
        self.assertNotEqual(third_session, first_session, "the update after a failed one got the failed update's session")
        self.assert_version("after the update that follows a failed one", self.team(arn), version)

    def row_update_pending_approval_applied_cancels_sessions(self):
        arn, _ = self.active_team(1)
        operation = self.account.start_session(arn, "test:Deploy")["SessionArn"]
        draft, session = self.propose_description(arn, "Applied description.")
        self.account.vote(session, "alice", "APPROVED")

        self.assert_idle("after the update is approved", self.team(arn), draft)
        self.assert_session("after the update is applied, the operation", operation, "CANCELLED", "CONFIGURATION_CHANGED")

    def row_delete_pending_approval_rejected(self):
        arn, version = self.active_team(2)
        deletion = self.start_deletion(arn, 0)
        # With 2 of 2 required, one rejection decides.
        self.account.vote(deletion, "alice", "REJECTED")

        step = "after Alice rejects the deletion"
        team = self.team(arn)
        self.assert_team(step, team, "ACTIVE", "DELETE_FAILED_APPROVAL")
        self.assert_version(step, team, version)
        self.assert_session(step, deletion, "FAILED", "REJECTED")

    def row_delete_pending_approval_session_expires(self):
        arn, version = self.active_team(1)
        deletion = self.start_deletion(arn, 0)
        self.account.advance_clock(25 * HOUR)

        step = "25 hours after StartActiveApprovalTeamDeletion"
        team = self.team(arn)
        self.assert_team(step, team, "ACTIVE", "DELETE_FAILED_APPROVAL")
        self.assert_version(step, team, version)
        self.assert_session(step, deletion, "FAILED", "EXPIRED")

    def row_delete_pending_approval_cancelled(self):
        arn, version = self.active_team(1)
        deletion = self.start_deletion(arn, 0)
        self.mpa.cancel_session(SessionArn=deletion)

        step = "after CancelSession of the deletion session"
        self.assert_idle(step, self.team(arn), version)
        self.assert_session(step, deletion, "CANCELLED")

    def row_delete_pending_approval_approved_without_window(self):
        arn, _ = self.active_team(1)
        operation = self.account.start_session(arn, "test:Deploy")["SessionArn"]
        deletion = self.start_deletion(arn, 0)
        self.account.vote(deletion, "alice", "APPROVED")

        step = "after the deletion is approved"
        self.assert_gone(step, arn)
        self.assert_session(step, deletion, "APPROVED")
        cancelled = self.assert_session(step + ", the operation", operation, "CANCELLED")
        # A team's deletion cancels its pending sessions with this message, as
        # docs/behaviour.md states.
        self.assertEqual(cancelled.get("StatusMessage"), "The approval team was deleted.", f"{step}: StatusMessage of the operation")

    def row_delete_pending_approval_approved_two_day_window(self):
        arn, _ = self.active_team(1)
        deletion = self.start_deletion(arn, 2)
        self.account.vote(deletion, "alice", "APPROVED")
        self.assert_team("after the deletion is approved", self.team(arn), "DELETING")
        self.assert_session("after the deletion is approved", deletion, "APPROVED")

        # The frozen clock has not moved since the approval, so the window
        # ends exactly two days from now.
        self.account.advance_clock(48 * HOUR - 1)
        self.assert_team("a second before the window ends", self.team(arn), "DELETING")
        self.account.advance_clock(1)
        self.assert_gone("when the two-day window ends", arn)

    def row_active_baseline_responses_then_expiry(self):
        arn, version = self.active_team(1)
        first = self.start_baseline(arn)
        self.account.vote(first, "alice", "APPROVED")
        self.assert_session("after one of two responses", first, "PENDING")
        self.account.vote(first, "bob", "REJECTED")

        step = "after every approver responds"
        self.assert_session(step, first, "APPROVED", "ALL_APPROVERS_IN_SESSION")
        team = self.team(arn)
        self.assert_idle(step, team, version)
        for approver in team["Approvers"]:
            self.assertEqual(approver.get("LastActivity"), "BASELINED", f"{step}: LastActivity of {approver['PrimaryIdentityId']}")
            self.assertNotIn("PendingBaselineSessionArn", approver, f"{step}: PendingBaselineSessionArn of {approver['PrimaryIdentityId']}")

        second = self.start_baseline(arn)
        self.account.advance_clock(25 * HOUR)
        step = "25 hours after the second baseline"
        self.assert_session(step, second, "FAILED", "EXPIRED")
        for approver in self.team(arn)["Approvers"]:
            self.assertNotIn("PendingBaselineSessionArn", approver, f"{step}: PendingBaselineSessionArn of {approver['PrimaryIdentityId']}")

    def row_active_synchronize_mfa_devices(self):
        arn, version = self.active_team(1)
        token = self.approver_token("alice")
        secret = self.approver_call(token, "POST", "/keyturn/v1/approver/mfa/totp")["Secret"]
        self.approver_call(token, "POST", "/keyturn/v1/approver/mfa/totp/confirm", {"Code": totp_code(secret)})
        self.assert_mfa("after Alice enrols TOTP", self.team(arn), "alice", "OUT_OF_SYNC")

        synced = self.mpa.update_approval_team(Arn=arn, UpdateActions=["SYNCHRONIZE_MFA_DEVICES"])["VersionId"]
        self.assertEqual(synced, version, "UpdateApprovalTeam with SYNCHRONIZE_MFA_DEVICES: VersionId")
        step = "after SYNCHRONIZE_MFA_DEVICES"
        team = self.team(arn)
        self.assert_idle(step, team, version)
        self.assert_mfa(step, team, "alice", "IN_SYNC")
        self.assert_no_sessions(step, arn)


class SharedServerRowsTest(LifecycleRows):
    """The rows that leave the clock alone, on the shared server."""

    @classmethod
    def setUpClass(cls):
        cls.url = shared_url()


class ClockRowsTest(LifecycleRows):
    """The rows that move the clock, on a private server whose clock is
    frozen, so that only the rows' own moves decide expiries."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.addClassCleanup(cls.server.cleanup)
        cls.url = cls.server.url
        # NOTE: freezing a running clock at its current time, with
        # {"AdvanceSeconds": 0} or {"Frozen": true} alone, fails with
        # ValidationException, because the server reads the clock again after
        # it computes the target. So the clock freezes a minute ahead.
        clock = Account(cls.url).call("PUT", "/keyturn/v1/dev/clock", {"AdvanceSeconds": 60, "Frozen": True})
        if not clock["Frozen"]:
            raise AssertionError(f"the private server's clock is not frozen: {clock}")


def add_row_tests():
    """Add test_<name> to the class that runs each row, and check that every
    row has its method and every row method its row."""
    methods = {name[len("row_"):] for name in vars(LifecycleRows) if name.startswith("row_")}
    names = [row.name for row in ROWS]
    if methods != set(names) or len(names) != len(set(names)):
        raise RuntimeError(f"ROWS and the row_ methods differ: rows without a method {sorted(set(names) - methods)}, "
                           f"methods without a row {sorted(methods - set(names))}, or a row is listed twice")
    for row in ROWS:
        target = ClockRowsTest if row.moves_clock else SharedServerRowsTest
        setattr(target, "test_" + row.name, getattr(LifecycleRows, "row_" + row.name))


add_row_tests()


if __name__ == "__main__":
    unittest.main()
