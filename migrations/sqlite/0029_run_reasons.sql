-- What a sync did with each record it could not take as sent: skipped it, or repaired it (a deal
-- without its currency takes the workspace's), per resource, so Settings can say
-- "2 deals skipped: its company is linked to no account".
ALTER TABLE sync_run_errors ADD COLUMN resource TEXT NOT NULL DEFAULT '';
ALTER TABLE sync_run_errors ADD COLUMN outcome TEXT NOT NULL DEFAULT 'skipped';
-- The why without the record's own details ("its company is linked to no account"), to count by.
ALTER TABLE sync_run_errors ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE sync_runs ADD COLUMN repaired INTEGER NOT NULL DEFAULT 0;
