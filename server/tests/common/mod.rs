//! Test harness: every store test runs against a fresh SQLite file and a fresh PostgreSQL schema.

#![allow(dead_code)]

pub mod process;
pub mod rig;

use chrono::NaiveDate;
use server::store::Store;
use std::sync::atomic::{AtomicU64, Ordering};

/// A workspace with the default pipeline stages and nothing else, in US dollars.
pub fn bare_workspace(name: &str, slug: String) -> server::store::load::Dataset {
    server::store::load::Dataset {
        workspace: server::store::load::NewWorkspace {
            name: name.into(),
            slug,
            is_demo: false,
            currency: "USD".into(),
        },
        stages: server::demo::default_stages(),
        ..Default::default()
    }
}

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The PostgreSQL the tests also run on, when `TEST_DATABASE_URL` names one (CI sets it); without
/// it every test runs on SQLite alone.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.trim().is_empty())
}

pub struct TestDb {
    pub store: Store,
    pub name: &'static str,
    /// Opens the same database again (a second server process).
    pub url: String,
    cleanup: Option<String>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(unique("success_test"));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/success.db", dir.display());
        let store = Store::connect(&url).await.expect("open sqlite");
        store.migrate().await.expect("migrate sqlite");
        TestDb {
            store,
            url,
            name: "sqlite",
            cleanup: Some(dir.display().to_string()),
        }
    }

    /// A schema of its own in the test database, so tests run in parallel without meeting; none
    /// when `TEST_DATABASE_URL` is not set.
    pub async fn postgres() -> Option<TestDb> {
        let base = postgres_url()?;
        let schema = unique("t");
        let admin = Store::connect(&base)
            .await
            .expect("TEST_DATABASE_URL names a PostgreSQL that must be reachable");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(admin.pool())
            .await
            .unwrap();
        admin.close().await;
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        let store = Store::connect(&url).await.expect("open postgres");
        store.migrate().await.expect("migrate postgres");
        Some(TestDb {
            store,
            url,
            name: "postgres",
            cleanup: None,
        })
    }

    /// SQLite, and PostgreSQL when `TEST_DATABASE_URL` is set.
    pub async fn both() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite().await];
        dbs.extend(TestDb::postgres().await);
        dbs
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = &self.cleanup {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Reads a server-sent event stream into (id, data) pairs as they arrive; comments and
/// keep-alives are dropped.
pub fn sse_events<S, B, E>(stream: S) -> tokio::sync::mpsc::UnboundedReceiver<(Option<i64>, String)>
where
    S: futures::Stream<Item = Result<B, E>> + Send + Unpin + 'static,
    B: AsRef<[u8]>,
{
    use futures::StreamExt;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut stream = stream;
        let mut buf = String::new();
        while let Some(Ok(chunk)) = stream.next().await {
            buf.push_str(&String::from_utf8_lossy(chunk.as_ref()));
            while let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .filter_map(|l| l.strip_prefix(name))
                        .map(|v| v.strip_prefix(' ').unwrap_or(v).to_string())
                        .collect::<Vec<_>>()
                };
                let data = field("data:");
                if data.is_empty() {
                    continue;
                }
                let id = field("id:").first().and_then(|i| i.parse().ok());
                if tx.send((id, data.join("\n"))).is_err() {
                    return;
                }
            }
        }
    });
    rx
}

/// The next event within `secs`, or a failure naming what was awaited.
pub async fn next_event(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<(Option<i64>, String)>,
    secs: u64,
    what: &str,
) -> (Option<i64>, String) {
    tokio::time::timeout(std::time::Duration::from_secs(secs), rx.recv())
        .await
        .unwrap_or_else(|_| panic!("no event within {secs} s: {what}"))
        .unwrap_or_else(|| panic!("the stream ended: {what}"))
}
