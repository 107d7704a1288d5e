"""Account isolation: one account can neither see nor change another
account's identity source, teams, sessions, tags or users."""

import unittest

import boto3
from botocore.exceptions import ClientError

import harness
from harness import Account, KeyturnTestCase, shared_url


class AccountIsolationTest(KeyturnTestCase):
    @classmethod
    def setUpClass(cls):
        url = shared_url()
        cls.owner = Account(url).setup("alice")
        cls.team_arn = cls.owner.create_active_team(["alice"], Tags={"owner": "a"})
        cls.pending_arn = cls.owner.create_team(["alice"])["Arn"]
        cls.session_arn = cls.owner.start_session(cls.team_arn, "test:Isolated")["SessionArn"]
        cls.other = Account(url).setup("mallory")
        cls.mpa = cls.other.mpa

    def check_not_found(self, name, call):
        with self.subTest(operation=name):
            with self.assertRaises(ClientError) as ctx:
                call()
            self.assertClientError(ctx, "ResourceNotFoundException", 404)

    def test_other_account_cannot_see_the_team(self):
        self.check_not_found("GetApprovalTeam", lambda: self.mpa.get_approval_team(Arn=self.team_arn))
        self.check_not_found("ListSessions", lambda: self.mpa.list_sessions(ApprovalTeamArn=self.team_arn))
        self.check_not_found("ListTagsForResource", lambda: self.mpa.list_tags_for_resource(ResourceArn=self.team_arn))
        self.check_not_found("ListResourcePolicies", lambda: self.mpa.list_resource_policies(ResourceArn=self.team_arn))
        self.check_not_found("GetResourcePolicy", lambda: self.mpa.get_resource_policy(
            ResourceArn=self.team_arn, PolicyName=harness.TEST_POLICY_NAME, PolicyType="AWS_MANAGED"))
        listed = [t["Arn"] for t in self.mpa.list_approval_teams()["ApprovalTeams"]]
        self.assertNotIn(self.team_arn, listed, "the other account lists the team")

    def test_other_account_cannot_change_the_team(self):
        self.check_not_found("UpdateApprovalTeam", lambda: self.mpa.update_approval_team(
            Arn=self.team_arn, Description="taken over"))
        self.check_not_found("StartActiveApprovalTeamDeletion", lambda: self.mpa.start_active_approval_team_deletion(
            Arn=self.team_arn))
        self.check_not_found("StartApprovalTeamBaseline", lambda: self.mpa.start_approval_team_baseline(
            Arn=self.team_arn))
        version = self.owner.mpa.get_approval_team(Arn=self.pending_arn)["VersionId"]
        self.check_not_found("DeleteInactiveApprovalTeamVersion", lambda: self.mpa.delete_inactive_approval_team_version(
            Arn=self.pending_arn, VersionId=version))
        self.check_not_found("TagResource", lambda: self.mpa.tag_resource(ResourceArn=self.team_arn, Tags={"x": "y"}))
        self.check_not_found("UntagResource", lambda: self.mpa.untag_resource(ResourceArn=self.team_arn, TagKeys=["owner"]))

        team = self.owner.mpa.get_approval_team(Arn=self.team_arn)
        self.assertEqual(team["Status"], "ACTIVE")
        self.assertNotIn("StatusCode", team, "another account started a change")
        self.assertNotIn("PendingUpdate", team)
        self.assertEqual(self.owner.mpa.list_tags_for_resource(ResourceArn=self.team_arn)["Tags"], {"owner": "a"})
        self.assertEqual(self.owner.mpa.get_approval_team(Arn=self.pending_arn)["Arn"], self.pending_arn)

    def test_other_account_cannot_see_or_cancel_the_session(self):
        self.check_not_found("GetSession", lambda: self.mpa.get_session(SessionArn=self.session_arn))
        self.check_not_found("CancelSession", lambda: self.mpa.cancel_session(SessionArn=self.session_arn))

        self.assertEqual(self.owner.mpa.get_session(SessionArn=self.session_arn)["Status"], "PENDING")

    def test_other_account_cannot_see_the_identity_source(self):
        arn = self.owner.identity_source_arn

        self.check_not_found("GetIdentitySource", lambda: self.mpa.get_identity_source(IdentitySourceArn=arn))
        self.check_not_found("ListTagsForResource", lambda: self.mpa.list_tags_for_resource(ResourceArn=arn))
        listed = [s["IdentitySourceArn"] for s in self.mpa.list_identity_sources()["IdentitySources"]]
        self.assertEqual(listed, [self.other.identity_source_arn])

    def test_delete_of_another_accounts_source_changes_nothing(self):
        self.mpa.delete_identity_source(IdentitySourceArn=self.owner.identity_source_arn)

        source = self.owner.mpa.get_identity_source(IdentitySourceArn=self.owner.identity_source_arn)
        self.assertEqual(source["Status"], "ACTIVE")

    def test_other_account_cannot_start_sessions_or_vote(self):
        cases = [
            ("start a session", lambda: self.other.start_session(self.team_arn, "test:Intrude")),
            ("vote as its own user", lambda: self.other.vote(self.session_arn, "mallory")),
            ("act as the owner's user", lambda: self.other.vote(self.session_arn, "alice")),
            ("answer an invitation", lambda: self.other.answer_invitation(self.pending_arn, "mallory")),
            ("read the owner's user", lambda: self.other.call("GET", "/keyturn/v1/users/alice")),
        ]
        for name, call in cases:
            with self.subTest(case=name):
                with self.assertRaises(harness.KeyturnAPIError) as ctx:
                    call()
                self.assertAPIError(ctx, "ResourceNotFoundException", 404)

        s = self.owner.mpa.get_session(SessionArn=self.session_arn)
        self.assertEqual([r["Response"] for r in s["ApproverResponses"]], ["NO_RESPONSE"])

    def test_other_region_cannot_see_the_team(self):
        session = boto3.session.Session(
            aws_access_key_id=self.owner.account_id,
            aws_secret_access_key=harness.SECRET_KEY,
            region_name="us-west-2",
        )
        west = session.client("mpa", endpoint_url=self.owner.url)

        with self.assertRaises(ClientError) as ctx:
            west.get_approval_team(Arn=self.team_arn)

        self.assertClientError(ctx, "ResourceNotFoundException", 404)
        self.assertEqual(west.list_approval_teams()["ApprovalTeams"], [], "teams of the account in us-west-2")
        self.assertEqual(west.list_identity_sources()["IdentitySources"], [], "sources of the account in us-west-2")

    def test_same_user_name_in_two_accounts(self):
        first = Account(shared_url()).setup("dana")
        second = Account(shared_url()).setup("dana")

        self.assertNotEqual(first.users["dana"]["UserId"], second.users["dana"]["UserId"])
        users = [u["UserName"] for u in second.call("GET", "/keyturn/v1/users")["Users"]]
        self.assertEqual(users, ["dana"])


if __name__ == "__main__":
    unittest.main()
