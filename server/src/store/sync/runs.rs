//! Sync runs: starting, finishing and failing them, their cursors, and the problems they noted.

use super::{FAILED, LINK_HINT, RUNNING, SUCCEEDED};
use crate::store::jobs::{enqueue_after_change, Changes};
use crate::store::sql::RowExt;
use crate::store::{Backend, Result, Store, StoreError};
use app::integrations::{RunProblems, RunReason};
use chrono::{DateTime, Utc};
use sqlx::Row;

impl Store {
    /// Starts a run; refuses while another run of the same integration is going.
    pub async fn start_sync_run(&self, ws: i64, source: &str, now: DateTime<Utc>) -> Result<i64> {
        self.start_run(ws, source, None, now).await
    }

    /// Starts a scheduled run unless one started at or after `due_since` (another replica took
    /// this turn of the schedule) or one is going; `None` when there is nothing to do.
    pub async fn start_scheduled_sync_run(
        &self,
        ws: i64,
        source: &str,
        due_since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        match self.start_run(ws, source, Some(due_since), now).await {
            Ok(id) => Ok(Some(id)),
            Err(StoreError::Conflict(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn start_run(
        &self,
        ws: i64,
        source: &str,
        due_since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        if self.backend() == Backend::Postgres {
            // Serialises starts for one workspace, so two clicks cannot both begin a run.
            sqlx::query("SELECT id FROM workspaces WHERE id = $1 FOR UPDATE")
                .bind(ws)
                .execute(&mut *tx)
                .await?;
        }
        let running = sqlx::query("SELECT id FROM sync_runs WHERE workspace_id = $1 AND source = $2 AND status = $3")
            .bind(ws)
            .bind(source)
            .bind(RUNNING)
            .fetch_optional(&mut *tx)
            .await?;
        if running.is_some() {
            return Err(StoreError::Conflict(
                "A sync of this integration is already running.".into(),
            ));
        }
        if let Some(since) = due_since {
            let taken =
                sqlx::query("SELECT id FROM sync_runs WHERE workspace_id = $1 AND source = $2 AND started_at >= $3")
                    .bind(ws)
                    .bind(source)
                    .bind(since.to_rfc3339())
                    .fetch_optional(&mut *tx)
                    .await?;
            if taken.is_some() {
                return Err(StoreError::Conflict("This turn of the schedule already ran.".into()));
            }
        }
        let id = sqlx::query(
            "INSERT INTO sync_runs (workspace_id, source, status, started_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(ws)
        .bind(source)
        .bind(RUNNING)
        .bind(now.to_rfc3339())
        .fetch_one(&mut *tx)
        .await?
        .int("id")?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records how a run ended and, with it, the follow-up of what it stored (whatever was stored
    /// counts, even when a later page failed).
    pub async fn finish_sync_run(&self, run_id: i64, error: Option<&str>, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let ws = sqlx::query(
            "UPDATE sync_runs SET status = $2, error = $3, finished_at = $4, step = NULL WHERE id = $1 \
             RETURNING workspace_id",
        )
        .bind(run_id)
        .bind(if error.is_some() { FAILED } else { SUCCEEDED })
        .bind(error)
        .bind(now.to_rfc3339())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = ws {
            enqueue_after_change(&mut tx, row.try_get("workspace_id")?, Changes::REVENUE, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Runs left `running` by a process that stopped; their cursors stay, so the next run resumes.
    /// `silent_since`: only runs that have not written a page since then (with replicas on
    /// Postgres, a run without that bound may be alive on another server).
    pub async fn fail_interrupted_runs(&self, silent_since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<u64> {
        // RFC 3339 in UTC sorts as text; with no bound every running run is compared to the future.
        let bound = silent_since
            .unwrap_or(now + chrono::Duration::days(36_500))
            .to_rfc3339();
        let mut tx = self.begin_write().await?;
        let stopped = sqlx::query(
            "UPDATE sync_runs SET status = $1, finished_at = $2, \
               error = 'Interrupted: the server stopped during this sync. The next sync resumes where it stopped.' \
             WHERE status = $3 AND COALESCE(heartbeat_at, started_at) < $4 RETURNING workspace_id",
        )
        .bind(FAILED)
        .bind(now.to_rfc3339())
        .bind(RUNNING)
        .bind(bound)
        .fetch_all(&mut *tx)
        .await?;
        // The pages such a run stored count: they are rolled up and scored.
        for row in &stopped {
            enqueue_after_change(&mut tx, row.try_get("workspace_id")?, Changes::REVENUE, now).await?;
        }
        tx.commit().await?;
        Ok(stopped.len() as u64)
    }

    pub async fn sync_cursor(&self, ws: i64, source: &str, resource: &str) -> Result<Option<String>> {
        let row =
            sqlx::query("SELECT cursor FROM sync_cursors WHERE workspace_id = $1 AND source = $2 AND resource = $3")
                .bind(ws)
                .bind(source)
                .bind(resource)
                .fetch_optional(self.pool())
                .await?;
        row.map(|r| r.text("cursor")).transpose()
    }

    /// A run finished: the next one starts from the beginning.
    pub async fn clear_sync_cursors(&self, ws: i64, source: &str) -> Result<()> {
        sqlx::query("DELETE FROM sync_cursors WHERE workspace_id = $1 AND source = $2")
            .bind(ws)
            .bind(source)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The external ids of a source's deals not written since `since` (the run's RFC 3339 time).
    pub async fn deals_not_updated_since(&self, ws: i64, source: &str, since: &str) -> Result<Vec<String>> {
        sqlx::query(
            "SELECT external_id FROM deals WHERE workspace_id = $1 AND source = $2 AND updated_at < $3 \
             AND external_id IS NOT NULL ORDER BY id",
        )
        .bind(ws)
        .bind(source)
        .bind(since)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| r.text("external_id"))
        .collect()
    }

    /// What a run skipped or repaired, counted by resource and reason, and its first 100 records —
    /// skipped before repaired, malformed before those that only matched no account, which can
    /// be thousands; only for a run of this workspace.
    pub async fn sync_run_errors(&self, ws: i64, run_id: i64) -> Result<RunProblems> {
        sqlx::query("SELECT id FROM sync_runs WHERE id = $1 AND workspace_id = $2")
            .bind(run_id)
            .bind(ws)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound("That sync run"))?;
        let reasons = sqlx::query(
            "SELECT resource, outcome, reason, CAST(COUNT(*) AS BIGINT) AS n FROM sync_run_errors \
             WHERE run_id = $1 AND reason <> '' GROUP BY resource, outcome, reason \
             ORDER BY outcome DESC, COUNT(*) DESC, resource, reason",
        )
        .bind(run_id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(RunReason {
                resource: r.text("resource")?,
                outcome: r.text("outcome")?,
                reason: r.text("reason")?,
                count: r.int("n")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let rows = sqlx::query(
            "SELECT e.record, e.message FROM sync_run_errors e JOIN sync_runs r ON r.id = e.run_id \
             WHERE e.run_id = $1 AND r.workspace_id = $2 \
             ORDER BY e.outcome DESC, CASE WHEN e.message LIKE $3 THEN 1 ELSE 0 END, e.id LIMIT 100",
        )
        .bind(run_id)
        .bind(ws)
        .bind(format!("%{LINK_HINT}%"))
        .fetch_all(self.pool())
        .await?;
        let records = rows
            .iter()
            .map(|r| Ok((r.text("record")?, r.text("message")?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(RunProblems { reasons, records })
    }
}
