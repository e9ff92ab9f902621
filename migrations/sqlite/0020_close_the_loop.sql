-- Close the Loop (issue 8): requests matched to shipped release items, and the email that tells
-- the customer. Keep in step with ../postgres/0020_close_the_loop.sql.

-- A request that came in as a signal (topic "feature request") keeps the signal's id, so the
-- signal sent again updates the same request.
ALTER TABLE feature_requests ADD COLUMN signal_id INTEGER REFERENCES signals(id) ON DELETE CASCADE;
CREATE UNIQUE INDEX feature_requests_signal ON feature_requests (signal_id);
-- The request that names this one's theme (near-duplicates across accounts share it).
ALTER TABLE feature_requests ADD COLUMN theme_id INTEGER;
ALTER TABLE feature_requests ADD COLUMN created_by TEXT;

-- One line of a release: a bullet point or a heading of its notes.
CREATE TABLE release_items (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    release_id   INTEGER NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    text         TEXT    NOT NULL,
    UNIQUE (release_id, position)
);
CREATE INDEX release_items_ws ON release_items (workspace_id);

-- A (request, release item) pair the matcher proposed. Confirmed and rejected pairs are kept as
-- decided: a rejected pair is never proposed again.
CREATE TABLE request_matches (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    request_id   INTEGER NOT NULL REFERENCES feature_requests(id) ON DELETE CASCADE,
    item_id      INTEGER NOT NULL REFERENCES release_items(id) ON DELETE CASCADE,
    score        REAL    NOT NULL,
    -- JSON array of the words both sides share (stems), for highlighting.
    terms        TEXT    NOT NULL DEFAULT '[]',
    status       TEXT    NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'confirmed', 'rejected')),
    decided_by   TEXT,
    decided_at   TEXT,
    PRIMARY KEY (request_id, item_id)
);
CREATE INDEX request_matches_ws ON request_matches (workspace_id, status);
CREATE INDEX request_matches_item ON request_matches (item_id);

-- How the workspace sends email. The SMTP password is sealed like integration credentials.
CREATE TABLE email_settings (
    workspace_id     INTEGER PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    host             TEXT    NOT NULL,
    port             INTEGER NOT NULL,
    security         TEXT    NOT NULL CHECK (security IN ('starttls', 'tls', 'none')),
    username         TEXT,
    password_sealed  BLOB,
    from_address     TEXT    NOT NULL,
    from_name        TEXT    NOT NULL,
    reply_to         TEXT,
    signature        TEXT    NOT NULL DEFAULT '',
    subject_template TEXT    NOT NULL,
    body_template    TEXT    NOT NULL,
    per_minute       INTEGER NOT NULL DEFAULT 20 CHECK (per_minute BETWEEN 1 AND 600),
    updated_at       TEXT    NOT NULL
);

-- Every email Success sends, once. The idempotency key names what it is about (account, request,
-- release item): queueing it again finds the same row. States: queued → sending → sent | failed |
-- unknown (the sender stopped after handing the message over, so the SMTP server may or may not
-- have it; a person checks, it is never sent again on its own).
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    idempotency_key TEXT    NOT NULL,
    account_id      INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    request_id      INTEGER REFERENCES feature_requests(id) ON DELETE SET NULL,
    item_id         INTEGER REFERENCES release_items(id) ON DELETE SET NULL,
    contact_id      INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    to_address      TEXT    NOT NULL,
    to_name         TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    text_body       TEXT    NOT NULL,
    html_body       TEXT    NOT NULL,
    message_id      TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'unknown')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    error           TEXT,
    queued_by       TEXT    NOT NULL,
    queued_at       TEXT    NOT NULL,
    not_before      TEXT    NOT NULL,
    claimed_at      TEXT,
    claimed_by      TEXT,
    -- Set (and committed) just before the message's bytes go to the SMTP server: a claim that
    -- ends without it never reached the server and is safe to send again.
    handed_at       TEXT,
    finished_at     TEXT,
    UNIQUE (workspace_id, idempotency_key)
);
CREATE INDEX outbox_due ON outbox (state, not_before);
CREATE INDEX outbox_account ON outbox (account_id);
