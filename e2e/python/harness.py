"""Harness for Keyturn's end-to-end tests: accounts, clients and servers.

The tests drive a real Keyturn server with boto3, the AWS CLI and plain
HTTP. The Go test in e2e/python_test.go builds the binary, starts a
development server and runs each test module with these variables set:

    KEYTURN_URL  base URL of the shared development server
    KEYTURN_BIN  path of the keyturn binary, for tests that start servers
                 of their own (production mode, restarts, a moved clock)

Tests stay isolated without resets because each one works in accounts of
its own: in development mode a 12-digit access key id is the account id.
The development clock belongs to the whole server, so a test class that
moves it starts a private server with `Server`.
"""

import datetime
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from unittest import mock
from urllib.parse import quote

import boto3
import botocore.auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REGION = "us-east-1"
SECRET_KEY = "anything"

IDC_INSTANCE_ARN = "arn:aws:sso:::instance/ssoins-e2e0123456789abc"
BACKUP_POLICY_ARN = "arn:aws:mpa:::aws:policy/backup.amazonaws.com/CreateRestoreAccessVault"

# Every test team uses this policy, which protects every action that starts
# with "test:".
TEST_POLICY_PRINCIPAL = "e2e.keyturn.test"
TEST_POLICY_NAME = "Operations"
TEST_POLICY_ARN = f"arn:aws:mpa:::aws:policy/{TEST_POLICY_PRINCIPAL}/{TEST_POLICY_NAME}"

# Seven days, the longest session a development server allows by default.
LONG_SESSION_MINUTES = 7 * 24 * 60


def shared_url():
    """Return the base URL of the shared development server."""
    url = os.environ.get("KEYTURN_URL")
    if not url:
        raise RuntimeError(
            "KEYTURN_URL is not set. Run these tests with `go test ./e2e -run Python`, "
            "or start `keyturn serve --dev` and set KEYTURN_URL to its base URL."
        )
    return url.rstrip("/")


def keyturn_binary():
    """Return the keyturn binary, or skip the test when none is given."""
    path = os.environ.get("KEYTURN_BIN")
    if not path:
        raise unittest.SkipTest("KEYTURN_BIN is not set: this test starts keyturn servers of its own")
    return path


def new_account_id():
    """Return a random 12-digit account id that no other test uses."""
    return "7" + "".join(str(secrets.randbelow(10)) for _ in range(11))


def unique_name(prefix):
    """Return a name that is unique across test runs on one server."""
    return f"{prefix}-{secrets.token_hex(4)}"


def iso(t):
    """Format an aware datetime as the ISO 8601 UTC form the MPA API uses."""
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def mpa_client(url, access_key, secret_key=SECRET_KEY):
    """Return a boto3 MPA client for the server. Retries are off, so that
    every error the server returns reaches the test."""
    session = boto3.session.Session(
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=REGION,
    )
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=60)
    return session.client("mpa", endpoint_url=url, config=config)


def error_of(client_error):
    """Return (code, HTTP status, X-Amzn-ErrorType header, message) of a
    botocore ClientError."""
    response = client_error.response
    metadata = response["ResponseMetadata"]
    return (
        response["Error"]["Code"],
        metadata["HTTPStatusCode"],
        metadata["HTTPHeaders"].get("x-amzn-errortype"),
        response["Error"]["Message"],
    )


class Response:
    """An HTTP response read in full."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body) if self.body else {}

    @property
    def error_type(self):
        return self.headers.get("X-Amzn-ErrorType")

    def __repr__(self):
        return f"<HTTP {self.status} {self.error_type or ''} {self.body[:300]!r}>"


def sign(request, access_key, secret_key=SECRET_KEY, at=None):
    """Sign an AWSRequest with SigV4 for service mpa in us-east-1. With at,
    an aware datetime, the signature carries that time instead of now."""
    signer = SigV4Auth(Credentials(access_key, secret_key), "mpa", REGION)
    if at is None:
        signer.add_auth(request)
        return
    # SigV4Auth takes the signing time from botocore.auth.get_current_datetime
    # (botocore 1.43), a naive UTC datetime.
    naive_utc = at.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=naive_utc):
        signer.add_auth(request)


def send(url, method, path, body=b"", headers=None, access_key=None, secret_key=SECRET_KEY, at=None):
    """Send one HTTP request and return its Response, whatever the status.

    The request is signed when access_key is given. The path is sent as it
    is, so ARNs in it must already be percent-encoded.
    """
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    request = AWSRequest(method=method, url=url + path, data=body, headers=all_headers)
    if access_key is not None:
        sign(request, access_key, secret_key, at)
    prepared = request.prepare()

    raw = urllib.request.Request(
        prepared.url, data=prepared.body or None, method=method, headers=dict(prepared.headers)
    )
    try:
        with urllib.request.urlopen(raw, timeout=60) as resp:
            return Response(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as err:
        with err:
            return Response(err.code, err.headers, err.read())


class KeyturnAPIError(Exception):
    """An error response of Keyturn's own API."""

    def __init__(self, response):
        self.status = response.status
        self.code = response.error_type
        try:
            self.message = response.json().get("Message", "")
        except ValueError:
            self.message = response.body.decode(errors="replace")
        super().__init__(f"HTTP {self.status} {self.code}: {self.message}")


def arn_segment(arn):
    """Percent-encode an ARN as one path segment."""
    return quote(arn, safe="")


class Account:
    """One AWS account on a Keyturn server, with an MPA client and calls to
    Keyturn's own API for what the MPA API cannot do."""

    def __init__(self, url, account_id=None, secret_key=SECRET_KEY):
        self.url = url
        self.account_id = account_id or new_account_id()
        self.secret_key = secret_key
        self.mpa = mpa_client(url, self.account_id, secret_key)
        self.identity_source_arn = None
        self.users = {}

    # Keyturn's own API.

    def call(self, method, path, body=None, act_as=None):
        """Call Keyturn's API, signed as this account, and return the JSON
        output. An error response raises KeyturnAPIError."""
        headers = {"X-Keyturn-Act-As": act_as} if act_as else {}
        payload = b"" if body is None else body
        response = send(self.url, method, path, payload, headers, self.account_id, self.secret_key)
        if response.status != 200:
            raise KeyturnAPIError(response)
        return response.json()

    def create_user(self, name):
        user = self.call("POST", "/keyturn/v1/users", {"UserName": name})
        self.users[name] = user
        return user

    def answer_invitation(self, team_arn, user_name, response="ACCEPT"):
        path = f"/keyturn/v1/approver/invitations/{arn_segment(team_arn)}"
        return self.call("POST", path, {"Response": response}, act_as=user_name)

    def vote(self, session_arn, user_name, response="APPROVED"):
        path = f"/keyturn/v1/approver/sessions/{arn_segment(session_arn)}/vote"
        return self.call("POST", path, {"Response": response}, act_as=user_name)

    def start_session(self, team_arn, action, **members):
        """Start a session for a protected operation. members are further
        members of the request, such as DurationMinutes or Metadata."""
        body = {"ApprovalTeamArn": team_arn, "ActionName": action}
        body.update(members)
        return self.call("POST", "/keyturn/v1/sessions", body)

    def report_execution(self, session_arn, status):
        path = f"/keyturn/v1/sessions/{arn_segment(session_arn)}/execution"
        return self.call("POST", path, {"ExecutionStatus": status})

    def put_policy(self, service_principal, name, actions):
        body = {"ServicePrincipal": service_principal, "Name": name, "Actions": actions}
        return self.call("PUT", "/keyturn/v1/policies", body)

    def advance_clock(self, seconds):
        """Move the server's development clock forward, for every account."""
        return self.call("PUT", "/keyturn/v1/dev/clock", {"AdvanceSeconds": seconds})

    def clock(self):
        return self.call("GET", "/keyturn/v1/dev/clock")

    # Fixtures built through the MPA API.

    def create_identity_source(self, **members):
        out = self.mpa.create_identity_source(
            IdentitySourceParameters={"IamIdentityCenter": {"InstanceArn": IDC_INSTANCE_ARN, "Region": REGION}},
            **members,
        )
        self.identity_source_arn = out["IdentitySourceArn"]
        return out

    def setup(self, *user_names):
        """Create the identity source and the users, and make sure the test
        policy exists."""
        self.create_identity_source()
        for name in user_names:
            self.create_user(name)
        ensure_test_policy(self)
        return self

    def approver(self, user_name):
        return {
            "PrimaryIdentityId": self.users[user_name]["UserId"],
            "PrimaryIdentitySourceArn": self.identity_source_arn,
        }

    def create_team(self, user_names, min_approvals=1, name=None, policies=(TEST_POLICY_ARN + "/$DEFAULT",), **members):
        """Create a team of the users and return the CreateApprovalTeam
        output. The team is PENDING until every approver accepts."""
        return self.mpa.create_approval_team(
            Name=name or unique_name("team"),
            Description=members.pop("Description", "End-to-end test team"),
            ApprovalStrategy={"MofN": {"MinApprovalsRequired": min_approvals}},
            Approvers=[self.approver(n) for n in user_names],
            Policies=[{"PolicyArn": p} for p in policies],
            **members,
        )

    def create_active_team(self, user_names, min_approvals=1, **members):
        """Create a team, accept every invitation and return the team's ARN."""
        arn = self.create_team(user_names, min_approvals, **members)["Arn"]
        for name in user_names:
            self.answer_invitation(arn, name)
        return arn


_policy_servers = set()


def ensure_test_policy(account):
    """Add the test policy to the server's catalogue once per test process."""
    if account.url in _policy_servers:
        return
    account.put_policy(TEST_POLICY_PRINCIPAL, TEST_POLICY_NAME, ["test:*"])
    _policy_servers.add(account.url)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A keyturn server of a test's own, started from KEYTURN_BIN on
    127.0.0.1. Use it as a context manager, or call start and stop."""

    def __init__(self, *flags, dev=True, database=None, workdir=None):
        self.binary = keyturn_binary()
        self.flags = list(flags)
        self.dev = dev
        self._own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="keyturn-e2e-")
        self.database = database or os.path.join(self.workdir, "keyturn.db")
        self.log_path = None
        self.process = None
        self.url = None

    def start(self, timeout=20):
        """Start the server and wait until /keyturn/health returns 200."""
        port = free_port()
        # Servers may share a work directory, so each log is named by port.
        self.log_path = os.path.join(self.workdir, f"server-{port}.log")
        args = [self.binary, "serve", "--addr", f"127.0.0.1:{port}", "--database", self.database, "--log-format", "text"]
        if self.dev:
            args.append("--dev")
        args += self.flags
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}"

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"keyturn exited with status {self.process.returncode} at start:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/keyturn/health", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        self.process.kill()
        self.process.wait()
        raise RuntimeError(f"keyturn did not respond 200 on {self.url}/keyturn/health within {timeout}s:\n{self.log()}")

    def stop(self, timeout=20):
        """Stop the server with SIGTERM and return its exit status."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise RuntimeError(f"keyturn did not stop within {timeout}s of SIGTERM:\n{self.log()}")

    def log(self):
        if not self.log_path or not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def error_lines(self):
        """Return the log lines of level ERROR: internal errors and panics."""
        return [line for line in self.log().splitlines() if "level=ERROR" in line or "panic" in line]

    def cleanup(self):
        """Stop the server and remove its work directory. Raise
        AssertionError if the server logged an error, which a client sees as
        InternalServerException, or did not exit with status 0."""
        status = self.stop()
        errors = self.error_lines()
        log = self.log()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        if errors:
            raise AssertionError(f"keyturn at {self.url} logged {len(errors)} errors:\n" + "\n".join(errors))
        if status not in (0, None):
            raise AssertionError(f"keyturn at {self.url} exited with status {status} after SIGTERM:\n{log}")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
        return False


class KeyturnTestCase(unittest.TestCase):
    """A test case with assertions for MPA API errors."""

    maxDiff = None

    def assertClientError(self, ctx, code, status, *fragments):
        """Check that the botocore ClientError caught by assertRaises has the
        error code, HTTP status, X-Amzn-ErrorType header and a message that
        contains every fragment."""
        got_code, got_status, header, message = error_of(ctx.exception)
        self.assertEqual(got_code, code, f"error code: got {got_code}, want {code} (message {message!r})")
        self.assertEqual(got_status, status, f"HTTP status of {code}: got {got_status}, want {status}")
        self.assertEqual(header, code, f"X-Amzn-ErrorType header: got {header!r}, want {code!r}")
        for fragment in fragments:
            self.assertIn(fragment, message, f"message of {code} does not mention {fragment!r}: {message!r}")

    def assertAPIError(self, ctx, code, status, *fragments):
        """Like assertClientError, for a KeyturnAPIError."""
        err = ctx.exception
        self.assertEqual(err.code, code, f"error code: got {err.code}, want {code} (message {err.message!r})")
        self.assertEqual(err.status, status, f"HTTP status of {code}: got {err.status}, want {status}")
        for fragment in fragments:
            self.assertIn(fragment, err.message, f"message of {code} does not mention {fragment!r}: {err.message!r}")

    def assertResponseError(self, response, code, status, *fragments):
        """Check a raw Response for an error code, status and message."""
        self.assertLess(response.status, 500, f"server error: {response}")
        self.assertEqual(response.status, status, f"HTTP status: got {response.status}, want {status}: {response}")
        self.assertEqual(response.error_type, code, f"X-Amzn-ErrorType: got {response.error_type!r}, want {code!r}: {response}")
        message = response.json().get("Message", "")
        for fragment in fragments:
            self.assertIn(fragment, message, f"message of {code} does not mention {fragment!r}: {message!r}")


def without_metadata(output):
    """Return a boto3 output without its ResponseMetadata."""
    return {k: v for k, v in output.items() if k != "ResponseMetadata"}
