//! After a sync: settling revenue and lifecycles; exchange rates; webhook delivery ids.

use crate::store::sql::RowExt;
use crate::store::{Result, Store, StoreError};
use chrono::{DateTime, Utc};

impl Store {
    /// After a sync: which Salesbricks contracts Stripe already bills, then each account's ARR,
    /// renewal and payment state.
    pub async fn settle_revenue(&self, ws: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE revenue_sources SET counted = (status = 'active' AND NOT EXISTS (
                SELECT 1 FROM revenue_sources s WHERE s.workspace_id = revenue_sources.workspace_id
                  AND s.source = 'stripe' AND s.counted AND s.stripe_customer_id = revenue_sources.stripe_customer_id))
             WHERE workspace_id = $1 AND source = 'salesbricks' AND stripe_customer_id IS NOT NULL",
        )
        .bind(ws)
        .execute(&mut *tx)
        .await?;
        self.refresh_rollups(&mut tx, ws).await?;
        // A customer whose only business is a running trial is a trial (Convert, lifecycle
        // filters), and a trial that now pays is a customer. Other lifecycles are someone's choice.
        sqlx::query(
            "UPDATE accounts SET lifecycle = 'trial' WHERE workspace_id = $1 AND lifecycle = 'customer' AND arr_minor = 0 \
               AND EXISTS (SELECT 1 FROM trials t WHERE t.account_id = accounts.id AND t.outcome IS NULL)",
        )
        .bind(ws)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE accounts SET lifecycle = 'customer' WHERE workspace_id = $1 AND lifecycle = 'trial' AND arr_minor > 0")
            .bind(ws)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Exchange rates to the workspace currency, for pricing revenue records.
    pub async fn rates(&self, ws: i64) -> Result<app::revenue::Rates> {
        let currency = sqlx::query("SELECT currency FROM workspaces WHERE id = $1")
            .bind(ws)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound("The workspace"))?
            .text("currency")?;
        let mut rates = app::revenue::Rates::new(&currency);
        for r in sqlx::query("SELECT currency, millionths FROM exchange_rates WHERE workspace_id = $1")
            .bind(ws)
            .fetch_all(self.pool())
            .await?
        {
            rates = rates.with(&r.text("currency")?, r.int("millionths")?);
        }
        Ok(rates)
    }

    pub async fn set_rate(&self, ws: i64, currency: &str, millionths: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO exchange_rates (workspace_id, currency, millionths) VALUES ($1, $2, $3) \
             ON CONFLICT (workspace_id, currency) DO UPDATE SET millionths = excluded.millionths",
        )
        .bind(ws)
        .bind(currency.to_ascii_uppercase())
        .bind(millionths)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Remembers a webhook event id; false when it was seen before (a repeated delivery).
    pub async fn first_delivery(&self, ws: i64, source: &str, event_id: &str, now: DateTime<Utc>) -> Result<bool> {
        let inserted = sqlx::query(
            "INSERT INTO webhook_events (workspace_id, source, event_id, received_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (workspace_id, source, event_id) DO NOTHING",
        )
        .bind(ws)
        .bind(source)
        .bind(event_id)
        .bind(now.to_rfc3339())
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(inserted > 0)
    }
}
