//! Pages render whole on a runtime with several worker threads (many at once, each to its end)
//! and go out compressed. One test: two runtimes rendering at once in one process is not what a
//! server does.

mod common;
#[path = "common/http_app.rs"]
mod http_app;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::TestDb;
use http_app::{App, HOST};
use std::time::Duration;
use tower::ServiceExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_pages_at_once_on_every_core_each_render_to_the_end_and_go_out_compressed() {
    let app = App::start(TestDb::sqlite().await).await;
    let entered = app.get("/demo/enter", None).await;
    let cookie = entered
        .headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .expect("the demo cookie")
        .to_string();
    let get = |router: axum::Router, cookie: String, path: &'static str| async move {
        let req = Request::get(path)
            .header(header::HOST, HOST)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap();
        let res = router.oneshot(req).await.unwrap();
        let status = res.status();
        let body = tokio::time::timeout(Duration::from_secs(60), axum::body::to_bytes(res.into_body(), 1 << 24)).await;
        (
            path,
            status,
            body.map(|b| b.map(|b| String::from_utf8_lossy(&b).into_owned())),
        )
    };
    // Pages with several Suspense boundaries each, whose thaw components push styles as they
    // resolve: on two threads at once, too.
    let paths = [
        "/health",
        "/convert",
        "/contracts",
        "/pipeline",
        "/re-engage",
        "/close-the-loop",
    ];
    let requests = (0..120).map(|i| tokio::spawn(get(app.router.clone(), cookie.clone(), paths[i % paths.len()])));
    for request in futures::future::join_all(requests).await {
        let (path, status, body) = request.expect("the request task finished");
        assert_eq!(status, StatusCode::OK, "{path}");
        let body = body
            .unwrap_or_else(|_| panic!("{path}: the page did not finish within 60 s"))
            .unwrap_or_else(|e| panic!("{path}: the body was cut short: {e}"));
        assert!(body.contains("</html>"), "{path}: rendered to the end");
        assert!(
            body.contains("<style id=\"thaw-"),
            "{path}: thaw's styles are in the page"
        );
        let unresolved = unresolved(&body);
        assert!(
            unresolved.is_empty(),
            "{path}: boundaries left showing their fallback: {unresolved:?}"
        );
    }

    // The same pages go out compressed; each live event reaches the page at once.
    let open = |path: &str, encodings: &str| {
        Request::get(path)
            .header(header::HOST, HOST)
            .header(header::COOKIE, &cookie)
            .header(header::ACCEPT_ENCODING, encodings)
            .body(Body::empty())
            .unwrap()
    };
    let page = app
        .router
        .clone()
        .oneshot(open("/health", "gzip, deflate, br"))
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()[header::CONTENT_ENCODING], "br");
    let compressed = axum::body::to_bytes(page.into_body(), 1 << 24).await.unwrap();
    let plain = app.router.clone().oneshot(open("/health", "identity")).await.unwrap();
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    let plain = axum::body::to_bytes(plain.into_body(), 1 << 24).await.unwrap();
    assert!(
        compressed.len() * 4 < plain.len(),
        "the page is a quarter of its size or less: {} of {} bytes",
        compressed.len(),
        plain.len()
    );
    let gzip = app.router.clone().oneshot(open("/health", "gzip")).await.unwrap();
    assert_eq!(gzip.headers()[header::CONTENT_ENCODING], "gzip");
    // Each live event must reach the page at once, so the stream is never held in an encoder.
    let events = app
        .router
        .clone()
        .oneshot(open("/api/events", "gzip, br"))
        .await
        .unwrap();
    assert_eq!(events.status(), StatusCode::OK);
    assert!(events.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    assert!(events.headers().get(header::CONTENT_ENCODING).is_none());
}

/// Suspense boundaries (`<!--s-N-o-->…<!--s-N-c-->`) that went out showing their fallback (the
/// loading spinner, or nothing) and were never replaced by their content (`<template id="N-f">`).
fn unresolved(body: &str) -> Vec<String> {
    body.match_indices("<!--s-")
        .filter_map(|(at, _)| {
            let rest = &body[at + 6..];
            let n = rest.split('-').next()?;
            let inside = rest.strip_prefix(&format!("{n}-o-->"))?;
            let inside = &inside[..inside.find(&format!("<!--s-{n}-c-->"))?];
            let fallback = inside.contains("class=\"loading\"") || inside == "<!><!--<() />-->";
            (fallback && !body.contains(&format!("<template id=\"{n}-f\""))).then(|| n.to_string())
        })
        .collect()
}
