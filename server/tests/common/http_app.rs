//! A Success router on a fresh database, called the way browsers call it: server functions as
//! same-origin form posts, pages as GETs. Shared by the access and accounts tests.
#![allow(dead_code)]

use super::common::TestDb;
use app::access::Role;
use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use server::auth::AuthConfig;
use server::demo::{generate, DemoSpec};
use server::service::Data;
use sqlx::Row;
use std::sync::Arc;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";
pub const HOST: &str = "success.test";

pub struct App {
    pub router: Router,
    pub service: Arc<Data>,
    pub db: TestDb,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    /// The session id this reply sets, if any.
    pub fn session(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix("success_session="))
            .map(|c| c.split(';').next().unwrap_or("").to_string())
            .filter(|v| !v.is_empty())
    }
    pub fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", app::url::encode_component(k), app::url::encode_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl App {
    pub async fn start(db: TestDb) -> App {
        Self::start_with(db, |_| {}).await
    }

    pub async fn start_with(db: TestDb, configure: impl FnOnce(&mut Data)) -> App {
        server::ensure_preview_workspace(&db.store).await.unwrap();
        let options = leptos::prelude::LeptosOptions::builder().output_name("success").build();
        // Wrong-password waits a millisecond instead of a quarter second: the limits are tested,
        // not the clock.
        let auth = AuthConfig {
            failure_delay: std::time::Duration::from_millis(1),
            ..AuthConfig::allowing_private_network()
        };
        let mut data = Data::new(db.store.clone(), auth);
        configure(&mut data);
        let service = data.shared();
        let router = server::web::router_with(options, service.clone());
        App { router, service, db }
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 22).await.unwrap();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// Calls a server function the way the hydrated app does: a same-origin form post.
    pub async fn call(&self, name: &str, session: Option<&str>, body: &str) -> Reply {
        self.call_with(name, session, body, &[("origin", &format!("http://{HOST}"))])
            .await
    }

    pub async fn call_with(&self, name: &str, session: Option<&str>, body: &str, extra: &[(&str, &str)]) -> Reply {
        let mut req = Request::post(format!("/api/fn/{name}"))
            .header(header::HOST, HOST)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(s) = session {
            req = req.header(header::COOKIE, format!("success_session={s}"));
        }
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        self.send(req.body(Body::from(body.to_string())).unwrap()).await
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut req = Request::get(path).header(header::HOST, HOST);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        // Status and headers only: the gate decides before anything renders, and the rendered
        // pages themselves are checked in the browser tests.
        let res = self
            .router
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        Reply {
            status: res.status(),
            headers: res.headers().clone(),
            body: String::new(),
        }
    }

    pub async fn sign_in(&self, email: &str) -> String {
        let r = self
            .call("sign_in", None, &form(&[("email", email), ("password", PASSWORD)]))
            .await;
        assert!(
            r.status.is_success() || r.status.is_redirection(),
            "sign in {email}: {} {}",
            r.status,
            r.body
        );
        r.session().expect("a session cookie")
    }

    pub async fn member(&self, ws: i64, email: &str, role: Role, flag: bool) -> (i64, String) {
        let hash = server::auth::hash_password(PASSWORD.into()).await.unwrap();
        let id = self
            .db
            .store
            .create_member(ws, email, email, &hash, role, flag, chrono::Utc::now())
            .await
            .unwrap();
        (id, self.sign_in(email).await)
    }

    pub async fn viewer(&self, session: &str) -> serde_json::Value {
        let r = self.call("current_viewer", Some(session), "").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        serde_json::from_str(&r.body).unwrap()
    }

    pub async fn scalar(&self, sql: &str, ws: i64) -> i64 {
        sqlx::query(sql)
            .bind(ws)
            .fetch_one(self.db.store.pool())
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    }

    /// Creates the Acme workspace through the setup page's server function; returns (workspace, owner session).
    /// A second real workspace ("Other", 8 accounts), to prove ids and events do not cross.
    pub async fn other_workspace(&self) -> i64 {
        let mut other = generate(&DemoSpec {
            accounts: 8,
            ..DemoSpec::preview(super::common::today())
        });
        other.workspace.is_demo = false;
        other.workspace.slug = "other".into();
        other.workspace.name = "Other".into();
        self.db.store.load_dataset(&other, &|_| {}).await.unwrap()
    }

    /// Email settings for a workspace (no SMTP server is reached: nothing sends in these tests).
    pub async fn email_settings(&self, ws: i64) {
        let form = app::close_loop::EmailSettingsForm {
            host: "127.0.0.1".into(),
            port: "2525".into(),
            security: "none".into(),
            from_address: "success@acme.test".into(),
            from_name: "Acme".into(),
            subject_template: app::close_loop::DEFAULT_SUBJECT.into(),
            body_template: app::close_loop::DEFAULT_BODY.into(),
            per_minute: "60".into(),
            ..Default::default()
        };
        let valid = form.validate().unwrap();
        self.db
            .store
            .save_email_settings(ws, &valid, Some(None), chrono::Utc::now())
            .await
            .unwrap();
    }

    /// The token of the newest account email's link that starts with `prefix`, read from the
    /// outbox (the email waits there: no sender runs in these tests).
    pub async fn emailed_link(&self, ws: i64, prefix: &str) -> String {
        let body: String = sqlx::query(
            "SELECT text_body FROM outbox WHERE workspace_id = $1 AND purpose = 'account' ORDER BY id DESC LIMIT 1",
        )
        .bind(ws)
        .fetch_one(self.db.store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
        let at = body
            .find(prefix)
            .unwrap_or_else(|| panic!("no {prefix} link in {body}"));
        body[at + prefix.len()..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect()
    }

    pub async fn setup(&self) -> (i64, String) {
        let r = self
            .call(
                "setup_workspace",
                None,
                &form(&[
                    ("workspace_name", "Acme"),
                    ("name", "Olivia Owner"),
                    ("email", "owner@acme.test"),
                    ("password", PASSWORD),
                    ("sample_data", "on"),
                ]),
            )
            .await;
        assert!(
            !r.status.is_client_error() && !r.status.is_server_error(),
            "setup: {} {}",
            r.status,
            r.body
        );
        let session = r.session().expect("setup signs the owner in");
        let ws = sqlx::query("SELECT id FROM workspaces WHERE name = 'Acme'")
            .fetch_one(self.db.store.pool())
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap();
        (ws, session)
    }
}

/// The data of the next event on a stream within `wait` (`None` when it ends or nothing came).
pub async fn next_event(
    stream: &mut (impl futures::Stream<Item = Result<axum::body::Bytes, axum::Error>> + Unpin),
    wait: std::time::Duration,
) -> Option<serde_json::Value> {
    use futures::StreamExt;
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let chunk = tokio::time::timeout_at(deadline, stream.next()).await.ok()??.ok()?;
        let text = String::from_utf8_lossy(&chunk).into_owned();
        if let Some(data) = text
            .lines()
            .find_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")))
        {
            return serde_json::from_str(data.trim()).ok();
        }
    }
}
