-- Every stage change of a deal (and its opening by routing), for the account's activity feed
-- and the pipeline's history. Written in the same transaction as the move.
CREATE TABLE deal_moves (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    deal_id      INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    from_stage   TEXT,
    to_stage     TEXT NOT NULL,
    moved_by     TEXT NOT NULL,
    moved_at     TEXT NOT NULL
);
CREATE INDEX deal_moves_account ON deal_moves (account_id, moved_at);
