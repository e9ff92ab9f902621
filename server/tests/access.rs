//! Access enforcement through the real HTTP stack (router, middleware, server functions) on both
//! backends: every server function against every kind of caller, cross-workspace ids, the page
//! gate, CSRF, session fixation, expiry, rate limiting, display links, requests and invitations.

mod common;
#[path = "common/http_app.rs"]
mod http_app;

use app::access::Role;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::Duration;
use common::TestDb;
use http_app::*;
use server::auth::AuthConfig;
use sqlx::Row;
use std::collections::BTreeMap;
use tower::ServiceExt;

#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
enum Who {
    Anonymous,
    NoFlag,
    Viewer,
    Csm,
    Admin,
}

/// What a server function demands, as the table states it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Needs {
    /// Checks its own preconditions (sign-in, sign-up, display link); covered by the tests below.
    Open,
    SignedIn,
    Read,
    Operate,
    Manage,
}

fn expected_denial(needs: Needs, who: Who) -> Option<StatusCode> {
    use Who::*;
    match (needs, who) {
        (Needs::Open, _) => None,
        (_, Anonymous) => Some(StatusCode::UNAUTHORIZED),
        (Needs::SignedIn, _) => None,
        (_, NoFlag) => Some(StatusCode::FORBIDDEN),
        (Needs::Read, _) => None,
        (Needs::Operate, Viewer) => Some(StatusCode::FORBIDDEN),
        (Needs::Operate, _) => None,
        (Needs::Manage, Admin) => None,
        (Needs::Manage, _) => Some(StatusCode::FORBIDDEN),
    }
}

#[tokio::test]
async fn every_server_fn_checks_session_flag_role_and_workspace() {
    for db in TestDb::both().await {
        let backend = db.name;
        let app = App::start(db).await;
        let (ws, _owner) = app.setup().await;
        let (_, no_flag) = app.member(ws, "noflag@acme.test", Role::Viewer, false).await;
        let (_, viewer) = app.member(ws, "viewer@acme.test", Role::Viewer, true).await;
        let (_, csm) = app.member(ws, "csm@acme.test", Role::Csm, true).await;
        let (_, admin) = app.member(ws, "admin@acme.test", Role::Admin, true).await;
        let (target, _) = app.member(ws, "target@acme.test", Role::Viewer, true).await;
        let (_, asker) = app.member(ws, "asker@acme.test", Role::Viewer, false).await;
        let asked = app
            .call(
                "request_access",
                Some(&asker),
                &form(&[
                    ("team", "Sales"),
                    ("role_wanted", "csm"),
                    ("reason", "I run the renewals list."),
                ]),
            )
            .await;
        assert_eq!(asked.status, StatusCode::OK, "{backend}: {}", asked.body);
        let request_id: serde_json::Value = serde_json::from_str(&asked.body).unwrap();
        let request_id = request_id["id"].as_i64().unwrap().to_string();
        let invitation = app
            .call(
                "create_invitation",
                Some(&admin),
                &form(&[("email", "inv@acme.test"), ("role", "viewer")]),
            )
            .await;
        assert_eq!(invitation.status, StatusCode::OK, "{}", invitation.body);
        let invitation_id = serde_json::from_str::<serde_json::Value>(&invitation.body).unwrap()["id"].to_string();
        let link = app
            .call("create_display_link", Some(&admin), &form(&[("name", "Lobby")]))
            .await;
        let link_id = serde_json::from_str::<serde_json::Value>(&link.body).unwrap()["id"].to_string();

        // Another workspace with its own rows, to prove ids do not cross.
        let other_ws = app.other_workspace().await;
        let (other_user, other_asker) = app.member(other_ws, "asker@other.test", Role::Viewer, false).await;
        let other_request = app
            .call(
                "request_access",
                Some(&other_asker),
                &form(&[
                    ("team", "Ops"),
                    ("role_wanted", "viewer"),
                    ("reason", "Checking the numbers."),
                ]),
            )
            .await;
        let other_request = serde_json::from_str::<serde_json::Value>(&other_request.body).unwrap()["id"].to_string();
        let (_, other_admin) = app.member(other_ws, "admin@other.test", Role::Admin, true).await;
        let other_invitation = app
            .call(
                "create_invitation",
                Some(&other_admin),
                &form(&[("email", "x@other.test"), ("role", "viewer")]),
            )
            .await;
        let other_invitation =
            serde_json::from_str::<serde_json::Value>(&other_invitation.body).unwrap()["id"].to_string();
        let other_link = app
            .call("create_display_link", Some(&other_admin), &form(&[("name", "TV")]))
            .await;
        let other_link = serde_json::from_str::<serde_json::Value>(&other_link.body).unwrap()["id"].to_string();

        let account = app
            .scalar(
                "SELECT id FROM accounts WHERE workspace_id = $1 ORDER BY id LIMIT 1",
                ws,
            )
            .await;
        let other_account = app
            .scalar(
                "SELECT id FROM accounts WHERE workspace_id = $1 ORDER BY id LIMIT 1",
                other_ws,
            )
            .await;
        let deal_sql = "SELECT id FROM deals WHERE workspace_id = $1 AND source <> 'salesbricks' ORDER BY id LIMIT 1";
        let deal = app.scalar(deal_sql, ws).await;
        let other_deal = app.scalar(deal_sql, other_ws).await;
        let version = app
            .scalar(
                &format!("SELECT version FROM deals WHERE id = {deal} AND workspace_id = $1"),
                ws,
            )
            .await;

        let route = |session: &str, account: i64| {
            let app = &app;
            let session = session.to_string();
            async move {
                let r = app
                    .call(
                        "route_account",
                        Some(&session),
                        &form(&[
                            ("account_id", &account.to_string()),
                            ("from_page", "health"),
                            ("to_page", "contracts"),
                        ]),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.body);
                serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["id"].to_string()
            }
        };
        let route_id = route(&admin, account).await;
        let (_, other_csm) = app.member(other_ws, "csm@other.test", Role::Csm, true).await;
        let other_route = route(&other_csm, other_account).await;
        let default_card = serde_json::to_string(&app::scoring::Scorecard::default()).unwrap();
        let in_a_month = (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string();
        let s = |v: i64| v.to_string();
        let move_body = |d: i64| form(&[("deal_id", &s(d)), ("stage", "proposal"), ("version", &s(version))]);
        // Integrations talk to a local fake of the vendor; runs exist on both sides for the run ids.
        let fakes = server::fakes::FakeState::new(
            server::fakes::stripe::StripeData::generate(2, 1, 0, 1),
            Default::default(),
        );
        let fake_url = format!("http://{}", server::fakes::serve(fakes, "127.0.0.1:0").await.unwrap());
        let connect_body = form(&[
            ("kind", "stripe"),
            ("credential", server::fakes::STRIPE_KEY),
            ("base_url", &fake_url),
        ]);
        let now = chrono::Utc::now();
        let run = app.db.store.start_sync_run(ws, "salesbricks", now).await.unwrap();
        app.db.store.finish_sync_run(run, None, now).await.unwrap();
        let other_run = app.db.store.start_sync_run(other_ws, "salesbricks", now).await.unwrap();
        // Re-engage rows and contracts on both sides (the other workspace was loaded without scoring).
        server::likelihood::refresh(&app.db.store, other_ws, common::today(), now)
            .await
            .unwrap();
        let winback_sql = "SELECT id FROM winbacks WHERE workspace_id = $1 ORDER BY id LIMIT 1";
        let (winback, other_winback) = (
            app.scalar(winback_sql, ws).await,
            app.scalar(winback_sql, other_ws).await,
        );
        let contract_sql = "SELECT id FROM revenue_sources WHERE workspace_id = $1 ORDER BY id LIMIT 1";
        let (contract, other_contract) = (
            app.scalar(contract_sql, ws).await,
            app.scalar(contract_sql, other_ws).await,
        );
        // Matching: an unmatched company, a linked PostHog group, accounts to merge and a merge to undo.
        let second = |ws: i64| {
            let app = &app;
            async move {
                app.scalar(
                    "SELECT id FROM accounts WHERE workspace_id = $1 ORDER BY id LIMIT 1 OFFSET 1",
                    ws,
                )
                .await
            }
        };
        let (merge_keep, merge_away) = (
            second(ws).await,
            app.scalar(
                "SELECT id FROM accounts WHERE workspace_id = $1 ORDER BY id LIMIT 1 OFFSET 2",
                ws,
            )
            .await,
        );
        let (undo_keep, undo_away) = (
            app.scalar(
                "SELECT id FROM accounts WHERE workspace_id = $1 ORDER BY id LIMIT 1 OFFSET 3",
                ws,
            )
            .await,
            app.scalar(
                "SELECT id FROM accounts WHERE workspace_id = $1 ORDER BY id LIMIT 1 OFFSET 4",
                ws,
            )
            .await,
        );
        let merge = app
            .db
            .store
            .merge_accounts(ws, undo_keep, undo_away, (None, "test"), now)
            .await
            .unwrap();
        let other_merge = app
            .db
            .store
            .merge_accounts(other_ws, other_account, second(other_ws).await, (None, "test"), now)
            .await
            .unwrap();
        for (w, key) in [(ws, "org_1"), (other_ws, "org_2")] {
            sqlx::query(
                "INSERT INTO unmatched_companies (workspace_id, source, external_id, name, seen_at) VALUES ($1, 'posthog', $2, 'Org', $3)",
            )
            .bind(w)
            .bind(key)
            .bind(now.to_rfc3339())
            .execute(app.db.store.pool())
            .await
            .unwrap();
        }
        sqlx::query(
            "INSERT INTO account_external_ids (workspace_id, account_id, source, external_id) VALUES ($1, $2, 'hubspot', 'hs-1'), ($3, $4, 'hubspot', 'hs-2')",
        )
        .bind(ws)
        .bind(account)
        .bind(other_ws)
        .bind(other_account)
        .execute(app.db.store.pool())
        .await
        .unwrap();
        let token = app.service.create_api_token_in(ws, "BuildBetter", None).await.unwrap();
        let _ = token;
        let token_sql = "SELECT id FROM api_tokens WHERE workspace_id = $1 ORDER BY id LIMIT 1";
        let token_id = app.scalar(token_sql, ws).await;
        app.service.create_api_token_in(other_ws, "Other", None).await.unwrap();
        let other_token = app.scalar(token_sql, other_ws).await;
        let csv = "external_id,account_id,source,sentiment,topic,quote,occurred_at\n\
                   acc-1,ACCOUNT,call,-0.4,pricing,Too expensive,2026-11-20\n"
            .replace("ACCOUNT", &account.to_string());
        // Close the Loop: matches on both sides; here email is set up, one match confirmed and one
        // email failed (to send again).
        for w in [ws, other_ws] {
            server::close_loop::refresh(&app.db.store, w).await.unwrap();
        }
        let match_sql = "SELECT m.request_id FROM request_matches m JOIN feature_requests f ON f.id = m.request_id \
                         JOIN contacts c ON c.id = f.contact_id WHERE m.workspace_id = $1 AND c.opted_out = $2 ORDER BY m.request_id LIMIT 1";
        let first_match = |w: i64| {
            let app = &app;
            async move {
                let request: i64 = sqlx::query(match_sql)
                    .bind(w)
                    .bind(false)
                    .fetch_one(app.db.store.pool())
                    .await
                    .unwrap()
                    .get(0);
                let item = app
                    .scalar(
                        &format!("SELECT item_id FROM request_matches WHERE request_id = {request} AND workspace_id = $1 ORDER BY item_id LIMIT 1"),
                        w,
                    )
                    .await;
                (request, item)
            }
        };
        let ((loop_request, loop_item), (other_loop_request, other_loop_item)) =
            (first_match(ws).await, first_match(other_ws).await);
        app.db
            .store
            .decide_match(
                ws,
                loop_request,
                loop_item,
                app::close_loop::MatchStatus::Confirmed,
                "test",
                now,
            )
            .await
            .unwrap();
        let email_form = app::close_loop::EmailSettingsForm {
            host: "127.0.0.1".into(),
            port: "2525".into(),
            security: "none".into(),
            from_address: "csm@acme.test".into(),
            from_name: "Acme Customer Success".into(),
            subject_template: app::close_loop::DEFAULT_SUBJECT.into(),
            body_template: app::close_loop::DEFAULT_BODY.into(),
            per_minute: "20".into(),
            ..Default::default()
        };
        app.db
            .store
            .save_email_settings(ws, &email_form.validate().unwrap(), Some(None), now)
            .await
            .unwrap();
        let failed_email = |w: i64, account: i64| {
            let app = &app;
            async move {
                let key = format!("test:{w}");
                let email = server::store::close_loop::NewEmail {
                    key: &key,
                    account_id: account,
                    request_id: None,
                    item_id: None,
                    contact_id: None,
                    to_address: "dana@hooli.test",
                    to_name: "Dana",
                    subject: "Hello",
                    text_body: "Hello",
                    html_body: "<p>Hello</p>",
                    message_id: "<x@acme.test>",
                    queued_by: "test",
                };
                let (id, _) = app.db.store.enqueue_email(w, &email, now).await.unwrap();
                app.db.store.claim_email(now, "test").await.unwrap().unwrap();
                app.db
                    .store
                    .finish_email(id, app::close_loop::OutboxState::Failed, Some("refused"), now)
                    .await
                    .unwrap();
                id
            }
        };
        let (failed, other_failed) = (
            failed_email(ws, account).await,
            failed_email(other_ws, other_account).await,
        );
        let contact_sql = "SELECT id FROM contacts WHERE workspace_id = $1 ORDER BY id DESC LIMIT 1";
        let (contact, other_contact) = (
            app.scalar(contact_sql, ws).await,
            app.scalar(contact_sql, other_ws).await,
        );
        let request_form = |a: i64| {
            form(&[
                ("form[account_id]", &a.to_string()),
                ("form[project]", "Security"),
                ("form[quote]", "Please add SSO for the whole team"),
                ("form[requested_on]", ""),
                ("form[source_link]", ""),
            ])
        };
        let pair = |r: i64, i: i64| form(&[("request_id", &r.to_string()), ("item_id", &i.to_string())]);
        // name, needs, a body that works in the caller's workspace, the same call on the other workspace's ids.
        let table: Vec<(&str, Needs, String, Option<String>)> = vec![
            ("current_viewer", Needs::Open, String::new(), None),
            ("setup_workspace", Needs::Open, String::new(), None),
            ("sign_in", Needs::Open, String::new(), None),
            ("sign_out", Needs::Open, String::new(), None),
            ("sign_up", Needs::Open, String::new(), None),
            ("invitation_details", Needs::Open, String::new(), None),
            ("office_dashboard", Needs::Open, String::new(), None),
            ("my_access_request", Needs::SignedIn, String::new(), None),
            (
                "request_access",
                Needs::SignedIn,
                form(&[
                    ("team", "Support"),
                    ("role_wanted", "viewer"),
                    ("reason", "I answer renewal tickets."),
                ]),
                None,
            ),
            ("current_workspace", Needs::Read, String::new(), None),
            ("health_summary", Needs::Read, String::new(), None),
            ("health_queue", Needs::Read, form(&[("query[page]", "1")]), None),
            (
                "account_detail",
                Needs::Read,
                form(&[("account_id", &s(account))]),
                Some(form(&[("account_id", &s(other_account))])),
            ),
            ("convert_queue", Needs::Read, form(&[("query[page]", "1")]), None),
            ("contracts", Needs::Read, form(&[("query[page]", "1")]), None),
            ("pipeline", Needs::Read, form(&[("query[page]", "1")]), None),
            ("pipeline_board", Needs::Read, form(&[("query[page]", "1")]), None),
            ("pipeline_settings", Needs::Read, String::new(), None),
            (
                "set_stage_order",
                Needs::Manage,
                form(&[(
                    "order",
                    "evaluation,discovery,proposal,awaiting_countersign,closed_won,closed_lost",
                )]),
                None,
            ),
            ("set_pipeline_source", Needs::Manage, form(&[("source", "all")]), None),
            ("reengage", Needs::Read, form(&[("query[page]", "1")]), None),
            ("close_the_loop", Needs::Read, form(&[("query[page]", "1")]), None),
            (
                "account_loop",
                Needs::Read,
                form(&[("account_id", &s(account))]),
                Some(form(&[("account_id", &s(other_account))])),
            ),
            (
                "decide_match",
                Needs::Operate,
                pair(loop_request, loop_item) + "&confirm=true",
                Some(pair(other_loop_request, other_loop_item) + "&confirm=true"),
            ),
            (
                "add_feature_request",
                Needs::Operate,
                request_form(account),
                Some(request_form(other_account)),
            ),
            (
                "email_draft",
                Needs::Read,
                pair(loop_request, loop_item),
                Some(pair(other_loop_request, other_loop_item)),
            ),
            (
                "queue_email",
                Needs::Operate,
                pair(loop_request, loop_item) + "&subject=Shipped&body=Hi%20%7B%7Bfirst_name%7D%7D",
                Some(pair(other_loop_request, other_loop_item) + "&subject=Shipped&body=Hi"),
            ),
            ("queue_all_confirmed", Needs::Operate, String::new(), None),
            (
                "resolve_email",
                Needs::Operate,
                form(&[("outbox_id", &s(failed)), ("arrived", "false")]),
                Some(form(&[("outbox_id", &s(other_failed)), ("arrived", "false")])),
            ),
            ("email_settings", Needs::Manage, String::new(), None),
            (
                "save_email_settings",
                Needs::Manage,
                form(&[
                    ("form[host]", "smtp.acme.test"),
                    ("form[port]", "587"),
                    ("form[security]", "starttls"),
                    ("form[username]", ""),
                    ("form[password]", ""),
                    ("form[from_address]", "csm@acme.test"),
                    ("form[from_name]", "Acme"),
                    ("form[reply_to]", ""),
                    ("form[signature]", "Acme"),
                    ("form[subject_template]", "Shipped: {{item}}"),
                    ("form[body_template]", "Hi {{first_name}}"),
                    ("form[per_minute]", "20"),
                ]),
                None,
            ),
            ("test_email", Needs::Manage, form(&[("to", "dana@hooli.test")]), None),
            (
                "set_contact_opt_out",
                Needs::Operate,
                form(&[("contact_id", &s(contact)), ("opted_out", "false")]),
                Some(form(&[("contact_id", &s(other_contact)), ("opted_out", "false")])),
            ),
            ("rematch", Needs::Operate, String::new(), None),
            ("settings", Needs::Read, String::new(), None),
            (
                "move_deal",
                Needs::Operate,
                move_body(deal),
                Some(move_body(other_deal)),
            ),
            ("access_settings", Needs::Manage, String::new(), None),
            (
                "decide_access_request",
                Needs::Manage,
                form(&[
                    ("request_id", &request_id),
                    ("approve", "false"),
                    ("reason", "Not this quarter"),
                ]),
                Some(form(&[
                    ("request_id", &other_request),
                    ("approve", "false"),
                    ("reason", "No"),
                ])),
            ),
            (
                "change_role",
                Needs::Manage,
                form(&[("user_id", &s(target)), ("role", "csm")]),
                Some(form(&[("user_id", &s(other_user)), ("role", "csm")])),
            ),
            (
                "revoke_access",
                Needs::Manage,
                form(&[("user_id", &s(target)), ("reason", "Left the team")]),
                Some(form(&[("user_id", &s(other_user)), ("reason", "x")])),
            ),
            (
                "grant_access",
                Needs::Manage,
                form(&[("user_id", &s(target)), ("role", "viewer")]),
                Some(form(&[("user_id", &s(other_user)), ("role", "viewer")])),
            ),
            (
                "create_invitation",
                Needs::Manage,
                form(&[("email", "new@acme.test"), ("role", "csm")]),
                None,
            ),
            (
                "revoke_invitation",
                Needs::Manage,
                form(&[("invitation_id", &invitation_id)]),
                Some(form(&[("invitation_id", &other_invitation)])),
            ),
            (
                "create_display_link",
                Needs::Manage,
                form(&[("name", "Office TV")]),
                None,
            ),
            (
                "revoke_display_link",
                Needs::Manage,
                form(&[("link_id", &link_id)]),
                Some(form(&[("link_id", &other_link)])),
            ),
            (
                "set_allowed_domains",
                Needs::Manage,
                form(&[("domains", "acme.test")]),
                None,
            ),
            ("rescore_now", Needs::Manage, String::new(), None),
            (
                "route_account",
                Needs::Operate,
                form(&[
                    ("account_id", &s(account)),
                    ("from_page", "health"),
                    ("to_page", "convert"),
                ]),
                Some(form(&[
                    ("account_id", &s(other_account)),
                    ("from_page", "health"),
                    ("to_page", "convert"),
                ])),
            ),
            ("routed_to", Needs::Read, form(&[("page", "convert")]), None),
            (
                "dismiss_route",
                Needs::Operate,
                form(&[("route_id", &route_id)]),
                Some(form(&[("route_id", &other_route)])),
            ),
            (
                "set_tracked",
                Needs::Operate,
                form(&[("account_id", &s(account)), ("tracked", "true")]),
                Some(form(&[("account_id", &s(other_account)), ("tracked", "false")])),
            ),
            (
                "override_band",
                Needs::Operate,
                form(&[
                    ("account_id", &s(account)),
                    ("band", "red"),
                    ("reason", "Champion told us they are evaluating a competitor"),
                    ("expires_on", &in_a_month),
                ]),
                Some(form(&[
                    ("account_id", &s(other_account)),
                    ("band", "red"),
                    ("reason", "Champion told us they are evaluating a competitor"),
                    ("expires_on", &in_a_month),
                ])),
            ),
            (
                "clear_band_override",
                Needs::Operate,
                form(&[("account_id", &s(account))]),
                Some(form(&[("account_id", &s(other_account))])),
            ),
            ("scoring_settings", Needs::Read, String::new(), None),
            (
                "save_scorecard",
                Needs::Manage,
                form(&[("card_json", &default_card)]),
                None,
            ),
            ("connect_integration", Needs::Manage, connect_body, None),
            ("test_integration", Needs::Manage, form(&[("kind", "stripe")]), None),
            ("sync_integration", Needs::Operate, form(&[("kind", "stripe")]), None),
            ("sync_billing", Needs::Operate, String::new(), None),
            (
                "contract_invoices",
                Needs::Read,
                form(&[("revenue_source_id", &s(contract))]),
                Some(form(&[("revenue_source_id", &s(other_contract))])),
            ),
            (
                "winback_action",
                Needs::Operate,
                form(&[("winback_id", &s(winback)), ("action", "MarkContacted")]),
                Some(form(&[("winback_id", &s(other_winback)), ("action", "MarkContacted")])),
            ),
            (
                "sync_run_errors",
                Needs::Read,
                form(&[("run_id", &s(run))]),
                Some(form(&[("run_id", &s(other_run))])),
            ),
            (
                "disconnect_integration",
                Needs::Manage,
                form(&[("kind", "stripe")]),
                None,
            ),
            (
                "set_exchange_rate",
                Needs::Manage,
                form(&[("currency", "EUR"), ("rate", "1.08")]),
                None,
            ),
            ("create_api_token", Needs::Manage, form(&[("name", "Zapier")]), None),
            (
                "revoke_api_token",
                Needs::Manage,
                form(&[("id", &s(token_id))]),
                Some(form(&[("id", &s(other_token))])),
            ),
            ("preview_signals_csv", Needs::Operate, form(&[("csv", &csv)]), None),
            ("import_signals_csv", Needs::Operate, form(&[("csv", &csv)]), None),
            ("matching", Needs::Read, String::new(), None),
            (
                "link_company",
                Needs::Manage,
                form(&[
                    ("source", "posthog"),
                    ("external_id", "org_1"),
                    ("account_id", &s(account)),
                ]),
                Some(form(&[
                    ("source", "posthog"),
                    ("external_id", "org_2"),
                    ("account_id", &s(other_account)),
                ])),
            ),
            (
                "unlink_company",
                Needs::Manage,
                form(&[
                    ("account_id", &s(account)),
                    ("source", "hubspot"),
                    ("external_id", "hs-1"),
                ]),
                Some(form(&[
                    ("account_id", &s(other_account)),
                    ("source", "hubspot"),
                    ("external_id", "hs-2"),
                ])),
            ),
            (
                "merge_accounts",
                Needs::Manage,
                form(&[("keep_id", &s(merge_keep)), ("merge_id", &s(merge_away))]),
                Some(form(&[("keep_id", &s(merge_keep)), ("merge_id", &s(other_account))])),
            ),
            (
                "undo_merge",
                Needs::Manage,
                form(&[("merge", &s(merge))]),
                Some(form(&[("merge", &s(other_merge))])),
            ),
            ("verify_email", Needs::Open, String::new(), None),
            ("request_password_reset", Needs::Open, String::new(), None),
            ("reset_password", Needs::Open, String::new(), None),
            (
                "change_password",
                Needs::SignedIn,
                form(&[("current_password", PASSWORD), ("new_password", PASSWORD)]),
                None,
            ),
            (
                "remove_member",
                Needs::Manage,
                form(&[("user_id", &s(target))]),
                Some(form(&[("user_id", &s(other_user))])),
            ),
            // Last: it ends each caller's session.
            ("sign_out_everywhere", Needs::SignedIn, String::new(), None),
        ];

        // A server function that is not in the table fails the suite.
        let listed: BTreeMap<&str, Needs> = table.iter().map(|(n, needs, _, _)| (*n, *needs)).collect();
        let registered: Vec<String> = leptos::server_fn::axum::server_fn_paths()
            .map(|(path, _)| path.trim_start_matches("/api/fn/").to_string())
            .collect();
        for name in &registered {
            assert!(
                listed.contains_key(name.as_str()),
                "server fn {name} has no row in the access table"
            );
        }
        assert_eq!(
            registered.len(),
            listed.len(),
            "the table lists a server fn that does not exist"
        );

        let callers = [
            (Who::Anonymous, None),
            (Who::NoFlag, Some(no_flag.as_str())),
            (Who::Viewer, Some(viewer.as_str())),
            (Who::Csm, Some(csm.as_str())),
            (Who::Admin, Some(admin.as_str())),
        ];
        for (name, needs, body, foreign) in &table {
            if *needs == Needs::Open {
                continue;
            }
            for (who, session) in callers {
                let r = app.call(name, session, body).await;
                match expected_denial(*needs, who) {
                    Some(status) => assert_eq!(r.status, status, "{backend}: {name} as {who:?}: {}", r.body),
                    None => assert!(
                        ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&r.status)
                            && !r.status.is_server_error(),
                        "{backend}: {name} as {who:?} was refused: {} {}",
                        r.status,
                        r.body
                    ),
                }
                // A CSM's sync may still be running when the admin asks for another (409); the CSM
                // already sent the failed email again (409); no SMTP server listens for the test (400).
                if who == Who::Admin
                    && ![
                        "request_access",
                        "move_deal",
                        "sync_integration",
                        "sync_billing",
                        "resolve_email",
                        "test_email",
                    ]
                    .contains(name)
                {
                    assert_eq!(r.status, StatusCode::OK, "{backend}: {name} as admin: {}", r.body);
                }
            }
            if let Some(foreign) = foreign {
                let r = app.call(name, Some(&admin), foreign).await;
                assert_eq!(
                    r.status,
                    StatusCode::NOT_FOUND,
                    "{backend}: {name} on another workspace's id: {}",
                    r.body
                );
            }
        }
        // Nothing of the other workspace changed.
        let other_pending = app
            .scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM access_requests WHERE workspace_id = $1 AND status = 'pending'",
                other_ws,
            )
            .await;
        assert_eq!(other_pending, 1, "{backend}");
    }
}

#[tokio::test]
async fn the_first_start_offers_setup_once_and_pages_are_gated() {
    for db in TestDb::both().await {
        let backend = db.name;
        let app = App::start(db).await;
        let r = app.get("/health", None).await;
        assert!(r.status.is_redirection(), "{backend}");
        assert_eq!(r.location(), "/setup", "{backend}: an empty server starts at setup");
        // The read-only preview works before anything is set up.
        let demo = app.get("/health", Some("success_demo=1")).await;
        assert_eq!(demo.status, StatusCode::OK, "{backend}");

        let bad = app
            .call(
                "setup_workspace",
                None,
                &form(&[
                    ("workspace_name", ""),
                    ("name", "O"),
                    ("email", "nope"),
                    ("password", "short"),
                ]),
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{backend}");
        for field in ["workspace_name", "email", "password"] {
            assert!(
                bad.body.contains(field),
                "{backend}: no message for {field}: {}",
                bad.body
            );
        }
        assert!(
            !app.db.store.has_real_workspace().await.unwrap(),
            "{backend}: a refused setup wrote something"
        );

        let (_, owner) = app.setup().await;
        let again = app
            .call(
                "setup_workspace",
                None,
                &form(&[
                    ("workspace_name", "Evil"),
                    ("name", "E"),
                    ("email", "e@evil.test"),
                    ("password", PASSWORD),
                ]),
            )
            .await;
        assert_eq!(again.status, StatusCode::FORBIDDEN, "{backend}: setup runs only once");

        assert_eq!(app.get("/setup", None).await.location(), "/sign-in", "{backend}");
        let gated = app.get("/pipeline?view=table", None).await;
        assert_eq!(
            gated.location(),
            "/sign-in?next=%2Fpipeline%3Fview%3Dtable",
            "{backend}"
        );
        let cookie = format!("success_session={owner}");
        assert_eq!(
            app.get("/health", Some(&cookie)).await.status,
            StatusCode::OK,
            "{backend}"
        );
        assert_eq!(
            app.get("/sign-in", Some(&cookie)).await.location(),
            "/health",
            "{backend}"
        );
        let v = app.viewer(&owner).await;
        assert_eq!(v["session"]["role"], "owner", "{backend}");
        assert_eq!(v["session"]["has_success"], true, "{backend}");
    }
}

#[tokio::test]
async fn sign_in_rotates_sessions_expires_them_and_rate_limits() {
    for db in TestDb::both().await {
        let backend = db.name;
        let app = App::start(db).await;
        let (_, owner) = app.setup().await;

        // Session fixation: a session id planted in the browser before sign-in is never signed in.
        let planted = "ab".repeat(32);
        let r = app
            .call(
                "sign_in",
                Some(&planted),
                &form(&[("email", "owner@acme.test"), ("password", PASSWORD)]),
            )
            .await;
        let fresh = r.session().expect("new session");
        assert_ne!(fresh, planted, "{backend}");
        assert!(app.viewer(&planted).await["session"].is_null(), "{backend}");
        assert!(!app.viewer(&fresh).await["session"].is_null(), "{backend}");
        let cookie = r
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("success_session="))
            .unwrap();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{backend}: {cookie}"
        );

        // Sign-out ends the session on the server, not only in the browser.
        app.call("sign_out", Some(&fresh), "").await;
        assert!(app.viewer(&fresh).await["session"].is_null(), "{backend}");

        // Idle expiry, then absolute expiry even for a session used every day.
        app.service
            .clock
            .advance(AuthConfig::default().idle + Duration::minutes(1));
        assert!(
            app.viewer(&owner).await["session"].is_null(),
            "{backend}: idle session still valid"
        );
        let busy = app.sign_in("owner@acme.test").await;
        for _ in 0..29 {
            app.service.clock.advance(Duration::days(1));
            assert!(!app.viewer(&busy).await["session"].is_null(), "{backend}");
        }
        app.service.clock.advance(Duration::days(1) + Duration::minutes(1));
        assert!(
            app.viewer(&busy).await["session"].is_null(),
            "{backend}: absolute expiry ignored"
        );

        // A wrong password and an unknown email answer the same.
        let wrong = app
            .call(
                "sign_in",
                None,
                &form(&[("email", "owner@acme.test"), ("password", "not the password")]),
            )
            .await;
        let unknown = app
            .call(
                "sign_in",
                None,
                &form(&[("email", "nobody@acme.test"), ("password", "not the password")]),
            )
            .await;
        assert_eq!(wrong.status, unknown.status, "{backend}");
        assert_eq!(wrong.body, unknown.body, "{backend}");
        assert!(wrong.session().is_none() && unknown.session().is_none());

        // Ten attempts a minute per email, then a clear refusal even with the right password.
        for _ in 0..8 {
            app.call(
                "sign_in",
                None,
                &form(&[("email", "owner@acme.test"), ("password", "guess guess guess")]),
            )
            .await;
        }
        let limited = app
            .call(
                "sign_in",
                None,
                &form(&[("email", "owner@acme.test"), ("password", PASSWORD)]),
            )
            .await;
        assert_eq!(
            limited.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{backend}: {}",
            limited.body
        );
        assert!(limited.body.contains("Too many attempts"), "{backend}");
        assert!(limited.session().is_none());
        app.service.clock.advance(Duration::seconds(61));
        app.sign_in("owner@acme.test").await;
    }
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = App::start(TestDb::sqlite().await).await;
    let (ws, owner) = app.setup().await;
    let body = form(&[("domains", "evil.test")]);
    for headers in [
        vec![("origin", "https://evil.example")],
        vec![("origin", "null")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("referer", "https://evil.example/page")],
    ] {
        let r = app
            .call_with("set_allowed_domains", Some(&owner), &body, &headers)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{headers:?}");
    }
    // A cross-site sign-in form post is refused too (login CSRF).
    let r = app
        .call_with(
            "sign_in",
            None,
            &form(&[("email", "owner@acme.test"), ("password", PASSWORD)]),
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.session().is_none());
    let domains = app.db.store.allowed_domains(ws).await.unwrap();
    assert!(!domains.contains(&"evil.test".to_string()));
    let ok = app.call("set_allowed_domains", Some(&owner), &body).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
}

#[tokio::test]
async fn display_links_open_only_the_dashboard_until_revoked_or_expired() {
    for db in TestDb::both().await {
        let backend = db.name;
        let app = App::start(db).await;
        let (_, owner) = app.setup().await;
        let make = |name: &'static str, days: Option<&'static str>| {
            let app = &app;
            let owner = owner.clone();
            async move {
                let mut pairs = vec![("name", name)];
                if let Some(d) = days {
                    pairs.push(("expires_in_days", d));
                }
                let r = app.call("create_display_link", Some(&owner), &form(&pairs)).await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.body);
                let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
                let path = v["url_path"].as_str().unwrap().to_string();
                (v["id"].as_i64().unwrap(), path.trim_start_matches("/tv/").to_string())
            }
        };
        let (lobby_id, lobby) = make("Lobby", None).await;
        let (_, month) = make("Sales floor", Some("30")).await;
        assert_eq!(lobby.len(), 64, "{backend}: 256-bit token");
        let raw_stored = sqlx::query("SELECT token_hash FROM display_links")
            .fetch_all(app.db.store.pool())
            .await
            .unwrap()
            .iter()
            .any(|r| r.try_get::<String, _>(0).unwrap() == lobby);
        assert!(!raw_stored, "{backend}: the token is stored in the clear");

        let tv = app.call("office_dashboard", None, &form(&[("token", &lobby)])).await;
        assert_eq!(tv.status, StatusCode::OK, "{backend}: {}", tv.body);
        assert!(tv.body.contains("Acme"), "{backend}");
        assert_eq!(
            app.get(&format!("/tv/{lobby}"), None).await.status,
            StatusCode::OK,
            "{backend}"
        );
        // The token is not a session: it opens nothing else.
        for name in ["health_queue", "current_workspace", "access_settings", "current_viewer"] {
            let r = app.call(name, Some(&lobby), &form(&[("query[page]", "1")])).await;
            if name == "current_viewer" {
                assert!(r.body.contains("\"session\":null"), "{backend}");
            } else {
                assert_eq!(
                    r.status,
                    StatusCode::UNAUTHORIZED,
                    "{backend}: {name} with a display token"
                );
            }
        }
        assert!(app
            .get("/health", Some(&format!("success_session={lobby}")))
            .await
            .status
            .is_redirection());

        let overview: serde_json::Value =
            serde_json::from_str(&app.call("access_settings", Some(&owner), "").await.body).unwrap();
        let lobby_row = overview["display_links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == "Lobby")
            .unwrap();
        assert!(lobby_row["last_seen_at"].is_string(), "{backend}: last seen not noted");

        app.call(
            "revoke_display_link",
            Some(&owner),
            &form(&[("link_id", &lobby_id.to_string())]),
        )
        .await;
        let revoked = app.call("office_dashboard", None, &form(&[("token", &lobby)])).await;
        assert_eq!(revoked.status, StatusCode::FORBIDDEN, "{backend}");
        // The office screen's live updates follow the same link: open while valid, refused after.
        let events = |token: String| {
            let req = Request::get(format!("/api/events?display={token}"))
                .header(header::HOST, HOST)
                .body(Body::empty())
                .unwrap();
            app.router.clone().oneshot(req)
        };
        assert_eq!(
            events(lobby.clone()).await.unwrap().status(),
            StatusCode::FORBIDDEN,
            "{backend}"
        );
        let live = events(month.clone()).await.unwrap();
        assert_eq!(live.status(), StatusCode::OK, "{backend}: a valid link streams events");
        let mut live = live.into_body().into_data_stream();
        let r = app.call("rescore_now", Some(&owner), "").await;
        assert_eq!(r.status, StatusCode::OK, "{backend}");
        let event = next_event(&mut live, std::time::Duration::from_secs(5)).await;
        assert_eq!(event.map(|e| e["kind"].clone()), Some("rescored".into()), "{backend}");
        assert!(revoked.body.contains("revoked or has expired"), "{backend}");

        assert_eq!(
            app.call("office_dashboard", None, &form(&[("token", &month)]))
                .await
                .status,
            StatusCode::OK
        );
        app.service.clock.advance(Duration::days(31));
        assert_eq!(
            app.call("office_dashboard", None, &form(&[("token", &month)]))
                .await
                .status,
            StatusCode::FORBIDDEN,
            "{backend}: expired link still works"
        );
        let bogus = app
            .call("office_dashboard", None, &form(&[("token", "../../etc/passwd")]))
            .await;
        assert_eq!(bogus.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn a_newcomer_requests_access_and_an_admin_decides_with_an_audit_trail() {
    for db in TestDb::both().await {
        let backend = db.name;
        let app = App::start(db).await;
        let (ws, owner) = app.setup().await;

        let signup = |email: &'static str| {
            let app = &app;
            async move {
                app.call(
                    "sign_up",
                    None,
                    &form(&[("name", "Nina New"), ("email", email), ("password", PASSWORD)]),
                )
                .await
            }
        };
        let closed = signup("nina@acme.test").await;
        assert_eq!(
            closed.status,
            StatusCode::BAD_REQUEST,
            "{backend}: sign-up is closed without allowed domains"
        );
        assert!(closed.body.contains("invitation"), "{backend}: {}", closed.body);
        app.call(
            "set_allowed_domains",
            Some(&owner),
            &form(&[("domains", "Acme.test, @acme.test")]),
        )
        .await;
        assert_eq!(app.db.store.allowed_domains(ws).await.unwrap(), vec!["acme.test"]);
        let no_mail = signup("nina@acme.test").await;
        assert_eq!(no_mail.status, StatusCode::BAD_REQUEST, "{backend}: {}", no_mail.body);
        assert!(
            no_mail.body.contains("cannot send email"),
            "{backend}: {}",
            no_mail.body
        );
        app.email_settings(ws).await;

        // A domain sign-up proves the address first: no session, no person, only an email.
        let asked = signup("nina@acme.test").await;
        assert_eq!(asked.status, StatusCode::OK, "{backend}: {}", asked.body);
        assert!(asked.body.contains("Check your inbox"), "{backend}: {}", asked.body);
        assert!(
            asked.session().is_none(),
            "{backend}: signed in before proving the address"
        );
        let people = "SELECT CAST(COUNT(*) AS BIGINT) FROM users WHERE email = 'nina@acme.test' AND 0 = $1";
        assert_eq!(app.scalar(people, 0).await, 0, "{backend}: a person before the link");
        let link = app.emailed_link(ws, "/verify-email?token=").await;
        // A look-alike address is not another Nina.
        let lookalike = signup("nin\u{430}@acme.test").await;
        assert_eq!(
            lookalike.status,
            StatusCode::BAD_REQUEST,
            "{backend}: {}",
            lookalike.body
        );
        let forged = app
            .call("verify_email", None, &form(&[("token", &"0".repeat(64))]))
            .await;
        assert_eq!(forged.status, StatusCode::BAD_REQUEST, "{backend}: {}", forged.body);
        let joined = app.call("verify_email", None, &form(&[("token", &link)])).await;
        assert!(
            joined.location().ends_with("/success-unlock"),
            "{backend}: {} {}",
            joined.location(),
            joined.body
        );
        let again = app.call("verify_email", None, &form(&[("token", &link)])).await;
        assert_eq!(again.status, StatusCode::BAD_REQUEST, "{backend}: a link works once");
        assert!(again.session().is_none());
        let nina = joined.session().unwrap();
        let cookie = format!("success_session={nina}");
        assert_eq!(
            app.get("/health", Some(&cookie)).await.location(),
            "/success-unlock",
            "{backend}"
        );
        assert_eq!(app.get("/success-unlock", Some(&cookie)).await.status, StatusCode::OK);
        // Signing up again answers the same (no enumeration); the address's owner gets a note.
        let twice = signup("nina@acme.test").await;
        assert_eq!(twice.status, StatusCode::OK, "{backend}: {}", twice.body);
        assert!(
            twice.body.contains("Check your inbox") && twice.session().is_none(),
            "{backend}"
        );

        let short = app
            .call(
                "request_access",
                Some(&nina),
                &form(&[("team", ""), ("role_wanted", "owner"), ("reason", "pls")]),
            )
            .await;
        assert_eq!(short.status, StatusCode::BAD_REQUEST, "{backend}");
        for field in ["team", "role_wanted", "reason"] {
            assert!(short.body.contains(field), "{backend}: {}", short.body);
        }
        let ask = |reason: &'static str| {
            let app = &app;
            let nina = nina.clone();
            async move {
                app.call(
                    "request_access",
                    Some(&nina),
                    &form(&[("team", "CS EMEA"), ("role_wanted", "csm"), ("reason", reason)]),
                )
                .await
            }
        };
        assert_eq!(ask("I own the EMEA renewals.").await.status, StatusCode::OK);
        assert_eq!(
            ask("I own the EMEA renewals and expansions.").await.status,
            StatusCode::OK
        );
        let rows = app
            .scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM access_requests WHERE workspace_id = $1",
                ws,
            )
            .await;
        assert_eq!(rows, 1, "{backend}: a second submit updates the request");
        assert_eq!(
            app.viewer(&owner).await["session"]["pending_requests"],
            1,
            "{backend}: no admin badge"
        );

        let overview: serde_json::Value =
            serde_json::from_str(&app.call("access_settings", Some(&owner), "").await.body).unwrap();
        let request = &overview["requests"][0];
        assert_eq!(request["reason"], "I own the EMEA renewals and expansions.");
        let id = request["id"].to_string();
        let user_id = request["user_id"].to_string();

        let deny_without_reason = app
            .call(
                "decide_access_request",
                Some(&owner),
                &form(&[("request_id", &id), ("approve", "false")]),
            )
            .await;
        assert_eq!(deny_without_reason.status, StatusCode::BAD_REQUEST, "{backend}");
        let denied = app
            .call(
                "decide_access_request",
                Some(&owner),
                &form(&[
                    ("request_id", &id),
                    ("approve", "false"),
                    ("reason", "Ask your lead first"),
                ]),
            )
            .await;
        assert_eq!(denied.status, StatusCode::OK, "{backend}: {}", denied.body);
        let mine = app.call("my_access_request", Some(&nina), "").await;
        assert!(
            mine.body.contains("\"status\":\"denied\"") && mine.body.contains("Ask your lead first"),
            "{backend}"
        );

        ask("My lead agreed; I own the EMEA renewals.").await;
        let approved = app
            .call(
                "decide_access_request",
                Some(&owner),
                &form(&[("request_id", &id), ("approve", "true"), ("role", "csm")]),
            )
            .await;
        assert_eq!(approved.status, StatusCode::OK, "{backend}: {}", approved.body);
        assert_eq!(
            app.get("/health", Some(&cookie)).await.status,
            StatusCode::OK,
            "{backend}"
        );
        let v = app.viewer(&nina).await;
        assert_eq!(v["session"]["role"], "csm");
        assert_eq!(v["session"]["has_success"], true);

        app.call(
            "revoke_access",
            Some(&owner),
            &form(&[("user_id", &user_id), ("reason", "Moved teams")]),
        )
        .await;
        assert_eq!(
            app.get("/health", Some(&cookie)).await.location(),
            "/success-unlock",
            "{backend}"
        );

        let audit: serde_json::Value =
            serde_json::from_str(&app.call("access_settings", Some(&owner), "").await.body).unwrap();
        let actions: Vec<&str> = audit["audit"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap())
            .collect();
        for action in [
            "access_requested",
            "access_denied",
            "access_granted",
            "access_revoked",
            "allowed_domains_changed",
        ] {
            assert!(
                actions.contains(&action),
                "{backend}: {action} missing from {actions:?}"
            );
        }
        let revoked = audit["audit"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["action"] == "access_revoked")
            .unwrap();
        assert_eq!(revoked["actor"], "Olivia Owner");
        assert_eq!(revoked["subject"], "nina@acme.test");
    }
}

#[tokio::test]
async fn invitation_links_admit_one_person_with_the_chosen_role() {
    for db in TestDb::both().await {
        let backend = db.name;
        let app = App::start(db).await;
        let (ws, owner) = app.setup().await;
        let r = app
            .call(
                "create_invitation",
                Some(&owner),
                &form(&[("email", "Ivy@Partner.test"), ("role", "viewer")]),
            )
            .await;
        let token = serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["url_path"]
            .as_str()
            .unwrap()
            .trim_start_matches("/sign-up?invite=")
            .to_string();
        let info = app.call("invitation_details", None, &form(&[("token", &token)])).await;
        assert!(
            info.body.contains("ivy@partner.test") && info.body.contains("Acme"),
            "{backend}: {}",
            info.body
        );

        let join = |email: &'static str| {
            let app = &app;
            let token = token.clone();
            async move {
                app.call(
                    "sign_up",
                    None,
                    &form(&[
                        ("name", "Ivy"),
                        ("email", email),
                        ("password", PASSWORD),
                        ("invite", &token),
                    ]),
                )
                .await
            }
        };
        let wrong = join("mallory@partner.test").await;
        assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{backend}");
        assert!(wrong.body.contains("ivy@partner.test"));
        let ok = join("ivy@partner.test").await;
        let ivy = ok.session().expect("signed in");
        let v = app.viewer(&ivy).await;
        assert_eq!(v["session"]["role"], "viewer", "{backend}");
        assert_eq!(v["session"]["has_success"], true, "{backend}");
        let again = join("ivy@partner.test").await;
        assert_eq!(
            again.status,
            StatusCode::BAD_REQUEST,
            "{backend}: a link admits one person"
        );
        assert_eq!(
            app.call("invitation_details", None, &form(&[("token", &token)]))
                .await
                .status,
            StatusCode::NOT_FOUND
        );

        // A viewer reads but cannot move deals.
        let deal = app
            .scalar(
                "SELECT id FROM deals WHERE workspace_id = $1 AND source <> 'salesbricks' ORDER BY id LIMIT 1",
                ws,
            )
            .await;
        let moved = app
            .call(
                "move_deal",
                Some(&ivy),
                &form(&[("deal_id", &deal.to_string()), ("stage", "proposal"), ("version", "1")]),
            )
            .await;
        assert_eq!(moved.status, StatusCode::FORBIDDEN, "{backend}");
        assert!(moved.body.contains("Viewers"), "{backend}: {}", moved.body);
    }
}
