-- A rescore of every account writes less: the health queue reads score and band from the account
-- row (0008), so the band index on the score rows is not used by any query; and the score history
-- is keyed by (account, day) only, so it is stored in that key's order without a separate rowid.
-- Keep in step with ../postgres/0022_lighter_score_writes.sql.
DROP INDEX health_scores_ws_band;

CREATE TABLE health_history_by_key (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    day          TEXT    NOT NULL,
    score        INTEGER NOT NULL,
    band         TEXT    NOT NULL,
    PRIMARY KEY (account_id, day)
) WITHOUT ROWID;
INSERT INTO health_history_by_key SELECT workspace_id, account_id, day, score, band FROM health_history;
DROP TABLE health_history;
ALTER TABLE health_history_by_key RENAME TO health_history;
