//! The `jobs` table (see `crate::jobs`): enqueue inside the caller's transaction, claim,
//! finish, resume.

use super::{Backend, Result, Store};
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

/// What a change touched; it decides what follows it. Stored as bits, so pending changes of
/// one workspace gather in one job.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changes(i64);

impl Changes {
    /// Subscriptions, contracts, invoices or which account they belong to: ARR, MRR, renewal
    /// dates and lifecycles are rolled up again, then everything is scored again.
    pub const REVENUE: Changes = Changes(1);
    /// Something a score reads (usage, signals, overrides, the scorecard): health, Convert and
    /// Re-engage are computed again.
    pub const SCORES: Changes = Changes(2);
    /// Feature requests or release items: Close the Loop matches them again.
    pub const REQUESTS: Changes = Changes(4);

    pub const fn bits(self) -> i64 {
        self.0
    }

    /// Unknown bits (from a newer server) are kept and run as "everything".
    pub const fn from_bits(bits: i64) -> Changes {
        Changes(bits)
    }

    pub const fn and(self, other: Changes) -> Changes {
        Changes(self.0 | other.0)
    }

    pub const fn touches(self, other: Changes) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether the scores follow: every change but one to requests alone does.
    pub const fn rescores(self) -> bool {
        self.0 & !Changes::REQUESTS.0 != 0
    }
}

/// How long a claimed job may run before another replica counts its server as gone.
pub const LEASE: chrono::Duration = chrono::Duration::minutes(10);

/// Attempts before a job that keeps failing is left as `failed` (and logged).
pub const MAX_ATTEMPTS: i64 = 8;

pub const AFTER_CHANGE: &str = "after_change";

/// `run_after` of a job due at once: before any instant, whatever clock the claimer reads.
const AT_ONCE: &str = "0000-01-01T00:00:00+00:00";

/// A claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub workspace_id: i64,
    pub kind: String,
    pub what: Changes,
    pub attempts: i64,
    /// Who took it: only they finish it (a runner whose lease was taken back does not).
    pub claimed_by: String,
}

/// Records that `what` changed in workspace `ws`, on the caller's connection, so the follow-up
/// commits (or rolls back) with the change itself. The workspace's pending job gathers it (one per
/// workspace, a unique index sees to it even across replicas), due at once; what a job that failed
/// for good still owed comes back with it.
pub async fn enqueue_after_change(conn: &mut AnyConnection, ws: i64, what: Changes, now: DateTime<Utc>) -> Result<()> {
    let failed: Vec<(i64,)> =
        sqlx::query_as("SELECT what FROM jobs WHERE workspace_id = $1 AND kind = $2 AND state = 'failed'")
            .bind(ws)
            .bind(AFTER_CHANGE)
            .fetch_all(&mut *conn)
            .await?;
    let owed = failed.iter().fold(what.bits(), |bits, (w,)| bits | w);
    if !failed.is_empty() {
        sqlx::query("DELETE FROM jobs WHERE workspace_id = $1 AND kind = $2 AND state = 'failed'")
            .bind(ws)
            .bind(AFTER_CHANGE)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query(
        "INSERT INTO jobs (workspace_id, kind, what, state, run_after, created_at) \
         VALUES ($1, $2, $3, 'pending', $4, $5) \
         ON CONFLICT (workspace_id, kind) WHERE state = 'pending' \
         DO UPDATE SET what = jobs.what | excluded.what, run_after = excluded.run_after, attempts = 0",
    )
    .bind(ws)
    .bind(AFTER_CHANGE)
    .bind(owed)
    .bind(AT_ONCE)
    .bind(now.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Puts a job that is not done back in the queue (`pending`, due at `run_after`) or leaves it
/// `failed`; a change that arrived meanwhile already waits in a pending job, which takes its bits.
async fn requeue(conn: &mut AnyConnection, job: &Job, state: &str, run_after: &str, error: Option<&str>) -> Result<()> {
    if state == "pending" {
        let merged =
            sqlx::query("UPDATE jobs SET what = what | $3 WHERE workspace_id = $1 AND kind = $2 AND state = 'pending'")
                .bind(job.workspace_id)
                .bind(&job.kind)
                .bind(job.what.bits())
                .execute(&mut *conn)
                .await?
                .rows_affected();
        if merged > 0 {
            sqlx::query("DELETE FROM jobs WHERE id = $1")
                .bind(job.id)
                .execute(&mut *conn)
                .await?;
            return Ok(());
        }
    }
    sqlx::query(
        "UPDATE jobs SET state = $2, run_after = $3, error = COALESCE($4, error), claimed_by = NULL WHERE id = $1",
    )
    .bind(job.id)
    .bind(state)
    .bind(run_after)
    .bind(error)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    /// [`enqueue_after_change`] in a transaction of its own.
    pub async fn enqueue_after_change(&self, ws: i64, what: Changes, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        enqueue_after_change(&mut tx, ws, what, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes the oldest due job (of one workspace, or any), unless its workspace has one running:
    /// a workspace's follow-ups run one at a time.
    pub async fn take_job(&self, ws: Option<i64>, by: &str, now: DateTime<Utc>) -> Result<Option<Job>> {
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE jobs SET state = 'running', claimed_by = $1, claimed_at = $2, attempts = attempts + 1 \
             WHERE id = (SELECT j.id FROM jobs j WHERE j.state = 'pending' AND j.run_after <= $2 \
                 AND ($3 = 0 OR j.workspace_id = $4) \
                 AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.workspace_id = j.workspace_id AND r.state = 'running') \
               ORDER BY j.id LIMIT 1{lock}) \
             RETURNING id, workspace_id, kind, what, CAST(attempts AS BIGINT) AS attempts"
        );
        let mut tx = self.begin_write().await?;
        let row = match sqlx::query(&sql)
            .bind(by)
            .bind(now.to_rfc3339())
            .bind(i64::from(ws.is_some()))
            .bind(ws.unwrap_or(0))
            .fetch_optional(&mut *tx)
            .await
        {
            Ok(row) => row,
            // Another replica started the workspace's other job at the same instant.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => None,
            Err(e) => return Err(e.into()),
        };
        tx.commit().await?;
        row.map(|r| {
            Ok(Job {
                id: r.try_get("id")?,
                workspace_id: r.try_get("workspace_id")?,
                kind: r.try_get("kind")?,
                what: Changes::from_bits(r.try_get("what")?),
                attempts: r.try_get("attempts")?,
                claimed_by: by.to_string(),
            })
        })
        .transpose()
    }

    /// A job done is gone; a failed one waits longer each time, and after [`MAX_ATTEMPTS`] stays
    /// `failed` with its error (until the workspace's next change takes it up again).
    pub async fn finish_job(
        &self,
        job: &Job,
        outcome: std::result::Result<(), String>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let still_ours = sqlx::query("SELECT 1 FROM jobs WHERE id = $1 AND state = 'running' AND claimed_by = $2")
            .bind(job.id)
            .bind(&job.claimed_by)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if still_ours {
            match outcome {
                Ok(()) => {
                    sqlx::query("DELETE FROM jobs WHERE id = $1")
                        .bind(job.id)
                        .execute(&mut *tx)
                        .await?;
                }
                Err(error) => {
                    let error: String = error.chars().take(2_000).collect();
                    if job.attempts >= MAX_ATTEMPTS {
                        requeue(&mut tx, job, "failed", AT_ONCE, Some(&error)).await?;
                    } else {
                        let wait = chrono::Duration::seconds(5 << job.attempts.clamp(0, 10));
                        requeue(&mut tx, job, "pending", &(now + wait).to_rfc3339(), Some(&error)).await?;
                    }
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Jobs whose server stopped while running them go back to the queue, due at once (one that
    /// was taken [`MAX_ATTEMPTS`] times, a job that kills its server, stays `failed`). On SQLite the
    /// one process starting now is the only one, so every running job is resumed; with replicas on
    /// Postgres only those claimed longer ago than the lease.
    pub async fn resume_jobs(&self, now: DateTime<Utc>) -> Result<u64> {
        let bound = match self.backend() {
            Backend::Sqlite => now + chrono::Duration::days(36_500),
            Backend::Postgres => now - LEASE,
        };
        let stale: Vec<(i64, i64, String, i64, i64)> = sqlx::query_as(
            "SELECT id, workspace_id, kind, what, CAST(attempts AS BIGINT) FROM jobs \
             WHERE state = 'running' AND claimed_at < $1",
        )
        .bind(bound.to_rfc3339())
        .fetch_all(self.pool())
        .await?;
        for (id, workspace_id, kind, what, attempts) in &stale {
            let job = Job {
                id: *id,
                workspace_id: *workspace_id,
                kind: kind.clone(),
                what: Changes::from_bits(*what),
                attempts: *attempts,
                claimed_by: String::new(),
            };
            let mut tx = self.begin_write().await?;
            if job.attempts >= MAX_ATTEMPTS {
                requeue(
                    &mut tx,
                    &job,
                    "failed",
                    AT_ONCE,
                    Some("its server stopped each time it ran"),
                )
                .await?;
            } else {
                requeue(&mut tx, &job, "pending", AT_ONCE, None).await?;
            }
            tx.commit().await?;
        }
        Ok(stale.len() as u64)
    }

    /// Jobs of a workspace not yet done: (pending or running, failed for good).
    pub async fn unfinished_jobs(&self, ws: i64) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(CASE WHEN state <> 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS open, \
                    CAST(COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS failed \
             FROM jobs WHERE workspace_id = $1",
        )
        .bind(ws)
        .fetch_one(self.pool())
        .await?;
        Ok((row.try_get("open")?, row.try_get("failed")?))
    }

    /// Whether a job of the workspace is running (here or on another replica).
    pub async fn job_running(&self, ws: i64) -> Result<bool> {
        Ok(
            sqlx::query("SELECT 1 FROM jobs WHERE workspace_id = $1 AND state = 'running' LIMIT 1")
                .bind(ws)
                .fetch_optional(self.pool())
                .await?
                .is_some(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Changes;

    #[test]
    fn changes_gather_and_say_what_follows() {
        let both = Changes::REVENUE.and(Changes::REQUESTS);
        assert!(both.touches(Changes::REVENUE) && both.touches(Changes::REQUESTS));
        assert!(!both.touches(Changes::SCORES));
        assert!(both.rescores());
        assert!(!Changes::REQUESTS.rescores());
        assert_eq!(Changes::from_bits(both.bits()), both);
    }
}
