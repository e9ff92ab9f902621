-- A 64-bit fingerprint of (score, band, factors, missing), so rescoring compares one number per
-- account instead of reading every stored factor back.
ALTER TABLE health_scores ADD COLUMN fingerprint BIGINT NOT NULL DEFAULT 0;

-- Rescoring reads the last weeks of usage and the last 90 days of signals of a whole workspace.
CREATE INDEX usage_weeks_ws_week ON usage_weeks (workspace_id, week_start);
CREATE INDEX signals_ws_occurred ON signals (workspace_id, occurred_at);
