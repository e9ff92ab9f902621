//! Server function declarations. Each one is a thin adapter: it resolves the caller's workspace
//! and hands over to the server's [`SuccessData`] implementation, which owns the store.

use crate::model::{
    self, AccountRow, CloseTheLoopView, ListQuery, Page, PipelineView, ReengageView, RevenueSourceRow, SettingsView,
    TrialRow, WorkspaceInfo,
};
use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Errors a page can show. The variants map to HTTP statuses on the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthorized,
    #[error("You don't have access to this.")]
    Forbidden,
    #[error("{0} was not found.")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("Something went wrong on the server ({0}).")]
    Internal(String),
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

/// What the server provides to server functions (through Leptos context).
#[cfg(feature = "ssr")]
pub mod port {
    use super::*;
    use std::sync::Arc;

    /// The workspace a request reads from, resolved on the server from the request.
    #[derive(Clone, Debug)]
    pub struct Scope {
        pub workspace: WorkspaceInfo,
    }

    #[async_trait::async_trait]
    pub trait SuccessData: Send + Sync + 'static {
        async fn resolve_scope(&self, parts: &http::request::Parts) -> Result<Scope, AppError>;
        async fn health_summary(&self, scope: &Scope) -> Result<model::HealthSummary, AppError>;
        async fn health_queue(&self, scope: &Scope, query: ListQuery) -> Result<Page<AccountRow>, AppError>;
        async fn account_detail(&self, scope: &Scope, account_id: i64) -> Result<model::AccountDetail, AppError>;
        async fn convert_queue(&self, scope: &Scope, query: ListQuery) -> Result<Page<TrialRow>, AppError>;
        async fn contracts(&self, scope: &Scope, query: ListQuery) -> Result<Page<RevenueSourceRow>, AppError>;
        async fn pipeline(&self, scope: &Scope, query: ListQuery) -> Result<PipelineView, AppError>;
        async fn reengage(&self, scope: &Scope, query: ListQuery) -> Result<ReengageView, AppError>;
        async fn close_the_loop(&self, scope: &Scope, query: ListQuery) -> Result<CloseTheLoopView, AppError>;
        async fn settings(&self, scope: &Scope) -> Result<SettingsView, AppError>;
    }

    pub type SharedData = Arc<dyn SuccessData>;

    pub async fn scoped() -> Result<(SharedData, Scope), AppError> {
        let data = use_context::<SharedData>()
            .ok_or_else(|| AppError::Internal("data service missing from context".into()))?;
        let parts = use_context::<http::request::Parts>()
            .ok_or_else(|| AppError::Internal("request missing from context".into()))?;
        let scope = data.resolve_scope(&parts).await?;
        Ok((data, scope))
    }

    /// Sets the HTTP status that matches an error, so API clients see 401/403/404 too.
    pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
        if let Err(err) = &result {
            let status = match err {
                AppError::Unauthorized => http::StatusCode::UNAUTHORIZED,
                AppError::Forbidden => http::StatusCode::FORBIDDEN,
                AppError::NotFound(_) => http::StatusCode::NOT_FOUND,
                AppError::Invalid(_) => http::StatusCode::BAD_REQUEST,
                AppError::Internal(_) | AppError::Transport(_) => http::StatusCode::INTERNAL_SERVER_ERROR,
            };
            if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
                options.set_status(status);
            }
        }
        result
    }
}

#[server(prefix = "/api/fn")]
pub async fn current_workspace() -> Result<WorkspaceInfo, AppError> {
    port::with_status(port::scoped().await.map(|(_, scope)| scope.workspace))
}

#[server(prefix = "/api/fn")]
pub async fn health_summary() -> Result<model::HealthSummary, AppError> {
    port::with_status(
        async {
            let (d, s) = port::scoped().await?;
            d.health_summary(&s).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn")]
pub async fn health_queue(query: ListQuery) -> Result<Page<AccountRow>, AppError> {
    port::with_status(
        async {
            let (d, s) = port::scoped().await?;
            d.health_queue(&s, query).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn")]
pub async fn account_detail(account_id: i64) -> Result<model::AccountDetail, AppError> {
    port::with_status(
        async {
            let (d, s) = port::scoped().await?;
            d.account_detail(&s, account_id).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn")]
pub async fn convert_queue(query: ListQuery) -> Result<Page<TrialRow>, AppError> {
    port::with_status(
        async {
            let (d, s) = port::scoped().await?;
            d.convert_queue(&s, query).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn")]
pub async fn contracts(query: ListQuery) -> Result<Page<RevenueSourceRow>, AppError> {
    port::with_status(
        async {
            let (d, s) = port::scoped().await?;
            d.contracts(&s, query).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn")]
pub async fn pipeline(query: ListQuery) -> Result<PipelineView, AppError> {
    port::with_status(
        async {
            let (d, s) = port::scoped().await?;
            d.pipeline(&s, query).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn")]
pub async fn reengage(query: ListQuery) -> Result<ReengageView, AppError> {
    port::with_status(
        async {
            let (d, s) = port::scoped().await?;
            d.reengage(&s, query).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn")]
pub async fn close_the_loop(query: ListQuery) -> Result<CloseTheLoopView, AppError> {
    port::with_status(
        async {
            let (d, s) = port::scoped().await?;
            d.close_the_loop(&s, query).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn")]
pub async fn settings() -> Result<SettingsView, AppError> {
    port::with_status(
        async {
            let (d, s) = port::scoped().await?;
            d.settings(&s).await
        }
        .await,
    )
}
