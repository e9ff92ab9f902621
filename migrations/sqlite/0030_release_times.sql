-- When a release was published, to the second, in the feed's own time: two releases of one day
-- are listed in the order they shipped.
ALTER TABLE releases ADD COLUMN published_at TEXT;
