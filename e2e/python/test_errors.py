"""Error responses: input constraints through boto3, malformed and
unauthenticated requests over raw HTTP, and SigV4 verification on a
production-mode server.

botocore checks only required members and minimums on the client side, so
every value here passes botocore and breaks a maximum, a pattern or an enum
that only the server enforces. No case may get a 5xx response.
"""

import datetime
import json
import os
import unittest

from botocore.exceptions import ClientError

import harness
from harness import Account, KeyturnTestCase, Server, send, shared_url

LONG_ARN_TAIL = "a" * 2048


class ConstraintViolationTest(KeyturnTestCase):
    @classmethod
    def setUpClass(cls):
        cls.account = Account(shared_url()).setup("alice")
        cls.mpa = cls.account.mpa
        cls.team_arn = cls.account.create_active_team(["alice"])

    def team_request(self, **changes):
        """Return a valid CreateApprovalTeam request with changes applied."""
        request = {
            "Name": harness.unique_name("errors"),
            "Description": "d",
            "ApprovalStrategy": {"MofN": {"MinApprovalsRequired": 1}},
            "Approvers": [self.account.approver("alice")],
            "Policies": [{"PolicyArn": harness.TEST_POLICY_ARN + "/$DEFAULT"}],
        }
        request.update(changes)
        return request

    def check_violation(self, call, member, rule):
        """Check that call gets a ValidationException whose message names
        the member and the rule."""
        with self.assertRaises(ClientError) as ctx:
            call()
        self.assertClientError(ctx, "ValidationException", 400, f"at '{member}'", rule, "validation error")

    def test_create_team_constraints(self):
        approver = self.account.approver("alice")
        many_approvers = [
            {"PrimaryIdentityId": f"user-{i}", "PrimaryIdentitySourceArn": approver["PrimaryIdentitySourceArn"]}
            for i in range(21)
        ]
        policy = {"PolicyArn": harness.TEST_POLICY_ARN + "/$DEFAULT"}
        cases = [
            ("Name", {"Name": "n" * 65}, "Member must have length less than or equal to 64"),
            ("Name", {"Name": "bad name!"}, "Member must satisfy regular expression pattern"),
            ("Description", {"Description": "d" * 257}, "Member must have length less than or equal to 256"),
            ("Approvers", {"Approvers": many_approvers}, "Member must have length less than or equal to 20"),
            ("Policies", {"Policies": [policy] * 11}, "Member must have length less than or equal to 10"),
            ("Policies[0].PolicyArn", {"Policies": [{"PolicyArn": "arn:aws:mpa:::aws:policy/no-version"}]},
             "Member must satisfy regular expression pattern"),
            ("Approvers[0].PrimaryIdentityId",
             {"Approvers": [dict(approver, PrimaryIdentityId="u" * 101)]},
             "Member must have length less than or equal to 100"),
            ("ClientToken", {"ClientToken": "t" * 4097}, "Member must have length less than or equal to 4096"),
            ("Tags.key", {"Tags": {"k" * 129: "v"}}, "Member must have length less than or equal to 128"),
            ("Tags.k", {"Tags": {"k": "v" * 257}}, "Member must have length less than or equal to 256"),
        ]
        for member, changes, rule in cases:
            with self.subTest(member=member, rule=rule):
                self.check_violation(lambda: self.mpa.create_approval_team(**self.team_request(**changes)), member, rule)

    def test_two_violations_are_both_reported(self):
        request = self.team_request(Name="n" * 65, Description="d" * 257)

        with self.assertRaises(self.mpa.exceptions.ValidationException) as ctx:
            self.mpa.create_approval_team(**request)

        self.assertClientError(ctx, "ValidationException", 400, "2 validation errors detected", "'Name'", "'Description'")

    def test_identity_source_constraints(self):
        cases = [
            ("IdentitySourceParameters.IamIdentityCenter.InstanceArn",
             {"InstanceArn": "arn:aws:sso:::instance/not-an-instance", "Region": "us-east-1"},
             "Member must satisfy regular expression pattern"),
            ("IdentitySourceParameters.IamIdentityCenter.Region",
             {"InstanceArn": harness.IDC_INSTANCE_ARN, "Region": "r" * 1001},
             "Member must have length less than or equal to 1000"),
        ]
        other = Account(shared_url())
        for member, idc, rule in cases:
            with self.subTest(member=member):
                self.check_violation(
                    lambda: other.mpa.create_identity_source(IdentitySourceParameters={"IamIdentityCenter": idc}),
                    member, rule,
                )
        listed = other.mpa.list_identity_sources()["IdentitySources"]
        self.assertEqual(listed, [], "an invalid request created an identity source")

    def test_list_constraints(self):
        cases = [
            ("MaxResults", lambda: self.mpa.list_approval_teams(MaxResults=21),
             "Member must have value less than or equal to 20"),
            ("MaxResults", lambda: self.mpa.list_policies(MaxResults=100),
             "Member must have value less than or equal to 20"),
            ("MaxResults", lambda: self.mpa.list_sessions(ApprovalTeamArn=self.team_arn, MaxResults=21),
             "Member must have value less than or equal to 20"),
            ("NextToken", lambda: self.mpa.list_approval_teams(NextToken="t" * 4097),
             "Member must have length less than or equal to 4096"),
            ("Filters", lambda: self.mpa.list_sessions(
                ApprovalTeamArn=self.team_arn,
                Filters=[{"FieldName": "ActionName", "Operator": "EQ", "Value": "test:A"}] * 11),
             "Member must have length less than or equal to 10"),
            ("Filters[0].FieldName", lambda: self.mpa.list_sessions(
                ApprovalTeamArn=self.team_arn, Filters=[{"FieldName": "Requester", "Operator": "EQ", "Value": "x"}]),
             "Member must satisfy enum value set"),
            ("Filters[0].Operator", lambda: self.mpa.list_sessions(
                ApprovalTeamArn=self.team_arn, Filters=[{"FieldName": "ActionName", "Operator": "LIKE", "Value": "x"}]),
             "Member must satisfy enum value set"),
        ]
        for member, call, rule in cases:
            with self.subTest(member=member, rule=rule):
                self.check_violation(call, member, rule)

    def test_arn_constraints(self):
        account = self.account.account_id
        cases = [
            ("Arn", lambda: self.mpa.get_approval_team(Arn=f"arn:aws:mpa:us-east-1:{account}:approval-team/bad name"),
             "Member must satisfy regular expression pattern"),
            ("Arn", lambda: self.mpa.get_approval_team(Arn=f"arn:aws:mpa:us-east-1:{account}:session/a/b"),
             "Member must satisfy regular expression pattern"),
            ("SessionArn", lambda: self.mpa.get_session(SessionArn=self.team_arn),
             "Member must satisfy regular expression pattern"),
            ("SessionArn", lambda: self.mpa.cancel_session(
                SessionArn=f"arn:aws:mpa:us-east-1:{account}:session/t/{LONG_ARN_TAIL}"),
             "Member must have length less than or equal to 2048"),
            ("ApprovalTeamArn", lambda: self.mpa.list_sessions(ApprovalTeamArn="arn:aws:mpa:us-east-1:1:approval-team/x"),
             "Member must satisfy regular expression pattern"),
            ("PolicyVersionArn", lambda: self.mpa.get_policy_version(PolicyVersionArn=harness.TEST_POLICY_ARN + "/latest"),
             "Member must satisfy regular expression pattern"),
            ("PolicyArn", lambda: self.mpa.list_policy_versions(PolicyArn="arn:aws:mpa:::aws:policy/only-one-part"),
             "Member must satisfy regular expression pattern"),
            ("IdentitySourceArn", lambda: self.mpa.delete_identity_source(IdentitySourceArn="a" * 1001),
             "Member must have length less than or equal to 1000"),
            ("ResourceArn", lambda: self.mpa.list_tags_for_resource(ResourceArn="a" * 1001),
             "Member must have length less than or equal to 1000"),
        ]
        for member, call, rule in cases:
            with self.subTest(member=member, rule=rule):
                self.check_violation(call, member, rule)

    def test_other_operation_constraints(self):
        cases = [
            ("PolicyType", lambda: self.mpa.get_resource_policy(
                ResourceArn=self.team_arn, PolicyName="Operations", PolicyType="CUSTOMER_MANAGED"),
             "Member must satisfy enum value set: [AWS_MANAGED, AWS_RAM]"),
            ("UpdateActions[0]", lambda: self.mpa.update_approval_team(Arn=self.team_arn, UpdateActions=["REBOOT"]),
             "Member must satisfy enum value set: [SYNCHRONIZE_MFA_DEVICES]"),
            ("Description", lambda: self.mpa.update_approval_team(Arn=self.team_arn, Description="d" * 257),
             "Member must have length less than or equal to 256"),
            ("TagKeys", lambda: self.mpa.untag_resource(ResourceArn=self.team_arn, TagKeys=[f"k{i}" for i in range(51)]),
             "Member must have length less than or equal to 50"),
            ("Tags.key", lambda: self.mpa.tag_resource(ResourceArn=self.team_arn, Tags={"k" * 129: "v"}),
             "Member must have length less than or equal to 128"),
            ("ApproverIds", lambda: self.mpa.start_approval_team_baseline(
                Arn=self.team_arn, ApproverIds=[f"id-{i}" for i in range(21)]),
             "Member must have length less than or equal to 20"),
            ("ApproverIds[0]", lambda: self.mpa.start_approval_team_baseline(Arn=self.team_arn, ApproverIds=["i" * 101]),
             "Member must have length less than or equal to 100"),
            ("VersionId", lambda: self.mpa.delete_inactive_approval_team_version(Arn=self.team_arn, VersionId="9" * 1001),
             "Member must have length less than or equal to 1000"),
        ]
        for member, call, rule in cases:
            with self.subTest(member=member, rule=rule):
                self.check_violation(call, member, rule)
        team = self.mpa.get_approval_team(Arn=self.team_arn)
        self.assertNotIn("PendingUpdate", team, "an invalid update was recorded")

    def test_server_rules_beyond_the_model(self):
        cases = [
            ("PendingWindowDays -1", lambda: self.mpa.start_active_approval_team_deletion(
                Arn=self.team_arn, PendingWindowDays=-1), "PendingWindowDays"),
            ("PendingWindowDays 366", lambda: self.mpa.start_active_approval_team_deletion(
                Arn=self.team_arn, PendingWindowDays=366), "PendingWindowDays"),
            ("threshold above team size", lambda: self.mpa.create_approval_team(**self.team_request(
                ApprovalStrategy={"MofN": {"MinApprovalsRequired": 2}})), "MinApprovalsRequired"),
            ("duplicate approvers", lambda: self.mpa.create_approval_team(**self.team_request(
                Approvers=[self.account.approver("alice")] * 2)), "Approvers[1]"),
            ("unknown baseline approver", lambda: self.mpa.start_approval_team_baseline(
                Arn=self.team_arn, ApproverIds=["no-such-approver"]), "ApproverIds[0]"),
        ]
        for name, call, fragment in cases:
            with self.subTest(case=name):
                with self.assertRaises(self.mpa.exceptions.ValidationException) as ctx:
                    call()
                self.assertClientError(ctx, "ValidationException", 400, fragment)
        team = self.mpa.get_approval_team(Arn=self.team_arn)
        self.assertNotIn("StatusCode", team, "an invalid deletion was recorded")


class RawRequestTest(KeyturnTestCase):
    """Requests that no SDK sends, over HTTP with SigV4 signing by hand."""

    @classmethod
    def setUpClass(cls):
        cls.url = shared_url()
        cls.account = Account(cls.url)
        cls.key = cls.account.account_id

    def test_malformed_json_is_invalid(self):
        response = send(self.url, "POST", "/approval-teams", b'{"Name": "x", ', access_key=self.key)

        self.assertResponseError(response, "ValidationException", 400, "not valid JSON")

    def test_json_array_body_is_invalid(self):
        response = send(self.url, "POST", "/approval-teams", b"[1, 2]", access_key=self.key)

        self.assertResponseError(response, "ValidationException", 400, "JSON object")

    def test_trailing_data_is_invalid(self):
        response = send(self.url, "POST", "/identity-sources/?List", b"{} {}", access_key=self.key)

        self.assertResponseError(response, "ValidationException", 400, "after the JSON object")

    def test_member_of_wrong_type_is_invalid(self):
        body = {"Name": 42, "Description": "d", "ApprovalStrategy": {"MofN": {"MinApprovalsRequired": "one"}},
                "Approvers": [], "Policies": []}

        response = send(self.url, "POST", "/approval-teams", body, access_key=self.key)

        self.assertResponseError(response, "ValidationException", 400,
                                 "at 'Name' failed to satisfy constraint: Member must be a string",
                                 "at 'ApprovalStrategy.MofN.MinApprovalsRequired'")

    def test_non_integer_query_value_is_invalid(self):
        response = send(self.url, "POST", "/approval-teams/?List&MaxResults=ten", access_key=self.key)

        self.assertResponseError(response, "ValidationException", 400, "MaxResults", "integer")

    def test_body_over_256_kib_is_invalid(self):
        body = b'{"Description": "' + b"x" * (256 * 1024) + b'"}'

        response = send(self.url, "POST", "/approval-teams", body, access_key=self.key)

        self.assertResponseError(response, "ValidationException", 400, "larger than the limit of 262144 bytes")

    def test_unknown_path_is_unknown_operation(self):
        response = send(self.url, "GET", "/no-such-operation", access_key=self.key)

        self.assertResponseError(response, "UnknownOperationException", 404, "/no-such-operation")

    def test_wrong_method_is_not_allowed(self):
        response = send(self.url, "DELETE", "/approval-teams", access_key=self.key)

        self.assertResponseError(response, "UnknownOperationException", 405, "POST")
        self.assertEqual(response.headers.get("Allow"), "POST", "Allow header of the 405 response")

    def test_list_without_query_key_is_not_allowed(self):
        response = send(self.url, "POST", "/policies/", access_key=self.key)

        self.assertResponseError(response, "UnknownOperationException", 405, "?List")

    def test_unsigned_request_is_missing_authentication(self):
        response = send(self.url, "POST", "/policies/?List")

        self.assertResponseError(response, "MissingAuthenticationTokenException", 403, "Signature Version 4")

    def test_malformed_authorization_is_incomplete(self):
        headers = {"Authorization": "AWS4-HMAC-SHA256 Credential=abc", "X-Amz-Date": "20250101T000000Z"}

        response = send(self.url, "POST", "/policies/?List", headers=headers)

        self.assertResponseError(response, "IncompleteSignatureException", 400, "Credential=")

    def test_other_algorithm_is_incomplete(self):
        response = send(self.url, "POST", "/policies/?List", headers={"Authorization": "Bearer abc"})

        self.assertResponseError(response, "IncompleteSignatureException", 400, "AWS4-HMAC-SHA256")

    def test_request_signed_twenty_minutes_ago_is_expired(self):
        past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)

        response = send(self.url, "POST", "/policies/?List", access_key=self.key, at=past)

        self.assertResponseError(response, "InvalidSignatureException", 403, "Signature expired")

    def test_request_signed_twenty_minutes_ahead_is_expired(self):
        future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=20)

        response = send(self.url, "POST", "/policies/?List", access_key=self.key, at=future)

        self.assertResponseError(response, "InvalidSignatureException", 403, "Signature expired")

    def test_request_signed_five_minutes_ago_is_accepted(self):
        past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)

        response = send(self.url, "POST", "/policies/?List", access_key=self.key, at=past)

        self.assertEqual(response.status, 200, f"request within the allowed clock skew: {response}")

    def test_keyturn_api_unknown_path_is_unknown_operation(self):
        response = send(self.url, "GET", "/keyturn/v1/no-such-thing", access_key=self.key)

        self.assertResponseError(response, "UnknownOperationException", 404, "/keyturn/v1/no-such-thing")

    def test_keyturn_api_unknown_member_is_invalid(self):
        response = send(self.url, "POST", "/keyturn/v1/users", {"UserName": "x", "Nickname": "y"}, access_key=self.key)

        self.assertResponseError(response, "ValidationException", 400, "Nickname")

    def test_keyturn_api_unsigned_is_missing_authentication(self):
        response = send(self.url, "GET", "/keyturn/v1/users")

        self.assertResponseError(response, "MissingAuthenticationTokenException", 403)

    def test_keyturn_api_approver_call_without_identity_is_denied(self):
        response = send(self.url, "GET", "/keyturn/v1/approver/invitations", access_key=self.key)

        self.assertResponseError(response, "AccessDeniedException", 403, "Bearer")


class ProductionModeTest(KeyturnTestCase):
    """A server without --dev, which checks every signature against a
    credentials file."""

    ACCOUNT = "444455556666"
    KEY = "AKIAE2EPRODUCTION01"
    SECRET = "production-secret-1"
    OPERATOR_KEY = "AKIAE2EOPERATOR0001"
    OPERATOR_SECRET = "operator-secret-1"

    @classmethod
    def setUpClass(cls):
        cls.server = Server(dev=False)
        credentials = [
            {"AccessKeyId": cls.KEY, "SecretAccessKey": cls.SECRET, "AccountId": cls.ACCOUNT,
             "PrincipalArn": f"arn:aws:iam::{cls.ACCOUNT}:user/e2e"},
            {"AccessKeyId": cls.OPERATOR_KEY, "SecretAccessKey": cls.OPERATOR_SECRET, "AccountId": cls.ACCOUNT,
             "PrincipalArn": f"arn:aws:iam::{cls.ACCOUNT}:user/operator", "Operator": True},
        ]
        path = os.path.join(cls.server.workdir, "credentials.json")
        with open(path, "w") as f:
            json.dump(credentials, f)
        cls.server.flags += ["--credentials-file", path]
        cls.server.start()
        cls.url = cls.server.url

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_valid_signature_is_accepted(self):
        mpa = harness.mpa_client(self.url, self.KEY, self.SECRET)

        source = mpa.create_identity_source(
            IdentitySourceParameters={"IamIdentityCenter": {"InstanceArn": harness.IDC_INSTANCE_ARN, "Region": "us-east-1"}}
        )

        self.assertIn(f":{self.ACCOUNT}:", source["IdentitySourceArn"], "account of the configured credential")
        policies = mpa.list_policies()["Policies"]
        self.assertIn(harness.BACKUP_POLICY_ARN, [p["Arn"] for p in policies])

    def test_unknown_access_key_is_unrecognized(self):
        mpa = harness.mpa_client(self.url, "AKIAE2EUNKNOWNKEY01", self.SECRET)

        with self.assertRaises(mpa.exceptions.ClientError) as ctx:
            mpa.list_policies()

        self.assertClientError(ctx, "UnrecognizedClientException", 403, "access key")

    def test_wrong_secret_is_invalid_signature(self):
        mpa = harness.mpa_client(self.url, self.KEY, "not-the-secret")

        with self.assertRaises(mpa.exceptions.ClientError) as ctx:
            mpa.list_approval_teams()

        self.assertClientError(ctx, "InvalidSignatureException", 403, "signature")

    def test_tampered_signature_is_invalid(self):
        request = harness.AWSRequest(method="POST", url=self.url + "/policies/?List", data=b"",
                                     headers={"Content-Type": "application/json"})
        harness.sign(request, self.KEY, self.SECRET)
        authorization = request.headers["Authorization"]
        last = authorization[-1]
        tampered = authorization[:-1] + ("0" if last != "0" else "1")

        response = send(self.url, "POST", "/policies/?List",
                        headers={"Authorization": tampered, "X-Amz-Date": request.headers["X-Amz-Date"]})

        self.assertResponseError(response, "InvalidSignatureException", 403, "signature")

    def test_body_changed_after_signing_is_invalid(self):
        request = harness.AWSRequest(method="POST", url=self.url + "/approval-teams/?List", data=b"{}",
                                     headers={"Content-Type": "application/json"})
        harness.sign(request, self.KEY, self.SECRET)
        headers = {"Authorization": request.headers["Authorization"], "X-Amz-Date": request.headers["X-Amz-Date"]}

        response = send(self.url, "POST", "/approval-teams/?List", b'{"MaxResults": 1}', headers=headers)

        self.assertResponseError(response, "InvalidSignatureException", 403)

    def test_signature_for_other_service_is_invalid(self):
        request = harness.AWSRequest(method="POST", url=self.url + "/policies/?List", data=b"")
        harness.SigV4Auth(harness.Credentials(self.KEY, self.SECRET), "s3", "us-east-1").add_auth(request)
        headers = {"Authorization": request.headers["Authorization"], "X-Amz-Date": request.headers["X-Amz-Date"]}

        response = send(self.url, "POST", "/policies/?List", headers=headers)

        self.assertResponseError(response, "InvalidSignatureException", 403, "mpa")

    def test_request_signed_twenty_minutes_ago_is_expired(self):
        past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)

        response = send(self.url, "POST", "/policies/?List", access_key=self.KEY, secret_key=self.SECRET, at=past)

        self.assertResponseError(response, "InvalidSignatureException", 403, "Signature expired")

    def test_unsigned_request_is_missing_authentication(self):
        response = send(self.url, "POST", "/policies/?List")

        self.assertResponseError(response, "MissingAuthenticationTokenException", 403)

    def test_act_as_header_is_denied(self):
        response = send(self.url, "GET", "/keyturn/v1/approver/invitations", headers={"X-Keyturn-Act-As": "alice"},
                        access_key=self.KEY, secret_key=self.SECRET)

        self.assertResponseError(response, "AccessDeniedException", 403, "development servers only")

    def test_dev_clock_is_denied(self):
        response = send(self.url, "PUT", "/keyturn/v1/dev/clock", {"AdvanceSeconds": 60},
                        access_key=self.KEY, secret_key=self.SECRET)

        self.assertResponseError(response, "AccessDeniedException", 403, "--dev")

    def test_policy_change_needs_an_operator(self):
        body = {"ServicePrincipal": "prod.e2e.keyturn.test", "Name": "Deploy", "Actions": ["deploy:Run"]}

        denied = send(self.url, "PUT", "/keyturn/v1/policies", body, access_key=self.KEY, secret_key=self.SECRET)
        allowed = send(self.url, "PUT", "/keyturn/v1/policies", body,
                       access_key=self.OPERATOR_KEY, secret_key=self.OPERATOR_SECRET)

        self.assertResponseError(denied, "AccessDeniedException", 403, "operator")
        self.assertEqual(allowed.status, 200, f"operator's policy change: {allowed}")


if __name__ == "__main__":
    unittest.main()
