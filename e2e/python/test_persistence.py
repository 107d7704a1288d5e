"""State survives a restart: a server on a SQLite file is stopped with
SIGTERM and started again on the same file."""

import json
import unittest

import harness
from harness import Account, KeyturnTestCase, Server, without_metadata


class RestartTest(KeyturnTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        account = Account(cls.server.url).setup("alice", "bob")
        cls.account_id = account.account_id
        mpa = account.mpa

        cls.team_arn = account.create_active_team(["alice", "bob"], min_approvals=2, Tags={"kept": "yes"})
        cls.pending_team_arn = account.create_team(["alice"])["Arn"]
        cls.approved = account.start_session(cls.team_arn, "test:Approve", Metadata={"k": "v"})["SessionArn"]
        account.vote(cls.approved, "alice", "APPROVED")
        account.vote(cls.approved, "bob", "APPROVED")
        cls.half_voted = account.start_session(cls.team_arn, "test:HalfVoted")["SessionArn"]
        account.vote(cls.half_voted, "alice", "APPROVED")
        cls.cancelled = account.start_session(cls.team_arn, "test:Cancel")["SessionArn"]
        mpa.cancel_session(SessionArn=cls.cancelled)
        account.advance_clock(600)
        cls.clock_before = account.clock()

        cls.before = cls.snapshot(mpa, account)
        first_page = mpa.list_sessions(ApprovalTeamArn=cls.team_arn, MaxResults=1)
        cls.token_before = first_page["NextToken"]

        cls.exit_status = cls.server.stop()
        cls.first_log = cls.server.log()
        cls.server.start()
        cls.account = Account(cls.server.url, cls.account_id)
        cls.account.identity_source_arn = account.identity_source_arn
        cls.mpa = cls.account.mpa
        # Read before any test changes the state.
        cls.after = cls.snapshot(cls.mpa, cls.account)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    @classmethod
    def snapshot(cls, mpa, account):
        """Read everything the test created, without response metadata."""
        sessions = mpa.get_paginator("list_sessions").paginate(ApprovalTeamArn=cls.team_arn)
        return {
            "source": without_metadata(mpa.get_identity_source(IdentitySourceArn=account.identity_source_arn)),
            "team": without_metadata(mpa.get_approval_team(Arn=cls.team_arn)),
            "pending team": without_metadata(mpa.get_approval_team(Arn=cls.pending_team_arn)),
            "teams": [t for page in mpa.get_paginator("list_approval_teams").paginate() for t in page["ApprovalTeams"]],
            "tags": mpa.list_tags_for_resource(ResourceArn=cls.team_arn)["Tags"],
            "sessions": [s for page in sessions for s in page["Sessions"]],
            "session details": {
                arn: without_metadata(mpa.get_session(SessionArn=arn))
                for arn in (cls.approved, cls.half_voted, cls.cancelled)
            },
            "users": account.call("GET", "/keyturn/v1/users")["Users"],
        }

    def test_server_stopped_cleanly(self):
        self.assertEqual(self.exit_status, 0, f"exit status after SIGTERM:\n{self.first_log}")
        self.assertIn("keyturn stopped", self.first_log)

    def test_everything_is_there_after_restart(self):
        for key in self.before:
            with self.subTest(part=key):
                before, after = self.before[key], self.after[key]
                if key == "source":
                    # The portal's address follows the server, which
                    # restarted on another port.
                    before, after = without_portal(before), without_portal(after)
                self.assertEqual(after, before, f"{key} after the restart")

    def test_portal_address_follows_server(self):
        portal = self.after["source"]["IdentitySourceParameters"]["IamIdentityCenter"]["ApprovalPortalUrl"]
        self.assertEqual(portal, self.server.url + "/portal/")

    def test_session_statuses_survive(self):
        statuses = {arn: self.mpa.get_session(SessionArn=arn)["Status"] for arn in (self.approved, self.cancelled)}

        self.assertEqual(statuses, {self.approved: "APPROVED", self.cancelled: "CANCELLED"})

    def test_development_clock_survives(self):
        clock = self.account.clock()

        # The offset before the restart is a little under 600 s, because the
        # server measures it against the real time after computing the target.
        self.assertAlmostEqual(clock["OffsetSeconds"], self.clock_before["OffsetSeconds"], delta=0.5,
                               msg="clock offset after the restart")
        self.assertGreater(clock["OffsetSeconds"], 599)

    def test_pagination_token_from_before_restart_is_valid(self):
        page = self.mpa.list_sessions(ApprovalTeamArn=self.team_arn, MaxResults=1, NextToken=self.token_before)

        self.assertEqual(len(page["Sessions"]), 1)
        self.assertEqual(page["Sessions"][0]["SessionArn"], self.before["sessions"][1]["SessionArn"])

    def test_votes_continue_after_restart(self):
        self.account.vote(self.half_voted, "bob", "APPROVED")

        s = self.mpa.get_session(SessionArn=self.half_voted)
        self.assertEqual(s["Status"], "APPROVED")
        self.assertEqual([r["Response"] for r in s["ApproverResponses"]], ["APPROVED", "APPROVED"])

    def test_invitations_continue_after_restart(self):
        self.account.answer_invitation(self.pending_team_arn, "alice")

        self.assertEqual(self.mpa.get_approval_team(Arn=self.pending_team_arn)["Status"], "ACTIVE")

    def test_server_logged_no_errors(self):
        self.assertEqual(self.server.error_lines(), [])
        self.assertNotIn("level=ERROR", self.first_log)


if __name__ == "__main__":
    unittest.main()


def without_portal(source):
    """Return an identity source without its portal address."""
    copy = json.loads(json.dumps(source, default=str))
    copy["IdentitySourceParameters"]["IamIdentityCenter"].pop("ApprovalPortalUrl", None)
    return copy
