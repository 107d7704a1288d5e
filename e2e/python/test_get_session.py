"""GetSession and CancelSession through boto3, with votes cast through
Keyturn's API."""

import datetime
import unittest

import harness
from harness import Account, KeyturnTestCase, shared_url

USERS = ("alice", "bob", "carol")


class GetSessionTest(KeyturnTestCase):
    @classmethod
    def setUpClass(cls):
        cls.account = Account(shared_url()).setup(*USERS)
        cls.mpa = cls.account.mpa
        cls.team_name = harness.unique_name("sessions")
        cls.team_arn = cls.account.create_active_team(list(USERS), min_approvals=2, name=cls.team_name)
        cls.team = cls.mpa.get_approval_team(Arn=cls.team_arn)

    def start(self, action="test:Deploy", **members):
        return self.account.start_session(self.team_arn, action, **members)["SessionArn"]

    def test_pending_session_returns_every_member(self):
        arn = self.start(
            "test:DeployToProduction",
            Description="Deploy release 42",
            ProtectedResourceArn="arn:aws:ecs:us-east-1:111122223333:service/prod/web",
            Metadata={"release": "42", "ticket": "OPS-7"},
            RequesterComment="Weekly release",
            DurationMinutes=90,
        )

        s = self.mpa.get_session(SessionArn=arn)

        self.assertEqual(s["SessionArn"], arn)
        self.assertTrue(arn.startswith(self.team_arn.replace(":approval-team/", ":session/") + "/"), arn)
        self.assertEqual(s["ApprovalTeamArn"], self.team_arn)
        self.assertEqual(s["ApprovalTeamName"], self.team_name)
        self.assertEqual(s["ApprovalStrategy"], {"MofN": {"MinApprovalsRequired": 2}})
        self.assertEqual(s["NumberOfApprovers"], 3)
        self.assertIsInstance(s["InitiationTime"], datetime.datetime)
        self.assertEqual(s["ExpirationTime"] - s["InitiationTime"], datetime.timedelta(minutes=90))
        self.assertNotIn("CompletionTime", s)
        self.assertEqual(s["Description"], "Deploy release 42")
        self.assertEqual(s["Metadata"], {"release": "42", "ticket": "OPS-7"})
        self.assertEqual(s["Status"], "PENDING")
        self.assertNotIn("StatusCode", s)
        self.assertNotIn("ExecutionStatus", s)
        self.assertEqual(s["ActionName"], "test:DeployToProduction")
        self.assertEqual(s["ProtectedResourceArn"], "arn:aws:ecs:us-east-1:111122223333:service/prod/web")
        self.assertEqual(s["RequesterServicePrincipal"], harness.TEST_POLICY_PRINCIPAL)
        self.assertEqual(s["RequesterPrincipalArn"], f"arn:aws:iam::{self.account.account_id}:root")
        self.assertEqual(s["RequesterAccountId"], self.account.account_id)
        self.assertEqual(s["RequesterRegion"], harness.REGION)
        self.assertEqual(s["RequesterComment"], "Weekly release")
        self.assertEqual(s["ActionCompletionStrategy"], "AUTO_COMPLETION_UPON_APPROVAL")
        want = [
            {
                "ApproverId": a["ApproverId"],
                "IdentitySourceArn": a["PrimaryIdentitySourceArn"],
                "IdentityId": a["PrimaryIdentityId"],
                "Response": "NO_RESPONSE",
            }
            for a in self.team["Approvers"]
        ]
        self.assertEqual(s["ApproverResponses"], want)

    def test_default_duration_is_one_day(self):
        s = self.mpa.get_session(SessionArn=self.start())

        self.assertEqual(s["ExpirationTime"] - s["InitiationTime"], datetime.timedelta(days=1))

    def test_security_requirements_are_returned(self):
        arn = self.start(AdditionalSecurityRequirements=["APPROVER_VERIFICATION_REQUIRED"])

        s = self.mpa.get_session(SessionArn=arn)

        self.assertEqual(s["AdditionalSecurityRequirements"], ["APPROVER_VERIFICATION_REQUIRED"])

    def test_one_vote_records_the_response(self):
        arn = self.start()

        self.account.vote(arn, "bob", "APPROVED")

        s = self.mpa.get_session(SessionArn=arn)
        self.assertEqual(s["Status"], "PENDING", "status after one of two required approvals")
        responses = [r["Response"] for r in s["ApproverResponses"]]
        self.assertEqual(responses, ["NO_RESPONSE", "APPROVED", "NO_RESPONSE"])
        self.assertIsInstance(s["ApproverResponses"][1]["ResponseTime"], datetime.datetime)
        self.assertNotIn("ResponseTime", s["ApproverResponses"][0])
        self.assertNotIn("ResponseTime", s["ApproverResponses"][2])

    def test_approval_completes_the_session(self):
        arn = self.start()
        self.account.vote(arn, "alice", "APPROVED")
        self.account.vote(arn, "carol", "APPROVED")

        s = self.mpa.get_session(SessionArn=arn)

        self.assertEqual(s["Status"], "APPROVED")
        self.assertEqual([r["Response"] for r in s["ApproverResponses"]], ["APPROVED", "NO_RESPONSE", "APPROVED"])
        self.assertEqual(s["CompletionTime"], s["ApproverResponses"][2]["ResponseTime"], "CompletionTime is the deciding vote")
        self.assertIn("Approved", s["StatusMessage"])
        self.assertEqual(s["ExecutionStatus"], "PENDING")

    def test_reported_execution_is_returned(self):
        arn = self.start()
        self.account.vote(arn, "alice", "APPROVED")
        self.account.vote(arn, "bob", "APPROVED")

        self.account.report_execution(arn, "EXECUTED")

        self.assertEqual(self.mpa.get_session(SessionArn=arn)["ExecutionStatus"], "EXECUTED")

    def test_rejection_fails_the_session(self):
        arn = self.start()
        self.account.vote(arn, "alice", "REJECTED")
        self.account.vote(arn, "bob", "REJECTED")

        s = self.mpa.get_session(SessionArn=arn)

        self.assertEqual((s["Status"], s.get("StatusCode")), ("FAILED", "REJECTED"))
        self.assertEqual(s["CompletionTime"], s["ApproverResponses"][1]["ResponseTime"])
        self.assertNotIn("ExecutionStatus", s)

    def test_second_vote_of_one_approver_conflicts(self):
        arn = self.start()
        self.account.vote(arn, "alice", "APPROVED")

        with self.assertRaises(harness.KeyturnAPIError) as ctx:
            self.account.vote(arn, "alice", "REJECTED")

        self.assertAPIError(ctx, "ConflictException", 409, "votes are final")

    def test_cancel_pending_session(self):
        arn = self.start()

        self.mpa.cancel_session(SessionArn=arn)

        s = self.mpa.get_session(SessionArn=arn)
        self.assertEqual(s["Status"], "CANCELLED")
        self.assertIsInstance(s["CompletionTime"], datetime.datetime)
        self.assertIn(self.account.account_id, s["StatusMessage"], "StatusMessage names who cancelled")

    def test_cancel_twice_succeeds(self):
        arn = self.start()
        self.mpa.cancel_session(SessionArn=arn)
        completed = self.mpa.get_session(SessionArn=arn)["CompletionTime"]

        out = self.mpa.cancel_session(SessionArn=arn)

        self.assertEqual(out["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertEqual(self.mpa.get_session(SessionArn=arn)["CompletionTime"], completed, "a second cancel changed the session")

    def test_cancel_of_decided_session_conflicts(self):
        approved = self.start()
        self.account.vote(approved, "alice", "APPROVED")
        self.account.vote(approved, "bob", "APPROVED")
        rejected = self.start()
        self.account.vote(rejected, "alice", "REJECTED")
        self.account.vote(rejected, "bob", "REJECTED")

        for arn, status in ((approved, "APPROVED"), (rejected, "FAILED")):
            with self.subTest(status=status):
                with self.assertRaises(self.mpa.exceptions.ConflictException) as ctx:
                    self.mpa.cancel_session(SessionArn=arn)
                self.assertClientError(ctx, "ConflictException", 409, status)
                self.assertEqual(self.mpa.get_session(SessionArn=arn)["Status"], status)

    def test_vote_on_cancelled_session_conflicts(self):
        arn = self.start()
        self.mpa.cancel_session(SessionArn=arn)

        with self.assertRaises(harness.KeyturnAPIError) as ctx:
            self.account.vote(arn, "alice", "APPROVED")

        self.assertAPIError(ctx, "ConflictException", 409, "CANCELLED")

    def test_unknown_session_is_not_found(self):
        arn = self.start() + "0"

        for call in (self.mpa.get_session, self.mpa.cancel_session):
            with self.subTest(operation=call.__name__):
                with self.assertRaises(self.mpa.exceptions.ResourceNotFoundException) as ctx:
                    call(SessionArn=arn)
                self.assertClientError(ctx, "ResourceNotFoundException", 404, arn)

    def test_unprotected_action_is_invalid(self):
        with self.assertRaises(harness.KeyturnAPIError) as ctx:
            self.start("deploy:Production")

        self.assertAPIError(ctx, "ValidationException", 400, "deploy:Production", "test:*")


if __name__ == "__main__":
    unittest.main()
