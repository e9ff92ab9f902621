-- The Health queue reads a page's 25 ids from an index alone, then joins scores for those 25.
-- The riskiest-first index also holds what the filters and the search test, so it serves the
-- counts too and the narrower count index goes (a rescore now updates one index with the rank,
-- not two). The renewal and owner indexes count their windows without touching the rows and
-- hold nothing a rescore changes.
DROP INDEX accounts_ws_health;
DROP INDEX accounts_ws_count;
CREATE INDEX accounts_ws_health ON accounts (workspace_id, tracked, health_rank, arr_minor DESC, id, lifecycle, health_band, payment_state, renewal_date, owner_name, name, domain);
CREATE INDEX accounts_ws_tracked_renewal ON accounts (workspace_id, tracked, renewal_date, lifecycle);
DROP INDEX accounts_ws_owner;
CREATE INDEX accounts_ws_owner ON accounts (workspace_id, owner_name, tracked, lifecycle);
