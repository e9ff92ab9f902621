-- Convert and Re-engage likelihood models (issue 6). Keep in step with
-- ../postgres/0014_likelihood_models.sql.

-- Each trial's features and likelihood. A decided trial's features are frozen when first seen,
-- as the case the conversion model learns from.
ALTER TABLE trials ADD COLUMN features TEXT;
ALTER TABLE trials ADD COLUMN likelihood INTEGER;
-- The likelihood with its factors and missing data (JSON of app::likelihood::Likelihood).
ALTER TABLE trials ADD COLUMN explained TEXT;
-- likelihood × urgency × potential ARR, in minor units: Convert's default order.
ALTER TABLE trials ADD COLUMN priority_minor INTEGER NOT NULL DEFAULT 0;
CREATE INDEX trials_ws_priority ON trials (workspace_id, priority_minor DESC, id);

-- The Re-engage queue: one row per account with a closed-lost deal or a churned subscription,
-- standing for its latest loss, with what the CSM did about it and the re-engagement likelihood.
CREATE TABLE winbacks (
    id              INTEGER PRIMARY KEY,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    account_id      INTEGER NOT NULL UNIQUE REFERENCES accounts(id) ON DELETE CASCADE,
    deal_id         INTEGER REFERENCES deals(id) ON DELETE SET NULL,
    what            TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    reason_category TEXT    NOT NULL CHECK (reason_category IN ('price', 'timing', 'competitor', 'missing_feature', 'other')),
    lost_on         TEXT,
    lost_minor      INTEGER NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'contacted', 'snoozed', 'won_back')),
    contacted_at    TEXT,
    contacted_by    TEXT,
    snoozed_until   TEXT,
    won_back_at     TEXT,
    features        TEXT,
    likelihood      INTEGER NOT NULL DEFAULT 0,
    explained       TEXT,
    why_now         TEXT
);
CREATE INDEX winbacks_ws_likelihood ON winbacks (workspace_id, likelihood DESC, id);

-- Decided cases the models learn from: a feature snapshot taken when the outcome became known.
CREATE TABLE model_examples (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('convert', 'reengage')),
    -- What the case was ('trial:12', 'winback:7:2026-01-03'); one example per case.
    subject      TEXT    NOT NULL,
    features     TEXT    NOT NULL,
    positive     INTEGER NOT NULL,
    decided_on   TEXT    NOT NULL,
    UNIQUE (workspace_id, kind, subject)
);

-- The trained (or prior) model per workspace and kind (JSON of app::likelihood::Model).
CREATE TABLE likelihood_models (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL,
    model        TEXT    NOT NULL,
    trained_at   TEXT    NOT NULL,
    PRIMARY KEY (workspace_id, kind)
);
