-- Convert ranks prospects that are not trialling beside running trials. A prospect's likelihood,
-- explanation and priority live here, one row per such account, rewritten by every likelihood
-- refresh (a row goes once the account is no longer a prospect or starts a trial).
-- Keep in step with ../sqlite/0023_convert_prospects.sql.
CREATE TABLE convert_prospects (
    account_id     BIGINT NOT NULL PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    workspace_id   BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    likelihood     BIGINT NOT NULL,
    explained      TEXT   NOT NULL,
    priority_minor BIGINT NOT NULL
);
-- The queue's two orders that page on an index.
CREATE INDEX convert_prospects_ws_priority ON convert_prospects (workspace_id, priority_minor DESC, account_id);
CREATE INDEX convert_prospects_ws_likelihood ON convert_prospects (workspace_id, likelihood DESC, account_id);
