"""Approval teams through boto3: create, get, list, the activation
lifecycle, updates, deletion, baselines and idempotency."""

import datetime
import re
import unittest

import harness
from harness import Account, KeyturnTestCase, Server, shared_url

TEAM_ARN_RE = re.compile(r"^arn:aws:mpa:us-east-1:(\d{12}):approval-team/([A-Za-z0-9._-]+)$")

USERS = ("alice", "bob", "carol")


def find_session(mpa, team_arn, action):
    """Return the summaries of the team's sessions for the action."""
    filters = [{"FieldName": "ActionName", "Operator": "EQ", "Value": action}]
    pages = mpa.get_paginator("list_sessions").paginate(ApprovalTeamArn=team_arn, Filters=filters)
    return [s for page in pages for s in page["Sessions"]]


class CreateAndGetTeamTest(KeyturnTestCase):
    @classmethod
    def setUpClass(cls):
        cls.account = Account(shared_url()).setup(*USERS)
        cls.mpa = cls.account.mpa

    def create_full_team(self, name, tags=None):
        return self.mpa.create_approval_team(
            ClientToken=harness.unique_name("token"),
            Name=name,
            Description="Approves production deploys",
            ApprovalStrategy={"MofN": {"MinApprovalsRequired": 2}},
            Approvers=[self.account.approver(u) for u in USERS],
            Policies=[
                {"PolicyArn": harness.TEST_POLICY_ARN + "/$DEFAULT"},
                {"PolicyArn": harness.BACKUP_POLICY_ARN + "/1"},
            ],
            Tags=tags or {"team": "platform", "cost-center": "42"},
        )

    def test_create_with_every_member(self):
        name = harness.unique_name("deployers")
        before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)

        out = self.create_full_team(name, tags={"team": "platform", "cost-center": "42"})

        match = TEAM_ARN_RE.match(out["Arn"])
        self.assertIsNotNone(match, f"Arn {out['Arn']!r} has the wrong form")
        self.assertEqual(match.group(1), self.account.account_id, "account of the team ARN")
        self.assertTrue(match.group(2).startswith(name), f"team id {match.group(2)!r} does not start with the name")
        self.assertEqual(out["Name"], name)
        self.assertRegex(out["VersionId"], r"^\d+$", "VersionId")
        self.assertGreaterEqual(out["CreationTime"], before)
        tags = self.mpa.list_tags_for_resource(ResourceArn=out["Arn"])["Tags"]
        self.assertEqual(tags, {"team": "platform", "cost-center": "42"}, "tags given at creation")

    def test_get_pending_team_returns_every_member(self):
        name = harness.unique_name("pending")
        created = self.create_full_team(name)

        team = self.mpa.get_approval_team(Arn=created["Arn"])

        self.assertEqual(team["Arn"], created["Arn"])
        self.assertEqual(team["Name"], name)
        self.assertEqual(team["Description"], "Approves production deploys")
        self.assertEqual(team["VersionId"], created["VersionId"])
        self.assertEqual(team["CreationTime"], created["CreationTime"])
        self.assertIsNotNone(team["CreationTime"].tzinfo, "CreationTime is not timezone-aware")
        self.assertEqual(team["ApprovalStrategy"], {"MofN": {"MinApprovalsRequired": 2}})
        self.assertEqual(team["NumberOfApprovers"], 3)
        self.assertEqual(team["Status"], "PENDING")
        self.assertEqual(team["StatusCode"], "PENDING_ACTIVATION")
        self.assertTrue(team.get("StatusMessage"), "StatusMessage is empty")
        self.assertEqual(
            team["Policies"],
            [
                {"PolicyArn": harness.TEST_POLICY_ARN + "/$DEFAULT"},
                {"PolicyArn": harness.BACKUP_POLICY_ARN + "/1"},
            ],
        )
        self.assertNotIn("PendingUpdate", team)
        self.assertNotIn("UpdateSessionArn", team)
        ids = [a["PrimaryIdentityId"] for a in team["Approvers"]]
        self.assertEqual(ids, [self.account.users[u]["UserId"] for u in USERS], "approver identities")
        for approver in team["Approvers"]:
            self.assertRegex(approver["ApproverId"], r"^[0-9a-f-]{36}$")
            self.assertEqual(approver["PrimaryIdentitySourceArn"], self.account.identity_source_arn)
            self.assertEqual(approver["PrimaryIdentityStatus"], "PENDING")
            self.assertNotIn("ResponseTime", approver)

    def test_get_active_team_records_each_acceptance(self):
        created = self.create_full_team(harness.unique_name("active"))
        self.account.answer_invitation(created["Arn"], "alice")
        self.account.answer_invitation(created["Arn"], "bob")

        halfway = self.mpa.get_approval_team(Arn=created["Arn"])
        self.account.answer_invitation(created["Arn"], "carol")
        team = self.mpa.get_approval_team(Arn=created["Arn"])

        self.assertEqual(halfway["Status"], "PENDING", "status after two of three accepted")
        self.assertEqual(team["Status"], "ACTIVE", "status after every approver accepted")
        self.assertNotIn("StatusCode", team)
        for approver in team["Approvers"]:
            self.assertEqual(approver["PrimaryIdentityStatus"], "ACCEPTED")
            self.assertIsInstance(approver["ResponseTime"], datetime.datetime)
            self.assertEqual(approver["LastActivity"], "RESPONDED_TO_INVITATION")
            self.assertEqual(approver["LastActivityTime"], approver["ResponseTime"])

    def test_list_contains_the_summary(self):
        created = self.create_full_team(harness.unique_name("listed"))

        teams = [t for p in self.mpa.get_paginator("list_approval_teams").paginate() for t in p["ApprovalTeams"]]

        summary = next((t for t in teams if t["Arn"] == created["Arn"]), None)
        self.assertIsNotNone(summary, f"team {created['Arn']} is not listed")
        self.assertEqual(summary["Name"], created["Name"])
        self.assertEqual(summary["ApprovalStrategy"], {"MofN": {"MinApprovalsRequired": 2}})
        self.assertEqual(summary["NumberOfApprovers"], 3)
        self.assertEqual(summary["Status"], "PENDING")
        self.assertEqual(summary["StatusCode"], "PENDING_ACTIVATION")
        self.assertEqual(summary["CreationTime"], created["CreationTime"])
        self.assertEqual(summary["Description"], "Approves production deploys")

    def test_unknown_approver_fails_validation(self):
        approvers = [self.account.approver("alice"), {
            "PrimaryIdentityId": "no-such-user",
            "PrimaryIdentitySourceArn": self.account.identity_source_arn,
        }]

        out = self.mpa.create_approval_team(
            Name=harness.unique_name("invalid"), Description="d",
            ApprovalStrategy={"MofN": {"MinApprovalsRequired": 1}}, Approvers=approvers,
            Policies=[{"PolicyArn": harness.TEST_POLICY_ARN + "/$DEFAULT"}],
        )

        team = self.mpa.get_approval_team(Arn=out["Arn"])
        self.assertEqual((team["Status"], team["StatusCode"]), ("INACTIVE", "FAILED_VALIDATION"))
        self.assertIn("no-such-user", team["StatusMessage"])
        self.assertEqual(team["Approvers"][1]["PrimaryIdentityStatus"], "INVALID")

    def test_threshold_above_team_size_is_invalid(self):
        with self.assertRaises(self.mpa.exceptions.ValidationException) as ctx:
            self.account.create_team(["alice", "bob"], min_approvals=3)

        self.assertClientError(ctx, "ValidationException", 400, "MinApprovalsRequired")

    def test_unknown_policy_is_invalid(self):
        with self.assertRaises(self.mpa.exceptions.ValidationException) as ctx:
            self.account.create_team(["alice"], policies=["arn:aws:mpa:::aws:policy/e2e.keyturn.test/NoSuchPolicy/1"])

        self.assertClientError(ctx, "ValidationException", 400, "Policies[0].PolicyArn")


class ListTeamsTest(KeyturnTestCase):
    """Pages through five teams of an account of its own."""

    @classmethod
    def setUpClass(cls):
        cls.account = Account(shared_url()).setup("alice")
        cls.mpa = cls.account.mpa
        cls.arns = [cls.account.create_team(["alice"], name=f"list-{i}")["Arn"] for i in range(5)]

    def test_paginator_returns_each_team_once(self):
        newest_first = list(reversed(self.arns))
        for page_size in (1, 2, 3):
            with self.subTest(PageSize=page_size):
                paginator = self.mpa.get_paginator("list_approval_teams")
                pages = list(paginator.paginate(PaginationConfig={"PageSize": page_size}))

                arns = [t["Arn"] for p in pages for t in p["ApprovalTeams"]]
                self.assertEqual(arns, newest_first, f"teams listed with PageSize {page_size}")
                self.assertEqual(len(pages), -(-5 // page_size), "number of pages")
                for page in pages[:-1]:
                    self.assertIn("NextToken", page, "a page before the last has no NextToken")
                self.assertNotIn("NextToken", pages[-1], "the last page has a NextToken")

    def test_max_items_resumes_with_starting_token(self):
        paginator = self.mpa.get_paginator("list_approval_teams")
        first = paginator.paginate(PaginationConfig={"PageSize": 2, "MaxItems": 3}).build_full_result()

        rest = paginator.paginate(PaginationConfig={"PageSize": 2, "StartingToken": first["NextToken"]}).build_full_result()

        arns = [t["Arn"] for t in first["ApprovalTeams"] + rest["ApprovalTeams"]]
        self.assertEqual(arns, list(reversed(self.arns)))
        self.assertNotIn("NextToken", rest)

    def test_creation_times_are_newest_first(self):
        teams = self.mpa.list_approval_teams(MaxResults=20)["ApprovalTeams"]

        times = [t["CreationTime"] for t in teams]
        self.assertEqual(times, sorted(times, reverse=True))


class TeamLifecycleTest(KeyturnTestCase):
    @classmethod
    def setUpClass(cls):
        cls.account = Account(shared_url()).setup("alice", "bob")
        cls.mpa = cls.account.mpa

    def test_decline_fails_activation(self):
        arn = self.account.create_team(["alice", "bob"])["Arn"]
        self.account.answer_invitation(arn, "alice", "ACCEPT")

        self.account.answer_invitation(arn, "bob", "DECLINE")

        team = self.mpa.get_approval_team(Arn=arn)
        self.assertEqual((team["Status"], team["StatusCode"]), ("INACTIVE", "FAILED_ACTIVATION"))
        statuses = [a["PrimaryIdentityStatus"] for a in team["Approvers"]]
        self.assertEqual(statuses, ["ACCEPTED", "REJECTED"])

    def test_delete_inactive_version_removes_the_team(self):
        created = self.account.create_team(["alice", "bob"])
        self.account.answer_invitation(created["Arn"], "bob", "DECLINE")

        self.mpa.delete_inactive_approval_team_version(Arn=created["Arn"], VersionId=created["VersionId"])

        with self.assertRaises(self.mpa.exceptions.ResourceNotFoundException) as ctx:
            self.mpa.get_approval_team(Arn=created["Arn"])
        self.assertClientError(ctx, "ResourceNotFoundException", 404, created["Arn"])

    def test_delete_inactive_version_of_active_team_conflicts(self):
        arn = self.account.create_active_team(["alice", "bob"])
        version = self.mpa.get_approval_team(Arn=arn)["VersionId"]

        with self.assertRaises(self.mpa.exceptions.ConflictException) as ctx:
            self.mpa.delete_inactive_approval_team_version(Arn=arn, VersionId=version)

        self.assertClientError(ctx, "ConflictException", 409, "StartActiveApprovalTeamDeletion")

    def test_delete_unknown_version_is_not_found(self):
        arn = self.account.create_team(["alice"])["Arn"]

        with self.assertRaises(self.mpa.exceptions.ResourceNotFoundException) as ctx:
            self.mpa.delete_inactive_approval_team_version(Arn=arn, VersionId="12345")

        self.assertClientError(ctx, "ResourceNotFoundException", 404, "12345")

    def test_update_of_active_team_waits_for_approval(self):
        arn = self.account.create_active_team(["alice", "bob"])
        before = self.mpa.get_approval_team(Arn=arn)

        out = self.mpa.update_approval_team(Arn=arn, Description="Second version")

        team = self.mpa.get_approval_team(Arn=arn)
        self.assertNotEqual(out["VersionId"], before["VersionId"], "VersionId of the update")
        self.assertEqual(team["VersionId"], before["VersionId"], "the team changed before the vote")
        self.assertEqual(team["Description"], before["Description"])
        self.assertEqual(team["Status"], "ACTIVE")
        self.assertEqual(team["StatusCode"], "UPDATE_PENDING_APPROVAL")
        self.assertIn("UpdateSessionArn", team)
        pending = team["PendingUpdate"]
        self.assertEqual(pending["VersionId"], out["VersionId"])
        self.assertEqual(pending["Description"], "Second version")
        self.assertEqual(pending["ApprovalStrategy"], {"MofN": {"MinApprovalsRequired": 1}})
        self.assertEqual(pending["NumberOfApprovers"], 2)
        self.assertEqual(pending["Status"], "PENDING")
        self.assertEqual(pending["StatusCode"], "UPDATE_PENDING_APPROVAL")
        self.assertEqual(len(pending["Approvers"]), 2)
        self.assertIsInstance(pending["UpdateInitiationTime"], datetime.datetime)
        session = self.mpa.get_session(SessionArn=team["UpdateSessionArn"])
        self.assertEqual(session["ActionName"], "mpa:UpdateApprovalTeam")
        self.assertEqual(session["Status"], "PENDING")
        self.assertEqual(session["ProtectedResourceArn"], arn)

    def test_approved_update_takes_effect(self):
        arn = self.account.create_active_team(["alice", "bob"])
        version = self.mpa.update_approval_team(Arn=arn, Description="Approved change")["VersionId"]
        session_arn = self.mpa.get_approval_team(Arn=arn)["UpdateSessionArn"]

        self.account.vote(session_arn, "alice", "APPROVED")

        team = self.mpa.get_approval_team(Arn=arn)
        self.assertEqual(team["VersionId"], version)
        self.assertEqual(team["Description"], "Approved change")
        self.assertNotIn("PendingUpdate", team)
        self.assertNotIn("StatusCode", team)
        self.assertIsInstance(team.get("LastUpdateTime"), datetime.datetime)

    def test_second_update_while_pending_conflicts(self):
        arn = self.account.create_active_team(["alice", "bob"])
        self.mpa.update_approval_team(Arn=arn, Description="First change")

        with self.assertRaises(self.mpa.exceptions.ConflictException) as ctx:
            self.mpa.update_approval_team(Arn=arn, Description="Other change")

        self.assertClientError(ctx, "ConflictException", 409, "pending update")

    def test_update_of_pending_team_applies_at_once(self):
        created = self.account.create_team(["alice", "bob"])

        out = self.mpa.update_approval_team(
            Arn=created["Arn"], ApprovalStrategy={"MofN": {"MinApprovalsRequired": 2}}
        )

        team = self.mpa.get_approval_team(Arn=created["Arn"])
        self.assertEqual(team["VersionId"], out["VersionId"])
        self.assertEqual(team["ApprovalStrategy"], {"MofN": {"MinApprovalsRequired": 2}})
        self.assertNotIn("PendingUpdate", team)

    def test_start_active_deletion_opens_a_session(self):
        arn = self.account.create_active_team(["alice", "bob"])

        out = self.mpa.start_active_approval_team_deletion(Arn=arn, PendingWindowDays=7)

        self.assertIsInstance(out["DeletionStartTime"], datetime.datetime)
        team = self.mpa.get_approval_team(Arn=arn)
        self.assertEqual((team["Status"], team["StatusCode"]), ("ACTIVE", "DELETE_PENDING_APPROVAL"))
        sessions = find_session(self.mpa, arn, "mpa:StartActiveApprovalTeamDeletion")
        self.assertEqual(len(sessions), 1, "deletion sessions")
        self.assertEqual(sessions[0]["Status"], "PENDING")

    def test_approved_deletion_starts_the_pending_window(self):
        arn = self.account.create_active_team(["alice", "bob"])
        self.mpa.start_active_approval_team_deletion(Arn=arn, PendingWindowDays=7)
        session_arn = find_session(self.mpa, arn, "mpa:StartActiveApprovalTeamDeletion")[0]["SessionArn"]

        self.account.vote(session_arn, "bob", "APPROVED")

        team = self.mpa.get_approval_team(Arn=arn)
        self.assertEqual(team["Status"], "DELETING")
        self.assertEqual(self.mpa.get_session(SessionArn=session_arn)["Status"], "APPROVED")

    def test_approved_deletion_without_window_deletes_the_team(self):
        arn = self.account.create_active_team(["alice", "bob"])
        self.mpa.start_active_approval_team_deletion(Arn=arn, PendingWindowDays=0)
        session_arn = find_session(self.mpa, arn, "mpa:StartActiveApprovalTeamDeletion")[0]["SessionArn"]

        self.account.vote(session_arn, "alice", "APPROVED")

        with self.assertRaises(self.mpa.exceptions.ResourceNotFoundException):
            self.mpa.get_approval_team(Arn=arn)
        self.assertEqual(self.mpa.get_session(SessionArn=session_arn)["Status"], "APPROVED")

    def test_deletion_of_pending_team_conflicts(self):
        arn = self.account.create_team(["alice"])["Arn"]

        with self.assertRaises(self.mpa.exceptions.ConflictException) as ctx:
            self.mpa.start_active_approval_team_deletion(Arn=arn)

        self.assertClientError(ctx, "ConflictException", 409, "DeleteInactiveApprovalTeamVersion")

    def test_baseline_session_is_answered_by_every_approver(self):
        arn = self.account.create_active_team(["alice", "bob"])

        out = self.mpa.start_approval_team_baseline(Arn=arn)

        session_arn = out["BaselineSessionArn"]
        team = self.mpa.get_approval_team(Arn=arn)
        pending = [a.get("PendingBaselineSessionArn") for a in team["Approvers"]]
        self.assertEqual(pending, [session_arn, session_arn], "PendingBaselineSessionArn of each approver")
        session = self.mpa.get_session(SessionArn=session_arn)
        self.assertEqual(session["ActionName"], "mpa:StartApprovalTeamBaseline")
        self.assertEqual(session["NumberOfApprovers"], 2)

        self.account.vote(session_arn, "alice", "APPROVED")
        self.account.vote(session_arn, "bob", "REJECTED")

        session = self.mpa.get_session(SessionArn=session_arn)
        self.assertEqual((session["Status"], session.get("StatusCode")), ("APPROVED", "ALL_APPROVERS_IN_SESSION"))
        team = self.mpa.get_approval_team(Arn=arn)
        self.assertEqual([a["LastActivity"] for a in team["Approvers"]], ["BASELINED", "BASELINED"])
        self.assertEqual([a.get("PendingBaselineSessionArn") for a in team["Approvers"]], [None, None])

    def test_baseline_of_chosen_approver(self):
        arn = self.account.create_active_team(["alice", "bob"])
        bob_id = self.mpa.get_approval_team(Arn=arn)["Approvers"][1]["ApproverId"]

        session_arn = self.mpa.start_approval_team_baseline(Arn=arn, ApproverIds=[bob_id])["BaselineSessionArn"]

        session = self.mpa.get_session(SessionArn=session_arn)
        self.assertEqual([r["ApproverId"] for r in session["ApproverResponses"]], [bob_id])

    def test_baseline_of_pending_team_is_invalid(self):
        arn = self.account.create_team(["alice"])["Arn"]

        with self.assertRaises(self.mpa.exceptions.ValidationException) as ctx:
            self.mpa.start_approval_team_baseline(Arn=arn)

        self.assertClientError(ctx, "ValidationException", 400, "ACTIVE")

    def test_client_token_replay_returns_the_same_team(self):
        token = harness.unique_name("token")
        name = harness.unique_name("idempotent")

        first = self.account.create_team(["alice"], name=name, ClientToken=token)
        second = self.account.create_team(["alice"], name=name, ClientToken=token)

        self.assertEqual(second["Arn"], first["Arn"])
        self.assertEqual(second["VersionId"], first["VersionId"])
        self.assertEqual(second["CreationTime"], first["CreationTime"])

    def test_client_token_with_other_params_conflicts(self):
        token = harness.unique_name("token")
        name = harness.unique_name("idempotent")
        self.account.create_team(["alice"], name=name, ClientToken=token)

        with self.assertRaises(self.mpa.exceptions.ConflictException) as ctx:
            self.account.create_team(["alice", "bob"], name=name, ClientToken=token)

        self.assertClientError(ctx, "ConflictException", 409, token)


class TeamExpiryTest(KeyturnTestCase):
    """Moves the development clock, so it runs on a server of its own."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.account = Account(cls.server.url).setup("alice", "bob")
        cls.mpa = cls.account.mpa

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_unanswered_invitations_expire(self):
        arn = self.account.create_team(["alice", "bob"])["Arn"]
        self.account.answer_invitation(arn, "alice")

        self.account.advance_clock(24 * 3600 + 1)

        team = self.mpa.get_approval_team(Arn=arn)
        self.assertEqual((team["Status"], team["StatusCode"]), ("INACTIVE", "FAILED_ACTIVATION"))
        with self.assertRaises(harness.KeyturnAPIError) as ctx:
            self.account.answer_invitation(arn, "bob")
        self.assertAPIError(ctx, "ConflictException", 409, "no open invitation")


if __name__ == "__main__":
    unittest.main()
