-- Success domain model, SQLite flavour. Keep in step with ../postgres/0001_domain.sql.
-- Dates are ISO 'YYYY-MM-DD' text, instants RFC 3339 UTC text, money integer minor units.
-- Flags are INTEGER 0/1 (sqlx's Any driver does not decode SQLite BOOLEAN).

CREATE TABLE workspaces (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    slug        TEXT    NOT NULL UNIQUE,
    is_demo     INTEGER NOT NULL DEFAULT 0,
    currency    TEXT    NOT NULL DEFAULT 'USD',
    created_at  TEXT    NOT NULL
);

CREATE TABLE pipeline_stages (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    key          TEXT    NOT NULL,
    label        TEXT    NOT NULL,
    position     INTEGER NOT NULL,
    outcome      TEXT    NOT NULL CHECK (outcome IN ('open', 'won', 'lost')),
    PRIMARY KEY (workspace_id, key)
);

CREATE TABLE accounts (
    id             INTEGER PRIMARY KEY,
    workspace_id   INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    domain         TEXT,
    owner_name     TEXT,
    lifecycle      TEXT    NOT NULL CHECK (lifecycle IN ('prospect', 'trial', 'customer', 'churned')),
    tracked        INTEGER NOT NULL DEFAULT 1,
    industry       TEXT,
    employees      INTEGER,
    country        TEXT,
    created_at     TEXT    NOT NULL,
    -- Roll-ups of the account's revenue sources, kept by the store so queues sort by index.
    arr_minor      INTEGER NOT NULL DEFAULT 0,
    currency       TEXT    NOT NULL DEFAULT 'USD',
    renewal_date   TEXT,
    payment_state  TEXT    NOT NULL DEFAULT 'none'
);
CREATE INDEX accounts_ws_arr ON accounts (workspace_id, arr_minor DESC, id);
CREATE INDEX accounts_ws_name ON accounts (workspace_id, name, id);
CREATE INDEX accounts_ws_renewal ON accounts (workspace_id, renewal_date, id);
CREATE INDEX accounts_ws_lifecycle ON accounts (workspace_id, lifecycle, arr_minor DESC);

CREATE TABLE account_external_ids (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    source       TEXT    NOT NULL,
    external_id  TEXT    NOT NULL,
    PRIMARY KEY (workspace_id, source, external_id)
);
CREATE INDEX account_external_ids_account ON account_external_ids (account_id);

CREATE TABLE contacts (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    email        TEXT    NOT NULL,
    title        TEXT,
    is_champion  INTEGER NOT NULL DEFAULT 0,
    left_on      TEXT,
    opted_out    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX contacts_account ON contacts (account_id);

CREATE TABLE revenue_sources (
    id                    INTEGER PRIMARY KEY,
    workspace_id          INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    account_id            INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    source                TEXT    NOT NULL CHECK (source IN ('salesbricks', 'stripe')),
    external_id           TEXT    NOT NULL,
    plan                  TEXT    NOT NULL,
    status                TEXT    NOT NULL,
    currency              TEXT    NOT NULL,
    mrr_minor             INTEGER NOT NULL,
    billing_interval      TEXT    NOT NULL CHECK (billing_interval IN ('day', 'week', 'month', 'year')),
    interval_count        INTEGER NOT NULL DEFAULT 1,
    start_date            TEXT    NOT NULL,
    end_date              TEXT,
    renewal_date          TEXT,
    payment_state         TEXT    NOT NULL DEFAULT 'none',
    auto_renew            INTEGER NOT NULL DEFAULT 1,
    cancel_at_period_end  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (workspace_id, source, external_id)
);
CREATE INDEX revenue_sources_account ON revenue_sources (account_id);
CREATE INDEX revenue_sources_ws_renewal ON revenue_sources (workspace_id, renewal_date, id);

CREATE TABLE invoices (
    id                  INTEGER PRIMARY KEY,
    workspace_id        INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    account_id          INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    revenue_source_id   INTEGER REFERENCES revenue_sources(id) ON DELETE SET NULL,
    external_id         TEXT    NOT NULL,
    status              TEXT    NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'uncollectible', 'void')),
    currency            TEXT    NOT NULL,
    amount_due_minor    INTEGER NOT NULL,
    amount_paid_minor   INTEGER NOT NULL,
    amount_remaining_minor INTEGER NOT NULL,
    attempt_count       INTEGER NOT NULL DEFAULT 0,
    issued_on           TEXT    NOT NULL,
    due_on              TEXT,
    paid_at             TEXT,
    UNIQUE (workspace_id, external_id)
);
CREATE INDEX invoices_account ON invoices (account_id, issued_on);

CREATE TABLE usage_weeks (
    workspace_id     INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    account_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    week_start       TEXT    NOT NULL,
    active_users     INTEGER NOT NULL,
    licensed_seats   INTEGER NOT NULL,
    -- JSON object: feature key -> active users of that feature in the week
    feature_adoption TEXT    NOT NULL DEFAULT '{}',
    PRIMARY KEY (account_id, week_start)
);

CREATE TABLE signals (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    source       TEXT    NOT NULL CHECK (source IN ('call', 'support', 'survey', 'email', 'chat', 'other')),
    sentiment    REAL    NOT NULL CHECK (sentiment BETWEEN -1 AND 1),
    topic        TEXT    NOT NULL,
    quote        TEXT    NOT NULL,
    link         TEXT,
    occurred_at  TEXT    NOT NULL
);
CREATE INDEX signals_account ON signals (account_id, occurred_at);

CREATE TABLE deals (
    id                  INTEGER PRIMARY KEY,
    workspace_id        INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    account_id          INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name                TEXT    NOT NULL,
    stage               TEXT    NOT NULL,
    position            INTEGER NOT NULL DEFAULT 0,
    amount_minor        INTEGER NOT NULL,
    currency            TEXT    NOT NULL,
    expected_close      TEXT,
    source              TEXT    NOT NULL CHECK (source IN ('salesbricks', 'attio', 'manual', 'routed')),
    external_id         TEXT,
    closed_lost_reason  TEXT,
    lost_on             TEXT,
    version             INTEGER NOT NULL DEFAULT 1,
    updated_at          TEXT    NOT NULL,
    FOREIGN KEY (workspace_id, stage) REFERENCES pipeline_stages (workspace_id, key)
);
CREATE INDEX deals_ws_stage ON deals (workspace_id, stage, position);
CREATE INDEX deals_account ON deals (account_id);

CREATE TABLE trials (
    id                 INTEGER PRIMARY KEY,
    workspace_id       INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    account_id         INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    started_on         TEXT    NOT NULL,
    ends_on            TEXT    NOT NULL,
    seats              INTEGER NOT NULL,
    activation_events  INTEGER NOT NULL DEFAULT 0,
    -- NULL while running; 'converted' or 'lapsed' once decided
    outcome            TEXT CHECK (outcome IN ('converted', 'lapsed'))
);
CREATE INDEX trials_ws_ends ON trials (workspace_id, ends_on);
CREATE INDEX trials_account ON trials (account_id);

CREATE TABLE releases (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    source       TEXT    NOT NULL CHECK (source IN ('github', 'rss', 'changelog')),
    external_id  TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    url          TEXT,
    published_on TEXT    NOT NULL,
    UNIQUE (workspace_id, source, external_id)
);

CREATE TABLE feature_requests (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    contact_id   INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    project      TEXT    NOT NULL,
    quote        TEXT    NOT NULL,
    source_link  TEXT,
    requested_on TEXT    NOT NULL
);
CREATE INDEX feature_requests_ws ON feature_requests (workspace_id, requested_on);
CREATE INDEX feature_requests_account ON feature_requests (account_id);

CREATE TABLE health_scores (
    account_id   INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    score        INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),
    band         TEXT    NOT NULL CHECK (band IN ('green', 'amber', 'red')),
    -- JSON array of risk factors: {points, label, source, evidence}
    factors      TEXT    NOT NULL DEFAULT '[]',
    missing      TEXT    NOT NULL DEFAULT '[]',
    computed_at  TEXT    NOT NULL
);
CREATE INDEX health_scores_ws ON health_scores (workspace_id, score);

CREATE TABLE health_history (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    day          TEXT    NOT NULL,
    score        INTEGER NOT NULL,
    band         TEXT    NOT NULL,
    PRIMARY KEY (account_id, day)
);

CREATE TABLE routes (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    from_page    TEXT    NOT NULL,
    to_page      TEXT    NOT NULL,
    routed_by    TEXT    NOT NULL,
    note         TEXT,
    routed_at    TEXT    NOT NULL
);
CREATE INDEX routes_ws_to ON routes (workspace_id, to_page, routed_at);

CREATE TABLE integrations (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    source        TEXT    NOT NULL,
    config        TEXT    NOT NULL DEFAULT '{}',
    secret_sealed BLOB,
    connected_at  TEXT    NOT NULL,
    UNIQUE (workspace_id, source)
);

CREATE TABLE sync_runs (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    source        TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at    TEXT    NOT NULL,
    finished_at   TEXT,
    fetched       INTEGER NOT NULL DEFAULT 0,
    written       INTEGER NOT NULL DEFAULT 0,
    skipped       INTEGER NOT NULL DEFAULT 0,
    cursor        TEXT,
    error         TEXT
);
CREATE INDEX sync_runs_ws ON sync_runs (workspace_id, source, started_at);
