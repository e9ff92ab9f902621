//! Pages render whole on a runtime with several worker threads: many at once, each to its end.

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
async fn many_pages_at_once_on_every_core_each_render_to_the_end() {
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
