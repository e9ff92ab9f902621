-- Nothing to do on PostgreSQL: ../sqlite/0024_signals_covering_index.sql puts the whole signal row
-- into SQLite's (workspace, occurred_at) index for rescoring's 90-day read; PostgreSQL's b-tree
-- entries are size-limited and quotes can be long, so its index stays as it is.
SELECT 1;
