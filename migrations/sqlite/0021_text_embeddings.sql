-- Embedding vectors of Close the Loop's texts (requests, release items), when an embeddings
-- endpoint is configured: each distinct text once per workspace and model, little-endian f32.
-- Keep in step with ../postgres/0021_text_embeddings.sql.
CREATE TABLE text_embeddings (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    model        TEXT    NOT NULL,
    digest       TEXT    NOT NULL,
    vector       BLOB    NOT NULL,
    PRIMARY KEY (workspace_id, model, digest)
);

-- How close in meaning the pair is (cosine of the embeddings), when embeddings were used.
ALTER TABLE request_matches ADD COLUMN similarity REAL;
