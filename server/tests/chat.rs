//! The account chat through the real HTTP stack: answers from the account's own facts, built in
//! or by a language model (a local fake of an OpenAI-compatible API).

mod common;
#[path = "common/http_app.rs"]
mod http_app;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use common::TestDb;
use http_app::*;
use sqlx::Row;
use std::sync::Arc;
use tower::ServiceExt;

/// A local stand-in for an OpenAI-compatible API: streams a fixed answer and keeps the last
/// request it was sent, so the test can read the prompt.
async fn fake_model(answer: &'static [&'static str]) -> (String, Arc<std::sync::Mutex<Option<serde_json::Value>>>) {
    use axum::routing::post;
    let seen = Arc::new(std::sync::Mutex::new(None));
    let keep = seen.clone();
    let router = Router::new().route(
        "/v1/chat/completions",
        post(move |headers: HeaderMap, body: String| {
            let keep = keep.clone();
            async move {
                if headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some("Bearer test-key") {
                    return (
                        StatusCode::UNAUTHORIZED,
                        [(header::CONTENT_TYPE, "application/json")],
                        r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}"#
                            .to_string(),
                    );
                }
                *keep.lock().unwrap() = serde_json::from_str(&body).ok();
                let mut events =
                    String::from("data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n");
                for piece in answer {
                    let chunk = serde_json::json!({"choices": [{"index": 0, "delta": {"content": piece}}]});
                    events.push_str(&format!("data: {chunk}\n\n"));
                }
                events.push_str("data: [DONE]\n\n");
                (StatusCode::OK, [(header::CONTENT_TYPE, "text/event-stream")], events)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{addr}/v1"), seen)
}

/// Asks the account chat; returns the status and the SSE events as (name, data).
async fn ask(
    app: &App,
    session: Option<&str>,
    account: i64,
    question: &str,
    extra: &[(&str, &str)],
) -> (StatusCode, Vec<(String, String)>) {
    let mut req = Request::get(format!(
        "/api/chat?account_id={account}&q={}",
        app::url::encode_component(question)
    ))
    .header(header::HOST, HOST);
    if let Some(s) = session {
        req = req.header(header::COOKIE, format!("success_session={s}"));
    }
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let res = app
        .router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        axum::body::to_bytes(res.into_body(), 1 << 22),
    )
    .await
    .expect("the answer stream ends")
    .unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let events = text
        .split("\n\n")
        .filter_map(|block| {
            let name = block.lines().find_map(|l| l.strip_prefix("event: "))?.to_string();
            let data: Vec<&str> = block.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
            Some((name, data.join("\n")))
        })
        .collect();
    (status, events)
}

/// A set-up workspace whose chat asks the fake model at `url` with `key`: (app, workspace, owner's
/// session, its first account).
async fn with_model(db: TestDb, url: String, key: &str) -> (App, i64, String, i64) {
    let key = key.to_string();
    let app = App::start_with(db, move |d| {
        d.llm = Some(server::llm::LlmConfig {
            url,
            model: "fake-gpt".into(),
            key: Some(key),
        })
    })
    .await;
    let (ws, owner) = app.setup().await;
    let account = app
        .scalar(
            "SELECT id FROM accounts WHERE workspace_id = $1 ORDER BY id LIMIT 1",
            ws,
        )
        .await;
    (app, ws, owner, account)
}

fn answer_of(events: &[(String, String)]) -> serde_json::Value {
    let done = events.iter().find(|(n, _)| n == "done").expect("a done event");
    serde_json::from_str(&done.1).unwrap()
}

#[tokio::test]
async fn the_account_chat_answers_from_the_accounts_own_facts_built_in_or_by_a_model() {
    let (url, seen) = fake_model(&[
        "It is critical mainly because ",
        "few seats are active [F2]",
        " and an invoice is late [F3].",
    ])
    .await;
    for db in TestDb::both().await {
        let backend = db.name;
        // Built in first.
        let app = App::start(db).await;
        let (ws, owner) = app.setup().await;
        let critical = app
            .scalar(
                "SELECT a.id FROM accounts a JOIN health_scores hs ON hs.account_id = a.id \
                 WHERE a.workspace_id = $1 AND hs.band = 'red' ORDER BY hs.score LIMIT 1",
                ws,
            )
            .await;
        let (status, events) = ask(&app, Some(&owner), critical, "Why is this account critical?", &[]).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        let a = answer_of(&events);
        assert_eq!(a["by"], "built-in", "{backend}");
        assert_eq!(a["answered"], true, "{backend}");
        assert!(
            a["text"].as_str().unwrap().contains("health score of"),
            "{backend}: {a}"
        );
        let cites = a["citations"].as_array().unwrap();
        assert!(cites.len() >= 2, "{backend}: {a}");
        assert!(cites.iter().all(|c| a["text"]
            .as_str()
            .unwrap()
            .contains(&format!("[{}]", c["id"].as_str().unwrap()))));
        // The streamed tokens add up to the answer.
        let streamed: String = events
            .iter()
            .filter(|(n, _)| n == "token")
            .map(|(_, d)| serde_json::from_str::<String>(d).unwrap())
            .collect();
        assert_eq!(streamed, a["text"].as_str().unwrap(), "{backend}");

        let (_, events) = ask(&app, Some(&owner), critical, "What's the weather like?", &[]).await;
        assert_eq!(
            answer_of(&events)["answered"],
            false,
            "{backend}: says plainly what it cannot answer"
        );

        // Refusals: no session, another site, bad question, someone else's account.
        assert_eq!(
            ask(&app, None, critical, "why?", &[]).await.0,
            StatusCode::UNAUTHORIZED,
            "{backend}"
        );
        assert_eq!(
            ask(
                &app,
                Some(&owner),
                critical,
                "why?",
                &[("sec-fetch-site", "cross-site")]
            )
            .await
            .0,
            StatusCode::FORBIDDEN,
            "{backend}"
        );
        assert_eq!(
            ask(&app, Some(&owner), critical, "   ", &[]).await.0,
            StatusCode::BAD_REQUEST,
            "{backend}"
        );
        let demo_account = app
            .scalar(
                "SELECT id FROM accounts WHERE workspace_id <> $1 ORDER BY id LIMIT 1",
                ws,
            )
            .await;
        assert_eq!(
            ask(&app, Some(&owner), demo_account, "why?", &[]).await.0,
            StatusCode::NOT_FOUND,
            "{backend}: another workspace's account"
        );
    }
    for db in TestDb::both().await {
        let backend = db.name;
        // Then with a model, grounded in the same facts.
        let (app, ws, owner, account) = with_model(db, url.clone(), "test-key").await;
        let other: String =
            sqlx::query("SELECT name FROM accounts WHERE workspace_id = $1 AND id <> $2 ORDER BY id LIMIT 1")
                .bind(ws)
                .bind(account)
                .fetch_one(app.db.store.pool())
                .await
                .unwrap()
                .try_get(0)
                .unwrap();
        let (status, events) = ask(&app, Some(&owner), account, "Why is this account critical?", &[]).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        let tokens = events.iter().filter(|(n, _)| n == "token").count();
        assert_eq!(tokens, 3, "{backend}: streamed piece by piece");
        let a = answer_of(&events);
        assert_eq!(a["by"], "fake-gpt", "{backend}");
        assert_eq!(
            a["text"], "It is critical mainly because few seats are active [F2] and an invoice is late [F3].",
            "{backend}"
        );
        let ids: Vec<&str> = a["citations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["F2", "F3"], "{backend}");
        let sent = seen.lock().unwrap().clone().expect("the model was asked");
        assert_eq!(sent["model"], "fake-gpt");
        assert_eq!(sent["stream"], true);
        let prompt = sent["messages"][0]["content"].as_str().unwrap().to_string();
        let name: String = sqlx::query("SELECT name FROM accounts WHERE id = $1")
            .bind(account)
            .fetch_one(app.db.store.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert!(prompt.contains(&name) && prompt.contains("[F1]"), "{backend}: {prompt}");
        assert!(
            !prompt.contains(&other),
            "{backend}: nothing from another account enters the prompt"
        );
        assert_eq!(sent["messages"][1]["content"], "Why is this account critical?");
    }
    // A model that refuses (bad key) leaves the built-in answer, saying why.
    let db = TestDb::sqlite().await;
    let (app, _, owner, account) = with_model(db, url, "wrong").await;
    let (_, events) = ask(&app, Some(&owner), account, "When does it renew?", &[]).await;
    let a = answer_of(&events);
    assert_eq!(a["by"], "built-in");
    assert!(
        a["text"].as_str().unwrap().contains("Incorrect API key provided"),
        "{a}"
    );
}
