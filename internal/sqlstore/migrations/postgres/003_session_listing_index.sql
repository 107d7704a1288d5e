-- SQLite's migration 003 widens the index of a team's sessions, so that
-- filters are checked on index entries. PostgreSQL checks a filter that no
-- index can seek on the table row whatever the index holds, so its schema
-- does not change, and this migration only keeps the two version numbers
-- in step.
SELECT 1;
