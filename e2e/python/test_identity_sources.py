"""CreateIdentitySource, GetIdentitySource, ListIdentitySources and
DeleteIdentitySource through boto3."""

import datetime
import re
import unittest

import harness
from harness import Account, KeyturnTestCase, shared_url

SOURCE_ARN_RE = re.compile(r"^arn:aws:mpa:us-east-1:(\d{12}):identity-source/[A-Za-z0-9._-]+$")


def create_params(instance_arn=harness.IDC_INSTANCE_ARN, region=harness.REGION):
    return {"IamIdentityCenter": {"InstanceArn": instance_arn, "Region": region}}


class IdentitySourceTest(KeyturnTestCase):
    """Each test works in a fresh account, because an account has at most
    one identity source per region."""

    def setUp(self):
        self.account = Account(shared_url())
        self.mpa = self.account.mpa

    def test_create_returns_arn_type_and_time(self):
        before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)

        out = self.mpa.create_identity_source(IdentitySourceParameters=create_params())

        self.assertEqual(out["IdentitySourceType"], "IAM_IDENTITY_CENTER")
        match = SOURCE_ARN_RE.match(out["IdentitySourceArn"])
        self.assertIsNotNone(match, f"IdentitySourceArn {out['IdentitySourceArn']!r} has the wrong form")
        self.assertEqual(match.group(1), self.account.account_id, "account of IdentitySourceArn")
        self.assertIsInstance(out["CreationTime"], datetime.datetime)
        self.assertGreaterEqual(out["CreationTime"], before, "CreationTime is before the request")

    def test_get_returns_one_union_member_and_portal_url(self):
        created = self.mpa.create_identity_source(IdentitySourceParameters=create_params())

        out = self.mpa.get_identity_source(IdentitySourceArn=created["IdentitySourceArn"])

        params = out["IdentitySourceParameters"]
        self.assertEqual(list(params), ["IamIdentityCenter"], "members of the IdentitySourceParameters union")
        idc = params["IamIdentityCenter"]
        self.assertEqual(idc["InstanceArn"], harness.IDC_INSTANCE_ARN)
        self.assertEqual(idc["Region"], harness.REGION)
        self.assertRegex(idc.get("ApprovalPortalUrl", ""), r"^https?://.+", "ApprovalPortalUrl")
        self.assertEqual(out["IdentitySourceArn"], created["IdentitySourceArn"])
        self.assertEqual(out["IdentitySourceType"], "IAM_IDENTITY_CENTER")
        self.assertEqual(out["CreationTime"], created["CreationTime"])
        self.assertEqual(out["Status"], "ACTIVE")

    def test_list_paginator_returns_the_source_once(self):
        empty = list(self.mpa.get_paginator("list_identity_sources").paginate())
        self.assertEqual(sum(len(p["IdentitySources"]) for p in empty), 0, "sources of a new account")
        arn = self.mpa.create_identity_source(IdentitySourceParameters=create_params())["IdentitySourceArn"]

        pages = list(self.mpa.get_paginator("list_identity_sources").paginate(PaginationConfig={"PageSize": 1}))

        sources = [s for p in pages for s in p["IdentitySources"]]
        self.assertEqual([s["IdentitySourceArn"] for s in sources], [arn])
        self.assertNotIn("NextToken", pages[-1], "the last page has a NextToken")
        self.assertEqual(list(sources[0]["IdentitySourceParameters"]), ["IamIdentityCenter"])
        self.assertIn("ApprovalPortalUrl", sources[0]["IdentitySourceParameters"]["IamIdentityCenter"])
        self.assertEqual(sources[0]["Status"], "ACTIVE")

    def test_delete_removes_the_source(self):
        arn = self.mpa.create_identity_source(IdentitySourceParameters=create_params())["IdentitySourceArn"]

        self.mpa.delete_identity_source(IdentitySourceArn=arn)

        with self.assertRaises(self.mpa.exceptions.ResourceNotFoundException) as ctx:
            self.mpa.get_identity_source(IdentitySourceArn=arn)
        self.assertClientError(ctx, "ResourceNotFoundException", 404, arn)
        listed = self.mpa.list_identity_sources()["IdentitySources"]
        self.assertEqual(listed, [], "sources listed after the delete")

    def test_delete_twice_succeeds(self):
        arn = self.mpa.create_identity_source(IdentitySourceParameters=create_params())["IdentitySourceArn"]
        self.mpa.delete_identity_source(IdentitySourceArn=arn)

        out = self.mpa.delete_identity_source(IdentitySourceArn=arn)

        self.assertEqual(out["ResponseMetadata"]["HTTPStatusCode"], 200)

    def test_create_after_delete_succeeds(self):
        arn = self.mpa.create_identity_source(IdentitySourceParameters=create_params())["IdentitySourceArn"]
        self.mpa.delete_identity_source(IdentitySourceArn=arn)

        again = self.mpa.create_identity_source(IdentitySourceParameters=create_params())

        self.assertEqual(again["IdentitySourceArn"], arn)

    def test_second_create_exceeds_quota(self):
        self.mpa.create_identity_source(IdentitySourceParameters=create_params())

        with self.assertRaises(self.mpa.exceptions.ServiceQuotaExceededException) as ctx:
            self.mpa.create_identity_source(IdentitySourceParameters=create_params())

        self.assertClientError(ctx, "ServiceQuotaExceededException", 402, self.account.account_id)

    def test_delete_while_a_team_uses_it_conflicts(self):
        self.account.setup("alice")
        team_arn = self.account.create_team(["alice"])["Arn"]

        with self.assertRaises(self.mpa.exceptions.ConflictException) as ctx:
            self.mpa.delete_identity_source(IdentitySourceArn=self.account.identity_source_arn)

        self.assertClientError(ctx, "ConflictException", 409, "approval team")
        still = self.mpa.get_identity_source(IdentitySourceArn=self.account.identity_source_arn)
        self.assertEqual(still["Status"], "ACTIVE", "status of the source after the rejected delete")
        self.assertEqual(self.mpa.get_approval_team(Arn=team_arn)["Arn"], team_arn)

    def test_client_token_replay_returns_same_result(self):
        first = self.mpa.create_identity_source(IdentitySourceParameters=create_params(), ClientToken="replay-token-1")

        second = self.mpa.create_identity_source(IdentitySourceParameters=create_params(), ClientToken="replay-token-1")

        self.assertEqual(second["IdentitySourceArn"], first["IdentitySourceArn"])
        self.assertEqual(second["CreationTime"], first["CreationTime"])
        self.assertEqual(second["IdentitySourceType"], first["IdentitySourceType"])

    def test_client_token_with_other_params_is_rejected(self):
        self.mpa.create_identity_source(IdentitySourceParameters=create_params(), ClientToken="replay-token-2")

        with self.assertRaises(self.mpa.exceptions.ValidationException) as ctx:
            self.mpa.create_identity_source(
                IdentitySourceParameters=create_params(region="eu-west-1"), ClientToken="replay-token-2"
            )

        self.assertClientError(ctx, "ValidationException", 400, "ClientToken")

    def test_create_without_union_member_is_invalid(self):
        with self.assertRaises(self.mpa.exceptions.ValidationException) as ctx:
            self.mpa.create_identity_source(IdentitySourceParameters={})

        self.assertClientError(ctx, "ValidationException", 400, "IdentitySourceParameters")

    def test_get_unknown_source_is_not_found(self):
        arn = f"arn:aws:mpa:us-east-1:{self.account.account_id}:identity-source/IamIdentityCenter"

        with self.assertRaises(self.mpa.exceptions.ResourceNotFoundException) as ctx:
            self.mpa.get_identity_source(IdentitySourceArn=arn)

        self.assertClientError(ctx, "ResourceNotFoundException", 404, arn)


if __name__ == "__main__":
    unittest.main()
