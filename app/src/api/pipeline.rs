//! Pipeline: the deal list, the board and its settings.

#[cfg(feature = "ssr")]
use super::port;
use super::AppError;
#[cfg(feature = "ssr")]
use super::Scope;
#[cfg(feature = "ssr")]
use crate::access::Need;
use crate::model::{self, DealRow, KanbanBoard, ListQuery, PipelineView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait PipelinePort: Send + Sync {
    async fn pipeline(&self, scope: &Scope, query: ListQuery) -> Result<PipelineView, AppError>;
    async fn pipeline_board(&self, scope: &Scope, query: ListQuery) -> Result<KanbanBoard, AppError>;
    async fn pipeline_settings(&self, scope: &Scope) -> Result<model::PipelineSettings, AppError>;
    /// `order`: every stage key once, comma-separated, in the new board order.
    async fn set_stage_order(&self, scope: &Scope, order: String) -> Result<(), AppError>;
    async fn set_pipeline_source(&self, scope: &Scope, source: String) -> Result<(), AppError>;
    /// Moves a deal into `stage`, before the deal `before` (else last), if nobody moved it
    /// since the mover saw `version`.
    async fn move_deal(
        &self,
        scope: &Scope,
        deal_id: i64,
        stage: String,
        version: i64,
        before: Option<i64>,
    ) -> Result<DealRow, AppError>;
}

#[server(prefix = "/api/fn", endpoint = "pipeline")]
pub async fn pipeline(query: ListQuery) -> Result<PipelineView, AppError> {
    port::call(Need::Read, |d, s| async move { d.pipeline(&s, query).await }).await
}

/// Moves a deal to another stage; `version` is the version the mover saw, so a stale move is refused.
#[server(prefix = "/api/fn", endpoint = "pipeline_board")]
pub async fn pipeline_board(query: ListQuery) -> Result<KanbanBoard, AppError> {
    port::call(Need::Read, |d, s| async move { d.pipeline_board(&s, query).await }).await
}

#[server(prefix = "/api/fn", endpoint = "pipeline_settings")]
pub async fn pipeline_settings() -> Result<model::PipelineSettings, AppError> {
    port::call(Need::Read, |d, s| async move { d.pipeline_settings(&s).await }).await
}

#[server(prefix = "/api/fn", endpoint = "set_stage_order")]
pub async fn set_stage_order(order: String) -> Result<(), AppError> {
    port::call(Need::Manage, |d, s| async move { d.set_stage_order(&s, order).await }).await
}

#[server(prefix = "/api/fn", endpoint = "set_pipeline_source")]
pub async fn set_pipeline_source(source: String) -> Result<(), AppError> {
    port::call(
        Need::Manage,
        |d, s| async move { d.set_pipeline_source(&s, source).await },
    )
    .await
}

#[server(prefix = "/api/fn", endpoint = "move_deal")]
pub async fn move_deal(deal_id: i64, stage: String, version: i64, before: Option<i64>) -> Result<DealRow, AppError> {
    port::call(Need::Operate, |d, s| async move {
        d.move_deal(&s, deal_id, stage, version, before).await
    })
    .await
}
