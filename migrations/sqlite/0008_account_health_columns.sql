-- The Health queue sorts and filters 10,000s of accounts by score and band. Reading those from
-- health_scores means reading every row's factors too; a copy of the two small values on the
-- account (kept by rescoring, in the same transaction) lets an index answer page by page.
-- health_rank is the score, or 101 while the account is not scored (last in riskiest-first).
ALTER TABLE accounts ADD COLUMN health_rank INTEGER NOT NULL DEFAULT 101;
ALTER TABLE accounts ADD COLUMN health_band TEXT;
UPDATE accounts SET
    health_rank = COALESCE((SELECT hs.score FROM health_scores hs WHERE hs.account_id = accounts.id), 101),
    health_band = (SELECT hs.band FROM health_scores hs WHERE hs.account_id = accounts.id);
CREATE INDEX accounts_ws_health ON accounts (workspace_id, tracked, health_rank, arr_minor DESC, id);
-- Counting a filtered queue reads only this index (it covers the usual filters).
CREATE INDEX accounts_ws_count ON accounts (workspace_id, tracked, lifecycle, health_band, health_rank, payment_state);
