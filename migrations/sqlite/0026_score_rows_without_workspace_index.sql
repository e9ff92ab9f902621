-- Rescoring finds the stored scores of a workspace through its accounts (the accounts' workspace
-- index, then each score by its key), so the (workspace, score) index on the score rows served
-- nothing but its own upkeep: 100,000 index entries rewritten by a full rescore.
-- Keep in step with ../postgres/0026_score_rows_without_workspace_index.sql.
DROP INDEX health_scores_ws;
