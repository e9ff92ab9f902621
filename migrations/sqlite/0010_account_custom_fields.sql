-- HubSpot company properties beyond the standard ones, as a JSON array of [label, value] pairs in
-- the order HubSpot lists them.
ALTER TABLE accounts ADD COLUMN custom_fields TEXT NOT NULL DEFAULT '[]';
