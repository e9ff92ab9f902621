//! Integrations: a vendor's saved config, sealed credentials and schedule.

use super::IntegrationRow;
use crate::store::sql::RowExt;
use crate::store::{Result, Store, StoreError};
use chrono::{DateTime, Utc};
use sqlx::Row;

impl Store {
    pub async fn save_integration(
        &self,
        ws: i64,
        source: &str,
        config: &serde_json::Value,
        sealed: Option<Vec<u8>>,
        schedule_minutes: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO integrations (workspace_id, source, config, secret_sealed, schedule_minutes, connected_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (workspace_id, source) DO UPDATE SET config = excluded.config, \
               secret_sealed = excluded.secret_sealed, schedule_minutes = excluded.schedule_minutes, last_test = NULL",
        )
        .bind(ws)
        .bind(source)
        .bind(config.to_string())
        .bind(sealed)
        .bind(schedule_minutes)
        .bind(now.to_rfc3339())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn integration(&self, ws: i64, source: &str) -> Result<Option<IntegrationRow>> {
        let row = sqlx::query(
            "SELECT source, config, secret_sealed, schedule_minutes, connected_at, last_test FROM integrations \
             WHERE workspace_id = $1 AND source = $2",
        )
        .bind(ws)
        .bind(source)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| integration_row(&r)).transpose()
    }

    pub async fn integrations(&self, ws: i64) -> Result<Vec<IntegrationRow>> {
        let rows = sqlx::query(
            "SELECT source, config, secret_sealed, schedule_minutes, connected_at, last_test FROM integrations \
             WHERE workspace_id = $1 ORDER BY source",
        )
        .bind(ws)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(integration_row).collect()
    }

    /// Forgets the credentials and where the syncs stopped; the data already synced stays.
    pub async fn delete_integration(&self, ws: i64, source: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let gone = sqlx::query("DELETE FROM integrations WHERE workspace_id = $1 AND source = $2")
            .bind(ws)
            .bind(source)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM sync_cursors WHERE workspace_id = $1 AND source = $2")
            .bind(ws)
            .bind(source)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(gone > 0)
    }

    pub async fn set_integration_test(&self, ws: i64, source: &str, outcome: &str) -> Result<()> {
        sqlx::query("UPDATE integrations SET last_test = $3 WHERE workspace_id = $1 AND source = $2")
            .bind(ws)
            .bind(source)
            .bind(outcome)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

fn integration_row(r: &sqlx::any::AnyRow) -> Result<IntegrationRow> {
    Ok(IntegrationRow {
        source: r.text("source")?,
        config: serde_json::from_str(&r.text("config")?)
            .map_err(|e| StoreError::Corrupt(format!("integration config: {e}")))?,
        sealed: r.try_get::<Option<Vec<u8>>, _>("secret_sealed")?,
        schedule_minutes: r.int("schedule_minutes")?,
        connected_at: r.text("connected_at")?,
        last_test: r.opt_text("last_test")?,
    })
}

impl Store {
    /// Every connected integration with its schedule and when its last run started.
    pub async fn scheduled_integrations(&self) -> Result<Vec<(i64, String, i64, Option<String>)>> {
        let rows = sqlx::query(
            "SELECT i.workspace_id, i.source, i.schedule_minutes, \
               (SELECT MAX(r.started_at) FROM sync_runs r WHERE r.workspace_id = i.workspace_id AND r.source = i.source) AS last \
             FROM integrations i ORDER BY i.workspace_id, i.source",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.int("workspace_id")?,
                    r.text("source")?,
                    r.int("schedule_minutes")?,
                    r.opt_text("last")?,
                ))
            })
            .collect()
    }
}
