-- A CSM's manual band for an account, with the reason and the day it lapses. One per account;
-- setting a new one replaces it. Reads ignore it after expires_on, so expiry needs no job.
CREATE TABLE health_overrides (
    account_id   BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    band         TEXT NOT NULL CHECK (band IN ('green', 'amber', 'red')),
    reason       TEXT NOT NULL,
    expires_on   TEXT NOT NULL,
    set_by_id    BIGINT,
    set_by_name  TEXT NOT NULL,
    set_at       TEXT NOT NULL
);
CREATE INDEX health_overrides_ws ON health_overrides (workspace_id, expires_on);
