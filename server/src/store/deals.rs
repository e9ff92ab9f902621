//! Deal moves on the Pipeline: a version check per move, so two people moving the same deal
//! never overwrite each other silently.

use super::queries::{deal_row, DEAL_COLUMNS, DEAL_FROM};
use super::sql::RowExt;
use super::{Result, Store, StoreError};
use app::model::DealRow;
use chrono::{DateTime, Utc};

impl Store {
    pub async fn deal(&self, workspace_id: i64, deal_id: i64) -> Result<DealRow> {
        let row = sqlx::query(&format!(
            "SELECT {DEAL_COLUMNS} {DEAL_FROM} WHERE d.id = $1 AND d.workspace_id = $2"
        ))
        .bind(deal_id)
        .bind(workspace_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound("Deal"))?;
        deal_row(&row)
    }

    /// Moves a deal to `stage` if nobody moved it since the mover saw `version`.
    pub async fn move_deal(
        &self,
        workspace_id: i64,
        deal_id: i64,
        stage: &str,
        version: i64,
        moved_by: &str,
        now: DateTime<Utc>,
    ) -> Result<DealRow> {
        let current = self.deal(workspace_id, deal_id).await?;
        let stage_known = sqlx::query("SELECT key FROM pipeline_stages WHERE workspace_id = $1 AND key = $2")
            .bind(workspace_id)
            .bind(stage)
            .fetch_optional(self.pool())
            .await?
            .is_some();
        if !stage_known {
            return Err(StoreError::Invalid(format!(
                "There is no stage {stage:?} in this pipeline."
            )));
        }
        if current.source == app::model::DealSource::Salesbricks {
            return Err(StoreError::Invalid(
                "Salesbricks deals follow their contract's stage; change it in Salesbricks.".into(),
            ));
        }
        let mut tx = self.pool().begin().await?;
        let position = sqlx::query(
            "SELECT CAST(COALESCE(MAX(position), 0) + 1 AS BIGINT) AS p FROM deals WHERE workspace_id = $1 AND stage = $2",
        )
        .bind(workspace_id)
        .bind(stage)
        .fetch_one(&mut *tx)
        .await?
        .int("p")?;
        let moved = sqlx::query(
            "UPDATE deals SET stage = $1, position = $2, version = version + 1, updated_at = $3 \
             WHERE id = $4 AND workspace_id = $5 AND version = $6",
        )
        .bind(stage)
        .bind(position)
        .bind(super::access::instant(now))
        .bind(deal_id)
        .bind(workspace_id)
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 0 {
            tx.rollback().await?;
            let now_at = self.deal(workspace_id, deal_id).await?;
            return Err(StoreError::Conflict(format!(
                "Someone else moved this deal first; it is now in {}.",
                now_at.stage_label
            )));
        }
        if current.stage != stage {
            // Moving a deal that routing opened is acting on the route: it leaves Pipeline's top.
            sqlx::query(
                "UPDATE routes SET dismissed_at = $1 WHERE deal_id = $2 AND workspace_id = $3 AND dismissed_at IS NULL",
            )
            .bind(super::access::instant(now))
            .bind(deal_id)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO deal_moves (workspace_id, deal_id, account_id, from_stage, to_stage, moved_by, moved_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(workspace_id)
            .bind(deal_id)
            .bind(current.account_id)
            .bind(&current.stage)
            .bind(stage)
            .bind(moved_by)
            .bind(super::access::instant(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.deal(workspace_id, deal_id).await
    }
}
