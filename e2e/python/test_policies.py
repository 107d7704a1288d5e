"""The policy catalogue and the resource policies of teams through boto3."""

import datetime
import json
import unittest

import harness
from harness import Account, KeyturnTestCase, shared_url


class PolicyCatalogueTest(KeyturnTestCase):
    """Adds a policy of its own, in two versions, to the shared catalogue."""

    @classmethod
    def setUpClass(cls):
        cls.account = Account(shared_url())
        cls.mpa = cls.account.mpa
        cls.principal = "policies.e2e.keyturn.test"
        cls.name = harness.unique_name("Rotate")
        cls.policy_arn = f"arn:aws:mpa:::aws:policy/{cls.principal}/{cls.name}"
        cls.account.put_policy(cls.principal, cls.name, ["keys:RotateKey"])
        cls.account.put_policy(cls.principal, cls.name, ["keys:RotateKey", "keys:DisableKey"])

    def test_list_policies_returns_each_policy_once(self):
        pages = list(self.mpa.get_paginator("list_policies").paginate(PaginationConfig={"PageSize": 1}))

        policies = [p for page in pages for p in page["Policies"]]
        arns = [p["Arn"] for p in policies]
        self.assertEqual(len(arns), len(set(arns)), f"policies listed more than once: {arns}")
        self.assertNotIn("NextToken", pages[-1])
        by_arn = {p["Arn"]: p for p in policies}
        self.assertIn(harness.BACKUP_POLICY_ARN, by_arn, "the built-in AWS Backup policy is not listed")
        backup = by_arn[harness.BACKUP_POLICY_ARN]
        self.assertEqual(backup["Name"], "CreateRestoreAccessVault")
        self.assertEqual(backup["PolicyType"], "AWS_MANAGED")
        self.assertGreaterEqual(backup["DefaultVersion"], 1)
        self.assertEqual(by_arn[self.policy_arn]["DefaultVersion"], 2, "DefaultVersion of the policy put twice")

    def test_list_policy_versions_returns_both_versions(self):
        pages = list(
            self.mpa.get_paginator("list_policy_versions").paginate(
                PolicyArn=self.policy_arn, PaginationConfig={"PageSize": 1}
            )
        )

        versions = [v for page in pages for v in page["PolicyVersions"]]
        self.assertEqual([v["VersionId"] for v in versions], [1, 2])
        self.assertEqual([v["IsDefault"] for v in versions], [False, True])
        self.assertEqual(len(pages), 2, "pages of PageSize 1")
        for v in versions:
            self.assertEqual(v["Arn"], f"{self.policy_arn}/{v['VersionId']}")
            self.assertEqual(v["PolicyArn"], self.policy_arn)
            self.assertEqual(v["Name"], self.name)
            self.assertEqual(v["PolicyType"], "AWS_MANAGED")
            self.assertEqual(v["Status"], "ATTACHABLE")
            self.assertIsInstance(v["CreationTime"], datetime.datetime)
            self.assertIsInstance(v["LastUpdatedTime"], datetime.datetime)
            self.assertNotIn("Document", v, "ListPolicyVersions returns documents")

    def test_get_policy_version_by_number(self):
        out = self.mpa.get_policy_version(PolicyVersionArn=f"{self.policy_arn}/1")["PolicyVersion"]

        self.assertEqual(out["VersionId"], 1)
        self.assertFalse(out["IsDefault"])
        document = json.loads(out["Document"])
        self.assertIn("keys:RotateKey", json.dumps(document))
        self.assertNotIn("keys:DisableKey", json.dumps(document), "version 1 names an action of version 2")

    def test_get_policy_version_default(self):
        out = self.mpa.get_policy_version(PolicyVersionArn=f"{self.policy_arn}/$DEFAULT")["PolicyVersion"]

        self.assertEqual(out["VersionId"], 2)
        self.assertTrue(out["IsDefault"])
        self.assertEqual(out["Arn"], f"{self.policy_arn}/2")
        self.assertIn("keys:DisableKey", out["Document"])

    def test_get_unknown_policy_version_is_not_found(self):
        with self.assertRaises(self.mpa.exceptions.ResourceNotFoundException) as ctx:
            self.mpa.get_policy_version(PolicyVersionArn=f"{self.policy_arn}/99")

        self.assertClientError(ctx, "ResourceNotFoundException", 404, "/99")

    def test_list_versions_of_unknown_policy_is_not_found(self):
        arn = f"arn:aws:mpa:::aws:policy/{self.principal}/NoSuchPolicy"

        with self.assertRaises(self.mpa.exceptions.ResourceNotFoundException) as ctx:
            self.mpa.list_policy_versions(PolicyArn=arn)

        self.assertClientError(ctx, "ResourceNotFoundException", 404, arn)


class ResourcePolicyTest(KeyturnTestCase):
    @classmethod
    def setUpClass(cls):
        cls.account = Account(shared_url()).setup("alice")
        cls.mpa = cls.account.mpa
        cls.team_arn = cls.account.create_team(
            ["alice"], policies=(harness.TEST_POLICY_ARN + "/$DEFAULT", harness.BACKUP_POLICY_ARN + "/1")
        )["Arn"]

    def test_list_resource_policies_returns_each_policy(self):
        pages = list(
            self.mpa.get_paginator("list_resource_policies").paginate(
                ResourceArn=self.team_arn, PaginationConfig={"PageSize": 1}
            )
        )

        policies = [p for page in pages for p in page["ResourcePolicies"]]
        self.assertEqual(len(pages), 2, "pages of PageSize 1")
        names = sorted(p["PolicyName"] for p in policies)
        self.assertEqual(names, sorted([harness.TEST_POLICY_NAME, "CreateRestoreAccessVault"]))
        for p in policies:
            self.assertEqual(p["PolicyType"], "AWS_MANAGED")
            self.assertRegex(p["PolicyArn"], r"/\d+$", "a resource policy names its resolved version")
        backup = next(p for p in policies if p["PolicyName"] == "CreateRestoreAccessVault")
        self.assertEqual(backup["PolicyArn"], harness.BACKUP_POLICY_ARN + "/1")

    def test_get_resource_policy_returns_the_document(self):
        out = self.mpa.get_resource_policy(
            ResourceArn=self.team_arn, PolicyName="CreateRestoreAccessVault", PolicyType="AWS_MANAGED"
        )

        self.assertEqual(out["ResourceArn"], self.team_arn)
        self.assertEqual(out["PolicyType"], "AWS_MANAGED")
        self.assertEqual(out["PolicyName"], "CreateRestoreAccessVault")
        self.assertEqual(out["PolicyVersionArn"], harness.BACKUP_POLICY_ARN + "/1")
        self.assertIn("backup:CreateRestoreAccessBackupVault", out["PolicyDocument"])
        json.loads(out["PolicyDocument"])

    def test_get_resource_policy_with_wrong_name_is_invalid_parameter(self):
        with self.assertRaises(self.mpa.exceptions.InvalidParameterException) as ctx:
            self.mpa.get_resource_policy(ResourceArn=self.team_arn, PolicyName="NoSuchPolicy", PolicyType="AWS_MANAGED")

        self.assertClientError(ctx, "InvalidParameterException", 400, "NoSuchPolicy")

    def test_get_resource_policy_with_wrong_type_is_invalid_parameter(self):
        with self.assertRaises(self.mpa.exceptions.InvalidParameterException) as ctx:
            self.mpa.get_resource_policy(
                ResourceArn=self.team_arn, PolicyName="CreateRestoreAccessVault", PolicyType="AWS_RAM"
            )

        self.assertClientError(ctx, "InvalidParameterException", 400, "AWS_RAM")

    def test_get_resource_policy_of_identity_source_is_invalid_parameter(self):
        with self.assertRaises(self.mpa.exceptions.InvalidParameterException) as ctx:
            self.mpa.get_resource_policy(
                ResourceArn=self.account.identity_source_arn, PolicyName="CreateRestoreAccessVault",
                PolicyType="AWS_MANAGED",
            )

        self.assertClientError(ctx, "InvalidParameterException", 400, "approval team")

    def test_list_resource_policies_of_unknown_team_is_not_found(self):
        arn = self.team_arn + "x"

        with self.assertRaises(self.mpa.exceptions.ResourceNotFoundException) as ctx:
            self.mpa.list_resource_policies(ResourceArn=arn)

        self.assertClientError(ctx, "ResourceNotFoundException", 404, arn)


if __name__ == "__main__":
    unittest.main()
