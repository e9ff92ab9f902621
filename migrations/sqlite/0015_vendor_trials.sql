-- Trials read from a vendor (a Stripe subscription's trial), upserted by the vendor's id. Keep in
-- step with ../postgres/0015_vendor_trials.sql. Demo and older trials have neither.
ALTER TABLE trials ADD COLUMN source TEXT;
ALTER TABLE trials ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX trials_ws_source_external ON trials (workspace_id, source, external_id);
