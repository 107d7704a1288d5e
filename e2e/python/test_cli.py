"""The AWS CLI's `aws mpa` commands against Keyturn."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

import harness
from harness import Account, KeyturnTestCase, shared_url


class AWSCLITest(KeyturnTestCase):
    @classmethod
    def setUpClass(cls):
        cls.aws = shutil.which("aws")
        if cls.aws is None:
            raise unittest.SkipTest("the AWS CLI is not installed: `python3 -m pip install awscli`")
        cls.url = shared_url()
        cls.account = Account(cls.url)
        cls.config_dir = tempfile.mkdtemp(prefix="keyturn-e2e-aws-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.config_dir, ignore_errors=True)

    def run_aws(self, *args, check=True):
        """Run `aws mpa ...` as the test's account and return the parsed
        JSON output, or the CompletedProcess when check is False."""
        env = dict(os.environ)
        env.update({
            "AWS_ACCESS_KEY_ID": self.account.account_id,
            "AWS_SECRET_ACCESS_KEY": harness.SECRET_KEY,
            "AWS_DEFAULT_REGION": harness.REGION,
            "AWS_CONFIG_FILE": os.path.join(self.config_dir, "config"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(self.config_dir, "credentials"),
            "AWS_PAGER": "",
        })
        command = [self.aws, "mpa", *args, "--endpoint-url", self.url, "--output", "json"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        if not check:
            return done
        self.assertEqual(done.returncode, 0, f"{' '.join(args)} exited with {done.returncode}: {done.stderr}")
        return json.loads(done.stdout) if done.stdout.strip() else {}

    def ensure_team(self):
        """Create the identity source, two users and an active team with
        the CLI and Keyturn's API, once per class."""
        cls = type(self)
        if getattr(cls, "team_arn", None):
            return cls.team_arn
        source = self.run_aws(
            "create-identity-source",
            "--identity-source-parameters",
            json.dumps({"IamIdentityCenter": {"InstanceArn": harness.IDC_INSTANCE_ARN, "Region": harness.REGION}}),
        )
        self.account.identity_source_arn = source["IdentitySourceArn"]
        for name in ("alice", "bob"):
            self.account.create_user(name)
        harness.ensure_test_policy(self.account)
        team = self.run_aws(
            "create-approval-team",
            "--name", "cli-team",
            "--description", "Created with the AWS CLI",
            "--approval-strategy", json.dumps({"MofN": {"MinApprovalsRequired": 1}}),
            "--approvers", json.dumps([self.account.approver("alice"), self.account.approver("bob")]),
            "--policies", json.dumps([{"PolicyArn": harness.TEST_POLICY_ARN + "/$DEFAULT"}]),
        )
        for name in ("alice", "bob"):
            self.account.answer_invitation(team["Arn"], name)
        cls.identity_source_arn = source["IdentitySourceArn"]
        cls.team_arn = team["Arn"]
        return cls.team_arn

    def test_list_policies(self):
        out = self.run_aws("list-policies")

        arns = [p["Arn"] for p in out["Policies"]]
        self.assertIn(harness.BACKUP_POLICY_ARN, arns)

    def test_create_identity_source_and_team(self):
        team_arn = self.ensure_team()

        self.assertRegex(self.identity_source_arn, rf":{self.account.account_id}:identity-source/")
        self.assertRegex(team_arn, rf"^arn:aws:mpa:us-east-1:{self.account.account_id}:approval-team/cli-team")

    def test_get_approval_team_by_arn(self):
        team_arn = self.ensure_team()

        team = self.run_aws("get-approval-team", "--arn", team_arn)

        self.assertEqual(team["Arn"], team_arn)
        self.assertEqual(team["Name"], "cli-team")
        self.assertEqual(team["Status"], "ACTIVE")
        self.assertEqual(team["ApprovalStrategy"], {"MofN": {"MinApprovalsRequired": 1}})
        self.assertRegex(team["CreationTime"], r"^\d{4}-\d\d-\d\dT", "CreationTime as the CLI prints it")

    def test_list_sessions_with_filters_and_pagination(self):
        team_arn = self.ensure_team()
        started = [self.account.start_session(team_arn, f"test:Cli{i}")["SessionArn"] for i in range(5)]
        other = self.account.start_session(team_arn, "test:Other")["SessionArn"]
        filters = json.dumps([{"FieldName": "ActionName", "Operator": "CONTAINS", "Value": "test:Cli"}])

        first = self.run_aws("list-sessions", "--approval-team-arn", team_arn, "--filters", filters,
                             "--max-items", "2", "--page-size", "1")
        second = self.run_aws("list-sessions", "--approval-team-arn", team_arn, "--filters", filters,
                              "--max-items", "2", "--page-size", "1", "--starting-token", first["NextToken"])
        rest = self.run_aws("list-sessions", "--approval-team-arn", team_arn, "--filters", filters,
                            "--starting-token", second["NextToken"])

        listed = [s["SessionArn"] for out in (first, second, rest) for s in out["Sessions"]]
        self.assertEqual(listed, list(reversed(started)), "sessions listed over three CLI calls")
        self.assertNotIn(other, listed)
        self.assertNotIn("NextToken", rest)

    def test_unknown_team_fails_with_the_error_code(self):
        arn = f"arn:aws:mpa:us-east-1:{self.account.account_id}:approval-team/no-such-team"

        done = self.run_aws("get-approval-team", "--arn", arn, check=False)

        self.assertNotEqual(done.returncode, 0, "get-approval-team of an unknown team succeeded")
        self.assertIn("ResourceNotFoundException", done.stderr)


if __name__ == "__main__":
    unittest.main()
