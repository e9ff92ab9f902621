//! The live-event log and job claims: what lets several server replicas on one Postgres behave
//! like one server. Events are kept (bounded) so a reconnecting browser can replay what it missed,
//! and on Postgres each is announced with NOTIFY so every replica's browsers hear it.

use super::sql::RowExt;
use super::{Backend, Result, Store};
use chrono::{DateTime, Utc};

/// The Postgres channel live events travel on between replicas, before the schema's name: NOTIFY
/// is per database, and two installs (or test runs) in two schemas must not hear each other.
const CHANNEL_PREFIX: &str = "success_live";

/// How many events the log keeps (all workspaces together); older ones are pruned.
pub const LOG_KEEP: i64 = 5_000;

/// One logged event, as stored: its JSON payload is an `app::live::LiveEvent`.
#[derive(Clone, Debug, PartialEq)]
pub struct LoggedEvent {
    pub id: i64,
    pub workspace_id: i64,
    pub payload: String,
}

/// What the log holds after a given id for one workspace.
#[derive(Debug, PartialEq)]
pub enum Replay {
    /// Every event since, oldest first (possibly none).
    Events(Vec<LoggedEvent>),
    /// More was missed than the log keeps (or the id is from another database): refetch everything.
    TooFarBehind,
}

impl Store {
    /// This database and schema's live-event channel (Postgres).
    async fn channel(&self) -> Result<String> {
        self.channel_cell()
            .get_or_try_init(|| async {
                let schema = sqlx::query("SELECT CAST(current_schema() AS TEXT) AS s")
                    .fetch_one(self.pool())
                    .await?
                    .text("s")?;
                let safe: String = schema
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .take(40)
                    .collect();
                Ok(format!("{CHANNEL_PREFIX}_{safe}"))
            })
            .await
            .cloned()
    }

    /// Appends an event to the log and, on Postgres, announces it to every replica (the NOTIFY is
    /// delivered when this commits). Returns its id.
    pub async fn log_event(&self, workspace_id: i64, payload: &str, now: DateTime<Utc>) -> Result<i64> {
        let channel = match self.backend() {
            Backend::Postgres => Some(self.channel().await?),
            Backend::Sqlite => None,
        };
        let mut tx = self.pool().begin().await?;
        let id = sqlx::query("INSERT INTO live_events (workspace_id, payload, at) VALUES ($1, $2, $3) RETURNING id")
            .bind(workspace_id)
            .bind(payload)
            .bind(now.to_rfc3339())
            .fetch_one(&mut *tx)
            .await?
            .int("id")?;
        if let Some(channel) = channel {
            let note = notification(Some(id), workspace_id, payload);
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(channel)
                .bind(note)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        if id % 500 == 0 {
            sqlx::query("DELETE FROM live_events WHERE id <= $1")
                .bind(id - LOG_KEEP)
                .execute(self.pool())
                .await?;
        }
        Ok(id)
    }

    /// Announces an event that is not worth keeping (sync progress) to every replica. Postgres only.
    pub async fn notify_event(&self, workspace_id: i64, payload: &str) -> Result<()> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(self.channel().await?)
            .bind(notification(None, workspace_id, payload))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The events of one workspace after `after`, at most `limit` of them.
    pub async fn replay_events(&self, workspace_id: i64, after: i64, limit: i64) -> Result<Replay> {
        let bounds = sqlx::query(
            "SELECT CAST(COALESCE(MIN(id), 0) AS BIGINT) AS lo, CAST(COALESCE(MAX(id), 0) AS BIGINT) AS hi FROM live_events",
        )
        .fetch_one(self.pool())
        .await?;
        let (lo, hi) = (bounds.int("lo")?, bounds.int("hi")?);
        // Older than the log's start (pruned away), or newer than anything here (another database).
        if after > hi || (lo > 0 && after < lo - 1) {
            return Ok(Replay::TooFarBehind);
        }
        let events = self.events_after(Some(workspace_id), after, limit + 1).await?;
        if events.len() as i64 > limit {
            return Ok(Replay::TooFarBehind);
        }
        Ok(Replay::Events(events))
    }

    /// Logged events after `after`, of one workspace or all, oldest first.
    pub async fn events_after(&self, workspace_id: Option<i64>, after: i64, limit: i64) -> Result<Vec<LoggedEvent>> {
        let rows = match workspace_id {
            Some(ws) => {
                sqlx::query(
                    "SELECT id, workspace_id, payload FROM live_events WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                )
                .bind(ws)
                .bind(after)
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query("SELECT id, workspace_id, payload FROM live_events WHERE id > $1 ORDER BY id LIMIT $2")
                    .bind(after)
                    .bind(limit)
                    .fetch_all(self.pool())
                    .await?
            }
        };
        rows.iter()
            .map(|r| {
                Ok(LoggedEvent {
                    id: r.int("id")?,
                    workspace_id: r.int("workspace_id")?,
                    payload: r.text("payload")?,
                })
            })
            .collect()
    }

    /// The newest logged event's id (0 when the log is empty).
    pub async fn last_event_id(&self) -> Result<i64> {
        sqlx::query("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS hi FROM live_events")
            .fetch_one(self.pool())
            .await?
            .int("hi")
    }

    /// Claims one run of a background job (`job` in time slot `slot`) for this process; true when
    /// nobody had, so exactly one replica runs each scheduled job.
    pub async fn claim_job(&self, job: &str, slot: &str, by: &str, now: DateTime<Utc>) -> Result<bool> {
        let claimed = sqlx::query(
            "INSERT INTO job_claims (job, slot, claimed_by, claimed_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (job, slot) DO NOTHING",
        )
        .bind(job)
        .bind(slot)
        .bind(by)
        .bind(now.to_rfc3339())
        .execute(self.pool())
        .await?
        .rows_affected();
        if claimed == 1 {
            // Claims older than a week are history nobody reads.
            let week_ago = (now - chrono::Duration::days(7)).to_rfc3339();
            sqlx::query("DELETE FROM job_claims WHERE job = $1 AND claimed_at < $2")
                .bind(job)
                .bind(week_ago)
                .execute(self.pool())
                .await?;
        }
        Ok(claimed == 1)
    }

    /// Who claimed each slot of a job, oldest first (tests and the runbook).
    pub async fn job_claims(&self, job: &str) -> Result<Vec<(String, String)>> {
        sqlx::query("SELECT slot, claimed_by FROM job_claims WHERE job = $1 ORDER BY slot")
            .bind(job)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| Ok((r.text("slot")?, r.text("claimed_by")?)))
            .collect()
    }

    /// Listens for the live events every replica announces (Postgres only).
    pub async fn listen_events(&self) -> Result<sqlx::postgres::PgListener> {
        let channel = self.channel().await?;
        let mut listener = sqlx::postgres::PgListener::connect(self.url()).await?;
        listener.listen(&channel).await?;
        Ok(listener)
    }
}

/// The NOTIFY payload: the event with its id (none for progress) and workspace.
fn notification(id: Option<i64>, workspace_id: i64, payload: &str) -> String {
    format!(
        "{{\"id\":{},\"ws\":{workspace_id},\"event\":{payload}}}",
        id.map_or("null".to_string(), |i| i.to_string())
    )
}

/// Reads a NOTIFY payload back: (id, workspace, event JSON).
pub fn parse_notification(text: &str) -> Option<(Option<i64>, i64, String)> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    Some((v["id"].as_i64(), v["ws"].as_i64()?, v.get("event")?.to_string()))
}
