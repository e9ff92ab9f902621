-- Rescoring reads its inputs in spans of accounts, alongside its write, instead of all at once.
-- Keep in step with ../sqlite/0027_rescore_by_span.sql. The signals index SQLite re-keys there
-- holds whole rows, which PostgreSQL's size-limited b-tree entries cannot; here the
-- (account, occurred_at) index serves a span's conversations.

-- A span's product areas of the latest week: one range of (workspace, week, account).
DROP INDEX usage_weeks_ws_week;
CREATE INDEX usage_weeks_ws_week ON usage_weeks (workspace_id, week_start, account_id);
