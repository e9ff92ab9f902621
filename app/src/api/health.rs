//! Health: the summary, the queue, tracking and band overrides.

#[cfg(feature = "ssr")]
use super::port;
use super::AppError;
#[cfg(feature = "ssr")]
use super::Scope;
#[cfg(feature = "ssr")]
use crate::access::Need;
use crate::model::{self, AccountRow, ListQuery, Page};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait HealthPort: Send + Sync {
    // The Success pages.
    async fn health_summary(&self, scope: &Scope) -> Result<model::HealthSummary, AppError>;
    async fn health_queue(&self, scope: &Scope, query: ListQuery) -> Result<Page<AccountRow>, AppError>;
    async fn set_tracked(&self, scope: &Scope, account_id: i64, tracked: bool) -> Result<(), AppError>;
    async fn override_band(
        &self,
        scope: &Scope,
        account_id: i64,
        band: crate::scoring::Band,
        reason: String,
        expires_on: String,
    ) -> Result<model::BandOverride, AppError>;
    async fn clear_band_override(&self, scope: &Scope, account_id: i64) -> Result<(), AppError>;
}

#[server(prefix = "/api/fn", endpoint = "health_summary")]
pub async fn health_summary() -> Result<model::HealthSummary, AppError> {
    port::call(Need::Read, |d, s| async move { d.health_summary(&s).await }).await
}

#[server(prefix = "/api/fn", endpoint = "health_queue")]
pub async fn health_queue(query: ListQuery) -> Result<Page<AccountRow>, AppError> {
    port::call(Need::Read, |d, s| async move { d.health_queue(&s, query).await }).await
}

#[server(prefix = "/api/fn", endpoint = "set_tracked")]
pub async fn set_tracked(account_id: i64, tracked: bool) -> Result<(), AppError> {
    port::call(Need::Operate, |d, s| async move {
        d.set_tracked(&s, account_id, tracked).await
    })
    .await
}

/// Sets a CSM's band for an account, with a reason and the last day it applies (audited).
#[server(prefix = "/api/fn", endpoint = "override_band")]
pub async fn override_band(
    account_id: i64,
    band: crate::scoring::Band,
    #[server(default)] reason: String,
    #[server(default)] expires_on: String,
) -> Result<model::BandOverride, AppError> {
    port::call(Need::Operate, |d, s| async move {
        d.override_band(&s, account_id, band, reason, expires_on).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "clear_band_override")]
pub async fn clear_band_override(account_id: i64) -> Result<(), AppError> {
    port::call(Need::Operate, |d, s| async move {
        d.clear_band_override(&s, account_id).await
    })
    .await
}
