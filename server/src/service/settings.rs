//! Settings: the overview, scoring, integrations, signals in and account matching.

use super::Data;
use app::access::FieldErrors;
use app::api::port::SettingsPort;
use app::api::{AppError, Scope};
use app::model::*;

#[async_trait::async_trait]
impl SettingsPort for Data {
    async fn settings(&self, s: &Scope) -> Result<SettingsView, AppError> {
        Ok(self.store.settings(&s.workspace).await?)
    }

    async fn scoring(&self, s: &Scope) -> Result<ScoringView, AppError> {
        let ws = s.workspace.id;
        let card = self.store.scorecard(ws).await?;
        let is_default = card == app::scoring::Scorecard::default();
        let (accounts, monitored) = self.store.preview_accounts(ws, PREVIEW_LIMIT).await?;
        let mut inputs: std::collections::HashMap<i64, app::scoring::ScoreInputs> = self
            .store
            .score_inputs(ws, self.clock.today())
            .await?
            .into_iter()
            .map(|i| (i.account_id, i))
            .collect();
        let preview = accounts
            .into_iter()
            .filter_map(|(id, name, arr_minor, band)| {
                let mut inputs = inputs.remove(&id)?;
                // Quotes and links do not change a score; leave them out of the download.
                for signal in &mut inputs.signals {
                    signal.quote.clear();
                    signal.link = None;
                }
                Some(app::scoring::PreviewAccount {
                    id,
                    name,
                    arr_minor,
                    band: band.as_deref().and_then(app::scoring::Band::parse),
                    inputs,
                })
            })
            .collect();
        let mut models = Vec::new();
        for kind in app::likelihood::ModelKind::ALL {
            models.push(self.store.model(ws, kind).await?);
        }
        Ok(ScoringView {
            card,
            is_default,
            preview,
            monitored,
            currency: s.workspace.currency.clone(),
            models,
        })
    }

    async fn save_scorecard(&self, s: &Scope, card: app::scoring::Scorecard) -> Result<u64, AppError> {
        card.validate().map_err(AppError::Invalid)?;
        let now = self.clock.now();
        self.store
            .save_scorecard(s.workspace.id, &card, s.actor()?, now)
            .await?;
        self.settle(s.workspace.id).await
    }

    async fn rescore_now(&self, s: &Scope) -> Result<u64, AppError> {
        self.rescore(s.workspace.id).await
    }

    async fn connect_integration(
        &self,
        s: &Scope,
        kind: IntegrationKind,
        setup: app::integrations::IntegrationSetup,
    ) -> Result<String, AppError> {
        self.connect_integration_in(s.workspace.id, kind, setup).await
    }

    async fn test_integration(&self, s: &Scope, kind: IntegrationKind) -> Result<String, AppError> {
        self.test_integration_in(s.workspace.id, kind).await
    }

    async fn disconnect_integration(&self, s: &Scope, kind: IntegrationKind) -> Result<(), AppError> {
        self.disconnect_integration_in(s.workspace.id, kind).await
    }

    async fn sync_integration(&self, s: &Scope, kind: IntegrationKind) -> Result<i64, AppError> {
        self.start_sync(s.workspace.id, kind).await
    }

    async fn set_exchange_rate(&self, s: &Scope, currency: String, rate: String) -> Result<(), AppError> {
        let mut errors = FieldErrors::default();
        let currency = app::integrations::check_currency(&currency, &s.workspace.currency)
            .map_err(|e| errors.add("currency", e))
            .ok();
        let rate = app::integrations::parse_rate(&rate)
            .map_err(|e| errors.add("rate", e))
            .ok();
        let (Some(currency), Some(rate)) = (currency, rate) else {
            return Err(AppError::Fields(errors));
        };
        self.store.set_rate(s.workspace.id, &currency, rate).await?;
        self.cache.invalidate(s.workspace.id);
        Ok(())
    }

    async fn sync_run_errors(&self, s: &Scope, run_id: i64) -> Result<app::integrations::RunProblems, AppError> {
        Ok(self.store.sync_run_errors(s.workspace.id, run_id).await?)
    }

    async fn create_api_token(&self, s: &Scope, name: String) -> Result<String, AppError> {
        let user = s.actor()?.user_id;
        self.create_api_token_in(s.workspace.id, &name, Some(user)).await
    }

    async fn revoke_api_token(&self, s: &Scope, id: i64) -> Result<(), AppError> {
        self.revoke_api_token_in(s.workspace.id, id).await
    }

    async fn preview_signals_csv(&self, s: &Scope, csv: String) -> Result<app::signals::ImportPreview, AppError> {
        self.preview_signals_csv_in(s.workspace.id, &csv).await
    }

    async fn import_signals_csv(&self, s: &Scope, csv: String) -> Result<app::signals::IngestReport, AppError> {
        self.import_signals_csv_in(s.workspace.id, &csv).await
    }

    async fn matching(&self, s: &Scope) -> Result<app::matching::MatchingView, AppError> {
        Ok(self.store.matching(s.workspace.id).await?)
    }

    async fn link_company(
        &self,
        s: &Scope,
        source: String,
        external_id: String,
        account_id: i64,
    ) -> Result<(), AppError> {
        self.store
            .link_company(s.workspace.id, &source, &external_id, account_id)
            .await?;
        self.settle(s.workspace.id).await.map(|_| ())
    }

    async fn unlink_company(
        &self,
        s: &Scope,
        account_id: i64,
        source: String,
        external_id: String,
    ) -> Result<(), AppError> {
        self.store
            .unlink_company(s.workspace.id, account_id, &source, &external_id, self.clock.now())
            .await?;
        self.settle(s.workspace.id).await.map(|_| ())
    }

    async fn merge_accounts(&self, s: &Scope, keep_id: i64, merge_id: i64) -> Result<i64, AppError> {
        let actor = s.actor()?;
        let id = self
            .store
            .merge_accounts(
                s.workspace.id,
                keep_id,
                merge_id,
                (Some(actor.user_id), &actor.name),
                self.clock.now(),
            )
            .await?;
        self.settle(s.workspace.id).await.map(|_| ())?;
        Ok(id)
    }

    async fn undo_merge(&self, s: &Scope, merge: i64) -> Result<i64, AppError> {
        let actor = s.actor()?;
        let id = self
            .store
            .undo_merge(
                s.workspace.id,
                merge,
                (Some(actor.user_id), &actor.name),
                self.clock.now(),
            )
            .await?;
        self.settle(s.workspace.id).await.map(|_| ())?;
        Ok(id)
    }
}
