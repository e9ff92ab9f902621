//! Account security through the real HTTP stack on both backends: password reset by a
//! single-use link, password change, signing out everywhere, removing members and changing
//! roles (their open pages hear "signed out" and their streams close), display-link
//! revocation, and the one-time first setup behind its token.

mod common;
#[path = "common/http_app.rs"]
mod http_app;

use app::access::Role;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::Duration;
use common::TestDb;
use http_app::*;
use tower::ServiceExt;

const NEW_PASSWORD: &str = "a much better horse";

/// Whether the stream ends (after its last events) within `wait`.
async fn ends_within(
    stream: &mut (impl futures::Stream<Item = Result<axum::body::Bytes, axum::Error>> + Unpin),
    wait: std::time::Duration,
) -> bool {
    use futures::StreamExt;
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(None) => return true,
            Ok(Some(_)) => continue,
            Err(_) => return false,
        }
    }
}

impl App {
    async fn events(&self, cookie: Option<&str>, query: &str) -> axum::response::Response {
        let mut req = Request::get(format!("/api/events{query}")).header(header::HOST, HOST);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, format!("success_session={c}"));
        }
        self.router
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    async fn signed_in_as(&self, session: &str) -> bool {
        !self.viewer(session).await["session"].is_null()
    }
}

/// Waits for the `signed_out` event on an open stream and for the stream to end, within a second.
async fn hears_signed_out(res: axum::response::Response, after: impl std::future::Future<Output = ()>) -> bool {
    let mut stream = res.into_body().into_data_stream();
    after.await;
    let second = std::time::Duration::from_secs(1);
    let said = next_event(&mut stream, second).await;
    said.is_some_and(|e| e["kind"] == "signed_out") && ends_within(&mut stream, second).await
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_a_single_use_link_and_every_session_ends() {
    for db in TestDb::both().await {
        let backend = db.name;
        let app = App::start(db).await;
        let (ws, owner) = app.setup().await;
        app.email_settings(ws).await;
        let account_mails =
            "SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE workspace_id = $1 AND purpose = 'account'";

        let ask = |email: &'static str| {
            let app = &app;
            async move {
                app.call("request_password_reset", None, &form(&[("email", email)]))
                    .await
            }
        };
        let unknown = ask("nobody@acme.test").await;
        assert_eq!(unknown.status, StatusCode::OK, "{backend}: {}", unknown.body);
        assert_eq!(app.scalar(account_mails, ws).await, 0, "{backend}: mail for nobody");
        let known = ask("Owner@Acme.test").await;
        assert_eq!(known.status, StatusCode::OK, "{backend}");
        assert_eq!(
            known.body.replace("owner@acme.test", "X"),
            unknown.body.replace("nobody@acme.test", "X"),
            "{backend}: the answer tells whether the address has an account"
        );
        assert_eq!(app.scalar(account_mails, ws).await, 1, "{backend}");
        let token = app.emailed_link(ws, "/reset-password?token=").await;
        let in_clear = sqlx::query("SELECT token_hash FROM email_tokens WHERE token_hash = $1")
            .bind(&token)
            .fetch_optional(app.db.store.pool())
            .await
            .unwrap();
        assert!(in_clear.is_none(), "{backend}: the reset token is stored in the clear");

        let reset = |token: String, password: &'static str| {
            let app = &app;
            async move {
                app.call(
                    "reset_password",
                    None,
                    &form(&[("token", &token), ("password", password)]),
                )
                .await
            }
        };
        let weak = reset(token.clone(), "short").await;
        assert_eq!(weak.status, StatusCode::BAD_REQUEST, "{backend}");
        assert!(weak.body.contains("password"), "{backend}: {}", weak.body);
        let done = reset(token.clone(), NEW_PASSWORD).await;
        assert!(
            done.status.is_redirection() || done.status.is_success(),
            "{backend}: {}",
            done.body
        );
        let fresh = done.session().expect("the reset signs in");
        assert!(app.signed_in_as(&fresh).await, "{backend}");
        assert!(
            !app.signed_in_as(&owner).await,
            "{backend}: the old session survived a reset"
        );
        assert_eq!(
            reset(token, NEW_PASSWORD).await.status,
            StatusCode::BAD_REQUEST,
            "{backend}: a reset link works once"
        );
        let old = app
            .call(
                "sign_in",
                None,
                &form(&[("email", "owner@acme.test"), ("password", PASSWORD)]),
            )
            .await;
        assert!(old.session().is_none(), "{backend}: the old password still works");

        // A link older than 30 minutes is dead.
        ask("owner@acme.test").await;
        let late = app.emailed_link(ws, "/reset-password?token=").await;
        app.service.clock.advance(Duration::minutes(31));
        assert_eq!(
            reset(late, NEW_PASSWORD).await.status,
            StatusCode::BAD_REQUEST,
            "{backend}"
        );
        let huge = format!("{}@acme.test", "a".repeat(200_000));
        let r = app
            .call("request_password_reset", None, &form(&[("email", &huge)]))
            .await;
        assert!(r.status.is_client_error(), "{backend}: {}", r.status);
    }
}

#[tokio::test]
async fn a_password_change_needs_the_current_one_and_ends_the_other_sessions() {
    for db in TestDb::both().await {
        let backend = db.name;
        let app = App::start(db).await;
        let (_, here) = app.setup().await;
        let elsewhere = app.sign_in("owner@acme.test").await;
        let change = |current: &'static str| {
            let app = &app;
            let here = here.clone();
            async move {
                app.call(
                    "change_password",
                    Some(&here),
                    &form(&[("current_password", current), ("new_password", NEW_PASSWORD)]),
                )
                .await
            }
        };
        let wrong = change("not my password").await;
        assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{backend}");
        assert!(wrong.body.contains("current_password"), "{backend}: {}", wrong.body);
        assert!(
            app.signed_in_as(&elsewhere).await,
            "{backend}: a wrong try ended a session"
        );
        let ok = change(PASSWORD).await;
        assert_eq!(ok.status, StatusCode::OK, "{backend}: {}", ok.body);
        assert!(
            app.signed_in_as(&here).await,
            "{backend}: the session that changed it ends"
        );
        assert!(
            !app.signed_in_as(&elsewhere).await,
            "{backend}: another session survived"
        );
        let anonymous = app
            .call(
                "change_password",
                None,
                &form(&[("current_password", NEW_PASSWORD), ("new_password", PASSWORD)]),
            )
            .await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{backend}");
    }
}

#[tokio::test]
async fn ending_access_closes_open_pages_at_once() {
    for db in TestDb::both().await {
        let backend = db.name;
        let app = App::start(db).await;
        let (ws, owner) = app.setup().await;

        // Removed: their open page hears it, the stream closes, the session is gone.
        let (gone_id, gone) = app.member(ws, "gone@acme.test", Role::Csm, true).await;
        let open = app.events(Some(&gone), "").await;
        assert_eq!(open.status(), StatusCode::OK, "{backend}");
        let remove_form = form(&[("user_id", &gone_id.to_string())]);
        let remove = app.call("remove_member", Some(&owner), &remove_form);
        assert!(
            hears_signed_out(open, async {
                assert_eq!(remove.await.status, StatusCode::OK, "{backend}");
            })
            .await,
            "{backend}: a removed member's page stayed open"
        );
        assert!(!app.signed_in_as(&gone).await, "{backend}");
        let owner_id = app
            .scalar("SELECT id FROM users WHERE email = 'owner@acme.test' AND 0 = $1", 0)
            .await;
        let (_, admin) = app.member(ws, "admin@acme.test", Role::Admin, true).await;
        let owner_removed = app
            .call(
                "remove_member",
                Some(&admin),
                &form(&[("user_id", &owner_id.to_string())]),
            )
            .await;
        assert_eq!(
            owner_removed.status,
            StatusCode::BAD_REQUEST,
            "{backend}: the owner was removed"
        );

        // Re-roled: signed out to sign in again under the new role.
        let (csm_id, csm) = app.member(ws, "csm@acme.test", Role::Csm, true).await;
        let open = app.events(Some(&csm), "").await;
        let rerole_form = form(&[("user_id", &csm_id.to_string()), ("role", "viewer")]);
        let rerole = app.call("change_role", Some(&owner), &rerole_form);
        assert!(
            hears_signed_out(open, async {
                assert_eq!(rerole.await.status, StatusCode::OK, "{backend}");
            })
            .await,
            "{backend}: a re-roled member kept their page"
        );

        // Everywhere: every session of the person ends, and their pages hear it.
        let (_, twice) = app.member(ws, "twice@acme.test", Role::Viewer, true).await;
        let other_tab = app.sign_in("twice@acme.test").await;
        let open = app.events(Some(&other_tab), "").await;
        let everywhere = app.call("sign_out_everywhere", Some(&twice), "");
        assert!(
            hears_signed_out(open, async {
                let r = everywhere.await;
                assert!(
                    r.status.is_redirection() || r.status.is_success(),
                    "{backend}: {}",
                    r.body
                );
            })
            .await,
            "{backend}"
        );
        assert!(!app.signed_in_as(&twice).await && !app.signed_in_as(&other_tab).await);

        // A revoked display link's screen goes dark within a second; other screens stay.
        let make = |name: &'static str| {
            let app = &app;
            let owner = owner.clone();
            async move {
                let r = app
                    .call("create_display_link", Some(&owner), &form(&[("name", name)]))
                    .await;
                let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
                (
                    v["id"].as_i64().unwrap(),
                    v["url_path"].as_str().unwrap().trim_start_matches("/tv/").to_string(),
                )
            }
        };
        let (lobby_id, lobby) = make("Lobby").await;
        let (_, floor) = make("Floor").await;
        let lobby_screen = app.events(None, &format!("?display={lobby}")).await;
        let floor_screen = app.events(None, &format!("?display={floor}")).await;
        let revoke_form = form(&[("link_id", &lobby_id.to_string())]);
        let revoke = app.call("revoke_display_link", Some(&owner), &revoke_form);
        assert!(
            hears_signed_out(lobby_screen, async {
                assert_eq!(revoke.await.status, StatusCode::OK, "{backend}");
            })
            .await,
            "{backend}: a revoked display link kept streaming"
        );
        let mut floor_stream = floor_screen.into_body().into_data_stream();
        assert!(
            !ends_within(&mut floor_stream, std::time::Duration::from_millis(300)).await,
            "{backend}: another screen was closed"
        );

        // The wall's payload holds what the wall draws: no ids, owners, domains or evidence.
        let tv = app.call("office_dashboard", None, &form(&[("token", &floor)])).await;
        assert_eq!(tv.status, StatusCode::OK, "{backend}");
        for secret in ["\"id\"", "owner", "domain", "evidence", "factors", "account_id"] {
            assert!(
                !tv.body.contains(secret),
                "{backend}: the display payload carries {secret}"
            );
        }
    }
}

#[tokio::test]
async fn the_first_owner_needs_the_setup_token_and_only_one_setup_wins() {
    for db in TestDb::both().await {
        let backend = db.name;
        let app = App::start_with(db, |data| {
            data.auth = std::sync::Arc::new(server::auth::AuthConfig {
                setup_token: Some("the-token-from-the-log".into()),
                failure_delay: std::time::Duration::from_millis(1),
                ..server::auth::AuthConfig::default()
            });
        })
        .await;
        let setup = |token: &'static str, email: &'static str| {
            let app = &app;
            async move {
                app.call(
                    "setup_workspace",
                    None,
                    &form(&[
                        ("setup_token", token),
                        ("workspace_name", "Acme"),
                        ("name", "Olivia Owner"),
                        ("email", email),
                        ("password", PASSWORD),
                    ]),
                )
                .await
            }
        };
        let without = setup("", "owner@acme.test").await;
        assert_eq!(without.status, StatusCode::BAD_REQUEST, "{backend}: {}", without.body);
        assert!(without.body.contains("setup_token"), "{backend}: {}", without.body);
        let real = "SELECT CAST(COUNT(*) AS BIGINT) FROM workspaces WHERE is_demo = $1";
        let real_count = |app: &App| {
            let pool = app.db.store.pool().clone();
            async move {
                use sqlx::Row;
                sqlx::query(real)
                    .bind(false)
                    .fetch_one(&pool)
                    .await
                    .unwrap()
                    .try_get::<i64, _>(0)
                    .unwrap()
            }
        };
        assert_eq!(real_count(&app).await, 0, "{backend}: a refused setup wrote");
        let (a, b) = tokio::join!(
            setup("the-token-from-the-log", "owner@acme.test"),
            setup("the-token-from-the-log", "rival@acme.test")
        );
        let won = [&a, &b].iter().filter(|r| r.session().is_some()).count();
        assert_eq!(won, 1, "{backend}: {} {} / {} {}", a.status, a.body, b.status, b.body);
        assert_eq!(real_count(&app).await, 1, "{backend}: two setups both made a workspace");
        let owners = app
            .scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM members WHERE role = 'owner' AND 0 = $1",
                0,
            )
            .await;
        assert_eq!(owners, 1, "{backend}");
    }
}
