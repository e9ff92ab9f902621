//! Office screens: the dashboard a display link opens.

#[cfg(feature = "ssr")]
use super::port;
use super::AppError;
use crate::model::TvDashboard;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait TvPort: Send + Sync {
    // Dashboards for office screens, opened with a display link instead of a session.
    async fn tv_dashboard(&self, token: String) -> Result<TvDashboard, AppError>;
}

// ---- Office screens ------------------------------------------------------------------------

/// The only server function a display link can open; it takes the link's token, not a session.
#[server(prefix = "/api/fn", endpoint = "office_dashboard")]
pub async fn office_dashboard(token: String) -> Result<TvDashboard, AppError> {
    port::call_open(|d, _| async move { d.tv_dashboard(token).await }).await
}
