-- A route stays on its destination page until someone dismisses it (or routes the account on).
ALTER TABLE routes ADD COLUMN dismissed_at TEXT;
ALTER TABLE routes ADD COLUMN deal_id BIGINT;
CREATE INDEX routes_ws_active ON routes (workspace_id, to_page, dismissed_at);
CREATE INDEX routes_account ON routes (account_id, routed_at);
