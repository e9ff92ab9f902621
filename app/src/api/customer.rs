//! One customer: the account page and routing accounts between pages.

#[cfg(feature = "ssr")]
use super::port;
use super::AppError;
#[cfg(feature = "ssr")]
use super::Scope;
#[cfg(feature = "ssr")]
use crate::access::Need;
use crate::model::{self, RoutePage, RouteRow};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait CustomerPort: Send + Sync {
    async fn account_detail(&self, scope: &Scope, account_id: i64) -> Result<model::AccountDetail, AppError>;
    async fn route_account(
        &self,
        scope: &Scope,
        account_id: i64,
        from: RoutePage,
        to: RoutePage,
        note: String,
    ) -> Result<RouteRow, AppError>;
    async fn dismiss_route(&self, scope: &Scope, route_id: i64) -> Result<(), AppError>;
    async fn routed_to(&self, scope: &Scope, page: RoutePage) -> Result<Vec<RouteRow>, AppError>;
}

#[server(prefix = "/api/fn", endpoint = "account_detail")]
pub async fn account_detail(account_id: i64) -> Result<model::AccountDetail, AppError> {
    port::call(Need::Read, |d, s| async move { d.account_detail(&s, account_id).await }).await
}

/// Sends an account to another workflow page (into Pipeline it opens an expansion deal).
#[server(prefix = "/api/fn", endpoint = "route_account")]
pub async fn route_account(
    account_id: i64,
    from_page: RoutePage,
    to_page: RoutePage,
    #[server(default)] note: String,
) -> Result<RouteRow, AppError> {
    port::call(Need::Operate, |d, s| async move {
        d.route_account(&s, account_id, from_page, to_page, note).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "dismiss_route")]
pub async fn dismiss_route(route_id: i64) -> Result<(), AppError> {
    port::call(Need::Operate, |d, s| async move { d.dismiss_route(&s, route_id).await }).await
}

/// Accounts routed to a page and not yet dismissed, for the top of that page.
#[server(prefix = "/api/fn", endpoint = "routed_to")]
pub async fn routed_to(page: RoutePage) -> Result<Vec<RouteRow>, AppError> {
    port::call(Need::Read, |d, s| async move { d.routed_to(&s, page).await }).await
}
