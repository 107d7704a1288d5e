-- The index of a team's sessions in list order also carries the columns
-- that ListSessions filters test. A filter that no index can seek, such as
-- CONTAINS or NE, is then checked on index entries, and only the rows that
-- match are read from the table. PostgreSQL checks such a filter on the
-- table row whatever the index holds, so its schema has no such change.
DROP INDEX sessions_team;
CREATE INDEX sessions_team ON sessions (team_arn, initiation_time DESC, seq DESC, action_name, status, expiration_time);
