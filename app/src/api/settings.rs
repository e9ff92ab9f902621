//! Settings: the workspace overview, scoring, integrations, signals in and account matching.

#[cfg(feature = "ssr")]
use super::port;
use super::AppError;
#[cfg(feature = "ssr")]
use super::Scope;
#[cfg(feature = "ssr")]
use crate::access::Need;
use crate::model::{self, IntegrationKind, SettingsView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait SettingsPort: Send + Sync {
    async fn settings(&self, scope: &Scope) -> Result<SettingsView, AppError>;
    async fn scoring(&self, scope: &Scope) -> Result<model::ScoringView, AppError>;
    /// Saves the scorecard and rescores; returns how many accounts changed.
    async fn save_scorecard(&self, scope: &Scope, card: crate::scoring::Scorecard) -> Result<u64, AppError>;
    /// Rescores the workspace now; returns how many accounts changed.
    async fn rescore_now(&self, scope: &Scope) -> Result<u64, AppError>;

    // Settings → Integrations.
    /// Tests the credentials against the vendor and, when they work, stores them sealed.
    async fn connect_integration(
        &self,
        scope: &Scope,
        kind: IntegrationKind,
        setup: crate::integrations::IntegrationSetup,
    ) -> Result<String, AppError>;
    async fn test_integration(&self, scope: &Scope, kind: IntegrationKind) -> Result<String, AppError>;
    async fn disconnect_integration(&self, scope: &Scope, kind: IntegrationKind) -> Result<(), AppError>;
    /// Starts a sync in the background; returns its run id.
    async fn sync_integration(&self, scope: &Scope, kind: IntegrationKind) -> Result<i64, AppError>;
    async fn set_exchange_rate(&self, scope: &Scope, currency: String, rate: String) -> Result<(), AppError>;
    /// What a run skipped or repaired, counted by why, and its first records.
    async fn sync_run_errors(&self, scope: &Scope, run_id: i64) -> Result<crate::integrations::RunProblems, AppError>;

    // Signals in.
    /// A new API token for the signals endpoint, shown this once.
    async fn create_api_token(&self, scope: &Scope, name: String) -> Result<String, AppError>;
    async fn revoke_api_token(&self, scope: &Scope, id: i64) -> Result<(), AppError>;
    /// What importing the CSV would do; nothing is written.
    async fn preview_signals_csv(&self, scope: &Scope, csv: String) -> Result<crate::signals::ImportPreview, AppError>;
    async fn import_signals_csv(&self, scope: &Scope, csv: String) -> Result<crate::signals::IngestReport, AppError>;

    // Settings → Signals & matching: account matching.
    async fn matching(&self, scope: &Scope) -> Result<crate::matching::MatchingView, AppError>;
    async fn link_company(
        &self,
        scope: &Scope,
        source: String,
        external_id: String,
        account_id: i64,
    ) -> Result<(), AppError>;
    async fn unlink_company(
        &self,
        scope: &Scope,
        account_id: i64,
        source: String,
        external_id: String,
    ) -> Result<(), AppError>;
    /// Merges one account into another; returns the merge's id, for undo.
    async fn merge_accounts(&self, scope: &Scope, keep_id: i64, merge_id: i64) -> Result<i64, AppError>;
    /// Undoes a merge; returns the restored account's id.
    async fn undo_merge(&self, scope: &Scope, merge: i64) -> Result<i64, AppError>;
}

#[server(prefix = "/api/fn", endpoint = "settings")]
pub async fn settings() -> Result<SettingsView, AppError> {
    port::call(Need::Read, |d, s| async move { d.settings(&s).await }).await
}

/// Rescores every account of the workspace now (admins; it also runs on a schedule and after syncs).
#[server(prefix = "/api/fn", endpoint = "rescore_now")]
pub async fn rescore_now() -> Result<u64, AppError> {
    port::call(Need::Manage, |d, s| async move { d.rescore_now(&s).await }).await
}

/// Settings → Scoring: the scorecard and the accounts' inputs for the live preview.
#[server(prefix = "/api/fn", endpoint = "scoring_settings")]
pub async fn scoring_settings() -> Result<model::ScoringView, AppError> {
    port::call(Need::Read, |d, s| async move { d.scoring(&s).await }).await
}

/// Saves a scorecard (sent as JSON text) and rescores the workspace; returns the accounts changed.
#[server(prefix = "/api/fn", endpoint = "save_scorecard")]
pub async fn save_scorecard(card_json: String) -> Result<u64, AppError> {
    port::call(Need::Manage, |d, s| async move {
        let card: crate::scoring::Scorecard = serde_json::from_str(&card_json)
            .map_err(|e| AppError::Invalid(format!("The scorecard was not understood: {e}")))?;
        d.save_scorecard(&s, card).await
    })
    .await
}

// ---- Settings → Integrations ----------------------------------------------------------------

/// Connects (or reconnects) an integration: the credentials are tested first and stored only
/// when the vendor accepts them. Returns what the vendor said.
#[server(prefix = "/api/fn", endpoint = "connect_integration")]
pub async fn connect_integration(
    kind: IntegrationKind,
    #[server(default)] credential: String,
    #[server(default)] base_url: String,
    #[server(default)] schedule_minutes: Option<u32>,
    #[server(default)] webhook_secret: String,
    #[server(default)] target: String,
) -> Result<String, AppError> {
    let setup = crate::integrations::IntegrationSetup {
        credential,
        base_url,
        schedule_minutes: schedule_minutes.unwrap_or(crate::integrations::SCHEDULE_DEFAULT),
        webhook_secret,
        target,
    };
    port::call(Need::Manage, |d, s| async move {
        d.connect_integration(&s, kind, setup).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "test_integration")]
pub async fn test_integration(kind: IntegrationKind) -> Result<String, AppError> {
    port::call(Need::Manage, |d, s| async move { d.test_integration(&s, kind).await }).await
}

#[server(prefix = "/api/fn", endpoint = "disconnect_integration")]
pub async fn disconnect_integration(kind: IntegrationKind) -> Result<(), AppError> {
    port::call(
        Need::Manage,
        |d, s| async move { d.disconnect_integration(&s, kind).await },
    )
    .await
}

/// Starts a sync now (CSMs may too: it only reads from the vendor).
#[server(prefix = "/api/fn", endpoint = "sync_integration")]
pub async fn sync_integration(kind: IntegrationKind) -> Result<i64, AppError> {
    port::call(Need::Operate, |d, s| async move { d.sync_integration(&s, kind).await }).await
}

#[server(prefix = "/api/fn", endpoint = "sync_run_errors")]
pub async fn sync_run_errors(run_id: i64) -> Result<crate::integrations::RunProblems, AppError> {
    port::call(Need::Read, |d, s| async move { d.sync_run_errors(&s, run_id).await }).await
}

/// Sets the rate of one currency into the workspace currency ("1.08"); syncs price with it from then on.
#[server(prefix = "/api/fn", endpoint = "set_exchange_rate")]
pub async fn set_exchange_rate(
    #[server(default)] currency: String,
    #[server(default)] rate: String,
) -> Result<(), AppError> {
    port::call(Need::Manage, |d, s| async move {
        d.set_exchange_rate(&s, currency, rate).await
    })
    .await
}

// ---- Signals in -------------------------------------------------------------------------------

/// Creates a workspace API token for `POST /api/v1/signals`; the token is returned only now.
#[server(prefix = "/api/fn", endpoint = "create_api_token")]
pub async fn create_api_token(#[server(default)] name: String) -> Result<String, AppError> {
    port::call(Need::Manage, |d, s| async move { d.create_api_token(&s, name).await }).await
}

#[server(prefix = "/api/fn", endpoint = "revoke_api_token")]
pub async fn revoke_api_token(id: i64) -> Result<(), AppError> {
    port::call(Need::Manage, |d, s| async move { d.revoke_api_token(&s, id).await }).await
}

/// Checks a CSV of signals row by row and says what an import would do, writing nothing.
#[server(prefix = "/api/fn", endpoint = "preview_signals_csv")]
pub async fn preview_signals_csv(#[server(default)] csv: String) -> Result<crate::signals::ImportPreview, AppError> {
    port::call(
        Need::Operate,
        |d, s| async move { d.preview_signals_csv(&s, csv).await },
    )
    .await
}

/// Imports the CSV's valid rows (bad rows are reported and left out).
#[server(prefix = "/api/fn", endpoint = "import_signals_csv")]
pub async fn import_signals_csv(#[server(default)] csv: String) -> Result<crate::signals::IngestReport, AppError> {
    port::call(Need::Operate, |d, s| async move { d.import_signals_csv(&s, csv).await }).await
}

// ---- Settings → Signals & matching: account matching ----------------------------------------

#[server(prefix = "/api/fn", endpoint = "matching")]
pub async fn matching() -> Result<crate::matching::MatchingView, AppError> {
    port::call(Need::Read, |d, s| async move { d.matching(&s).await }).await
}

/// Links a vendor company that matched nothing to an account.
#[server(prefix = "/api/fn", endpoint = "link_company")]
pub async fn link_company(source: String, external_id: String, account_id: i64) -> Result<(), AppError> {
    port::call(Need::Manage, |d, s| async move {
        d.link_company(&s, source, external_id, account_id).await
    })
    .await
}

/// Undoes a wrong match: the vendor id goes back to the unmatched list.
#[server(prefix = "/api/fn", endpoint = "unlink_company")]
pub async fn unlink_company(account_id: i64, source: String, external_id: String) -> Result<(), AppError> {
    port::call(Need::Manage, |d, s| async move {
        d.unlink_company(&s, account_id, source, external_id).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "merge_accounts")]
pub async fn merge_accounts(keep_id: i64, merge_id: i64) -> Result<i64, AppError> {
    port::call(Need::Manage, |d, s| async move {
        d.merge_accounts(&s, keep_id, merge_id).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "undo_merge")]
pub async fn undo_merge(merge: i64) -> Result<i64, AppError> {
    port::call(Need::Manage, |d, s| async move { d.undo_merge(&s, merge).await }).await
}
