//! CSM band overrides: one per account, replaced by a newer one, cleared by hand or by time
//! (reads ignore it after its last day). Setting and clearing are audited in the same transaction.

use super::access::{audit, instant};
use super::sql::{day, RowExt};
use super::{Result, Store, StoreError};
use app::api::Member;
use app::model::BandOverride;
use app::scoring::Band;
use chrono::{DateTime, NaiveDate, Utc};

/// The account's name, which the audit log shows; NotFound for another workspace's account.
async fn account_name(conn: &mut sqlx::AnyConnection, workspace_id: i64, account_id: i64) -> Result<String> {
    sqlx::query("SELECT name FROM accounts WHERE id = $1 AND workspace_id = $2")
        .bind(account_id)
        .bind(workspace_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("Account"))?
        .text("name")
}

impl Store {
    #[allow(clippy::too_many_arguments)]
    pub async fn set_band_override(
        &self,
        workspace_id: i64,
        account_id: i64,
        band: Band,
        reason: &str,
        expires_on: NaiveDate,
        by: &Member,
        now: DateTime<Utc>,
    ) -> Result<BandOverride> {
        let mut tx = self.begin_write().await?;
        let name = account_name(&mut tx, workspace_id, account_id).await?;
        sqlx::query("DELETE FROM health_overrides WHERE account_id = $1 AND workspace_id = $2")
            .bind(account_id)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO health_overrides (account_id, workspace_id, band, reason, expires_on, set_by_id, set_by_name, set_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(account_id)
        .bind(workspace_id)
        .bind(band.as_str())
        .bind(reason)
        .bind(day(expires_on))
        .bind(by.user_id)
        .bind(&by.name)
        .bind(instant(now))
        .execute(&mut *tx)
        .await?;
        let detail = format!("{} until {expires_on}: {reason}", band.label());
        audit(
            &mut tx,
            workspace_id,
            Some(by.user_id),
            &by.name,
            "band overridden",
            &name,
            &detail,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(BandOverride {
            band,
            reason: reason.to_string(),
            expires_on,
            set_by: by.name.clone(),
            set_at: instant(now),
        })
    }

    /// Removes the account's override; clearing one that is not there is not an error (idempotent).
    pub async fn clear_band_override(
        &self,
        workspace_id: i64,
        account_id: i64,
        by: &Member,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let name = account_name(&mut tx, workspace_id, account_id).await?;
        let removed = sqlx::query("DELETE FROM health_overrides WHERE account_id = $1 AND workspace_id = $2")
            .bind(account_id)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if removed > 0 {
            audit(
                &mut tx,
                workspace_id,
                Some(by.user_id),
                &by.name,
                "band override cleared",
                &name,
                "",
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The account's override if it still applies on `today`.
    pub async fn band_override(
        &self,
        workspace_id: i64,
        account_id: i64,
        today: NaiveDate,
    ) -> Result<Option<BandOverride>> {
        sqlx::query(
            "SELECT band, reason, expires_on, set_by_name, set_at FROM health_overrides \
             WHERE account_id = $1 AND workspace_id = $2 AND expires_on >= $3",
        )
        .bind(account_id)
        .bind(workspace_id)
        .bind(day(today))
        .fetch_optional(self.pool())
        .await?
        .map(|r| {
            Ok(BandOverride {
                band: r.parsed("band", Band::parse)?,
                reason: r.text("reason")?,
                expires_on: r.date("expires_on")?,
                set_by: r.text("set_by_name")?,
                set_at: r.text("set_at")?,
            })
        })
        .transpose()
    }
}
