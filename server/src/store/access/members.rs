//! Workspace lookups, creating members, sign-in credentials, sessions and sign-in rate limiting.

use super::{audit, insert_member, instant, Credentials};
use crate::store::sql::RowExt;
use crate::store::{Result, Store, StoreError};
use app::access::Role;
use app::api::Member;
use app::model::WorkspaceInfo;
use chrono::{DateTime, Duration, Utc};

impl Store {
    pub async fn has_real_workspace(&self) -> Result<bool> {
        Ok(sqlx::query("SELECT id FROM workspaces WHERE is_demo = $1 LIMIT 1")
            .bind(false)
            .fetch_optional(self.pool())
            .await?
            .is_some())
    }

    pub async fn workspace_info(&self, id: i64) -> Result<WorkspaceInfo> {
        let row = sqlx::query(
            "SELECT w.id, w.name, w.is_demo, w.currency, w.pipeline_source, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM integrations i WHERE i.workspace_id = w.id) AS connected, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT 1 FROM accounts a WHERE a.workspace_id = w.id LIMIT 1) x) AS held \
             FROM workspaces w WHERE w.id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound("Workspace"))?;
        let is_demo = row.flag("is_demo")?;
        Ok(WorkspaceInfo {
            id: row.int("id")?,
            name: row.text("name")?,
            is_demo,
            currency: row.text("currency")?,
            connected_integrations: row.int("connected")? as u32,
            holds_accounts: row.int("held")? > 0,
            pipeline_source: row.text("pipeline_source")?,
        })
    }

    /// Creates a person and makes them a member, in one transaction (setup, sign-up, the CLI).
    #[allow(clippy::too_many_arguments)]
    pub async fn create_member(
        &self,
        workspace_id: i64,
        email: &str,
        name: &str,
        password_hash: &str,
        role: Role,
        success_flag: bool,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let user_id = insert_member(
            &mut tx,
            workspace_id,
            email,
            name,
            password_hash,
            role,
            success_flag,
            now,
        )
        .await?;
        audit(
            &mut tx,
            workspace_id,
            Some(user_id),
            name,
            "member_joined",
            email,
            role.label(),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(user_id)
    }

    pub async fn credentials(&self, email: &str) -> Result<Option<Credentials>> {
        sqlx::query("SELECT id, password_hash FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(self.pool())
            .await?
            .map(|r| {
                Ok(Credentials {
                    user_id: r.int("id")?,
                    password_hash: r.text("password_hash")?,
                })
            })
            .transpose()
    }

    /// The workspace a person signs in to: the oldest membership.
    pub async fn home_workspace(&self, user_id: i64) -> Result<Option<i64>> {
        sqlx::query("SELECT workspace_id FROM members WHERE user_id = $1 ORDER BY created_at, workspace_id LIMIT 1")
            .bind(user_id)
            .fetch_optional(self.pool())
            .await?
            .map(|r| r.int("workspace_id"))
            .transpose()
    }

    // ---- Sessions ------------------------------------------------------------------------

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        workspace_id: i64,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, workspace_id, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $4, $4, $5)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(workspace_id)
        .bind(instant(now))
        .bind(instant(expires_at))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The member behind a live session: not past its absolute expiry, and seen within `idle`.
    /// Refreshes `last_seen_at` at most once a minute, so reads do not turn into writes.
    pub async fn session_member(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        idle: Duration,
    ) -> Result<Option<(i64, Member)>> {
        let row = sqlx::query(
            "SELECT s.workspace_id, s.last_seen_at, s.expires_at, u.id AS user_id, u.name, u.email, m.role, m.success_flag \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             JOIN members m ON m.user_id = s.user_id AND m.workspace_id = s.workspace_id \
             WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let now_text = instant(now);
        let last_seen = row.text("last_seen_at")?;
        if row.text("expires_at")? <= now_text || last_seen < instant(now - idle) {
            self.delete_session(token_hash).await?;
            return Ok(None);
        }
        if last_seen < instant(now - Duration::minutes(1)) {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(&now_text)
                .bind(token_hash)
                .execute(self.pool())
                .await?;
        }
        Ok(Some((
            row.int("workspace_id")?,
            Member {
                user_id: row.int("user_id")?,
                name: row.text("name")?,
                email: row.text("email")?,
                role: row.parsed("role", Role::parse)?,
                has_success: row.flag("success_flag")?,
            },
        )))
    }

    // ---- Sign-in rate limiting -------------------------------------------------------------

    /// Records an attempt under each key and returns the most attempts any key has had in the
    /// last minute (this one included).
    pub async fn count_sign_in_attempt(&self, keys: &[String], now: DateTime<Utc>) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM sign_in_attempts WHERE at < $1")
            .bind(instant(now - Duration::hours(1)))
            .execute(&mut *tx)
            .await?;
        let mut most = 0;
        for key in keys {
            sqlx::query("INSERT INTO sign_in_attempts (key, at) VALUES ($1, $2)")
                .bind(key)
                .bind(instant(now))
                .execute(&mut *tx)
                .await?;
            let n =
                sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM sign_in_attempts WHERE key = $1 AND at > $2")
                    .bind(key)
                    .bind(instant(now - Duration::seconds(60)))
                    .fetch_one(&mut *tx)
                    .await?
                    .int("n")?;
            most = most.max(n);
        }
        tx.commit().await?;
        Ok(most)
    }

    /// Records one attempt under `key` (a wrong password, say).
    pub async fn record_attempt(&self, key: &str, now: DateTime<Utc>) -> Result<()> {
        sqlx::query("INSERT INTO sign_in_attempts (key, at) VALUES ($1, $2)")
            .bind(key)
            .bind(instant(now))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Attempts under `key` since `since` (attempts older than an hour are pruned).
    pub async fn recent_attempts(&self, key: &str, since: DateTime<Utc>) -> Result<i64> {
        sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM sign_in_attempts WHERE key = $1 AND at > $2")
            .bind(key)
            .bind(instant(since))
            .fetch_one(self.pool())
            .await?
            .int("n")
    }

    pub async fn real_workspace_named(&self, name: &str) -> Result<Option<i64>> {
        sqlx::query("SELECT id FROM workspaces WHERE is_demo = $1 AND name = $2 ORDER BY id LIMIT 1")
            .bind(false)
            .bind(name)
            .fetch_optional(self.pool())
            .await?
            .map(|r| r.int("id"))
            .transpose()
    }
}
