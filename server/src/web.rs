//! The HTTP side: axum router, Leptos SSR with server functions, the page gate, the cross-site
//! check and the demo-preview switch.

use crate::auth::{self, AuthConfig};
use crate::service::Data;
use crate::store::Store;
use app::access::local_next;
use app::accounts::port::SharedAccounts;
use app::api::port::SharedData;
use app::model::ListQuery;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tower::ServiceExt;
use tower_http::services::ServeDir;

#[derive(Clone, axum::extract::FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub data: SharedData,
    pub service: Arc<Data>,
}

#[derive(serde::Deserialize)]
struct Next_ {
    next: Option<String>,
}

fn next_path(next: Option<String>) -> String {
    local_next(next.as_deref().unwrap_or("/health"))
}

/// Opens the read-only Pied Piper preview (anyone when SUCCESS_PUBLIC_DEMO is on, else members).
async fn enter_demo(State(state): State<AppState>, req: Request) -> Response {
    let next = Query::<Next_>::try_from_uri(req.uri())
        .map(|q| q.0.next)
        .unwrap_or(None);
    let (parts, _) = req.into_parts();
    let signed_in = matches!(state.data.caller(&parts).await, Ok(c) if c.member.is_some());
    if !state.service.auth.public_demo && !signed_in {
        return Redirect::to("/sign-in?next=%2Fdemo%2Fenter").into_response();
    }
    let cookie = state.service.auth.demo_cookie(&parts.headers);
    ([(header::SET_COOKIE, cookie)], Redirect::to(&next_path(next))).into_response()
}

async fn exit_demo(State(state): State<AppState>, req: Request) -> Response {
    let next = Query::<Next_>::try_from_uri(req.uri())
        .map(|q| q.0.next)
        .unwrap_or(None);
    let cookie = state.service.auth.clear_demo_cookie(req.headers());
    ([(header::SET_COOKIE, cookie)], Redirect::to(&next_path(next))).into_response()
}

#[derive(serde::Deserialize)]
struct EventsQuery {
    display: Option<String>,
    /// For a browser that opened a new stream after the old one gave up (no header then).
    last_event_id: Option<String>,
}

/// `/api/events`: the server-sent event stream of the caller's workspace (or a display link's),
/// starting with what the caller missed since `Last-Event-ID`.
async fn events(State(state): State<AppState>, req: Request) -> Response {
    let query = Query::<EventsQuery>::try_from_uri(req.uri()).ok().map(|q| q.0);
    let (display, from_query) = query.map(|q| (q.display, q.last_event_id)).unwrap_or_default();
    let last_event_id = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(from_query)
        .and_then(|id| id.trim().parse::<i64>().ok());
    let (parts, _) = req.into_parts();
    match state.service.events_access(&parts, display.as_deref()).await {
        Ok((ws, check)) => state
            .service
            .events
            .stream(ws, last_event_id, check)
            .await
            .into_response(),
        Err(err) => (app::api::port::status_of(&err), err.to_string()).into_response(),
    }
}

#[derive(serde::Deserialize)]
struct ChatQuery {
    account_id: i64,
    q: String,
}

/// `/api/chat?account_id=…&q=…`: one answer about one account, streamed (see `chat`). Only from
/// our own pages: a question can spend model tokens, so other sites may not trigger one.
async fn chat(State(state): State<AppState>, req: Request) -> Response {
    if !auth::same_origin(req.headers(), state.service.auth.public_origin.as_deref()) {
        return (StatusCode::FORBIDDEN, "Refused: ask from Success itself.").into_response();
    }
    let Ok(Query(query)) = Query::<ChatQuery>::try_from_uri(req.uri()) else {
        return (StatusCode::BAD_REQUEST, "Ask with an account_id and a question (q).").into_response();
    };
    let (parts, _) = req.into_parts();
    match state.service.chat_context(&parts, query.account_id, &query.q).await {
        Ok(ctx) => crate::chat::respond(state.service.clone(), ctx).into_response(),
        Err(err) => (app::api::port::status_of(&err), err.to_string()).into_response(),
    }
}

/// `/api/export/contracts.csv?…`: every contract the Contracts filters select, as CSV (the
/// page's own query string, so the download is what the page shows, all pages at once).
async fn contracts_csv(State(state): State<AppState>, req: Request) -> Response {
    let query = Query::<ListQuery>::try_from_uri(req.uri())
        .map(|q| q.0)
        .unwrap_or_default();
    let (parts, _) = req.into_parts();
    match state.service.contracts_csv(&parts, query).await {
        Ok(csv) => (
            [
                (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    "attachment; filename=\"contracts.csv\"",
                ),
            ],
            csv,
        )
            .into_response(),
        Err(err) => (app::api::port::status_of(&err), err.to_string()).into_response(),
    }
}

/// Liveness for load balancers and scripts.
async fn healthz() -> &'static str {
    "ok"
}

/// Where a page request goes before it is rendered.
#[derive(Debug, PartialEq)]
enum PageKind {
    /// A Success page: needs the `success` flag (or the demo preview).
    Success,
    /// /success-unlock: needs a session.
    Unlock,
    /// /setup: only while no workspace exists.
    Setup,
    /// /sign-in and /sign-up: for people who are not signed in.
    SignIn,
    /// Everything else: /tv/… (its own token), assets, /api/…, 404s.
    Open,
}

fn page_kind(path: &str) -> PageKind {
    const SUCCESS: &[&str] = &[
        "/health",
        "/accounts",
        "/convert",
        "/contracts",
        "/pipeline",
        "/re-engage",
        "/close-the-loop",
        "/settings",
    ];
    let under = |p: &str| path == p || path.starts_with(&format!("{p}/"));
    if path == "/" || SUCCESS.iter().any(|p| under(p)) {
        PageKind::Success
    } else if under("/success-unlock") {
        PageKind::Unlock
    } else if under("/setup") {
        PageKind::Setup
    } else if under("/sign-in") || under("/sign-up") {
        PageKind::SignIn
    } else {
        PageKind::Open
    }
}

/// The page gate: sends people who may not see a page to the one they may see, before anything
/// renders. Server functions check again on their own (this only spares a page of errors).
async fn gate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let kind = page_kind(req.uri().path());
    if req.method() != axum::http::Method::GET || kind == PageKind::Open {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let caller = match state.data.caller(&parts).await {
        Ok(c) => c,
        Err(err) => return (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response(),
    };
    let here = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let member = caller.member.as_ref().map(|(_, m)| m);
    let sign_in_or_setup = || async {
        match state.service.has_real_workspace().await {
            Ok(false) => Redirect::to("/setup").into_response(),
            _ => Redirect::to(&format!("/sign-in?next={}", app::url::encode_component(&here))).into_response(),
        }
    };
    match kind {
        PageKind::Success if caller.demo.is_some() => {}
        PageKind::Success => match member {
            None => return sign_in_or_setup().await,
            Some(m) if !m.has_success => return Redirect::to("/success-unlock").into_response(),
            Some(_) => {}
        },
        PageKind::Unlock if member.is_none() => return sign_in_or_setup().await,
        PageKind::Setup if member.is_some() => return Redirect::to("/health").into_response(),
        PageKind::Setup if !matches!(state.service.has_real_workspace().await, Ok(false)) => {
            return Redirect::to("/sign-in").into_response();
        }
        PageKind::SignIn if member.is_some() => return Redirect::to("/health").into_response(),
        PageKind::SignIn if matches!(state.service.has_real_workspace().await, Ok(false)) => {
            return Redirect::to("/setup").into_response();
        }
        _ => {}
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Server function errors raised before our code runs (arguments that do not parse) come out of
/// Leptos as 500s; the body is still one of our `AppError`s, so give it the status it stands for.
async fn error_status(req: Request, next: Next) -> Response {
    let is_fn = req.uri().path().starts_with("/api/fn/");
    let res = next.run(req).await;
    if !is_fn || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    if let Ok(err) = serde_json::from_slice::<app::api::AppError>(&bytes) {
        parts.status = app::api::port::status_of(&err);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Pages that show a person's own data or a secret must not be cached by anyone in between.
async fn no_store(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    if !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    }
    res
}

/// The largest request body a path takes: tight where anyone may post (sign-in, sign-up, vendor
/// webhooks), roomier for a member's imports.
pub fn body_limit_for(path: &str) -> usize {
    const OPEN_FNS: &[&str] = &[
        "/api/fn/sign_in",
        "/api/fn/sign_up",
        "/api/fn/setup_workspace",
        "/api/fn/verify_email",
        "/api/fn/request_password_reset",
        "/api/fn/reset_password",
        "/api/fn/invitation_details",
        "/api/fn/office_dashboard",
    ];
    let config = crate::config::current();
    if OPEN_FNS.iter().any(|p| path.starts_with(p)) {
        64 << 10
    } else if path.starts_with("/webhooks/") {
        config.webhook_max_bytes
    } else {
        // By default a full signals batch (1,000 rows with 4,000-character quotes) fits.
        config.import_max_bytes
    }
}

/// Refuses a body over its path's limit before any of it is read: by its declared length at
/// once, or when a chunked body runs past the limit.
async fn body_limit(req: Request, next: Next) -> Response {
    let limit = body_limit_for(req.uri().path());
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Refused: this request is larger than {} KiB.", limit >> 10),
        )
            .into_response();
    }
    next.run(req.map(|body| Body::new(http_body_util::Limited::new(body, limit))))
        .await
}

/// What every response tells the browser: run only our own scripts and styles (inline ones are
/// Leptos's hydration and thaw's styles), never inside another site's frame, never sniff types,
/// and send no referrer (display links carry their token in the path).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; \
style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    // Wasm, scripts and styles are never documents: a policy or frame rule would do nothing there
    // but add 380 bytes to each of the 200 small wasm chunks of a first visit. Anything else,
    // a 404 page under /pkg included, gets them.
    let asset = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            [
                "application/wasm",
                "text/css",
                "text/javascript",
                "application/javascript",
            ]
            .iter()
            .any(|kind| t.starts_with(kind))
        });
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: &'static str, value: &'static str| {
        h.insert(name, header::HeaderValue::from_static(value));
    };
    set(h, "x-content-type-options", "nosniff");
    set(h, "referrer-policy", "no-referrer");
    if !asset {
        set(h, "content-security-policy", CONTENT_SECURITY_POLICY);
        set(h, "x-frame-options", "DENY");
    }
    res
}

/// A handler that panics answers 500 and the panic is logged; the other requests go on.
fn panic_to_500(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = what, "a request handler panicked; answered 500");
    (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response()
}

/// The outermost layers of every route: body caps, security headers, and a panic turned into a
/// logged 500 (defence in depth: request data is never `expect`ed on).
pub fn harden<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .layer(middleware::from_fn(body_limit))
        .layer(middleware::from_fn(security_headers))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panic_to_500))
}

/// Serves the built site (wasm, css, public/) and renders the app's 404 page for anything else.
/// (leptos_axum's file_and_error_handler streams in order, which thaw's SSR style provider cannot
/// handle; the out-of-order renderer used for the routes works.)
async fn static_file_or_not_found(State(state): State<AppState>, req: Request<Body>) -> Response {
    let mut probe = Request::new(Body::empty());
    *probe.uri_mut() = req.uri().clone();
    for name in [header::ACCEPT_ENCODING, header::IF_MODIFIED_SINCE] {
        if let Some(value) = req.headers().get(&name) {
            probe.headers_mut().insert(name, value.clone());
        }
    }
    // `cargo leptos build --release --precompress` leaves .br and .gz beside each file.
    let files = ServeDir::new(&*state.leptos_options.site_root)
        .precompressed_br()
        .precompressed_gzip();
    let Ok(res) = files.oneshot(probe).await;
    if matches!(res.status(), StatusCode::OK | StatusCode::NOT_MODIFIED) {
        let mut res = res.map(Body::new);
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static(asset_cache_control(req.uri().path())),
        );
        return res;
    }
    let data = state.data.clone();
    let accounts: SharedAccounts = state.service.clone();
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_to_stream_with_context(
        move || {
            provide_context(data.clone());
            provide_context(accounts.clone());
        },
        move || app::shell(options.clone()),
    );
    let mut res = render(req).await.into_response();
    if res.status() == StatusCode::OK {
        *res.status_mut() = StatusCode::NOT_FOUND;
    }
    res
}

/// The wasm, JS and CSS under /pkg carry their content's hash in their names when the build hashed
/// them, so a browser keeps them for a year; anything else is checked again after five minutes.
fn asset_cache_control(path: &str) -> &'static str {
    // cargo-leptos names them `name.<22 characters of base64url MD5>.ext`.
    let has_hash = |name: &str| {
        name.split('.').any(|part| {
            part.len() == 22
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
    };
    if path.strip_prefix("/pkg/").is_some_and(has_hash) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    }
}

/// Vendor webhooks; each vendor's signature is checked before anything is believed.
async fn webhook(
    State(state): State<AppState>,
    axum::extract::Path((vendor, workspace)): axum::extract::Path<(String, i64)>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (status, text) = match vendor.as_str() {
        "stripe" => {
            state
                .service
                .stripe_webhook(workspace, header("stripe-signature"), &body)
                .await
        }
        "salesbricks" => {
            state
                .service
                .salesbricks_webhook(workspace, header("x-salesbricks-key"), &body)
                .await
        }
        _ => (StatusCode::NOT_FOUND, "no such webhook".into()),
    };
    (status, text).into_response()
}

/// Signals from other tools, with a workspace API token.
async fn signals_in(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok());
    let (status, answer) = state.service.signals_endpoint(authorization, &body).await;
    (status, axum::Json(answer)).into_response()
}

pub fn router(leptos_options: LeptosOptions, store: Store, auth: AuthConfig) -> Router {
    router_with(leptos_options, Data::new(store, auth).shared())
}

/// The router around an existing service (tests keep the service to move its clock).
pub fn router_with(leptos_options: LeptosOptions, service: Arc<Data>) -> Router {
    let data: SharedData = service.clone();
    let auth = service.auth.clone();
    let state = AppState {
        leptos_options: leptos_options.clone(),
        data: data.clone(),
        service,
    };
    let routes = generate_route_list(app::App);
    let accounts: SharedAccounts = state.service.clone();
    let context = move || {
        provide_context(data.clone());
        provide_context(accounts.clone());
    };
    let router = Router::new()
        .route("/demo/enter", get(enter_demo))
        .route("/demo/exit", get(exit_demo))
        .route("/healthz", get(healthz))
        .route("/api/events", get(events))
        .route("/api/chat", get(chat))
        .route("/api/export/contracts.csv", get(contracts_csv))
        .route("/webhooks/{vendor}/{workspace}", axum::routing::post(webhook))
        .route("/api/v1/signals", axum::routing::post(signals_in))
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = leptos_options.clone();
            move || app::shell(options.clone())
        })
        .fallback(static_file_or_not_found)
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .layer(middleware::from_fn(no_store))
        .layer(middleware::from_fn(error_status))
        .layer(middleware::from_fn_with_state(auth, auth::reject_cross_site));
    harden(router).layer(compression()).with_state(state)
}

/// Pages, server functions, the wasm and scripts go out compressed (brotli, else gzip) to browsers
/// that ask; event streams (each event must arrive at once), images and tiny bodies do not.
fn compression() -> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
    tower_http::compression::CompressionLayer::new().compress_when(
        SizeAbove::new(256)
            .and(NotForContentType::GRPC)
            .and(NotForContentType::IMAGES)
            .and(NotForContentType::SSE),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hashed_package_files_are_cached_for_good() {
        assert_eq!(
            asset_cache_control("/pkg/success.ku0gPrCWxzEiOPs7uLlMKg.wasm"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            asset_cache_control("/pkg/chunk_7.V02UGqWdFe9sAfzt4bT6hw.wasm"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(asset_cache_control("/pkg/success.wasm"), "public, max-age=300");
        assert_eq!(asset_cache_control("/pkg/chunk_7.wasm"), "public, max-age=300");
        assert_eq!(asset_cache_control("/echarts.min.js"), "public, max-age=300");
    }

    #[test]
    fn demo_switch_redirects_only_to_local_paths() {
        assert_eq!(next_path(Some("/contracts?page=2".into())), "/contracts?page=2");
        assert_eq!(next_path(Some("//evil.example".into())), "/health");
        assert_eq!(next_path(Some("https://evil.example".into())), "/health");
        assert_eq!(next_path(None), "/health");
        assert_eq!(next_path(Some("/%09/evil.example".into())), "/%09/evil.example");
        assert_eq!(next_path(Some("/\t/evil.example".into())), "/health");
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_500_and_the_next_request_is_served() {
        let app = harden(
            Router::new()
                .route(
                    "/boom",
                    get(|| async { "".parse::<u8>().expect("a missed expect").to_string() }),
                )
                .route("/ok", get(|| async { "ok" }))
                .route(
                    "/pkg/success.ku0gPrCWxzEiOPs7uLlMKg.wasm",
                    get(|| async { ([(header::CONTENT_TYPE, "application/wasm")], "wasm") }),
                ),
        );
        let get_ = |path: &'static str| {
            let app = app.clone();
            async move {
                app.oneshot(Request::get(path).body(Body::empty()).unwrap())
                    .await
                    .unwrap()
            }
        };
        assert_eq!(get_("/boom").await.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let ok = get_("/ok").await;
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(ok.headers()["x-content-type-options"], "nosniff");
        assert!(ok.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("'wasm-unsafe-eval'"));
        assert_eq!(ok.headers()["x-frame-options"], "DENY");
        let asset = get_("/pkg/success.ku0gPrCWxzEiOPs7uLlMKg.wasm").await;
        assert_eq!(asset.headers()["x-content-type-options"], "nosniff");
        assert!(!asset.headers().contains_key("content-security-policy"));
        assert!(!asset.headers().contains_key("x-frame-options"));
        let missing = get_("/pkg/missing.html").await;
        assert!(missing.headers().contains_key("content-security-policy"));
        let big = Request::post("/webhooks/stripe/1")
            .header(header::CONTENT_LENGTH, (2 << 20).to_string())
            .body(Body::from(vec![0u8; 2 << 20]))
            .unwrap();
        assert_eq!(app.oneshot(big).await.unwrap().status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[test]
    fn public_paths_take_small_bodies() {
        assert_eq!(body_limit_for("/api/fn/sign_in"), 64 << 10);
        assert_eq!(body_limit_for("/webhooks/stripe/1"), 1 << 20);
        assert!(body_limit_for("/api/fn/import_signals_csv") > 4 << 20);
    }

    #[test]
    fn pages_are_sorted_by_who_may_open_them() {
        assert_eq!(page_kind("/"), PageKind::Success);
        assert_eq!(page_kind("/accounts/12"), PageKind::Success);
        assert_eq!(page_kind("/settings/access"), PageKind::Success);
        assert_eq!(page_kind("/healthz"), PageKind::Open, "a prefix is not a section");
        assert_eq!(page_kind("/success-unlock"), PageKind::Unlock);
        assert_eq!(page_kind("/tv/abc"), PageKind::Open);
        assert_eq!(page_kind("/pkg/success.wasm"), PageKind::Open);
        assert_eq!(page_kind("/sign-up"), PageKind::SignIn);
    }
}
