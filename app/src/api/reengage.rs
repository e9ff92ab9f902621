//! Re-engage: losses and what CSMs do about them.

#[cfg(feature = "ssr")]
use super::port;
#[cfg(feature = "ssr")]
use super::Scope;
use super::{AppError, LossAction};
#[cfg(feature = "ssr")]
use crate::access::Need;
use crate::model::{ListQuery, ReengageView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait ReengagePort: Send + Sync {
    async fn reengage(&self, scope: &Scope, query: ListQuery) -> Result<ReengageView, AppError>;
    /// Records what a CSM did about a loss; returns a sentence saying what happened.
    async fn winback_action(&self, scope: &Scope, winback_id: i64, action: LossAction) -> Result<String, AppError>;
}

#[server(prefix = "/api/fn", endpoint = "reengage")]
pub async fn reengage(query: ListQuery) -> Result<ReengageView, AppError> {
    port::call(Need::Read, |d, s| async move { d.reengage(&s, query).await }).await
}

#[server(prefix = "/api/fn", endpoint = "winback_action")]
pub async fn winback_action(winback_id: i64, action: LossAction) -> Result<String, AppError> {
    port::call(Need::Operate, |d, s| async move {
        d.winback_action(&s, winback_id, action).await
    })
    .await
}
