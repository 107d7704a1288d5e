"""Test code that waits for a multi-party approval, with boto3 and Keyturn.

The code under test, wait_for_approval, uses only boto3's MPA client, as it
would against AWS. The test drives a Keyturn development server through the
MPA API and Keyturn's own API: it creates approvers, answers invitations and
votes as them, moves the workflow clock, and adds rules that approve by
themselves.

Start a development server, then run the test:

    keyturn serve --dev --database memory &
    python3 -m unittest test_wait_for_approval.py

KEYTURN_URL names another server; the default is http://127.0.0.1:8080.
"""

import json
import os
import random
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import boto3
import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

URL = os.environ.get("KEYTURN_URL", "http://127.0.0.1:8080")
REGION = "us-east-1"


class NotApproved(Exception):
    """The session ended without approval."""


def wait_for_approval(mpa, session_arn, interval=0.05, timeout=30):
    """Read the session until it is decided; raise NotApproved unless it was
    APPROVED, and TimeoutError if it is still pending after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session = mpa.get_session(SessionArn=session_arn)
        if session["Status"] == "APPROVED":
            return session
        if session["Status"] in ("FAILED", "CANCELLED"):
            raise NotApproved(f"{session['Status']} {session.get('StatusCode', '')}")
        time.sleep(interval)
    raise TimeoutError(f"session {session_arn} is still pending after {timeout} seconds")


class Keyturn:
    """Calls Keyturn's own API, signed like MPA API calls, as one account.

    On a development server any credentials work; a 12-digit access key id
    is used as the account id, which keeps each test's data apart.
    """

    def __init__(self, account):
        self.account = account
        self.credentials = Credentials(account, "example-secret")
        self.mpa = boto3.client(
            "mpa",
            endpoint_url=URL,
            region_name=REGION,
            aws_access_key_id=account,
            aws_secret_access_key="example-secret",
        )

    def call(self, method, path, body=None, act_as=None):
        data = json.dumps(body).encode() if body is not None else b""
        request = AWSRequest(method=method, url=URL + path, data=data, headers={"Content-Type": "application/json"})
        if act_as:
            # A development-mode administrator may act as any approver.
            request.headers["X-Keyturn-Act-As"] = act_as
        SigV4Auth(self.credentials, "mpa", REGION).add_auth(request)
        prepared = urllib.request.Request(request.url, data=data or None, headers=dict(request.headers), method=method)
        try:
            with urllib.request.urlopen(prepared, timeout=10) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path}: {error.headers.get('X-Amzn-ErrorType')}: {error.read().decode()}") from None

    def active_team(self, name, approvers, min_approvals):
        """Create users and an ACTIVE team of them; return the team ARN and user names."""
        source = self.mpa.create_identity_source(
            IdentitySourceParameters={"IamIdentityCenter": {
                "InstanceArn": "arn:aws:sso:::instance/ssoins-0000000000000000", "Region": REGION}},
        )["IdentitySourceArn"]
        self.call("PUT", "/keyturn/v1/policies", {
            "ServicePrincipal": "deploy.example.com", "Name": "Deploy", "Actions": ["deploy:*"]})
        users = [self.call("POST", "/keyturn/v1/users", {"UserName": f"{name}-{i}"}) for i in range(approvers)]
        team = self.mpa.create_approval_team(
            Name=name,
            Description="Approves deployments",
            ApprovalStrategy={"MofN": {"MinApprovalsRequired": min_approvals}},
            Approvers=[{"PrimaryIdentityId": u["UserId"], "PrimaryIdentitySourceArn": source} for u in users],
            Policies=[{"PolicyArn": "arn:aws:mpa:::aws:policy/deploy.example.com/Deploy/$DEFAULT"}],
        )["Arn"]
        for user in users:
            self.call("POST", "/keyturn/v1/approver/invitations/" + quote(team), {"Response": "ACCEPT"}, act_as=user["UserName"])
        return team, [u["UserName"] for u in users]

    def start_session(self, team, action):
        return self.call("POST", "/keyturn/v1/sessions", {"ApprovalTeamArn": team, "ActionName": action})["SessionArn"]

    def vote(self, session, user, response):
        self.call("POST", "/keyturn/v1/approver/sessions/" + quote(session) + "/vote", {"Response": response}, act_as=user)

    def advance_clock(self, seconds):
        self.call("PUT", "/keyturn/v1/dev/clock", {"AdvanceSeconds": seconds})


def quote(arn):
    return urllib.parse.quote(arn, safe="")


def new_account():
    return str(random.randrange(10**11, 10**12))


class WaitForApprovalTest(unittest.TestCase):
    def setUp(self):
        self.keyturn = Keyturn(new_account())
        self.team, self.approvers = self.keyturn.active_team("release", approvers=3, min_approvals=2)

    def test_approved(self):
        session = self.keyturn.start_session(self.team, "deploy:Promote")
        self.keyturn.vote(session, self.approvers[0], "APPROVED")
        self.keyturn.vote(session, self.approvers[1], "APPROVED")
        self.assertEqual(wait_for_approval(self.keyturn.mpa, session)["Status"], "APPROVED")

    def test_rejected(self):
        session = self.keyturn.start_session(self.team, "deploy:Promote")
        self.keyturn.vote(session, self.approvers[0], "REJECTED")
        self.keyturn.vote(session, self.approvers[1], "REJECTED")
        with self.assertRaises(NotApproved):
            wait_for_approval(self.keyturn.mpa, session)

    def test_expired(self):
        session = self.keyturn.start_session(self.team, "deploy:Promote")
        self.keyturn.advance_clock(25 * 3600)  # sessions last 24 hours
        with self.assertRaisesRegex(NotApproved, "EXPIRED"):
            wait_for_approval(self.keyturn.mpa, session)

    def test_approved_by_rule(self):
        self.keyturn.call("POST", "/keyturn/v1/dev/rules", {
            "Kind": "VOTE", "ActionName": "deploy:*", "Response": "APPROVED", "DelaySeconds": 600})
        try:
            session = self.keyturn.start_session(self.team, "deploy:Promote")
            self.keyturn.advance_clock(600)
            self.assertEqual(wait_for_approval(self.keyturn.mpa, session)["Status"], "APPROVED")
        finally:
            self.keyturn.call("DELETE", "/keyturn/v1/dev/rules")


if __name__ == "__main__":
    unittest.main()
