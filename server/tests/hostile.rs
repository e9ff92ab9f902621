//! The server binary as a real process, sent the requests an attacker or a careless client
//! would send: control characters in redirects, a flood of signature candidates, oversized
//! bodies and emails, unproven sign-ups, look-alike addresses, connectors pointed at loopback
//! and metadata addresses, and open streams whose access ends. After each the process is alive,
//! its log holds no panic, and the answer is a clear 4xx with nothing written.
//! Only loopback is ever connected to.

mod common;
#[path = "common/http_app.rs"]
mod http_app;

use http_app::form;
use reqwest::redirect::Policy;
use reqwest::StatusCode;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "hostile-test-setup-token";
const PASSWORD: &str = "correct horse battery";
const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

struct Server {
    child: Child,
    base: String,
    log: PathBuf,
    db_url: String,
    dir: PathBuf,
    http: reqwest::Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    async fn start(name: &str, allow_private: bool) -> Server {
        let dir = std::env::temp_dir().join(format!("success-hostile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db_url = format!("sqlite://{}/success.db", dir.display());
        let port = free_port();
        let log = dir.join("server.log");
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .to_path_buf();
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .current_dir(&root)
            .env("DATABASE_URL", &db_url)
            .env("SUCCESS_SECRET_KEY", KEY)
            .env("SUCCESS_DATA_DIR", &dir)
            .env("SUCCESS_SETUP_TOKEN", TOKEN)
            .env(
                "SUCCESS_ALLOW_PRIVATE_NETWORK",
                if allow_private { "true" } else { "false" },
            )
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_OUTPUT_NAME", "success")
            .env("LEPTOS_SITE_ROOT", &dir)
            .env("RUST_LOG", "info,sqlx=warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start the server binary");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            db_url,
            dir,
            http: reqwest::Client::builder().redirect(Policy::none()).build().unwrap(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while server.http.get(server.url("/healthz")).send().await.is_err() {
            assert!(
                Instant::now() < deadline,
                "the server did not come up: {}",
                server.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn log_text(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut text);
        }
        text
    }

    /// Alive, answering, and no panic in its log.
    async fn survived(&mut self, after: &str) {
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "the server died after {after}"
        );
        let ok = self.http.get(self.url("/healthz")).send().await;
        assert!(
            ok.is_ok_and(|r| r.status() == StatusCode::OK),
            "no /healthz after {after}"
        );
        assert!(
            !self.log_text().contains("panicked"),
            "a panic after {after}: {}",
            self.log_text()
        );
    }

    async fn call(&self, name: &str, session: Option<&str>, body: String) -> reqwest::Response {
        let mut req = self
            .http
            .post(self.url(&format!("/api/fn/{name}")))
            .header("origin", &self.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(s) = session {
            req = req.header("cookie", format!("success_session={s}"));
        }
        req.send().await.unwrap()
    }

    /// Declares a body of `declared` bytes and reads the answer before sending any of it: the
    /// server refuses by Content-Length and closes, so a client still writing the body would
    /// race that close (a broken pipe instead of the 413).
    async fn status_for_declared_body(&self, path: &str, headers: &[(&str, &str)], declared: usize) -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = self.base.trim_start_matches("http://");
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut head = format!("POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {declared}\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        conn.write_all(head.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let mut buf = [0u8; 1024];
        while !answer.windows(2).any(|w| w == b"\r\n") {
            let n = tokio::time::timeout(Duration::from_secs(10), conn.read(&mut buf))
                .await
                .expect("an answer before the body is sent")
                .unwrap();
            assert!(n > 0, "closed without an answer");
            answer.extend_from_slice(&buf[..n]);
        }
        let line = String::from_utf8_lossy(&answer);
        line.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
    }

    async fn count(&self, sql: &str) -> i64 {
        use sqlx::Row;
        let pool = sqlx::SqlitePool::connect(&self.db_url).await.unwrap();
        let n = sqlx::query(sql).fetch_one(&pool).await.unwrap().get::<i64, _>(0);
        pool.close().await;
        n
    }

    /// Sets the workspace up through the setup token; returns the owner's session.
    async fn setup(&self) -> String {
        let r = self
            .call(
                "setup_workspace",
                None,
                form(&[
                    ("setup_token", TOKEN),
                    ("workspace_name", "Acme"),
                    ("name", "Olivia Owner"),
                    ("email", "owner@acme.test"),
                    ("password", PASSWORD),
                ]),
            )
            .await;
        session_of(&r).expect("setup signs the owner in")
    }
}

fn session_of(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("success_session="))
        .map(|c| c.split(';').next().unwrap_or("").to_string())
        .filter(|v| !v.is_empty())
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// Reads an event stream until `signed_out` arrives and the stream ends; false after `wait`.
async fn closes_with_signed_out(res: reqwest::Response, wait: Duration) -> bool {
    use futures::StreamExt;
    let mut stream = res.bytes_stream();
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(Ok(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(None) | Ok(Some(Err(_))) => return text.contains("signed_out"),
            Err(_) => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_get_clear_refusals_and_the_process_lives() {
    let mut s = Server::start("strict", false).await;
    let no_token = s
        .call(
            "setup_workspace",
            None,
            form(&[
                ("workspace_name", "Evil"),
                ("name", "Mallory"),
                ("email", "mallory@evil.test"),
                ("password", PASSWORD),
            ]),
        )
        .await;
    assert_eq!(no_token.status(), StatusCode::BAD_REQUEST, "setup without the token");
    assert_eq!(s.count("SELECT COUNT(*) FROM users").await, 0);
    let owner = s.setup().await;

    // Control characters, tabs and backslashes in `next` never reach a Location header.
    for next in [
        "/\n",
        "/\r\nSet-Cookie: a=b",
        "/\t/evil.example",
        "/\\evil.example",
        "//evil.example",
    ] {
        let r = s
            .call(
                "sign_in",
                None,
                form(&[("email", "owner@acme.test"), ("password", PASSWORD), ("next", next)]),
            )
            .await;
        assert!(!r.status().is_server_error(), "sign_in next={next:?}: {}", r.status());
        assert_eq!(location(&r), "/health", "sign_in next={next:?}");
        s.survived(&format!("sign_in next={next:?}")).await;
    }
    for path in [
        "/demo/enter?next=/%0A",
        "/demo/enter?next=%2F%0D%0ASet-Cookie:%20a=b",
        "/demo/exit?next=%2F%09%2Fevil.example",
        "/demo/exit?next=/%5Cevil.example",
    ] {
        let r = s.http.get(s.url(path)).send().await.unwrap();
        assert!(r.status().is_redirection(), "{path}: {}", r.status());
        assert_eq!(location(&r), "/health", "{path}");
        s.survived(path).await;
    }

    // A 1.5 MB "email" is refused before anything is read or written; a 60 KB one is refused
    // as no address, with no sign-in attempt recorded.
    let attempts = "SELECT COUNT(*) FROM sign_in_attempts";
    let before = s.count(attempts).await;
    let huge = s
        .status_for_declared_body(
            "/api/fn/sign_in",
            &[
                ("origin", &s.base),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            1_500_000,
        )
        .await;
    assert_eq!(huge, 413);
    let long = format!("{}@acme.test", "a".repeat(60_000));
    let r = s
        .call("sign_in", None, form(&[("email", &long), ("password", "x")]))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(s.count(attempts).await, before, "a refused address was written");
    s.survived("oversized emails").await;

    // Sign-up at an allowed domain proves the address first; a look-alike is no address.
    let r = s
        .call("set_allowed_domains", Some(&owner), form(&[("domains", "acme.test")]))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let store = server::store::Store::connect(&s.db_url).await.unwrap();
    let ws = store.real_workspace_named("Acme").await.unwrap().unwrap();
    let smtp = app::close_loop::EmailSettingsForm {
        host: "127.0.0.1".into(),
        port: "9".into(),
        security: "none".into(),
        from_address: "success@acme.test".into(),
        from_name: "Acme".into(),
        subject_template: app::close_loop::DEFAULT_SUBJECT.into(),
        body_template: app::close_loop::DEFAULT_BODY.into(),
        per_minute: "60".into(),
        ..Default::default()
    };
    store
        .save_email_settings(ws, &smtp.validate().unwrap(), Some(None), chrono::Utc::now())
        .await
        .unwrap();
    store.close().await;
    let users = "SELECT COUNT(*) FROM users";
    let people = s.count(users).await;
    let r = s
        .call(
            "sign_up",
            None,
            form(&[("name", "Eve"), ("email", "eve@acme.test"), ("password", PASSWORD)]),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(session_of(&r).is_none(), "signed in without proving the address");
    assert!(r.text().await.unwrap().contains("Check your inbox"));
    let r = s
        .call(
            "sign_up",
            None,
            form(&[
                ("name", "Not the CEO"),
                ("email", "\u{441}eo@acme.test"),
                ("password", PASSWORD),
            ]),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "a Cyrillic look-alike was accepted"
    );
    assert_eq!(
        s.count(users).await,
        people,
        "a person exists before proving the address"
    );
    s.survived("sign-ups").await;

    // The server never connects to loopback, private or metadata addresses for a member.
    for base in [
        "http://127.0.0.1:9",
        "http://[::1]:9",
        "http://localhost:9",
        "http://169.254.169.254/latest",
        "http://10.0.0.1",
        "http://100.64.0.1",
    ] {
        let r = s
            .call(
                "connect_integration",
                Some(&owner),
                form(&[("kind", "stripe"), ("credential", "sk_test_x"), ("base_url", base)]),
            )
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{base}");
        assert!(r.text().await.unwrap().contains("private"), "{base}");
    }
    assert_eq!(s.count("SELECT COUNT(*) FROM integrations").await, 0);
    let r = s
        .call("test_email", Some(&owner), form(&[("to", "someone@acme.test")]))
        .await;
    assert!(r.status().is_client_error(), "SMTP to loopback: {}", r.status());
    assert!(r.text().await.unwrap().contains("private"));
    s.survived("private addresses").await;

    // A removed member's open page, and a revoked display link's screen, close within a second.
    let invite = s
        .call(
            "create_invitation",
            Some(&owner),
            form(&[("email", "rita@partner.test"), ("role", "csm")]),
        )
        .await;
    let invite: serde_json::Value = invite.json().await.unwrap();
    let token = invite["url_path"]
        .as_str()
        .unwrap()
        .trim_start_matches("/sign-up?invite=");
    let joined = s
        .call(
            "sign_up",
            None,
            form(&[
                ("name", "Rita"),
                ("email", "rita@partner.test"),
                ("password", PASSWORD),
                ("invite", token),
            ]),
        )
        .await;
    let rita = session_of(&joined).expect("an invitation signs in");
    let stream = s
        .http
        .get(s.url("/api/events"))
        .header("cookie", format!("success_session={rita}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let rita_id = s
        .count("SELECT id FROM users WHERE email = 'rita@partner.test'")
        .await
        .to_string();
    let closing = tokio::spawn(closes_with_signed_out(stream, Duration::from_secs(1)));
    let r = s
        .call("remove_member", Some(&owner), form(&[("user_id", &rita_id)]))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(closing.await.unwrap(), "a removed member's stream stayed open");

    let link = s
        .call("create_display_link", Some(&owner), form(&[("name", "Lobby")]))
        .await;
    let link: serde_json::Value = link.json().await.unwrap();
    let display = link["url_path"]
        .as_str()
        .unwrap()
        .trim_start_matches("/tv/")
        .to_string();
    let stream = s
        .http
        .get(s.url(&format!("/api/events?display={display}")))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let closing = tokio::spawn(closes_with_signed_out(stream, Duration::from_secs(1)));
    let r = s
        .call(
            "revoke_display_link",
            Some(&owner),
            form(&[("link_id", &link["id"].to_string())]),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(closing.await.unwrap(), "a revoked display link kept streaming");

    // Every page says what the browser may run and show.
    let page = s.http.get(s.url("/sign-in")).send().await.unwrap();
    let headers = page.headers();
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    s.survived("streams and headers").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_flood_neither_stalls_nor_kills_the_server() {
    let fake = server::fakes::FakeState::new(
        server::fakes::stripe::StripeData::generate(3, 1, 0, 1),
        Default::default(),
    );
    let fake_addr = server::fakes::serve(fake, "127.0.0.1:0").await.unwrap();
    let mut s = Server::start("flood", true).await;
    let owner = s.setup().await;
    let r = s
        .call(
            "connect_integration",
            Some(&owner),
            form(&[
                ("kind", "stripe"),
                ("credential", server::fakes::STRIPE_KEY),
                ("base_url", &format!("http://{fake_addr}")),
                ("webhook_secret", "whsec_test"),
            ]),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let ws = s.count("SELECT id FROM workspaces WHERE name = 'Acme'").await;
    let hook = s.url(&format!("/webhooks/stripe/{ws}"));
    let now = chrono::Utc::now().timestamp();

    // 60,000 candidates over a 900 KB body was 54 GB of HMAC on the only runtime thread.
    let flood_header = format!("t={now},{}", vec!["v1=00"; 60_000].join(","));
    let body = vec![b'x'; 900 * 1024];
    let r = s
        .http
        .post(&hook)
        .header("stripe-signature", &flood_header)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let signature = format!("t={now},v1=00");
    let oversized = s
        .status_for_declared_body(
            &format!("/webhooks/stripe/{ws}"),
            &[("stripe-signature", &signature)],
            2 << 20,
        )
        .await;
    assert_eq!(oversized, 413);

    // Two senders flood (the candidate flood, and one well-formed signature over 900 KB that
    // must be hashed) while /healthz is asked 100 times.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut senders = Vec::new();
    for header in [flood_header.clone(), format!("t={now},v1={}", "ab".repeat(32))] {
        let (http, hook, body, stop) = (s.http.clone(), hook.clone(), body.clone(), stop.clone());
        senders.push(tokio::spawn(async move {
            let mut sent = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let r = http
                    .post(&hook)
                    .header("stripe-signature", &header)
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::BAD_REQUEST);
                sent += 1;
            }
            sent
        }));
    }
    let mut waits = Vec::new();
    for _ in 0..100 {
        let started = Instant::now();
        let r = s.http.get(s.url("/healthz")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        waits.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut flood = 0;
    for sender in senders {
        flood += sender.await.unwrap();
    }
    waits.sort();
    let p99 = waits[98];
    eprintln!(
        "/healthz during a webhook flood ({flood} flood requests): median {:?}, p99 {:?}, max {:?}",
        waits[50], p99, waits[99]
    );
    assert!(flood >= 4, "the flood did not run ({flood} requests)");
    assert!(p99 < Duration::from_millis(50), "/healthz p99 {p99:?} during the flood");
    s.survived("the webhook flood").await;
}
