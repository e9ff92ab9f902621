-- A workspace's scoring rules (JSON of app::scoring::Scorecard); NULL means the default scorecard.
ALTER TABLE workspaces ADD COLUMN scorecard TEXT;
CREATE INDEX health_scores_ws_band ON health_scores (workspace_id, band, score);
