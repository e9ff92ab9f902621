-- Where Pipeline's deals come from (Settings → Integrations & data): 'all', or one CRM of record —
-- 'salesbricks' or 'attio' — whose deals show alongside the manual and routed ones. Keep in step
-- with ../sqlite/0019_pipeline_source.sql.
ALTER TABLE workspaces ADD COLUMN pipeline_source TEXT NOT NULL DEFAULT 'all';
