//! The HTTP side: axum router, Leptos SSR with server functions, demo-preview switch.

use crate::store::{Store, StoreError};
use app::api::port::{Scope, SharedData, SuccessData};
use app::api::AppError;
use app::model::*;
use axum::body::Body;
use axum::extract::Request;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tower::ServiceExt;
use tower_http::services::ServeDir;

pub const DEMO_COOKIE: &str = "success_demo";

#[derive(Clone, axum::extract::FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub data: SharedData,
}

/// The server's implementation of what server functions may ask for.
pub struct Data {
    pub store: Store,
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(what) => AppError::NotFound(what.to_string()),
            StoreError::Invalid(msg) => AppError::Invalid(msg),
            other => {
                tracing::error!(error = %other, "store error");
                AppError::Internal("the error was logged".into())
            }
        }
    }
}

fn wants_demo(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| c.trim() == format!("{DEMO_COOKIE}=1"))
}

#[async_trait::async_trait]
impl SuccessData for Data {
    async fn resolve_scope(&self, parts: &axum::http::request::Parts) -> Result<Scope, AppError> {
        let workspace = self
            .store
            .resolve_workspace(wants_demo(&parts.headers))
            .await?
            .ok_or_else(|| AppError::NotFound("Workspace".into()))?;
        Ok(Scope { workspace })
    }
    async fn health_summary(&self, s: &Scope) -> Result<HealthSummary, AppError> {
        Ok(self.store.health_summary(&s.workspace, today()).await?)
    }
    async fn health_queue(&self, s: &Scope, q: ListQuery) -> Result<Page<AccountRow>, AppError> {
        Ok(self.store.health_queue(&s.workspace, &q, today()).await?)
    }
    async fn account_detail(&self, s: &Scope, id: i64) -> Result<AccountDetail, AppError> {
        Ok(self.store.account_detail(&s.workspace, id, today()).await?)
    }
    async fn convert_queue(&self, s: &Scope, q: ListQuery) -> Result<Page<TrialRow>, AppError> {
        Ok(self.store.convert_queue(&s.workspace, &q, today()).await?)
    }
    async fn contracts(&self, s: &Scope, q: ListQuery) -> Result<Page<RevenueSourceRow>, AppError> {
        Ok(self.store.contracts(&s.workspace, &q, today()).await?)
    }
    async fn pipeline(&self, s: &Scope, q: ListQuery) -> Result<PipelineView, AppError> {
        Ok(self.store.pipeline(&s.workspace, &q).await?)
    }
    async fn reengage(&self, s: &Scope, q: ListQuery) -> Result<ReengageView, AppError> {
        Ok(self.store.reengage(&s.workspace, &q).await?)
    }
    async fn close_the_loop(&self, s: &Scope, q: ListQuery) -> Result<CloseTheLoopView, AppError> {
        Ok(self.store.close_the_loop(&s.workspace, &q).await?)
    }
    async fn settings(&self, s: &Scope) -> Result<SettingsView, AppError> {
        Ok(self.store.settings(&s.workspace).await?)
    }
}

#[derive(serde::Deserialize)]
struct Next {
    next: Option<String>,
}

/// Only local paths, so the switch cannot be used as an open redirect.
fn local_path(next: Option<String>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p,
        _ => "/health".into(),
    }
}

async fn enter_demo(Query(q): Query<Next>) -> Response {
    let cookie = format!("{DEMO_COOKIE}=1; Path=/; HttpOnly; SameSite=Lax; Max-Age=86400");
    ([(header::SET_COOKIE, cookie)], Redirect::to(&local_path(q.next))).into_response()
}

async fn exit_demo(Query(q): Query<Next>) -> Response {
    let cookie = format!("{DEMO_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    ([(header::SET_COOKIE, cookie)], Redirect::to(&local_path(q.next))).into_response()
}

/// Liveness for load balancers and scripts.
async fn healthz() -> &'static str {
    "ok"
}

/// Serves the built site (wasm, css, public/) and renders the app's 404 page for anything else.
/// (leptos_axum's file_and_error_handler streams in order, which thaw's SSR style provider cannot
/// handle; the out-of-order renderer used for the routes works.)
async fn static_file_or_not_found(State(state): State<AppState>, req: Request<Body>) -> Response {
    let probe = Request::builder()
        .uri(req.uri().clone())
        .body(Body::empty())
        .expect("valid request");
    let Ok(res) = ServeDir::new(&*state.leptos_options.site_root).oneshot(probe).await;
    if res.status() == StatusCode::OK {
        return res.map(Body::new);
    }
    let data = state.data.clone();
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_to_stream_with_context(
        move || provide_context(data.clone()),
        move || app::shell(options.clone()),
    );
    let mut res = render(req).await.into_response();
    if res.status() == StatusCode::OK {
        *res.status_mut() = StatusCode::NOT_FOUND;
    }
    res
}

pub fn router(leptos_options: LeptosOptions, store: Store) -> Router {
    let data: SharedData = Arc::new(Data { store });
    let state = AppState {
        leptos_options: leptos_options.clone(),
        data: data.clone(),
    };
    let routes = generate_route_list(app::App);
    let context = move || provide_context(data.clone());
    Router::new()
        .route("/demo/enter", get(enter_demo))
        .route("/demo/exit", get(exit_demo))
        .route("/healthz", get(healthz))
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = leptos_options.clone();
            move || app::shell(options.clone())
        })
        .fallback(static_file_or_not_found)
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_switch_redirects_only_to_local_paths() {
        assert_eq!(local_path(Some("/contracts?page=2".into())), "/contracts?page=2");
        assert_eq!(local_path(Some("//evil.example".into())), "/health");
        assert_eq!(local_path(Some("https://evil.example".into())), "/health");
        assert_eq!(local_path(None), "/health");
    }

    #[test]
    fn the_demo_cookie_is_read_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=b; success_demo=1; c=d".parse().unwrap());
        assert!(wants_demo(&headers));
        headers.insert(header::COOKIE, "success_demo=0".parse().unwrap());
        assert!(!wants_demo(&headers));
    }
}
