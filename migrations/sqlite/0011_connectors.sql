-- Connectors and sync (issue 5). Keep in step with ../postgres/0011_connectors.sql.

-- How often the schedule syncs an integration, and what "Test connection" last said.
ALTER TABLE integrations ADD COLUMN schedule_minutes INTEGER NOT NULL DEFAULT 15;
ALTER TABLE integrations ADD COLUMN last_test TEXT;

-- Where a sync stopped, per resource (customers, subscriptions, …). Written in the same transaction
-- as the page it follows, so a killed sync resumes after the last page it stored.
CREATE TABLE sync_cursors (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    source       TEXT    NOT NULL,
    resource     TEXT    NOT NULL,
    cursor       TEXT    NOT NULL,
    PRIMARY KEY (workspace_id, source, resource)
);

-- Records a sync skipped, and why, shown with the run.
CREATE TABLE sync_run_errors (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES sync_runs(id) ON DELETE CASCADE,
    record      TEXT    NOT NULL,
    message     TEXT    NOT NULL
);
CREATE INDEX sync_run_errors_run ON sync_run_errors (run_id);

-- The step a running sync is on, and how far along, for the progress bar.
ALTER TABLE sync_runs ADD COLUMN step TEXT;

-- Webhook deliveries repeat: each vendor event id is handled once.
CREATE TABLE webhook_events (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    source       TEXT    NOT NULL,
    event_id     TEXT    NOT NULL,
    received_at  TEXT    NOT NULL,
    PRIMARY KEY (workspace_id, source, event_id)
);

-- Units of the workspace currency per unit of another currency, in millionths.
CREATE TABLE exchange_rates (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    currency     TEXT    NOT NULL,
    millionths   INTEGER NOT NULL CHECK (millionths > 0),
    PRIMARY KEY (workspace_id, currency)
);

-- mrr_minor is in the workspace currency. A Salesbricks contract names the Stripe customer that
-- bills it; when that customer has a counted subscription the contract is shown but not summed.
ALTER TABLE revenue_sources ADD COLUMN stripe_customer_id TEXT;
ALTER TABLE revenue_sources ADD COLUMN counted INTEGER NOT NULL DEFAULT 1;
