//! Health: the summary, the queue, tracking and band overrides.

use super::Data;
use app::api::port::HealthPort;
use app::api::{AppError, Scope};
use app::live::LiveEvent;
use app::model::*;

#[async_trait::async_trait]
impl HealthPort for Data {
    async fn health_summary(&self, s: &Scope) -> Result<HealthSummary, AppError> {
        self.summary_of(&s.workspace).await
    }

    async fn health_queue(&self, s: &Scope, q: ListQuery) -> Result<Page<AccountRow>, AppError> {
        self.queue_of(&s.workspace, q).await
    }

    async fn set_tracked(&self, s: &Scope, account_id: i64, tracked: bool) -> Result<(), AppError> {
        self.store.set_tracked(s.workspace.id, account_id, tracked).await?;
        self.changed(s.workspace.id, LiveEvent::AccountChanged { account_id });
        Ok(())
    }

    async fn override_band(
        &self,
        s: &Scope,
        account_id: i64,
        band: app::scoring::Band,
        reason: String,
        expires_on: String,
    ) -> Result<app::model::BandOverride, AppError> {
        let actor = s.actor()?;
        let today = self.clock.today();
        let expires = chrono::NaiveDate::parse_from_str(expires_on.trim(), "%Y-%m-%d").ok();
        let reason = app::model::BandOverride::check(&reason, expires, today)?;
        let expires = expires.ok_or_else(|| AppError::Invalid("expiry date missing".into()))?;
        let set = self
            .store
            .set_band_override(
                s.workspace.id,
                account_id,
                band,
                &reason,
                expires,
                actor,
                self.clock.now(),
            )
            .await?;
        self.changed(s.workspace.id, LiveEvent::AccountChanged { account_id });
        Ok(set)
    }

    async fn clear_band_override(&self, s: &Scope, account_id: i64) -> Result<(), AppError> {
        let actor = s.actor()?;
        self.store
            .clear_band_override(s.workspace.id, account_id, actor, self.clock.now())
            .await?;
        self.changed(s.workspace.id, LiveEvent::AccountChanged { account_id });
        Ok(())
    }
}
