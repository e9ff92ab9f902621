-- Work that must follow a change and must not be lost: written in the same transaction as the
-- change it follows, resumed after a stop. One pending 'after_change' row per workspace gathers
-- what changed (bits, see server/src/jobs) until a worker claims it.
-- Keep in step with ../postgres/0031_jobs.sql.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    what         INTEGER NOT NULL DEFAULT 0,
    state        TEXT    NOT NULL DEFAULT 'pending',
    attempts     INTEGER NOT NULL DEFAULT 0,
    run_after    TEXT    NOT NULL,
    claimed_by   TEXT,
    claimed_at   TEXT,
    error        TEXT,
    created_at   TEXT    NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_after);
CREATE INDEX jobs_workspace ON jobs (workspace_id, kind, state);
-- One pending job per workspace and kind (changes gather into it, even from two replicas at once)
-- and one running job per workspace (its follow-ups run one at a time).
CREATE UNIQUE INDEX jobs_one_pending ON jobs (workspace_id, kind) WHERE state = 'pending';
CREATE UNIQUE INDEX jobs_one_running ON jobs (workspace_id) WHERE state = 'running';
