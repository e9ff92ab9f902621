//! Working together through the real HTTP stack on both backends: two people moving one deal,
//! routing accounts between pages, a CSM's band override, and open pages hearing changes.

mod common;
#[path = "common/http_app.rs"]
mod http_app;

use app::access::Role;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::Duration;
use common::TestDb;
use http_app::*;
use sqlx::Row;
use tower::ServiceExt;

#[tokio::test]
async fn two_people_moving_the_same_deal_never_lose_an_update() {
    for db in TestDb::both().await {
        let backend = db.name;
        let app = App::start(db).await;
        let (ws, owner) = app.setup().await;
        let (_, csm) = app.member(ws, "csm@acme.test", Role::Csm, true).await;
        let deal = app
            .scalar("SELECT id FROM deals WHERE workspace_id = $1 AND source <> 'salesbricks' AND stage = 'discovery' ORDER BY id LIMIT 1", ws)
            .await;
        let version = app
            .scalar(
                &format!("SELECT version FROM deals WHERE id = {deal} AND workspace_id = $1"),
                ws,
            )
            .await;
        let body = |stage: &str| {
            form(&[
                ("deal_id", &deal.to_string()),
                ("stage", stage),
                ("version", &version.to_string()),
            ])
        };
        let first = app.call("move_deal", Some(&owner), &body("evaluation")).await;
        assert_eq!(first.status, StatusCode::OK, "{backend}: {}", first.body);
        assert!(first.body.contains("\"stage\":\"evaluation\""));
        let second = app.call("move_deal", Some(&csm), &body("proposal")).await;
        assert_eq!(second.status, StatusCode::CONFLICT, "{backend}: {}", second.body);
        assert!(
            second.body.contains("Evaluation"),
            "{backend}: the message names where it is now"
        );
        let unknown = app.call("move_deal", Some(&csm), &body("nowhere")).await;
        assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
        let stage: String = sqlx::query("SELECT stage FROM deals WHERE id = $1")
            .bind(deal)
            .fetch_one(app.db.store.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(stage, "evaluation", "{backend}");
        // Only the move that happened is in the account's history, with who made it.
        let account: i64 = sqlx::query("SELECT account_id FROM deals WHERE id = $1")
            .bind(deal)
            .fetch_one(app.db.store.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        let detail = app
            .call(
                "account_detail",
                Some(&csm),
                &form(&[("account_id", &account.to_string())]),
            )
            .await;
        let detail: serde_json::Value = serde_json::from_str(&detail.body).unwrap();
        let moves = detail["stage_moves"].as_array().unwrap();
        assert_eq!(moves.len(), 1, "{backend}: {moves:?}");
        assert_eq!(moves[0]["to_label"], "Evaluation", "{backend}");
        assert_eq!(moves[0]["moved_by"], "Olivia Owner", "{backend}");
    }
}

#[tokio::test]
async fn routing_sends_accounts_to_their_destination_until_dismissed() {
    for db in TestDb::both().await {
        let backend = db.name;
        let app = App::start(db).await;
        let (ws, owner) = app.setup().await;
        let account = app
            .scalar(
                "SELECT id FROM accounts WHERE workspace_id = $1 AND lifecycle = 'customer' ORDER BY id LIMIT 1",
                ws,
            )
            .await;
        let deals_before = app
            .scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM deals WHERE workspace_id = $1", ws)
            .await;
        let body = |to: &str| {
            form(&[
                ("account_id", &account.to_string()),
                ("from_page", "health"),
                ("to_page", to),
                ("note", "Expansion talk on the QBR"),
            ])
        };
        let first = app.call("route_account", Some(&owner), &body("convert")).await;
        assert_eq!(first.status, StatusCode::OK, "{backend}: {}", first.body);
        let to_pipeline = app.call("route_account", Some(&owner), &body("pipeline")).await;
        let routed: serde_json::Value = serde_json::from_str(&to_pipeline.body).unwrap();
        assert!(
            routed["deal_id"].is_i64(),
            "{backend}: routing into Pipeline opens a deal"
        );
        let deals_after = app
            .scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM deals WHERE workspace_id = $1", ws)
            .await;
        assert_eq!(deals_after, deals_before + 1, "{backend}");
        let stage: String = sqlx::query("SELECT stage FROM deals WHERE id = $1")
            .bind(routed["deal_id"].as_i64().unwrap())
            .fetch_one(app.db.store.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(stage, "discovery", "{backend}: the first stage");

        // One active route per account: routing on took it off Convert.
        let convert = app.call("routed_to", Some(&owner), &form(&[("page", "convert")])).await;
        assert_eq!(convert.body, "[]", "{backend}");
        let pipeline = app
            .call("routed_to", Some(&owner), &form(&[("page", "pipeline")]))
            .await;
        assert!(
            pipeline.body.contains("\"from_page\":\"health\"") && pipeline.body.contains("QBR"),
            "{backend}"
        );

        let same = app
            .call(
                "route_account",
                Some(&owner),
                &form(&[
                    ("account_id", &account.to_string()),
                    ("from_page", "health"),
                    ("to_page", "health"),
                ]),
            )
            .await;
        assert_eq!(same.status, StatusCode::BAD_REQUEST, "{backend}");
        let bad_page = app
            .call(
                "route_account",
                Some(&owner),
                &form(&[
                    ("account_id", &account.to_string()),
                    ("from_page", "health"),
                    ("to_page", "nowhere"),
                ]),
            )
            .await;
        assert_eq!(bad_page.status, StatusCode::BAD_REQUEST, "{backend}: {}", bad_page.body);

        // Acting on it — moving the expansion deal it opened — takes it off the top of Pipeline.
        let moved = app
            .call(
                "move_deal",
                Some(&owner),
                &form(&[
                    ("deal_id", &routed["deal_id"].to_string()),
                    ("stage", "evaluation"),
                    ("version", "1"),
                ]),
            )
            .await;
        assert_eq!(moved.status, StatusCode::OK, "{backend}: {}", moved.body);
        // Dismissing after that is harmless.
        let again = app
            .call(
                "dismiss_route",
                Some(&owner),
                &form(&[("route_id", &routed["id"].to_string())]),
            )
            .await;
        assert_eq!(again.status, StatusCode::OK, "{backend}: {}", again.body);
        assert_eq!(
            app.call("routed_to", Some(&owner), &form(&[("page", "pipeline")]))
                .await
                .body,
            "[]"
        );
        let history = app
            .call(
                "account_detail",
                Some(&owner),
                &form(&[("account_id", &account.to_string())]),
            )
            .await;
        let detail: serde_json::Value = serde_json::from_str(&history.body).unwrap();
        assert_eq!(
            detail["routes"].as_array().unwrap().len(),
            2,
            "{backend}: the history keeps both"
        );

        // Untracked accounts leave the default queue and come back behind the toggle.
        app.call(
            "set_tracked",
            Some(&owner),
            &form(&[("account_id", &account.to_string()), ("tracked", "false")]),
        )
        .await;
        let queue = app.call("health_queue", Some(&owner), &form(&[("query[q]", "")])).await;
        let ids: Vec<i64> = serde_json::from_str::<serde_json::Value>(&queue.body).unwrap()["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        assert!(!ids.contains(&account), "{backend}");
        let untracked = app
            .call("health_queue", Some(&owner), &form(&[("query[filter]", "untracked")]))
            .await;
        assert!(untracked.body.contains(&format!("\"id\":{account},")), "{backend}");
        // Hidden by default on the other pages too, and listed when asked for.
        let mine = format!("\"account_id\":{account},");
        let account_name: String = sqlx::query("SELECT name FROM accounts WHERE id = $1")
            .bind(account)
            .fetch_one(app.db.store.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        let contracts = app
            .call("contracts", Some(&owner), &form(&[("query[q]", &account_name)]))
            .await;
        assert_eq!(contracts.status, StatusCode::OK, "{backend}: {}", contracts.body);
        assert!(
            !contracts.body.contains(&mine),
            "{backend}: untracked stays off Contracts"
        );
        let all = app
            .call(
                "contracts",
                Some(&owner),
                &form(&[("query[q]", &account_name), ("query[untracked]", "show")]),
            )
            .await;
        assert!(all.body.contains(&mine), "{backend}: {}", all.body);
    }
}

#[tokio::test]
async fn a_csm_override_wins_over_the_score_until_it_expires_and_is_audited() {
    for db in TestDb::both().await {
        let backend = db.name;
        let app = App::start(db).await;
        let (ws, owner) = app.setup().await;
        let (_, csm) = app.member(ws, "csm@acme.test", Role::Csm, true).await;
        let (_, viewer) = app.member(ws, "viewer@acme.test", Role::Viewer, true).await;
        // A healthy account, so the override visibly moves it.
        let account = app
            .scalar(
                "SELECT a.id FROM accounts a JOIN health_scores hs ON hs.account_id = a.id \
                 WHERE a.workspace_id = $1 AND hs.band = 'green' AND a.tracked = TRUE ORDER BY a.id LIMIT 1",
                ws,
            )
            .await;
        let ids_in = |body: &str| -> Vec<i64> {
            serde_json::from_str::<serde_json::Value>(body).unwrap()["rows"]
                .as_array()
                .unwrap_or_else(|| panic!("a page of accounts, got {body}"))
                .iter()
                .map(|r| r["id"].as_i64().unwrap())
                .collect()
        };
        let red_ids = || async {
            let mut ids = Vec::new();
            for page in 1..=20 {
                let r = app
                    .call(
                        "health_queue",
                        Some(&owner),
                        &form(&[("query[band]", "red"), ("query[page]", &page.to_string())]),
                    )
                    .await;
                let page_ids = ids_in(&r.body);
                if page_ids.is_empty() {
                    break;
                }
                ids.extend(page_ids);
            }
            ids
        };
        let red_count = || async {
            let r = app.call("health_summary", Some(&owner), "").await;
            let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            v["bands"]
                .as_array()
                .unwrap()
                .iter()
                .find(|b| b["band"] == "red")
                .unwrap()["accounts"]
                .as_i64()
                .unwrap()
        };
        let reds_before = red_count().await;
        assert!(!red_ids().await.contains(&account), "{backend}");

        let today = app.service.clock.now().date_naive();
        let body = |reason: &str, expires: chrono::NaiveDate| {
            form(&[
                ("account_id", &account.to_string()),
                ("band", "red"),
                ("reason", reason),
                ("expires_on", &expires.to_string()),
            ])
        };
        // Bad input is refused field by field and nothing is stored.
        let short = app
            .call("override_band", Some(&csm), &body("meh", today + Duration::days(7)))
            .await;
        assert_eq!(short.status, StatusCode::BAD_REQUEST, "{backend}");
        assert!(short.body.contains("reason"), "{backend}: {}", short.body);
        let past = app
            .call(
                "override_band",
                Some(&csm),
                &body("Champion is leaving next month", today - Duration::days(1)),
            )
            .await;
        assert_eq!(past.status, StatusCode::BAD_REQUEST, "{backend}");
        assert!(past.body.contains("expires_on"), "{backend}: {}", past.body);
        let forever = app
            .call(
                "override_band",
                Some(&csm),
                &body("Champion is leaving next month", today + Duration::days(400)),
            )
            .await;
        assert_eq!(forever.status, StatusCode::BAD_REQUEST, "{backend}");
        let denied = app
            .call(
                "override_band",
                Some(&viewer),
                &body("Champion is leaving next month", today + Duration::days(7)),
            )
            .await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN, "{backend}");
        assert_eq!(
            app.scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM health_overrides WHERE workspace_id = $1",
                ws
            )
            .await,
            0,
            "{backend}"
        );

        let set = app
            .call(
                "override_band",
                Some(&csm),
                &body("Champion is leaving next month", today + Duration::days(2)),
            )
            .await;
        assert_eq!(set.status, StatusCode::OK, "{backend}: {}", set.body);
        assert!(
            red_ids().await.contains(&account),
            "{backend}: the queue files it as critical"
        );
        assert_eq!(
            red_count().await,
            reds_before + 1,
            "{backend}: the summary counts it as critical"
        );
        let detail = app
            .call(
                "account_detail",
                Some(&viewer),
                &form(&[("account_id", &account.to_string())]),
            )
            .await;
        let detail: serde_json::Value = serde_json::from_str(&detail.body).unwrap();
        assert_eq!(detail["band_override"]["band"], "red", "{backend}");
        assert_eq!(detail["band_override"]["set_by"], "csm@acme.test", "{backend}");
        assert_eq!(
            detail["account"]["band"], "green",
            "{backend}: the computed band is kept beside it"
        );
        let audited = app
            .scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE workspace_id = $1 AND action = 'band overridden'",
                ws,
            )
            .await;
        assert_eq!(audited, 1, "{backend}");

        // After its last day the computed band is back, with no job having run.
        app.service.clock.advance(Duration::days(3));
        assert!(!red_ids().await.contains(&account), "{backend}: expired");
        assert_eq!(red_count().await, reds_before, "{backend}");

        // Clearing is audited, and clearing twice is harmless.
        app.service.clock.advance(-Duration::days(3));
        for _ in 0..2 {
            let r = app
                .call(
                    "clear_band_override",
                    Some(&csm),
                    &form(&[("account_id", &account.to_string())]),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{backend}: {}", r.body);
        }
        assert!(!red_ids().await.contains(&account), "{backend}: cleared");
        let cleared = app
            .scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE workspace_id = $1 AND action = 'band override cleared'",
                ws,
            )
            .await;
        assert_eq!(cleared, 1, "{backend}");
    }
}

/// Reads the next `data:` line of an SSE body, skipping keep-alive comments; None after `wait`.
#[tokio::test]
async fn open_pages_hear_their_workspace_changes_over_server_sent_events() {
    for db in TestDb::both().await {
        let backend = db.name;
        let app = App::start(db).await;
        let (ws, owner) = app.setup().await;
        let other_ws = app.other_workspace().await;
        let (_, other_admin) = app.member(other_ws, "admin@other.test", Role::Admin, true).await;

        let open = |session: Option<String>| {
            let mut req = Request::get("/api/events").header(header::HOST, HOST);
            if let Some(s) = session {
                req = req.header(header::COOKIE, format!("success_session={s}"));
            }
            app.router.clone().oneshot(req.body(Body::empty()).unwrap())
        };
        let anonymous = open(None).await.unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "{backend}");

        let mine = open(Some(owner.clone())).await.unwrap();
        assert_eq!(mine.status(), StatusCode::OK, "{backend}");
        assert_eq!(
            mine.headers()[header::CONTENT_TYPE].to_str().unwrap(),
            "text/event-stream",
            "{backend}"
        );
        let mut mine = mine.into_body().into_data_stream();
        let mut theirs = open(Some(other_admin.clone()))
            .await
            .unwrap()
            .into_body()
            .into_data_stream();

        let account = app
            .scalar(
                "SELECT id FROM accounts WHERE workspace_id = $1 AND tracked = TRUE ORDER BY id LIMIT 1",
                ws,
            )
            .await;
        let r = app
            .call(
                "set_tracked",
                Some(&owner),
                &form(&[("account_id", &account.to_string()), ("tracked", "false")]),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{backend}");
        let event = next_event(&mut mine, std::time::Duration::from_secs(5))
            .await
            .expect("the owner's open page hears the change");
        assert_eq!(event["kind"], "account_changed", "{backend}");
        assert_eq!(event["account_id"], account, "{backend}");

        let r = app.call("rescore_now", Some(&owner), "").await;
        assert_eq!(r.status, StatusCode::OK, "{backend}");
        let event = next_event(&mut mine, std::time::Duration::from_secs(5)).await.unwrap();
        assert_eq!(event["kind"], "rescored", "{backend}");

        // Nothing of it reaches the other workspace.
        assert_eq!(
            next_event(&mut theirs, std::time::Duration::from_millis(300)).await,
            None,
            "{backend}: another workspace hears nothing"
        );
    }
}
