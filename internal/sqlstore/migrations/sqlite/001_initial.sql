-- Keyturn's initial schema. Times are Unix nanoseconds in UTC. Each record
-- is a JSON document in doc, with the columns that queries filter and sort
-- on copied beside it.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE identity_sources (
    account_id TEXT NOT NULL,
    region     TEXT NOT NULL,
    arn        TEXT NOT NULL UNIQUE,
    doc        TEXT NOT NULL,
    PRIMARY KEY (account_id, region)
);

CREATE TABLE users (
    account_id TEXT NOT NULL,
    region     TEXT NOT NULL,
    id         TEXT NOT NULL,
    user_name  TEXT NOT NULL,
    doc        TEXT NOT NULL,
    PRIMARY KEY (account_id, region, id),
    UNIQUE (account_id, region, user_name)
);

CREATE TABLE credentials (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    region     TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    hash       TEXT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX credentials_user ON credentials (account_id, region, user_id);
CREATE UNIQUE INDEX credentials_hash ON credentials (kind, hash) WHERE hash <> '';

CREATE TABLE one_time_codes (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX one_time_codes_user ON one_time_codes (user_id, purpose, created_at);
CREATE INDEX one_time_codes_account ON one_time_codes (account_id);

CREATE TABLE teams (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    arn           TEXT NOT NULL UNIQUE,
    account_id    TEXT NOT NULL,
    region        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    next_deadline INTEGER,
    doc           TEXT NOT NULL
);
CREATE INDEX teams_account ON teams (account_id, region, created_at DESC, seq DESC);
CREATE INDEX teams_deadline ON teams (next_deadline) WHERE next_deadline IS NOT NULL;

CREATE TABLE sessions (
    seq                  INTEGER PRIMARY KEY AUTOINCREMENT,
    arn                  TEXT NOT NULL UNIQUE,
    team_arn             TEXT NOT NULL,
    action_name          TEXT NOT NULL,
    status               TEXT NOT NULL,
    initiation_time      INTEGER NOT NULL,
    expiration_time      INTEGER NOT NULL,
    requester_account_id TEXT NOT NULL,
    client_token         TEXT NOT NULL,
    doc                  TEXT NOT NULL
);
CREATE INDEX sessions_team ON sessions (team_arn, initiation_time DESC, seq DESC);
CREATE INDEX sessions_team_status ON sessions (team_arn, status, initiation_time DESC, seq DESC);
CREATE INDEX sessions_team_action ON sessions (team_arn, action_name, initiation_time DESC, seq DESC);
CREATE INDEX sessions_pending ON sessions (expiration_time) WHERE status = 'PENDING';
CREATE UNIQUE INDEX sessions_client_token ON sessions (team_arn, requester_account_id, client_token) WHERE client_token <> '';

CREATE TABLE votes (
    session_arn TEXT NOT NULL,
    approver_id TEXT NOT NULL,
    voted_at    INTEGER NOT NULL,
    doc         TEXT NOT NULL,
    PRIMARY KEY (session_arn, approver_id)
);

CREATE TABLE policy_versions (
    policy_arn TEXT NOT NULL,
    version    INTEGER NOT NULL,
    is_default INTEGER NOT NULL,
    doc        TEXT NOT NULL,
    PRIMARY KEY (policy_arn, version)
);

CREATE TABLE tags (
    resource_arn TEXT NOT NULL,
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,
    PRIMARY KEY (resource_arn, key)
);

CREATE TABLE idempotency_records (
    key          TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    result       TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX idempotency_records_created ON idempotency_records (created_at);
