-- A rescore of every account writes less: the health queue reads score and band from the account
-- row (0008), so the band index on the score rows is not used by any query.
-- Keep in step with ../sqlite/0022_lighter_score_writes.sql (which also re-keys the history).
DROP INDEX health_scores_ws_band;
