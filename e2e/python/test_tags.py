"""TagResource, UntagResource and ListTagsForResource on approval teams
and identity sources through boto3."""

import unittest

from harness import Account, KeyturnTestCase, shared_url


class TagTest(KeyturnTestCase):
    @classmethod
    def setUpClass(cls):
        cls.account = Account(shared_url())
        cls.account.create_identity_source(Tags={"owner": "security"})
        cls.account.create_user("alice")
        cls.mpa = cls.account.mpa
        cls.source_arn = cls.account.identity_source_arn

    def new_team(self, tags=None):
        members = {"Tags": tags} if tags else {}
        return self.account.create_team(["alice"], **members)["Arn"]

    def tags_of(self, arn):
        return self.mpa.list_tags_for_resource(ResourceArn=arn)["Tags"]

    def test_identity_source_keeps_tags_from_creation(self):
        self.assertEqual(self.tags_of(self.source_arn), {"owner": "security"})

    def test_tag_adds_and_replaces_values(self):
        arn = self.new_team({"env": "dev", "team": "platform"})

        self.mpa.tag_resource(ResourceArn=arn, Tags={"env": "prod", "tier": "1"})

        self.assertEqual(self.tags_of(arn), {"env": "prod", "team": "platform", "tier": "1"})

    def test_untag_removes_keys_and_ignores_absent_ones(self):
        arn = self.new_team({"env": "dev", "team": "platform", "tier": "1"})

        self.mpa.untag_resource(ResourceArn=arn, TagKeys=["env", "tier", "no-such-key"])

        self.assertEqual(self.tags_of(arn), {"team": "platform"})

    def test_untag_of_untagged_team_succeeds(self):
        arn = self.new_team()

        self.mpa.untag_resource(ResourceArn=arn, TagKeys=["absent"])

        self.assertEqual(self.tags_of(arn), {})

    def test_identity_source_tag_and_untag(self):
        self.mpa.tag_resource(ResourceArn=self.source_arn, Tags={"stage": "e2e"})
        self.assertEqual(self.tags_of(self.source_arn), {"owner": "security", "stage": "e2e"})

        self.mpa.untag_resource(ResourceArn=self.source_arn, TagKeys=["stage", "never-set"])

        self.assertEqual(self.tags_of(self.source_arn), {"owner": "security"})

    def test_empty_tag_value_is_kept(self):
        arn = self.new_team()

        self.mpa.tag_resource(ResourceArn=arn, Tags={"flag": ""})

        self.assertEqual(self.tags_of(arn), {"flag": ""})

    def test_fifty_one_tags_are_too_many(self):
        arn = self.new_team()

        with self.assertRaises(self.mpa.exceptions.TooManyTagsException) as ctx:
            self.mpa.tag_resource(ResourceArn=arn, Tags={f"key-{i}": "v" for i in range(51)})

        self.assertClientError(ctx, "TooManyTagsException", 400, "50")
        resource = ctx.exception.response.get("ResourceName")
        self.assertEqual(resource, arn, f"ResourceName of TooManyTagsException: got {resource!r}, want {arn!r}")
        self.assertEqual(self.tags_of(arn), {}, "tags written by the rejected request")

    def test_tags_beyond_fifty_in_total_are_too_many(self):
        arn = self.new_team({f"old-{i}": "v" for i in range(48)})

        with self.assertRaises(self.mpa.exceptions.TooManyTagsException) as ctx:
            self.mpa.tag_resource(ResourceArn=arn, Tags={"new-1": "v", "new-2": "v", "new-3": "v"})

        self.assertClientError(ctx, "TooManyTagsException", 400, "51")
        self.assertEqual(len(self.tags_of(arn)), 48, "tags after the rejected request")

    def test_fifty_tags_are_allowed(self):
        arn = self.new_team()

        self.mpa.tag_resource(ResourceArn=arn, Tags={f"key-{i}": "v" for i in range(50)})

        self.assertEqual(len(self.tags_of(arn)), 50)

    def test_tagging_a_session_is_invalid(self):
        team_arn = self.new_team()
        session_arn = team_arn.replace(":approval-team/", ":session/") + "/0f8fad5b-d9cb-469f-a165-70867728950e"

        with self.assertRaises(self.mpa.exceptions.ValidationException) as ctx:
            self.mpa.tag_resource(ResourceArn=session_arn, Tags={"k": "v"})

        self.assertClientError(ctx, "ValidationException", 400, "session")

    def test_reserved_aws_prefix_is_invalid(self):
        arn = self.new_team()

        with self.assertRaises(self.mpa.exceptions.ValidationException) as ctx:
            self.mpa.tag_resource(ResourceArn=arn, Tags={"aws:owner": "me"})

        self.assertClientError(ctx, "ValidationException", 400, "aws:")

    def test_unknown_team_is_not_found(self):
        arn = self.new_team() + "-gone"

        with self.assertRaises(self.mpa.exceptions.ResourceNotFoundException) as ctx:
            self.mpa.list_tags_for_resource(ResourceArn=arn)

        self.assertClientError(ctx, "ResourceNotFoundException", 404, arn)

    def test_deleted_team_loses_its_tags(self):
        created = self.account.create_team(["alice"], Tags={"short": "lived"})
        self.mpa.delete_inactive_approval_team_version(Arn=created["Arn"], VersionId=created["VersionId"])

        with self.assertRaises(self.mpa.exceptions.ResourceNotFoundException):
            self.mpa.tag_resource(ResourceArn=created["Arn"], Tags={"k": "v"})


if __name__ == "__main__":
    unittest.main()
