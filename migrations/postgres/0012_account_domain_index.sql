-- Syncs match companies to accounts by domain.
CREATE INDEX accounts_ws_domain ON accounts (workspace_id, domain);
