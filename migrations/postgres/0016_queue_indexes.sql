-- Indexes the Convert, Re-engage and Contracts queues page on at 10,000+ rows. Keep in step with
-- ../sqlite/0016_queue_indexes.sql.
CREATE INDEX trials_ws_likelihood ON trials (workspace_id, likelihood DESC, id);
-- A contract's open invoices (its collection attempts and the invoice drawer).
CREATE INDEX invoices_source ON invoices (revenue_source_id, status);
-- The owner select of Contracts and Health.
CREATE INDEX accounts_ws_owner ON accounts (workspace_id, owner_name);
-- Covering indexes for the queues' counts and sums, so they never read the wide rows (a trial's or
-- a loss's explained likelihood) nor the accounts' rows: ~35 ms → ~4 ms at 10,000 rows.
CREATE INDEX trials_ws_open ON trials (workspace_id, outcome, account_id);
CREATE INDEX winbacks_ws_status ON winbacks (workspace_id, status, account_id, reason_category, lost_minor);
CREATE INDEX accounts_id_tracked ON accounts (id, tracked);
-- Contracts' totals over every source the filters select, without reading the source rows.
CREATE INDEX revenue_sources_ws_totals ON revenue_sources
    (workspace_id, account_id, status, counted, mrr_minor, source, payment_state, renewal_date);
