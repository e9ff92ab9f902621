//! Signals in, through the real HTTP stack on both backends: `POST /api/v1/signals` with a
//! workspace API token checks each item, stores the good ones, names the bad ones, and is
//! idempotent on the caller's external id; the CSV preview writes nothing.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::TestDb;
use server::auth::AuthConfig;
use server::service::Data;
use sqlx::Row;
use tower::ServiceExt;

async fn post(router: &axum::Router, token: Option<&str>, body: &str) -> (StatusCode, serde_json::Value) {
    let mut req = Request::post("/api/v1/signals").header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let res = router
        .clone()
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test]
async fn the_signals_endpoint_stores_good_items_names_bad_ones_and_is_idempotent() {
    for db in TestDb::both().await {
        let backend = db.name;
        server::ensure_preview_workspace(&db.store).await.unwrap();
        let ws = db.store.demo_workspace_id().await.unwrap().unwrap();
        let data = Data::new(db.store.clone(), AuthConfig::allowing_private_network()).shared();
        let options = leptos::prelude::LeptosOptions::builder().output_name("success").build();
        let router = server::web::router_with(options, data.clone());
        let row = sqlx::query(
            "SELECT id, domain FROM accounts WHERE workspace_id = $1 AND domain IS NOT NULL ORDER BY id LIMIT 1",
        )
        .bind(ws)
        .fetch_one(db.store.pool())
        .await
        .unwrap();
        let (account, domain): (i64, String) = (row.try_get("id").unwrap(), row.try_get("domain").unwrap());
        let count = |external: &'static str| {
            let pool = db.store.pool().clone();
            async move {
                sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) FROM signals WHERE workspace_id = $1 AND external_id = $2")
                    .bind(ws)
                    .bind(external)
                    .fetch_one(&pool)
                    .await
                    .unwrap()
                    .try_get::<i64, _>(0)
                    .unwrap()
            }
        };

        let (status, body) = post(&router, None, "[]").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{backend}");
        assert!(body["error"].as_str().unwrap().contains("Authorization: Bearer"));
        assert_eq!(post(&router, Some("sst_nope"), "[]").await.0, StatusCode::UNAUTHORIZED);

        let token = data.create_api_token_in(ws, "BuildBetter", None).await.unwrap();
        assert!(token.starts_with("sst_"));
        assert_eq!(
            post(&router, Some(&token), "{not json").await.0,
            StatusCode::BAD_REQUEST
        );

        let good = |quote: &str| {
            serde_json::json!({"external_id": "bb-call-81", "account_domain": domain, "source": "call",
                "sentiment": -0.7, "topic": "pricing", "quote": quote, "occurred_at": "2026-11-20T14:03:00Z",
                "link": "https://app.buildbetter.test/calls/81"})
        };
        let batch = serde_json::json!({"signals": [
            good("Finance asks why we pay for seats nobody uses."),
            {"external_id": "bb-2", "account_domain": domain, "source": "call", "sentiment": 5, "quote": "x",
             "occurred_at": "2026-11-20"},
            {"external_id": "bb-3", "account_domain": "nobody.example", "source": "survey", "sentiment": 0.2,
             "topic": "onboarding", "quote": "Fine", "occurred_at": "2026-11-20"},
        ]});
        let (status, body) = post(&router, Some(&token), &batch.to_string()).await;
        assert_eq!(status, StatusCode::MULTI_STATUS, "{backend}: {body}");
        assert_eq!((body["created"].as_i64(), body["updated"].as_i64()), (Some(1), Some(0)));
        let rejected = body["rejected"].as_array().unwrap();
        assert_eq!(rejected.len(), 2);
        assert_eq!(rejected[0]["index"], 1);
        let problems = rejected[0]["errors"].to_string();
        assert!(
            problems.contains("sentiment") && problems.contains("topic"),
            "{problems}"
        );
        assert!(rejected[1]["errors"][0]
            .as_str()
            .unwrap()
            .contains("no account has the domain nobody.example"));
        assert_eq!(
            (count("bb-2").await, count("bb-3").await),
            (0, 0),
            "nothing of a bad item is stored"
        );

        // Sent again with a new quote: the same signal is updated, not copied.
        let again = serde_json::json!([good("Finance now asks for a discount.")]);
        let (status, body) = post(&router, Some(&token), &again.to_string()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!((body["created"].as_i64(), body["updated"].as_i64()), (Some(0), Some(1)));
        assert_eq!(count("bb-call-81").await, 1);
        let stored =
            sqlx::query("SELECT account_id, quote FROM signals WHERE workspace_id = $1 AND external_id = 'bb-call-81'")
                .bind(ws)
                .fetch_one(db.store.pool())
                .await
                .unwrap();
        assert_eq!(stored.try_get::<i64, _>("account_id").unwrap(), account);
        assert_eq!(
            stored.try_get::<String, _>("quote").unwrap(),
            "Finance now asks for a discount."
        );

        // All bad: 422 and nothing stored.
        let (status, _) = post(&router, Some(&token), r#"[{"external_id": "bb-9"}]"#).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        // The CSV preview writes nothing and names each bad row by its line.
        let csv = format!(
            "external_id,account_domain,source,sentiment,topic,quote,occurred_at\n\
             csv-1,{domain},support,-0.5,outage,\"Down twice, \"\"again\"\"\",2026-11-21\n\
             csv-2,{domain},fax,0.1,pricing,Hm,2026-11-21\n\
             bb-call-81,{domain},call,-0.9,pricing,Third try,2026-11-22\n"
        );
        let preview = data.preview_signals_csv_in(ws, &csv).await.unwrap();
        assert_eq!(
            (preview.valid, preview.invalid, preview.updates),
            (2, 1, 1),
            "{backend}"
        );
        assert_eq!(preview.rows[1].line, 3);
        assert!(preview.rows[1].problems[0].contains("fax"));
        assert_eq!(count("csv-1").await, 0, "a preview stores nothing");
        let report = data.import_signals_csv_in(ws, &csv).await.unwrap();
        assert_eq!((report.created, report.updated, report.rejected.len()), (1, 1, 1));
        assert_eq!(count("csv-1").await, 1);

        // A revoked token opens nothing.
        let id = db.store.api_tokens(ws).await.unwrap()[0].id;
        data.revoke_api_token_in(ws, id).await.unwrap();
        assert_eq!(
            post(&router, Some(&token), &again.to_string()).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
}
