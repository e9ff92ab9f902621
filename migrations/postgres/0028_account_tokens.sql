-- Single-use links sent by email: confirming a sign-up's address and resetting a password. Only
-- the token's SHA-256 is kept. A pending sign-up holds the chosen name and password hash here
-- until its link is opened; nobody is a user or a member before that.
CREATE TABLE email_tokens (
    token_hash     TEXT PRIMARY KEY,
    purpose        TEXT NOT NULL CHECK (purpose IN ('verify', 'reset')),
    email          TEXT NOT NULL,
    workspace_id   BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id        BIGINT REFERENCES users(id) ON DELETE CASCADE,
    name           TEXT,
    password_hash  TEXT,
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    used_at        TEXT
);
CREATE INDEX email_tokens_email ON email_tokens (email, purpose);

-- The first owner is created once: the setup that inserts this row wins, any other rolls back.
CREATE TABLE instance_setup (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    done_at     TEXT NOT NULL
);

-- Account emails (verification, reset) travel through the outbox but are not Close the Loop's:
-- they are kept out of its lists and their bodies are wiped once sent or failed.
ALTER TABLE outbox ADD COLUMN purpose TEXT NOT NULL DEFAULT 'loop';
