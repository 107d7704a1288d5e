"""ListSessions through boto3's paginator, checked against a model of the
sessions built from GetSession, and session expiry on the read path."""

import datetime
import random
import threading
import unittest

import botocore.exceptions

import harness
from harness import Account, KeyturnTestCase, Server, iso, shared_url

# The seed of every random choice in this module: the sessions of the
# corpus, the filters and the pagination settings. A failure message names
# the case number, so a failure can be replayed.
SEED = 20250311

ACTIONS = (
    "test:Deploy",
    "test:DeployCanary",
    "test:deploy",
    "test:RotateKey",
    "test:DeleteData",
    "test:Backup.Restore",
    "test:Drop_100",
)
# "%" and "_" are SQL LIKE wildcards, so CONTAINS must treat them literally.
SUBSTRINGS = ("Deploy", "deploy", "test:", "Key", "Data", ".", "Canary", "zzz", "e", "%", "_", "D_o")
STATUSES = ("PENDING", "APPROVED", "FAILED", "CANCELLED", "CREATING")

# What happens to each session of the corpus after it starts.
FATES = ("pending", "pending", "one-vote", "approved", "rejected", "cancelled", "expired")

# Seconds by which the clock moves after each start. Zero keeps several
# sessions within a millisecond or two of each other.
CLOCK_STEPS = (0, 0, 0, 1, 30, 90, 600, 1800)

# Sessions started at once from as many threads, to share initiation times.
BURST_SIZE = 4

# How many filters a random case combines: mostly one or two, because
# every filter must hold and four rarely leave any session.
FILTER_COUNTS = (1, 1, 1, 1, 2, 2, 2, 3, 3, 4)

UTC = datetime.timezone.utc


class Session:
    """A session of the model: what GetSession returned, and its place in
    the order in which the server created the sessions."""

    def __init__(self, order, output):
        self.order = order
        self.arn = output["SessionArn"]
        self.action = output["ActionName"]
        self.status = output["Status"]
        self.initiation = output["InitiationTime"]

    def sort_key(self):
        # Newest first by initiation time, then by creation, newest first.
        return (self.initiation, self.order)

    def __repr__(self):
        return f"<{self.order} {self.action} {self.status} {iso(self.initiation)}>"


def newest_first(sessions):
    return sorted(sessions, key=Session.sort_key, reverse=True)


def apply_fate(account, arn, fate):
    if fate == "one-vote":
        account.vote(arn, "carol", "APPROVED")
    elif fate == "approved":
        account.vote(arn, "alice", "APPROVED")
        account.vote(arn, "bob", "APPROVED")
    elif fate == "rejected":
        account.vote(arn, "alice", "REJECTED")
        account.vote(arn, "carol", "REJECTED")
    elif fate == "cancelled":
        account.mpa.cancel_session(SessionArn=arn)


def start_burst(account, team_arn, actions):
    """Start one session per action at the same moment, from several
    threads, so that some share an initiation time. Return their ARNs in no
    particular order."""
    barrier = threading.Barrier(len(actions))
    arns = [None] * len(actions)
    errors = []

    def start(i):
        try:
            barrier.wait(timeout=10)
            arns[i] = account.start_session(
                team_arn, actions[i], DurationMinutes=harness.LONG_SESSION_MINUTES, Description="corpus burst"
            )["SessionArn"]
        except Exception as err:  # reported below, in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(len(actions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return arns


def start_corpus(account, team_arn, rng, count):
    """Start about count sessions with a spread of actions, fates and
    initiation times. Return groups of ARNs in the order the groups
    started: one ARN for a session started alone, several for a burst
    started at once, whose creation order is unknown. Every session that is
    meant to expire has done so when this returns."""
    groups = []
    started = 0
    while started < count:
        if rng.random() < 0.1:
            arns = start_burst(account, team_arn, [rng.choice(ACTIONS) for _ in range(BURST_SIZE)])
            for arn in arns:
                apply_fate(account, arn, rng.choice(("pending", "approved", "cancelled")))
        else:
            fate = rng.choice(FATES)
            minutes = 1 if fate == "expired" else harness.LONG_SESSION_MINUTES
            arn = account.start_session(
                team_arn, rng.choice(ACTIONS), DurationMinutes=minutes, Description=f"corpus session: {fate}"
            )["SessionArn"]
            apply_fate(account, arn, fate)
            arns = [arn]
        groups.append(arns)
        started += len(arns)

        step = rng.choice(CLOCK_STEPS)
        if step:
            account.advance_clock(step)
    # Sessions of one minute started in the last steps expire now.
    account.advance_clock(120)
    return groups


def load_model(mpa, team_arn, groups):
    """Build the model from GetSession of every session. The sessions of a
    burst were created in an order the test cannot see, so they take their
    order from one unfiltered listing, and every other listing must agree."""
    pages = mpa.get_paginator("list_sessions").paginate(ApprovalTeamArn=team_arn, PaginationConfig={"PageSize": 20})
    listed = [s["SessionArn"] for page in pages for s in page["Sessions"]]
    position = {arn: i for i, arn in enumerate(listed)}

    model = []
    order = 0
    for group in groups:
        # The listing is newest first, so the oldest of the group comes last.
        for arn in sorted(group, key=lambda a: position.get(a, -1), reverse=True):
            model.append(Session(order, mpa.get_session(SessionArn=arn)))
            order += 1
    return model


def random_time(rng, model):
    """Return (wire value, instant): a time at or near a session's
    initiation time, written in one of the ISO 8601 forms clients use."""
    instant = rng.choice(model).initiation + datetime.timedelta(milliseconds=rng.choice((-1, 0, 0, 0, 1, -700, 700)))
    style = rng.choice(("millis", "millis", "offset", "micros", "seconds"))
    if style == "millis":
        return iso(instant), instant
    if style == "offset":
        zone = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
        return instant.astimezone(zone).isoformat(timespec="milliseconds"), instant
    if style == "micros":
        return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), instant
    whole = instant.replace(microsecond=0)
    return whole.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), whole


def random_filter(rng, model):
    """Return (filter, predicate): a supported ListSessions filter, and a
    function that returns whether a model session matches it."""
    field = rng.choice(("ActionName", "SessionStatus", "InitiationTime"))

    if field == "ActionName":
        op = rng.choice(("EQ", "NE", "CONTAINS", "NOT_CONTAINS"))
        value = rng.choice(ACTIONS + ("test:Missing",)) if op in ("EQ", "NE") else rng.choice(SUBSTRINGS)
        predicate = {
            "EQ": lambda s: s.action == value,
            "NE": lambda s: s.action != value,
            "CONTAINS": lambda s: value in s.action,
            "NOT_CONTAINS": lambda s: value not in s.action,
        }[op]
        return {"FieldName": field, "Operator": op, "Value": value}, predicate

    if field == "SessionStatus":
        op = rng.choice(("EQ", "NE"))
        value = rng.choice(STATUSES)
        predicate = (lambda s: s.status == value) if op == "EQ" else (lambda s: s.status != value)
        return {"FieldName": field, "Operator": op, "Value": value}, predicate

    op = rng.choice(("GT", "LT", "GTE", "LTE", "BETWEEN"))
    if op == "BETWEEN":
        ends = [random_time(rng, model), random_time(rng, model)]
        ends.sort(key=lambda end: end[1])
        (low_text, low), (high_text, high) = ends
        joiner = rng.choice(("AND", "and", "And"))
        value = f"{low_text} {joiner} {high_text}"
        return {"FieldName": field, "Operator": op, "Value": value}, lambda s: low <= s.initiation <= high
    text, instant = random_time(rng, model)
    predicate = {
        "GT": lambda s: s.initiation > instant,
        "LT": lambda s: s.initiation < instant,
        "GTE": lambda s: s.initiation >= instant,
        "LTE": lambda s: s.initiation <= instant,
    }[op]
    return {"FieldName": field, "Operator": op, "Value": text}, predicate


def paginate_all(mpa, team_arn, filters, page_size, max_items):
    """List every session with boto3's paginator, resuming with the
    paginator's token after each run that MaxItems cut short. Return the
    sessions and the pages of the final run."""
    paginator = mpa.get_paginator("list_sessions")
    config = {"PageSize": page_size}
    if max_items:
        config["MaxItems"] = max_items
    sessions = []
    for _ in range(200):
        pages = paginator.paginate(ApprovalTeamArn=team_arn, Filters=filters, PaginationConfig=dict(config))
        final_pages = list(pages)
        for page in final_pages:
            sessions.extend(page["Sessions"])
        if pages.resume_token is None:
            return sessions, final_pages
        config["StartingToken"] = pages.resume_token
    raise AssertionError(f"the paginator did not finish within 200 runs of MaxItems {max_items}")


class ListSessionsModelTest(KeyturnTestCase):
    """Compares ListSessions with a model of at least 48 sessions. The
    corpus moves the development clock, so the class has a server of its
    own."""

    SESSIONS = 48
    FILTER_CASES = 250

    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.account = Account(cls.server.url).setup("alice", "bob", "carol")
        cls.mpa = cls.account.mpa
        cls.team_arn = cls.account.create_active_team(["alice", "bob", "carol"], min_approvals=2)
        cls.rng = random.Random(SEED)
        groups = start_corpus(cls.account, cls.team_arn, cls.rng, cls.SESSIONS)
        cls.model = load_model(cls.mpa, cls.team_arn, groups)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_corpus_has_every_status(self):
        statuses = {s.status for s in self.model}

        self.assertEqual(statuses, {"PENDING", "APPROVED", "FAILED", "CANCELLED"}, f"statuses of the corpus {self.model}")
        expired = [s for s in self.model if s.status == "FAILED"]
        self.assertTrue(expired, "the corpus has no FAILED session")

    def test_unfiltered_list_with_every_page_size(self):
        want = [s.arn for s in newest_first(self.model)]
        for page_size in range(1, 21):
            with self.subTest(PageSize=page_size):
                sessions, pages = paginate_all(self.mpa, self.team_arn, [], page_size, None)

                got = [s["SessionArn"] for s in sessions]
                self.assertEqual(got, want, f"sessions listed with PageSize {page_size}")
                self.assertEqual(len(pages), max(1, -(-len(want) // page_size)), "number of pages")
                self.assertNotIn("NextToken", pages[-1], "the last page has a NextToken")

    def test_summaries_match_get_session(self):
        listed = self.mpa.list_sessions(ApprovalTeamArn=self.team_arn, MaxResults=20)["Sessions"]
        members = (
            "SessionArn", "ApprovalTeamName", "ApprovalTeamArn", "InitiationTime", "ExpirationTime",
            "CompletionTime", "Description", "ActionName", "RequesterServicePrincipal", "RequesterPrincipalArn",
            "RequesterRegion", "RequesterAccountId", "Status", "StatusCode", "StatusMessage",
            "ActionCompletionStrategy",
        )

        for summary in listed:
            full = self.mpa.get_session(SessionArn=summary["SessionArn"])
            for member in members:
                with self.subTest(session=summary["SessionArn"], member=member):
                    self.assertEqual(summary.get(member), full.get(member), f"{member} in ListSessions and GetSession")

    def test_random_filters_and_pagination_match_the_model(self):
        rng = random.Random(SEED + 1)
        for case in range(self.FILTER_CASES):
            chosen = [random_filter(rng, self.model) for _ in range(rng.choice(FILTER_COUNTS))]
            filters = [f for f, _ in chosen]
            want = [s.arn for s in newest_first(self.model) if all(p(s) for _, p in chosen)]
            page_size = rng.randint(1, 20)
            max_items = rng.choice((None, None, rng.randint(1, max(1, len(want)))))
            context = f"case {case} (seed {SEED}): Filters={filters} PageSize={page_size} MaxItems={max_items}"

            with self.subTest(case=case):
                try:
                    sessions, pages = paginate_all(self.mpa, self.team_arn, filters, page_size, max_items)
                except botocore.exceptions.PaginationError as err:
                    self.fail(f"{context}: {err}")

                got = [s["SessionArn"] for s in sessions]
                self.assertEqual(len(got), len(set(got)), f"{context}: a session was listed twice")
                self.assertEqual(got, want, f"{context}: listed sessions differ from the model")
                self.assertNotIn("NextToken", pages[-1], f"{context}: the last page has a NextToken")

    def test_resume_after_partial_run_with_same_token(self):
        want = [s.arn for s in newest_first(self.model)]
        paginator = self.mpa.get_paginator("list_sessions")
        first = paginator.paginate(ApprovalTeamArn=self.team_arn, PaginationConfig={"PageSize": 5, "MaxItems": 7})
        head = [s["SessionArn"] for page in first for s in page["Sessions"]]
        token = first.resume_token

        tails = []
        for _ in range(2):
            rest = paginator.paginate(ApprovalTeamArn=self.team_arn, PaginationConfig={"PageSize": 5, "StartingToken": token})
            tails.append([s["SessionArn"] for page in rest for s in page["Sessions"]])

        self.assertEqual(head, want[:7])
        self.assertEqual(tails[0], want[7:], "sessions after resuming")
        self.assertEqual(tails[1], tails[0], "a second resume from the same token")

    def test_status_filter_for_each_status(self):
        for status in ("PENDING", "APPROVED", "FAILED", "CANCELLED"):
            with self.subTest(status=status):
                filters = [{"FieldName": "SessionStatus", "Operator": "EQ", "Value": status}]
                sessions, _ = paginate_all(self.mpa, self.team_arn, filters, 20, None)

                got = sorted(s["SessionArn"] for s in sessions)
                want = sorted(s.arn for s in self.model if s.status == status)
                self.assertEqual(got, want, f"sessions with status {status}")
                self.assertTrue(all(s["Status"] == status for s in sessions))


class ListSessionsValidationTest(KeyturnTestCase):
    """Invalid filters and pagination tokens."""

    SUPPORTED = "ActionName with EQ, NE, CONTAINS or NOT_CONTAINS"

    @classmethod
    def setUpClass(cls):
        cls.account = Account(shared_url()).setup("alice")
        cls.mpa = cls.account.mpa
        cls.team_arn = cls.account.create_active_team(["alice"])
        cls.other_team_arn = cls.account.create_active_team(["alice"])
        for action in ("test:One", "test:Two", "test:Three"):
            cls.account.start_session(cls.team_arn, action)
            cls.account.start_session(cls.other_team_arn, action)

    def check_invalid(self, filters, *fragments):
        with self.assertRaises(self.mpa.exceptions.ValidationException) as ctx:
            self.mpa.list_sessions(ApprovalTeamArn=self.team_arn, Filters=filters)
        self.assertClientError(ctx, "ValidationException", 400, *fragments)

    def test_unsupported_fields(self):
        for field in ("ApprovalTeamName", "VotingTime", "Vote"):
            with self.subTest(field=field):
                self.check_invalid(
                    [{"FieldName": field, "Operator": "EQ", "Value": "x"}],
                    "Filters[0]", field, "not supported", self.SUPPORTED,
                )

    def test_unsupported_operators(self):
        unsupported = {
            "ActionName": (("GT", "LT", "GTE", "LTE", "BETWEEN"), "use EQ, NE, CONTAINS or NOT_CONTAINS"),
            "SessionStatus": (("GT", "LT", "GTE", "LTE", "BETWEEN", "CONTAINS", "NOT_CONTAINS"), "use EQ or NE"),
            "InitiationTime": (("EQ", "NE", "CONTAINS", "NOT_CONTAINS"), "use GT, LT, GTE, LTE or BETWEEN"),
        }
        for field, (operators, supported) in unsupported.items():
            for op in operators:
                with self.subTest(field=field, operator=op):
                    self.check_invalid(
                        [{"FieldName": field, "Operator": op, "Value": "PENDING"}],
                        "Filters[0]", f"operator {op} is not supported for {field}", supported,
                    )

    def test_missing_members(self):
        cases = [
            ({"Operator": "EQ", "Value": "test:One"}, "FieldName"),
            ({"FieldName": "ActionName", "Value": "test:One"}, "Operator"),
            ({"FieldName": "SessionStatus", "Operator": "EQ"}, "Value"),
            ({"FieldName": "InitiationTime", "Operator": "GT"}, "Value"),
        ]
        for f, member in cases:
            with self.subTest(filter=f):
                self.check_invalid([f], "Filters[0]", member)

    def test_error_names_the_failing_filter(self):
        good = {"FieldName": "ActionName", "Operator": "EQ", "Value": "test:One"}
        bad = {"FieldName": "SessionStatus", "Operator": "EQ", "Value": "DONE"}

        self.check_invalid([good, good, bad], "Filters[2]", "DONE", "PENDING, CANCELLED, APPROVED, FAILED or CREATING")

    def test_bad_times(self):
        cases = [
            ("GT", "yesterday", "is not an ISO 8601 time"),
            ("LTE", "2025-13-01T00:00:00Z", "is not an ISO 8601 time"),
            ("GTE", "2025-03-11", "is not an ISO 8601 time"),
            ("BETWEEN", "2025-01-01T00:00:00Z", "is invalid for BETWEEN"),
            ("BETWEEN", "2025-01-01T00:00:00Z TO 2025-02-01T00:00:00Z", "is invalid for BETWEEN"),
            ("BETWEEN", "2025-01-01T00:00:00Z AND soon", "is not an ISO 8601 time"),
            ("BETWEEN", "2025-02-01T00:00:00Z AND 2025-01-01T00:00:00Z", "reversed"),
        ]
        for op, value, fragment in cases:
            with self.subTest(operator=op, value=value):
                self.check_invalid([{"FieldName": "InitiationTime", "Operator": op, "Value": value}], "Filters[0]", fragment)

    def first_token(self, team_arn=None, filters=()):
        out = self.mpa.list_sessions(ApprovalTeamArn=team_arn or self.team_arn, MaxResults=1, Filters=list(filters))
        self.assertIn("NextToken", out, "a first page of one session out of three has no NextToken")
        return out["NextToken"]

    def test_tampered_token_is_invalid(self):
        token = self.first_token()
        middle = len(token) // 2
        replacement = "A" if token[middle] != "A" else "B"
        tampered = token[:middle] + replacement + token[middle + 1:]

        for bad in (tampered, token[:-4], "not-a-token", token + "x"):
            with self.subTest(token=bad):
                with self.assertRaises(self.mpa.exceptions.ValidationException) as ctx:
                    self.mpa.list_sessions(ApprovalTeamArn=self.team_arn, MaxResults=1, NextToken=bad)
                self.assertClientError(ctx, "ValidationException", 400, "NextToken")

    def test_token_with_other_filters_is_invalid(self):
        filters = [{"FieldName": "ActionName", "Operator": "CONTAINS", "Value": "test:"}]
        token = self.first_token(filters=filters)
        others = [{"FieldName": "ActionName", "Operator": "CONTAINS", "Value": "test:T"}]

        with self.assertRaises(self.mpa.exceptions.ValidationException) as ctx:
            self.mpa.list_sessions(ApprovalTeamArn=self.team_arn, MaxResults=1, NextToken=token, Filters=others)

        self.assertClientError(ctx, "ValidationException", 400, "NextToken", "filters")

    def test_token_without_its_filters_is_invalid(self):
        filters = [{"FieldName": "SessionStatus", "Operator": "EQ", "Value": "PENDING"}]
        token = self.first_token(filters=filters)

        with self.assertRaises(self.mpa.exceptions.ValidationException):
            self.mpa.list_sessions(ApprovalTeamArn=self.team_arn, MaxResults=1, NextToken=token)

    def test_token_of_another_team_is_invalid(self):
        token = self.first_token(team_arn=self.other_team_arn)

        with self.assertRaises(self.mpa.exceptions.ValidationException) as ctx:
            self.mpa.list_sessions(ApprovalTeamArn=self.team_arn, MaxResults=1, NextToken=token)

        self.assertClientError(ctx, "ValidationException", 400, "NextToken")

    def test_token_of_another_operation_is_invalid(self):
        self.account.create_team(["alice"])
        teams = self.mpa.list_approval_teams(MaxResults=1)
        self.assertIn("NextToken", teams)

        with self.assertRaises(self.mpa.exceptions.ValidationException):
            self.mpa.list_sessions(ApprovalTeamArn=self.team_arn, MaxResults=1, NextToken=teams["NextToken"])

    def test_same_token_twice_returns_the_same_page(self):
        token = self.first_token()

        first = self.mpa.list_sessions(ApprovalTeamArn=self.team_arn, MaxResults=1, NextToken=token)
        second = self.mpa.list_sessions(ApprovalTeamArn=self.team_arn, MaxResults=1, NextToken=token)

        self.assertEqual(first["Sessions"], second["Sessions"])
        self.assertNotEqual(first["NextToken"], second["NextToken"], "the server issued the same token twice")

    def test_unknown_team_is_not_found(self):
        arn = self.team_arn + "-gone"

        with self.assertRaises(self.mpa.exceptions.ResourceNotFoundException) as ctx:
            self.mpa.list_sessions(ApprovalTeamArn=arn)

        self.assertClientError(ctx, "ResourceNotFoundException", 404, arn)


class ListSessionsWhilePagingTest(KeyturnTestCase):
    def test_new_session_while_paging(self):
        account = Account(shared_url()).setup("alice")
        team_arn = account.create_active_team(["alice"])
        arns = [account.start_session(team_arn, f"test:Step{i}")["SessionArn"] for i in range(7)]
        want = list(reversed(arns))

        first = account.mpa.list_sessions(ApprovalTeamArn=team_arn, MaxResults=3)
        newcomer = account.start_session(team_arn, "test:Newcomer")["SessionArn"]
        seen = [s["SessionArn"] for s in first["Sessions"]]
        token = first.get("NextToken")
        while token:
            page = account.mpa.list_sessions(ApprovalTeamArn=team_arn, MaxResults=3, NextToken=token)
            seen += [s["SessionArn"] for s in page["Sessions"]]
            token = page.get("NextToken")

        self.assertEqual(seen, want, "older sessions listed while a new one started")
        fresh = account.mpa.list_sessions(ApprovalTeamArn=team_arn, MaxResults=20)["Sessions"]
        self.assertEqual([s["SessionArn"] for s in fresh], [newcomer] + want, "a new listing")


class SessionExpiryTest(KeyturnTestCase):
    """A session past its expiration time shows FAILED with EXPIRED as soon
    as the clock has moved. Moving the clock through the development API
    also sweeps, so this shows what a client sees, not which path applied
    the expiry. SessionExpiryReadPathTest isolates the read path."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server("--sweep-interval", "1h").start()
        cls.account = Account(cls.server.url).setup("alice", "bob")
        cls.mpa = cls.account.mpa
        cls.team_arn = cls.account.create_active_team(["alice", "bob"], min_approvals=2)
        cls.expiring = cls.account.start_session(cls.team_arn, "test:Expire", DurationMinutes=60)["SessionArn"]
        cls.lasting = cls.account.start_session(
            cls.team_arn, "test:Last", DurationMinutes=harness.LONG_SESSION_MINUTES
        )["SessionArn"]
        cls.account.vote(cls.expiring, "alice", "APPROVED")
        cls.account.advance_clock(3601)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def listed(self, *filters):
        pages = self.mpa.get_paginator("list_sessions").paginate(ApprovalTeamArn=self.team_arn, Filters=list(filters))
        return {s["SessionArn"]: s for page in pages for s in page["Sessions"]}

    def test_get_session_shows_expired(self):
        s = self.mpa.get_session(SessionArn=self.expiring)

        self.assertEqual((s["Status"], s.get("StatusCode")), ("FAILED", "EXPIRED"))
        self.assertEqual(s["CompletionTime"], s["ExpirationTime"])
        self.assertIn("expired", s["StatusMessage"])
        self.assertEqual([r["Response"] for r in s["ApproverResponses"]], ["APPROVED", "NO_RESPONSE"])

    def test_list_sessions_shows_expired(self):
        listed = self.listed()

        self.assertEqual(listed[self.expiring]["Status"], "FAILED")
        self.assertEqual(listed[self.expiring].get("StatusCode"), "EXPIRED")
        self.assertEqual(listed[self.lasting]["Status"], "PENDING")

    def test_status_filters_treat_expired_as_failed(self):
        cases = [
            ("EQ", "FAILED", {self.expiring}),
            ("EQ", "PENDING", {self.lasting}),
            ("NE", "PENDING", {self.expiring}),
            ("NE", "FAILED", {self.lasting}),
        ]
        for op, value, want in cases:
            with self.subTest(operator=op, value=value):
                got = set(self.listed({"FieldName": "SessionStatus", "Operator": op, "Value": value}))
                self.assertEqual(got, want, f"SessionStatus {op} {value}")

    def test_vote_on_expired_session_conflicts(self):
        with self.assertRaises(harness.KeyturnAPIError) as ctx:
            self.account.vote(self.expiring, "bob", "APPROVED")

        self.assertAPIError(ctx, "ConflictException", 409, "FAILED", "no longer takes votes")

    def test_cancel_of_expired_session_conflicts(self):
        with self.assertRaises(self.mpa.exceptions.ConflictException) as ctx:
            self.mpa.cancel_session(SessionArn=self.expiring)

        self.assertClientError(ctx, "ConflictException", 409, "FAILED", "can no longer be cancelled")


class SessionExpiryReadPathTest(KeyturnTestCase):
    """Two servers share one SQLite file, and each sweeper waits an hour.
    The clock of `ahead` moves two hours, and its sweep, before the session
    starts, so no sweep sees the session expire. `ahead` then reports the
    expiry from the read path alone, while `real`, on the real clock, still
    reads the stored PENDING session."""

    @classmethod
    def setUpClass(cls):
        cls.ahead = Server("--sweep-interval", "1h").start()
        cls.real = Server("--sweep-interval", "1h", database=cls.ahead.database, workdir=cls.ahead.workdir).start()
        account_id = harness.new_account_id()
        cls.on_ahead = Account(cls.ahead.url, account_id)
        cls.on_real = Account(cls.real.url, account_id).setup("alice")
        cls.team_arn = cls.on_real.create_active_team(["alice"])

        cls.on_ahead.advance_clock(2 * 3600)
        cls.session_arn = cls.on_real.start_session(cls.team_arn, "test:ReadPath", DurationMinutes=60)["SessionArn"]

    @classmethod
    def tearDownClass(cls):
        cls.real.cleanup()
        cls.ahead.cleanup()

    def status_filter(self, account, value):
        filters = [{"FieldName": "SessionStatus", "Operator": "EQ", "Value": value}]
        sessions = account.mpa.list_sessions(ApprovalTeamArn=self.team_arn, Filters=filters)["Sessions"]
        return [s["SessionArn"] for s in sessions]

    def test_reads_on_the_moved_clock_show_expired(self):
        got = self.on_ahead.mpa.get_session(SessionArn=self.session_arn)
        listed = self.on_ahead.mpa.list_sessions(ApprovalTeamArn=self.team_arn)["Sessions"]

        self.assertEqual((got["Status"], got.get("StatusCode")), ("FAILED", "EXPIRED"), "GetSession on the moved clock")
        self.assertEqual(got["CompletionTime"], got["ExpirationTime"])
        self.assertEqual([(s["SessionArn"], s["Status"]) for s in listed], [(self.session_arn, "FAILED")])
        self.assertEqual(self.status_filter(self.on_ahead, "FAILED"), [self.session_arn])
        self.assertEqual(self.status_filter(self.on_ahead, "PENDING"), [])

    def test_stored_session_is_still_pending(self):
        self.on_ahead.mpa.get_session(SessionArn=self.session_arn)

        got = self.on_real.mpa.get_session(SessionArn=self.session_arn)

        self.assertEqual(got["Status"], "PENDING", "the expiry was written to the store")
        self.assertNotIn("CompletionTime", got)
        self.assertEqual(self.status_filter(self.on_real, "PENDING"), [self.session_arn])


if __name__ == "__main__":
    unittest.main()
