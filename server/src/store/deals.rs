//! Deal moves on the Pipeline: a version check per move, so two people moving the same deal
//! never overwrite each other silently, and each move kept for the account's history.

use super::queries::{deal_row, DEAL_COLUMNS, DEAL_FROM};
use super::sql::RowExt;
use super::{Result, Store, StoreError};
use app::model::{DealRow, StageMove};
use chrono::{DateTime, Utc};

impl Store {
    /// The workspace's pipeline stages as (key, label, outcome), in order.
    pub async fn pipeline_stages(&self, ws: i64) -> Result<Vec<(String, String, String)>> {
        sqlx::query("SELECT key, label, outcome FROM pipeline_stages WHERE workspace_id = $1 ORDER BY position")
            .bind(ws)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| Ok((r.text("key")?, r.text("label")?, r.text("outcome")?)))
            .collect()
    }

    /// The stage changes of an account's deals, newest first.
    pub async fn stage_moves(&self, workspace_id: i64, account_id: i64) -> Result<Vec<StageMove>> {
        sqlx::query(
            "SELECT d.name AS deal_name, pf.label AS from_label, pt.label AS to_label, m.moved_by, m.moved_at \
             FROM deal_moves m JOIN deals d ON d.id = m.deal_id \
             LEFT JOIN pipeline_stages pf ON pf.workspace_id = m.workspace_id AND pf.key = m.from_stage \
             LEFT JOIN pipeline_stages pt ON pt.workspace_id = m.workspace_id AND pt.key = m.to_stage \
             WHERE m.account_id = $1 AND m.workspace_id = $2 ORDER BY m.moved_at DESC, m.id DESC LIMIT 50",
        )
        .bind(account_id)
        .bind(workspace_id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(StageMove {
                deal_name: r.text("deal_name")?,
                from_label: r.opt_text("from_label")?,
                to_label: r.opt_text("to_label")?.unwrap_or_else(|| "a removed stage".into()),
                moved_by: r.text("moved_by")?,
                moved_at: r.text("moved_at")?,
            })
        })
        .collect()
    }

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

    /// Moves a deal to `stage`, just before the deal `before` (else at the end of the column), if
    /// nobody moved it since the mover saw `version`.
    #[allow(clippy::too_many_arguments)]
    pub async fn move_deal(
        &self,
        workspace_id: i64,
        deal_id: i64,
        stage: &str,
        version: i64,
        before: Option<i64>,
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
        let mut tx = self.begin_write().await?;
        let anchor = match before.filter(|b| *b != deal_id) {
            Some(b) => sqlx::query("SELECT id, position FROM deals WHERE id = $1 AND workspace_id = $2 AND stage = $3")
                .bind(b)
                .bind(workspace_id)
                .bind(stage)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| Ok::<_, StoreError>((r.int("id")?, r.int("position")?)))
                .transpose()?,
            None => None,
        };
        let position = match anchor {
            // Cards sort by (position, id). Everything from the anchor on moves two places down and
            // the card takes the place between: right after the cards before the anchor, ties too.
            Some((anchor_id, p)) => {
                sqlx::query(
                    "UPDATE deals SET position = position + 2 WHERE workspace_id = $1 AND stage = $2 \
                     AND (position > $3 OR (position = $3 AND id >= $4)) AND id <> $5",
                )
                .bind(workspace_id)
                .bind(stage)
                .bind(p)
                .bind(anchor_id)
                .bind(deal_id)
                .execute(&mut *tx)
                .await?;
                p + 1
            }
            None => sqlx::query(
                "SELECT CAST(COALESCE(MAX(position), 0) + 1 AS BIGINT) AS p FROM deals WHERE workspace_id = $1 AND stage = $2 AND id <> $3",
            )
            .bind(workspace_id)
            .bind(stage)
            .bind(deal_id)
            .fetch_one(&mut *tx)
            .await?
            .int("p")?,
        };
        // With Attio connected, an Attio deal's move is Attio's to accept: until it does, the card
        // says so. Without a connection (demo data, a disconnected CRM) the move is Success's alone.
        let moved = sqlx::query(
            "UPDATE deals SET stage = $1, position = $2, version = version + 1, updated_at = $3, \
               writeback_error = CASE \
                 WHEN source <> 'attio' OR stage = $1 THEN writeback_error \
                 WHEN EXISTS (SELECT 1 FROM integrations i WHERE i.workspace_id = $5 AND i.source = 'attio') \
                   THEN 'Sending to Attio…' \
                 ELSE NULL END \
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

impl Store {
    /// Records how the CRM took a deal's move: accepted (`Ok`, with the stage as the CRM names it,
    /// so the next sync does not count it as a change made there) or refused (the reason).
    pub async fn record_writeback(
        &self,
        workspace_id: i64,
        deal_id: i64,
        version: i64,
        outcome: std::result::Result<&str, &str>,
    ) -> Result<()> {
        // Only for the move that was sent: a later move sends again and records its own outcome.
        let q = match outcome {
            Ok(vendor_stage) => sqlx::query(
                "UPDATE deals SET writeback_error = NULL, vendor_stage = $1 WHERE id = $2 AND workspace_id = $3 AND version = $4",
            )
            .bind(vendor_stage.to_string()),
            Err(reason) => sqlx::query(
                "UPDATE deals SET writeback_error = $1 WHERE id = $2 AND workspace_id = $3 AND version = $4",
            )
            .bind(reason.to_string()),
        };
        q.bind(deal_id)
            .bind(workspace_id)
            .bind(version)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// A CRM deal's record id and the stage titles the CRM has used for each workspace stage, so a
    /// move can be written back under the CRM's own name for it.
    pub async fn crm_deal_target(&self, workspace_id: i64, deal_id: i64) -> Result<(String, Vec<String>)> {
        let row = sqlx::query("SELECT external_id, stage, source FROM deals WHERE id = $1 AND workspace_id = $2")
            .bind(deal_id)
            .bind(workspace_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound("Deal"))?;
        let external = row
            .opt_text("external_id")?
            .ok_or_else(|| StoreError::Invalid("This deal has no CRM record.".into()))?;
        let titles = sqlx::query(
            "SELECT DISTINCT vendor_stage FROM deals WHERE workspace_id = $1 AND source = $2 AND vendor_stage IS NOT NULL ORDER BY vendor_stage",
        )
        .bind(workspace_id)
        .bind(row.text("source")?)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| r.text("vendor_stage"))
        .collect::<Result<Vec<_>>>()?;
        Ok((external, titles))
    }
}

impl Store {
    /// Deals that reached a won stage, most recently moved first (the office screen's wins).
    pub async fn recent_wins(&self, workspace_id: i64, limit: i64) -> Result<Vec<DealRow>> {
        sqlx::query(&format!(
            "SELECT {DEAL_COLUMNS} {DEAL_FROM} WHERE d.workspace_id = $1 AND ps.outcome = 'won' \
             ORDER BY d.updated_at DESC, d.id DESC LIMIT $2"
        ))
        .bind(workspace_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(deal_row)
        .collect()
    }
}

impl Store {
    /// Puts the stages in this board order (every key exactly once), in one transaction.
    pub async fn set_stage_order(&self, workspace_id: i64, order: &[String]) -> Result<()> {
        let current: Vec<String> = self
            .pipeline_stages(workspace_id)
            .await?
            .into_iter()
            .map(|s| s.0)
            .collect();
        app::model::check_stage_order(&current, order).map_err(StoreError::Invalid)?;
        let mut tx = self.begin_write().await?;
        for (position, key) in order.iter().enumerate() {
            sqlx::query("UPDATE pipeline_stages SET position = $1 WHERE workspace_id = $2 AND key = $3")
                .bind(position as i64)
                .bind(workspace_id)
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Which CRM's deals Pipeline shows: `all`, `salesbricks` or `attio`.
    pub async fn set_pipeline_source(&self, workspace_id: i64, source: &str) -> Result<()> {
        if !app::model::PIPELINE_SOURCES.iter().any(|(k, _)| *k == source) {
            return Err(StoreError::Invalid(format!(
                "Pipeline's deals come from all, salesbricks or attio, not {source:?}."
            )));
        }
        sqlx::query("UPDATE workspaces SET pipeline_source = $1 WHERE id = $2")
            .bind(source)
            .bind(workspace_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
