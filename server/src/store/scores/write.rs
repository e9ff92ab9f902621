//! Writing scores: the changed scores of each span with their history points, and clearing them.

use super::{ScoreWrite, ScoredSpan, StoredScore};
use crate::store::load::upsert_rows;
use crate::store::sql::{day, RowExt, Val};
use crate::store::{Backend, Result, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

/// SQLite's default: a commit that leaves the write-ahead log over 1,000 pages copies it back.
const WAL_AUTOCHECKPOINT: &str = "PRAGMA wal_autocheckpoint = 1000";

impl Store {
    /// Writes the scores that changed, and today's history point for them, in one transaction.
    pub async fn write_scores(
        &self,
        workspace_id: i64,
        scores: Vec<StoredScore>,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<ScoreWrite> {
        let stored = self.span_fingerprints(workspace_id, (i64::MIN, i64::MAX)).await?;
        let (spans, rx) = tokio::sync::mpsc::channel(1);
        spans.send(Ok(ScoredSpan::new(scores, &stored))).await.ok();
        drop(spans);
        self.write_score_batches(workspace_id, rx, today, now).await
    }

    /// Writes the changed scores of each span, and today's history point for them, in one
    /// transaction committed after the last span. The spans arrive while the later ones are still
    /// being read and scored, so reading, scoring and writing overlap. A span that failed to come
    /// (an error in its place) rolls everything back.
    pub async fn write_score_batches(
        &self,
        workspace_id: i64,
        mut spans: tokio::sync::mpsc::Receiver<Result<ScoredSpan>>,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<ScoreWrite> {
        let mut report = ScoreWrite::default();
        // The next span's changed scores; None when the spans are done.
        let mut next_changed = async |report: &mut ScoreWrite| -> Result<Option<Vec<StoredScore>>> {
            while let Some(span) = spans.recv().await {
                let ScoredSpan { accounts, changed } = span?;
                report.accounts += accounts;
                if !changed.is_empty() {
                    report.changed += changed.len();
                    return Ok(Some(changed));
                }
            }
            Ok(None)
        };
        let Some(first) = next_changed(&mut report).await? else {
            return Ok(report);
        };
        let now_text = crate::store::access::instant(now);
        let today_text = day(today);
        let sqlite = self.backend() == Backend::Sqlite;
        let mut conn = self.pool().acquire().await?;
        if sqlite {
            // Rewriting every score touches more pages than the usual cache holds; with room for
            // them the write takes half the time (README, Health scores).
            sqlx::query("PRAGMA cache_size = -262144").execute(&mut *conn).await?;
        }
        let t = std::time::Instant::now();
        let written = async {
            let mut tx = self.begin_write_on(&mut conn).await?;
            let mut changed = Some(first);
            while let Some(rows) = changed {
                let points = rows.iter().map(|c| (c.account_id, c.score, c.band)).collect();
                upsert_rows(
                    self.backend(),
                    &mut tx,
                    "health_scores",
                    &[
                        "account_id",
                        "workspace_id",
                        "score",
                        "band",
                        "factors",
                        "missing",
                        "computed_at",
                        "fingerprint",
                    ],
                    " ON CONFLICT (account_id) DO UPDATE SET score = excluded.score, band = excluded.band, \
                      factors = excluded.factors, missing = excluded.missing, computed_at = excluded.computed_at, \
                      fingerprint = excluded.fingerprint",
                    &rows,
                    |_, s, out| {
                        out.extend([
                            Val::Int(s.account_id),
                            Val::Int(workspace_id),
                            Val::Int(s.score),
                            Val::Text(s.band.to_string()),
                            Val::Text(s.factors.clone()),
                            Val::Text(s.missing.clone()),
                            Val::Text(now_text.clone()),
                            Val::Int(s.fingerprint),
                        ])
                    },
                )
                .await?;
                self.write_history(&mut tx, workspace_id, &today_text, points).await?;
                // The queue's copy of score and band on the account row (see migration 0008), for the
                // batch's span of accounts. Driven by the score rows just written, in key order: a scan
                // of the accounts' own index, which this update rewrites, took half as long again.
                let first = rows.iter().map(|r| r.account_id).min().unwrap_or_default();
                let last = rows.iter().map(|r| r.account_id).max().unwrap_or_default();
                sqlx::query(
                    "UPDATE accounts SET health_rank = hs.score, health_band = hs.band FROM health_scores hs \
                     WHERE hs.account_id BETWEEN $2 AND $3 AND hs.workspace_id = $1 AND hs.account_id = accounts.id \
                     AND (accounts.health_rank <> hs.score OR COALESCE(accounts.health_band, '') <> hs.band)",
                )
                .bind(workspace_id)
                .bind(first)
                .bind(last)
                .execute(&mut *tx)
                .await?;
                changed = next_changed(&mut report).await?;
            }
            tracing::debug!(
                ms = t.elapsed().as_millis() as u64,
                "write scores, history and accounts"
            );
            let t = std::time::Instant::now();
            if sqlite {
                // The commit would copy the whole write from the log into the database file
                // itself (the automatic checkpoint); that copy runs after, off the rescore's path.
                sqlx::query("PRAGMA wal_autocheckpoint = 0").execute(&mut *tx).await?;
            }
            tx.commit().await?;
            tracing::debug!(ms = t.elapsed().as_millis() as u64, "write commit");
            Ok::<_, StoreError>(())
        }
        .await;
        if sqlite {
            // Written or not, the connection goes back to the pool as it came out.
            sqlx::query(crate::store::SQLITE_CACHE).execute(&mut *conn).await?;
            sqlx::query(WAL_AUTOCHECKPOINT).execute(&mut *conn).await?;
        }
        written?;
        if sqlite {
            let pool = self.pool().clone();
            tokio::spawn(async move {
                let t = std::time::Instant::now();
                match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                    Ok(_) => tracing::debug!(ms = t.elapsed().as_millis() as u64, "checkpoint after rescore"),
                    Err(e) => tracing::warn!(error = %e, "checkpoint after rescore"),
                }
            });
        }
        Ok(report)
    }

    /// Records the score of each account on `day` (one point per account per day).
    pub async fn write_history_points(
        &self,
        workspace_id: i64,
        day_text: &str,
        points: Vec<(i64, i64, &'static str)>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        self.write_history(&mut tx, workspace_id, day_text, points).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn write_history(
        &self,
        conn: &mut sqlx::AnyConnection,
        workspace_id: i64,
        day_text: &str,
        points: Vec<(i64, i64, &'static str)>,
    ) -> Result<()> {
        upsert_rows(
            self.backend(),
            conn,
            "health_history",
            &["workspace_id", "account_id", "day", "score", "band"],
            " ON CONFLICT (account_id, day) DO UPDATE SET score = excluded.score, band = excluded.band",
            &points,
            |_, (account, score, band), out| {
                out.extend([
                    Val::Int(workspace_id),
                    Val::Int(*account),
                    Val::Text(day_text.to_string()),
                    Val::Int(*score),
                    Val::Text(band.to_string()),
                ])
            },
        )
        .await
    }

    /// Removes a workspace's scores and history (benchmarks start from nothing).
    pub async fn clear_scores(&self, workspace_id: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for table in ["health_scores", "health_history"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE workspace_id = $1"))
                .bind(workspace_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE accounts SET health_rank = 101, health_band = NULL WHERE workspace_id = $1")
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Score history of one account since `since`, oldest first.
    pub async fn score_history(
        &self,
        workspace_id: i64,
        account_id: i64,
        since: NaiveDate,
    ) -> Result<Vec<(NaiveDate, i32)>> {
        sqlx::query("SELECT day, score FROM health_history WHERE workspace_id = $1 AND account_id = $2 AND day >= $3 ORDER BY day")
            .bind(workspace_id)
            .bind(account_id)
            .bind(day(since))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| Ok((r.date("day")?, r.try_get::<i64, _>("score")? as i32)))
            .collect()
    }
}
