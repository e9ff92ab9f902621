//! Close the Loop on both backends: matches proposed on the demo, decisions that stick, themes,
//! and the outbox against a real SMTP server process (Debian's python3-aiosmtpd): exactly one
//! message whatever step the sender is killed at.

mod common;

use app::close_loop::{EmailSettingsForm, MatchStatus, OutboxState};
use app::model::ListQuery;
use common::{today, TestDb};
use server::close_loop::{self, queue_shipped_email};
use server::demo::{generate, DemoSpec};
use server::store::close_loop::CardFilter;
use server::store::Store;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const KEY: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

async fn demo(store: &Store) -> i64 {
    let ws = store
        .load_dataset(&generate(&DemoSpec::preview(today())), &|_| {})
        .await
        .unwrap();
    close_loop::refresh(store, ws).await.unwrap();
    ws
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `end2end/smtp-server.py` in a process of its own, saving what it accepts to a Maildir.
struct SmtpServer {
    process: Child,
    port: u16,
    maildir: PathBuf,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

impl SmtpServer {
    fn start(extra: &[&str]) -> SmtpServer {
        let port = free_port();
        let maildir = std::env::temp_dir().join(format!("success_mail_{}_{port}", std::process::id()));
        let python = std::env::var("SMTP_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
        let mut process = Command::new(python)
            .arg(repo_root().join("end2end/smtp-server.py"))
            .args(["--port", &port.to_string(), "--maildir"])
            .arg(&maildir)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start end2end/smtp-server.py (needs Debian's python3-aiosmtpd)");
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(process.stdout.take().unwrap()), &mut line).unwrap();
        assert!(line.starts_with("ready"), "the SMTP server did not start: {line:?}");
        SmtpServer { process, port, maildir }
    }

    fn messages(&self) -> Vec<String> {
        let Ok(dir) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        dir.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect()
    }
}

fn settings_form(port: u16) -> EmailSettingsForm {
    EmailSettingsForm {
        host: "127.0.0.1".into(),
        port: port.to_string(),
        security: "none".into(),
        from_address: "success@piedpiper.test".into(),
        from_name: "Monica Hall".into(),
        signature: "Monica Hall\nCustomer Success, Pied Piper".into(),
        subject_template: app::close_loop::DEFAULT_SUBJECT.into(),
        body_template: app::close_loop::DEFAULT_BODY.into(),
        per_minute: "60".into(),
        ..Default::default()
    }
}

async fn save_settings(store: &Store, ws: i64, form: EmailSettingsForm) {
    let valid = form.validate().unwrap();
    let password = valid.password.as_ref().map(|p| {
        let key: [u8; 32] = hex::decode(KEY).unwrap().try_into().unwrap();
        server::secrets::SecretBox::from_key(key).seal(p, &close_loop::outbox::password_context(ws))
    });
    store
        .save_email_settings(ws, &valid, Some(password), chrono::Utc::now())
        .await
        .unwrap();
}

/// Requests with a proposal waiting, those whose words match `search` (a LIKE pattern) if given.
async fn with_proposals(store: &Store, ws: i64, search: Option<&str>) -> Vec<server::store::close_loop::RawCard> {
    let filter = CardFilter {
        state: Some("proposed".into()),
        search: search.map(str::to_string),
        page: 1,
        per_page: 200,
        ..Default::default()
    };
    store.request_cards(ws, &filter).await.unwrap().0
}

/// The first SSO request with a proposed match, confirmed; returns (request, item, contact email).
async fn confirm_sso_match(store: &Store, ws: i64) -> (i64, i64, String) {
    let cards = with_proposals(store, ws, Some("%sso%")).await;
    let card = cards
        .into_iter()
        .find(|c| c.requester.as_ref().is_some_and(|r| !r.opted_out))
        .expect("an SSO request with a proposed match and a contact");
    let item = card.matches[0].item_id;
    store
        .decide_match(
            ws,
            card.id,
            item,
            MatchStatus::Confirmed,
            "Monica Hall",
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    (card.id, item, card.requester.unwrap().email)
}

/// `server outbox send` as its own process; returns whether it exited cleanly.
fn outbox_send(db_url: &str, dir: &Path, crash_at: Option<&str>) -> bool {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
    cmd.args(["outbox", "send"])
        .current_dir(repo_root())
        .env("DATABASE_URL", db_url)
        .env("SUCCESS_SECRET_KEY", KEY)
        .env("SUCCESS_DATA_DIR", dir)
        .env("SUCCESS_ALLOW_PRIVATE_NETWORK", "true")
        .env("SUCCESS_OUTBOX_LEASE_SECONDS", "1")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(point) = crash_at {
        cmd.env("SUCCESS_CRASH_AT", point);
    }
    cmd.status().expect("run server outbox send").success()
}

async fn state_of(store: &Store, ws: i64) -> Vec<OutboxState> {
    store
        .outbox_states(ws)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, s)| s)
        .collect()
}

#[tokio::test]
async fn the_demo_proposes_matches_that_answer_the_request_and_decisions_stick() {
    for db in TestDb::both().await {
        let backend = db.name;
        let store = &db.store;
        let ws_id = demo(store).await;
        let ws = store.workspace_info(ws_id).await.unwrap();
        let view = close_loop::view(store, &ws, &ListQuery::default()).await.unwrap();
        assert!(view.summary.requests > 20, "{backend}: {:?}", view.summary);
        assert!(
            view.summary.proposed > 5,
            "{backend}: proposals on the demo: {:?}",
            view.summary
        );
        // Every proposal shares words with the request, and they are marked on both sides.
        let mut seen = 0;
        for card in &view.requests.rows {
            for m in &card.matches {
                seen += 1;
                assert!(m.item.iter().any(|s| s.hit), "{backend}: {:?}", m.item);
                assert!(m.quote.iter().any(|s| s.hit), "{backend}: {:?}", m.quote);
                assert!(!m.words.is_empty() && m.score > 0.0);
                assert!(
                    m.shipped_on >= card.requested_on,
                    "{backend}: shipped before it was asked"
                );
            }
        }
        assert!(seen > 0, "{backend}: the first page shows matches");
        // Each account on the page says how many of all its requests shipped.
        for card in &view.requests.rows {
            let (_, shipped, total) = view
                .account_counts
                .iter()
                .find(|(a, _, _)| *a == card.account_id)
                .copied()
                .expect("counts for every account on the page");
            assert!(shipped <= total && total >= 1, "{backend}");
        }
        // The Okta request is answered by the SSO release line, not by the other line of its release.
        let cards = with_proposals(store, ws_id, Some("%okta%")).await;
        assert!(!cards.is_empty(), "{backend}: an Okta request with a proposal");
        for c in &cards {
            assert!(
                c.matches[0].item.contains("single sign-on"),
                "{backend}: {}",
                c.matches[0].item
            );
            assert!(!c.matches.iter().any(|m| m.item.contains("SCIM")), "{backend}");
        }
        // Reject one, confirm another: after a refresh the rejected pair is gone for good and the
        // confirmed one stays.
        let (reject, confirm) = (&cards[0], cards.get(1).unwrap_or(&cards[0]));
        let now = chrono::Utc::now();
        store
            .decide_match(
                ws_id,
                reject.id,
                reject.matches[0].item_id,
                MatchStatus::Rejected,
                "Monica",
                now,
            )
            .await
            .unwrap();
        if confirm.id != reject.id {
            store
                .decide_match(
                    ws_id,
                    confirm.id,
                    confirm.matches[0].item_id,
                    MatchStatus::Confirmed,
                    "Monica",
                    now,
                )
                .await
                .unwrap();
        }
        close_loop::refresh(store, ws_id).await.unwrap();
        let (after, _) = store
            .request_cards(
                ws_id,
                &CardFilter {
                    page: 1,
                    per_page: 500,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let rejected = after.iter().find(|c| c.id == reject.id).unwrap();
        assert!(
            !rejected.matches.iter().any(|m| m.item_id == reject.matches[0].item_id),
            "{backend}: a rejected pair is never proposed again"
        );
        if confirm.id != reject.id {
            let kept = after.iter().find(|c| c.id == confirm.id).unwrap();
            assert_eq!(kept.matches[0].status, MatchStatus::Confirmed, "{backend}");
        }
        // Themes group differently worded requests of several accounts, with their ARR.
        let themes = ListQuery {
            view: "themes".into(),
            ..Default::default()
        };
        let view = close_loop::view(store, &ws, &themes).await.unwrap();
        let sso_theme = view
            .themes
            .iter()
            .find(|t| t.label.contains("SSO") || t.label.contains("sign-on") || t.label.contains("SAML"))
            .expect("an SSO theme");
        assert!(sso_theme.accounts >= 2, "{backend}: {sso_theme:?}");
        assert!(sso_theme.arr.minor > 0, "{backend}");
        let sso_requests = view.projects.iter().find(|(p, _)| p == "Security").unwrap().1;
        assert!(sso_requests >= sso_theme.requests, "{backend}");
    }
}

#[tokio::test]
async fn a_feature_request_signal_becomes_a_request_and_is_matched() {
    for db in TestDb::both().await {
        let store = &db.store;
        let ws = demo(store).await;
        let (hooli, _) = store
            .resolve_accounts(ws, &[&app::signals::AccountRef::Name("Hooli".into())])
            .await
            .unwrap()
            .into_values()
            .next()
            .unwrap()
            .unwrap();
        let signal = app::signals::ValidSignal {
            external_id: "bb-fr-1".into(),
            account: app::signals::AccountRef::Id(hooli),
            source: app::model::SignalSource::Call,
            sentiment: 0.2,
            topic: "Feature request: Integrations".into(),
            quote: "Could compression reports go to our Slack channel?".into(),
            link: None,
            occurred_at: format!("{}T10:00:00Z", today() - chrono::Duration::days(400)),
        };
        store.upsert_signals(ws, &[(hooli, &signal)]).await.unwrap();
        close_loop::refresh(store, ws).await.unwrap();
        let filter = CardFilter {
            account_id: Some(hooli),
            search: Some("%slack channel%".into()),
            page: 1,
            per_page: 5,
            ..Default::default()
        };
        let (cards, _) = store.request_cards(ws, &filter).await.unwrap();
        assert_eq!(cards.len(), 1, "{}", db.name);
        assert_eq!(cards[0].project, "Integrations");
        assert!(cards[0].matches[0].item.contains("Slack"), "{}", db.name);
        // Sent again: the same request, not a second one.
        store.upsert_signals(ws, &[(hooli, &signal)]).await.unwrap();
        close_loop::refresh(store, ws).await.unwrap();
        assert_eq!(store.request_cards(ws, &filter).await.unwrap().0.len(), 1);
    }
}

#[tokio::test]
async fn an_email_is_sent_once_with_its_merge_fields_and_queueing_twice_finds_the_same_email() {
    for db in TestDb::both().await {
        let store = &db.store;
        let ws = demo(store).await;
        let smtp = SmtpServer::start(&["--user", "monica", "--password", "s3cret"]);
        let mut form = settings_form(smtp.port);
        form.username = "monica".into();
        form.password = "s3cret".into();
        save_settings(store, ws, form).await;
        let (request, item, to) = confirm_sso_match(store, ws).await;
        let now = chrono::Utc::now();
        let first = queue_shipped_email(store, ws, request, item, None, None, None, "Monica Hall", now)
            .await
            .unwrap();
        let again = queue_shipped_email(store, ws, request, item, None, None, None, "Monica Hall", now)
            .await
            .unwrap();
        assert_eq!(first.0, again.0, "{}: the same outbox row", db.name);
        assert!(first.1 && !again.1);
        let dir = std::env::temp_dir();
        assert!(outbox_send(&db.url, &dir, None));
        assert!(outbox_send(&db.url, &dir, None), "a second run has nothing to send");
        let messages = smtp.messages();
        assert_eq!(messages.len(), 1, "{}: exactly one message", db.name);
        let m = &messages[0];
        assert!(m.contains(&to), "{}: to {to}", db.name);
        assert!(m.contains("Okta") || m.contains("SSO") || m.contains("sign"), "{m}");
        assert!(m.contains("multipart/alternative") && m.contains("text/html"), "{m}");
        assert!(m.contains("Monica Hall"), "the signature");
        assert_eq!(state_of(store, ws).await, vec![OutboxState::Sent]);
    }
}

#[tokio::test]
async fn a_sender_killed_at_any_step_never_sends_a_second_email() {
    // (where it dies, what the row becomes after the restart, messages the server has)
    let cases = [
        ("outbox:claimed", OutboxState::Sent, 1),
        ("outbox:handed", OutboxState::Unknown, 0),
        ("outbox:accepted", OutboxState::Unknown, 1),
        ("outbox:finished", OutboxState::Sent, 1),
    ];
    for db in TestDb::both().await {
        let store = &db.store;
        let ws = demo(store).await;
        let smtp = SmtpServer::start(&[]);
        save_settings(store, ws, settings_form(smtp.port)).await;
        let dir = std::env::temp_dir();
        let mut expected_messages = 0;
        for (i, (point, state, arrived)) in cases.iter().enumerate() {
            let cards = with_proposals(store, ws, None).await;
            let card = cards
                .iter()
                .filter(|c| c.requester.as_ref().is_some_and(|r| !r.opted_out))
                .nth(i)
                .unwrap();
            let item = card.matches[0].item_id;
            store
                .decide_match(ws, card.id, item, MatchStatus::Confirmed, "Monica", chrono::Utc::now())
                .await
                .unwrap();
            let (id, _, _) =
                queue_shipped_email(store, ws, card.id, item, None, None, None, "Monica", chrono::Utc::now())
                    .await
                    .unwrap();
            assert!(
                !outbox_send(&db.url, &dir, Some(point)),
                "{point}: the sender was killed"
            );
            // The killed sender's claim outlives its lease: set its clock back rather than wait.
            sqlx::query("UPDATE outbox SET claimed_at = $1 WHERE state = 'sending'")
                .bind(
                    (chrono::Utc::now() - chrono::Duration::minutes(10))
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                )
                .execute(store.pool())
                .await
                .unwrap();
            assert!(outbox_send(&db.url, &dir, None), "{point}: restarted");
            assert!(outbox_send(&db.url, &dir, None), "{point}: and again");
            expected_messages += arrived;
            let states = store.outbox_states(ws).await.unwrap();
            let now_state = states.iter().find(|(row, _)| *row == id).unwrap().1;
            assert_eq!(now_state, *state, "{}: killed at {point}", db.name);
            assert_eq!(
                smtp.messages().len(),
                expected_messages,
                "{}: killed at {point}",
                db.name
            );
        }
        // A person checks the one in doubt: marking it sent sends nothing; "send again" sends once.
        let states = store.outbox_states(ws).await.unwrap();
        let unknown: Vec<i64> = states
            .iter()
            .filter(|(_, s)| *s == OutboxState::Unknown)
            .map(|(id, _)| *id)
            .collect();
        let now = chrono::Utc::now();
        store.resolve_email(ws, unknown[0], false, "Monica", now).await.unwrap();
        store.resolve_email(ws, unknown[1], true, "Monica", now).await.unwrap();
        assert!(outbox_send(&db.url, &dir, None));
        assert_eq!(smtp.messages().len(), expected_messages + 1, "{}", db.name);
        assert!(store
            .outbox_states(ws)
            .await
            .unwrap()
            .iter()
            .all(|(_, s)| *s == OutboxState::Sent));
    }
}

#[tokio::test]
async fn refusals_drops_and_opt_outs_are_reported_in_plain_words() {
    let db = TestDb::sqlite().await;
    let store = &db.store;
    let ws = demo(store).await;
    let dir = std::env::temp_dir();
    // A 5xx refusal: failed, nothing arrived, the server's words kept.
    let refusing = SmtpServer::start(&["--reply", "550 5.1.1 Mailbox unavailable"]);
    save_settings(store, ws, settings_form(refusing.port)).await;
    let (request, item, _) = confirm_sso_match(store, ws).await;
    let (id, _, account) =
        queue_shipped_email(store, ws, request, item, None, None, None, "Monica", chrono::Utc::now())
            .await
            .unwrap();
    assert!(outbox_send(&db.url, &dir, None));
    let row = store.outbox_email(ws, id).await.unwrap();
    assert_eq!(row.state, OutboxState::Failed);
    assert!(
        row.error.as_deref().unwrap().contains("Mailbox unavailable"),
        "{:?}",
        row.error
    );
    assert!(refusing.messages().is_empty());
    // A connection dropped after the message: it arrived, Success cannot know — unknown, not resent.
    let dropping = SmtpServer::start(&["--drop-after-data"]);
    save_settings(store, ws, settings_form(dropping.port)).await;
    store
        .resolve_email(ws, id, false, "Monica", chrono::Utc::now())
        .await
        .unwrap();
    assert!(outbox_send(&db.url, &dir, None));
    assert!(outbox_send(&db.url, &dir, None));
    assert_eq!(store.outbox_email(ws, id).await.unwrap().state, OutboxState::Unknown);
    assert_eq!(dropping.messages().len(), 1);
    // Wrong password: refused, in words a person understands.
    let strict = SmtpServer::start(&["--user", "monica", "--password", "right"]);
    let mut form = settings_form(strict.port);
    form.username = "monica".into();
    form.password = "wrong".into();
    save_settings(store, ws, form).await;
    store
        .resolve_email(ws, id, false, "Monica", chrono::Utc::now())
        .await
        .unwrap();
    assert!(outbox_send(&db.url, &dir, None));
    let row = store.outbox_email(ws, id).await.unwrap();
    assert_eq!(row.state, OutboxState::Failed);
    assert!(
        row.error.as_deref().unwrap().contains("user name or password"),
        "{:?}",
        row.error
    );
    // An opted-out contact is never emailed, even if queued before opting out.
    let ok = SmtpServer::start(&[]);
    save_settings(store, ws, settings_form(ok.port)).await;
    let contact = store.account_requesters(ws, account).await.unwrap();
    for c in &contact {
        store.set_contact_opt_out(ws, c.contact_id, true).await.unwrap();
    }
    store
        .resolve_email(ws, id, false, "Monica", chrono::Utc::now())
        .await
        .unwrap();
    assert!(outbox_send(&db.url, &dir, None));
    let row = store.outbox_email(ws, id).await.unwrap();
    assert_eq!(row.state, OutboxState::Failed);
    assert!(row.error.as_deref().unwrap().contains("opted out"), "{:?}", row.error);
    assert!(ok.messages().is_empty());
}

#[tokio::test]
async fn the_sending_rate_is_kept_per_workspace() {
    let db = TestDb::sqlite().await;
    let store = &db.store;
    let ws = demo(store).await;
    let smtp = SmtpServer::start(&[]);
    let mut form = settings_form(smtp.port);
    form.per_minute = "2".into();
    save_settings(store, ws, form).await;
    let cards = with_proposals(store, ws, None).await;
    let mut queued = 0;
    for card in cards
        .iter()
        .filter(|c| c.requester.as_ref().is_some_and(|r| !r.opted_out))
        .take(4)
    {
        let item = card.matches[0].item_id;
        store
            .decide_match(ws, card.id, item, MatchStatus::Confirmed, "Monica", chrono::Utc::now())
            .await
            .unwrap();
        queue_shipped_email(store, ws, card.id, item, None, None, None, "Monica", chrono::Utc::now())
            .await
            .unwrap();
        queued += 1;
    }
    assert_eq!(queued, 4);
    let started = Instant::now();
    assert!(outbox_send(&db.url, &std::env::temp_dir(), None));
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(smtp.messages().len(), 2, "two a minute: the other two wait");
    let states = state_of(store, ws).await;
    assert_eq!(states.iter().filter(|s| **s == OutboxState::Queued).count(), 2);
}

#[tokio::test]
async fn email_settings_refuse_bad_input_and_keep_the_password_sealed() {
    let bad = EmailSettingsForm {
        host: "smtp example".into(),
        port: "99999".into(),
        security: "ssl3".into(),
        from_address: "Monica <monica@x.test>".into(),
        from_name: "Monica\r\nBcc: everyone@x.test".into(),
        subject_template: "Hi {{frist_name}}".into(),
        body_template: "{{quote".into(),
        per_minute: "0".into(),
        ..Default::default()
    };
    let errors = bad.validate().unwrap_err();
    for field in [
        "host",
        "port",
        "security",
        "from_address",
        "from_name",
        "subject_template",
        "body_template",
        "per_minute",
    ] {
        assert!(errors.get(field).is_some(), "{field} is refused");
    }
    let db = TestDb::sqlite().await;
    let store = &db.store;
    let ws = demo(store).await;
    let mut form = settings_form(2525);
    form.username = "monica".into();
    form.password = "s3cret".into();
    save_settings(store, ws, form.clone()).await;
    let stored = store.email_settings(ws).await.unwrap().unwrap();
    let sealed = stored.password_sealed.unwrap();
    assert!(!String::from_utf8_lossy(&sealed).contains("s3cret"), "sealed at rest");
    // Saving again without a password keeps the stored one.
    form.password.clear();
    store
        .save_email_settings(ws, &form.validate().unwrap(), None, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        store
            .email_settings(ws)
            .await
            .unwrap()
            .unwrap()
            .password_sealed
            .unwrap(),
        sealed
    );
    // Pointing the settings at another server (host, port or user) without a new password
    // clears the stored one: it never goes to a server it was not entered for.
    for (host, port, user) in [
        ("smtp.evil.test", "2525", "monica"),
        ("127.0.0.1", "2526", "monica"),
        ("127.0.0.1", "2525", "eve"),
    ] {
        save_settings(store, ws, form.clone()).await;
        let mut moved = form.clone();
        moved.password = "s3cret".into();
        save_settings(store, ws, moved).await;
        let mut elsewhere = form.clone();
        (elsewhere.host, elsewhere.port, elsewhere.username) = (host.into(), port.into(), user.into());
        store
            .save_email_settings(ws, &elsewhere.validate().unwrap(), None, chrono::Utc::now())
            .await
            .unwrap();
        let kept = store.email_settings(ws).await.unwrap().unwrap().password_sealed;
        assert!(
            kept.is_none(),
            "the password followed the settings to {host}:{port} as {user}"
        );
    }
}

/// A local OpenAI-compatible `/v1/embeddings`: each text's vector counts its words per concept, so
/// "sign in through Okta" and "SAML single sign-on with Okta" mean the same thing. Counts the
/// texts it was asked to embed.
async fn fake_embeddings() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use axum::{http::HeaderMap, routing::post, Json, Router};
    const CONCEPTS: &[&[&str]] = &[
        &["sso", "saml", "sign", "single", "okta", "login"],
        &["slack", "channel", "notification", "notifications", "alert"],
        &["csv", "export", "spreadsheet"],
        &["audit", "log", "trail"],
        &["eu", "europe", "gdpr", "residency"],
        &["mobile", "ios", "android", "app"],
    ];
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = asked.clone();
    let app = Router::new().route(
        "/v1/embeddings",
        post(move |headers: HeaderMap, Json(body): Json<serde_json::Value>| {
            let counter = counter.clone();
            async move {
                if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer emb-key") {
                    return (
                        axum::http::StatusCode::UNAUTHORIZED,
                        Json(serde_json::json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})),
                    );
                }
                let inputs: Vec<String> = body["input"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_lowercase())
                    .collect();
                counter.fetch_add(inputs.len(), std::sync::atomic::Ordering::SeqCst);
                let data: Vec<serde_json::Value> = inputs
                    .iter()
                    .enumerate()
                    .map(|(i, text)| {
                        let words: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).collect();
                        let mut v: Vec<f32> = CONCEPTS
                            .iter()
                            .map(|c| words.iter().filter(|w| c.contains(w)).count() as f32)
                            .collect();
                        v.push(0.01); // never the zero vector
                        serde_json::json!({"object": "embedding", "index": i, "embedding": v})
                    })
                    .collect();
                (
                    axum::http::StatusCode::OK,
                    Json(serde_json::json!({"object": "list", "data": data, "model": body["model"],
                        "usage": {"prompt_tokens": 1, "total_tokens": 1}})),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, asked)
}

#[tokio::test]
async fn embeddings_blend_in_meaning_where_words_fall_short_and_are_fetched_once() {
    for db in TestDb::both().await {
        let store = &db.store;
        let ws = demo(store).await;
        let (url, asked) = fake_embeddings().await;
        let account: i64 = sqlx::query("SELECT id FROM accounts WHERE workspace_id = $1 ORDER BY id LIMIT 1")
            .bind(ws)
            .fetch_one(store.pool())
            .await
            .map(|r| sqlx::Row::get(&r, 0))
            .unwrap();
        let request = store
            .add_feature_request(
                ws,
                &server::store::close_loop::NewFeatureRequest {
                    account_id: account,
                    contact_id: None,
                    project: "Security".into(),
                    quote: "Could we sign in through Okta?".into(),
                    requested_on: today() - chrono::Duration::days(400),
                    source_link: None,
                    created_by: "test".into(),
                },
            )
            .await
            .unwrap();
        let proposals_for = |store: &Store| {
            let store = store.clone();
            async move {
                let (cards, _) = store
                    .request_cards(
                        ws,
                        &CardFilter {
                            page: 1,
                            per_page: 1,
                            ..Default::default()
                        }
                        .for_request(request),
                    )
                    .await
                    .unwrap();
                cards.into_iter().next().unwrap().matches
            }
        };
        // Words alone: "okta" is one word of three — not enough.
        close_loop::refresh(store, ws).await.unwrap();
        assert!(proposals_for(store).await.is_empty(), "{}", db.name);
        // A wrong key: the endpoint refuses, matching carries on with words alone.
        let http = reqwest::Client::new();
        let wrong = close_loop::embeddings::EmbeddingsConfig {
            url: url.clone(),
            model: "text-embedding-3-small".into(),
            key: Some("nope".into()),
        };
        close_loop::refresh_with(store, ws, Some((&http, &wrong)))
            .await
            .unwrap();
        assert!(proposals_for(store).await.is_empty(), "{}", db.name);
        // With meaning blended in, the SSO line is proposed, its similarity shown.
        let config = close_loop::embeddings::EmbeddingsConfig {
            key: Some("emb-key".into()),
            ..wrong
        };
        close_loop::refresh_with(store, ws, Some((&http, &config)))
            .await
            .unwrap();
        let matches = proposals_for(store).await;
        assert!(!matches.is_empty(), "{}", db.name);
        assert!(
            matches[0].item.contains("single sign-on"),
            "{}: {}",
            db.name,
            matches[0].item
        );
        assert!(matches[0].similarity.unwrap() > 0.9, "{}", db.name);
        assert!(matches[0].score > close_loop::SEMANTIC_WEIGHT * 0.9);
        // Every text was embedded once: a second refresh asks for nothing new.
        let first = asked.load(std::sync::atomic::Ordering::SeqCst);
        assert!(first > 20, "{}", db.name);
        close_loop::refresh_with(store, ws, Some((&http, &config)))
            .await
            .unwrap();
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), first, "{}", db.name);
    }
}

/// A private CA and a certificate for `localhost` signed by it (openssl CLI); returns the folder
/// holding ca.pem, server.pem and server.key.
fn certificates() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("success_tls_{}_{}", std::process::id(), free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl");
        assert!(status.success(), "openssl {args:?}");
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Success Test CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    dir
}

fn outbox_send_with(db_url: &str, dir: &Path, env: &[(&str, &Path)]) -> bool {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
    cmd.args(["outbox", "send"])
        .current_dir(repo_root())
        .env("DATABASE_URL", db_url)
        .env("SUCCESS_SECRET_KEY", KEY)
        .env("SUCCESS_DATA_DIR", dir)
        .env("SUCCESS_ALLOW_PRIVATE_NETWORK", "true")
        .env_remove("SUCCESS_SMTP_CA_FILE")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.status().unwrap().success()
}

#[tokio::test]
async fn starttls_with_auth_delivers_only_to_a_trusted_server_and_the_test_send_reports_plainly() {
    let db = TestDb::sqlite().await;
    let store = &db.store;
    let ws = demo(store).await;
    let certs = certificates();
    let smtp = SmtpServer::start(&[
        "--host",
        "127.0.0.1",
        "--tls-cert",
        certs.join("server.pem").to_str().unwrap(),
        "--tls-key",
        certs.join("server.key").to_str().unwrap(),
        "--user",
        "monica",
        "--password",
        "s3cret",
    ]);
    let mut form = settings_form(smtp.port);
    form.host = "localhost".into();
    form.security = "starttls".into();
    form.username = "monica".into();
    form.password = "s3cret".into();
    save_settings(store, ws, form).await;
    let (request, item, _) = confirm_sso_match(store, ws).await;
    let (id, _, _) = queue_shipped_email(store, ws, request, item, None, None, None, "Monica", chrono::Utc::now())
        .await
        .unwrap();
    let dir = std::env::temp_dir();
    // A certificate nobody vouches for: nothing is sent, the reason is kept, it waits to retry.
    assert!(outbox_send_with(&db.url, &dir, &[]));
    let row = store.outbox_email(ws, id).await.unwrap();
    assert_eq!(row.state, OutboxState::Queued);
    assert!(
        row.error.as_deref().unwrap().contains("secure connection"),
        "{:?}",
        row.error
    );
    assert!(smtp.messages().is_empty());
    // With the company CA trusted: encrypted, signed in, delivered once.
    sqlx::query("UPDATE outbox SET not_before = '2000-01-01T00:00:00.000Z' WHERE id = $1")
        .bind(id)
        .execute(store.pool())
        .await
        .unwrap();
    assert!(outbox_send_with(
        &db.url,
        &dir,
        &[("SUCCESS_SMTP_CA_FILE", &certs.join("ca.pem"))]
    ));
    assert_eq!(store.outbox_email(ws, id).await.unwrap().state, OutboxState::Sent);
    assert_eq!(smtp.messages().len(), 1);
    // "Send test email" goes the same way and says what happened.
    let plain = SmtpServer::start(&[]);
    let settings = close_loop::email::SmtpSettings {
        host: "127.0.0.1".into(),
        port: plain.port,
        security: app::close_loop::SmtpSecurity::None,
        username: None,
        password: None,
        from_address: "success@piedpiper.test".into(),
        from_name: "Monica Hall".into(),
        reply_to: None,
        allow_private_network: true,
    };
    let answer = close_loop::email::test_send(&settings, "dana@hooli.test")
        .await
        .unwrap();
    assert!(answer.starts_with("Sent to dana@hooli.test"), "{answer}");
    assert_eq!(plain.messages().len(), 1);
    // Asking for STARTTLS from a server that does not offer it refuses before anything is sent.
    let insecure = close_loop::email::SmtpSettings {
        security: app::close_loop::SmtpSecurity::StartTls,
        ..settings
    };
    let refused = close_loop::email::test_send(&insecure, "dana@hooli.test")
        .await
        .unwrap_err();
    assert!(refused.contains("does not offer STARTTLS"), "{refused}");
    assert_eq!(plain.messages().len(), 1);
    let _ = std::fs::remove_dir_all(certs);
}
