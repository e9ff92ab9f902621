-- Live updates that outlive a process and reach every replica: each event a page should see is
-- kept here (a bounded log, pruned by id) so a browser reconnecting with Last-Event-ID gets what it
-- missed. Keep in step with ../postgres/0018_live_events_jobs.sql.
CREATE TABLE live_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL,
    payload      TEXT    NOT NULL,
    at           TEXT    NOT NULL
);
CREATE INDEX live_events_ws ON live_events (workspace_id, id);

-- Background jobs run once per slot across replicas: whoever inserts the claim runs the job.
CREATE TABLE job_claims (
    job        TEXT NOT NULL,
    slot       TEXT NOT NULL,
    claimed_by TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    PRIMARY KEY (job, slot)
);

-- A running sync proves it is alive, so another replica can tell a dead run from a slow one.
ALTER TABLE sync_runs ADD COLUMN heartbeat_at TEXT;

-- An Attio deal moved in Success that Attio has not accepted yet (the reason, in plain words).
ALTER TABLE deals ADD COLUMN writeback_error TEXT;
