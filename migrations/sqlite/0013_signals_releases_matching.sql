-- Signals and releases in, and account matching (issue 5). Keep in step with
-- ../postgres/0013_signals_releases_matching.sql.

-- A signal sent to POST /api/v1/signals or imported from CSV carries the sender's id; sending it
-- again updates the same signal instead of adding a second.
ALTER TABLE signals ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX signals_ws_external ON signals (workspace_id, external_id);

-- Workspace API tokens (for the signals endpoint), stored only as SHA-256 hex digests.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    -- The first characters, so a person can tell tokens apart.
    prefix       TEXT    NOT NULL,
    created_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at   TEXT    NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX api_tokens_ws ON api_tokens (workspace_id);

-- Companies a vendor knows that matched no account (a PostHog group, a HubSpot company), for a
-- person to link in Settings → Data. Removed once linked.
CREATE TABLE unmatched_companies (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    source       TEXT    NOT NULL,
    external_id  TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    domain       TEXT,
    seen_at      TEXT    NOT NULL,
    PRIMARY KEY (workspace_id, source, external_id)
);

-- Merges of one account into another. The merged account is deleted; `snapshot` keeps what
-- undoing needs: its own fields, the ids of every row re-pointed to the kept account, and the rows
-- that could not move (a usage week both accounts had).
CREATE TABLE account_merges (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kept_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    merged_id    INTEGER NOT NULL,
    merged_name  TEXT    NOT NULL,
    snapshot     TEXT    NOT NULL,
    merged_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    merged_at    TEXT    NOT NULL,
    undone_at    TEXT
);
CREATE INDEX account_merges_ws ON account_merges (workspace_id, merged_at);

-- Seats the customer pays for, as the product reports them (a PostHog group property); usage
-- weeks are measured against it.
ALTER TABLE accounts ADD COLUMN licensed_seats INTEGER;

-- CRM deals (Attio) are upserted by their vendor id; `vendor_stage` is the stage the CRM last
-- reported, so a deal moved in Success keeps its place until the CRM's own stage changes.
CREATE UNIQUE INDEX deals_ws_source_external ON deals (workspace_id, source, external_id);
ALTER TABLE deals ADD COLUMN vendor_stage TEXT;
